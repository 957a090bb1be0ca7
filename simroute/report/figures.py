"""The report's plots, drawn with matplotlib's object API (no pyplot state) from a results folder.

Each plot is a member of `Plot` with a builder and a one-line caption saying what to look at; a builder
returns None when the run has nothing to draw (no monitors, no threshold policy).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import numpy as np
import polars as pl
from matplotlib.figure import Figure

from .. import figures as catalogue
from ..ledger import CostCenter
from ..results import ResultsBundle
from .style import POOLED_COLOR, cost_center_color, cost_center_label, policy_colors, tier_colors

MIN_WEEKLY_ANSWERS = 50  # a tier-week with fewer answers is too noisy to plot


class Plot(str, Enum):
    cost_quality = "cost_quality"
    weekly_quality = "weekly_quality"
    trap = "trap"
    detection = "detection"
    reliability = "reliability"
    churn_contacts = "churn_contacts"


def _colors(b: ResultsBundle) -> dict[str, str]:
    return policy_colors(b.policy_order, b.baseline)


def _figure(width: float = 8.0, height: float = 5.0) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _usd_axis(ax) -> None:
    ax.yaxis.set_major_formatter(lambda v, _: f"-${abs(v) / 1e3:,.0f}k" if v < 0 else f"${v / 1e3:,.0f}k")


def cost_quality(b: ResultsBundle) -> Figure:
    """Every policy's bill and accuracy, with the threshold curves of the two-tier threshold rules."""
    fig = _figure()
    ax = fig.add_subplot()
    colors = _colors(b)
    curves = b.tables["curves"].filter(pl.col("policy").is_in(b.shown_policies()))
    owners = curves.unique("rule", keep="first", maintain_order=True)["policy"].to_list() if curves.height else []
    for owner in owners:
        c = curves.filter(pl.col("policy") == owner).sort("threshold")
        ax.plot(c["bill_pct_of_baseline"], 100 * c["quality"], "-", color=colors[owner], alpha=0.45, lw=1.5,
                label=f"{owner}: every threshold")
    placed: list[tuple[float, float]] = []
    for name in b.shown_policies():
        p = b.policies[name]
        x, y = p["bill_pct_of_baseline"], 100 * p["quality"]["overall"]
        ax.scatter(x, y, s=60, color=colors[name], edgecolor="white", zorder=3)
        near = sum(1 for px, py in placed if abs(px - x) < 6 and abs(py - y) < 0.4)
        ax.annotate(name, (x, y), xytext=(5, 4 - 11 * near), textcoords="offset points", fontsize=8)
        placed.append((x, y))
    ax.set_xlabel("AI-platform bill (% of baseline)")
    ax.set_ylabel("accuracy over the steady-state window (% correct)")
    ax.set_title("Cost vs quality: policies (dots) and threshold curves (lines)")
    ax.grid(alpha=0.3)
    if owners:
        ax.legend(fontsize=8, loc="lower right")
    return fig


