"""The shipped MMLU replay (scenarios/mmlu_replay.yaml on RouteLLM's recorded answers): what it must show.

Single models at their recorded accuracy on the replayed prompts, the oracle at the either-right share, the
random router at APGR 0.5, threshold curves ending at the two single models, and policies that do not move
when another is dropped. Each full run takes tens of seconds, so the module is marked slow."""
from __future__ import annotations

import os
from functools import cache

import numpy as np
import pytest
from conftest import ROOT

import simroute
from simroute.curves import curve_metrics_table, routerbench_aiq_of_run
from simroute.rng import Streams
from simroute.scenario.loader import load_scenario
from simroute.world.replay import load_recorded, split

pytestmark = pytest.mark.slow
SCENARIO = ROOT / "scenarios" / "mmlu_replay.yaml"
SHORT = (("horizon_days", 7), ("users.frustration.churn_hazard_per_unit", 0.0))


@cache
def _run(overrides: tuple = (), drop: tuple = ()):
    here = os.getcwd()
    os.chdir(ROOT)  # the scenario names its eval relative to the repository root
    try:
        changes = dict(overrides)
        if drop:
            sc = load_scenario(SCENARIO)
            changes["policies"] = [p.model_dump(mode="json") for p in sc.policies if p.name not in drop]
        return simroute.run(SCENARIO, overrides=changes)
    finally:
        os.chdir(here)


@cache
def _pool():
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        sc = load_scenario(SCENARIO)
        rec = load_recorded(sc)
    finally:
        os.chdir(here)
    _, pool = split(rec, sc.traffic.replay, Streams(sc.seed))
    return rec, pool


def _served(result, name: str) -> int:
    p = result.output.days[name]
    a, b = result.policies[name].window_start_day, result.policies[name].window_end_day
    return int(p.tier_total("queries", slice(a, b)).sum())


def test_single_models_answer_at_their_recorded_accuracy():
    res = _run()
    rec, pool = _pool()
    for name, model in (("single_mixtral", 0), ("single", 1)):
        want = float(rec.correct[model, pool].mean())
        n = _served(res, name)
        se = np.sqrt(want * (1 - want) / n)
        got = res.policies[name].quality["overall"]
        assert abs(got - want) < 4 * se, (name, got, want, se)
    assert res.policies["single_mixtral"].quality["overall"] == pytest.approx(0.68, abs=0.01)
    assert res.policies["single"].quality["overall"] == pytest.approx(0.81, abs=0.01)


def test_oracle_is_the_share_where_either_model_is_right():
    res = _run()
    rec, pool = _pool()
    want = float((rec.correct[0, pool] | rec.correct[1, pool]).mean())
    n = _served(res, "oracle")
    se = np.sqrt(want * (1 - want) / n)
    assert abs(res.policies["oracle"].quality["overall"] - want) < 4 * se


def test_random_router_recovers_half_the_gap():
    m = curve_metrics_table(_run().curves)
    apgr = m.filter((m["subject"] == "random") & (m["metric"] == "apgr"))["value"].item()
    assert apgr == pytest.approx(0.5, abs=0.01)


def test_threshold_curves_end_at_the_two_single_models():
    """Without frustration churn every policy serves the same replayed queries, so the curve endpoints are
    the single models' figures exactly."""
    res = _run(SHORT)
    q_cheap = res.policies["single_mixtral"].quality["overall"]
    q_capable = res.policies["single"].quality["overall"]
    for policy in ("pre_route", "random", "cascade"):
        c = res.curves.filter(res.curves["policy"] == policy).sort("threshold")
        assert c["quality"][0] == pytest.approx(q_cheap, abs=1e-12), policy   # t = 0: everything cheap
        assert c["quality"][-1] == pytest.approx(q_capable, abs=1e-12), policy  # t = 1: everything capable
    pre = res.curves.filter(res.curves["policy"] == "pre_route").sort("threshold")
    cheap_bill = res.policies["single_mixtral"].bill_pct_of_baseline
    assert pre["bill_pct_of_baseline"][0] == pytest.approx(cheap_bill, abs=0.5)  # plus the classifier's price
    assert pre["bill_pct_of_baseline"][-1] == pytest.approx(100.0, abs=0.5)


def test_dropping_a_policy_changes_no_other_policy():
    full = _run(SHORT)
    fewer = _run(SHORT, drop=("random", "cascade"))
    assert set(fewer.policies) == set(full.policies) - {"random", "cascade"}
    for name, p in fewer.policies.items():
        assert p == full.policies[name], name


def test_routerbench_aiq_divides_by_the_largest_cost():
    res = _run()
    rb = routerbench_aiq_of_run(res.curves)
    assert set(rb) == {"pre_route", "cascade", "random"}
    m = curve_metrics_table(res.curves)
    ours = dict(zip(m.filter(m["metric"] == "aiq")["subject"], m.filter(m["metric"] == "aiq")["value"],
                    strict=True))
    for name, v in rb.items():
        assert 0.0 < v < 1.0 and v != pytest.approx(ours[name], abs=1e-3), name


def test_the_replay_says_which_router_and_confidence_it_used():
    prov = _run().provenance
    assert prov["traffic.replay.confidence"].startswith("replay: confidence drawn")
    assert prov["traffic.replay.router"].startswith("replay: pre-routing on")


def test_golden_summary_of_the_mmlu_replay():
    """Golden summary of the shipped replay with the category router (the same with or without the optional
    text extra); regenerate with SIMROUTE_UPDATE_GOLDEN=1 like tests/test_golden.py."""
    import json

    from test_golden import GOLDEN, _compare, _digest

    got = json.loads(json.dumps(_digest(_run((("traffic.replay.router", "category"),)))))
    path = GOLDEN / "mmlu_replay.json"
    if os.environ.get("SIMROUTE_UPDATE_GOLDEN") == "1":
        path.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    problems: list[str] = []
    _compare("mmlu_replay", json.loads(path.read_text()), got, problems)
    assert not problems, "\n".join(problems)
