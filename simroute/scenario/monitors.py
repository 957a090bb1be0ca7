"""Scenario nodes for the measurement architecture: monitors, their alarms, and rollback on alarm."""
from __future__ import annotations

from enum import Enum
from typing import Annotated, ClassVar, Literal, Union, get_args

from pydantic import Field

from .base import MAX_DAYS, Day, Days, Frozen, Name, Probability, bounds

Reviews = Annotated[int, *bounds(1, 1_000_000, doc="a large review team labels thousands a day")]


class MonitorKind(str, Enum):
    """Every monitor simroute knows; the registry is keyed by this."""

    human_review = "human_review"
    regression_suite = "regression_suite"
    live_edge_set = "live_edge_set"
    feedback_widget = "feedback_widget"
    long_tail_sampling = "long_tail_sampling"
    confidence_drift = "confidence_drift"
    shadow_agreement = "shadow_agreement"


class Scope(str, Enum):
    """Whether a quality signal is pooled over tiers or split by the tier that answered."""

    pooled = "pooled"
    per_tier = "per_tier"


class Alarm(Frozen):
    """The sequential test: a one-sided CUSUM whose threshold gives a stated false-alarm chance."""

    reference_days: Days = Field(
        14, description="Days after monitoring starts that set the in-control level (days).")
    shift: Annotated[float, *bounds(0.0, 100.0, lo_open=True)] = Field(
        0.25, description="Relative rise of a rate the CUSUM is tuned to detect (0.25 = +25%); for distance "
                         "monitors, the shift in reference standard deviations is 2*shift (dimensionless).")
    false_alarm_probability: Probability = Field(
        0.1, description="Chance of any false alarm over the monitored horizon with no change (fraction); "
                         "thresholds are calibrated to it by simulating the scenario with drift switched off.")
    threshold: Annotated[float, *bounds(0.0, 1e6, lo_open=True)] | None = Field(
        None, description="A fixed CUSUM threshold instead of calibrating one (log-likelihood units).")


class Reviewers(Frozen):
    """Human reviewers label answers right or wrong, with mistakes."""

    false_positive_rate: Probability = Field(
        0.02, description="Share of right answers a reviewer marks wrong (fraction).")
    false_negative_rate: Probability = Field(
        0.1, description="Share of wrong answers a reviewer marks right (fraction).")


class MonitorBase(Frozen):
    """Fields every monitor has, and what each kind needs of the policy it watches (class attributes: the
    scenario checks them, the engine logs what they ask for)."""

    needs_classifier: ClassVar[bool] = False  # the watched policy must be a classifier router
    needs_ood: ClassVar[bool] = False         # the day log carries the classifier's out-of-distribution distance
    needs_shadow: ClassVar[bool] = False      # the watched policy must be a cascade with shadow scoring
    measures_quality: ClassVar[bool] = True   # watches answer quality (its onset: the first quality drift)

    name: Name
    policy: Name = Field(description="The policy whose production traffic the monitor watches.")
    start_day: Day | None = Field(None, description="First monitored day (default: the policy's first "
                                                    "full-rollout day).")
    alarm: Alarm = Alarm()


class ReviewedMonitor(MonitorBase):
    """A monitor whose observations are answers judged by human reviewers."""

    reviews_per_day: Reviews = Field(50, description="Reviews per day (reviews).")
    reviewers: Reviewers = Reviewers()


class HumanReview(ReviewedMonitor):
    """N reviews a day, sampled in aggregate or with per-tier quotas."""

    kind: Literal[MonitorKind.human_review]
    reviews_per_day: Reviews = Field(200, description="Reviews per day (reviews).")
    scope: Scope = Scope.pooled


class RegressionSuite(MonitorBase):
    """A fixed labelled set drawn once from the pre-drift distribution, run weekly against the models the
    router would send each item to at launch."""

    kind: Literal[MonitorKind.regression_suite]
    size: Annotated[int, *bounds(1, 10_000_000)] = Field(12_000, description="Labelled queries in the suite (queries).")
    every_days: Days = Field(7, description="Days between runs (days).")
    scope: Scope = Scope.pooled


class LiveEdgeSet(ReviewedMonitor):
    """Recent production queries near the router's decision boundary, reviewed daily."""

    kind: Literal[MonitorKind.live_edge_set]
    needs_classifier: ClassVar[bool] = True
    band: Annotated[float, *bounds(0.0, 1.0, lo_open=True)] = Field(
        0.15, description="Half-width of the score band around the launch threshold (probability units).")


class FeedbackWidget(MonitorBase):
    """Thumbs-down rate, pooled or joined with the tier that answered."""

    kind: Literal[MonitorKind.feedback_widget]
    scope: Scope = Scope.pooled


class LongTailSampling(ReviewedMonitor):
    """Reviews oversampled where the router was least confident or out of distribution."""

    kind: Literal[MonitorKind.long_tail_sampling]
    needs_ood: ClassVar[bool] = True
    tail_share: Annotated[float, *bounds(0.0, 1.0, lo_open=True)] = Field(
        0.1, description="Share of the day's queries most out of distribution that reviews are drawn from.")


class DriftStatistic(str, Enum):
    psi = "psi"
    ks = "ks"


class ConfidenceDrift(MonitorBase):
    """The router's production score distribution against its training distribution."""

    kind: Literal[MonitorKind.confidence_drift]
    needs_classifier: ClassVar[bool] = True
    measures_quality: ClassVar[bool] = False  # watches the router's inputs: any drift is its onset
    statistic: DriftStatistic = DriftStatistic.psi


class ShadowAgreement(MonitorBase):
    """The judged disagreement rate of a cascade's shadow-scored answers."""

    kind: Literal[MonitorKind.shadow_agreement]
    needs_shadow: ClassVar[bool] = True


MonitorConfig = Annotated[
    Union[HumanReview, RegressionSuite, LiveEdgeSet, FeedbackWidget, LongTailSampling, ConfidenceDrift,
          ShadowAgreement],
    Field(discriminator="kind"),
]


class RollbackOnAlarm(Frozen):
    """Roll the policy back when a named monitor first alarms, after a response lag."""

    monitor: Name
    response_lag_days: Annotated[int, *bounds(0, MAX_DAYS)] = Field(
        3, description="Days from the alarm to the rollback (days).")
    to_share: Probability = Field(0.0, description="Share of users left on the policy (fraction).")


CONFIGS: dict[MonitorKind, type[MonitorBase]] = {
    get_args(c.model_fields["kind"].annotation)[0]: c for c in get_args(get_args(MonitorConfig)[0])}
QUALITY_KINDS = frozenset(k for k, c in CONFIGS.items() if c.measures_quality)
