"""Monitor logging plugged into the day loop: each watched policy's served answers, as its instrumentation
would log them, feed the monitors at the end of the day; an alarm is handed to the engine."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..observers import DayObserver, Served
from ..policies.base import pick, pick_all
from ..world.traffic import Queries
from .board import MonitorBoard

PCorrect = Callable[[Queries, int], np.ndarray]  # (queries, day) -> every model's P(correct), (models, n)


class MonitorLog(DayObserver):
    """Builds the day logs of the board's watched policies and runs the monitors; `on_alarm(monitor, day)`
    is called for every monitor that alarmed, in the board's order; `p_correct` gives the truth series the
    answering models' probability of being right (no random draw: observing never changes the run)."""

    def __init__(self, board: MonitorBoard, on_alarm: Callable[[str, int], None], p_correct: PCorrect):
        self.board = board
        self.on_alarm = on_alarm
        self.p_correct = p_correct

    def served(self, batch: Served) -> None:
        p, r = batch.policy, batch.routing
        b = self.board.builder(p.name)
        if b is None:
            return
        nan = np.full(len(r.final), np.nan, dtype=np.float32)
        score = nan if r.score is None else r.score.astype(np.float32)
        ood = nan
        if p.classifier is not None and p.name in self.board.needs_ood:
            ood = p.classifier.ood(batch.queries.surface)
        o = batch.outcomes
        confidence, correct = pick_all(r.final, o.confidence, o.correct)  # one flat index for both
        b.add(r.final, confidence, score, ood, batch.reacted.thumbs_down, correct,
              batch.reacted.outcome, pick(self.p_correct(batch.queries, batch.day), r.final))
        if r.shadow is not None and r.shadow_disagrees is not None:
            b.shadow_checks += int(r.shadow.any(axis=0).sum())
            b.shadow_disagreements += int(r.shadow_disagrees.sum())

    def end_day(self, day: int) -> None:
        for monitor in self.board.end_day(day):
            self.on_alarm(monitor, day)
