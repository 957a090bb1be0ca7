"""Statistics helpers: latency quantiles from histograms, and user reactions to answers."""
from __future__ import annotations

import math
from itertools import pairwise
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml

from simroute.metrics import LATENCY_EDGES, PolicyDays, latency_quantile
from simroute.policies.base import Routing
from simroute.reactions import CORRECT, REACTION_DRAWS, WRONG_CONFIDENT, WRONG_HEDGED, ReactionModel
from simroute.scenario.loader import scenario_from_dict
from simroute.world.outcomes import Outcomes

FIXTURE = Path(__file__).parent / "fixtures" / "minimal.yaml"
Z = 5.0
BINS = len(LATENCY_EDGES) + 1
LOG_BIN_WIDTH = math.log(LATENCY_EDGES[1] / LATENCY_EDGES[0])


def _hist(latency: np.ndarray) -> np.ndarray:
    """The same binning PolicyDays.add uses."""
    return np.bincount(np.searchsorted(LATENCY_EDGES, latency), minlength=BINS)


# ---------------------------------------------------------------- latency quantiles

def test_latency_edges_are_geometric():
    ratios = LATENCY_EDGES[1:] / LATENCY_EDGES[:-1]
    np.testing.assert_allclose(ratios, 10 ** 0.01, rtol=1e-9)
    assert LATENCY_EDGES[0] == pytest.approx(1e-3) and LATENCY_EDGES[-1] == pytest.approx(1e3)


def test_empty_histogram_has_no_quantile():
    assert math.isnan(latency_quantile(np.zeros(BINS, dtype=np.int64), 0.5))


@pytest.mark.parametrize("k", [1, 2, 150, 300, 599, 600])
@pytest.mark.parametrize("q", [0.01, 0.5, 0.95, 1.0])
def test_all_mass_in_one_bin_gives_its_geometric_midpoint(k, q):
    hist = np.zeros(BINS, dtype=np.int64)
    hist[k] = 17
    assert latency_quantile(hist, q) == pytest.approx(math.sqrt(LATENCY_EDGES[k - 1] * LATENCY_EDGES[k]), rel=1e-12)


def test_a_single_latency_lands_in_the_bin_that_contains_it():
    for x in (0.0123, 0.8, 2.5, 47.0):
        mid = latency_quantile(_hist(np.array([x])), 0.5)
        assert abs(math.log(mid / x)) <= LOG_BIN_WIDTH / 2 + 1e-12


def test_two_bins_split_at_the_cumulative_share():
    hist = np.zeros(BINS, dtype=np.int64)
    hist[100], hist[400] = 30, 70
    lo = math.sqrt(LATENCY_EDGES[99] * LATENCY_EDGES[100])
    hi = math.sqrt(LATENCY_EDGES[399] * LATENCY_EDGES[400])
    assert latency_quantile(hist, 0.2) == pytest.approx(lo)
    assert latency_quantile(hist, 0.3) == pytest.approx(lo)  # exactly the cumulative share: the lower bin
    assert latency_quantile(hist, 0.31) == pytest.approx(hi)
    assert latency_quantile(hist, 0.95) == pytest.approx(hi)


def test_out_of_range_mass_is_clamped_to_the_edge_bins():
    hist = np.zeros(BINS, dtype=np.int64)
    hist[0] = 5  # below 1 ms
    assert latency_quantile(hist, 0.5) == pytest.approx(math.sqrt(LATENCY_EDGES[0] * LATENCY_EDGES[1]))
    hist = np.zeros(BINS, dtype=np.int64)
    hist[-1] = 5  # above 1000 s
    assert latency_quantile(hist, 0.5) == pytest.approx(math.sqrt(LATENCY_EDGES[-2] * LATENCY_EDGES[-1]))


def test_lognormal_sample_quantiles_within_a_bin_width():
    rng = np.random.default_rng(0)
    n, median, sigma = 100_000, 2.5, 0.6
    lat = median * np.exp(sigma * rng.standard_normal(n))
    hist = _hist(lat)
    for q, z in ((0.5, 0.0), (0.95, 1.6448536269514722), (0.05, -1.6448536269514722)):
        truth = math.log(median) + sigma * z
        # sampling error of a normal quantile: sigma * sqrt(q (1 - q)) / (phi(z) sqrt(n))
        phi = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
        se = sigma * math.sqrt(q * (1 - q)) / (phi * math.sqrt(n))
        got = math.log(latency_quantile(hist, q))
        assert abs(got - truth) < LOG_BIN_WIDTH + Z * se, (q, math.exp(got), math.exp(truth))


