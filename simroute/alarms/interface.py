"""The alarm-rule interface (issue 15): a sequential detector run on a monitor's daily statistic after its
reference period, with one sensitivity knob that a calibration sets to the stated false-alarm chance."""
from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum
from typing import ClassVar

import numpy as np


class AlarmRuleKind(str, Enum):
    """Every alarm rule simroute knows; the registry is keyed by this."""

    cusum = "cusum"
    page_hinkley = "page_hinkley"
    adwin = "adwin"


class AlarmRule(ABC):
    """Turns one stratum's daily observations into alarm days. `trials` and `events` are the observations
    (for a distance-tested value: trials 0, events the value); the first `reference` set the in-control level.
    `sensitivity` is the rule's own threshold (higher: fewer alarms)."""

    kind: ClassVar[AlarmRuleKind]
    optional: ClassVar[str | None] = None  # the optional extra the rule needs, if any

    @staticmethod
    def available() -> bool:
        """False when the rule's optional library is not installed."""
        return True

    @abstractmethod
    def first_alarm(self, trials: np.ndarray, events: np.ndarray, reference: int, sensitivity: float,
                    shift: float, distance: bool, odds: bool) -> int | None:
        """Index (into the observations) of the first alarm after the reference, or None."""

    @abstractmethod
    def sensitivity_range(self) -> tuple[float, float]:
        """Where to search a sensitivity for a false-alarm chance (low, high)."""


def daily_value(trials: np.ndarray, events: np.ndarray, distance: bool) -> np.ndarray:
    """The daily statistic a generic change detector reads: the rate (or share), or the distance itself."""
    return events.astype(float) if distance else events / np.maximum(trials, 1)


def standardised(values: np.ndarray, reference: int) -> np.ndarray:
    """Values in reference standard deviations above the reference mean (so one sensitivity scale serves
    every monitor)."""
    mu, sd = values[:reference].mean(), max(float(values[:reference].std(ddof=1)), 1e-12)
    return (values - mu) / sd


Series = tuple[np.ndarray, np.ndarray]  # one stratum's (trials, events) per day


def alarm_share(rule: AlarmRule, paths: list[Series], reference: int, sensitivity: float, shift: float,
                distance: bool, odds: bool) -> float:
    """The share of in-control paths on which `rule` alarms at all after the reference."""
    hits = [rule.first_alarm(n, k, reference, sensitivity, shift, distance, odds) is not None for n, k in paths]
    return float(np.mean(hits)) if hits else float("nan")


def matched_sensitivity(rule: AlarmRule, paths: list[Series], reference: int, alpha: float, shift: float,
                        distance: bool, odds: bool, steps: int = 20) -> float:
    """The sensitivity at which `rule` alarms on a share `alpha` of the in-control paths (bisection; the alarm
    share falls as the sensitivity rises), so rules are compared at matched false-alarm rates."""
    lo, hi = rule.sensitivity_range()
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        if alarm_share(rule, paths, reference, mid, shift, distance, odds) > alpha:
            lo = mid
        else:
            hi = mid
    return hi
