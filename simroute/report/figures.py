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
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from .. import figures as catalogue
from .. import units
from ..ledger import CostCenter
from ..results import ResultsBundle
from .style import POOLED_COLOR, cost_center_color, cost_center_label, policy_colors, tier_colors

MIN_WEEKLY_ANSWERS = 50  # a tier-week with fewer answers is too noisy to plot


class Plot(str, Enum):
    cost_quality = "cost_quality"
    weekly_quality = "weekly_quality"
    trap = "trap"
    detection = "detection"
    operating_curve = "operating_curve"
    reliability = "reliability"
    churn_contacts = "churn_contacts"


def _colors(b: ResultsBundle) -> dict[str, str]:
    return policy_colors(b.policy_order, b.baseline)


def _figure(width: float = 8.0, height: float = 5.0) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _usd_tick(scale: str) -> Callable[[float, object], str]:
    """Money ticks in the report's style: one minus sign, no "−$0", no trailing ".0" on round thousands."""
    def tick(v: float, _pos: object) -> str:
        text = units.usd_in(v, scale)
        return text.replace(".0k", "k").replace(".00M", "M")
    return tick


def _usd_axis(ax, low: float, high: float) -> None:
    ax.yaxis.set_major_formatter(_usd_tick(units.usd_scale([low, high])))


def _headroom(ax, low: float, high: float, top: float = 0.16, bottom: float = 0.06) -> None:
    """Y limits that hold every bar and marker with room above for labels (nothing cut at the frame)."""
    low, high = min(low, 0.0), max(high, 0.0)
    span = (high - low) or 1.0
    ax.set_ylim(low - bottom * span, high + top * span)


def _legend_below(fig: Figure, handles: list, labels: list[str], ncol: int = 2) -> None:
    """One legend under the axes, outside every data area, in a size readable once embedded."""
    fig.legend(handles, labels, loc="outside lower center", ncol=ncol, fontsize=9, frameon=False)


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
    points = []
    for name in b.shown_policies():
        p = b.policies[name]
        x, y = p["bill_pct_of_baseline"], 100 * p["quality"]["overall"]
        big = name == b.baseline  # drawn larger and below, so a policy on the same spot stays visible
        ax.scatter(x, y, s=130 if big else 60, color=colors[name], edgecolor="white", zorder=2.5 if big else 3)
        points.append((name, x, y))
    ax.set_xlabel("AI-platform bill (% of baseline)")
    ax.set_ylabel("accuracy, steady state (% correct)")
    ax.margins(x=0.08, y=0.1)
    _label_points(fig, ax, points)
    ax.set_title("Cost vs quality: policies (dots) and threshold curves (lines)")
    ax.grid(alpha=0.3)
    if owners:
        ax.legend(fontsize=8, loc="best")
    return fig


LABEL_OFFSETS = ((6, 4), (6, -12), (-6, 4), (-6, -12), (6, 16), (6, -24), (-6, 16), (-6, -24), (6, 28), (6, -36))


def _label_points(fig: Figure, ax, points: list[tuple[str, float, float]], size: float = 8.0) -> None:
    """Name each point next to it without two names overlapping: try offsets around the point, in pixels,
    and take the first whose text box is clear of every name placed so far and of every point."""
    fig.draw_without_rendering()  # settle the layout so that data -> pixel positions are final
    scale = fig.dpi / 72
    boxes: list[tuple[float, float, float, float]] = []
    dots = [ax.transData.transform((x, y)) for _, x, y in points]
    for name, x, y in points:
        px, py = ax.transData.transform((x, y))
        w, h = 0.6 * size * len(name) * scale, size * 1.2 * scale
        chosen = LABEL_OFFSETS[0]
        for dx, dy in LABEL_OFFSETS:
            left = px + dx * scale - (w if dx < 0 else 0)
            box = (left, py + dy * scale, left + w, py + dy * scale + h)
            clear = all(box[2] < b0 or box[0] > b2 or box[3] < b1 or box[1] > b3 for b0, b1, b2, b3 in boxes)
            free = all(not (box[0] - 3 <= qx <= box[2] + 3 and box[1] - 3 <= qy <= box[3] + 3) for qx, qy in dots)
            if clear and free:
                chosen = (dx, dy)
                break
        else:
            box = (px, py, px + w, py + h)
        boxes.append(box)
        dx, dy = chosen
        ax.annotate(name, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=size,
                    ha="right" if dx < 0 else "left", va="bottom")


