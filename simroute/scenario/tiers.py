"""Scenario nodes for the models (tiers): price, latency, quality, failure style and self-reported confidence."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from .base import Frozen, Logits, Multiplier, Name, Probability, bounds, usd

PricePer1k = Annotated[float, *usd(1000.0, "over 1000 times the dearest model listed today, $0.60")]


class Latency(Frozen):
    """Lognormal response latency."""

    median_s: Annotated[float, *bounds(0.0, 3600.0, lo_open=True, doc="at most an hour")] = Field(
        description="Median latency (seconds).")
    sigma: Annotated[float, *bounds(0.0, 3.0)] = Field(
        0.4, description="Lognormal shape (log-space standard deviation).")


class Quality(Frozen):
    """P(correct) = floor + (ceiling - floor) * sigmoid(skill - difficulty - penalties).

    `skill` may be stated as `accuracy` instead; the scenario solves skill for it (scenario.measurable)."""

    skill: Annotated[float, *bounds(-20.0, 30.0)] | None = Field(
        None, description="Ability on the difficulty scale (logit units); or give accuracy.")
    accuracy: Annotated[float, *bounds(0.0, 1.0, lo_open=True, hi_open=True)] | None = Field(
        None, exclude=True, description="Measured accuracy on the scenario's own traffic at day 0, before drift "
                                        "(fraction); simroute solves skill for it. Give skill or accuracy.")
    hidden_intent_penalty: Logits = Field(
        0.0, description="Extra difficulty of a hidden-intent query for this model (logit units).")
    regulatory_penalty: Logits = Field(
        0.0, description="Extra difficulty of a regulatory-weight query for this model (logit units).")
    ceiling: Probability = Field(1.0, description="Best achievable accuracy (fraction).")
    floor: Probability = Field(0.0, description="Accuracy on impossibly hard queries (fraction).")

    @model_validator(mode="after")
    def _skill_or_accuracy(self) -> Quality:
        if self.skill is not None and self.accuracy is not None:
            raise ValueError("accuracy: give either skill (logit units) or accuracy (fraction), not both")
        if self.skill is None and self.accuracy is None:
            raise ValueError("skill: required field missing (or state the model's accuracy)")
        return self


class FailureStyle(Frozen):
    """Of the model's wrong answers, the share that are confident (complete, plausible, wrong)."""

    confident_share: Probability = Field(description="Share of wrong answers that are confident (fraction).")
    confident_share_hidden: Probability | None = Field(
        None, description="Same, on hidden-intent queries (fraction); default confident_share.")


class WrongBelow(Frozen):
    """A measured point of the confidence of wrong answers: `share` of them report less than `confidence`."""

    confidence: Annotated[float, *bounds(0.0, 1.0, lo_open=True, hi_open=True)] = Field(
        description="Confidence threshold (fraction).")
    share: Annotated[float, *bounds(0.0, 1.0, lo_open=True, hi_open=True)] = Field(
        description="Share of wrong answers below the threshold (fraction).")


class Confidence(Frozen):
    """Self-reported confidence: sigmoid(slope * perceived logit + bias + noise), lowered on wrong answers.

    `bias` may be stated as `mean_confidence`, `error_awareness` as `wrong_below` (scenario.measurable)."""

    slope: Logits = Field(1.0, description="Calibration slope on the model's perceived logit (dimensionless).")
    bias: Annotated[float, *bounds(-10.0, 10.0)] = Field(
        0.0, description="Over(+)/under(-)confidence offset (logit units).")
    noise_sd: Logits = Field(0.5, description="Noise of the self-report (logit units).")
    hidden_awareness: Probability = Field(
        1.0, description="How much of the hidden-intent penalty the model perceives (0 = blind, 1 = fully).")
    error_awareness: Annotated[float, *bounds(0.0, 30.0)] = Field(
        0.0, description="How much lower the confidence of any wrong answer is, i.e. how well the model knows "
                         "what it does not know (logit units); on hidden-intent queries it is scaled by "
                         "hidden_awareness.")
    hedge_drop: Logits = Field(
        2.0, description="Extra drop of the confidence of a hedged wrong answer (logit units).")
    mean_confidence: Annotated[float, *bounds(0.0, 1.0, lo_open=True, hi_open=True)] | None = Field(
        None, exclude=True, description="Measured mean self-reported confidence on the scenario's traffic at day 0 "
                                        "(fraction); simroute solves bias for it.")
    wrong_below: WrongBelow | None = Field(
        None, exclude=True, description="Measured share of wrong answers below a confidence; simroute solves "
                                        "error_awareness for it.")

    @model_validator(mode="after")
    def _one_unit_each(self) -> Confidence:
        for latent, measured in (("bias", "mean_confidence"), ("error_awareness", "wrong_below")):
            if latent in self.model_fields_set and getattr(self, measured) is not None:
                raise ValueError(f"{measured}: give either {latent} (logit units) or {measured}, not both")
        return self


class Model(Frozen):
    """A model tier."""

    name: Name
    price_in_usd_per_1k_tokens: PricePer1k = Field(description="Price of input tokens (USD per 1k tokens).")
    price_out_usd_per_1k_tokens: PricePer1k = Field(description="Price of output tokens (USD per 1k tokens).")
    output_length_multiplier: Multiplier = Field(
        1.0, description="Output tokens relative to the intent's output distribution (multiplier).")
    latency: Latency
    quality: Quality
    failure: FailureStyle
    confidence: Confidence = Confidence()
