"""Typed run results: per-policy headline figures over the steady-state window, plus the daily tables."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Protocol

import numpy as np
import polars as pl

from .curves import threshold_curves
from .detection import calibration_summary, calibration_tables, model_reliability_table, monitor_summaries
from .engine import SimulationOutput
from .ledger import DAYS_PER_MONTH, INVISIBLE, CostCenter, center_totals, daily_ledger, ledger_lines, monthly_ledger
from .metrics import DAY_FIELDS, TIER_FIELDS, D, latency_quantile
from .needs import EVERYTHING, Needs
from .reactions import OUTCOME_NAMES

MATERIAL_SAVINGS = 0.001  # the trap ratio needs savings above 0.1% of the baseline's AI-platform cost


class SpreadInterval(Protocol):
    """One figure's mean and interval over replicates (an `uncertainty.Interval`)."""

    @property
    def mean(self) -> float: ...
    @property
    def low(self) -> float: ...
    @property
    def high(self) -> float: ...

    def as_dict(self) -> dict: ...


class Spread(Protocol):
    """A run's replicates as its readers use them: a `replicates.ReplicateSet`, described by shape because
    replicates sit a layer above the run's results."""

    @property
    def seed(self) -> int: ...
    @property
    def n(self) -> int: ...
    @property
    def table(self) -> pl.DataFrame: ...
    @property
    def intervals(self) -> Mapping[str, Mapping[str, SpreadInterval]]: ...  # subject -> figure -> interval

    def document(self) -> dict: ...


@dataclass(frozen=True)
class PolicySummary:
    """Headline figures of one policy, monthly over its steady-state window, against the baseline."""

    kind: str
    window_start_day: int
    window_end_day: int
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
    savings_usd_over_horizon: float
    invisible_loss_usd_over_horizon: float
    net_value_usd_over_horizon: float
    rollback_on_alarm: dict | None


@dataclass(frozen=True)
class RunResult:
    """Everything a run produced; the CLI and exporters render it."""

    output: SimulationOutput
    window: tuple[int, int] | None  # the scenario's explicit window, or None when each policy has its own
    baseline: str
    policies: dict[str, PolicySummary]
    daily: pl.DataFrame
    users_daily: pl.DataFrame
    ledger_daily: pl.DataFrame
    ledger: pl.DataFrame
    monitors: dict = field(default_factory=dict)
    monitor_series: pl.DataFrame | None = None
    reliability: pl.DataFrame | None = None
    calibration: pl.DataFrame | None = None
    calibration_summary: dict = field(default_factory=dict)
    curves: pl.DataFrame | None = None     # threshold curves of the two-tier threshold policies
    model_reliability: pl.DataFrame | None = None  # every model's true reliability per week
    provenance: dict[str, str] = field(default_factory=dict)  # YAML path -> its source comment
    replicates: Spread | None = None  # intervals over independent child seeds, when asked for

    def summary_dict(self) -> dict:
        """The policies' figures as plain JSON-ready data."""
        return {name: asdict(p) for name, p in self.policies.items()}


def _ratio(num: float, den: float, scale: float = 1.0) -> float:
    return scale * (num / den) if den else float("nan")


def _quality(correct: np.ndarray, served: np.ndarray, names: list[str]) -> dict[str, float]:
    q = {"overall": _ratio(correct.sum(), served.sum())}
    q.update({name: float(correct[m] / served[m]) for m, name in enumerate(names) if served[m]})
    return q


def _economics(mine: dict, ref: dict, days: int) -> tuple[float, dict[str, float]]:
    """Monthly savings and invisible loss by cost center from window totals."""
    per_month = DAYS_PER_MONTH / days
    ai = CostCenter.ai_platform.value
    loss = {cc.value: (mine[cc.value] - ref[cc.value]) * per_month for cc in INVISIBLE}
    loss["total"] = sum(loss.values())
    return (ref[ai] - mine[ai]) * per_month, loss


def _rollback_record(res: SimulationOutput, name: str, horizon_loss: dict[str, float]) -> dict | None:
    """For a policy that rolls back on an alarm: when, and the loss avoided against its twin without it."""
    cfg = res.configs[name]
    if cfg.rollback_on is None:
        return None
    twin = cfg.twin_name
    fired = res.rollbacks_on_alarm.get(name, {})
    return {"monitor": cfg.rollback_on.monitor, "alarm_day": fired.get("alarm_day"),
            "rollback_day": fired.get("rollback_day"), "compared_with": twin,
            "loss_avoided_usd_over_horizon": horizon_loss[twin] - horizon_loss[name]}


def _horizon(lines, names: list[str], base: str, horizon: int) -> dict[str, tuple[float, float]]:
    """(savings, invisible loss) over the whole horizon, per policy."""
    totals = center_totals(lines, 0, horizon)
    out = {}
    for name in names:
        savings, loss = _economics(totals[name], totals[base], DAYS_PER_MONTH)
        out[name] = (savings, loss["total"])
    return out


