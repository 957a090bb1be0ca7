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
        tail = self._tail(log)
        rng = self.rng(day)
        idx = np.sort(rng.choice(tail, size=min(c.reviews_per_day, len(tail)), replace=False))
        verdict = log.review(idx, c.reviewers, rng)
        return {"tail": (len(idx), int((~verdict).sum()))}

    def _tail(self, log) -> np.ndarray:
        """The day's most unusual answers, the population the reviews are drawn from."""
        unusual = np.where(np.isnan(log.ood), -log.confidence, log.ood)
        return _largest(unusual, max(1, int(self.config.tail_share * len(log))))

    def truth(self, day, log):
        """The expected wrong-verdict rate of the whole tail."""
        return {"tail": log.verdict_error_rate(self._tail(log), self.config.reviewers)} if len(log) else None


def _largest(x: np.ndarray, k: int) -> np.ndarray:
    """`np.argsort(-x, kind="stable")[:k]` (ties in index order) from a partition and a sort of the k chosen,
    instead of sorting the whole day."""
    neg = -x
    if k >= len(neg) or np.isnan(neg).any():
        return np.argsort(neg, kind="stable")[:k]
    kth = np.partition(neg, k - 1)[k - 1]
    above = np.flatnonzero(neg < kth)
    ties = np.flatnonzero(neg == kth)[:k - len(above)]
    chosen = np.sort(np.concatenate((above, ties)))
    return chosen[np.argsort(neg[chosen], kind="stable")]
