"""Sweep charts (matplotlib object API): frontiers with curve metrics, break-even, tornado."""
from __future__ import annotations

import numpy as np
import polars as pl
from matplotlib.figure import Figure

from ..frontier import nondecreasing_hull
from ..report.style import policy_colors
from .analysis import BreakEven, TornadoBar, curve_metric_intervals, frontier, metric_label
from .run import SweepResult


def _colors(r: SweepResult) -> dict[str, str]:
    return policy_colors([p.name for p in r.scenario.policies], r.scenario.baseline.name)


def _metric_label(ivs: dict) -> str:
    def one(key, name):
        iv = ivs.get(key)
        if iv is None or not np.isfinite(iv.mean):
            return f"{name} n/a"
        if iv.n < 2:
            return f"{name} {iv.mean:.2f}"
        return f"{name} {iv.mean:.2f} [{iv.low:.2f}, {iv.high:.2f}]"
    return ", ".join([one("apgr", "APGR"), one("cpt50", "CPT(50%)"), one("cpt80", "CPT(80%)")])


def frontier_plot(r: SweepResult) -> Figure | None:
    """Left: each threshold policy's PGR curve over the share of calls to the capable model, with APGR and CPT;
    right: bill against quality at every sweep point, the Pareto frontier of each policy drawn through."""
    fr = frontier(r)
    if r.curves.height == 0 and fr.height == 0:
        return None
    colors = _colors(r)
    fig = Figure(figsize=(12, 6.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    base = r.curves.filter(pl.col("point") == 0) if r.curves.height else r.curves
    metrics = curve_metric_intervals(r, 0)
    for (policy,), c in (base.group_by("policy", maintain_order=True) if base.height else []):
        mean = c.group_by("threshold").agg(pl.col("cheap_share").mean(), pl.col("quality").mean(),
                                           pl.col("bill_pct_of_baseline").mean()).sort("threshold")
        color = colors.get(policy.split("~")[0], "#555")
        bill = mean["bill_pct_of_baseline"].to_numpy()
        if np.isfinite(bill).all():
            ax2.plot(bill, 100 * mean["quality"].to_numpy(), "-", color=color, lw=0.9, alpha=0.5)
            hx, hy = nondecreasing_hull(bill, mean["quality"].to_numpy())
            ax2.plot(hx, 100 * hy, "--", color=color, lw=1.2, label=f"{policy}: every threshold (hull dashed)")
        strong, q = 1.0 - mean["cheap_share"].to_numpy(), mean["quality"].to_numpy()
        q_weak, q_strong = q[np.argmin(strong)], q[np.argmax(strong)]
        pgr = (q - q_weak) / (q_strong - q_weak) if q_strong != q_weak else np.full_like(q, np.nan)
        order = np.argsort(strong)
        ax1.plot(100 * strong[order], pgr[order], color=color, lw=1.8,
                 label=f"{policy}: {_metric_label(metrics.get(policy, {}))}")
    ax1.plot([0, 100], [0, 1], ":", color="#888", lw=1, label="random router (APGR 0.5)")
    ax1.axhline(0.5, color="#bbb", lw=0.6)
    ax1.axhline(0.8, color="#bbb", lw=0.6)
    ax1.set_xlabel("calls answered by the capable model (% of queries)")
    ax1.set_ylabel("performance gap recovered (PGR: 0 cheap only, 1 capable only)")
    ax1.set_title("Routing curves at the first sweep point (mean over replicates)", fontsize=10)
    ax1.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)  # below the curves
    for (policy,), d in (fr.group_by("policy", maintain_order=True) if fr.height else []):
        color = colors.get(policy, "#555")
        ax2.scatter(d["bill_pct_of_baseline"], 100 * d["quality"], s=18, color=color, alpha=0.5)
        f = d.filter(pl.col("on_frontier")).sort("bill_pct_of_baseline")
        ax2.plot(f["bill_pct_of_baseline"], 100 * f["quality"], "-", color=color, lw=2.2,
                 label=f"{policy}: Pareto frontier of the sweep points")
    ax2.set_xlabel("AI-platform bill (% of baseline)")
    ax2.set_ylabel("quality (% of answers correct)")
    ax2.set_title("Cost vs quality: sweep points, and every threshold at the first point", fontsize=10)
    ax2.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1, frameon=False)
    return fig


