"""Daily accumulators per policy: per-tier counts, per-model costs, users, latency and score histograms.

Everything is an integer count or integer nano-dollars, so totals do not depend on how days are batched.
"""
from __future__ import annotations

import numpy as np

from .policies.base import Routing, ThresholdRule
from .reactions import Reacted
from .world.outcomes import Outcomes

TIER_FIELDS = ("queries", "correct", "wrong_hedged", "wrong_confident", "hidden", "hidden_wrong",
               "regulatory", "compliance_events", "compliance_caught", "thumbs_down", "contacts",
               "escalated")
_EVENT_SIZES = (3, 2, 2, 2, 2, 2, 3, 2)  # outcome, hidden, regulatory, compliance, caught, thumbs, contacts,
# escalated: the digits of a query's event combination


def _event_counters() -> np.ndarray:
    """(event combination, TIER_FIELDS): how much each combination of a query's outcome and flags adds to each
    tier counter (a combination's code is mixed-radix in `_EVENT_SIZES`, outcome the fastest digit)."""
    codes = np.indices(_EVENT_SIZES[::-1]).reshape(len(_EVENT_SIZES), -1)[::-1]
    outcome, hidden, regulatory, compliance, caught, thumbs, contacts, escalated = codes
    wrong = outcome != 0
    cols = (np.ones_like(outcome), outcome == 0, outcome == 1, outcome == 2, hidden, hidden * wrong, regulatory,
            compliance, caught, thumbs, contacts, escalated)
    return np.stack(cols, axis=1).astype(np.int64)


_EVENT_COUNTERS = _event_counters()
DAY_FIELDS = ("classifier_calls", "verifier_calls", "shadow_checks", "shadow_disagreements",
              "churned", "active_users")
T = {name: i for i, name in enumerate(TIER_FIELDS)}  # column of each tier counter
D = {name: i for i, name in enumerate(DAY_FIELDS)}   # column of each day counter
LATENCY_EDGES = np.geomspace(1e-3, 1e3, 601)
SCORE_BINS = 50
CURVE_BINS = 100  # decision-value bins of the threshold curve; thresholds are the bin edges
CURVE_FIELDS = ("queries", "cheap_correct", "capable_correct", "cheap_nano", "capable_nano")


class PolicyDays:
    """Counters for one policy over the whole horizon, indexed by day."""

    def __init__(self, horizon: int, models: int, segments: int, rule: ThresholdRule | None = None):
        self.tier = np.zeros((horizon, models, len(TIER_FIELDS)), dtype=np.int64)
        self.inference_nano = np.zeros((horizon, models), dtype=np.int64)
        self.shadow_nano = np.zeros((horizon, models), dtype=np.int64)
        self.day = np.zeros((horizon, len(DAY_FIELDS)), dtype=np.int64)
        self.churned_by_segment = np.zeros((horizon, segments), dtype=np.int64)
        self.latency_hist = np.zeros((horizon, len(LATENCY_EDGES) + 1), dtype=np.int64)
        self.score_hist = np.zeros((horizon, SCORE_BINS), dtype=np.int64)
        self.rollout_share = np.zeros(horizon)
        self.threshold = np.full(horizon, np.nan)
        self.rule = rule
        self.curve = np.zeros((horizon, CURVE_BINS, len(CURVE_FIELDS)), dtype=np.int64) if rule else None
        self._m = models

    def copy_counts(self, other: PolicyDays) -> None:
        """Every counter of `other` (a policy served identically), this policy's own threshold rule kept."""
        for name, value in vars(other).items():
            if isinstance(value, np.ndarray):
                setattr(self, name, value.copy())

    def tier_total(self, field: str, days: slice = slice(None)) -> np.ndarray:
        """Per-tier totals of one counter over `days`."""
        return self.tier[days, :, T[field]].sum(axis=0)

    def add(self, day: int, r: Routing, x: Reacted, hidden: np.ndarray, regulatory: np.ndarray,
            o: Outcomes) -> None:
        """Fold one batch of served queries into day `day`."""
        m, cost_nano = self._m, o.cost_nano
        # (event combination, tier) of every query, tier the fastest digit: the combination's digits in int16
        # (it is below 576), then times the tiers plus the tier (the same integer code as summing in intp)
        event = x.outcome.astype(np.int16)
        stride = _EVENT_SIZES[0]
        for flag, size in zip((hidden, regulatory, x.compliance, x.caught, x.thumbs_down, x.contacts,
                               r.escalated), _EVENT_SIZES[1:], strict=True):
            event += flag * np.int16(stride)
            stride *= size
        code = event.astype(np.intp)
        code *= m
        code += r.final
        combos = np.bincount(code, minlength=stride * m).reshape(-1, m)  # (combination, tier)
        self.tier[day, :, :len(TIER_FIELDS)] += combos.T @ _EVENT_COUNTERS
        # integer sums are exact in any order; einsum is ~10x faster than add.reduce(where=) and makes no product
        self.inference_nano[day] += np.einsum("mk,mk->m", cost_nano, r.ran)
        if r.shadow is not None:
            self.shadow_nano[day] += np.einsum("mk,mk->m", cost_nano, r.shadow)
            self.day[day, D["shadow_checks"]] += int(r.shadow.any(axis=0).sum())
            if r.shadow_disagrees is not None:
                self.day[day, D["shadow_disagreements"]] += int(r.shadow_disagrees.sum())
        if r.classified is not None:
            self.day[day, D["classifier_calls"]] += int(r.classified.sum())
            assert r.score is not None, "a batch the classifier ran on carries its scores"
            scored = r.score[r.classified]
            self.score_hist[day] += np.bincount(np.minimum((scored * SCORE_BINS).astype(np.int64),
                                                           SCORE_BINS - 1), minlength=SCORE_BINS)
        if r.verified is not None:
            self.day[day, D["verifier_calls"]] += int(r.verified.sum())
        self.latency_hist[day] += np.bincount(latency_bins(r.latency_s), minlength=len(LATENCY_EDGES) + 1)
        if self.curve is not None and self.rule is not None and r.decision is not None:
            self._add_curve(self.curve, self.rule, day, r.decision, o)

    @staticmethod
    def _add_curve(curve: np.ndarray, rule: ThresholdRule, day: int, decision: np.ndarray, o: Outcomes) -> None:
        """Per decision-value bin: queries, each tier's correct answers and each tier's cost, so the rule's
        cost and quality can be read off at every threshold afterwards."""
        cheap, capable = rule.cheap, rule.capable
        b = (decision * CURVE_BINS).astype(np.int64)
        np.clip(b, 0, CURVE_BINS - 1, out=b)
        # the three counts from one integer bincount of (bin, cheap right, capable right): exact
        code = o.correct[cheap].view(np.int8) * np.int64(CURVE_BINS)
        code += b
        code += o.correct[capable].view(np.int8) * np.int64(2 * CURVE_BINS)
        n = np.bincount(code, minlength=4 * CURVE_BINS).reshape(2, 2, CURVE_BINS)  # capable, cheap, bin
        curve[day, :, 0] += n.sum(axis=(0, 1))
        curve[day, :, 1] += n[:, 1].sum(axis=0)
        curve[day, :, 2] += n[1].sum(axis=0)
        for j, c in ((3, o.cost_nano[cheap]), (4, o.cost_nano[capable])):
            curve[day, :, j] += np.rint(np.bincount(b, weights=c.astype(np.float64), minlength=CURVE_BINS)).astype(
                np.int64)


