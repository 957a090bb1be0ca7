"""What a sweep table tells: per-point means with intervals, break-even values, the tornado of one figure,
and each policy's cost-quality frontier with its curve metrics."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ..frontier import pareto_front
from ..uncertainty import Interval, interval
from .run import SweepResult
from .spec import Mode


def point_means(r: SweepResult) -> pl.DataFrame:
    """point x subject x metric: mean over replicates (NaN-free), with the swept values."""
    keys = ["point", *[p.path for p in r.spec.parameters], "subject", "kind", "metric"]
    return (r.table.filter(pl.col("value").is_finite())
            .group_by(keys, maintain_order=True).agg(mean=pl.col("value").mean(), n=pl.len()))


def moves(curve: np.ndarray) -> bool:
    """Whether a mean curve changes along the sweep at all (policies share random numbers, so a policy the
    parameter does not touch gives the same figure at every point, up to summation order)."""
    scale = max(1.0, float(np.abs(curve).max()))
    return bool(np.ptp(curve) > 1e-9 * scale)


@dataclass(frozen=True)
class PointTable:
    """One figure's mean per point (rows) and policy (columns), with each point described by its values."""

    metric: str
    policies: list[str]
    points: list[str]  # "threshold = 0.3", "base", "price of a contact = 4 (low)"
    values: list[list[float | None]]  # [point][policy]


