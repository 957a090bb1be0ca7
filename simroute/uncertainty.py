"""Headline figures of a run as a flat table, and their mean with a Student-t 95% interval over replicates.

A replicate is the same scenario under the k-th child seed of its root seed; policies stay paired inside a
replicate (common random numbers), replicates are independent of one another.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.stats import t as student_t

from .figures import MISSING, MONITOR_FIGURES, policy_figures
from .summary import RunResult

LEVEL = 0.95
HEADLINE_SCHEMA = {"subject": pl.Utf8, "kind": pl.Utf8, "metric": pl.Utf8, "value": pl.Float64}


def _num(x) -> float:
    return float("nan") if x is None else float(x)


def figure_names(scenario) -> list[str]:
    """Every per-policy headline figure name a run of `scenario` produces (for validating sweep files)."""
    return [f.name for f in policy_figures([m.name for m in scenario.models])]


def policy_headline(p, tiers: list[str] | None = None) -> dict[str, float]:
    """The headline figures of one PolicySummary, by the names the exporters and the check use (NaN where
    undefined; a tier the policy never served has no quality figure). `tiers` default to those it served."""
    tiers = [t for t in p.quality if t != "overall"] if tiers is None else tiers
    out = {f.name: f.read(p) for f in policy_figures(tiers)}
    return {k: _num(v) for k, v in out.items() if v is not MISSING}


def headline(result: RunResult) -> pl.DataFrame:
    """One row per (policy or monitor, metric): the run's headline figures (NaN where undefined)."""
    tiers = [m.name for m in result.output.scenario.models]
    rows = [(name, "policy", k, v) for name, p in result.policies.items()
            for k, v in policy_headline(p, tiers).items()]
    for f in MONITOR_FIGURES:
        rows += [(name, "monitor", f.name, _num(f.read(m))) for name, m in result.monitors.items()]
    return pl.DataFrame(rows, schema=HEADLINE_SCHEMA, orient="row")


@dataclass(frozen=True)
class Interval:
    """Mean of the finite values with a two-sided Student-t interval; `n` finite out of `replicates`."""

    mean: float
    low: float
    high: float
    sd: float
    n: int
    replicates: int

    def as_dict(self) -> dict:
        return {"mean": self.mean, "low": self.low, "high": self.high, "sd": self.sd, "n": self.n,
                "replicates": self.replicates}


def t_quantile(level: float, dof: int) -> float:
    """The two-sided Student-t critical value."""
    return float(student_t.ppf(0.5 + level / 2.0, dof))


def interval(values, level: float = LEVEL) -> Interval:
    """mean ± t(level, n-1) · sd / sqrt(n) over the finite values; NaN bounds below two values."""
    v = np.asarray(values, dtype=np.float64)
    x = v[np.isfinite(v)]
    n = len(x)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, math.nan, 0, len(v))
    mean = float(x.mean())
    if n < 2:
        return Interval(mean, math.nan, math.nan, math.nan, 1, len(v))
    sd = float(x.std(ddof=1))
    half = t_quantile(level, n - 1) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, sd, n, len(v))


def intervals(table: pl.DataFrame, level: float = LEVEL) -> dict[str, dict[str, Interval]]:
    """subject -> metric -> Interval from a long table with a `replicate` column (one value per replicate)."""
    out: dict[str, dict[str, Interval]] = {}
    grouped = table.group_by(["subject", "metric"], maintain_order=True).agg(pl.col("value"))
    for subject, metric, values in grouped.iter_rows():
        out.setdefault(subject, {})[metric] = interval(values, level)
    return out
