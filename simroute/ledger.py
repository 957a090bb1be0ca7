"""The cost ledger: every cost in exactly one cost center, per day/month and policy."""
from __future__ import annotations

from enum import Enum

import numpy as np
import polars as pl

from .metrics import PolicyDays
from .scenario.schema import Scenario
from .world.outcomes import NANO

DAYS_PER_MONTH = 30


class CostCenter(str, Enum):
    """Who pays: the team owning the router, or one of the teams downstream of it."""

    ai_platform = "ai_platform"
    support = "support"
    retention = "retention"
    compliance = "compliance"


INVISIBLE = (CostCenter.support, CostCenter.retention, CostCenter.compliance)


def _policy_lines(s: Scenario, name: str, d: PolicyDays) -> list[tuple[str, str, np.ndarray]]:
    """(cost center, line item, daily USD) for one policy."""
    lines = []
    for m, model in enumerate(s.models):
        lines.append((CostCenter.ai_platform, f"inference:{model.name}", d.inference_nano[:, m] / NANO))
        if d.shadow_nano[:, m].any():
            lines.append((CostCenter.ai_platform, f"shadow_scoring:{model.name}", d.shadow_nano[:, m] / NANO))
    cfg = next(p for p in s.policies if p.name == name)
    clf = getattr(cfg, "classifier", None)
    if clf is not None:
        lines.append((CostCenter.ai_platform, "classifier", d.day[:, 0] * clf.usd_per_1k_queries / 1000.0))
    ver = getattr(cfg, "verifier", None)
    if ver is not None:
        lines.append((CostCenter.ai_platform, "verifier", d.day[:, 1] * ver.usd_per_1k_checks / 1000.0))
    contacts = d.tier[:, :, 10].sum(axis=1)
    lines.append((CostCenter.support, "human_contacts", contacts * s.economics.support.usd_per_contact))
    arpu = np.array([g.arpu_usd_per_month for g in s.users.segments])
    lost = d.churned_by_segment @ arpu * s.users.revenue_horizon_months
    lines.append((CostCenter.retention, "churned_revenue", lost))
    c = s.economics.compliance
    events, caught = d.tier[:, :, 7].sum(axis=1), d.tier[:, :, 8].sum(axis=1)
    lines.append((CostCenter.compliance, "caught_events", caught * c.usd_per_caught_event))
    lines.append((CostCenter.compliance, "missed_events_expected_violations",
                  (events - caught) * c.violation_probability_if_missed * c.usd_per_violation))
    lines.append((CostCenter.compliance, "audit_programme",
                  np.full(len(events), c.audit_usd_per_month / DAYS_PER_MONTH)))
    return [(cc.value, item, usd) for cc, item, usd in lines]


def daily_ledger(s: Scenario, days: dict[str, PolicyDays]) -> pl.DataFrame:
    """Long table: day, policy, cost_center, line_item, usd."""
    frames = []
    h = s.horizon_days
    for name, d in days.items():
        for cc, item, usd in _policy_lines(s, name, d):
            frames.append(pl.DataFrame({"day": np.arange(h, dtype=np.int32), "policy": [name] * h,
                                        "cost_center": [cc] * h, "line_item": [item] * h,
                                        "usd": usd.astype(np.float64)}))
    return pl.concat(frames)


def monthly_ledger(daily: pl.DataFrame) -> pl.DataFrame:
    """Per policy, month (30-day), cost center and line item, in USD."""
    return (daily.with_columns(month=(pl.col("day") // DAYS_PER_MONTH + 1).cast(pl.Int32))
            .group_by(["policy", "month", "cost_center", "line_item"], maintain_order=True)
            .agg(pl.col("usd").sum(), first_day=pl.col("day").min(), days=pl.col("day").count())
            .sort(["policy", "month", "cost_center", "line_item"]))


def center_totals(daily: pl.DataFrame, start: int, end: int) -> dict[str, dict[str, float]]:
    """USD per policy and cost center over days [start, end)."""
    window = daily.filter((pl.col("day") >= start) & (pl.col("day") < end))
    agg = window.group_by(["policy", "cost_center"]).agg(pl.col("usd").sum())
    out: dict[str, dict[str, float]] = {}
    for row in agg.iter_rows(named=True):
        out.setdefault(row["policy"], {cc.value: 0.0 for cc in CostCenter})[row["cost_center"]] = row["usd"]
    return out
