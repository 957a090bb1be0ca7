"""The scenario root: one validated, frozen config tree built once at the boundary."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, ModelWrapValidatorHandler, model_validator

from .base import MAX_DAYS, Day, Frozen, Name, bounds
from .economics import Economics, Reactions
from .measurable import needs_resolution, resolved_models
from .monitors import MonitorConfig
from .policies import CascadePolicy, ClassifierPolicy, PolicyConfig, PolicyKind, SinglePolicy
from .replay import replay_errors
from .tiers import Model
from .world import Drift, DriftTarget, Traffic, Users


class Engine(Frozen):
    """How the engine batches work; results do not depend on it."""

    batch_fraction_of_day: Annotated[float, *bounds(0.001, 1.0, doc="at least 86 s: finer batches change no "
                                                    "figure, only the time")] = Field(
        1.0, description="Queries are processed in batches of this fraction of a day (fraction of a day).")


class Window(Frozen):
    """The steady-state window the summary's monthly figures are averaged over: [start_day, end_day)."""

    start_day: Day
    end_day: Day


class Survey(Frozen):
    """A follow-up satisfaction survey of a panel of users who interacted during a cohort window."""

    name: Name
    cohort_start_day: Day = Field(description="First day of the cohort window (day).")
    cohort_end_day: Day = Field(description="Day after the cohort window (day, exclusive).")
    followup_days: Annotated[int, *bounds(0, MAX_DAYS)] = Field(
        90, description="Days after the window the survey is sent (days).")
    panel_size: Annotated[int, *bounds(1, 10_000_000)] = Field(
        20_000, description="Users sampled for the panel (users).")


class Report(Frozen):
    """What the summary compares and over which window."""

    baseline_policy: Name | None = Field(None, description="Policy the ledger compares against "
                                                           "(default: the first `single` policy).")
    steady_state: Window | None = Field(None, description="Window for every policy's monthly figures (default: "
                                                          "per policy, from its first full-rollout day to its "
                                                          "rollback or the horizon).")
    holdout_size: Annotated[int, *bounds(1, 10_000_000)] = Field(
        5000, description="Pre-drift holdout used for the parity check (queries).")
    surveys: tuple[Survey, ...] = Field(
        (), max_length=100, description="Cohort follow-up surveys (e.g. the 90-day follow-up).")


class Scenario(Frozen):
    """A whole simulated world and the policies to replay through it."""

    name: Name
    description: str = ""
    seed: Annotated[int, *bounds(0, 2**63 - 1)] = Field(
        0, description="Root seed; every number of the run follows from it.")
    horizon_days: Annotated[int, *bounds(1, MAX_DAYS)] = Field(description="Simulated days (days).")
    engine: Engine = Engine()
    outcome_correlation: Annotated[float, *bounds(0.0, 1.0)] = Field(
        0.7, description="Correlation of models' correctness on the same query (Gaussian copula, 0..1): "
                         "hard queries tend to be hard for every model.")
    users: Users
    traffic: Traffic
    models: tuple[Model, ...] = Field(min_length=1, max_length=32)
    reactions: Reactions
    economics: Economics
    drift: tuple[Drift, ...] = Field((), max_length=1000)
    policies: tuple[PolicyConfig, ...] = Field(min_length=1, max_length=100)
    monitors: tuple[MonitorConfig, ...] = Field(
        (), max_length=100, description="The measurement architecture: what the team watches, and how it alarms.")
    report: Report = Report()

    @model_validator(mode="wrap")
    @classmethod
    def _measurable_units(cls, data: Any, handler: ModelWrapValidatorHandler[Scenario]) -> Scenario:
        """Quality or confidence stated in measurable units is solved once here for the logit-unit parameters
        (on the validated traffic), then the tree is validated again with them."""
        s = handler(data)
        if not needs_resolution(s.models):
            return s
        raw = s.model_dump(mode="json")
        raw["models"] = resolved_models(s.models, s.traffic)
        return handler(raw)

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        errors = list(_reference_errors(self))
        if errors:
            raise ValueError("\n".join(errors))
        return self

    def model_index(self, name: str) -> int:
        """Position of a model by name."""
        return [m.name for m in self.models].index(name)

    @property
    def baseline(self) -> SinglePolicy:
        """The `single` policy every ledger delta is taken against."""
        wanted = self.report.baseline_policy
        for p in self.policies:
            if p.kind is PolicyKind.single and (wanted is None or p.name == wanted):
                return p
        raise LookupError("no baseline policy")  # unreachable after validation

    def window(self, policy) -> tuple[int, int]:
        """Days [start, end) a policy's monthly figures average over: explicit, or the policy's own steady
        state (`policy` is a policy config)."""
        w = self.report.steady_state
        if w is not None:
            return w.start_day, w.end_day
        return policy.window(self.horizon_days)

    def policy(self, name: str):
        """A policy's config by name."""
        return next(p for p in self.policies if p.name == name)


