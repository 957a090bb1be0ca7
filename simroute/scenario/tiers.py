"""Scenario nodes for the models (tiers): price, latency, quality, failure style and self-reported confidence."""
from __future__ import annotations

from pydantic import Field

from .base import Frozen, Name, NonNegative, Positive, Probability, ranged


class Latency(Frozen):
    """Lognormal response latency."""

    median_s: Positive = Field(description="Median latency (seconds).")
    sigma: ranged(float, 0.0, 3.0) = Field(0.4, description="Lognormal shape (log-space standard deviation).")


class Quality(Frozen):
    """P(correct) = floor + (ceiling - floor) * sigmoid(skill - difficulty - penalties)."""

    skill: ranged(float, -20.0, 30.0) = Field(description="Ability on the difficulty scale (logit units).")
    hidden_intent_penalty: NonNegative = Field(
        0.0, description="Extra difficulty of a hidden-intent query for this model (logit units).")
    regulatory_penalty: NonNegative = Field(
        0.0, description="Extra difficulty of a regulatory-weight query for this model (logit units).")
    ceiling: Probability = Field(1.0, description="Best achievable accuracy (fraction).")
    floor: Probability = Field(0.0, description="Accuracy on impossibly hard queries (fraction).")


class FailureStyle(Frozen):
    """Of the model's wrong answers, the share that are confident (complete, plausible, wrong)."""

    confident_share: Probability = Field(description="Share of wrong answers that are confident (fraction).")
    confident_share_hidden: Probability | None = Field(
        None, description="Same, on hidden-intent queries (fraction); default confident_share.")


class Confidence(Frozen):
    """Self-reported confidence: sigmoid(slope * perceived logit + bias + noise), lowered on wrong answers."""

    slope: NonNegative = Field(1.0, description="Calibration slope on the model's perceived logit (dimensionless).")
    bias: ranged(float, -10.0, 10.0) = Field(0.0, description="Over(+)/under(-)confidence offset (logit units).")
    noise_sd: NonNegative = Field(0.5, description="Noise of the self-report (logit units).")
    hidden_awareness: Probability = Field(
        1.0, description="How much of the hidden-intent penalty the model perceives (0 = blind, 1 = fully).")
    error_awareness: NonNegative = Field(
        0.0, description="How much lower the confidence of any wrong answer is, i.e. how well the model knows "
                         "what it does not know (logit units); on hidden-intent queries it is scaled by "
                         "hidden_awareness.")
    hedge_drop: NonNegative = Field(
        2.0, description="Extra drop of the confidence of a hedged wrong answer (logit units).")


class Model(Frozen):
    """A model tier."""

    name: Name
    price_in_usd_per_1k_tokens: NonNegative = Field(description="Price of input tokens (USD per 1k tokens).")
    price_out_usd_per_1k_tokens: NonNegative = Field(description="Price of output tokens (USD per 1k tokens).")
    output_length_multiplier: Positive = Field(
        1.0, description="Output tokens relative to the intent's output distribution (multiplier).")
    latency: Latency
    quality: Quality
    failure: FailureStyle
    confidence: Confidence = Confidence()