def test_policy_days_latency_histogram_matches_the_binning():
    d = PolicyDays(horizon=2, models=2, segments=1)
    n = 1000
    lat = np.random.default_rng(1).lognormal(0.0, 0.5, n)
    r = Routing(final=np.zeros(n, dtype=np.int8), ran=np.vstack([np.ones(n, bool), np.zeros(n, bool)]),
                latency_s=lat, escalated=np.zeros(n, bool))
    from simroute.reactions import Reacted

    x = Reacted(outcome=np.zeros(n, np.int8), thumbs_down=np.zeros(n, bool), contacts=np.zeros(n, np.int8),
                compliance=np.zeros(n, bool), caught=np.zeros(n, bool), frustration=np.zeros(n))
    cost = np.vstack([np.full(n, 3, np.int64), np.full(n, 5, np.int64)])
    d.add(1, r, x, np.zeros(n, bool), np.zeros(n, bool), SimpleNamespace(cost_nano=cost))
    np.testing.assert_array_equal(d.latency_hist[1], _hist(lat))
    assert d.latency_hist[0].sum() == 0
    np.testing.assert_array_equal(d.inference_nano[1], [3 * n, 0])
    assert d.tier[1, 0, 0] == n and d.tier[1, 0, 1] == n
    assert latency_quantile(d.latency_hist[1], 0.5) == pytest.approx(np.median(lat), rel=0.03)


# ---------------------------------------------------------------- reactions

def _reactions(hedged_counts: bool = False, catch: float = 0.4, skew: float = 2.0) -> ReactionModel:
    data = yaml.safe_load(FIXTURE.read_text())
    data["reactions"]["thumbs_down_frustration_skew"] = skew
    data["reactions"]["compliance_frustration"] = 0.5
    data["reactions"]["wrong_confident"]["repeat_contact_probability"] = 0.5
    data["economics"]["compliance"] = {"audit_catch_rate": catch, "hedged_counts": hedged_counts}
    return ReactionModel(scenario_from_dict(data))


def _outcomes(correct: np.ndarray, confident: np.ndarray) -> Outcomes:
    m, n = correct.shape
    return Outcomes(correct=correct, confident=confident & ~correct, confidence=np.zeros((m, n), np.float32),
                    latency_s=np.ones((m, n), np.float32), cost_nano=np.zeros((m, n), np.int64))


def test_outcomes_map_to_correct_hedged_and_confident():
    # model 0 and model 1 answer differently; `final` picks whose answer counts
    correct = np.array([[1, 0, 0, 1, 0, 0], [0, 1, 0, 0, 0, 1]], bool)
    confident = np.array([[0, 1, 0, 0, 1, 0], [1, 0, 1, 1, 0, 0]], bool)
    final = np.array([0, 0, 0, 1, 1, 1])
    rm = _reactions()
    n = 6
    x = rm.react(final, _outcomes(correct, confident), np.zeros(n, bool), np.zeros(n), np.ones((REACTION_DRAWS, n)))
    np.testing.assert_array_equal(x.outcome, [CORRECT, WRONG_CONFIDENT, WRONG_HEDGED, WRONG_CONFIDENT,
                                              WRONG_HEDGED, CORRECT])
    # uniforms of 1 trigger nothing
    assert not x.thumbs_down.any() and not x.contacts.any() and not x.compliance.any() and not x.caught.any()
    np.testing.assert_allclose(x.frustration, [0.0, 1.0, 0.5, 1.0, 0.5, 0.0])  # per-outcome frustration


