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


def test_the_float32_position_is_far_closer_than_the_near_edge_margin():
    """What latency_bins relies on: its float32 position among the edges is off by well under NEAR_EDGE bins, so
    a latency further than that from an edge cannot be put on the wrong side of it."""
    from simroute.metrics import NEAR_EDGE, edge_position
    rng = np.random.default_rng(5)
    v = np.exp(rng.uniform(np.log(1e-3), np.log(1e3), 2_000_000))
    for x in (v, v.astype(np.float32)):
        exact = (np.log(x.astype(np.float64)) - np.log(LATENCY_EDGES[0])) / np.log(LATENCY_EDGES[1] / LATENCY_EDGES[0])
        assert np.abs(edge_position(x) - exact).max() < NEAR_EDGE / 5


def test_latency_bins_match_searchsorted_over_the_whole_range():
    rng = np.random.default_rng(6)
    v = np.exp(rng.uniform(np.log(1e-4), np.log(1e4), 1_000_000))
    assert (latency_bins(v) == np.searchsorted(LATENCY_EDGES, v)).all()
    v32 = v.astype(np.float32)
    assert (latency_bins(v32) == np.searchsorted(LATENCY_EDGES, v32.astype(np.float64))).all()
