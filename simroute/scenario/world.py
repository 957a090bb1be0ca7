"""Scenario nodes for the simulated world: users and segments, traffic and intents, drift."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Annotated

from pydantic import Field, model_validator

from .base import MAX_DAYS, Day, Frozen, Multiplier, Name, Probability, bounds, usd
from .replay import Replay

SHARE_TOLERANCE = 1e-6
DayRate = Annotated[float, *bounds(0.0, 1000.0, lo_open=True, doc="a relative arrival rate (mean-normalised, "
                                                                "so at least one day has the mean rate or more)")]
NoiseSd = Annotated[float, *bounds(0.0, 100.0, doc="a distance in noise sd: at 100 the classes never overlap")]


def _check_shares(items, what: str) -> None:
    """Shares of named items sum to 1 and names are unique."""
    total = sum(i.share for i in items)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ValueError(f"{what}: shares must sum to 1, got {total:.6g}")
    names = [i.name for i in items]
    if len(set(names)) != len(names):
        raise ValueError(f"{what}: names must be unique")


class Segment(Frozen):
    """A customer segment: its share of users, revenue and churn behaviour."""

    name: Name
    share: Probability = Field(description="Share of users in this segment (fraction; segments sum to 1).")
    arpu_usd_per_month: Annotated[float, *usd(1e6, "an enterprise seat is thousands a month")] = Field(
        description="Monthly revenue per user (USD/user/month).")
    baseline_churn_per_month: Probability = Field(
        description="Probability that a user with no bad experiences churns at a billing cycle (per month).")
    churn_sensitivity: Annotated[float, *bounds(0.0, 100.0)] = Field(
        1.0, description="Multiplier on the frustration score in the churn hazard (dimensionless).")


class Frustration(Frozen):
    """How bad experiences raise a user's churn hazard for a decay window."""

    decay_days: Annotated[float, *bounds(0.0, MAX_DAYS, lo_open=True, doc="at most the longest horizon")] = Field(
        30.0, description="e-folding time of a bad experience's effect (days).")
    churn_hazard_per_unit: Annotated[float, *bounds(0.0, 20.0)] = Field(
        0.05, description="Extra churn hazard per unit of frustration at a billing cycle (per unit).")


class Users(Frozen):
    """The user population: MAU, segments, activity and the revenue horizon used to price churn."""

    mau: Annotated[int, *bounds(1, 500_000_000, doc="the largest assistants serve hundreds of millions")] = Field(
        description="Monthly active users at the start (users).")
    queries_per_user_per_day: Annotated[float, *bounds(0.0, 10_000.0, lo_open=True, doc="an agent asking on a "
                                                       "user's behalf every ~9 s, all day")] = Field(
        description="Queries per active user per day (queries/user/day).")
    weekly_seasonality: tuple[DayRate, ...] = Field(
        (1.0,) * 7, description="Relative arrival rate Monday..Sunday (7 multipliers, mean-normalised).")
    segments: tuple[Segment, ...] = Field(min_length=1, max_length=100)
    frustration: Frustration = Frustration()
    revenue_horizon_months: Annotated[float, *bounds(0.0, 120.0, lo_open=True,
                                                     doc="a customer lifetime of at most ten years")] = Field(
        12.0, description="Months of MRR lost per churned user, booked when the user churns (months).")
    billing_cycle_days: Annotated[int, *bounds(1, 365)] = Field(
        30, description="Days between a user's billing cycles (days).")

    @model_validator(mode="after")
    def _check(self) -> Users:
        if len(self.weekly_seasonality) != 7:
            raise ValueError(f"weekly_seasonality: must have 7 values, got {len(self.weekly_seasonality)}")
        _check_shares(self.segments, "segments")
        return self


class SurfaceClass(str, Enum):
    """How a query looks to a surface classifier (the team's taxonomy label)."""

    simple = "simple"
    complex = "complex"


class TokenDist(Frozen):
    """A lognormal token count."""

    median: Annotated[float, *bounds(1.0, 2_000_000.0, doc="the longest context windows hold 1-2M tokens")] = Field(
        description="Median token count (tokens).")
    sigma: Annotated[float, *bounds(0.0, 3.0)] = Field(
        0.5, description="Lognormal shape (log-space standard deviation).")


class Intent(Frozen):
    """One intent of the taxonomy: share, surface class, difficulty, hidden-intent and regulatory rates, tokens."""

    name: Name
    share: Probability = Field(description="Share of traffic at day 0 (fraction; intents sum to 1).")
    surface_class: SurfaceClass = Field(description="Taxonomy label: how the query looks (simple/complex).")
    surface_position: Annotated[float, *bounds(-10.0, 10.0)] | None = Field(
        None, description="Where the intent sits on the looks-simple axis (noise-sd units); "
                          "default +separation/2 for simple, -separation/2 for complex.")
    base_difficulty: Annotated[float, *bounds(-10.0, 20.0)] = Field(
        0.0, description="Difficulty offset added to the power-law draw (logit units).")
    hidden_intent_rate: Probability = Field(
        0.0, description="Share of this intent's queries hiding a deeper intent (fraction).")
    regulatory_share: Probability = Field(
        0.0, description="Share of this intent's queries that carry regulatory weight (fraction).")
    tokens_in: TokenDist = TokenDist(median=800)
    tokens_out: TokenDist = TokenDist(median=250)


