"""`soft_threshold`: two classifier thresholds with an exploration band, optional verifier retry, and
threshold recalibration from labelled samples of cheap-tier answers."""
from __future__ import annotations

import numpy as np

from ..scenario.policies import PolicyKind
from .base import ClassifierRouter, Routing, schedule_every

CONFIDENT, EXPLORED = 0, 1  # the two bands whose cheap answers are reviewed separately


class SoftThreshold(ClassifierRouter):
    """Above `high` -> cheap; below `low` -> capable; in between -> capable, except an exploration share.

    Recalibration tightens `high` when reviewed answers of the confident band (score >= high) fall below
    target, and relaxes it when reviewed answers of the exploration band beat target + hysteresis: the
    exploration band is the evidence for the queries just below `high`.
    """

    kind = PolicyKind.soft_threshold
    draws_per_query = 2  # exploration, verifier

    def __init__(self, config, ctx):
        super().__init__(config, ctx)
        self.high = config.high
        self._day = np.zeros((2, 2), dtype=np.int64)        # band x (correct, served)
        self._reviewed = np.zeros((2, 2), dtype=np.int64)
        self._band = np.zeros(0, dtype=bool)  # confident-band mask of the batch just routed (observe follows)

    def decide(self, v, pos):
        c = self.config
        score = self.day_score(v, pos)
        confident = score >= self.high
        band = (score >= c.low) & ~confident
        to_cheap = confident | (band & (self.u[0, pos] < c.exploration_share))
        flagged = np.zeros(len(v), dtype=bool)
        verify_s = 0.0
        if c.verifier is not None:
            check = c.verifier
            flagged = to_cheap & v.verifier_flags(self.cheap, check.true_positive_rate,
                                                  check.false_positive_rate, self.u[1, pos])
            verify_s = check.latency_ms / 1000.0
        final = self.tiers(to_cheap & ~flagged)
        ran = np.zeros((len(self.ctx.models), len(v)), dtype=bool)
        ran[self.cheap] = to_cheap
        ran[self.capable] = ~to_cheap | flagged
        lat_cheap, lat_cap = v.latency_s[self.cheap], v.latency_s[self.capable]
        latency = c.classifier.latency_ms / 1000.0 + np.where(
            to_cheap, lat_cheap + verify_s + flagged * lat_cap, lat_cap)
        self._band = confident
        return Routing(final=final, ran=ran, latency_s=latency, escalated=flagged, score=score,
                       classified=np.ones(len(v), dtype=bool),
                       verified=to_cheap if c.verifier is not None else None)

    def learn(self, routing, feedback):
        served = routing.final == self.cheap
        ok = served & feedback.review_labels(self.cheap)
        for b, mask in ((CONFIDENT, self._band), (EXPLORED, ~self._band)):
            self._day[b] += (int((ok & mask).sum()), int((served & mask).sum()))

    def end_day(self, day):
        r = self.config.recalibration
        if r is not None and self._day[:, 1].sum():
            rng = self.ctx.streams.policy(f"{self.name}:reviews", day)
            n = min(r.reviews_per_day, int(self._day[:, 1].sum()))
            per_band = rng.multivariate_hypergeometric(self._day[:, 1], n)
            for b in (CONFIDENT, EXPLORED):
                good, total = self._day[b]
                k = int(per_band[b])
                self._reviewed[b] += (int(rng.hypergeometric(good, total - good, k)) if k else 0, k)
        self._day[:] = 0

    def schedule(self, calendar, horizon):
        r = self.config.recalibration
        if r is not None:
            schedule_every(calendar, r.every_days, horizon, f"recalibrate:{self.name}", self._recalibrate)

    def _recalibrate(self, t):
        r = self.config.recalibration
        (conf_ok, conf_n), (expl_ok, expl_n) = self._reviewed
        if conf_n and conf_ok / conf_n < r.target_quality:
            self.high = min(1.0, self.high + r.step)
        elif expl_n and expl_ok / expl_n > r.target_quality + r.hysteresis:
            self.high = max(self.config.low, self.high - r.step)
        self._reviewed[:] = 0

    @property
    def launch_threshold(self):
        return float(self.config.high)

    def state(self):
        return {"threshold": float(self.high)}
