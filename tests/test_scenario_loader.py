"""The scenario loader: valid files load frozen; every bad input is one located line; overrides; provenance."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from bad_fixtures import BAD
from pydantic import ValidationError

from simroute.errors import ScenarioError
from simroute.scenario import Scenario
from simroute.scenario.loader import apply_overrides, dump_resolved, load_scenario, scenario_from_dict
from simroute.scenario.provenance import extract_provenance, missing_provenance

FIXTURES = Path(__file__).parent / "fixtures"
MINIMAL_FILE = FIXTURES / "minimal.yaml"


def _reaction(contact, thumbs, csat, frustration):
    return {"contact_probability": contact, "thumbs_down_probability": thumbs, "csat": csat,
            "frustration": frustration}


def _model(name, price_in, price_out, latency, skill, confident):
    return {"name": name, "price_in_usd_per_1k_tokens": price_in, "price_out_usd_per_1k_tokens": price_out,
            "latency": {"median_s": latency}, "quality": {"skill": skill}, "failure": {"confident_share": confident}}


MINIMAL = {
    "name": "minimal",
    "description": "Smallest scenario the loader tests use",
    "seed": 7,
    "horizon_days": 30,
    "users": {"mau": 1000, "queries_per_user_per_day": 2.0,
              "segments": [{"name": "everyone", "share": 1.0, "arpu_usd_per_month": 20.0,
                            "baseline_churn_per_month": 0.03}]},
    "traffic": {"intents": [
        {"name": "billing", "share": 0.6, "surface_class": "simple", "hidden_intent_rate": 0.1},
        {"name": "refund", "share": 0.4, "surface_class": "complex"}]},
    "models": [_model("cheap", 0.0005, 0.0015, 0.8, 2.0, 0.6), _model("capable", 0.01, 0.03, 2.5, 5.0, 0.3)],
    "reactions": {"correct": _reaction(0.01, 0.02, 4.5, 0.0), "wrong_hedged": _reaction(0.1, 0.2, 3.0, 0.5),
                  "wrong_confident": _reaction(0.2, 0.3, 2.0, 1.0)},
    "economics": {"support": {"usd_per_contact": 6.0}},
    "policies": [
        {"name": "baseline", "kind": "single", "model": "capable"},
        {"name": "router", "kind": "pre_route", "cheap_model": "cheap", "capable_model": "capable",
         "threshold": 0.7},
        {"name": "cascade", "kind": "cascade", "chain": ["cheap", "capable"], "thresholds": [0.6]},
    ],
}


def _errors(fn, *args, **kwargs) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        fn(*args, **kwargs)
    return info.value.lines


def _dict_errors(mutate) -> list[str]:
    data = copy.deepcopy(MINIMAL)
    mutate(data)
    return _errors(scenario_from_dict, data, "s.yaml")


# ---- valid input ---------------------------------------------------------------------------------------------

def test_minimal_file_loads_and_matches_the_inline_dict():
    scenario = load_scenario(MINIMAL_FILE)
    assert isinstance(scenario, Scenario)
    assert scenario == scenario_from_dict(MINIMAL)
    assert [p.kind.value for p in scenario.policies] == ["single", "pre_route", "cascade"]


def test_scenario_is_frozen():
    scenario = load_scenario(str(MINIMAL_FILE))
    with pytest.raises(ValidationError):
        scenario.seed = 3
    with pytest.raises(ValidationError):
        scenario.policies[1].threshold = 0.1
    with pytest.raises(TypeError):
        scenario.models[0] = scenario.models[1]


def test_dump_resolved_is_stable_and_round_trips():
    scenario = load_scenario(MINIMAL_FILE)
    text = dump_resolved(scenario)
    assert text.startswith("name: minimal\n")
    again = scenario_from_dict(yaml.safe_load(text))
    assert again == scenario
    assert dump_resolved(again) == text
    assert "outcome_correlation: 0.7" in text  # defaults are filled in


# ---- bad files: one line each, pointing at the right line ----------------------------------------------------



@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_fixture_gives_one_located_line(case):
    path = FIXTURES / "bad" / f"{case}.yaml"
    errors = _errors(load_scenario, path)
    assert errors == [f"{path}{line}" for line in BAD[case]]
    assert not any("\n" in line for line in errors)


def test_every_bad_fixture_is_covered():
    assert {p.stem for p in (FIXTURES / "bad").glob("*.yaml")} == set(BAD)


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    assert _errors(load_scenario, path) == [f"{path}: scenario file not found"]


def test_directory(tmp_path):
    assert _errors(load_scenario, tmp_path) == [f"{tmp_path}: is a directory, not a scenario file"]


def test_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "s.yaml"
    path.write_text("name: x\n")

    def deny(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("simroute.scenario.yamlread.os.open", deny)
    assert _errors(load_scenario, path) == [f"{path}: cannot read scenario file (Permission denied)"]


def test_duplicate_key_inside_a_flow_mapping(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: x\nusers: {mau: 1, mau: 2}\n")
    assert _errors(load_scenario, path) == [f"{path}:2: users.mau: duplicate key 'mau'"]


def test_merge_keys_are_not_duplicates(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: x\nbase: &b {mau: 5}\nusers:\n  <<: *b\n  mau: 7\n  mua: 3\n")
    errors = _errors(load_scenario, path)
    assert f"{path}:6: users.mua: unknown key 'mua'; did you mean 'mau'?" in errors
    assert not any("duplicate" in e for e in errors)


def test_two_documents_are_invalid_yaml(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: x\n---\nname: y\n")
    assert _errors(load_scenario, path) == [f"{path}:2: invalid YAML: expected a single document in the stream, "
                                            "but found another document (column 1)"]


# ---- validation messages (from a dict: no line numbers) ------------------------------------------------------

def test_out_of_range_value_names_the_input():
    errors = _dict_errors(lambda d: d["policies"][1].update(threshold=1.7))
    assert errors == ["s.yaml: policies[1].threshold: must be between 0 and 1, got 1.7"]


def test_unknown_key_without_close_match_lists_valid_keys():
    errors = _dict_errors(lambda d: d["economics"]["support"].update(zzz=1))
    assert errors == ["s.yaml: economics.support.zzz: unknown key 'zzz' (valid keys: usd_per_contact)"]


def test_unknown_key_in_a_policy_uses_that_kinds_fields():
    errors = _dict_errors(lambda d: d["policies"][2].update(threshold=0.5))
    assert errors == ["s.yaml: policies[2].threshold: unknown key 'threshold'; did you mean 'thresholds'?"]


def test_missing_kind_lists_valid_kinds():
    errors = _dict_errors(lambda d: d["policies"][1].pop("kind"))
    assert errors == ["s.yaml: policies[1].kind: required field missing "
                      "(valid kinds: single, pre_route, soft_threshold, cascade, oracle, random)"]


def test_segment_shares_must_sum_to_one():
    errors = _dict_errors(lambda d: d["users"]["segments"][0].update(share=0.5))
    assert errors == ["s.yaml: users.segments: shares must sum to 1, got 0.5"]


def test_policy_validator_message_is_joined_to_the_policy_path():
    policy = {"name": "soft", "kind": "soft_threshold", "cheap_model": "cheap", "capable_model": "capable",
              "low": 0.9, "high": 0.8}
    errors = _dict_errors(lambda d: d["policies"].append(policy))
    assert errors == ["s.yaml: policies[3].low: must be <= high (0.8), got 0.9"]


def test_root_validator_lines_are_split():
    def two_bad_models(d):
        d["policies"][0]["model"] = "x"
        d["policies"][2]["chain"] = ["cheap", "y"]
    assert _dict_errors(two_bad_models) == [
        "s.yaml: policies[0].model: unknown model 'x' (models: cheap, capable)",
        "s.yaml: policies[2].chain[1]: unknown model 'y' (models: cheap, capable)",
    ]


@pytest.mark.parametrize("path, value, message", [
    (("users", "mau"), "abc", "users.mau: expected an integer, got 'abc'"),
    (("users", "mau"), 1.5, "users.mau: expected a whole number, got 1.5"),
    (("traffic", "intents", 0, "surface_class"), "weird", "traffic.intents[0].surface_class: "
                                                          "expected 'simple' or 'complex', got 'weird'"),
    (("policies", 0, "name"), "9x", "policies[0].name: must start with a letter and contain only letters, "
                                    "digits, '_' and '-', got '9x'"),
    (("policies", 2, "thresholds"), [], "policies[2].thresholds: needs at least 1 item, got 0"),
    (("models",), "x", "models: expected a list, got 'x'"),
    (("users",), None, "users: expected a mapping, got null"),
])
def test_type_errors_read_naturally(path, value, message):
    def put(d):
        for key in path[:-1]:
            d = d[key]
        d[path[-1]] = value
    assert _dict_errors(put) == [f"s.yaml: {message}"]


def test_several_errors_are_reported_together():
    def break_two(d):
        d["users"].pop("mau")
        d["seed"] = "x"
    assert _dict_errors(break_two) == ["s.yaml: seed: expected an integer, got 'x'",
                                       "s.yaml: users.mau: required field missing"]


def test_non_mapping_dict_input():
    assert _errors(scenario_from_dict, [1]) == ["<dict>: top level must be a mapping of scenario keys, got a list"]


# ---- overrides -----------------------------------------------------------------------------------------------

def test_overrides_apply_before_validation():
    scenario = load_scenario(MINIMAL_FILE, {"seed": 3, "traffic.intents[0].hidden_intent_rate": 0.0,
                                            "report.holdout_size": 10})
    assert scenario.seed == 3
    assert scenario.traffic.intents[0].hidden_intent_rate == 0.0
    assert scenario.report.holdout_size == 10


def test_invalid_override_value_is_attributed_to_the_override():
    errors = _errors(load_scenario, MINIMAL_FILE, {"policies[1].threshold": 1.7})
    assert errors == [f"{MINIMAL_FILE}: policies[1].threshold: must be between 0 and 1, got 1.7 (set by override)"]


@pytest.mark.parametrize("dotted, problem", [
    ("traffic.intents[5].share", "traffic.intents has 2 items"),
    ("traffic.intnets[0].share", "unknown key 'intnets'; did you mean 'intents'?"),
    ("seed.x", "seed is not a mapping"),
])
def test_bad_override_path(dotted, problem):
    errors = _errors(load_scenario, MINIMAL_FILE, {dotted: 0.1})
    assert errors == [f"{MINIMAL_FILE}: {dotted}: override path does not exist ({problem})"]


def test_apply_overrides_returns_a_copy():
    changed = apply_overrides(MINIMAL, {"users.mau": 5, "drift": []})
    assert changed["users"]["mau"] == 5 and changed["drift"] == []
    assert MINIMAL["users"]["mau"] == 1000 and "drift" not in MINIMAL


def test_scenario_from_dict_with_overrides():
    assert scenario_from_dict(MINIMAL, overrides={"seed": 11}).seed == 11
    errors = _errors(scenario_from_dict, MINIMAL, "s.yaml", overrides={"drift[0].kind": "x"})
    assert errors == ["s.yaml: drift[0].kind: override path does not exist (drift has 0 items)"]
    assert MINIMAL["seed"] == 7


def test_malformed_override_path():
    errors = _errors(load_scenario, MINIMAL_FILE, {"a..b": 1})
    assert errors == [f"{MINIMAL_FILE}: a..b: invalid override path (expected a path like a.b[2].c or "
      "policies[pre_route].threshold)"]


# ---- provenance ----------------------------------------------------------------------------------------------

PROVENANCE_TEXT = """\
users:
  mau: 4000000    # source: ~4 million MAU (seed 000)
  label: "a # inside quotes"
  note: 'it''s # not a comment'   # source: quoted
  rollout: {day: 0, share: 0.05}  # source: launch plan
  weekly: [1, 2]
  flag: true
  limits:         # source: block mapping
    cap: 3
  steps:          # source: block sequence
    - {day: 7, share: 0.1}
