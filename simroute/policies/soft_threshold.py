"""`soft_threshold`: two classifier thresholds with an exploration band, optional verifier retry, and
threshold recalibration from a labelled sample of cheap-tier answers."""
from __future__ import annotations

import numpy as np

from ..scenario.policies import PolicyKind
from .base import Policy, Routing, schedule_every

HYSTERESIS = 0.02  # cheap-tier accuracy must beat the target by this much before the threshold relaxes


class SoftThreshold(Policy):
    kind = PolicyKind.soft_threshold
    draws_per_query = 2  # exploration, verifier

    def __init__(self, config, ctx):
        super().__init__(config, ctx)
        self.cheap = ctx.scenario.model_index(config.cheap_model)
        self.capable = ctx.scenario.model_index(config.capable_model)
        self.classifier = ctx.classifier(config.classifier)
        self.high = config.high
        self._day_correct = self._day_total = 0
        self._rev_correct = self._rev_total = 0

    def route(self, q, o, pos):
        c = self.config
        score = self.classifier.score(q.surface)
        band = (score >= c.low) & (score < self.high)
        to_cheap = (score >= self.high) | (band & (self.u[0, pos] < c.exploration_share))
        flagged = np.zeros(len(q), dtype=bool)
        verify_s = 0.0
        if c.verifier is not None:
            v = c.verifier
            rate = np.where(o.correct[self.cheap], v.false_positive_rate, v.true_positive_rate)
            flagged = to_cheap & (self.u[1, pos] < rate)
            verify_s = v.latency_ms / 1000.0
        final = np.where(to_cheap & ~flagged, self.cheap, self.capable).astype(np.int8)
        ran = np.zeros((len(self.ctx.models), len(q)), dtype=bool)
        ran[self.cheap] = to_cheap
        ran[self.capable] = ~to_cheap | flagged
        lat_cheap, lat_cap = o.latency_s[self.cheap], o.latency_s[self.capable]
        latency = c.classifier.latency_ms / 1000.0 + np.where(
            to_cheap, lat_cheap + verify_s + flagged * lat_cap, lat_cap)
        return Routing(final=final, ran=ran, latency_s=latency, escalated=flagged, score=score,
                       classified=np.ones(len(q), dtype=bool),
                       verified=to_cheap if c.verifier is not None else None)

    def observe(self, routing, o, thumbs_down):
        served_cheap = routing.final == self.cheap
        self._day_total += int(served_cheap.sum())
        self._day_correct += int((served_cheap & o.correct[self.cheap]).sum())

    def end_day(self, day):
        r = self.config.recalibration
        if r is not None and self._day_total:
            rng = self.ctx.streams.policy(f"{self.name}:reviews", day)
            n = min(r.reviews_per_day, self._day_total)
            good = int(rng.hypergeometric(self._day_correct, self._day_total - self._day_correct, n))
            self._rev_correct += good
            self._rev_total += n
        self._day_correct = self._day_total = 0

    def schedule(self, calendar, horizon):
        r = self.config.recalibration
        if r is not None:
            schedule_every(calendar, r.every_days, horizon, f"recalibrate:{self.name}", self._recalibrate)

    def _recalibrate(self, t):
        r = self.config.recalibration
        if self._rev_total:
            est = self._rev_correct / self._rev_total
            if est < r.target_quality:
                self.high = min(1.0, self.high + r.step)
            elif est > r.target_quality + HYSTERESIS:
                self.high = max(self.config.low, self.high - r.step)
        self._rev_correct = self._rev_total = 0

    def state(self):
        return {"threshold": float(self.high)}
