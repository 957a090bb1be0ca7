"""`--set` and sweep paths: list items by name equal the same items by index, names that are not there are one
error line listing the names that are, and `--set` values read as YAML 1.2 (as scenario files are)."""
from __future__ import annotations

from pathlib import Path

import pytest

from simroute.cli.common import parse_sets
from simroute.errors import ScenarioError, SimrouteError
from simroute.scenario.loader import ByName, load_scenario, parse_override_path, resolve_names
from simroute.sweep import load_sweep, plan

ROOT = Path(__file__).resolve().parents[1]
CASE1 = ROOT / "scenarios" / "case1_saas_support.yaml"
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"

BY_NAME = {  # by name -> by index, in case 1
    "policies[pre_route].threshold": "policies[1].threshold",
    "users.segments[smb].arpu_usd_per_month": "users.segments[0].arpu_usd_per_month",
    "traffic.intents[billing_status].hidden_intent_rate": "traffic.intents[1].hidden_intent_rate",
    "models[cheap].quality.hidden_intent_penalty": "models[0].quality.hidden_intent_penalty",
}
VALUES = {"policies[pre_route].threshold": 0.37, "users.segments[smb].arpu_usd_per_month": 61.5,
          "traffic.intents[billing_status].hidden_intent_rate": 0.11,
          "models[cheap].quality.hidden_intent_penalty": 2.5}


def test_the_paths_name_the_items_this_test_assumes():
    sc = load_scenario(CASE1)
    assert sc.policies[1].name == "pre_route" and sc.users.segments[0].name == "smb"
    assert sc.traffic.intents[1].name == "billing_status" and sc.models[0].name == "cheap"


def test_set_by_name_equals_set_by_index():
    by_name = load_scenario(CASE1, dict(VALUES))
    by_index = load_scenario(CASE1, {BY_NAME[k]: v for k, v in VALUES.items()})
    assert by_name == by_index
    assert by_name != load_scenario(CASE1)
    assert by_name.policies[1].threshold == 0.37


def test_parse_keeps_names_and_indexes_apart():
    path = parse_override_path("policies[pre_route].thresholds[0]")
    assert path == ("policies", "pre_route", "thresholds", 0)
    assert path is not None and isinstance(path[1], ByName) and not isinstance(path[0], ByName)
    assert parse_override_path("policies[pre route]") is None
    assert resolve_names({"policies": [{"name": "a"}, {"name": "b"}]}, ("policies", ByName("b"), "x")) == \
        (("policies", 1, "x"), None)


def test_an_unknown_name_lists_the_names_there_are():
    with pytest.raises(ScenarioError) as e:
        load_scenario(QUICKSTART, {"policies[pre_rout].threshold": 0.4})
    assert e.value.lines == [f"{QUICKSTART}: policies[pre_rout].threshold: override path does not exist (policies "
                             "has no item named 'pre_rout' (it has single, pre_route, cascade))"]


def test_a_value_out_of_range_set_by_name_names_the_path_by_index():
    with pytest.raises(ScenarioError) as e:
        load_scenario(QUICKSTART, {"policies[pre_route].threshold": 1.7})
    assert e.value.lines == [f"{QUICKSTART}: policies[1].threshold: must be between 0 and 1, got 1.7 "
                             "(set by override)"]


def test_a_sweep_by_name_builds_the_same_points_as_by_index(tmp_path):
    sc = load_scenario(QUICKSTART)
    for path, name in (("policies[1].threshold", "a"), ("policies[pre_route].threshold", "b")):
        (tmp_path / f"{name}.yaml").write_text(f"name: {name}\nparameters:\n  - {{path: '{path}', values: [0.3]}}\n")
    builds = []
    for name in ("a", "b"):
        spec = load_sweep(tmp_path / f"{name}.yaml")
        job = plan.job(sc, spec)
        builds.append(job.build(plan.points(spec)[0], source=name))
    assert builds[0] == builds[1]


@pytest.mark.parametrize("text, value", [
    ("no", "no"), ("off", "off"), ("yes", "yes"), ("true", True), ("1e3", 1000.0), ("0o17", 15),
    ("012", 12), ("1_000", "1_000"), ("null", None), ("[0.2, 0.4]", [0.2, 0.4]), ("3", 3), ("0.5", 0.5),
])
def test_set_values_read_as_yaml_1_2(text, value):
    assert parse_sets([f"x={text}"]) == {"x": value}


def test_a_set_value_that_is_not_yaml_is_one_line():
    with pytest.raises(SimrouteError) as e:
        parse_sets(["seed=[1"])
    assert len(e.value.lines) == 1 and e.value.lines[0].startswith("--set 'seed=[1': the value is not valid YAML (")
