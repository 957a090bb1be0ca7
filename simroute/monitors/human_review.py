"""Human review: N answers a day, sampled in aggregate or with equal per-tier quotas, judged by reviewers."""
from __future__ import annotations

import numpy as np

from ..scenario.monitors import MonitorKind, Scope
from .base import Monitor, ReviewSample


class HumanReview(Monitor):
    kind = MonitorKind.human_review

    def __init__(self, config, ctx):
        super().__init__(config, ctx)
        self.samples: list[ReviewSample] = []

    def observe(self, day, log):
        if len(log) == 0:
            return None
        rng = self.rng(day)
        c = self.config
        if c.scope is Scope.pooled:
            idx = rng.choice(len(log), size=min(c.reviews_per_day, len(log)), replace=False)
        else:
            present = [m for m in range(len(self.tiers)) if (log.tier == m).any()]
            quota = c.reviews_per_day // max(len(present), 1)
            idx = np.concatenate([rng.choice(np.flatnonzero(log.tier == m), replace=False,
                                             size=min(quota, int((log.tier == m).sum()))) for m in present])
        idx = np.sort(idx)
        verdict = log.review(idx, c.reviewers, rng)
        self.samples.append(ReviewSample(c.policy, self.name, day, log.tier[idx], log.confidence[idx], verdict))
        if c.scope is Scope.pooled:
            return {"all": (len(idx), int((~verdict).sum()))}
        return self.per_tier(log.tier[idx], ~verdict)

    def truth(self, day, log):
        """The expected wrong-verdict rate of all the day's answers (pooled) or of each tier's answers."""
        if len(log) == 0:
            return None
        rv = self.config.reviewers
        if self.config.scope is Scope.pooled:
            return {"all": log.verdict_error_rate(np.arange(len(log)), rv)}
        return {name: log.verdict_error_rate(np.flatnonzero(log.tier == m), rv)
                for m, name in enumerate(self.tiers) if (log.tier == m).any()}

    def review_samples(self):
        return self.samples
