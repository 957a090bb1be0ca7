"""Routing-confidence drift: the router's production score histogram against its training histogram."""
from __future__ import annotations

import numpy as np

from .. import stats
from ..metrics import SCORE_BINS
from ..scenario.monitors import DriftStatistic, MonitorKind
from .base import Monitor


def histogram(scores: np.ndarray) -> np.ndarray:
    """Counts over SCORE_BINS equal-width bins of [0, 1]."""
    return np.bincount(np.minimum((scores * SCORE_BINS).astype(np.int64), SCORE_BINS - 1), minlength=SCORE_BINS)


class ConfidenceDrift(Monitor):
    kind = MonitorKind.confidence_drift

    @property
    def distance(self) -> bool:
        return True

    def __init__(self, config, ctx):
        super().__init__(config, ctx)
        self.training = histogram(ctx.classifier.training_scores)

    def observe(self, day, log):
        scores = log.score[~np.isnan(log.score)]
        if len(scores) == 0:
            return None
        f = stats.psi if self.config.statistic is DriftStatistic.psi else stats.ks_hist
        return {self.config.statistic.value: f(self.training, histogram(scores))}
