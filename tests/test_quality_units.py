"""Model quality and confidence in measurable units: solved once at the boundary, matching the simulation."""
from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
import yaml
from scipy import integrate
from scipy.special import expit

import simroute
from simroute.errors import ScenarioError
from simroute.rng import Streams
from simroute.scenario.loader import load_scenario, scenario_from_dict
from simroute.scenario.measurable import expected_accuracy, tail_rule
from simroute.world.drift import DriftSchedule
from simroute.world.outcomes import ModelBank
from simroute.world.traffic import SurfaceGeometry, TrafficModel

QUICKSTART = "scenarios/quickstart.yaml"


def _raw():
    return yaml.safe_load(open(QUICKSTART, encoding="utf-8"))


def _draw(s, n=400_000, seed=3):
    """Day-0 queries and every model's answers, straight from the world."""
    st = Streams(seed)
    params = DriftSchedule(s).at(0.5)
    q = TrafficModel(s, SurfaceGeometry(s, st.generator("taxonomy"))).draw(st.generator("a"), n, params)
    return q, ModelBank(s).draw(st.generator("b"), q, params)


@pytest.mark.parametrize("alpha,scale,c", [(1.05, 3.0, 20.0), (2.5, 1.0, 3.0), (20.0, 0.1, -2.0)])
def test_tail_quadrature_against_adaptive_integration(alpha, scale, c):
    t, w = tail_rule(alpha, scale)
    dens = lambda x: expit(c - x) * alpha / scale * (1 + x / scale) ** (-alpha - 1)  # noqa: E731
    cuts = [0.0, 5 * scale, max(c, 5 * scale) + 50, np.inf]
    exact = sum(integrate.quad(dens, a, b, limit=400)[0] for a, b in pairwise(cuts))
    assert (w * expit(c - t)).sum() == pytest.approx(exact, abs=1e-6)


def test_accuracy_yields_the_simulated_single_accuracy():
    raw = _raw()
    raw["horizon_days"], raw["drift"] = 21, []
    raw["users"]["queries_per_user_per_day"] = 0.06            # ~3,000 queries a day
    raw["models"][1]["quality"] = {"accuracy": 0.9, "hidden_intent_penalty": 0.5}
    s = scenario_from_dict(raw)
    assert expected_accuracy(s.models[1].quality.skill, s.models[1].quality, s.traffic) == pytest.approx(0.9, abs=1e-9)
    res = simroute.run(s)
    served = res.daily.filter(res.daily["policy"] == "single")["queries"].sum()
    got = res.policies["single"].quality["large"]
    assert abs(got - 0.9) <= 3 * np.sqrt(0.09 / served)


def test_measured_confidence_matches_the_draws():
    raw = _raw()
    raw["models"][0]["confidence"] = {"mean_confidence": 0.8, "wrong_below": {"confidence": 0.6, "share": 0.9},
                                      "hidden_awareness": 0.8}
    s = scenario_from_dict(raw)
    c = s.models[0].confidence
    assert c.mean_confidence is None and c.error_awareness > 0
    _, o = _draw(s)
    wrong = ~o.correct[0]
    assert o.confidence[0].mean() == pytest.approx(0.8, abs=0.002)
    assert (o.confidence[0][wrong] < 0.6).mean() == pytest.approx(0.9, abs=0.01)


def test_resolved_scenario_dumps_like_a_logit_unit_one():
    raw = _raw()
    raw["models"][0]["quality"] = {"accuracy": 0.93, "hidden_intent_penalty": 4.0}
    s = scenario_from_dict(raw)
    dumped = s.model_dump(mode="json")
    assert "accuracy" not in dumped["models"][0]["quality"]
    assert scenario_from_dict(dumped) == s


def test_shipped_scenarios_are_unchanged_by_the_new_fields():
    for name in ("quickstart", "case1_saas_support"):
        s = load_scenario(f"scenarios/{name}.yaml")
        assert all(m.quality.accuracy is None and m.confidence.wrong_below is None for m in s.models)


@pytest.mark.parametrize("quality,confidence,message", [
    ({"skill": 4.0, "accuracy": 0.9}, None,
     "models[0].quality.accuracy: give either skill (logit units) or accuracy (fraction), not both"),
    ({"accuracy": 0.9, "ceiling": 0.85}, None, "models[0].quality.accuracy: 0.9 is not reachable"),
    ({"hidden_intent_penalty": 1.0}, None, "models[0].quality.skill: required field missing"),
    ({"skill": 4.0}, {"bias": 0.5, "mean_confidence": 0.7},
     "models[0].confidence.mean_confidence: give either bias (logit units) or mean_confidence, not both"),
    ({"skill": 4.0}, {"wrong_below": {"confidence": 0.5, "share": 0.01}},
     "models[0].confidence.wrong_below.share: 0.01 is not reachable"),
])
def test_errors_carry_the_yaml_path(tmp_path, quality, confidence, message):
    raw = _raw()
    raw["models"][0]["quality"] = quality
    if confidence is not None:
        raw["models"][0]["confidence"] = confidence
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    assert message in str(e.value)
    assert str(path) in str(e.value)
