"""Typed run results: per-policy headline figures over the steady-state window, plus the daily tables."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import polars as pl

from .engine import SimulationOutput
from .ledger import (DAYS_PER_MONTH, INVISIBLE, CostCenter, center_totals, daily_ledger, ledger_lines,
                     monthly_ledger)
from .metrics import DAY_FIELDS, TIER_FIELDS, PolicyDays, latency_quantile
from .reactions import OUTCOME_NAMES


@dataclass(frozen=True)
class PolicySummary:
    """Headline figures of one policy, monthly over the steady-state window, against the baseline."""

    kind: str
    bill_pct_of_baseline: float
    ai_platform_usd_per_month: float
    savings_usd_per_month: float
    invisible_loss_usd_per_month: dict[str, float]
    net_value_usd_per_month: float
    trap_ratio: float | None
    quality: dict[str, float]
    tier_share: dict[str, float]
    escalation_share: float
    latency_p50_s: float
    latency_p95_s: float
    thumbs_down_per_1k: float
    contacts_per_1k: float
    csat: float
    churned_users: int
    compliance_events: int
    compliance_caught: int
    holdout_parity: float | None
    surveys: dict[str, dict]


@dataclass(frozen=True)
class RunResult:
    """Everything a run produced; the CLI and exporters render it."""

    output: SimulationOutput
    window: tuple[int, int]
    baseline: str
    policies: dict[str, PolicySummary]
    daily: pl.DataFrame
    users_daily: pl.DataFrame
    ledger_daily: pl.DataFrame
    ledger: pl.DataFrame

    def summary_dict(self) -> dict:
        """The policies' figures as plain JSON-ready data."""
        return {name: asdict(p) for name, p in self.policies.items()}


def _quality(tier: np.ndarray, names: list[str]) -> dict[str, float]:
    n, ok = tier[:, :, 0].sum(axis=0), tier[:, :, 1].sum(axis=0)
    q = {"overall": float(ok.sum() / n.sum()) if n.sum() else float("nan")}
    for m, name in enumerate(names):
        if n[m]:
            q[name] = float(ok[m] / n[m])
    return q


def _policy_summary(res, name: str, d: PolicyDays, totals, base: str, a: int, b: int,
                    parity: float | None) -> PolicySummary:
    s = res.scenario
    names = [m.name for m in s.models]
    per_month = DAYS_PER_MONTH / (b - a)
    mine, ref = totals[name], totals[base]
    savings = (ref[CostCenter.ai_platform.value] - mine[CostCenter.ai_platform.value]) * per_month
    loss = {cc.value: (mine[cc.value] - ref[cc.value]) * per_month for cc in INVISIBLE}
    loss["total"] = sum(loss.values())
    tier = d.tier[a:b]
    n = int(tier[:, :, 0].sum())
    per_tier = tier[:, :, 0].sum(axis=0)
    csat_by = np.array([getattr(s.reactions, o).csat for o in OUTCOME_NAMES])
    outcomes = tier[:, :, 1:4].sum(axis=(0, 1))
    hist = d.latency_hist[a:b].sum(axis=0)
    base_bill = ref[CostCenter.ai_platform.value]
    return PolicySummary(
        kind=next(p.kind.value for p in s.policies if p.name == name),
        bill_pct_of_baseline=100.0 * (mine[CostCenter.ai_platform.value] / base_bill) if base_bill else float("nan"),
        ai_platform_usd_per_month=mine[CostCenter.ai_platform.value] * per_month,
        savings_usd_per_month=savings,
        invisible_loss_usd_per_month=loss,
        net_value_usd_per_month=savings - loss["total"],
        trap_ratio=loss["total"] / savings if savings > 0 else None,
        quality=_quality(tier, names),
        tier_share={names[m]: float(per_tier[m] / n) for m in range(len(names)) if per_tier[m]},
        escalation_share=float(tier[:, :, 11].sum() / n) if n else float("nan"),
        latency_p50_s=latency_quantile(hist, 0.5),
        latency_p95_s=latency_quantile(hist, 0.95),
        thumbs_down_per_1k=1000.0 * tier[:, :, 9].sum() / n if n else float("nan"),
        contacts_per_1k=1000.0 * tier[:, :, 10].sum() / n if n else float("nan"),
        csat=float(outcomes @ csat_by / outcomes.sum()) if outcomes.sum() else float("nan"),
        churned_users=int(d.day[a:b, 4].sum()),
        compliance_events=int(tier[:, :, 7].sum()),
        compliance_caught=int(tier[:, :, 8].sum()),
        holdout_parity=parity,
        surveys={k: asdict(v[name]) for k, v in res.surveys.items()},
    )


def daily_table(res: SimulationOutput) -> pl.DataFrame:
    """Per day x policy x tier counts, the tier's inference cost and quality."""
    names = [m.name for m in res.scenario.models]
    frames = []
    for pol, d in res.days.items():
        h, m, _ = d.tier.shape
        cols = {"day": np.repeat(np.arange(h, dtype=np.int32), m), "policy": [pol] * (h * m),
                "tier": names * h}
        for j, f in enumerate(TIER_FIELDS):
            cols[f] = d.tier[:, :, j].reshape(-1)
        cols["inference_usd"] = (d.inference_nano / 1e9).reshape(-1)
        frames.append(pl.DataFrame(cols))
    df = pl.concat(frames)
    return df.with_columns(quality=pl.when(pl.col("queries") > 0)
                           .then(pl.col("correct") / pl.col("queries")).otherwise(None))


def users_table(res: SimulationOutput) -> pl.DataFrame:
    """Per day x policy: users, churn, rollout share, router threshold and classifier/shadow counters."""
    frames = []
    for pol, d in res.days.items():
        h = len(d.rollout_share)
        cols = {"day": np.arange(h, dtype=np.int32), "policy": [pol] * h}
        for j, f in enumerate(DAY_FIELDS):
            cols[f] = d.day[:, j]
        cols["rollout_share"] = d.rollout_share
        cols["threshold"] = d.threshold
        frames.append(pl.DataFrame(cols))
    return pl.concat(frames)


def summarize(res: SimulationOutput) -> RunResult:
    """Turn raw counters into the ledger and the headline figures."""
    s = res.scenario
    w = s.steady_state
    a, b = w.start_day, w.end_day
    base = s.baseline.name
    lines = ledger_lines(s, res.days)
    totals = center_totals(lines, a, b)
    policies = {name: _policy_summary(res, name, d, totals, base, a, b, res.holdout_parity.get(name))
                for name, d in res.days.items()}
    return RunResult(res, (a, b), base, policies, daily_table(res), users_table(res), daily_ledger(lines),
                     monthly_ledger(lines))


def weekly_quality(daily: pl.DataFrame, policy: str) -> pl.DataFrame:
    """Week x tier quality for one policy, plus a pooled column."""
    d = daily.filter(pl.col("policy") == policy).with_columns(week=pl.col("day") // 7)
    per = d.group_by(["week", "tier"]).agg(pl.col("correct").sum(), pl.col("queries").sum())
    wide = (per.with_columns(q=pl.col("correct") / pl.col("queries"))
            .pivot(on="tier", index="week", values="q").sort("week"))
    pooled = (d.group_by("week").agg(pl.col("correct").sum() / pl.col("queries").sum())
              .rename({"correct": "pooled"}))
    return wide.join(pooled, on="week").sort("week")
