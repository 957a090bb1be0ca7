"""Routing policies fed crafted queries and outcomes: decisions, billing masks, latency, and adaptation."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from simroute.calendar import Calendar
from simroute.engine import Engine
from simroute.policies import build
from simroute.policies.base import Routing
from simroute.rng import Streams
from simroute.scenario.loader import scenario_from_dict
from simroute.world.outcomes import Outcomes
from simroute.world.traffic import Queries

FIXTURE = Path(__file__).parent / "fixtures" / "minimal.yaml"
Z = 5.0
CHEAP, MID, CAPABLE = 0, 1, 2
CLF = {"training_samples": 3000, "latency_ms": 30.0}

POLICIES = [
    {"name": "baseline", "kind": "single", "model": "capable"},
    {"name": "casc2", "kind": "cascade", "chain": ["mid", "capable"], "thresholds": [0.75]},
    {"name": "casc3", "kind": "cascade", "chain": ["cheap", "mid", "capable"], "thresholds": [0.75, 0.5]},
    {"name": "shadowed", "kind": "cascade", "chain": ["cheap", "capable"], "thresholds": [0.5],
     "shadow": {"share": 0.1}},
    {"name": "adaptive", "kind": "cascade", "chain": ["cheap", "capable"], "thresholds": [0.5],
     "shadow": {"share": 1.0},
     "adaptation": {"every_days": 7, "target_signal": 0.1, "step": 0.05, "min_threshold": 0.3,
                    "max_threshold": 0.6}},
    {"name": "thumbs", "kind": "cascade", "chain": ["cheap", "capable"], "thresholds": [0.5],
     "adaptation": {"every_days": 7, "target_signal": 0.1, "step": 0.05}},
    {"name": "oracle", "kind": "oracle", "models": ["cheap", "mid", "capable"]},
    {"name": "oracle_rev", "kind": "oracle", "models": ["capable", "cheap"]},
    {"name": "rand", "kind": "random", "cheap_model": "cheap", "capable_model": "capable", "cheap_share": 0.3},
    {"name": "pre", "kind": "pre_route", "cheap_model": "cheap", "capable_model": "capable", "threshold": 0.6,
     "classifier": CLF},
    {"name": "soft", "kind": "soft_threshold", "cheap_model": "cheap", "capable_model": "capable",
     "high": 0.8, "low": 0.3, "exploration_share": 0.2, "classifier": CLF},
    {"name": "softv", "kind": "soft_threshold", "cheap_model": "cheap", "capable_model": "capable",
     "high": 0.5, "low": 0.5, "exploration_share": 0.0, "classifier": CLF,
     "verifier": {"true_positive_rate": 0.8, "false_positive_rate": 0.1, "latency_ms": 200.0}},
    {"name": "softr", "kind": "soft_threshold", "cheap_model": "cheap", "capable_model": "capable",
     "high": 0.8, "low": 0.3, "exploration_share": 0.0, "classifier": CLF,
     "recalibration": {"every_days": 7, "reviews_per_day": 1000, "target_quality": 0.9, "step": 0.05}},
]


def _model(name: str, skill: float, median_s: float) -> dict:
    return {"name": name, "price_in_usd_per_1k_tokens": 0.001, "price_out_usd_per_1k_tokens": 0.002,
            "latency": {"median_s": median_s}, "quality": {"skill": skill}, "failure": {"confident_share": 0.5}}


@pytest.fixture(scope="module")
def engine() -> Engine:
    data = yaml.safe_load(FIXTURE.read_text())
    data["users"]["mau"] = 200
    data["models"] = [_model("cheap", 2.0, 0.5), _model("mid", 3.0, 1.0), _model("capable", 5.0, 2.0)]
    data["policies"] = POLICIES
    return Engine(scenario_from_dict(data))


def _policy(engine: Engine, name: str):
    """A fresh policy object (state is not shared between tests)."""
    cfg = next(p for p in engine.s.policies if p.name == name)
    ctx = engine.policies[0].ctx
    return build(cfg, ctx)


def _queries(n: int, surface: np.ndarray | None = None) -> Queries:
    return Queries(intent=np.zeros(n, dtype=np.int16), difficulty=np.zeros(n), tail=np.zeros(n),
                   hidden=np.zeros(n, bool), regulatory=np.zeros(n, bool), tokens_in=np.ones(n),
                   tokens_out=np.ones(n),
                   surface=np.zeros((n, 2), dtype=np.float32) if surface is None else surface)


def _outcomes(n: int, correct=None, confidence=None, latency=None) -> Outcomes:
    m = 3
    correct = np.ones((m, n), bool) if correct is None else np.asarray(correct, bool)
    confidence = np.full((m, n), 0.9) if confidence is None else np.asarray(confidence)
    latency = np.array([[0.5], [1.0], [2.0]]) * np.ones((1, n)) if latency is None else np.asarray(latency)
    return Outcomes(correct=correct, confident=np.zeros((m, n), bool),
                    confidence=confidence.astype(np.float32), latency_s=latency.astype(np.float32),
                    cost_nano=np.ones((m, n), dtype=np.int64))


def _random_outcomes(n: int, seed: int, p_correct: float = 0.6) -> Outcomes:
    rng = np.random.default_rng(seed)
    return _outcomes(n, correct=rng.random((3, n)) < p_correct, confidence=rng.random((3, n)),
                     latency=rng.lognormal(0.0, 0.5, (3, n)))


def _start(policy, n: int, day: int = 0) -> np.ndarray:
    policy.start_day(day, n)
    return np.arange(n)


def _binomial_ok(k: int, n: int, p: float) -> bool:
    return abs(k / n - p) < Z * math.sqrt(p * (1 - p) / n)


# ---------------------------------------------------------------- single

def test_single_sends_everything_to_its_model(engine):
    p = _policy(engine, "baseline")
    o = _random_outcomes(50, 1)
    r = p.route(_queries(50), o, _start(p, 50))
    assert np.all(r.final == CAPABLE)
    np.testing.assert_array_equal(r.ran, np.arange(3)[:, None] == CAPABLE * np.ones((1, 50), int))
    np.testing.assert_allclose(r.latency_s, o.latency_s[CAPABLE])
    assert not r.escalated.any()


# ---------------------------------------------------------------- cascade

def test_two_model_cascade_escalates_exactly_below_the_threshold(engine):
    p = _policy(engine, "casc2")  # chain mid -> capable, threshold 0.75
    conf = np.full((3, 6), 0.9)
    conf[MID] = [0.0, 0.5, 0.7499, 0.75, 0.76, 1.0]
    o = _outcomes(6, confidence=conf)
    r = p.route(_queries(6), o, _start(p, 6))
    esc = np.array([True, True, True, False, False, False])
    np.testing.assert_array_equal(r.escalated, esc)
    np.testing.assert_array_equal(r.final, np.where(esc, CAPABLE, MID))
    np.testing.assert_array_equal(r.ran[CHEAP], np.zeros(6, bool))  # not in the chain
    np.testing.assert_array_equal(r.ran[MID], np.ones(6, bool))
    np.testing.assert_array_equal(r.ran[CAPABLE], esc)
    np.testing.assert_allclose(r.latency_s, 1.0 + 2.0 * esc)
    assert r.shadow is None


def test_cascade_escalation_matches_threshold_on_random_confidences(engine):
    p = _policy(engine, "casc2")
    o = _random_outcomes(5000, 2)
    r = p.route(_queries(5000), o, _start(p, 5000))
    esc = o.confidence[MID] < 0.75
    np.testing.assert_array_equal(r.escalated, esc)
    np.testing.assert_array_equal(r.final, np.where(esc, CAPABLE, MID))
    np.testing.assert_allclose(r.latency_s, o.latency_s[MID] + esc * o.latency_s[CAPABLE], rtol=1e-6)
    np.testing.assert_array_equal(r.ran.sum(axis=0), 1 + esc)


def test_three_model_chain_stops_at_the_first_confident_link(engine):
    p = _policy(engine, "casc3")  # cheap (0.75) -> mid (0.5) -> capable
    conf = np.array([
        [0.9, 0.9, 0.1, 0.1, 0.1, 0.75],   # cheap
        [0.1, 0.9, 0.9, 0.5, 0.1, 0.0],    # mid
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],    # capable (never consulted)
    ])
    lat = np.array([[0.1] * 6, [1.0] * 6, [10.0] * 6])
    o = _outcomes(6, confidence=conf, latency=lat)
    r = p.route(_queries(6), o, _start(p, 6))
    np.testing.assert_array_equal(r.final, [CHEAP, CHEAP, MID, MID, CAPABLE, CHEAP])
    np.testing.assert_array_equal(r.escalated, [False, False, True, True, True, False])
    np.testing.assert_array_equal(r.ran, [[True] * 6,
                                          [False, False, True, True, True, False],
                                          [False, False, False, False, True, False]])
    np.testing.assert_allclose(r.latency_s, [0.1, 0.1, 1.1, 1.1, 11.1, 0.1], rtol=1e-6)


def test_shadow_only_on_non_escalated_queries_at_the_configured_share(engine):
    p = _policy(engine, "shadowed")  # cheap -> capable at 0.5, shadow share 0.1
    n = 20_000
    o = _random_outcomes(n, 3)
    r = p.route(_queries(n), o, _start(p, n, day=4))
    assert r.shadow is not None and r.shadow.shape == (3, n)
    assert not r.shadow[[CHEAP, MID]].any()
    shadow = r.shadow[CAPABLE]
    assert not (shadow & r.escalated).any()
    confident = ~r.escalated
    assert _binomial_ok(int(shadow[confident].sum()), int(confident.sum()), 0.1)
    # it is the policy's own stream, per day
    u = Streams(engine.s.seed).policy("shadowed", 4).random((1, n))[0]
    np.testing.assert_array_equal(shadow, confident & (u < 0.1))
    # the shadow run is billed as shadow, not on the answer path
    assert not (r.ran[CAPABLE] & shadow).any()


def test_cascade_uses_the_days_uniforms_at_the_given_positions(engine):
    p = _policy(engine, "shadowed")
    n = 1000
    o = _random_outcomes(n, 4)
    full = p.route(_queries(n), o, _start(p, n))
    idx = np.arange(n)[::3]
    part = p.route(_queries(len(idx)), o.take(idx), idx)
    np.testing.assert_array_equal(part.shadow, full.shadow[:, idx])
    np.testing.assert_array_equal(part.final, full.final[idx])


def _feed_shadow(p, n: int, wrong_share: float, seed: int) -> None:
    o = _random_outcomes(n, seed)
    o.correct[CAPABLE] = True
    o.correct[CHEAP] = np.random.default_rng(seed + 1).random(n) >= wrong_share
    r = p.route(_queries(n), o, _start(p, n))
    p.observe(r, o, np.zeros(n, bool))


def test_cascade_adaptation_moves_the_threshold_toward_the_target_signal(engine):
    p = _policy(engine, "adaptive")  # target 0.1, step 0.05, range [0.3, 0.6], shadow share 1
    cal = Calendar()
    p.schedule(cal, horizon=30)
    assert len(cal) == 4 and cal.next_time() == 7.0  # days 7, 14, 21, 28 < 30
    assert p.state() == {"threshold": 0.5}
    _feed_shadow(p, 4000, wrong_share=0.3, seed=10)  # disagreement ~0.3 > 0.1: raise
    cal.run_until(7)
    assert p.state()["threshold"] == pytest.approx(0.55)
    _feed_shadow(p, 4000, wrong_share=0.3, seed=11)
    cal.run_until(14)
    assert p.state()["threshold"] == pytest.approx(0.6)  # capped at max_threshold
    _feed_shadow(p, 4000, wrong_share=0.0, seed=12)  # 0 < target / 2: lower
    cal.run_until(21)
    assert p.state()["threshold"] == pytest.approx(0.55)
    _feed_shadow(p, 4000, wrong_share=0.07, seed=13)  # between target / 2 and target: hold
    cal.run_until(28)
    assert p.state()["threshold"] == pytest.approx(0.55)
    assert [label for _, label in cal.trace] == ["adapt:adaptive"] * 4


def test_adapted_threshold_is_used_for_routing(engine):
    p = _policy(engine, "adaptive")
    _feed_shadow(p, 2000, wrong_share=0.5, seed=20)
    p._adapt(7.0)
    conf = np.full((3, 3), 0.9)
    conf[CHEAP] = [0.52, 0.56, 0.4]
    r = p.route(_queries(3), _outcomes(3, confidence=conf), _start(p, 3))
    np.testing.assert_array_equal(r.escalated, [True, False, True])  # threshold is now 0.55


def test_cascade_adaptation_without_shadow_uses_thumbs_down_of_first_model_answers(engine):
    p = _policy(engine, "thumbs")  # target 0.1, step 0.05
    n = 1000
    conf = np.full((3, n), 0.9)
    conf[CHEAP, :200] = 0.1  # 200 escalated, 800 answered by cheap
    o = _outcomes(n, confidence=conf)
    r = p.route(_queries(n), o, _start(p, n))
    thumbs = np.zeros(n, bool)
    thumbs[:200] = True      # thumbs on escalated answers do not count
    thumbs[200:300] = True   # 100 / 800 = 0.125 > 0.1
    p.observe(r, o, thumbs)
    p._adapt(7.0)
    assert p.state()["threshold"] == pytest.approx(0.55)
    p._adapt(14.0)  # no signal collected since: unchanged
    assert p.state()["threshold"] == pytest.approx(0.55)


# ---------------------------------------------------------------- oracle

def test_oracle_picks_the_cheapest_correct_model_else_the_last(engine):
    p = _policy(engine, "oracle")
    correct = np.array([
        [1, 0, 0, 0, 1, 0],
        [1, 1, 0, 0, 0, 1],
        [1, 1, 1, 0, 0, 0],
    ], bool)
    o = _outcomes(6, correct=correct, latency=np.array([[0.1] * 6, [1.0] * 6, [10.0] * 6]))
    r = p.route(_queries(6), o, _start(p, 6))
    np.testing.assert_array_equal(r.final, [CHEAP, MID, CAPABLE, CAPABLE, CHEAP, MID])
    np.testing.assert_array_equal(r.ran, np.arange(3)[:, None] == r.final[None, :])
    np.testing.assert_allclose(r.latency_s, [0.1, 1.0, 10.0, 10.0, 0.1, 1.0], rtol=1e-6)
    assert not r.escalated.any()


def test_oracle_follows_its_configured_order(engine):
    p = _policy(engine, "oracle_rev")  # capable first, then cheap
    correct = np.array([[1, 1, 0], [1, 1, 1], [1, 0, 0]], bool)
    r = p.route(_queries(3), _outcomes(3, correct=correct), _start(p, 3))
    np.testing.assert_array_equal(r.final, [CAPABLE, CHEAP, CHEAP])  # none correct: the last, cheap


# ---------------------------------------------------------------- random

def test_random_sends_about_cheap_share_to_cheap_from_its_own_stream(engine):
    p = _policy(engine, "rand")
    n = 20_000
    o = _random_outcomes(n, 5)
    r = p.route(_queries(n), o, _start(p, n, day=9))
    cheap = r.final == CHEAP
    assert set(np.unique(r.final)) == {CHEAP, CAPABLE}
    assert _binomial_ok(int(cheap.sum()), n, 0.3)
    u = Streams(engine.s.seed).policy("rand", 9).random((1, n))[0]
    np.testing.assert_array_equal(cheap, u < 0.3)
    np.testing.assert_allclose(r.latency_s, np.where(cheap, o.latency_s[CHEAP], o.latency_s[CAPABLE]))
    np.testing.assert_array_equal(r.ran, np.arange(3)[:, None] == r.final[None, :])
    # another day, other draws
    r2 = p.route(_queries(n), o, _start(p, n, day=10))
    assert not np.array_equal(r2.final, r.final)


# ---------------------------------------------------------------- classifier routers

@pytest.fixture(scope="module")
def traffic_batch(engine):
    w = engine.world
    q = w.traffic.draw(np.random.default_rng(99), 20_000, w.drift.at(0.5))
    return q, _random_outcomes(len(q), 6)


def test_pre_route_thresholds_the_classifier_score(engine, traffic_batch):
    q, o = traffic_batch
    p = _policy(engine, "pre")
    r = p.route(q, o, _start(p, len(q)))
    score = p.classifier.score(q.surface)
    np.testing.assert_array_equal(r.score, score)
    np.testing.assert_array_equal(r.final, np.where(score >= 0.6, CHEAP, CAPABLE))
    assert 0.1 < np.mean(r.final == CHEAP) < 0.9
    np.testing.assert_allclose(r.latency_s, 0.03 + np.where(score >= 0.6, o.latency_s[CHEAP], o.latency_s[CAPABLE]),
                               rtol=1e-6)
    assert r.classified.all() and not r.escalated.any()
    np.testing.assert_array_equal(r.ran, np.arange(3)[:, None] == r.final[None, :])
    assert p.state() == {"threshold": 0.6}


def test_soft_threshold_bands_and_exploration(engine, traffic_batch):
    q, o = traffic_batch
    p = _policy(engine, "soft")  # high 0.8, low 0.3, exploration 0.2
    r = p.route(q, o, _start(p, len(q), day=2))
    s = r.score
    high, band, low = s >= 0.8, (s >= 0.3) & (s < 0.8), s < 0.3
    assert high.sum() > 500 and band.sum() > 500 and low.sum() > 500
    assert np.all(r.final[high] == CHEAP)
    assert np.all(r.final[low] == CAPABLE)
    explored = r.final[band] == CHEAP
    assert _binomial_ok(int(explored.sum()), int(band.sum()), 0.2)
    u0 = Streams(engine.s.seed).policy("soft", 2).random((2, len(q)))[0]
    np.testing.assert_array_equal(r.final == CHEAP, high | (band & (u0 < 0.2)))
    assert not r.escalated.any() and r.verified is None
    np.testing.assert_array_equal(r.ran, np.arange(3)[:, None] == r.final[None, :])


def test_verifier_flags_wrong_at_tpr_and_correct_at_fpr(engine, traffic_batch):
    q, o = traffic_batch
    p = _policy(engine, "softv")  # everything scored >= 0.5 goes cheap and is verified
    r = p.route(q, o, _start(p, len(q)))
    to_cheap = r.score >= 0.5
    np.testing.assert_array_equal(r.verified, to_cheap)
    flagged = r.escalated
    assert not (flagged & ~to_cheap).any()
    wrong = to_cheap & ~o.correct[CHEAP]
    right = to_cheap & o.correct[CHEAP]
    assert _binomial_ok(int((flagged & wrong).sum()), int(wrong.sum()), 0.8)
    assert _binomial_ok(int((flagged & right).sum()), int(right.sum()), 0.1)
    # flagged answers end on capable with both models billed; the rest of the cheap traffic stays cheap
    assert np.all(r.final[flagged] == CAPABLE)
    assert np.all(r.ran[CHEAP, flagged] & r.ran[CAPABLE, flagged])
    assert np.all(r.final[to_cheap & ~flagged] == CHEAP)
    assert not r.ran[CAPABLE, to_cheap & ~flagged].any()
    assert np.all(r.final[~to_cheap] == CAPABLE) and not r.ran[CHEAP, ~to_cheap].any()
    lat = 0.03 + np.where(to_cheap, o.latency_s[CHEAP] + 0.2 + flagged * o.latency_s[CAPABLE], o.latency_s[CAPABLE])
    np.testing.assert_allclose(r.latency_s, lat, rtol=1e-6)


def _serve_cheap(p, n_cheap: int, n_correct: int, band: str = "confident") -> None:
    """Make the policy observe `n_cheap` cheap-tier answers of which `n_correct` are right, all from the
    confident band (score >= high) or all from the exploration band."""
    final = np.full(n_cheap + 10, CHEAP, dtype=np.int8)
    final[-10:] = CAPABLE  # capable answers are not reviewed
    correct = np.zeros((3, len(final)), bool)
    correct[CHEAP, :n_correct] = True
    correct[CAPABLE] = True
    r = Routing(final=final, ran=np.zeros((3, len(final)), bool), latency_s=np.zeros(len(final)),
                escalated=np.zeros(len(final), bool))
    p._band = np.full(len(final), band == "confident")  # set by route() for the batch it routed
    p.observe(r, _outcomes(len(final), correct=correct), np.zeros(len(final), bool))


@pytest.mark.parametrize("band, n_correct, expected", [
    ("confident", 80, 0.85),  # the confident band is below target 0.9: tighten
    ("confident", 95, 0.80),  # a good confident band alone is no evidence for the queries below `high`
    ("explored", 95, 0.75),   # the exploration band beats 0.9 + 0.02: relax
    ("explored", 91, 0.80),   # inside the hysteresis band: hold
    ("explored", 92, 0.80),   # exactly target + 0.02 does not beat it
    ("explored", 80, 0.80),   # a poor exploration band keeps `high` where it is
])
def test_recalibration_moves_high_with_reviewed_cheap_accuracy(engine, band, n_correct, expected):
    p = _policy(engine, "softr")  # high 0.8, target 0.9, step 0.05, 1000 reviews a day (>= all answers)
    _serve_cheap(p, 100, n_correct, band)
    p.end_day(3)
    p._recalibrate(7.0)
    assert p.state()["threshold"] == pytest.approx(expected)


def test_recalibration_runs_on_the_calendar_and_respects_bounds(engine):
    p = _policy(engine, "softr")
    cal = Calendar()
    p.schedule(cal, horizon=22)
    assert len(cal) == 3 and cal.next_time() == 7.0  # days 7, 14, 21 < 22
    for day in range(3):
        _serve_cheap(p, 50, 10)
        p.end_day(day)
    cal.run_until(7)
    assert p.state()["threshold"] == pytest.approx(0.85)
    cal.run_until(14)  # no reviews since the last recalibration: unchanged
    assert p.state()["threshold"] == pytest.approx(0.85)
    assert [label for _, label in cal.trace] == ["recalibrate:softr"] * 2


def test_recalibration_cannot_go_below_low_or_above_one(engine):
    p = _policy(engine, "softr")
    for _ in range(20):
        _serve_cheap(p, 100, 100, "explored")
        p.end_day(0)
        p._recalibrate(0.0)
    assert p.state()["threshold"] == pytest.approx(0.3)  # low
    for _ in range(30):
        _serve_cheap(p, 100, 0)
        p.end_day(0)
        p._recalibrate(0.0)
    assert p.state()["threshold"] == pytest.approx(1.0)


def test_recalibrated_high_is_used_for_routing(engine, traffic_batch):
    q, o = traffic_batch
    p = _policy(engine, "softr")
    p.high = 0.95
    r = p.route(q, o, _start(p, len(q)))
    np.testing.assert_array_equal(r.final == CHEAP, r.score >= 0.95)