def _policy_summary(res: SimulationOutput, name: str, totals_for, base: str, horizon: dict) -> PolicySummary:
    s, d, cfg = res.scenario, res.days[name], res.configs[name]
    a, b = s.window(cfg)
    totals = totals_for(a, b)
    mine, ref = totals[name], totals[base]
    savings, loss = _economics(mine, ref, b - a)
    h_savings, h_loss = horizon[name]
    names = [m.name for m in s.models]
    days = slice(a, b)
    served = d.tier_total("queries", days)
    n = int(served.sum())
    outcomes = np.array([d.tier_total(o, days).sum() for o in OUTCOME_NAMES])
    csat_by = np.array([getattr(s.reactions, o).csat for o in OUTCOME_NAMES])
    hist = d.latency_hist[days].sum(axis=0)
    ai = CostCenter.ai_platform.value
    return PolicySummary(
        kind=cfg.kind.value, window_start_day=a, window_end_day=b,
        bill_pct_of_baseline=_ratio(mine[ai], ref[ai], 100.0),
        ai_platform_usd_per_month=mine[ai] * DAYS_PER_MONTH / (b - a),
        savings_usd_per_month=savings, invisible_loss_usd_per_month=loss,
        net_value_usd_per_month=savings - loss["total"],
        trap_ratio=loss["total"] / savings if savings > MATERIAL_SAVINGS * ref[ai] * DAYS_PER_MONTH / (b - a)
        else None,
        quality=_quality(d.tier_total("correct", days), served, names),
        tier_share={names[m]: float(served[m] / n) for m in range(len(names)) if served[m]},
        escalation_share=_ratio(d.tier_total("escalated", days).sum(), n),
        latency_p50_s=latency_quantile(hist, 0.5), latency_p95_s=latency_quantile(hist, 0.95),
        thumbs_down_per_1k=_ratio(d.tier_total("thumbs_down", days).sum(), n, 1000.0),
        contacts_per_1k=_ratio(d.tier_total("contacts", days).sum(), n, 1000.0),
        csat=_ratio(float(outcomes @ csat_by), outcomes.sum()),
        churned_users=int(d.day[days, D["churned"]].sum()),
        compliance_events=int(d.tier_total("compliance_events", days).sum()),
        compliance_caught=int(d.tier_total("compliance_caught", days).sum()),
        holdout_parity=res.holdout_parity.get(name),
        surveys={k: asdict(v[name]) for k, v in res.surveys.items()},
        savings_usd_over_horizon=h_savings, invisible_loss_usd_over_horizon=h_loss,
        net_value_usd_over_horizon=h_savings - h_loss,
        rollback_on_alarm=_rollback_record(res, name, {k: v[1] for k, v in horizon.items()}),
    )


def daily_table(res: SimulationOutput) -> pl.DataFrame:
    """Per day x policy x tier counts and quality (answers by the model `tier`), plus what running model
    `tier` cost that day on the answer path (`model_inference_usd`) and as a shadow (`model_shadow_usd`)."""
    names = [m.name for m in res.scenario.models]
    frames = []
    for pol, d in res.days.items():
        h, m, _ = d.tier.shape
        cols = {"day": np.repeat(np.arange(h, dtype=np.int32), m), "policy": [pol] * (h * m),
                "tier": names * h}
        for j, f in enumerate(TIER_FIELDS):
            cols[f] = d.tier[:, :, j].reshape(-1)
        cols["model_inference_usd"] = (d.inference_nano / 1e9).reshape(-1)
        cols["model_shadow_usd"] = (d.shadow_nano / 1e9).reshape(-1)
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


def summarize(res: SimulationOutput, needs: Needs = EVERYTHING) -> RunResult:
    """Turn raw counters into the ledger and the headline figures (and, when `needs.tables`, the per-day and
    reliability tables the results folder writes; else they are left empty)."""
    s = res.scenario
    base = s.baseline.name
    lines = ledger_lines(s, res.configs, res.days)
    horizon = _horizon(lines, list(res.days), base, s.horizon_days)
    windows: dict[tuple[int, int], dict] = {}

    def totals_for(a: int, b: int) -> dict:
        if (a, b) not in windows:
            windows[(a, b)] = center_totals(lines, a, b)
        return windows[(a, b)]
    policies = {name: _policy_summary(res, name, totals_for, base, horizon) for name in res.days}
    spans = {name: s.window(res.configs[name]) for name in res.days}
    ai = CostCenter.ai_platform.value
    curves = threshold_curves(res.days, spans, {n: totals_for(*ab)[base][ai] for n, ab in spans.items()})
    w = s.report.steady_state
    window = (w.start_day, w.end_day) if w is not None else None
    series = res.monitors.series if res.monitors is not None else None
    if not needs.tables:
        empty = pl.DataFrame()
        return RunResult(res, window, base, policies, empty, empty, empty, empty, monitor_summaries(res), series,
                         curves=curves)
    reliability, calibration = calibration_tables(res)
    return RunResult(res, window, base, policies, daily_table(res), users_table(res), daily_ledger(lines),
                     monthly_ledger(lines), monitor_summaries(res), series, reliability, calibration,
                     calibration_summary(res), curves, model_reliability_table(res))


def weekly_quality(daily: pl.DataFrame, policy: str) -> pl.DataFrame:
    """Week x tier quality for one policy, plus a pooled column."""
    d = daily.filter(pl.col("policy") == policy).with_columns(week=pl.col("day") // 7)
    per = d.group_by(["week", "tier"]).agg(pl.col("correct").sum(), pl.col("queries").sum())
    wide = (per.with_columns(q=pl.col("correct") / pl.col("queries"))
            .pivot(on="tier", index="week", values="q").sort("week"))
    pooled = (d.group_by("week").agg(pl.col("correct").sum() / pl.col("queries").sum())
              .rename({"correct": "pooled"}))
    return wide.join(pooled, on="week").sort("week")
