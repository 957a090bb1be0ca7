"""What a sweep table tells: per-point means with intervals, break-even values, the tornado of one figure,
and each policy's cost-quality frontier with its curve metrics."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ..uncertainty import Interval, interval
from .run import SweepResult
from .spec import Mode


def point_means(r: SweepResult) -> pl.DataFrame:
    """point x subject x metric: mean over replicates (NaN-free), with the swept values."""
    keys = ["point", *[p.path for p in r.spec.parameters], "subject", "kind", "metric"]
    return (r.table.filter(pl.col("value").is_finite())
            .group_by(keys, maintain_order=True).agg(mean=pl.col("value").mean(), n=pl.len()))


def _crossing(x: np.ndarray, y: np.ndarray) -> float:
    """The first x where y (sampled at increasing x) crosses zero, by linear interpolation; NaN if never."""
    for i in range(len(x) - 1):
        if y[i] == 0:
            return float(x[i])
        if np.sign(y[i]) != np.sign(y[i + 1]) and np.isfinite(y[i]) and np.isfinite(y[i + 1]):
            return float(x[i] + (x[i + 1] - x[i]) * y[i] / (y[i] - y[i + 1]))
    return float("nan")


@dataclass(frozen=True)
class BreakEven:
    """Where `policy`'s `metric` crosses zero along `parameter`: from the mean curve, and the mean with a 95%
    interval of each replicate's own crossing (`crossed` of `replicates` cross inside the swept range)."""

    policy: str
    parameter: str
    metric: str
    at_mean_curve: float
    replicate_crossings: Interval
    sign_below: float  # the sign of the figure before the crossing (+1: positive below, negative above)


def break_even(r: SweepResult) -> list[BreakEven]:
    """Break-even of every policy along the break-even parameter (a 1-D grid: the only swept path)."""
    spec = r.spec
    if spec.mode is not Mode.grid:
        return []
    be = spec.break_even
    path = be.parameter if be and be.parameter else (spec.parameters[0].path if len(spec.parameters) == 1 else None)
    metric = be.metric if be else "net_value_usd_per_month"
    if path is None:
        return []
    rows = r.table.filter((pl.col("kind") == "policy") & (pl.col("metric") == metric))
    out = []
    for (policy,), d in rows.group_by("subject", maintain_order=True):
        if d["value"].is_nan().all() or d["value"].abs().max() == 0:
            continue
        mean = d.group_by(path).agg(pl.col("value").mean()).sort(path)
        x, y = mean[path].cast(pl.Float64).to_numpy(), mean["value"].to_numpy()
        per = []
        for _, dr in d.group_by("replicate", maintain_order=True):
            s = dr.sort(path)
            per.append(_crossing(s[path].cast(pl.Float64).to_numpy(), s["value"].to_numpy()))
        first = y[np.isfinite(y)][0] if np.isfinite(y).any() else np.nan
        out.append(BreakEven(policy, path, metric, _crossing(x, y), interval(per), float(np.sign(first))))
    return out


@dataclass(frozen=True)
class TornadoBar:
    """One parameter's swing of a figure: its value with the parameter at low and at high (others as is)."""

    policy: str
    parameter: str
    low_value: object
    high_value: object
    at_low: float
    at_high: float
    base: float

    @property
    def swing(self) -> float:
        return abs(self.at_high - self.at_low)


def tornado(r: SweepResult) -> list[TornadoBar]:
    """The one_at_a_time points read as a tornado of the spec's figure, widest swing first per policy."""
    spec = r.spec
    if spec.mode is not Mode.one_at_a_time:
        return []
    means = point_means(r).filter((pl.col("kind") == "policy") & (pl.col("metric") == spec.tornado.metric))
    value = {(row["subject"], row["point"]): row["mean"] for row in means.iter_rows(named=True)}
    names = [p.name for p in r.scenario.policies]
    policies = list(spec.tornado.policies or [n for n in names if (n, 0) in value])
    bars = []
    for policy in policies:
        base = value.get((policy, 0))
        if base is None:
            continue
        for i, p in enumerate(spec.parameters):
            lo, hi = 1 + 2 * i, 2 + 2 * i
            if (policy, lo) in value and (policy, hi) in value:
                bars.append(TornadoBar(policy, p.name, r.points[lo][p.path], r.points[hi][p.path],
                                       value[(policy, lo)], value[(policy, hi)], base))
    return sorted(bars, key=lambda b: (policies.index(b.policy), -b.swing))


def frontier(r: SweepResult) -> pl.DataFrame:
    """Per policy and point: mean bill (% of baseline) and quality, and whether the point is on the policy's
    cost-quality Pareto frontier across the sweep."""
    from ..frontier import pareto_front

    m = point_means(r).filter(pl.col("kind") == "policy")
    wide = (m.filter(pl.col("metric").is_in(["bill_pct_of_baseline", "quality", "net_value_usd_per_month"]))
            .pivot(on="metric", index=["subject", "point"], values="mean"))
    frames = []
    for (policy,), d in wide.group_by("subject", maintain_order=True):
        on = np.zeros(d.height, dtype=bool)
        on[pareto_front(d["bill_pct_of_baseline"].to_numpy(), d["quality"].to_numpy())] = True
        frames.append(d.with_columns(on_frontier=pl.Series(on)))
    return pl.concat(frames).rename({"subject": "policy"}) if frames else pl.DataFrame()


def curve_metric_intervals(r: SweepResult, point: int = 0) -> dict[str, dict[str, Interval]]:
    """APGR, CPT(50%), CPT(80%) and AIQ of each threshold curve at one point, over its replicates."""
    d = r.table.filter((pl.col("kind") == "curve") & (pl.col("point") == point))
    out: dict[str, dict[str, Interval]] = {}
    for (policy, metric), g in d.group_by(["subject", "metric"], maintain_order=True):
        out.setdefault(policy, {})[metric] = interval(g["value"].to_numpy())
    return out
