"""Daily world parameters after the drift schedule: intent shares, hidden rates, difficulty, segments, skill."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario.schema import Scenario
from ..scenario.world import DriftKind


@dataclass(frozen=True)
class DayParams:
    """The world as it stands on one day."""

    intent_shares: np.ndarray
    hidden_rates: np.ndarray
    difficulty_scale: float
    segment_shares: np.ndarray
    skill_delta: np.ndarray


def _ramp(day: float, start: int, ramp: int) -> float:
    if day < start:
        return 0.0
    if ramp == 0:
        return 1.0
    return float(min(1.0, (day - start) / ramp))


def _set_share(shares: np.ndarray, i: int, value: float) -> np.ndarray:
    """Set one share and rescale the others so the vector still sums to 1 (split equally if all were 0)."""
    out = shares.copy()
    others = np.arange(len(out)) != i
    rest = out[others].sum()
    out[i] = value
    if rest > 0:
        out[others] *= (1.0 - value) / rest
    elif others.any():
        out[others] = (1.0 - value) / others.sum()
    else:
        out[i] = 1.0
    return out / out.sum()


class DriftSchedule:
    """Evaluates the drift list at any day; drifts apply in start-day order, each from the value before it."""

    def __init__(self, scenario: Scenario):
        self._s = scenario
        self._intents = [i.name for i in scenario.traffic.intents]
        self._segments = [g.name for g in scenario.users.segments]
        self._models = [m.name for m in scenario.models]
        self._drifts = sorted(scenario.drift, key=lambda d: d.start_day)

    @property
    def onsets(self) -> list[tuple[int, str]]:
        """(start day, description) of every scheduled change."""
        return [(d.start_day, f"{d.kind.value}:{d.target or ''}") for d in self._drifts]

    def at(self, day: float) -> DayParams:
        """Parameters at time `day` (use the day's midpoint for a whole day)."""
        s = self._s
        shares = np.array([i.share for i in s.traffic.intents], dtype=float)
        hidden = np.array([i.hidden_intent_rate for i in s.traffic.intents], dtype=float)
        scale = 1.0
        seg = np.array([g.share for g in s.users.segments], dtype=float)
        skill = np.zeros(len(s.models))
        for d in self._drifts:
            f = _ramp(day, d.start_day, d.ramp_days)
            if f == 0.0:
                continue
            if d.kind is DriftKind.intent_share:
                i = self._intents.index(d.target)
                shares = _set_share(shares, i, shares[i] + (d.to - shares[i]) * f)
            elif d.kind is DriftKind.hidden_intent_rate:
                i = self._intents.index(d.target)
                hidden[i] = hidden[i] + (d.to - hidden[i]) * f
            elif d.kind is DriftKind.difficulty_scale:
                scale *= 1.0 + (d.to - 1.0) * f
            elif d.kind is DriftKind.segment_share:
                i = self._segments.index(d.target)
                seg = _set_share(seg, i, seg[i] + (d.to - seg[i]) * f)
            elif d.kind is DriftKind.model_skill:
                skill[self._models.index(d.target)] += d.to * f
        return DayParams(shares, hidden, scale, seg, skill)
