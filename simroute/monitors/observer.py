"""Monitor logging plugged into the day loop: each watched policy's served answers, as its instrumentation
would log them, feed the monitors at the end of the day; an alarm is handed to the engine."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..observers import DayObserver, Served
from ..policies.base import pick, pick_all
from .board import MonitorBoard

BatchValue = Callable[[Served], np.ndarray]  # a per-query value of a served batch, read from its whole day


class MonitorLog(DayObserver):
    """Builds the day logs of the board's watched policies and runs the monitors; `on_alarm(monitor, day)`
    is called for every monitor that alarmed, in the board's order; `truth(batch)` gives every model's
    probability of being right on the batch (the truth series; no random draw: observing never changes the run)
    and `ood(batch)` the watched classifier's out-of-distribution scores."""

    def __init__(self, board: MonitorBoard, on_alarm: Callable[[str, int], None], truth: BatchValue,
                 ood: BatchValue):
        self.board = board
        self.on_alarm = on_alarm
        self.truth, self.ood = truth, ood

    def served(self, batch: Served) -> None:
        p, r = batch.policy, batch.routing
        b = self.board.builder(p.name)
        if b is None:
            return
        nan = np.full(len(r.final), np.nan, dtype=np.float32)
        score = nan if r.score is None else r.score.astype(np.float32)
        ood = self.ood(batch) if p.classifier is not None and p.name in self.board.needs_ood else nan
        o = batch.outcomes
        confidence, correct = pick_all(r.final, o.confidence, o.correct)  # one flat index for both
        b.add(r.final, confidence, score, ood, batch.reacted.thumbs_down, correct,
              batch.reacted.outcome, pick(self.truth(batch), r.final))
        if r.shadow is not None and r.shadow_disagrees is not None:
            b.shadow_checks += int(r.shadow.any(axis=0).sum())
            b.shadow_disagreements += int(r.shadow_disagrees.sum())

    def end_day(self, day: int) -> None:
        for monitor in self.board.end_day(day):
            self.on_alarm(monitor, day)
