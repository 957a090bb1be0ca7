"""Long-tail sampling: reviews drawn from the day's most out-of-distribution queries (or, without a
classifier, the answers the answering model was least confident about)."""
from __future__ import annotations

import numpy as np

from ..scenario.monitors import MonitorKind
from .base import Monitor


class LongTailSampling(Monitor):
    kind = MonitorKind.long_tail_sampling

    def observe(self, day, log):
        c = self.config
        if len(log) == 0:
            return None
        unusual = np.where(np.isnan(log.ood), -log.confidence, log.ood)
        tail = np.argsort(-unusual, kind="stable")[:max(1, int(c.tail_share * len(log)))]
        rng = self.rng(day)
        idx = np.sort(rng.choice(tail, size=min(c.reviews_per_day, len(tail)), replace=False))
        verdict = log.review(idx, c.reviewers, rng)
        return {"tail": (len(idx), int((~verdict).sum()))}
