"""The cost ledger: every cost in exactly one cost center, per day/month and policy."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np
import polars as pl

from .metrics import D, PolicyDays, T
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


@dataclass(frozen=True)
class LedgerLine:
    """One line item of one policy: its cost center and its cost per day (USD)."""

    policy: str
    cost_center: str
    line_item: str
    usd: np.ndarray


def _policy_lines(s: Scenario, cfg, d: PolicyDays) -> list[LedgerLine]:
    """Every line item of one policy (config `cfg`), each in exactly one cost center."""
    name = cfg.name
    lines = []
    for m, model in enumerate(s.models):
        lines.append((CostCenter.ai_platform, f"inference:{model.name}", d.inference_nano[:, m] / NANO))
        if d.shadow_nano[:, m].any():
            lines.append((CostCenter.ai_platform, f"shadow_scoring:{model.name}", d.shadow_nano[:, m] / NANO))
    clf = getattr(cfg, "classifier", None)
    if clf is not None:
        lines.append((CostCenter.ai_platform, "classifier",
                      d.day[:, D["classifier_calls"]] * clf.usd_per_1k_queries / 1000.0))
    ver = getattr(cfg, "verifier", None)
    if ver is not None:
        lines.append((CostCenter.ai_platform, "verifier",
                      d.day[:, D["verifier_calls"]] * ver.usd_per_1k_checks / 1000.0))
    contacts = d.tier[:, :, T["contacts"]].sum(axis=1)
    lines.append((CostCenter.support, "human_contacts", contacts * s.economics.support.usd_per_contact))
    arpu = np.array([g.arpu_usd_per_month for g in s.users.segments])
    lost = d.churned_by_segment @ arpu * s.users.revenue_horizon_months
    lines.append((CostCenter.retention, "churned_revenue", lost))
    c = s.economics.compliance
    events = d.tier[:, :, T["compliance_events"]].sum(axis=1)
    caught = d.tier[:, :, T["compliance_caught"]].sum(axis=1)
    lines.append((CostCenter.compliance, "caught_events", caught * c.usd_per_caught_event))
    lines.append((CostCenter.compliance, "missed_events_expected_violations",
                  (events - caught) * c.violation_probability_if_missed * c.usd_per_violation))
    lines.append((CostCenter.compliance, "audit_programme",
                  np.full(len(events), c.audit_usd_per_month / DAYS_PER_MONTH)))
    return [LedgerLine(name, cc.value, item, np.asarray(usd, dtype=np.float64)) for cc, item, usd in lines]


def ledger_lines(s: Scenario, configs: dict, days: dict[str, PolicyDays]) -> list[LedgerLine]:
    """All simulated policies' line items, in a fixed order (policies as simulated)."""
    return [line for name, d in days.items() for line in _policy_lines(s, configs[name], d)]


def daily_ledger(lines: list[LedgerLine]) -> pl.DataFrame:
    """Long table: day, policy, cost_center, line_item, usd."""
    frames = []
    for ln in lines:
        h = len(ln.usd)
        frames.append(pl.DataFrame({"day": np.arange(h, dtype=np.int32), "policy": [ln.policy] * h,
                                    "cost_center": [ln.cost_center] * h, "line_item": [ln.line_item] * h,
                                    "usd": ln.usd}))
    return pl.concat(frames)


def monthly_ledger(lines: list[LedgerLine]) -> pl.DataFrame:
    """Policy x month (30-day) x cost center x line item, rounded to the cent so its rows add up as shown."""
    rows: dict[str, list] = {k: [] for k in ("policy", "month", "cost_center", "line_item", "usd",
                                              "first_day", "days")}
    for ln in lines:
        h = len(ln.usd)
        starts = np.arange(0, h, DAYS_PER_MONTH)
        sums = np.add.reduceat(ln.usd, starts)
        for k, (a, total) in enumerate(zip(starts.tolist(), sums, strict=True)):
            for key, val in (("policy", ln.policy), ("month", k + 1), ("cost_center", ln.cost_center),
                             ("line_item", ln.line_item), ("usd", round(float(total), 2)),
                             ("first_day", int(a)), ("days", int(min(h, a + DAYS_PER_MONTH) - a))):
                rows[key].append(val)
    df = pl.DataFrame(rows, schema={"policy": pl.Utf8, "month": pl.Int32, "cost_center": pl.Utf8,
                                    "line_item": pl.Utf8, "usd": pl.Float64, "first_day": pl.Int32,
                                    "days": pl.Int32})
    return df.sort(["policy", "month", "cost_center", "line_item"], maintain_order=True)


def center_totals(lines: list[LedgerLine], start: int, end: int) -> dict[str, dict[str, float]]:
    """USD per policy and cost center over days [start, end), summed in a fixed order (deterministic)."""
    out: dict[str, dict[str, float]] = {}
    for ln in lines:
        centers = out.setdefault(ln.policy, {cc.value: 0.0 for cc in CostCenter})
        centers[ln.cost_center] += float(np.sum(ln.usd[start:end]))
    return out
