"""Scenario nodes for routing policies: one config class per policy kind, a tagged union on `kind`."""
from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from .base import Day, Days, Frozen, Milliseconds, Name, Probability, bounds, usd
from .monitors import RollbackOnAlarm

TWIN_MARK = "~"  # in a simulated twin's name: "<policy>~without_<monitor>"


class PolicyKind(str, Enum):
    """Every routing policy simroute knows; the registry is keyed by this."""

    single = "single"
    pre_route = "pre_route"
    soft_threshold = "soft_threshold"
    cascade = "cascade"
    oracle = "oracle"
    random = "random"


class RolloutStep(Frozen):
    """From `day` on, `share` of users (bucketed by user) get the policy; the rest get the baseline model."""

    day: Day = Field(description="Day the step takes effect (day).")
    share: Probability = Field(description="Share of users on the policy from that day (fraction).")


class Rollback(Frozen):
    """At `day` the rollout share drops to `to_share` (a fixed-week rollback)."""

    day: Day = Field(description="Day of the rollback (day).")
    to_share: Probability = Field(0.0, description="Share of users left on the policy (fraction).")


class ClassifierMethod(str, Enum):
    """How the surface classifier scores a query."""

    encoder = "encoder"
    embedding = "embedding"


class Classifier(Frozen):
    """A surface classifier trained inside the run on a pre-drift historical sample with taxonomy labels."""

    method: ClassifierMethod = ClassifierMethod.encoder
    training_samples: Annotated[int, *bounds(100, 5_000_000)] = Field(
        200_000, description="Historical labelled queries it is trained on (count).")
    training_day: Day = Field(0, description="Day whose traffic mix the historical sample follows (day).")
    label_noise: Probability = Field(0.02, description="Share of training labels flipped (fraction).")
    ridge: Annotated[float, *bounds(0.0, 1e6)] = Field(
        1e-3, description="L2 penalty per training sample of the logistic fit (dimensionless).")
    latency_ms: Milliseconds = Field(30.0, description="Scoring latency (milliseconds).")
    usd_per_1k_queries: Annotated[float, *usd(1e4, "$10 per scored query")] = Field(
        0.01, description="Scoring cost (USD per 1k queries).")


class PolicyBase(Frozen):
    """Fields every policy has."""

    name: Name
    rollout: tuple[RolloutStep, ...] = Field((RolloutStep(day=0, share=1.0),), min_length=1, max_length=1000)
    rollback: Rollback | None = None
    rollback_on: RollbackOnAlarm | None = Field(
        None, description="Roll back when a monitor alarms; the run also simulates this policy without it, "
                          "as '<name>~without_<monitor>', to price what the monitor is worth.")

    @property
    def twin_name(self) -> str | None:
        """The name of the simulated copy without `rollback_on` (None when the policy has no such rule)."""
        return None if self.rollback_on is None else f"{self.name}{TWIN_MARK}without_{self.rollback_on.monitor}"

    @model_validator(mode="after")
    def _rollout_order(self):
        days = [s.day for s in self.rollout]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ValueError("rollout: steps must have strictly increasing days")
        if self.rollback is not None and days[-1] >= self.rollback.day:
            raise ValueError(f"rollback.day: must be after the last rollout step (day {days[-1]}), "
                             f"got {self.rollback.day}")
        return self

    def named_models(self) -> list[tuple[str, str]]:
        """(field path, model name) of every model the policy names, for the scenario's cross-reference check."""
        return []

    def window(self, horizon: int) -> tuple[int, int]:
        """Default steady state: from the first day at full rollout to the rollback (or the horizon)."""
        full = [s.day for s in self.rollout if s.share >= 1.0]
        start = full[0] if full else self.rollout[-1].day
        end = self.rollback.day if self.rollback is not None else horizon
        return min(start, horizon - 1), max(min(end, horizon), min(start, horizon - 1) + 1)


class SinglePolicy(PolicyBase):
    """Everything to one model: the pre-optimisation baseline."""

    kind: Literal[PolicyKind.single]
    model: Name

    def named_models(self) -> list[tuple[str, str]]:
        return [("model", self.model)]


class TwoTierPolicy(PolicyBase):
    """A policy that chooses between a cheap and a capable model."""

    cheap_model: Name
    capable_model: Name

    def named_models(self) -> list[tuple[str, str]]:
        return [("cheap_model", self.cheap_model), ("capable_model", self.capable_model)]


class ClassifierPolicy(TwoTierPolicy):
    """A two-tier policy that decides from a surface classifier's P(simple)."""

    classifier: Classifier = Classifier()


class PreRoutePolicy(ClassifierPolicy):
    """A surface classifier sends queries scored simple (p >= threshold) to the cheap model."""

    kind: Literal[PolicyKind.pre_route]
    threshold: Probability = Field(0.5, description="Route to cheap when P(simple) >= threshold.")


class Verifier(Frozen):
    """An output check on cheap answers; a flagged answer is retried on the capable model."""

    true_positive_rate: Probability = Field(description="Share of wrong answers flagged (fraction).")
    false_positive_rate: Probability = Field(description="Share of correct answers flagged (fraction).")
    usd_per_1k_checks: Annotated[float, *usd(1e4, "$10 per check")] = Field(
        0.5, description="Cost (USD per 1k checks).")
    latency_ms: Milliseconds = Field(200.0, description="Latency of one check (milliseconds).")


