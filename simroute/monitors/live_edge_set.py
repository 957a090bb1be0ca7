"""A live edge set: recent production queries whose router score was near the launch threshold, reviewed."""
from __future__ import annotations

import numpy as np

from ..scenario.monitors import MonitorKind
from .base import Monitor


class LiveEdgeSet(Monitor):
    kind = MonitorKind.live_edge_set

    def observe(self, day, log):
        c = self.config
        near = np.flatnonzero(np.abs(log.score - self.ctx.policy_threshold) <= c.band)
        if len(near) == 0:
            return None
        rng = self.rng(day)
        idx = np.sort(rng.choice(near, size=min(c.reviews_per_day, len(near)), replace=False))
        verdict = log.review(idx, c.reviewers, rng)
        return {"edge": (len(idx), int((~verdict).sum()))}

    def truth(self, day, log):
        """The expected wrong-verdict rate of every answer in the band (the population the reviews sample)."""
        near = np.flatnonzero(np.abs(log.score - self.ctx.policy_threshold) <= self.config.band)
        return {"edge": log.verdict_error_rate(near, self.config.reviewers)} if len(near) else None
