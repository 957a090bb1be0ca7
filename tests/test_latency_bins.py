"""The arithmetic latency binning equals the binary search it replaces, including exactly on the edges."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simroute.metrics import LATENCY_EDGES, latency_bins


def test_latency_bins_match_searchsorted_on_and_around_every_edge():
    x = np.concatenate([LATENCY_EDGES, np.nextafter(LATENCY_EDGES, 0), np.nextafter(LATENCY_EDGES, np.inf),
                        [0.0, 1e-12, 1e12, np.inf]])
    for dtype in (np.float64, np.float32):
        v = x.astype(dtype)
        assert (latency_bins(v) == np.searchsorted(LATENCY_EDGES, v)).all()
    e32 = LATENCY_EDGES.astype(np.float32)  # float32 values on and beside each edge's float32 neighbours
    v = np.concatenate([e32, np.nextafter(e32, np.float32(0)), np.nextafter(e32, np.float32(np.inf))])
    assert (latency_bins(v) == np.searchsorted(LATENCY_EDGES, v.astype(np.float64))).all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=1e6, allow_nan=False), min_size=1, max_size=50))
def test_latency_bins_match_searchsorted(values):
    v = np.array(values)
    assert (latency_bins(v) == np.searchsorted(LATENCY_EDGES, v)).all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=1e6, allow_nan=False, width=32), min_size=1, max_size=50))
def test_float32_latencies_guessed_in_float32_match_searchsorted(values):
    v = np.array(values, dtype=np.float32)
    assert (latency_bins(v) == np.searchsorted(LATENCY_EDGES, v.astype(np.float64))).all()
