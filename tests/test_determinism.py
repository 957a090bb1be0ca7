"""A seed fixes every number: byte-identical outputs whatever the batch size; policies share random numbers.
Every file of two runs (report, plots and ledger.xlsx included): tests/test_reliability.py for the quickstart,
benchmarks/battery.py --determinism for every shipped scenario."""
from __future__ import annotations

from pathlib import Path

import yaml

import simroute
from simroute.api import write_results
from simroute.results import FILES
from simroute.scenario.loader import scenario_from_dict

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

QUICK = SCENARIOS / "quickstart.yaml"


def _files(folder):
    return {name: (folder / name).read_bytes() for name in FILES}


def test_same_seed_same_bytes_whatever_the_batch_size(tmp_path):
    outs = []
    for frac in (1.0, 0.25, 1 / 3):
        r = simroute.run(QUICK, overrides={"engine.batch_fraction_of_day": frac})
        folder = write_results(r, tmp_path / f"b{frac:.3f}", report=False)
        outs.append(_files(folder))
    first = outs[0]
    for other in outs[1:]:
        for name in FILES:
            if name in ("scenario.resolved.yaml", "summary.json"):
                continue  # these record the batch size itself; compared below without it
            assert other[name] == first[name], name


def test_summary_json_identical_across_batch_sizes_except_the_scenario_hash(tmp_path):
    import json
    a = json.loads(write_results(simroute.run(QUICK), tmp_path / "a", report=False)
                   .joinpath("summary.json").read_text())
    b = json.loads(write_results(simroute.run(QUICK, overrides={"engine.batch_fraction_of_day": 0.5}),
                                 tmp_path / "b", report=False).joinpath("summary.json").read_text())
    assert a["scenario"]["sha256"] != b["scenario"]["sha256"]
    a.pop("scenario"), b.pop("scenario")
    assert a == b


def test_rerun_is_byte_identical(tmp_path):
    a = _files(write_results(simroute.run(QUICK), tmp_path / "a", report=False))
    b = _files(write_results(simroute.run(QUICK), tmp_path / "b", report=False))
    assert a == b


def test_a_different_seed_changes_the_figures():
    a, b = simroute.run(QUICK), simroute.run(QUICK, seed=8)
    assert a.policies["pre_route"].savings_usd_per_month != b.policies["pre_route"].savings_usd_per_month


def test_adding_or_removing_a_policy_changes_no_other_policy():
    d = yaml.safe_load(QUICK.read_text())
    full = simroute.run(scenario_from_dict(d))
    d["policies"] = [p for p in d["policies"] if p["name"] != "cascade"]
    d["policies"].append({"name": "coin", "kind": "random", "cheap_model": "small", "capable_model": "large"})
    fewer = simroute.run(scenario_from_dict(d))
    for name in ("single", "pre_route"):
        assert fewer.policies[name] == full.policies[name]
