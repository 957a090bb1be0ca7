"""Extension points declare what they need: every policy kind's launch rule, two-tier routers' models,
monitors' needs, the drift-kind table, the day-loop observers and the day source."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import yaml

from simroute import rng as streams_mod
from simroute.engine import Engine, World
from simroute.monitors import REGISTRY as MONITORS
from simroute.observers import DayObserver
from simroute.policies import REGISTRY as POLICIES
from simroute.policies import build
from simroute.policies.base import ClassifierRouter, Policy, TwoTierRouter
from simroute.reactions import REACTION_DRAWS
from simroute.rng import Streams
from simroute.scenario.loader import scenario_from_dict
from simroute.scenario.monitors import CONFIGS, QUALITY_KINDS, MonitorKind
from simroute.scenario.policies import PolicyKind
from simroute.scenario.world import DRIFTS, DriftKind, DriftMove, DriftTarget
from simroute.world.day_source import DayDraw, DaySource, SyntheticDaySource
from simroute.world.drift import MOVES, DayParams

FIXTURE = Path(__file__).parent / "fixtures" / "minimal.yaml"
CLF = {"training_samples": 2000}
KINDS = [
    {"name": "baseline", "kind": "single", "model": "capable"},
    {"name": "pre", "kind": "pre_route", "cheap_model": "cheap", "capable_model": "capable", "threshold": 0.6,
     "classifier": CLF},
    {"name": "soft", "kind": "soft_threshold", "cheap_model": "cheap", "capable_model": "capable",
     "high": 0.7, "low": 0.3, "exploration_share": 0.0, "classifier": CLF},
    {"name": "casc", "kind": "cascade", "chain": ["cheap", "capable"], "thresholds": [0.6]},
    {"name": "oracle", "kind": "oracle", "models": ["cheap", "capable"]},
    {"name": "rand", "kind": "random", "cheap_model": "cheap", "capable_model": "capable", "cheap_share": 0.4},
]


def _data(**over) -> dict:
    data = yaml.safe_load(FIXTURE.read_text())
    data["users"]["mau"] = 300
    data["horizon_days"] = 10
    data.update(over)
    return data


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(scenario_from_dict(_data(policies=KINDS)))


@pytest.fixture(scope="module")
def batch(engine):
    w = engine.world
    rng = np.random.default_rng(3)
    q = w.source.queries(rng, 3000, 0.5)
    return q, w.source.answers(rng, q, 0.5)


# ---------------------------------------------------------------- policies

def test_every_policy_kind_implements_its_launch_rule(engine, batch):
    """No kind silently falls back to a default: `launch_tiers` is abstract on `Policy`."""
    assert "launch_tiers" in Policy.__abstractmethods__
    assert {p.kind for p in engine.policies} == set(PolicyKind)
    q, o = batch
    for kind in PolicyKind:
        assert "launch_tiers" in vars(POLICIES[kind]) or issubclass(POLICIES[kind], ClassifierRouter), kind
    for p in engine.policies:
        tiers = p.launch_tiers(q, o)
        assert tiers.dtype == np.int8 and tiers.shape == (len(q),)
        assert np.all((tiers >= 0) & (tiers < len(engine.s.models)))


def test_a_policy_without_a_launch_rule_cannot_be_built():
    class NoRule(Policy):
        def decide(self, v, pos):
            raise NotImplementedError

    with pytest.raises(TypeError, match="launch_tiers"):
        NoRule(KINDS[0], None)


def test_launch_rules_are_the_routing_rules_at_launch(engine, batch):
    q, o = batch
    cheap, capable = engine.s.model_index("cheap"), engine.s.model_index("capable")
    by = {p.name: p for p in engine.policies}
    n = len(q)
    for name in ("pre", "casc"):
        p = by[name]
        p.start_day(0, n)
        assert np.array_equal(p.launch_tiers(q, o), p.route(q, o, np.arange(n)).final)
    soft = by["soft"]  # no exploration: its launch rule is P(simple) >= high
    want = np.where(soft.classifier.score(q.surface) >= 0.7, cheap, capable)
    assert np.array_equal(soft.launch_tiers(q, o), want)
    assert np.all(by["baseline"].launch_tiers(q, o) == capable)
    for name in ("oracle", "rand"):  # no launch rule to test offline: the baseline model
        assert np.all(by[name].launch_tiers(q, o) == engine.baseline_model)


def test_two_tier_routers_declare_their_models(engine):
    for p in engine.policies:
        two_tier = hasattr(p.config, "cheap_model")
        assert isinstance(p, TwoTierRouter) is two_tier, p.name
        if two_tier:
            assert (p.cheap, p.capable) == (engine.s.model_index(p.config.cheap_model),
                                            engine.s.model_index(p.config.capable_model))
        assert isinstance(p, ClassifierRouter) is (p.classifier is not None)
        if isinstance(p, ClassifierRouter):
            assert isinstance(p.launch_threshold, float)


# ---------------------------------------------------------------- monitors

def test_every_monitor_kind_has_a_config_class_declaring_its_needs():
    assert set(CONFIGS) == set(MonitorKind) == set(MONITORS)
    for kind, cls in CONFIGS.items():
        for need in ("needs_classifier", "needs_ood", "needs_shadow", "measures_quality"):
            assert isinstance(getattr(cls, need), bool), (kind, need)
    assert QUALITY_KINDS == {k for k, c in CONFIGS.items() if c.measures_quality}


@pytest.mark.parametrize("kind", [k for k in MonitorKind if CONFIGS[k].needs_classifier])
def test_a_monitor_needing_a_classifier_rejects_a_cascade(kind):
    from simroute.errors import ScenarioError

    data = _data(policies=KINDS, monitors=[{"name": "m", "kind": kind.value, "policy": "casc"}])
    with pytest.raises(ScenarioError, match="needs a classifier router, 'casc' is cascade"):
        scenario_from_dict(data)
    scenario_from_dict(_data(policies=KINDS, monitors=[{"name": "m", "kind": kind.value, "policy": "pre"}]))


def test_monitor_board_keeps_named_watches_and_review_samples():
    data = _data(policies=KINDS, monitors=[
        {"name": "rev", "kind": "human_review", "policy": "pre", "reviews_per_day": 20, "start_day": 0,
         "alarm": {"threshold": 5.0, "reference_days": 3}},
        {"name": "tail", "kind": "long_tail_sampling", "policy": "soft", "start_day": 0,
         "alarm": {"threshold": 5.0, "reference_days": 3}}])
    eng = Engine(scenario_from_dict(data))
    out = eng.run()
    assert eng.board is not None and set(eng.board.watches) == {"rev", "tail"}
    assert eng.board.needs_ood == {"soft"}
    w = eng.board.watches["rev"]
    assert (w.start, w.end) == out.monitors.windows["rev"] == (0, 10)
    assert out.monitors.reviews and {r.monitor for r in out.monitors.reviews} == {"rev"}
    r = out.monitors.reviews[0]
    assert r.policy == "pre" and len(r.tier) == len(r.confidence) == len(r.verdict) == 20


# ---------------------------------------------------------------- drift kinds

def test_every_drift_kind_is_described_once_and_has_a_mechanism():
    assert set(DRIFTS) == set(DriftKind)
    assert set(MOVES) == set(DriftMove)
    params = {f.name for f in dataclasses.fields(DayParams)}
    for kind, spec in DRIFTS.items():
        assert spec.parameter in params, kind
        assert spec.target in DriftTarget


@pytest.mark.parametrize("kind", list(DriftKind))
def test_each_drift_kind_moves_only_its_parameter(kind):
    spec = DRIFTS[kind]
    target = {DriftTarget.none: None, DriftTarget.intent: "billing", DriftTarget.segment: "everyone",
              DriftTarget.model: "cheap"}[spec.target]
    to = next(v for v in (0.3, 1.5) if spec.valid(v))
    data = _data(drift=[{"kind": kind.value, "target": target, "start_day": 2, "to": to}])
    one = data["users"]["segments"][0]
    data["users"]["segments"] = [{**one, "share": 0.5}, {**one, "name": "others", "share": 0.5}]
    s = scenario_from_dict(data)
    world = World(s, Streams(s.seed))
    before, after = world.drift.at(1.5), world.drift.at(2.5)
    for f in dataclasses.fields(DayParams):
        moved = not np.array_equal(getattr(before, f.name), getattr(after, f.name))
        assert moved is (f.name == spec.parameter), (kind, f.name)


def test_quality_drifts_are_the_ones_that_move_answer_quality():
    assert {k for k, s in DRIFTS.items() if s.quality} == {
        DriftKind.hidden_intent_rate, DriftKind.difficulty_scale, DriftKind.model_skill}


# ---------------------------------------------------------------- day source and observers

def test_synthetic_day_source_draws_in_the_documented_order(engine):
    s, streams, w = engine.s, engine.streams, engine.world
    draw = w.source.day(4, w.population.joined(4))
    arr = streams.generator(streams_mod.ARRIVALS, 4)
    season = np.array(s.users.weekly_seasonality)
    n = int(arr.poisson(s.users.queries_per_user_per_day * w.population.joined(4) * (season / season.mean())[4]))
    assert len(draw) == n and draw.day == 4
    assert np.array_equal(draw.times, 4 + np.sort(arr.random(n)))
    assert np.array_equal(draw.users, arr.integers(0, w.population.joined(4), size=n))
    q = w.traffic.draw(arr, n, w.drift.at(4.5))
    assert np.array_equal(draw.queries.surface, q.surface)
    o = w.models.draw(streams.generator(streams_mod.OUTCOMES, 4), q, w.drift.at(4.5))
    assert np.array_equal(draw.outcomes.confidence, o.confidence)
    assert np.array_equal(draw.uniforms, streams.generator(streams_mod.REACTIONS, 4).random((REACTION_DRAWS, n)))


class Thinned(DaySource):
    """A second day source: the synthetic draw with every other query dropped (a stand-in for a replay)."""

    def __init__(self, inner: SyntheticDaySource):
        self.inner = inner
        self.days: list[int] = []

    def day(self, day, joined):
        self.days.append(day)
        d = self.inner.day(day, joined)
        keep = np.arange(0, len(d), 2)
        return DayDraw(day, d.times[keep], d.users[keep], d.queries.take(keep), d.outcomes.take(keep),
                       d.uniforms[:, keep])

    def queries(self, rng, n, t):
        return self.inner.queries(rng, n, t)

    def answers(self, rng, q, t):
        return self.inner.answers(rng, q, t)

    def p_correct(self, q, t):
        return self.inner.p_correct(q, t)


def test_the_engine_serves_whatever_its_day_source_supplies():
    s = scenario_from_dict(_data(policies=KINDS[:2]))
    plain = Engine(s).run()
    holder = {}
    eng = Engine(s, source=lambda world: holder.setdefault("src", Thinned(world.source)))
    out = eng.run()
    assert holder["src"].days == list(range(s.horizon_days))
    assert np.array_equal(out.arrivals, (plain.arrivals + 1) // 2)
    assert out.holdout_parity == plain.holdout_parity  # offline samples come from the same source


def test_observers_are_plugged_into_the_day_loop(engine):
    kinds = {type(o).__name__ for o in engine.observers}
    assert {"ModelCalibration", "Surveys"} <= kinds
    assert all(isinstance(o, DayObserver) for o in engine.observers)


def test_policies_build_from_any_context(engine):
    ctx = engine.policies[0].ctx
    for cfg in engine.s.policies:
        assert type(build(cfg, ctx)) is POLICIES[cfg.kind]
