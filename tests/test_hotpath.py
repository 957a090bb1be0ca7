"""The day loop's faster forms give exactly what the plain forms they replace gave (issue 17)."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simroute.metrics import TIER_FIELDS, PolicyDays
from simroute.monitors.long_tail_sampling import _largest
from simroute.policies.base import Routing
from simroute.reactions import Reacted
from simroute.world.outcomes import Outcomes
from simroute.world.traffic import gather

_FLAG_COUNTER = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 11])  # the flags -> counters of the old form


def _tier_counts_by_flags(m: int, r: Routing, x: Reacted, hidden: np.ndarray, regulatory: np.ndarray) -> np.ndarray:
    """The tier counters as the engine counted them before: one (counter, tier) code per raised flag."""
    f, wrong = r.final, x.outcome != 0
    flags = (np.ones_like(wrong), x.outcome == 0, x.outcome == 1, x.outcome == 2, hidden, hidden & wrong,
             regulatory, x.compliance, x.caught, x.thumbs_down, x.contacts >= 1, x.contacts >= 2, r.escalated)
    codes = (_FLAG_COUNTER[:, None] * m + f[None, :])[np.stack(flags)]
    return np.bincount(codes, minlength=len(TIER_FIELDS) * m).reshape(-1, m).T


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(0, 300), st.integers(0, 2**32 - 1))
def test_tier_counters_from_event_combinations_equal_the_flag_counts(m, n, seed):
    rng = np.random.default_rng(seed)
    b = lambda p=0.5: rng.random(n) < p  # noqa: E731
    regulatory, compliance = b(), b()
    compliance &= regulatory
    x = Reacted(rng.integers(0, 3, n).astype(np.int8), b(), rng.integers(0, 3, n).astype(np.int8), compliance,
                compliance & b(), rng.random(n))
    r = Routing(final=rng.integers(0, m, n).astype(np.int8), ran=rng.random((m, n)) < 0.5,
                latency_s=rng.random(n).astype(np.float32), escalated=b())
    o = Outcomes(rng.random((m, n)) < 0.5, rng.random((m, n)) < 0.5, rng.random((m, n)).astype(np.float32),
                 rng.random((m, n)).astype(np.float32), rng.integers(0, 10**6, (m, n)))
    acc = PolicyDays(2, m, 1)
    hidden = b()
    acc.add(1, r, x, hidden, regulatory, o)
    assert (acc.tier[1] == _tier_counts_by_flags(m, r, x, hidden, regulatory)).all()
    assert not acc.tier[0].any()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0.0, -0.0, 0.25, 0.5, 1.0, -3.0, np.nan]), min_size=1, max_size=60),
       st.integers(1, 60))
def test_largest_is_the_head_of_a_stable_descending_sort(values, k):
    x = np.array(values, dtype=np.float32)
    k = min(k, len(x))
    assert (_largest(x, k) == np.argsort(-x, kind="stable")[:k]).all()


def test_largest_on_a_day_of_continuous_scores():
    x = np.random.default_rng(3).random(5000).astype(np.float32)
    assert (_largest(x, 500) == np.argsort(-x, kind="stable")[:500]).all()


def test_gather_equals_indexing_for_positions_slices_and_masks():
    a = np.arange(24).reshape(3, 8)
    for idx in (np.array([0, 3, 3, 7]), slice(2, 5), np.arange(8) % 3 == 0, np.array([], dtype=np.int64)):
        assert (gather(a, idx, axis=1) == a[:, idx]).all()
        assert (gather(a[0], idx) == a[0][idx]).all()
    assert np.shares_memory(gather(a, slice(1, 4), axis=1), a)
