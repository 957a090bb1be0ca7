"""Threshold curves: the cost and quality a two-tier threshold rule would have had at every threshold, on
the traffic its policy actually served over its steady-state window (same queries, same answers)."""
from __future__ import annotations

import numpy as np
import polars as pl

from .frontier import aiq, curve_metrics, nondecreasing_hull
from .ledger import DAYS_PER_MONTH
from .metrics import CURVE_BINS, CURVE_FIELDS
from .world.outcomes import NANO

CURVE_SCHEMA = {"policy": pl.Utf8, "rule": pl.Utf8, "threshold": pl.Float64, "cheap_share": pl.Float64,
                "quality": pl.Float64, "ai_platform_usd_per_month": pl.Float64,
                "bill_pct_of_baseline": pl.Float64}


def rule_curve(counts: np.ndarray, cheap_always_runs: bool, usd_per_query: float) -> dict[str, np.ndarray]:
    """From per-bin totals (CURVE_BINS x CURVE_FIELDS) to cheap share, accuracy and total cost (USD) at each
    threshold t = k / CURVE_BINS, k = 0..CURVE_BINS, where bins at or above t answer on the cheap tier."""
    f = {name: counts[:, j].astype(np.float64) for j, name in enumerate(CURVE_FIELDS)}
    n = f["queries"].sum()

    def at_or_above(x):  # sum over bins >= k, for k = 0..B
        return np.concatenate([np.cumsum(x[::-1])[::-1], [0.0]])

    def below(x):        # sum over bins < k
        return np.concatenate([[0.0], np.cumsum(x)])
    cheap_n = at_or_above(f["queries"])
    correct = at_or_above(f["cheap_correct"]) + below(f["capable_correct"])
    cheap_cost = f["cheap_nano"].sum() if cheap_always_runs else at_or_above(f["cheap_nano"])
    cost = (cheap_cost + below(f["capable_nano"])) / NANO + usd_per_query * n
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"threshold": np.arange(CURVE_BINS + 1) / CURVE_BINS, "cheap_share": cheap_n / n,
                "quality": correct / n, "usd": np.broadcast_to(cost, cheap_n.shape).astype(np.float64)}


def threshold_curves(days: dict, windows: dict[str, tuple[int, int]],
                     baseline_ai_usd: dict[str, float]) -> pl.DataFrame:
    """One row per policy with a threshold rule and per threshold; cost is monthly over the policy's window
    and as a share of the baseline's AI-platform bill over the same days."""
    frames = []
    for name, d in days.items():
        if d.curve is None:
            continue
        a, b = windows[name]
        counts = d.curve[a:b].sum(axis=0)
        if counts[:, 0].sum() == 0:
            continue
        c = rule_curve(counts, d.rule.cheap_always_runs, d.rule.usd_per_query)
        base = baseline_ai_usd[name]
        k = len(c["threshold"])
        frames.append(pl.DataFrame({
            "policy": [name] * k, "rule": [d.rule.key] * k, "threshold": c["threshold"],
            "cheap_share": c["cheap_share"], "quality": c["quality"],
            "ai_platform_usd_per_month": c["usd"] * DAYS_PER_MONTH / (b - a),
            "bill_pct_of_baseline": 100.0 * c["usd"] / base if base else np.full(k, np.nan)}, schema=CURVE_SCHEMA))
    return pl.concat(frames) if frames else pl.DataFrame(schema=CURVE_SCHEMA)


def curve_metrics_table(curves: pl.DataFrame | None) -> pl.DataFrame:
    """RouteLLM's APGR and CPT(50%/80%) and RouterBench's AIQ of every threshold curve of a run, as headline
    rows (subject = policy, kind = "curve"); see the README, "Curve metrics", for the formulas. AIQ depends on
    the cost range, so every curve of the run is averaged over the same range: the bills all curves span."""
    rows = []
    if curves is not None and curves.height:
        spans = curves.group_by("policy").agg(lo=pl.col("bill_pct_of_baseline").min(),
                                              hi=pl.col("bill_pct_of_baseline").max())
        lo, hi = spans.select(pl.col("lo").max(), pl.col("hi").min()).row(0)
        shared = (float(lo), float(hi))
        for (policy,), c in curves.group_by("policy", maintain_order=True):
            cost, quality = c["bill_pct_of_baseline"].to_numpy(), c["quality"].to_numpy()
            m = curve_metrics(1.0 - c["cheap_share"].to_numpy(), quality, cost)
            if np.isfinite(shared).all() and shared[0] < shared[1]:
                m["aiq"] = aiq(cost, quality, shared)
            rows += [(policy, "curve", k, float(v)) for k, v in m.items()]
    return pl.DataFrame(rows, schema={"subject": pl.Utf8, "kind": pl.Utf8, "metric": pl.Utf8, "value": pl.Float64},
                        orient="row")


def routerbench_aiq(hulls: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    """AIQ as RouterBench's released code computes it (`calc_AIQ` in withmartian/routerbench, evaluation/AIQ.py),
    over a set of compared routers given as (cost, quality) points: each router's non-decreasing convex hull is
    extended flat to the largest cost any of them reaches, and its trapezoid area (from the hull's own cheapest
    point) is divided by that largest cost, not by the cost range. simroute's `aiq` is instead the hull's mean
    height over a shared cost range; the two agree only when every curve starts at cost 0."""
    built = {name: nondecreasing_hull(c, q) for name, (c, q) in hulls.items()}
    if not built:
        return {}
    top = max(float(x[-1]) for x, _ in built.values())
    out = {}
    for name, (x, y) in built.items():
        xs, ys = (np.append(x, top), np.append(y, y[-1])) if x[-1] < top else (x, y)
        area = float(np.sum(np.diff(xs) * (ys[1:] + ys[:-1])) / 2.0)
        out[name] = area / top if top > 0 else float("nan")
    return out


def routerbench_aiq_of_run(curves: pl.DataFrame | None) -> dict[str, float]:
    """RouterBench's `calc_AIQ` over every threshold curve of a run (cost: the bill as % of the baseline's)."""
    if curves is None or not curves.height:
        return {}
    return routerbench_aiq({str(policy): (c["bill_pct_of_baseline"].to_numpy(), c["quality"].to_numpy())
                            for (policy,), c in curves.group_by("policy", maintain_order=True)})
