"""What every model would answer to every query: correctness, failure style, confidence, latency, cost.

Drawn once per query from the outcomes stream, independent of any policy, so that policies differ only in
which of these answers they use (common random numbers).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from scipy.special import expit, ndtr

from ..errors import SimrouteError
from ..scenario.measurable import quality_curve
from ..scenario.schema import Scenario
from .drift import DayParams
from .traffic import Queries, gather

NANO = 1_000_000_000  # costs are accounted in integer nano-dollars, so sums never depend on batching
MONEY_LIMIT_NANO = 2**62  # the most one run may spend ($4.6e9): every money counter and sum of them fits int64


class MoneyOverflow(SimrouteError):
    """Inference spend beyond what integer nano-dollars hold exactly: refused, never wrapped around."""


def money_refusal(usd: float, what: str) -> MoneyOverflow:
    """The one-line refusal of a run whose inference spend reaches `usd`."""
    return MoneyOverflow(f"{what} reaches ${usd:.3g}, beyond the ${MONEY_LIMIT_NANO / NANO:.3g} one run can account "
                         "exactly (integer nano-dollars); lower users.mau, queries_per_user_per_day, horizon_days, "
                         "token medians or prices")


def to_nano(usd: np.ndarray) -> np.ndarray:
    """USD amounts as int64 nano-dollars, refusing (not wrapping) when their total leaves the exact range."""
    total = float(usd.sum(dtype=np.float64)) * NANO
    if not total < MONEY_LIMIT_NANO:  # also catches inf and nan
        raise money_refusal(total / NANO, "the inference cost of one batch of queries (every model)")
    nano = usd * NANO
    return np.rint(nano, out=nano).astype(np.int64)


@dataclass
class Outcomes:
    """Per model (rows) and query (columns)."""

    correct: np.ndarray         # bool (M, n)
    confident: np.ndarray       # bool (M, n): a wrong answer that is confident (not hedged)
    confidence: np.ndarray      # float32 (M, n): self-reported confidence in [0, 1]
    latency_s: np.ndarray       # float32 (M, n)
    cost_nano: np.ndarray       # int64 (M, n): inference cost of running the model on the query

    def take(self, idx: np.ndarray | slice) -> Outcomes:
        """Columns `idx` as a new block."""
        return Outcomes(**{f.name: gather(getattr(self, f.name), idx, axis=1) for f in fields(self)})


class ModelBank:
    """Vectorised parameters of all models."""

    def __init__(self, scenario: Scenario):
        ms = scenario.models
        col = lambda f: np.array([f(m) for m in ms], dtype=float)[:, None]  # noqa: E731
        self.names = [m.name for m in ms]
        self.skill = col(lambda m: m.quality.skill)
        self.hidden_penalty = col(lambda m: m.quality.hidden_intent_penalty)
        self.reg_penalty = col(lambda m: m.quality.regulatory_penalty)
        self.ceiling = col(lambda m: m.quality.ceiling)
        self.floor = col(lambda m: m.quality.floor)
        self.conf_share = col(lambda m: m.failure.confident_share)
        self.conf_share_hidden = col(lambda m: m.failure.confident_share
                                     if m.failure.confident_share_hidden is None
                                     else m.failure.confident_share_hidden)
        self.slope = col(lambda m: m.confidence.slope)
        self.bias = col(lambda m: m.confidence.bias)
        self.noise = col(lambda m: m.confidence.noise_sd)
        self.awareness = col(lambda m: m.confidence.hidden_awareness)
        self.hedge_drop = col(lambda m: m.confidence.hedge_drop)
        self.error_awareness = col(lambda m: m.confidence.error_awareness)
        self.lat_median = col(lambda m: m.latency.median_s)
        self.lat_sigma = col(lambda m: m.latency.sigma)
        self.price_in = col(lambda m: m.price_in_usd_per_1k_tokens)
        self.price_out = col(lambda m: m.price_out_usd_per_1k_tokens)
        self.out_mult = col(lambda m: m.output_length_multiplier)
        self.rho = scenario.outcome_correlation

    def __len__(self) -> int:
        return len(self.names)

    def p_correct(self, q: Queries, skill_delta: np.ndarray) -> np.ndarray:
        """P(correct | difficulty, hidden intent, regulatory weight) for every model and query."""
        return self._p_correct(q, *self._logit_parts(q, skill_delta))

    def _p_correct(self, q: Queries, base: np.ndarray, regulatory: np.ndarray) -> np.ndarray:
        return quality_curve(self._logit(q, base, regulatory, self.hidden_penalty), self.floor, self.ceiling)

    def _logit_parts(self, q: Queries, skill_delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The logit's terms that do not depend on the hidden-intent penalty (shared by both logits of a draw)."""
        return self.skill + skill_delta[:, None] - q.difficulty[None, :], self.reg_penalty * q.regulatory[None, :]

    @staticmethod
    def _logit(q: Queries, base: np.ndarray, regulatory: np.ndarray, hidden_penalty: np.ndarray) -> np.ndarray:
        """skill + delta - difficulty - hidden penalty - regulatory penalty, summed in that order."""
        return base - hidden_penalty * q.hidden[None, :] - regulatory

    def draw(self, rng: np.random.Generator, q: Queries, params: DayParams) -> Outcomes:
        """Every model's answer to every query, from `rng` in a fixed order."""
        return self.draw_with_p(rng, q, params)[0]

    def draw_with_p(self, rng: np.random.Generator, q: Queries, params: DayParams) -> tuple[Outcomes, np.ndarray]:
        """`draw`, and the P(correct) it compared against (`p_correct(q, params.skill_delta)`, the same values).
        Each expression is evaluated in place in its written order (scalar and broadcast products commute
        exactly): the same bytes, fewer temporaries."""
        m, n = len(self), len(q)
        z = rng.standard_normal((m + 1, n))
        u_correct = z[1:]
        u_correct *= np.sqrt(1.0 - self.rho ** 2)
        u_correct += self.rho * z[0][None, :]
        ndtr(u_correct, out=u_correct)
        parts = self._logit_parts(q, params.skill_delta)
        p = self._p_correct(q, *parts)
        correct = u_correct < p
        wrong = ~correct
        share = np.where(q.hidden[None, :], self.conf_share_hidden, self.conf_share)
        confident = wrong & (rng.random(n)[None, :] < share)  # one style draw per query, shared
        hedged = wrong & ~confident
        conf = self._logit(q, *parts, self.hidden_penalty * self.awareness)  # the logit the model perceives
        conf *= self.slope
        conf += self.bias
        noise = rng.standard_normal((m, n))
        noise *= self.noise
        conf += noise
        aware = np.where(q.hidden[None, :], self.error_awareness * self.awareness, self.error_awareness)
        conf -= np.multiply(aware, wrong, out=aware)
        conf -= np.multiply(self.hedge_drop, hedged, out=noise)
        confidence = expit(conf, out=conf).astype(np.float32)
        latency = rng.standard_normal((m, n))
        latency *= self.lat_sigma
        np.exp(latency, out=latency)
        latency *= self.lat_median
        usd = q.tokens_in[None, :] * self.price_in
        out = q.tokens_out[None, :] * self.out_mult
        out *= self.price_out
        usd += out
        usd /= 1000.0
        return Outcomes(correct, confident, confidence, latency.astype(np.float32), to_nano(usd)), p
