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

    def truth(self, day, log):
        """The answer-driven thumbs-down rate — each answer's thumbs-down probability for its outcome, without
        the day's common factor or the user's frustration skew (noise the widget is not meant to detect) —
        pooled, or each tier's share of it."""
        if len(log) == 0 or log._outcome is None:
            return None
        r = self.ctx.scenario.reactions
        p = np.array([r.correct.thumbs_down_probability, r.wrong_hedged.thumbs_down_probability,
                      r.wrong_confident.thumbs_down_probability])[log._outcome]
        if self.config.scope is Scope.pooled:
            return {"rate": float(p.mean())}
        total = p.sum()
        if total <= 0:
            return None
        return {name: float(p[log.tier == m].sum() / total) for m, name in enumerate(self.tiers)
                if (log.tier == m).any()}
