"""Headline figures of a run as a flat table, and their mean with a Student-t 95% interval over replicates.

A replicate is the same scenario under the k-th child seed of its root seed; policies stay paired inside a
replicate (common random numbers), replicates are independent of one another.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from .ledger import INVISIBLE
from .summary import RunResult

LEVEL = 0.95
HEADLINE_SCHEMA = {"subject": pl.Utf8, "kind": pl.Utf8, "metric": pl.Utf8, "value": pl.Float64}


def _num(x) -> float:
    return float("nan") if x is None else float(x)


def figure_names(scenario) -> list[str]:
    """Every per-policy headline figure name a run of `scenario` produces (for validating sweep files)."""
    return ["bill_pct_of_baseline", "ai_platform_usd_per_month", "savings_usd_per_month",
            *(f"loss_{cc.value}_usd_per_month" for cc in INVISIBLE), "invisible_loss_usd_per_month",
            "net_value_usd_per_month", "trap_ratio", "quality", *(f"quality_{m.name}" for m in scenario.models),
            "escalation_share", "contacts_per_1k", "churned_users", "net_value_usd_over_horizon"]


def policy_headline(p) -> dict[str, float]:
    """The headline figures of one PolicySummary, by the names the exporters and the check use."""
    out = {"bill_pct_of_baseline": p.bill_pct_of_baseline, "ai_platform_usd_per_month": p.ai_platform_usd_per_month,
           "savings_usd_per_month": p.savings_usd_per_month}
    for cc in INVISIBLE:
        out[f"loss_{cc.value}_usd_per_month"] = p.invisible_loss_usd_per_month[cc.value]
    out["invisible_loss_usd_per_month"] = p.invisible_loss_usd_per_month["total"]
    out["net_value_usd_per_month"] = p.net_value_usd_per_month
    out["trap_ratio"] = _num(p.trap_ratio)
    out["quality"] = p.quality["overall"]
    out.update({f"quality_{tier}": q for tier, q in p.quality.items() if tier != "overall"})
    out["escalation_share"] = p.escalation_share
    out["contacts_per_1k"] = p.contacts_per_1k
    out["churned_users"] = float(p.churned_users)
    out["net_value_usd_over_horizon"] = p.net_value_usd_over_horizon
    return {k: _num(v) for k, v in out.items()}


def headline(result: RunResult) -> pl.DataFrame:
    """One row per (policy or monitor, metric): the run's headline figures (NaN where undefined)."""
    rows = [(name, "policy", k, v) for name, p in result.policies.items() for k, v in policy_headline(p).items()]
    rows += [(name, "monitor", "detection_day", _num(m.first_alarm_day)) for name, m in result.monitors.items()]
    rows += [(name, "monitor", "false_alarms", float(m.false_alarms)) for name, m in result.monitors.items()]
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
    """The two-sided Student-t critical value (scipy imported here only: it is slow to import)."""
    from scipy.stats import t
    return float(t.ppf(0.5 + level / 2.0, dof))


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