class Recalibration(Frozen):
    """Periodic threshold adjustment from a labelled sample of one tier's answers."""

    every_days: Days = Field(7, description="Days between recalibrations (days).")
    reviews_per_day: Annotated[int, *bounds(1, 1_000_000)] = Field(
        50, description="Labelled reviews of cheap-tier answers (per day).")
    target_quality: Probability = Field(0.9, description="Cheap-tier accuracy to hold (fraction).")
    step: Annotated[float, *bounds(0.0, 1.0, lo_open=True)] = Field(
        0.02, description="Threshold change per recalibration (probability units).")
    hysteresis: Probability = Field(
        0.02, description="Accuracy margin above target the exploration band needs before `high` relaxes "
                          "(fraction).")


class SoftThresholdPolicy(ClassifierPolicy):
    """Two thresholds with an exploration band, optional verifier retry and recalibration."""

    kind: Literal[PolicyKind.soft_threshold]
    high: Probability = Field(0.8, description="P(simple) at or above which queries go to cheap.")
    low: Probability = Field(0.3, description="P(simple) below which queries go to capable.")
    exploration_share: Probability = Field(
        0.05, description="Share of the middle band sent to cheap for evaluation (fraction).")
    verifier: Verifier | None = None
    recalibration: Recalibration | None = None

    @model_validator(mode="after")
    def _band(self):
        if self.low > self.high:
            raise ValueError(f"low: must be <= high ({self.high:g}), got {self.low:g}")
        return self


class Shadow(Frozen):
    """Also run the last model of the chain on a share of confident (non-escalated) traffic, and have a judge
    compare the two answers (a judge sees agreement, not correctness, and makes mistakes)."""

    share: Probability = Field(0.02, description="Share of confident traffic shadow-scored (fraction).")
    judge_miss_rate: Probability = Field(
        0.1, description="Share of differing answer pairs the judge calls equivalent (fraction).")
    judge_false_alarm_rate: Probability = Field(
        0.02, description="Share of equivalent answer pairs the judge calls different (fraction).")


class Adaptation(Frozen):
    """Quality-weighted routing: move the first threshold toward a target disagreement / complaint rate."""

    every_days: Days = Field(7, description="Days between adaptations (days).")
    target_signal: Probability = Field(
        description="Target observed signal: the shadow disagreement rate with shadow scoring, else the "
                    "thumbs-down rate of first-model answers (fraction); the two differ by orders of magnitude.")
    relax_below: Probability = Field(
        0.5, description="The threshold relaxes when the signal is below this fraction of the target (fraction).")
    step: Annotated[float, *bounds(0.0, 1.0, lo_open=True)] = Field(
        0.02, description="Threshold change per adaptation (probability units).")
    min_threshold: Probability = Field(0.0, description="Lowest threshold adaptation may reach.")
    max_threshold: Probability = Field(1.0, description="Highest threshold adaptation may reach.")

    @model_validator(mode="after")
    def _bounds(self):
        if self.min_threshold > self.max_threshold:
            raise ValueError(f"min_threshold: must be <= max_threshold ({self.max_threshold:g}), "
                             f"got {self.min_threshold:g}")
        return self


class CascadePolicy(PolicyBase):
    """Every query starts on the first model; below a confidence threshold it escalates along the chain."""

    kind: Literal[PolicyKind.cascade]
    chain: tuple[Name, ...] = Field(min_length=2, max_length=32, description="Models, cheapest first.")
    thresholds: tuple[Probability, ...] = Field(
        min_length=1, description="Confidence below which model i escalates to model i+1 (one per link).")
    shadow: Shadow | None = None
    adaptation: Adaptation | None = None

    def named_models(self) -> list[tuple[str, str]]:
        return [(f"chain[{i}]", m) for i, m in enumerate(self.chain)]

    @model_validator(mode="after")
    def _links(self):
        if len(self.thresholds) != len(self.chain) - 1:
            raise ValueError(f"thresholds: need {len(self.chain) - 1} (one per link of the chain), "
                             f"got {len(self.thresholds)}")
        return self


class OraclePolicy(PolicyBase):
    """Knows every answer in advance: the cheapest model that answers correctly, else the last."""

    kind: Literal[PolicyKind.oracle]
    models: tuple[Name, ...] = Field(min_length=2, max_length=32, description="Models, cheapest first.")

    def named_models(self) -> list[tuple[str, str]]:
        return [(f"models[{i}]", m) for i, m in enumerate(self.models)]


class RandomPolicy(TwoTierPolicy):
    """Sends each query to the cheap model with a fixed probability (its own random draws)."""

    kind: Literal[PolicyKind.random]
    cheap_share: Probability = Field(0.5, description="Share of queries sent to cheap (fraction).")


PolicyConfig = Annotated[
    Union[SinglePolicy, PreRoutePolicy, SoftThresholdPolicy, CascadePolicy, OraclePolicy, RandomPolicy],
    Field(discriminator="kind"),
]
