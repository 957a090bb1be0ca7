"""Today's rule: the one-sided CUSUM of the monitors' log-likelihood-ratio (or standardised) increments."""
from __future__ import annotations

import numpy as np

from .. import stats
from ..monitors.detector import increments
from .interface import AlarmRule, AlarmRuleKind


class Cusum(AlarmRule):
    kind = AlarmRuleKind.cusum

    def first_alarm(self, trials, events, reference, sensitivity, shift, distance, odds):
        if len(events) <= reference:
            return None
        inc = increments(trials.astype(float), events.astype(float), reference, shift, distance, odds)
        s, _ = stats.cusum(inc[None, :], np.inf, reset=False)
        hit = np.flatnonzero(s[0] > sensitivity)
        return int(reference + hit[0]) if len(hit) else None

    def sensitivity_range(self):
        return (0.1, 60.0)
