"""The policy registry: one class per PolicyKind, and every shipped scenario's policies build and route."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simroute.classifier import train
from simroute.policies import REGISTRY, Policy, PolicyContext, build
from simroute.rng import Streams
from simroute.scenario.loader import load_scenario
from simroute.scenario.policies import PolicyConfig, PolicyKind  # noqa: F401  (PolicyConfig: the union)
from simroute.scenario.world import SurfaceClass
from simroute.world.drift import DriftSchedule
from simroute.world.outcomes import ModelBank
from simroute.world.traffic import SurfaceGeometry, TrafficModel

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))


def test_every_policy_kind_has_a_registered_class():
    assert set(REGISTRY) == set(PolicyKind)
    for kind in PolicyKind:
        cls = REGISTRY[kind]
        assert issubclass(cls, Policy)
        assert cls.kind is kind


def test_registered_classes_are_distinct():
    assert len(set(REGISTRY.values())) == len(PolicyKind)


def test_every_kind_has_a_config_class_with_that_kind():
    from typing import get_args

    union = get_args(get_args(PolicyConfig)[0])
    kinds = {get_args(c.model_fields["kind"].annotation)[0] for c in union}
    assert kinds == set(PolicyKind)


def test_there_are_shipped_scenarios():
    assert {p.stem for p in SHIPPED} >= {"quickstart", "case1_saas_support", "case2_midmarket_saas",
                                         "case3_fintech"}


def _context(s):
    """A PolicyContext whose classifiers train on a small sample (the shipped ones use up to 200k)."""
    geometry = SurfaceGeometry(s, Streams(s.seed).generator("taxonomy"))
    traffic = TrafficModel(s, geometry)
    drift = DriftSchedule(s)
    classes = [i.surface_class for i in s.traffic.intents]
    assert SurfaceClass.simple in classes

    def classifier(cfg):
        rng = np.random.default_rng(0)
        q = traffic.draw(rng, 3000, drift.at(cfg.training_day + 0.5))
        return train(cfg, q.surface, q.intent, classes, rng)

    return PolicyContext(s, ModelBank(s), Streams(s.seed), classifier), traffic, drift


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_policies_build_and_route(path):
    s = load_scenario(path)
    ctx, traffic, drift = _context(s)
    n, m = 400, len(s.models)
    params = drift.at(0.5)
    rng = np.random.default_rng(1)
    q = traffic.draw(rng, n, params)
    o = ctx.models.draw(rng, q, params)
    kinds = set()
    for cfg in s.policies:
        p = build(cfg, ctx)
        assert isinstance(p, REGISTRY[cfg.kind])
        assert p.name == cfg.name and p.kind is cfg.kind
        kinds.add(cfg.kind)
        p.start_day(0, n)
        r = p.route(q, o, np.arange(n))
        assert r.final.shape == (n,) and r.ran.shape == (m, n)
        assert np.all((r.final >= 0) & (r.final < m))
        # the model whose answer the user gets always ran on the answer path (and is billed)
        assert np.all(r.ran[r.final.astype(int), np.arange(n)])
        assert np.all(r.latency_s > 0)
        assert r.escalated.dtype == bool
        if r.shadow is not None:
            assert not (r.shadow & r.ran).any()
        p.observe(r, o, np.zeros(n, bool))
        p.end_day(0)
        assert all(isinstance(v, float) for v in p.state().values())
    assert PolicyKind.single in kinds


def test_only_reference_routers_see_the_truth():
    """Routers see surface features, confidences and latencies; correctness is refused except to `oracle`."""
    import numpy as np
    import pytest

    from simroute.policies import REGISTRY
    from simroute.policies.base import PolicyView
    from simroute.scenario.policies import PolicyKind
    from simroute.world.outcomes import Outcomes
    from simroute.world.traffic import Queries

    assert {k for k, cls in REGISTRY.items() if cls.sees_truth} == {PolicyKind.oracle}
    n = 3
    q = Queries(np.zeros(n, np.int16), np.zeros(n), np.zeros(n), np.zeros(n, bool), np.zeros(n, bool),
                np.ones(n), np.ones(n), np.zeros((n, 2), np.float32))
    o = Outcomes(np.ones((2, n), bool), np.zeros((2, n), bool), np.full((2, n), 0.9, np.float32),
                 np.ones((2, n), np.float32), np.ones((2, n), np.int64))
    view = PolicyView(q, o)
    assert not hasattr(view, "hidden") and not hasattr(view, "difficulty")
    with pytest.raises(PermissionError):
        _ = view.correct
    assert PolicyView(q, o, sees_truth=True).correct.all()
