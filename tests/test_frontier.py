"""Routing-curve metrics (RouteLLM's PGR/APGR/CPT, RouterBench's hull/AIQ, Pareto fronts) on hand-computed
curves, plus property tests."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simroute.frontier import aiq, apgr, cpt, curve_metrics, nondecreasing_hull, pareto_front, pgr

C = np.linspace(0.0, 1.0, 11)
LINE = 0.6 + 0.3 * C                                  # random router: weak 0.6, strong 0.9
RAMP = 0.6 + 0.3 * np.minimum(C / 0.3, 1.0)           # PGR ramps linearly to 1 at c = 0.3, then stays


# --- PGR ----------------------------------------------------------------------------------------------------

def test_pgr_values_and_degenerate_gap():
    assert np.allclose(pgr([0.6, 0.75, 0.9, 1.0], 0.6, 0.9), [0.0, 0.5, 1.0, 4 / 3])
    out = pgr([0.5, 0.7], 0.7, 0.7)
    assert out.shape == (2,) and np.all(np.isnan(out))


# --- APGR ---------------------------------------------------------------------------------------------------

def test_apgr_straight_line_is_half():
    assert apgr(C, LINE) == pytest.approx(0.5)
    assert apgr([0.0, 1.0], [0.6, 0.9]) == pytest.approx(0.5)
    assert apgr(C, LINE, grid=10) == pytest.approx(0.5)


def test_apgr_ramp_router_is_analytic():
    assert apgr(C, RAMP) == pytest.approx(1 - 0.3 / 2)
    assert apgr(C, RAMP, grid=10) == pytest.approx(0.85)
    assert apgr([0.0, 1.0], [0.6, 0.9], grid=10) == pytest.approx(0.5)


def test_apgr_grid_interpolates_between_points():
    # PGR points (0,0), (0.25,1), (1,1): exact area 0.875; on c = 0, .5, 1 the trapezoid sees 0, 1, 1 -> 0.75
    c, q = [0.0, 0.25, 1.0], [0.0, 1.0, 1.0]
    assert apgr(c, q) == pytest.approx(0.875)
    assert apgr(c, q, grid=2) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="grid"):
        apgr(c, q, grid=0)


def test_unsorted_and_duplicated_inputs_give_same_answers():
    rng = np.random.default_rng(0)
    order = rng.permutation(C.size)
    c = np.concatenate([C[order], [0.3, 0.3]])
    q = np.concatenate([RAMP[order], [0.85, 0.95]])     # duplicates of c = 0.3 average to its value 0.9
    assert apgr(c, q) == pytest.approx(apgr(C, RAMP))
    assert cpt(c, q, 0.5) == pytest.approx(cpt(C, RAMP, 0.5))
    assert apgr(c, q, grid=10) == pytest.approx(0.85)


def test_apgr_missing_endpoints_raise_or_use_given_qualities():
    with pytest.raises(ValueError, match="q_weak is missing.*strong_share = 0"):
        apgr(C[1:], LINE[1:])
    with pytest.raises(ValueError, match="q_strong is missing.*strong_share = 1"):
        apgr(C[:-1], LINE[:-1])
    with pytest.raises(ValueError, match="q_weak is missing"):
        cpt(C[1:], LINE[1:], 0.5)
    # with the endpoint qualities given, the all-weak / all-strong points are added to the curve
    assert apgr(C[1:-1], LINE[1:-1], q_weak=0.6, q_strong=0.9) == pytest.approx(0.5)


def test_apgr_rejects_bad_inputs():
    with pytest.raises(ValueError, match="same length"):
        apgr([0.0, 1.0], [0.5])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        apgr([0.0, 1.5], [0.5, 0.9])
    with pytest.raises(ValueError, match="NaN"):
        apgr([0.0, 1.0], [0.5, np.nan])
    with pytest.raises(ValueError, match="empty"):
        apgr([], [])


def test_equal_weak_and_strong_quality_gives_nan():
    assert math.isnan(apgr([0.0, 0.5, 1.0], [0.7, 0.8, 0.7]))
    assert math.isnan(cpt([0.0, 0.5, 1.0], [0.7, 0.8, 0.7], 0.5))


# --- CPT ----------------------------------------------------------------------------------------------------

def test_cpt_straight_line_and_ramp():
    assert cpt(C, LINE, 0.5) == pytest.approx(0.5)
    assert cpt(C, LINE, 0.8) == pytest.approx(0.8)
    assert cpt(C, RAMP, 0.5) == pytest.approx(0.15)
    assert cpt(C, RAMP, 0.8) == pytest.approx(0.24)
    assert cpt(C, LINE, 0.0) == 0.0


def test_cpt_first_crossing_and_never_reached():
    # PGR 0, 0.6, 0.2, 1 at c = 0, .2, .4, 1: 0.5 is first reached between c = 0 and 0.2
    c, q = [0.0, 0.2, 0.4, 1.0], [0.0, 0.6, 0.2, 1.0]
    assert cpt(c, q, 0.5) == pytest.approx(0.5 / 0.6 * 0.2)
    assert cpt(c, q, 0.8) == pytest.approx(0.4 + 0.6 / 0.8 * 0.6)
    assert math.isnan(cpt(c, q, 1.2))


# --- hull, AIQ, Pareto front --------------------------------------------------------------------------------

# cost, quality: (1, .5) start; (2, .55) a concave dip below the chord (1,.5)-(3,.8); (3, .8) vertex;
# (4, .85) vertex; (5, .8) dominated by (4, .85); (6, .86) best; (7, .7) dominated; (2.5, .5) dominated.
HAND_C = np.array([3.0, 1.0, 7.0, 2.0, 5.0, 4.0, 6.0, 2.5])
HAND_Q = np.array([0.80, 0.50, 0.70, 0.55, 0.80, 0.85, 0.86, 0.50])


def test_nondecreasing_hull_hand_example():
    x, y = nondecreasing_hull(HAND_C, HAND_Q)
    # slopes: (1,.5)->(3,.8) 0.15, (3,.8)->(4,.85) 0.05, (4,.85)->(6,.86) 0.005; then flat to cost 7
    assert np.allclose(x, [1.0, 3.0, 4.0, 6.0, 7.0])
    assert np.allclose(y, [0.50, 0.80, 0.85, 0.86, 0.86])


def test_nondecreasing_hull_drops_a_dip_on_the_front():
    # (1,.6) is non-dominated but below the chord (0,.5)-(2,.9): the hull skips it
    x, y = nondecreasing_hull([0.0, 1.0, 2.0, 3.0], [0.5, 0.6, 0.9, 0.8])
    assert np.allclose(x, [0.0, 2.0, 3.0]) and np.allclose(y, [0.5, 0.9, 0.9])


def test_aiq_straight_line():
    assert aiq([0.0, 1.0], [0.5, 0.9]) == pytest.approx(0.7)
    assert aiq(np.linspace(0, 1, 7), np.linspace(0.5, 0.9, 7)) == pytest.approx(0.7)


def test_aiq_with_dip_is_area_under_hull():
    area = (0.5 + 0.8) / 2 * 2 + (0.8 + 0.85) / 2 * 1 + (0.85 + 0.86) / 2 * 2 + 0.86 * 1
    assert aiq(HAND_C, HAND_Q) == pytest.approx(area / 6)
    # dip example: area (0.5+0.9)/2*2 + 0.9*1 over cost span 3
    assert aiq([0.0, 1.0, 2.0, 3.0], [0.5, 0.6, 0.9, 0.8]) == pytest.approx((1.4 + 0.9) / 3)


def test_aiq_cost_range():
    # the hull of the straight line, extended flat to the right: over [0.5, 2] -> (0.7+0.9)/2*0.5 + 0.9*1
    assert aiq([0.0, 1.0], [0.5, 0.9], cost_range=(0.5, 2.0)) == pytest.approx((0.4 + 0.9) / 1.5)
    assert aiq([0.0, 1.0], [0.5, 0.9], cost_range=(0.25, 0.25)) == pytest.approx(0.6)
    with pytest.raises(ValueError, match="below the cheapest point"):
        aiq([0.0, 1.0], [0.5, 0.9], cost_range=(-1.0, 1.0))
    with pytest.raises(ValueError, match="start <= end"):
        aiq([0.0, 1.0], [0.5, 0.9], cost_range=(1.0, 0.0))


def test_aiq_single_point_and_zero_range():
    assert aiq([3.0], [0.42]) == pytest.approx(0.42)
    assert aiq([3.0, 3.0], [0.42, 0.5]) == pytest.approx(0.5)


def test_pareto_front_hand_example():
    assert list(pareto_front(HAND_C, HAND_Q)) == [1, 3, 0, 5, 6]
    # exact duplicates and equal-quality-dearer points keep only one
    assert list(pareto_front([1.0, 1.0, 2.0, 0.5], [0.7, 0.7, 0.7, 0.6])) == [3, 0]


def test_curve_metrics():
    cost = 20 + 80 * C
    m = curve_metrics(C, LINE, cost)
    assert set(m) == {"apgr", "cpt50", "cpt80", "aiq"}
    assert m["apgr"] == pytest.approx(0.5) and m["cpt50"] == pytest.approx(0.5)
    assert m["cpt80"] == pytest.approx(0.8) and m["aiq"] == pytest.approx(0.75)
    assert math.isnan(curve_metrics(C, LINE, np.full(C.size, np.nan))["aiq"])


# --- properties ---------------------------------------------------------------------------------------------

unit = st.floats(0.0, 1.0, allow_nan=False)
interior = st.floats(0.0, 1.0, exclude_min=True, exclude_max=True)
points = st.lists(st.tuples(st.floats(0.0, 100.0, allow_nan=False), unit), min_size=1, max_size=40)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(interior, unit), max_size=30), unit, unit,
       st.floats(0.01, 100.0), st.floats(-100.0, 100.0))
def test_apgr_invariant_to_affine_rescaling(inner, q_weak, q_strong, a, b):
    c = np.array([0.0, 1.0] + [p[0] for p in inner])
    q = np.array([q_weak, q_strong] + [p[1] for p in inner])
    if abs(q_strong - q_weak) < 1e-3:
        q[1] = q_weak + 0.5
    assert apgr(c, a * q + b) == pytest.approx(apgr(c, q), rel=1e-6, abs=1e-6)
    assert apgr(c, a * q + b, grid=10) == pytest.approx(apgr(c, q, grid=10), rel=1e-6, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(points)
def test_aiq_between_min_and_max_quality(pts):
    cost, q = np.array(pts).T
    assert q.min() - 1e-12 <= aiq(cost, q) <= q.max() + 1e-12


@settings(max_examples=100, deadline=None)
@given(points)
def test_pareto_front_points_mutually_non_dominating(pts):
    cost, q = np.array(pts).T
    idx = pareto_front(cost, q)
    fc, fq = cost[idx], q[idx]
    assert np.all(np.diff(fc) > 0) and np.all(np.diff(fq) > 0)
    dominates = (fc[:, None] <= fc[None, :]) & (fq[:, None] >= fq[None, :])
    assert not np.any(dominates & ~np.eye(idx.size, dtype=bool))
    # every point is weakly dominated by some front point
    assert np.all(((fc[:, None] <= cost[None, :]) & (fq[:, None] >= q[None, :])).any(axis=0))


@settings(max_examples=100, deadline=None)
@given(points)
def test_hull_nondecreasing_and_above_points(pts):
    cost, q = np.array(pts).T
    x, y = nondecreasing_hull(cost, q)
    assert np.all(np.diff(x) > 0) and np.all(np.diff(y) >= 0)
    assert x[0] == cost.min() and x[-1] == cost.max() and y[-1] == q.max()
    assert np.all(np.interp(cost, x, y) >= q - 1e-12)
    # concave: slopes non-increasing, compared without dividing (dy0 / dx0 >= dy1 / dx1)
    dx, dy = np.diff(x), np.diff(y)
    assert np.all(dy[:-1] * dx[1:] >= dy[1:] * dx[:-1] - 1e-12)
