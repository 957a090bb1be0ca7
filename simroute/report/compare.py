"""The same comparison across results folders (two scenarios, or two versions of one scenario)."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ..atomic import publish, staging
from ..errors import ResultsError
from ..results import ResultsBundle
from . import render_html as H
from . import render_markdown as M
from .content import Table, usd
from .files import save_svg
from .style import policy_colors

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def run_labels(bundles: list[ResultsBundle]) -> list[str]:
    """Folder names, numbered where two folders share a name; the same folder twice is an error."""
    seen = [b.folder.resolve() for b in bundles]
    dup = next((b.folder for i, b in enumerate(bundles) if seen[i] in seen[:i]), None)
    if dup is not None:
        raise ResultsError(f"{dup}: given twice; compare needs different results folders")
    names = [b.folder.name for b in bundles]
    return [f"{n}#{i + 1}" if names.count(n) > 1 else n for i, n in enumerate(names)]


def comparison_rows(bundles: list[ResultsBundle]) -> list[dict]:
    """One record per run and policy with the headline figures (plain numbers, for --json and tables)."""
    rows = []
    for label, b in zip(run_labels(bundles), bundles, strict=True):
        for name in b.shown_policies():
            p = b.policies[name]
            rows.append({"run": label, "scenario": b.name, "policy": name, "kind": p["kind"],
                         "bill_pct_of_baseline": p["bill_pct_of_baseline"],
                         "savings_usd_per_month": p["savings_usd_per_month"],
                         "invisible_loss_usd_per_month": p["invisible_loss_usd_per_month"]["total"],
                         "net_value_usd_per_month": p["net_value_usd_per_month"], "trap_ratio": p["trap_ratio"],
                         "quality": p["quality"]["overall"]})
    return rows


def comparison_table(rows: list[dict]) -> Table:
    cols = ["run", "policy", "bill %", "saved/mo", "loss/mo", "net/mo", "trap", "quality"]
    out, flags = [], set()
    for i, r in enumerate(rows):
        t = r["trap_ratio"]
        if t is not None and t > 1:
            flags.add((i, 6))
        out.append([r["run"], r["policy"], f"{r['bill_pct_of_baseline']:.1f}", usd(r["savings_usd_per_month"]),
                    usd(r["invisible_loss_usd_per_month"]), usd(r["net_value_usd_per_month"]),
                    "—" if t is None else f"{t:.2f}", f"{100 * r['quality']:.1f}%"])
    return Table("Policies across runs (per month, steady state)", cols, out, numeric={2, 3, 4, 5, 6, 7}, flags=flags)


def delta_table(rows: list[dict], labels: list[str]) -> Table | None:
    """Net value and trap ratio of each policy present in every run, as the change from the first run."""
    if len(labels) < 2:
        return None
    by = {(r["run"], r["policy"]): r for r in rows}
    common = [r["policy"] for r in rows if r["run"] == labels[0]
              and all((lab, r["policy"]) in by for lab in labels[1:])]
    if not common:
        return None
    cols = ["policy", *(f"Δ net/mo {lab}" for lab in labels[1:]), *(f"Δ trap {lab}" for lab in labels[1:])]
    out = []
    for pol in common:
        ref = by[(labels[0], pol)]
        nets = [usd(by[(lab, pol)]["net_value_usd_per_month"] - ref["net_value_usd_per_month"]) for lab in labels[1:]]
        traps = []
        for lab in labels[1:]:
            a, b = ref["trap_ratio"], by[(lab, pol)]["trap_ratio"]
            traps.append("—" if a is None or b is None else f"{b - a:+.2f}")
        out.append([pol, *nets, *traps])
    return Table(f"Change against '{labels[0]}'", cols, out, numeric=set(range(1, len(cols))))


def comparison_figure(rows: list[dict], labels: list[str], baseline: str) -> Figure:
    """Cost vs quality of every policy in every run: colour per policy, marker per run."""
    fig = Figure(figsize=(8, 5), layout="constrained")
    ax = fig.add_subplot()
    policies = list(dict.fromkeys(r["policy"] for r in rows))
    color = policy_colors(policies, baseline)
    for k, lab in enumerate(labels):
        rs = [r for r in rows if r["run"] == lab]
        ax.scatter([r["bill_pct_of_baseline"] for r in rs], [100 * r["quality"] for r in rs],
                   c=[color[r["policy"]] for r in rs], marker=MARKERS[k % len(MARKERS)], s=60, label=f"run {lab}")
    for p in policies:
        rs = [r for r in rows if r["policy"] == p]
        xs, ys = np.array([r["bill_pct_of_baseline"] for r in rs]), np.array([100 * r["quality"] for r in rs])
        ax.plot(xs, ys, "-", color=color[p], alpha=0.4)
        ax.annotate(p, (xs[-1], ys[-1]), xytext=(5, 3), textcoords="offset points", fontsize=8)
    ax.set_xlabel("AI-platform bill (% of each run's baseline)")
    ax.set_ylabel("accuracy over the steady-state window (% correct)")
    ax.set_title("Cost vs quality across runs (lines join one policy's runs)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def write_comparison(bundles: list[ResultsBundle], out: Path) -> tuple[list[dict], Path]:
    """compare.html, compare.md and compare_cost_quality.{png,svg} in `out`, atomically."""
    labels = run_labels(bundles)
    rows = comparison_rows(bundles)
    tables = [t for t in (comparison_table(rows), delta_table(rows, labels)) if t is not None]
    fig = comparison_figure(rows, labels, bundles[0].baseline)
    meta = "runs: " + "; ".join(f"{lab} = scenario '{b.name}' seed {b.summary['seed']} "
                                 f"(sha256 {b.summary['scenario']['sha256'][:12]})"
                                 for lab, b in zip(labels, bundles, strict=True))
    caption = "Each policy's move between runs: up and left is better; a policy that moves down paid in quality."
    with staging(out) as tmp:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
        (tmp / "compare_cost_quality.png").write_bytes(buf.getvalue())
        save_svg(fig, tmp / "compare_cost_quality.svg")
        html = H.page("simroute comparison", meta, [("Policies", [H.table(t) for t in tables]),
                      ("Cost vs quality", [H.figure(buf.getvalue(), "Cost vs quality across runs", caption)])])
        md = M.page("simroute comparison", meta, [("Policies", [M.table(t) for t in tables]),
                    ("Cost vs quality", [M.figure("compare_cost_quality.png", "Cost vs quality across runs",
                                                  caption)])])
        (tmp / "compare.html").write_text(html, encoding="utf-8")
        (tmp / "compare.md").write_text(md, encoding="utf-8")
        publish(tmp, out)
    return rows, out
