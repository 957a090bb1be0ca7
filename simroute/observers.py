"""What watches the day loop without steering it: the interface the engine calls, and the observer of every
model's true calibration (monitor logging: monitors/observer.py; cohort surveys: surveys.py)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calendar import Calendar
from .policies.base import Policy, Routing
from .reactions import Reacted
from .world.day_source import DayDraw, DayValue
from .world.outcomes import Outcomes
from .world.traffic import Queries

MODEL_CALIBRATION_BINS = 20
MODEL_CALIBRATION = "model_calibration"  # the day value of ModelCalibration


@dataclass(frozen=True)
class Served:
    """One batch a policy served: who asked what, every model's answers, the routing and the reactions."""

    policy: Policy
    day: int
    users: np.ndarray
    queries: Queries
    outcomes: Outcomes
    routing: Routing
    reacted: Reacted
    draw: DayDraw              # the whole day the batch is part of
    rows: np.ndarray | slice   # the batch's positions in `draw`


class DayObserver:
    """Called by the engine at fixed points of the day loop; observers only record (their own random draws
    come from their own named streams), so adding one never changes what the policies do."""

    def schedule(self, calendar: Calendar, horizon: int) -> None:
        """Put the observer's own events on the calendar (after the engine's)."""

    def day_values(self) -> dict[str, DayValue]:
        """What this observer computes from a day's draw alone, by a name of its own: made with the draw, on the
        drawing thread while the engine serves the day before when the next day is drawn ahead (so the function
        reads the draw and nothing the run changes), and read back with `draw.value(name, ...)`. Default: none."""
        return {}

    def start_day(self, draw: DayDraw) -> None:
        """The day's shared draw, before any policy serves it."""

    def served(self, batch: Served) -> None:
        """A batch one policy just served (after the policy saw its feedback)."""

    def end_day(self, day: int) -> None:
        """After every policy served the whole day."""

    def finish(self, horizon: int) -> None:
        """After the last day."""


class ModelCalibration(DayObserver):
    """Every model's true reliability on each day's traffic: answers, correct answers and summed self-reported
    confidence per confidence bin (what a reviewer-free reliability diagram needs)."""

    def __init__(self, horizon: int, models: int, bins: int = MODEL_CALIBRATION_BINS):
        self.bins = bins
        self.table = np.zeros((horizon, models, bins, 3))  # (day, model, confidence bin, [answers, correct, conf])

    def day_values(self) -> dict[str, DayValue]:
        return {MODEL_CALIBRATION: self.day_table}

    def day_table(self, draw: DayDraw) -> np.ndarray:
        """(model, confidence bin, [answers, correct, confidence sum]) of one day's draw."""
        o, bins = draw.outcomes, self.bins
        out = np.zeros(self.table.shape[1:])
        for m in range(out.shape[0]):
            b = np.clip((o.confidence[m] * bins).astype(np.int64), 0, bins - 1)
            for j, w in enumerate((None, o.correct[m], o.confidence[m])):
                out[m, :, j] = np.bincount(b, weights=None if w is None else w.astype(np.float64), minlength=bins)
        return out

    def start_day(self, draw: DayDraw) -> None:
        self.table[draw.day] = draw.value(MODEL_CALIBRATION, self.day_table)