class Difficulty(Frozen):
    """Power-law (Lomax) latent difficulty: a large easy centre and a long tail."""

    tail_index: Annotated[float, *bounds(1.05, 20.0)] = Field(
        2.5, description="Pareto tail index alpha (dimensionless).")
    scale: Multiplier = Field(1.0, description="Scale of the Lomax draw (logit units).")


class Surface(Frozen):
    """The surface features a classifier sees (a small synthetic embedding)."""

    dimensions: Annotated[int, *bounds(2, 64)] = Field(8, description="Embedding dimensions (count).")
    separation: NoiseSd = Field(
        3.0, description="Distance between simple and complex intents on the looks-simple axis (noise sd).")
    intent_spread: NoiseSd = Field(
        1.0, description="Spread of intent centroids on the other axes (noise sd).")
    difficulty_visibility: NoiseSd = Field(
        0.2, description="How far one unit of difficulty moves a query toward looking complex (noise sd/logit).")
    hidden_visibility: NoiseSd = Field(
        0.3, description="How far a hidden intent moves the surface features (noise sd), mostly off-axis.")
    hidden_on_axis_share: Probability = Field(
        0.3, description="Share of the hidden-intent shift that lies along the looks-simple axis (fraction).")


class Traffic(Frozen):
    """The query mix: intents and their shares, difficulty and surface features."""

    intents: tuple[Intent, ...] = Field(min_length=1, max_length=1000)
    difficulty: Difficulty = Difficulty()
    surface: Surface = Surface()
    replay: Replay | None = Field(None, description="Replay a recorded eval instead of drawing queries and answers "
                                                    "(the intents then give token distributions by category).")

    @model_validator(mode="after")
    def _check(self) -> Traffic:
        _check_shares(self.intents, "intents")
        return self


class DriftKind(str, Enum):
    """What a drift step moves (each kind is described once, in `DRIFTS`)."""

    intent_share = "intent_share"
    hidden_intent_rate = "hidden_intent_rate"
    difficulty_scale = "difficulty_scale"
    segment_share = "segment_share"
    model_skill = "model_skill"


class DriftTarget(str, Enum):
    """What a drift's `target` names."""

    none = "none"
    intent = "intent"
    segment = "segment"
    model = "model"


class DriftMove(str, Enum):
    """How a drift moves its day parameter as its ramp f goes from 0 to 1 (the mechanisms: world/drift.py)."""

    share = "share"    # one share of a vector from its value toward `to`, the others rescaled to keep the sum 1
    level = "level"    # one entry of a vector from its value toward `to`
    scale = "scale"    # multiply by 1 + (to - 1) f
    offset = "offset"  # add to x f


@dataclass(frozen=True)
class DriftSpec:
    """Everything about one drift kind: what its target names, which day parameter it moves and how, which
    `to` values are valid, and whether it can move answer quality (the onset quality monitors should catch)."""

    target: DriftTarget
    parameter: str  # a field of world.drift.DayParams
    move: DriftMove
    valid: Callable[[float], bool]
    expected: str   # what a valid `to` is, for the error message
    quality: bool


DRIFTS: dict[DriftKind, DriftSpec] = {
    DriftKind.intent_share: DriftSpec(
        DriftTarget.intent, "intent_shares", DriftMove.share, lambda to: 0.0 <= to <= 1.0,
        "must be between 0 and 1 for intent_share", quality=False),
    DriftKind.hidden_intent_rate: DriftSpec(
        DriftTarget.intent, "hidden_rates", DriftMove.level, lambda to: 0.0 <= to <= 1.0,
        "must be between 0 and 1 for hidden_intent_rate", quality=True),
    DriftKind.difficulty_scale: DriftSpec(
        DriftTarget.none, "difficulty_scale", DriftMove.scale, lambda to: 0 < to <= 100,
        "a difficulty_scale multiplier must be in (0, 100]", quality=True),
    DriftKind.segment_share: DriftSpec(
        DriftTarget.segment, "segment_shares", DriftMove.share, lambda to: 0.0 <= to <= 1.0,
        "must be between 0 and 1 for segment_share", quality=False),
    DriftKind.model_skill: DriftSpec(
        DriftTarget.model, "skill_delta", DriftMove.offset, lambda to: -20.0 <= to <= 20.0,
        "a model_skill change must be between -20 and 20 logits", quality=True),
}


class Drift(Frozen):
    """One change to the world: abrupt (ramp_days 0) or gradual (linear over ramp_days)."""

    kind: DriftKind
    target: str | None = Field(
        None, description="Intent, segment or model name the change applies to (not for difficulty_scale).")
    start_day: Day = Field(description="Day the change begins (day).")
    ramp_days: Annotated[int, *bounds(0, MAX_DAYS)] = Field(
        0, description="Days over which the change ramps in linearly (days).")
    to: float = Field(description="New value: a share (fraction), a rate (fraction), a multiplier on the "
                                  "difficulty scale, or a skill change (logit units) for model_skill.")

    @property
    def spec(self) -> DriftSpec:
        """What this drift's kind means (see `DRIFTS`)."""
        return DRIFTS[self.kind]

    @model_validator(mode="after")
    def _check(self) -> Drift:
        spec = self.spec
        if spec.target is not DriftTarget.none and self.target is None:
            raise ValueError(f"target: required for drift kind '{self.kind.value}'")
        if not spec.valid(self.to):
            raise ValueError(f"to: {spec.expected}, got {self.to:g}")
        return self
