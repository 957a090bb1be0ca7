"""Daily world parameters after the drift schedule: intent shares, hidden rates, difficulty, segments, skill."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..scenario.schema import Scenario
from ..scenario.world import DriftMove, DriftTarget


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


def _toward_share(v: np.ndarray, i: int | None, to: float, f: float) -> np.ndarray:
    assert i is not None, "a share drift names the share it moves"
    return _set_share(v, i, float(v[i] + (to - v[i]) * f))


def _toward_level(v: np.ndarray, i: int | None, to: float, f: float) -> np.ndarray:
    out = v.copy()
    out[i] = v[i] + (to - v[i]) * f
    return out


def _scale(v: float, i: int | None, to: float, f: float) -> float:
    return v * (1.0 + (to - 1.0) * f)


def _offset(v: np.ndarray, i: int | None, to: float, f: float) -> np.ndarray:
    out = v.copy()
    out[i] = v[i] + to * f
    return out


MOVES: dict[DriftMove, Callable[[Any, int | None, float, float], Any]] = {
    DriftMove.share: _toward_share, DriftMove.level: _toward_level, DriftMove.scale: _scale,
    DriftMove.offset: _offset}


class DriftSchedule:
    """Evaluates the drift list at any day; drifts apply in start-day order, each from the value before it."""

    def __init__(self, scenario: Scenario):
        self._s = scenario
        self._names: dict[DriftTarget, list[str]] = {
            DriftTarget.intent: [i.name for i in scenario.traffic.intents],
            DriftTarget.segment: [g.name for g in scenario.users.segments],
            DriftTarget.model: [m.name for m in scenario.models]}
        self._drifts = sorted(scenario.drift, key=lambda d: d.start_day)

    @property
    def onsets(self) -> list[tuple[int, str]]:
        """(start day, description) of every scheduled change."""
        return [(d.start_day, f"{d.kind.value}:{d.target or ''}") for d in self._drifts]

    def at(self, day: float) -> DayParams:
        """Parameters at time `day` (use the day's midpoint for a whole day)."""
        s = self._s
        values: dict[str, Any] = {
            "intent_shares": np.array([i.share for i in s.traffic.intents], dtype=float),
            "hidden_rates": np.array([i.hidden_intent_rate for i in s.traffic.intents], dtype=float),
            "difficulty_scale": 1.0,
            "segment_shares": np.array([g.share for g in s.users.segments], dtype=float),
            "skill_delta": np.zeros(len(s.models))}
        for d in self._drifts:
            f = _ramp(day, d.start_day, d.ramp_days)
            if f == 0.0:
                continue
            spec = d.spec
            i = None
            if spec.target is not DriftTarget.none and d.target is not None:  # validated: such kinds name one
                i = self._names[spec.target].index(d.target)
            values[spec.parameter] = MOVES[spec.move](values[spec.parameter], i, d.to, f)
        return DayParams(**values)