def _weekly(b: ResultsBundle, policy: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    d = b.tables["daily"].filter(pl.col("policy") == policy).with_columns(week=pl.col("day") // 7)
    per = (d.group_by(["week", "tier"]).agg(pl.col("correct").sum(), pl.col("queries").sum())
           .filter(pl.col("queries") >= MIN_WEEKLY_ANSWERS).sort("week"))
    pooled = d.group_by("week").agg(pl.col("correct").sum(), pl.col("queries").sum()).sort("week")
    return per, pooled


def _routed(b: ResultsBundle) -> list[str]:
    return [p for p in b.shown_policies() if len(b.policies[p]["tier_share"]) > 1][:6]


def weekly_quality(b: ResultsBundle) -> Figure | None:
    """Per routed policy: weekly accuracy per tier and pooled, drift onsets and monitors' first alarms; every
    panel on the same y range and one legend for all, below the panels."""
    routed = _routed(b)
    if not routed:
        return None
    cols = 1 if len(routed) == 1 else 2
    rows = -(-len(routed) // cols)
    fig = _figure(8.0 if cols == 1 else 11.0, 3.4 * rows + 1.2)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)
    tiers = [m.name for m in b.scenario.models]
    tcol = tier_colors(tiers)
    onsets = sorted({o["day"] for o in b.summary["drift_onsets"]})
    alarmed = False
    for ax, policy in zip(axes.ravel(), routed, strict=False):  # an odd count leaves the grid's last cell empty
        per, pooled = _weekly(b, policy)
        for tier in tiers:
            t = per.filter(pl.col("tier") == tier)
            if t.height:
                ax.plot(t["week"], 100 * t["correct"] / t["queries"], "-", color=tcol[tier])
        ax.plot(pooled["week"], 100 * pooled["correct"] / pooled["queries"], "-", color=POOLED_COLOR, lw=2)
        for day in onsets:
            ax.axvline(day / 7, color="grey", ls="--", lw=1)
        first = sorted((m["first_alarm_day"], name) for name, m in b.monitors.items()
                       if m["policy"] == policy and m["first_alarm_day"] is not None)
        for day, _name in first:
            alarmed = True
            ax.axvline(day / 7, color="#d62728", ls=":", lw=1.2)
        ax.set_title(policy, fontsize=10)
        ax.set_ylabel("accuracy (% correct)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("week since day 0 (weeks)")
    for ax in axes.ravel()[len(routed):]:
        ax.set_visible(False)
    handles = [Line2D([], [], color=tcol[t]) for t in tiers] + [Line2D([], [], color=POOLED_COLOR, lw=2)]
    labels = [f"tier {t} (queries sent to it)" for t in tiers] + ["pooled (all queries)"]
    if onsets:
        handles.append(Line2D([], [], color="grey", ls="--", lw=1))
        labels.append("drift onset")
    if alarmed:
        handles.append(Line2D([], [], color="#d62728", ls=":", lw=1.2))
        labels.append("a monitor's first alarm")
    _legend_below(fig, handles, labels, ncol=min(len(labels), 4))
    fig.suptitle("Weekly quality per tier and pooled (same y range on every panel)")
    return fig


def trap(b: ResultsBundle) -> Figure | None:
    """Visible savings on the AI-platform budget against the invisible loss in each other cost center."""
    names = [p for p in b.shown_policies() if p != b.baseline]
    if not names:
        return None
    fig = _figure(min(10.5, max(8.0, 0.9 * len(names) + 4)), 6.0)  # shown near 1:1 in the report
    ax = fig.add_subplot()
    x = np.arange(len(names))
    width = 0.38
    savings = np.array([b.policies[p]["savings_usd_per_month"] for p in names], dtype=float)
    ai = CostCenter.ai_platform.value
    ax.bar(x - width / 2, savings, width, color=cost_center_color(ai),
           label="visible savings: " + cost_center_label(ai))
    bottom_pos, bottom_neg = np.zeros(len(names)), np.zeros(len(names))
    for cc in catalogue.invisible_centers():
        vals = np.array([b.policies[p]["invisible_loss_usd_per_month"].get(cc, 0.0) or 0.0 for p in names])
        if not np.any(np.abs(vals) >= 0.5):
            continue  # a cost center with nothing in it gets no bar and no legend entry
        base = np.where(vals >= 0, bottom_pos, bottom_neg)
        ax.bar(x + width / 2, vals, width, bottom=base, color=cost_center_color(cc),
               label="invisible loss: " + cost_center_label(cc))
        bottom_pos += np.clip(vals, 0, None)
        bottom_neg += np.clip(vals, None, 0)
    net = np.array([b.policies[p]["net_value_usd_per_month"] for p in names], dtype=float)
    ax.scatter(x, net, marker="D", color="black", zorder=3, label="net value (savings − loss)")
    high = float(max(savings.max(), bottom_pos.max(), net.max()))
    low = float(min(savings.min(), bottom_neg.min(), net.min()))
    _headroom(ax, low, high)
    for i, p in enumerate(names):
        t = b.policies[p]["trap_ratio"]
        if t is not None and t > 0:
            ax.annotate(f"trap {units.ratio(t, 1)}×", (x[i], max(savings[i], bottom_pos[i], 0.0)), xytext=(0, 5),
                        textcoords="offset points", ha="center", va="bottom", fontsize=10,
                        color="#d62728" if t > 1 else "black", weight="bold" if t > 1 else "normal")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x, names, rotation=20 if len(names) > 3 else 0, ha="right" if len(names) > 3 else "center")
    ax.set_xlabel("policy (left bar: savings; right bar: loss stacked by cost center)")
    ax.set_ylabel("USD per month (steady state)")
    _usd_axis(ax, low, high)
    ax.set_title(f"Visible savings vs invisible loss, against '{b.baseline}'")
    ax.grid(axis="y", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    _legend_below(fig, handles, labels)
    return fig


def detection(b: ResultsBundle) -> Figure | None:
    """Each monitor's watch window, true onset, first alarm, every later alarm and every false alarm."""
    mons = b.monitors
    if not mons:
        return None
    order = sorted(mons, key=lambda n: (mons[n]["first_alarm_day"] is None, mons[n]["first_alarm_day"] or 0, n))
    fig = _figure(9.0, 2.4 + 0.45 * len(order))
    ax = fig.add_subplot()
    for y, name in enumerate(order):
        m = mons[name]
        ax.hlines(y, m["window_start_day"], m["window_end_day"], color="#dddddd", lw=8, zorder=1)
        alarms = np.array(m["alarm_days"], dtype=float)
        false = alarms < m["onset_day"] if m["onset_day"] is not None else np.ones(len(alarms), bool)
        ax.scatter(alarms[~false], np.full(int((~false).sum()), y), s=22, color="#1f77b4", zorder=3)
        ax.scatter(alarms[false], np.full(int(false.sum()), y), s=30, marker="x", color="#d62728", zorder=3)
        if m["first_alarm_day"] is not None and not (m["onset_day"] is None or m["first_alarm_day"] < m["onset_day"]):
            ax.scatter([m["first_alarm_day"]], [y], s=80, color="#1f77b4", edgecolor="black", zorder=4)
        if m["onset_day"] is not None:
            ax.scatter([m["onset_day"]], [y], marker="|", s=260, linewidths=2.5, color="black", zorder=5)
    for o in sorted({o["day"] for o in b.summary["drift_onsets"]}):
        ax.axvline(o, color="grey", ls="--", lw=0.8, alpha=0.5, zorder=0)
    ax.scatter([], [], s=80, color="#1f77b4", edgecolor="black", label="first alarm after onset")
    ax.scatter([], [], s=22, color="#1f77b4", label="later alarms")
    ax.scatter([], [], marker="x", s=30, color="#d62728", label="false alarm (before onset)")
    ax.scatter([], [], marker="|", s=260, linewidths=2.5, color="black", label="true onset it should catch")
    ax.plot([], [], color="grey", ls="--", label="drift onsets")
    ax.plot([], [], color="#dddddd", lw=8, label="watch window")
    ax.set_yticks(range(len(order)), [f"{n} ({mons[n]['policy']})" for n in order], fontsize=8)
    ax.set_ylim(len(order) - 0.4, -0.6)  # every lane inside the frame, first alarm on top
    ax.set_xlim(0, b.scenario.horizon_days)
    ax.set_xlabel("day of the simulation (days)")
    ax.set_ylabel("monitor (watched policy)")
    ax.set_title("Detection timeline per monitor")
    ax.grid(axis="x", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    _legend_below(fig, handles, labels, ncol=3)
    return fig


def _never_as(values: list, top: float) -> np.ndarray:
    """Delays with "never detected" (None) drawn at `top`."""
    return np.array([top if v is None else v for v in values], dtype=float)


def operating_curve(b: ResultsBundle) -> Figure | None:
    """Each monitor's operating curve over the replicates: median delay from the true onset against the
    share of replicates with a false first alarm, over thresholds scaled around the calibrated one, beside
    random alarms and calendar alarms on the same onsets (what doing nothing clever gets)."""
    reps = b.summary.get("replicates") or {}
    mons = {n: oc["curve"] for n, oc in (reps.get("monitors") or {}).items() if "curve" in oc}
    if not mons:
        return None
    cols = min(4, len(mons))
    rows = -(-len(mons) // cols)
    fig = _figure(2.6 * cols + 0.6, 2.4 * rows + 1.0)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)
    top = float(b.scenario.horizon_days)
    for ax, (name, c) in zip(axes.flat, mons.items(), strict=False):
        pts = c["points"]
        x = np.array([p["false_alarm_share"] for p in pts], dtype=float)
        ax.plot(x, _never_as([p["delay_median_days"] for p in pts], top), marker="o", ms=4, color="#1f77b4",
                label="CUSUM, thresholds ×0.25–×4")
        at = [p for p in pts if p["threshold_scale"] == 1.0]
        if at:
            ax.scatter([at[0]["false_alarm_share"]], _never_as([at[0]["delay_median_days"]], top), s=70,
                       color="#1f77b4", edgecolor="black", zorder=4, label="calibrated threshold")
        for key, style, label in (("random", dict(color="#7f7f7f", ls="--"), "random alarm"),
                                  ("calendar", dict(color="#ff7f0e", ls=":", marker="s", ms=3),
                                   "calendar alarm (every 7–84 d)")):
            ref = c[key]
            ax.plot([r["false_alarm_share"] for r in ref], _never_as([r["delay_median_days"] for r in ref], top),
                    label=label, **style)
        ax.axhline(top, color="#d62728", lw=0.6, alpha=0.5)
        ax.set_title(name, fontsize=9)
        ax.set_xlim(-0.03, 1.03)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(mons):]:
        ax.set_visible(False)
    for j in range(cols):  # the lowest drawn panel of each column carries the x axis
        ax = axes[rows - 2 if 0 < len(mons) % cols <= j else rows - 1, j]
        ax.xaxis.set_tick_params(labelbottom=True)
        ax.set_xlabel("false-alarm share (fraction)")
    for ax in axes[:, 0]:
        ax.set_ylabel("median delay (days)")
    fig.suptitle(f"Operating curves over {reps['n']} replicates (top line: never detected)", fontsize=10)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    _legend_below(fig, handles, labels, ncol=4)
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


LINE_STYLES = ("-", "--", "-.", ":")


def churn_contacts(b: ResultsBundle) -> Figure:
    """Weekly churned users and human contacts per policy, as the excess over the baseline's; each policy its own
    colour and dash so that one drawn over another stays visible."""
    colors = _colors(b)
    users = b.tables["users_daily"].with_columns(week=pl.col("day") // 7)
    contacts = (b.tables["daily"].with_columns(week=pl.col("day") // 7)
                .group_by(["policy", "week"]).agg(pl.col("contacts").sum()))
    churn = users.group_by(["policy", "week"]).agg(pl.col("churned").sum())
    fig = _figure(11.0, 5.0)
    axes = fig.subplots(1, 2)
    others = [n for n in b.shown_policies() if n != b.baseline]
    for ax, table, col, unit in ((axes[0], churn, "churned", "extra churned users per week (users)"),
                                 (axes[1], contacts, "contacts", "extra human contacts per week (contacts)")):
        base = table.filter(pl.col("policy") == b.baseline).select("week", pl.col(col).alias("base"))
        ax.axhline(0, color=colors[b.baseline], ls="--", lw=2, label=f"{b.baseline} (baseline)")
        for i, name in enumerate(others):
            t = table.filter(pl.col("policy") == name).join(base, on="week").sort("week")
            ax.plot(t["week"], t[col] - t["base"], lw=2.4 - 1.2 * i / max(len(others), 1), color=colors[name],
                    ls=LINE_STYLES[i % len(LINE_STYLES)], label=name)
        ax.set_xlabel("week since day 0 (weeks)")
        ax.set_ylabel(unit)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    axes[0].set_title(f"Churned users, against '{b.baseline}'")
    axes[1].set_title(f"Human support contacts, against '{b.baseline}'")
    handles, labels = axes[0].get_legend_handles_labels()
    _legend_below(fig, handles, labels, ncol=min(len(labels), 5))  # one legend for both panels
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
        "long before the first alarm. Each tier's line is its accuracy on the queries the policy sent to it, "
        "not on all traffic: a router sends the hard queries to the capable tier, so that tier can read lower "
        "(70–90%) than the cheap one. That is the selection of queries, not a weaker model."),
    Plot.detection: PlotSpec(detection, "Detection timeline",
        "Read the gap between each lane's onset tick and its first big dot: that is how long the drift went "
        "unnoticed under that measurement architecture."),
    Plot.operating_curve: PlotSpec(operating_curve, "Monitor operating curves",
        "A monitor is worth its reviews where its blue curve runs below the grey random-alarm line and the "
        "orange calendar line: the same false-alarm share, found sooner. Each blue point is one alarm threshold "
        "(the calibrated one ringed), re-run on every replicate's recorded daily observations (exact for the "
        "first alarm); delay counts from each replicate's true onset, over replicates whose first alarm was "
        "not false; points on the top line never detected in the median. Drawn only for runs with replicates."),
    Plot.reliability: PlotSpec(reliability, "Cheap model reliability",
        "Points below the diagonal are overconfident answers: compare the two periods to see how the drift "
        "moved the cheap model's calibration (a cascade trusts this confidence)."),
    Plot.churn_contacts: PlotSpec(churn_contacts, "Churn and human contacts",
        "Where a policy's line runs above zero, its quality loss is landing on the support and retention "
        "budgets; the height is the weekly excess over the baseline."),
}