def _point_label(r: SweepResult, i: int) -> str:
    spec, pt = r.spec, r.points[i]
    swept = {p.path: p for p in spec.parameters}
    if spec.mode is Mode.one_at_a_time:
        if i == 0:
            return "the scenario as is"
        p = spec.parameters[(i - 1) // 2]
        return f"{p.name} = {_value(pt[p.path])} ({'low' if i % 2 else 'high'})"
    return ", ".join(f"{swept[k].name} = {_value(v)}" for k, v in pt.items() if k in swept)


def _value(v: object) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def point_table(r: SweepResult, metric: str | None = None) -> PointTable:
    """The per-point table of `metric` (default: the break-even figure, net value per month)."""
    metric = metric or _break_even_path(r)[1]
    m = point_means(r).filter((pl.col("kind") == "policy") & (pl.col("metric") == metric))
    value = {(row["point"], row["subject"]): row["mean"] for row in m.iter_rows(named=True)}
    names = [p.name for p in r.scenario.policies]
    policies = [n for n in names if any(k[1] == n for k in value)]
    policies += sorted({k[1] for k in value} - set(policies))
    rows = [[value.get((i, p)) for p in policies] for i in range(len(r.points))]
    return PointTable(metric, policies, [_point_label(r, i) for i in range(len(r.points))], rows)


BOOTSTRAP_SAMPLES = 2000
METRIC_LABELS = {"net_value_usd_per_month": "net value per month", "trap_ratio": "trap ratio",
                 "savings_usd_per_month": "inference saved per month",
                 "invisible_loss_usd_per_month": "invisible loss per month"}


def metric_label(metric: str) -> str:
    """A figure's name for sentences and axes."""
    return METRIC_LABELS.get(metric, metric.replace("_usd_", " (USD) ").replace("_", " ").strip())


def crossings(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per row of y (curves sampled at increasing x): the first x where the curve reaches zero, by linear
    interpolation between the bracketing points; NaN where it never does."""
    y = np.atleast_2d(y)
    out = np.full(y.shape[0], np.nan)
    hit = y[:, 0] == 0
    out[hit] = x[0]
    for i in range(len(x) - 1):  # a handful of grid points: vectorised over the rows
        a, b = y[:, i], y[:, i + 1]
        new = np.isnan(out) & ((a == 0) | (b == 0) | (np.sign(a) != np.sign(b))) & np.isfinite(a) & np.isfinite(b)
        with np.errstate(invalid="ignore", divide="ignore"):
            at = np.where(a == b, x[i], x[i] + (x[i + 1] - x[i]) * a / (a - b))
        out[new] = at[new]
    return out


@dataclass(frozen=True)
class BreakEven:
    """Where `policy`'s `metric` crosses zero along `parameter` (other swept parameters held at `given`): on
    the mean curve over replicates, with a 95% percentile bootstrap interval (replicates resampled with
    replacement; `no_crossing` is the share of resamples whose mean curve stays on one side)."""

    policy: str
    parameter: str
    metric: str
    given: dict
    at_mean_curve: float
    low: float
    high: float
    no_crossing: float
    replicates: int
    sign_below: float  # the figure's sign at the low end (+1: positive below the crossing, negative above)
    range: tuple[float, float, float, float]  # swept x from..to, and the mean figure at each end


def _bootstrap(values: np.ndarray, x: np.ndarray, seed: int) -> tuple[float, float, float]:
    """Percentile interval of the mean curve's crossing over replicate resamples, and the share of resamples
    without one. A resample that stays on one side crosses beyond the swept range, on the side its trend
    points to (+inf or -inf), so an interval can be open-ended instead of silently censored."""
    r = values.shape[0]
    if r < 2:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(0x62, r))))
    means = values[rng.integers(0, r, size=(BOOTSTRAP_SAMPLES, r))].mean(axis=1)
    found = crossings(x, means)
    beyond = np.where(np.sign(means[:, 0]) * (means[:, -1] - means[:, 0]) < 0, np.inf, -np.inf)
    miss = float(np.isnan(found).mean())
    found = np.where(np.isnan(found), beyond, found)
    return (float(np.quantile(found, 0.025, method="lower")), float(np.quantile(found, 0.975, method="higher")),
            miss)


def _break_even_path(r: SweepResult) -> tuple[str | None, str]:
    spec = r.spec
    be = spec.break_even
    path = be.parameter if be and be.parameter else (spec.parameters[0].path if len(spec.parameters) == 1 else None)
    return path, (be.metric if be else "net_value_usd_per_month")


def break_even(r: SweepResult) -> list[BreakEven]:
    """Break-even of every policy along the break-even parameter (numeric grid sweeps only), separately for
    each combination of the other swept parameters."""
    path, metric = _break_even_path(r)
    if r.spec.mode is not Mode.grid or path is None or not r.table.schema[path].is_numeric():
        return []
    others = [p.path for p in r.spec.parameters if p.path != path]
    rows = r.table.filter((pl.col("kind") == "policy") & (pl.col("metric") == metric))
    out = []
    for key, d in rows.group_by(["subject", *others], maintain_order=True):
        policy, given = key[0], dict(zip(others, key[1:], strict=True))
        wide = d.pivot(on=path, index="replicate", values="value", sort_columns=True)
        xs = sorted(float(c) for c in wide.columns if c != "replicate")
        wide = wide.select([c for c in wide.columns if c != "replicate"])
        by_value: list[str] = sorted(wide.columns, key=float)
        wide = wide.select(by_value)
        values = wide.to_numpy().astype(np.float64)
        if not np.isfinite(values).all() or np.abs(values).max() == 0:
            continue
        x, mean = np.array(xs), values.mean(axis=0)
        if not moves(mean):  # the swept parameter cannot affect this policy (another policy's threshold)
            continue
        lo, hi, miss = _bootstrap(values, x, r.spec.seed)
        out.append(BreakEven(policy, path, metric, given, float(crossings(x, mean)[0]), lo, hi, miss,
                             values.shape[0], float(np.sign(mean[0])), (x[0], x[-1], mean[0], mean[-1])))
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

    m = point_means(r).filter(pl.col("kind") == "policy")
    wide = (m.filter(pl.col("metric").is_in(["bill_pct_of_baseline", "quality", "net_value_usd_per_month"]))
            .pivot(on="metric", index=["subject", "point"], values="mean"))
    frames = []
    for _, d in wide.group_by("subject", maintain_order=True):
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