@pytest.mark.parametrize("hedged_counts", [False, True])
def test_compliance_only_for_regulatory_wrong_answers_that_count(hedged_counts):
    rm = _reactions(hedged_counts=hedged_counts, catch=1.0)
    # outcomes: correct, hedged, confident, each on a regulatory and a non-regulatory query
    correct = np.array([[1, 0, 0, 1, 0, 0]], bool)
    confident = np.array([[0, 0, 1, 0, 0, 1]], bool)
    regulatory = np.array([1, 1, 1, 0, 0, 0], bool)
    n = 6
    x = rm.react(np.zeros(n, int), _outcomes(correct, confident), regulatory, np.zeros(n),
                 np.full((REACTION_DRAWS, n), 0.5))
    want = np.array([False, hedged_counts, True, False, False, False])
    np.testing.assert_array_equal(x.compliance, want)
    np.testing.assert_array_equal(x.caught, want)  # catch rate 1
    np.testing.assert_allclose(x.frustration, np.array([0.0, 0.5, 1.0, 0.0, 0.5, 1.0]) + 0.5 * want)


def test_audit_catches_about_the_catch_rate():
    rm = _reactions(catch=0.4)
    n = 20_000
    correct = np.zeros((1, n), bool)
    confident = np.ones((1, n), bool)
    u = np.random.default_rng(3).random((REACTION_DRAWS, n))
    x = rm.react(np.zeros(n, int), _outcomes(correct, confident), np.ones(n, bool), np.zeros(n), u)
    assert x.compliance.all()
    k = int(x.caught.sum())
    assert abs(k / n - 0.4) < Z * math.sqrt(0.24 / n)
    np.testing.assert_array_equal(x.caught, u[3] < 0.4)
    assert not (x.caught & ~x.compliance).any()


def test_contacts_and_repeat_contacts_follow_their_draws():
    rm = _reactions()
    n = 5
    correct = np.zeros((1, n), bool)
    confident = np.ones((1, n), bool)  # wrong_confident: contact 0.2, repeat 0.5
    u = np.array([[1.0] * n,
                  [0.1, 0.1, 0.3, 0.19, 0.3],
                  [0.4, 0.6, 0.1, 0.0, 0.0],
                  [1.0] * n])
    x = rm.react(np.zeros(n, int), _outcomes(correct, confident), np.zeros(n, bool), np.zeros(n), u)
    np.testing.assert_array_equal(x.contacts, [2, 1, 0, 2, 0])  # a repeat needs a first contact


def test_thumbs_down_probability_scales_with_user_frustration():
    skew = 2.0
    rm = _reactions(skew=skew)
    n = 40_000
    rng = np.random.default_rng(4)
    correct = np.zeros((1, n), bool)
    confident = np.zeros((1, n), bool)  # wrong_hedged: thumbs-down 0.2 at zero frustration
    rates = []
    for f in (0.0, 0.5, 1.0, 1.5, 5.0):
        u = rng.random((REACTION_DRAWS, n))
        x = rm.react(np.zeros(n, int), _outcomes(correct, confident), np.zeros(n, bool), np.full(n, f), u)
        p = min(1.0, 0.2 * (1 + skew * f))
        np.testing.assert_array_equal(x.thumbs_down, u[0] < p)
        got = x.thumbs_down.mean()
        if p < 1.0:
            assert abs(got - p) < Z * math.sqrt(p * (1 - p) / n), (f, got, p)
        else:
            assert got == 1.0  # capped at 1
        rates.append(got)
    assert all(b > a for a, b in pairwise(rates[:-1]))


def test_thumbs_down_per_outcome_at_zero_frustration():
    rm = _reactions()
    n = 30_000
    rng = np.random.default_rng(5)
    for correct_v, confident_v, p in ((True, False, 0.02), (False, False, 0.2), (False, True, 0.3)):
        correct = np.full((1, n), correct_v)
        confident = np.full((1, n), confident_v)
        x = rm.react(np.zeros(n, int), _outcomes(correct, confident), np.zeros(n, bool), np.zeros(n),
                     rng.random((REACTION_DRAWS, n)))
        assert abs(x.thumbs_down.mean() - p) < Z * math.sqrt(p * (1 - p) / n)


def test_no_skew_means_frustration_does_not_matter():
    rm = _reactions(skew=0.0)
    n = 1000
    u = np.random.default_rng(6).random((REACTION_DRAWS, n))
    o = _outcomes(np.zeros((1, n), bool), np.zeros((1, n), bool))
    calm = rm.react(np.zeros(n, int), o, np.zeros(n, bool), np.zeros(n), u)
    angry = rm.react(np.zeros(n, int), o, np.zeros(n, bool), np.full(n, 9.0), u)
    np.testing.assert_array_equal(calm.thumbs_down, angry.thumbs_down)
