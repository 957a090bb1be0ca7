"""river's Page-Hinkley and ADWIN drift detectors (optional extra `river`) on the standardised daily
statistic. river's detectors take one value at a time (`update`) and raise `drift_detected`; a day-sized
loop over at most a few hundred values, never per query."""
from __future__ import annotations

import importlib.util

import numpy as np

from .interface import AlarmRule, AlarmRuleKind, daily_value, standardised

EXTRA = "river"


def river_available() -> bool:
    return importlib.util.find_spec("river") is not None


def _first_drift(detector, values: np.ndarray, reference: int) -> int | None:
    """Feed the whole series (the reference teaches the detector the in-control level); the first drift
    flagged after the reference."""
    for i, v in enumerate(values):
        detector.update(float(v))
        if detector.drift_detected and i >= reference:
            return i
    return None


class _RiverRule(AlarmRule):
    """A rule from river (the optional extra), run on the standardised daily statistic after the reference days."""

    optional = EXTRA

    @staticmethod
    def available() -> bool:
        return river_available()

    @staticmethod
    def _series(trials, events, reference, distance) -> np.ndarray | None:
        """The standardised daily values, or None when no day lies past the reference period."""
        if len(events) <= reference:
            return None
        return standardised(daily_value(trials, events, distance), reference)


class PageHinkley(_RiverRule):
    """river.drift.PageHinkley in its upward mode: `threshold` (lambda) is the sensitivity, `delta` half the
    designed shift in reference standard deviations."""

    kind = AlarmRuleKind.page_hinkley

    def first_alarm(self, trials, events, reference, sensitivity, shift, distance, odds):
        from river import drift  # lazy: optional extra
        z = self._series(trials, events, reference, distance)
        if z is None:
            return None
        ph = drift.PageHinkley(min_instances=1, delta=shift, threshold=sensitivity, mode="up")
        return _first_drift(ph, z, reference)

    def sensitivity_range(self):
        return (0.1, 200.0)


class Adwin(_RiverRule):
    """river.drift.ADWIN: `delta` (the confidence of a cut) is the sensitivity, searched on a log scale;
    only a rise of the statistic counts (a cut where the recent window's mean is higher)."""

    kind = AlarmRuleKind.adwin

    def first_alarm(self, trials, events, reference, sensitivity, shift, distance, odds):
        from river import drift  # lazy: optional extra
        z = self._series(trials, events, reference, distance)
        if z is None:
            return None
        ad = drift.ADWIN(delta=float(np.exp(-sensitivity)), clock=1, min_window_length=3, grace_period=7)
        for i, v in enumerate(z):
            ad.update(float(v))
            if ad.drift_detected and i >= reference and float(np.mean(z[max(0, i - 6):i + 1])) > 0:
                return i
        return None

    def sensitivity_range(self):
        return (0.5, 40.0)