"""


def test_extract_provenance():
    assert extract_provenance(PROVENANCE_TEXT) == {
        "users.mau": "source: ~4 million MAU (seed 000)",
        "users.note": "source: quoted",
        "users.rollout": "source: launch plan",
        "users.limits": "source: block mapping",
        "users.steps": "source: block sequence",
    }


def test_a_comment_belongs_to_the_entry_it_follows_not_to_the_keys_inside_it():
    from simroute.scenario.provenance import NO_SOURCE, scenario_provenance
    prov = scenario_provenance(PROVENANCE_TEXT)
    assert prov["users.rollout"] == "source: launch plan"
    assert prov["users.rollout.day"] == f"{NO_SOURCE}; its entry users.rollout notes: source: launch plan"
    assert prov["users.flag"] == prov["users.weekly[0]"] == NO_SOURCE


def test_missing_provenance_lists_numeric_and_bool_leaves():
    # limits.cap and steps[0].* are covered by the comment on their enclosing key
    assert missing_provenance(PROVENANCE_TEXT) == ["users.weekly[0]", "users.weekly[1]", "users.flag"]


def test_minimal_fixture_annotates_every_parameter():
    assert missing_provenance(MINIMAL_FILE.read_text()) == []


@pytest.mark.parametrize("path", sorted((Path(__file__).parents[1] / "scenarios").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_scenarios_load_and_annotate_every_parameter(path):
    load_scenario(path)
    assert missing_provenance(path.read_text(encoding="utf-8")) == []