def _weekly(b: ResultsBundle, policy: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    d = b.tables["daily"].filter(pl.col("policy") == policy).with_columns(week=pl.col("day") // 7)
    per = (d.group_by(["week", "tier"]).agg(pl.col("correct").sum(), pl.col("queries").sum())
           .filter(pl.col("queries") >= MIN_WEEKLY_ANSWERS).sort("week"))
    pooled = d.group_by("week").agg(pl.col("correct").sum(), pl.col("queries").sum()).sort("week")
    return per, pooled


def _routed(b: ResultsBundle) -> list[str]:
    return [p for p in b.shown_policies() if len(b.policies[p]["tier_share"]) > 1][:6]


def weekly_quality(b: ResultsBundle) -> Figure | None:
    """Per routed policy: weekly accuracy per tier and pooled, drift onsets and monitors' first alarms."""
    routed = _routed(b)
    if not routed:
        return None
    cols = 1 if len(routed) == 1 else 2
    rows = -(-len(routed) // cols)
    fig = _figure(8.0 if cols == 1 else 11.0, 3.6 * rows)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
    tcol = tier_colors([m.name for m in b.scenario.models])
    onsets = sorted({o["day"] for o in b.summary["drift_onsets"]})
    for ax, policy in zip(axes.ravel(), routed, strict=False):  # an odd count leaves the grid's last cell empty
        per, pooled = _weekly(b, policy)
        for tier in [m.name for m in b.scenario.models]:
            t = per.filter(pl.col("tier") == tier)
            if t.height:
                ax.plot(t["week"], 100 * t["correct"] / t["queries"], "-", color=tcol[tier], label=f"tier {tier}")
        ax.plot(pooled["week"], 100 * pooled["correct"] / pooled["queries"], "-", color=POOLED_COLOR, lw=2,
                label="pooled")
        for i, day in enumerate(onsets):
            ax.axvline(day / 7, color="grey", ls="--", lw=1, label="drift onset" if i == 0 else None)
        first = sorted((m["first_alarm_day"], name) for name, m in b.monitors.items()
                       if m["policy"] == policy and m["first_alarm_day"] is not None)
        for i, (day, _name) in enumerate(first):
            ax.axvline(day / 7, color="#d62728", ls=":", lw=1, label="a monitor's first alarm" if i == 0 else None)
        ax.set_title(policy, fontsize=10)
        ax.set_ylabel("accuracy (% correct)")
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("week since day 0 (weeks)")
    for ax in axes.ravel()[len(routed):]:
        ax.set_visible(False)
    axes[0, 0].legend(fontsize=7, loc="lower left")
    fig.suptitle("Weekly quality per tier and pooled")
    return fig


def trap(b: ResultsBundle) -> Figure | None:
    """Visible savings on the AI-platform budget against the invisible loss in each other cost center."""
    names = [p for p in b.shown_policies() if p != b.baseline]
    if not names:
        return None
    fig = _figure(max(9.0, 1.3 * len(names) + 5), 5.0)
    ax = fig.add_subplot()
    x = np.arange(len(names))
    width = 0.38
    savings = [b.policies[p]["savings_usd_per_month"] for p in names]
    ai = CostCenter.ai_platform.value
    ax.bar(x - width / 2, savings, width, color=cost_center_color(ai),
           label="visible savings: " + cost_center_label(ai))
    bottom_pos, bottom_neg = np.zeros(len(names)), np.zeros(len(names))
    for cc in catalogue.invisible_centers():
        vals = np.array([b.policies[p]["invisible_loss_usd_per_month"].get(cc, 0.0) for p in names])
        base = np.where(vals >= 0, bottom_pos, bottom_neg)
        ax.bar(x + width / 2, vals, width, bottom=base, color=cost_center_color(cc),
               label="invisible loss: " + cost_center_label(cc))
        bottom_pos += np.clip(vals, 0, None)
        bottom_neg += np.clip(vals, None, 0)
    net = [b.policies[p]["net_value_usd_per_month"] for p in names]
    ax.scatter(x, net, marker="D", color="black", zorder=3, label="net value (savings − loss)")
    for i, p in enumerate(names):
        t = b.policies[p]["trap_ratio"]
        if t is not None and t > 0:
            ax.annotate(f"trap {t:.1f}×", (x[i], max(savings[i], bottom_pos[i])), xytext=(0, 4),
                        textcoords="offset points", ha="center", fontsize=8,
                        color="#d62728" if t > 1 else "black", weight="bold" if t > 1 else "normal")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x, names, rotation=20, ha="right")
    ax.set_xlabel("policy (savings bar, then loss bar stacked by cost center)")
    ax.set_ylabel("USD per month (steady state)")
    _usd_axis(ax)
    ax.set_title(f"Visible savings vs invisible loss, against '{b.baseline}'")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="y", alpha=0.3)
    return fig


def detection(b: ResultsBundle) -> Figure | None:
    """Each monitor's watch window, true onset, first alarm and false alarms."""
    mons = b.monitors
    if not mons:
        return None
    order = sorted(mons, key=lambda n: (mons[n]["first_alarm_day"] is None, mons[n]["first_alarm_day"] or 0, n))
    fig = _figure(9.0, 1.2 + 0.4 * len(order))
    ax = fig.add_subplot()
    for y, name in enumerate(order):
        m = mons[name]
        ax.hlines(y, m["window_start_day"], m["window_end_day"], color="#cccccc", lw=6)
        alarms = np.array(m["alarm_days"], dtype=float)
        false = alarms < m["onset_day"] if m["onset_day"] is not None else np.ones(len(alarms), bool)
        ax.scatter(alarms[~false], np.full((~false).sum(), y), s=12, color="#1f77b4")
        ax.scatter(alarms[false], np.full(false.sum(), y), s=20, marker="x", color="#d62728")
        if m["first_alarm_day"] is not None and not (m["onset_day"] is None or m["first_alarm_day"] < m["onset_day"]):
            ax.scatter([m["first_alarm_day"]], [y], s=70, color="#1f77b4", edgecolor="black", zorder=3)
        if m["onset_day"] is not None:
            ax.scatter([m["onset_day"]], [y], marker="|", s=260, linewidths=2.5, color="black", zorder=4)
    for o in sorted({o["day"] for o in b.summary["drift_onsets"]}):
        ax.axvline(o, color="grey", ls="--", lw=0.8, alpha=0.5)
    ax.scatter([], [], s=70, color="#1f77b4", edgecolor="black", label="first alarm after onset")
    ax.scatter([], [], s=12, color="#1f77b4", label="later alarms")
    ax.scatter([], [], marker="x", color="#d62728", label="false alarm (before onset)")
    ax.scatter([], [], marker="|", s=260, linewidths=2.5, color="black", label="true onset it should catch")
    ax.plot([], [], color="grey", ls="--", label="drift onsets")
    ax.set_yticks(range(len(order)), [f"{n} ({mons[n]['policy']})" for n in order], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, b.scenario.horizon_days)
    ax.set_xlabel("day of the simulation (days)")
    ax.set_ylabel("monitor (watched policy)")
    ax.set_title("Detection timeline per monitor")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="x", alpha=0.3)
    return fig


