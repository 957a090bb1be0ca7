"""The in-product feedback widget. Pooled: the daily thumbs-down rate against its historical day-to-day
variance. Joined with the tier that answered: each tier's share of the day's thumbs-downs, a comparison
that cancels what moves every tier at once (users frustrated about something else entirely)."""
from __future__ import annotations

import numpy as np

from ..scenario.monitors import MonitorKind, Scope
from .base import Monitor


class FeedbackWidget(Monitor):
    kind = MonitorKind.feedback_widget

    @property
    def distance(self) -> bool:
        return self.config.scope is Scope.pooled

    @property
    def odds(self) -> bool:
        return self.config.scope is Scope.per_tier

    def observe(self, day, log):
        if len(log) == 0:
            return None
        total = int(log.thumbs_down.sum())
        if self.config.scope is Scope.pooled:
            return {"rate": total / len(log)}
        if total == 0 or len(np.unique(log.tier)) < 2:
            return None
        return {name: (total, k) for name, (n, k) in self.per_tier(log.tier, log.thumbs_down).items()}
