"""The fit report: HTML + Markdown + plots (PNG and SVG) showing the held-out part of the data against the fitted
world, in the style of the run report. Written atomically; the same fit gives the same bytes (no dates)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from matplotlib.figure import Figure

from ..atomic import check_output_folder, replacing_folder
from ..report import render_html as H
from ..report import render_markdown as M
from ..report.content import Table
from ..report.files import save_figure
from ..report.style import POLICY_PALETTE
from ..scenario.provenance import extract_provenance
from ..version import __version__
from .checks import Check, Comparison
from .pipeline import FitResult

MARKER = "fit_report.html"
KIND = "simroute fit report folder"
PLOT_DIR = "plots"
REPORT_FILES = ("fit_report.html", "fit_report.md")
MAX_PANELS = 12

CAPTIONS = {
    "accuracy": ("Held-out accuracy against the fitted world",
                 "Each point is one model on one intent: simulated accuracy across, held-out accuracy up, with the "
                 "95% interval of the difference; points on the diagonal are reproduced."),
    "tokens": ("Token distributions, held out against simulated",
               "Empirical CDFs of tokens per intent (input) and per intent and model (output): solid held out, "
               "dashed simulated; the KS statistic is the largest vertical gap."),
    "latency": ("Latency per model, held out against simulated",
                "Empirical CDFs of call latency: solid held out, dashed simulated."),
    "arrivals": ("Arrivals by weekday",
                 "Held-out queries per weekday (bars) against the fitted rate x seasonality (points, 95% interval)."),
}


def _colors(models: list[str]) -> dict[str, str]:
    return {m: POLICY_PALETTE[i % len(POLICY_PALETTE)] for i, m in enumerate(models)}


def _figure(width: float = 8.0, height: float = 5.0) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def accuracy_figure(check: Check) -> Figure | None:
    t = check.table
    if t.height == 0:
        return None
    fig = _figure(6.5, 6.0)
    ax = fig.add_subplot()
    models = sorted(set(t["model"].to_list()))
    colors = _colors(models)
    for m in models:
        r = t.filter(pl.col("model") == m)
        ax.errorbar(r["simulated"].to_numpy(), r["observed"].to_numpy(), yerr=1.96 * r["se"].to_numpy(), fmt="o",
                    ms=4, color=colors[m], alpha=0.8, lw=0.8, label=m)
    lo = float(min(t["simulated"].to_numpy().min(), t["observed"].to_numpy().min()))
    ax.plot([min(lo, 1.0), 1.0], [min(lo, 1.0), 1.0], color="#888", lw=1, ls="--", label="observed = simulated")
    ax.set_xlabel("simulated accuracy (fitted world)")
    ax.set_ylabel("held-out accuracy")
    ax.legend(loc="upper left", fontsize=8)
    return fig


def _ecdf_panels(curves: dict[str, tuple[np.ndarray, np.ndarray]], prefix: str, label: str) -> Figure | None:
    keys = sorted(k for k in curves if k.startswith(prefix))[:MAX_PANELS]
    if not keys:
        return None
    cols = min(3, len(keys))
    rows = -(-len(keys) // cols)
    fig = _figure(3.2 * cols, 2.6 * rows)
    q = np.linspace(0.0, 1.0, 101)
    for i, k in enumerate(keys):
        ax = fig.add_subplot(rows, cols, i + 1)
        held, sim = curves[k]
        ax.plot(held, q, color="#1f77b4", lw=1.5, label="held out")
        ax.plot(sim, q, color="#d62728", lw=1.2, ls="--", label="simulated")
        if held.min() > 0 and sim.min() > 0:
            ax.set_xscale("log")
        ax.set_title(k.split(":", 1)[1].replace(":", " / "), fontsize=9)
        ax.set_xlabel(label, fontsize=8)
        ax.tick_params(labelsize=7)
        if i == 0:
            ax.legend(fontsize=7)
    return fig


def arrivals_figure(check: Check) -> Figure | None:
    t = check.table
    if t.height == 0:
        return None
    fig = _figure(7.0, 4.0)
    ax = fig.add_subplot()
    x = np.arange(t.height)
    exp = t["expected"].to_numpy()
    ax.bar(x, t["observed"].to_numpy(), color="#9ecae1", label="held-out queries")
    ax.errorbar(x, exp, yerr=[exp - t["lo"].to_numpy(), t["hi"].to_numpy() - exp], fmt="o", color="#d62728",
                label="fitted (95% interval)")
    ax.set_xticks(x, t["weekday"].to_list())
    ax.set_ylabel("queries")
    ax.legend(fontsize=8)
    return fig


def draw_plots(c: Comparison, folder: Path) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    figs: dict[str, Figure | None] = {}
    if (acc := c.check("accuracy")) is not None:
        figs["accuracy"] = accuracy_figure(acc)
    figs["tokens"] = _ecdf_panels(c.curves, "tokens_", "tokens")
    figs["latency"] = _ecdf_panels(c.curves, "latency:", "seconds")
    if (arr := c.check("arrivals")) is not None:
        figs["arrivals"] = arrivals_figure(arr)
    return {k: save_figure(f, folder, k) for k, f in figs.items() if f is not None}


# --- tables ----------------------------------------------------------------------------------------------------

def _f(x: float, d: int = 3) -> str:
    return f"{x:.{d}f}"


COLUMNS: dict[str, list[tuple[str, str, int]]] = {  # check -> (column, header, digits; -1 text, 0 integer)
    "accuracy": [("intent", "intent", -1), ("model", "model", -1), ("n_held", "n held out", 0),
                 ("observed", "held out", 3), ("simulated", "simulated", 3), ("diff", "difference", 3),
                 ("lo", "95% low", 3), ("hi", "95% high", 3)],
    "joint": [("intent", "intent", -1), ("n_held", "n held out", 0),
              ("observed_both_right", "both right", 3), ("simulated_both_right", "sim", 3),
              ("observed_only_cheap_right", "only cheap", 3), ("simulated_only_cheap_right", "sim", 3),
              ("observed_only_capable_right", "only capable", 3), ("simulated_only_capable_right", "sim", 3),
              ("observed_both_wrong", "both wrong", 3), ("simulated_both_wrong", "sim", 3),
              ("chi2", "X²", 2), ("p_value", "p", 3)],
    "reliability": [("model", "model", -1), ("confidence", "confidence", -1), ("n_held", "n held out", 0),
                    ("observed", "held out", 3), ("simulated", "simulated", 3), ("lo", "95% low", 3),
                    ("hi", "95% high", 3)],
    "tokens": [("tokens", "tokens", -1), ("intent", "intent", -1), ("model", "model", -1), ("n_held", "n held out", 0),
               ("n_sim", "n simulated", 0), ("median_held", "median held out", 0), ("median_sim", "median sim", 0),
               ("ks", "KS D", 3), ("tolerance", "tolerance", 3)],
    "latency": [("model", "model", -1), ("n_held", "n held out", 0), ("n_sim", "n simulated", 0),
                ("median_held", "median held out (s)", 3), ("median_sim", "median sim (s)", 3), ("ks", "KS D", 3),
                ("tolerance", "tolerance", 3)],
    "arrivals": [("weekday", "weekday", -1), ("days", "days", 0), ("observed", "held out", 0),
                 ("expected", "fitted", 0), ("lo", "95% low", 0), ("hi", "95% high", 0)],
}


def check_table(c: Check) -> Table:
    cols = COLUMNS[c.key]
    rows, flags = [], set()
    for i, r in enumerate(c.table.iter_rows(named=True)):
        row = [str(r[k]) if d < 0 else (f"{r[k]:,.0f}" if d == 0 else _f(r[k], d)) for k, _, d in cols]
        row.append("pass" if r["pass"] else "FLAG")
        if not r["pass"]:
            flags.add((i, len(cols)))
        rows.append(row)
    numeric = {j for j, (_, _, d) in enumerate(cols) if d >= 0}
    return Table(f"{c.title}: {c.passed} of {c.total} pass", [h for _, h, _ in cols] + ["check"], rows, numeric,
                 flags, f"Rule: {c.rule}.")


def parameters_table(r: FitResult) -> Table:
    rows = [[v.path, v.value if isinstance(v.value, str) else str(v.value), v.comment] for v in r.records]
    return Table(f"Fitted values ({len(rows)})", ["path", "value", "provenance"], [list(map(str, x)) for x in rows])


def assumed_table(r: FitResult) -> Table:
    prov = extract_provenance(r.text)
    rows = [[p, prov.get(p, "")] for p in r.assumptions]
    return Table(f"Assumed parameters ({len(rows)})", ["path", "comment"], rows,
                 note="Kept from the base scenario (or the schema's defaults): the data cannot inform them.")


def _data_paragraph(r: FitResult) -> list[str]:
    s = r.split
    out = [f"Fitted from: {'; '.join(r.sources)}. Held-out share {s.holdout_share:.0%}, seed {s.seed}."]
    if s.eval_rule:
        out.append(f"Eval split {s.eval_rule}: {s.eval_sizes[0]:,} queries to fit, {s.eval_sizes[1]:,} held out.")
    if s.log_rule:
        cal, held = s.log_days
        span = f" ({held[0]} to {held[-1]})" if held else ""
        out.append(f"Log split {s.log_rule}{span}: {s.log_sizes[0]:,} calls to fit, {s.log_sizes[1]:,} held out.")
    sim = r.comparison.sim
    if sim:
        out.append("Simulated from the fitted world: " + ", ".join(f"{k.replace('_', ' ')} {v:,}"
                                                                   for k, v in sorted(sim.items())) + ".")
    return out


def render(r: FitResult, folder: Path) -> None:
    """Write fit_report.html, fit_report.md and plots/ into `folder` (not atomically: see `write_fit_report`)."""
    c = r.comparison
    pngs = draw_plots(c, folder / PLOT_DIR)
    figure_of = {"accuracy": "accuracy", "tokens": "tokens", "latency": "latency", "arrivals": "arrivals"}
    for fmt, R in (("html", H), ("md", M)):
        para = H.paragraph if fmt == "html" else (lambda t: t)

        def fig(key: str, fmt: str = fmt) -> list[str]:
            if key not in pngs:
                return []
            title, caption = CAPTIONS[key]
            if fmt == "html":
                return [H.figure(pngs[key], title, caption)]
            return [M.figure(f"{PLOT_DIR}/{key}.png", title, caption)]

        checks: list[str] = []
        for ch in c.checks:
            checks.append(R.table(check_table(ch)))
            checks += fig(figure_of.get(ch.key, ""))
        if not c.checks:
            checks.append(para("No held-out part to compare."))
        sections = [
            ("Headline", [para(c.headline())]),
            ("Data and split", [para(t) for t in _data_paragraph(r)]),
            ("Fitted parameters", [R.table(parameters_table(r))]),
            ("Held-out checks", checks),
            ("Assumed parameters", [R.table(assumed_table(r))]),
        ]
        notes = list(r.notes) + list(c.notes)
        if notes:
            sections.append(("Notes", [para(n) for n in notes]))
        meta = f"scenario '{r.scenario.name}'; split seed {r.split.seed}; report by simroute {__version__}"
        (folder / f"fit_report.{fmt}").write_text(R.page(f"simroute fit report: {r.scenario.name}", meta, sections),
                                                  encoding="utf-8")


def write_fit_report(r: FitResult, out: Path) -> Path:
    """Write the fit report folder atomically: it replaces an earlier fit report folder, never anything else."""
    out = Path(out)
    check_output_folder(out, MARKER, KIND)
    with replacing_folder(out, MARKER, KIND) as tmp:
        render(r, tmp)
    return out


__all__ = ["MARKER", "REPORT_FILES", "render", "write_fit_report"]