def _reference_errors(s: Scenario):
    models = [m.name for m in s.models]
    if len(set(models)) != len(models):
        yield "models: names must be unique"
    names = [p.name for p in s.policies]
    if len(set(names)) != len(names):
        yield "policies: names must be unique"
    for i, p in enumerate(s.policies):
        for field, m in p.named_models():
            if m not in models:
                yield f"policies[{i}].{field}: unknown model '{m}' (models: {', '.join(models)})"
    singles = [p.name for p in s.policies if p.kind is PolicyKind.single]
    wanted = s.report.baseline_policy
    if not singles:
        yield "policies: need a 'single' policy as the ledger baseline"
    elif wanted is not None and wanted not in singles:
        yield f"report.baseline_policy: '{wanted}' is not a single policy (single policies: {', '.join(singles)})"
    targets = {DriftTarget.intent: [i.name for i in s.traffic.intents],
               DriftTarget.segment: [g.name for g in s.users.segments],
               DriftTarget.model: models}
    for i, d in enumerate(s.drift):
        known = targets.get(d.spec.target)
        if known is not None and d.target not in known:
            hint = ("; to launch a new intent, declare it under traffic.intents with share: 0 and drift its share "
                    "up (see the README, A product launch)" if d.spec.target is DriftTarget.intent else "")
            yield f"drift[{i}].target: unknown {d.kind.value} target '{d.target}' (known: {', '.join(known)}){hint}"
        if d.start_day >= s.horizon_days:
            yield f"drift[{i}].start_day: must be before horizon_days ({s.horizon_days}), got {d.start_day}"
    for i, sv in enumerate(s.report.surveys):
        if not sv.cohort_start_day < sv.cohort_end_day <= s.horizon_days:
            yield (f"report.surveys[{i}]: need cohort_start_day < cohort_end_day <= horizon_days "
                   f"({s.horizon_days}), got [{sv.cohort_start_day}, {sv.cohort_end_day})")
    yield from _monitor_errors(s)
    yield from replay_errors(s)
    w = s.report.steady_state
    if w is not None and not (w.start_day < w.end_day <= s.horizon_days):
        yield (f"report.steady_state: need start_day < end_day <= horizon_days ({s.horizon_days}), "
               f"got [{w.start_day}, {w.end_day})")


def _monitor_errors(s: Scenario):
    policies = {p.name: p for p in s.policies}
    names = [m.name for m in s.monitors]
    if len(set(names)) != len(names):
        yield "monitors: names must be unique"
    for i, m in enumerate(s.monitors):
        p = policies.get(m.policy)
        if p is None:
            yield f"monitors[{i}].policy: unknown policy '{m.policy}' (policies: {', '.join(policies)})"
            continue
        if m.needs_classifier and not isinstance(p, ClassifierPolicy):
            yield (f"monitors[{i}].policy: a {m.kind.value} monitor needs a classifier router, "
                   f"'{p.name}' is {p.kind.value}")
        if m.needs_shadow and not (isinstance(p, CascadePolicy) and p.shadow is not None):
            yield f"monitors[{i}].policy: {m.kind.value} needs a cascade with shadow scoring, '{p.name}' has none"
    for i, p in enumerate(s.policies):
        r = p.rollback_on
        if r is None:
            continue
        watch = next((m for m in s.monitors if m.name == r.monitor), None)
        if watch is None:
            yield f"policies[{i}].rollback_on.monitor: unknown monitor '{r.monitor}' (monitors: {', '.join(names)})"
        elif watch.policy != p.name:
            yield (f"policies[{i}].rollback_on.monitor: '{r.monitor}' watches '{watch.policy}', "
                   f"not '{p.name}'")