_LOG_LO, _LOG_STEP = float(np.log(LATENCY_EDGES[0])), float(np.log(LATENCY_EDGES[1] / LATENCY_EDGES[0]))
NEAR_EDGE = 1e-3  # in bins: the float32 position is off by under 1e-4 of a bin (8e-5 at most over 1e8 latencies)


def edge_position(latency: np.ndarray) -> np.ndarray:
    """Each latency's position among LATENCY_EDGES in bins (edge i at i), computed in float32."""
    g = np.log(latency if latency.dtype == np.float32 else latency.astype(np.float32))
    g -= _LOG_LO
    g /= _LOG_STEP
    return g


def latency_bins(latency: np.ndarray) -> np.ndarray:
    """np.searchsorted(LATENCY_EDGES, latency) computed from the log-spaced edges: each latency's position among
    the edges in float32 (a fraction of float64's cost) settles its bin unless it lies within a thousandth of a
    bin of an edge, where the float32 error could cross it: those few (about 0.2%) take the exact binary search.
    The same result, except that NaN goes to bin 0 (a latency is never NaN; searchsorted would put it past the
    last edge)."""
    last = len(LATENCY_EDGES)
    x = np.asarray(latency)
    if x.dtype != np.float32:
        x = x.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        g = edge_position(x)
        off = np.rint(g)
        off -= g
        near = np.flatnonzero(np.abs(off, out=off) < NEAR_EDGE)  # NaN and inf are never near
        np.ceil(g, out=g)
    np.fmax(g, 0.0, out=g)  # NaN and -inf -> 0 (fmax keeps the number), then +inf -> last
    k = np.minimum(g, last, out=g).astype(np.int64)
    if len(near):
        k[near] = np.searchsorted(LATENCY_EDGES, np.take(x, near))
    return k


def latency_quantile(hist: np.ndarray, q: float) -> float:
    """Quantile of a latency histogram (geometric bin midpoint), in seconds."""
    total = hist.sum()
    if total == 0:
        return float("nan")
    k = int(np.searchsorted(np.cumsum(hist), q * total, side="left"))
    k = min(max(k, 1), len(LATENCY_EDGES) - 1)
    return float(np.sqrt(LATENCY_EDGES[k - 1] * LATENCY_EDGES[k]))