def reliability(b: ResultsBundle) -> Figure | None:
    """The cheap model's true reliability before the first drift onset and over the last weeks."""
    rel = b.tables["model_reliability"]
    model = b.cheap_model
    rel = rel.filter(pl.col("model") == model)
    if not rel.height:
        return None
    onset = min((o["day"] for o in b.summary["drift_onsets"]), default=b.scenario.horizon_days)
    last = int(rel.select(pl.col("week").max()).item())
    periods = [(f"before drift (weeks 0–{max(onset // 7 - 1, 0)})", pl.col("week") < max(onset // 7, 1), "#1f77b4")]
    if onset < b.scenario.horizon_days:
        periods.append((f"last 8 weeks (weeks {last - 7}–{last})", pl.col("week") > last - 8, "#d62728"))
    fig = _figure(6.5, 6.0)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="perfect calibration")
    for label, sel, color in periods:
        g = (rel.filter(sel).group_by("bin_low")
             .agg(pl.col("answers").sum(), pl.col("correct").sum(),
                  (pl.col("mean_confidence") * pl.col("answers")).sum().alias("conf"))
             .filter(pl.col("answers") >= 20).sort("bin_low"))
        ax.plot(g["conf"] / g["answers"], g["correct"] / g["answers"], "o-", color=color, ms=4, label=label)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(f"'{model}' self-reported confidence (probability)")
    ax.set_ylabel("observed accuracy (share correct)")
    ax.set_title(f"Reliability of the cheap model '{model}' on all traffic")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return fig


def churn_contacts(b: ResultsBundle) -> Figure:
    """Weekly churned users and human contacts per policy, as the excess over the baseline's."""
    colors = _colors(b)
    users = b.tables["users_daily"].with_columns(week=pl.col("day") // 7)
    contacts = (b.tables["daily"].with_columns(week=pl.col("day") // 7)
                .group_by(["policy", "week"]).agg(pl.col("contacts").sum()))
    churn = users.group_by(["policy", "week"]).agg(pl.col("churned").sum())
    fig = _figure(11.0, 4.5)
    axes = fig.subplots(1, 2)
    for ax, table, col, unit in ((axes[0], churn, "churned", "extra churned users per week (users)"),
                                 (axes[1], contacts, "contacts", "extra human contacts per week (contacts)")):
        base = table.filter(pl.col("policy") == b.baseline).select("week", pl.col(col).alias("base"))
        ax.axhline(0, color=colors[b.baseline], ls="--", lw=2, label=f"{b.baseline} (baseline)")
        for name in b.shown_policies():
            if name == b.baseline:
                continue
            t = table.filter(pl.col("policy") == name).join(base, on="week").sort("week")
            ax.plot(t["week"], t[col] - t["base"], lw=1.3, color=colors[name], label=name)
        ax.set_xlabel("week since day 0 (weeks)")
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
    axes[0].set_title(f"Churned users, against '{b.baseline}'")
    axes[1].set_title(f"Human support contacts, against '{b.baseline}'")
    axes[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


@dataclass(frozen=True)
class PlotSpec:
    build: Callable[[ResultsBundle], Figure | None]
    title: str
    caption: str


PLOTS: dict[Plot, PlotSpec] = {
    Plot.cost_quality: PlotSpec(cost_quality, "Cost vs quality",
        "Look for policies below the threshold curve's upper-left edge: they pay more for less accuracy; "
        "the curve shows what moving the threshold would have bought on the same traffic."),
    Plot.trap: PlotSpec(trap, "Visible savings vs invisible loss",
        "The trap: a green bar smaller than the stacked loss beside it means the savings were paid for, "
        "several times over, out of other teams' budgets."),
    Plot.weekly_quality: PlotSpec(weekly_quality, "Weekly quality per tier",
        "Watch the cheap tier's line fall after the drift onset while the pooled line barely moves, and how "
        "long before the first alarm."),
    Plot.detection: PlotSpec(detection, "Detection timeline",
        "Read the gap between each lane's onset tick and its first big dot: that is how long the drift went "
        "unnoticed under that measurement architecture."),
    Plot.reliability: PlotSpec(reliability, "Cheap model reliability",
        "Points below the diagonal are overconfident answers: compare the two periods to see how the drift "
        "moved the cheap model's calibration (a cascade trusts this confidence)."),
    Plot.churn_contacts: PlotSpec(churn_contacts, "Churn and human contacts",
        "Where a policy's line runs above zero, its quality loss is landing on the support and retention "
        "budgets; the height is the weekly excess over the baseline."),
}
