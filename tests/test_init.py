"""`simroute init` as a library function: a validated, commented scenario whose `single` policy reproduces
the stated accuracy and bill, and whose routers send about the stated share to the cheap model."""
from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from simroute.api import run
from simroute.init import InitInputs, init_scenario
from simroute.scenario.loader import load_scenario
from simroute.scenario.provenance import extract_provenance, missing_provenance
from simroute.world.drift import DriftSchedule
from simroute.world.outcomes import ModelBank
from simroute.world.traffic import SurfaceGeometry, TrafficModel

INPUTS = InitInputs(name="acme", mau=100_000, queries_per_day=4000, monthly_ai_bill_usd=3000, cheap_share=0.65,
                    cheap_accuracy=0.88, capable_accuracy=0.94, horizon_days=21, seed=3)


@pytest.fixture(scope="module")
def scaffold():
    return init_scenario(INPUTS)


@pytest.fixture(scope="module")
def result(scaffold):
    return run(scaffold.scenario)


def test_scaffold_validates_from_its_file_with_a_comment_on_every_value(tmp_path, scaffold):
    path = tmp_path / "acme.yaml"
    path.write_text(scaffold.text, encoding="utf-8")
    s = load_scenario(path)
    assert s == scaffold.scenario
    assert missing_provenance(scaffold.text) == []
    prov = extract_provenance(scaffold.text)
    assert prov["models[0].quality.accuracy"].startswith("input: cheap model's measured accuracy 0.88")
    assert prov["users.mau"] == "input: monthly active users"
    assert {p.name: p.kind.value for p in s.policies} == {"single": "single", "pre_route": "pre_route",
                                                          "cascade": "cascade"}
    per_tier = {(m.kind.value, m.policy, m.scope.value) for m in s.monitors}
    assert per_tier == {("human_review", "pre_route", "per_tier"), ("feedback_widget", "pre_route", "per_tier")}


def test_skill_gives_the_accuracy_in_simroutes_own_draws(scaffold):
    """Known answer by Monte Carlo through the world's own traffic and model draws (400k queries)."""
    s = scaffold.scenario
    rng = np.random.default_rng(11)
    params = DriftSchedule(s).at(0.5)
    q = TrafficModel(s, SurfaceGeometry(s, rng)).draw(rng, 400_000, params)
    correct = ModelBank(s).draw(rng, q, params).correct.mean(axis=1)
    for got, want in zip(correct, (INPUTS.cheap_accuracy, INPUTS.capable_accuracy), strict=True):
        assert abs(got - want) <= 4 * math.sqrt(want * (1 - want) / len(q))


def test_short_run_reproduces_accuracy_bill_and_routed_share(result):
    single = result.policies["single"]
    n = int(result.output.days["single"].tier_total("queries").sum())
    acc = INPUTS.capable_accuracy
    assert abs(single.quality["overall"] - acc) <= 4 * math.sqrt(acc * (1 - acc) / n)
    assert single.ai_platform_usd_per_month == pytest.approx(INPUTS.monthly_ai_bill_usd, rel=0.05)
    for name in ("pre_route", "cascade"):
        assert result.policies[name].tier_share["cheap"] == pytest.approx(INPUTS.cheap_share, abs=0.03)


def test_traffic_derived_from_mau_and_bill():
    r = init_scenario(InitInputs(mau=50_000, monthly_ai_bill_usd=1500, horizon_days=14))
    u = r.scenario.users
    daily = u.mau * u.queries_per_user_per_day
    per_query = 1000 * 0.0025 + 300 * 0.01  # default tokens at the default capable prices, per 1k tokens
    assert daily * 30 * per_query * math.exp(0.125) / 1000 == pytest.approx(1500, rel=1e-6)
    assert extract_provenance(r.text)["users.queries_per_user_per_day"].startswith("calibration:")


def test_inconsistent_bill_is_noted():
    r = init_scenario(InitInputs(mau=10_000, queries_per_day=1000, monthly_ai_bill_usd=100_000,
                                 tokens_in_median=500, tokens_out_median=100, horizon_days=14))
    assert any("off the" in n for n in r.notes)
    assert r.scenario.traffic.intents[0].tokens_in.median == 500


def test_only_queries_a_day_assumes_mau():
    r = init_scenario(InitInputs(queries_per_day=2000, horizon_days=14))
    assert r.scenario.users.mau == 40_000
    assert extract_provenance(r.text)["users.mau"].startswith("assumption:")


@pytest.mark.parametrize("bad", [
    {},  # neither MAU nor queries a day
    {"mau": 10, "cheap_accuracy": 1.2},
    {"mau": 10, "cheap_share": 1.0},
    {"mau": 10, "cheap_model": "same", "capable_model": "same"},
    {"mau": 10, "tokens_in_median": 100},
])
def test_bad_inputs_are_rejected(bad):
    with pytest.raises(ValidationError):
        InitInputs(**bad)


def test_every_input_has_help_text():
    assert all(f.description for f in InitInputs.model_fields.values())
