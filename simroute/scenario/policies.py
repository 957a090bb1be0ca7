"""Scenario nodes for routing policies: one config class per policy kind, a tagged union on `kind`."""
from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from .base import Day, Frozen, Name, NonNegative, Positive, PositiveInt, Probability, ranged


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

    day: Day
    share: Probability


class Rollback(Frozen):
    """At `day` the rollout share drops to `to_share` (a fixed-week rollback)."""

    day: Day
    to_share: Probability = 0.0


class ClassifierMethod(str, Enum):
    """How the surface classifier scores a query."""

    encoder = "encoder"
    embedding = "embedding"


class Classifier(Frozen):
    """A surface classifier trained inside the run on a pre-drift historical sample with taxonomy labels."""

    method: ClassifierMethod = ClassifierMethod.encoder
    training_samples: ranged(int, 100, 5_000_000) = Field(
        200_000, description="Historical labelled queries it is trained on (count).")
    training_day: Day = Field(0, description="Day whose traffic mix the historical sample follows (day).")
    label_noise: Probability = Field(0.02, description="Share of training labels flipped (fraction).")
    latency_ms: NonNegative = Field(30.0, description="Scoring latency (milliseconds).")
    usd_per_1k_queries: NonNegative = Field(0.01, description="Scoring cost (USD per 1k queries).")


class PolicyBase(Frozen):
    """Fields every policy has."""

    name: Name
    rollout: tuple[RolloutStep, ...] = (RolloutStep(day=0, share=1.0),)
    rollback: Rollback | None = None

    @model_validator(mode="after")
    def _rollout_order(self):
        days = [s.day for s in self.rollout]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ValueError("rollout: steps must have strictly increasing days")
        return self


class SinglePolicy(PolicyBase):
    """Everything to one model: the pre-optimisation baseline."""

    kind: Literal[PolicyKind.single]
    model: Name


class TwoTierPolicy(PolicyBase):
    """A policy that chooses between a cheap and a capable model."""

    cheap_model: Name
    capable_model: Name


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
    usd_per_1k_checks: NonNegative = Field(0.5, description="Cost (USD per 1k checks).")
    latency_ms: NonNegative = Field(200.0, description="Latency of one check (milliseconds).")


class Recalibration(Frozen):
    """Periodic threshold adjustment from a labelled sample of one tier's answers."""

    every_days: PositiveInt = Field(7, description="Days between recalibrations (days).")
    reviews_per_day: PositiveInt = Field(50, description="Labelled reviews of cheap-tier answers (per day).")
    target_quality: Probability = Field(0.9, description="Cheap-tier accuracy to hold (fraction).")
    step: Positive = Field(0.02, description="Threshold change per recalibration (probability units).")


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
    """Also run the last model of the chain on a share of confident (non-escalated) traffic."""

    share: Probability = Field(0.02, description="Share of confident traffic shadow-scored (fraction).")


class Adaptation(Frozen):
    """Quality-weighted routing: move the first threshold toward a target disagreement / complaint rate."""

    every_days: PositiveInt = Field(7, description="Days between adaptations (days).")
    target_signal: Probability = Field(
        0.05, description="Target shadow disagreement rate (or thumbs-down rate without shadow) (fraction).")
    step: Positive = Field(0.02, description="Threshold change per adaptation (probability units).")
    min_threshold: Probability = 0.0
    max_threshold: Probability = 1.0


class CascadePolicy(PolicyBase):
    """Every query starts on the first model; below a confidence threshold it escalates along the chain."""

    kind: Literal[PolicyKind.cascade]
    chain: tuple[Name, ...] = Field(min_length=2, description="Models, cheapest first.")
    thresholds: tuple[Probability, ...] = Field(
        min_length=1, description="Confidence below which model i escalates to model i+1 (one per link).")
    shadow: Shadow | None = None
    adaptation: Adaptation | None = None

    @model_validator(mode="after")
    def _links(self):
        if len(self.thresholds) != len(self.chain) - 1:
            raise ValueError(f"thresholds: need {len(self.chain) - 1} (one per link of the chain), "
                             f"got {len(self.thresholds)}")
        return self


class OraclePolicy(PolicyBase):
    """Knows every answer in advance: the cheapest model that answers correctly, else the last."""

    kind: Literal[PolicyKind.oracle]
    models: tuple[Name, ...] = Field(min_length=2, description="Models, cheapest first.")


class RandomPolicy(TwoTierPolicy):
    """Sends each query to the cheap model with a fixed probability (its own random draws)."""

    kind: Literal[PolicyKind.random]
    cheap_share: Probability = Field(0.5, description="Share of queries sent to cheap (fraction).")


PolicyConfig = Annotated[
    Union[SinglePolicy, PreRoutePolicy, SoftThresholdPolicy, CascadePolicy, OraclePolicy, RandomPolicy],
    Field(discriminator="kind"),
]
