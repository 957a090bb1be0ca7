"""Monitors: one module each behind `Monitor`, looked up by `MonitorKind`."""
from __future__ import annotations

from ..scenario.monitors import MonitorKind
from .base import DayLog, DayLogBuilder, Monitor, MonitorContext
from .confidence_drift import ConfidenceDrift
from .feedback_widget import FeedbackWidget
from .human_review import HumanReview
from .live_edge_set import LiveEdgeSet
from .long_tail_sampling import LongTailSampling
from .regression_suite import RegressionSuite
from .shadow_agreement import ShadowAgreement

REGISTRY: dict[MonitorKind, type[Monitor]] = {
    cls.kind: cls for cls in (HumanReview, RegressionSuite, LiveEdgeSet, FeedbackWidget, LongTailSampling,
                              ConfidenceDrift, ShadowAgreement)
}


def build(config, ctx: MonitorContext) -> Monitor:
    """The monitor object for a validated monitor config."""
    return REGISTRY[config.kind](config, ctx)


__all__ = ["Monitor", "MonitorContext", "DayLog", "DayLogBuilder", "REGISTRY", "build"]
