"""Measurement architectures under one review budget (issue 15, point 5): `benchmarks/monitors_budget.py`
builds one guarded copy of the router per way of spending the reviews, each with a rollback on its own
monitor's alarm, and reads the delay distribution and the loss avoided against each copy's twin."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import yaml

import simroute
from simroute.scenario.loader import scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from monitors_budget import architecture_table, architectures, budget_world  # noqa: E402


def small_world() -> dict:
    d = yaml.safe_load((ROOT / "scenarios" / "quickstart.yaml").read_text())
    d["users"]["mau"] = 20_000
    d["horizon_days"] = 70
    return d


def test_every_architecture_spends_the_same_budget_at_the_same_false_alarm_chance():
    d = budget_world(small_world(), "pre_route", 40)
    sc = scenario_from_dict(d, source="budget world")
    assert [m.name for m in sc.monitors] == [f"arch_{a}" for a in architectures(40)]
    assert {m.reviews_per_day for m in sc.monitors} == {40}
    assert {m.alarm.false_alarm_probability for m in sc.monitors} == {0.1}
    guarded = [p for p in sc.policies if p.rollback_on is not None]
    assert [p.rollback_on.monitor for p in guarded] == [m.name for m in sc.monitors]
    assert all(m.policy == p.name for m, p in zip(sc.monitors, guarded, strict=True))


def test_the_architecture_table_reads_delays_and_the_paired_loss_avoided():
    d = budget_world(small_world(), "pre_route", 40)
    result = simroute.run(scenario_from_dict(d, source="budget world"), replicates=2)
    rows = architecture_table(result, "pre_route")
    assert [r["architecture"] for r in rows] == list(architectures(40))
    for r in rows:
        assert 0.0 <= r["false_alarm_share"] <= 1.0 and np.isfinite(r["loss_avoided_usd"])
        w = [r[f"detected_within_{k}w"] for k in (2, 4, 8)]
        assert all(x is None for x in w) or w == sorted(w)
    # the loss avoided is the guarded copy's net value minus its twin's, replicate by replicate
    net = result.replicates.intervals
    r0 = rows[0]
    twin = next(p for p in result.output.scenario.policies if p.name == "pre_route_pooled").twin_name
    want = net["pre_route_pooled"]["net_value_usd_over_horizon"].mean - net[twin]["net_value_usd_over_horizon"].mean
    assert np.isclose(r0["loss_avoided_usd"], want)