def break_even_plot(r: SweepResult, found: list[BreakEven]) -> Figure | None:
    """Net value against the break-even parameter, per policy, with the replicates' spread and the crossing."""
    if not found:
        return None
    path, metric = found[0].parameter, found[0].metric
    colors = _colors(r)
    fig = Figure(figsize=(8, 5), layout="constrained")
    ax = fig.add_subplot()
    rows = r.table.filter((pl.col("kind") == "policy") & (pl.col("metric") == metric))
    styles = ["-", "--", ":", "-."]
    combos = list(dict.fromkeys(tuple(be.given.items()) for be in found))
    for be in found:
        d = rows.filter(pl.col("subject") == be.policy)
        for k, v in be.given.items():
            d = d.filter(pl.col(k) == v)
        g = (d.group_by(path).agg(m=pl.col("value").mean(), lo=pl.col("value").min(), hi=pl.col("value").max())
             .sort(path))
        x = g[path].cast(pl.Float64).to_numpy()
        color = colors.get(be.policy, "#555")
        given = ", ".join(f"{k}={v}" for k, v in be.given.items())
        style = styles[combos.index(tuple(be.given.items())) % len(styles)]
        ax.plot(x, g["m"] / 1e3, style, marker="o", ms=3, color=color,
                label=be.policy + (f" ({given})" if given else ""))
        ax.fill_between(x, g["lo"] / 1e3, g["hi"] / 1e3, color=color, alpha=0.10)
        if np.isfinite(be.at_mean_curve):
            ax.axvline(be.at_mean_curve, color=color, ls="--", lw=0.9)
            lo, hi = (max(be.low, x[0]), min(be.high, x[-1])) if np.isfinite(be.low) or np.isfinite(be.high) \
                else (np.nan, np.nan)
            if np.isfinite(lo) and np.isfinite(hi):
                ax.axvspan(lo, hi, color=color, alpha=0.10)
    ax.axhline(0, color="#222", lw=0.8)
    label = {p.path: p.name for p in r.spec.parameters}[path]
    ax.set_xlabel(label)
    ax.set_ylabel(f"{metric_label(metric)} (thousand USD)" if "usd" in metric else metric_label(metric))
    ax.set_title("Break-even: dashed where the mean crosses zero; band = its 95% bootstrap interval; "
                 "shade = replicates' range", fontsize=9)
    ax.legend(fontsize=8)
    return fig


def tornado_plot(r: SweepResult, bars: list[TornadoBar]) -> Figure | None:
    """One panel per policy: each parameter's low-to-high swing of the figure around its base value."""
    if not bars:
        return None
    policies = list(dict.fromkeys(b.policy for b in bars))
    per = max(len([b for b in bars if b.policy == p]) for p in policies)
    fig = Figure(figsize=(8, 1.2 + 0.45 * per * len(policies)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(policies), 1))
    metric = r.spec.tornado.metric.replace("_", " ")
    for ax, policy in zip(axes, policies, strict=True):
        mine = [b for b in bars if b.policy == policy][::-1]
        base = mine[0].base
        for i, b in enumerate(mine):
            ends = sorted(((b.at_low, "#4c78a8"), (b.at_high, "#e45756")), key=lambda e: -abs(e[0] - base))
            for end, color in ends:  # the longer bar first, so a shorter one on the same side stays visible
                ax.barh(i, end - base, left=base, color=color, height=0.6)
            ax.text(max(b.at_low, b.at_high), i, f"  {b.low_value:g} → {b.high_value:g}"
                    if isinstance(b.low_value, (int, float)) else f"  {b.low_value} → {b.high_value}",
                    va="center", fontsize=7)
        ax.set_yticks(range(len(mine)), [b.parameter for b in mine], fontsize=8)
        ax.axvline(base, color="#222", lw=0.8)
        ax.set_xlabel(f"{metric} of {policy} (base {base:.2f}; blue = parameter at low, red = at high)")
    fig.suptitle(f"Sensitivity of the {metric} to the scenario's uncertain parameters", fontsize=10)
    return fig
