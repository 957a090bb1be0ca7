"""Provenance that is true: a value the file sets is never reported as a default, a comment belongs to the entry
it follows, and the file is read with the same YAML 1.2 rules as the scenario loader."""
from __future__ import annotations

from pathlib import Path

import yaml

from simroute.api import provenance_of
from simroute.report.assumptions import NOT_SET, economic_assumptions
from simroute.scenario import load_scenario
from simroute.scenario.provenance import NO_SOURCE, format_path, missing_provenance, scenario_provenance

SCENARIOS = Path(__file__).parents[1] / "scenarios"


def _leaf_paths(data, path=()) -> set[str]:
    if isinstance(data, dict):
        return set().union(*(_leaf_paths(v, path + (k,)) for k, v in data.items())) if data else set()
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return set().union(*(_leaf_paths(v, path + (i,)) for i, v in enumerate(data)))
    return {format_path(path)}


def test_a_user_written_scenario_is_set_in_the_scenario_for_every_key_it_sets(tmp_path):
    data = yaml.safe_load((SCENARIOS / "quickstart.yaml").read_text(encoding="utf-8"))
    data["users"]["mau"] = 300000
    user_file = tmp_path / "mine.yaml"
    user_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")  # no comments at all
    set_paths = _leaf_paths(data)
    prov = provenance_of(user_file)
    rows = economic_assumptions(load_scenario(user_file), prov)
    assert rows
    for a in rows:
        expected = NO_SOURCE if a.path in set_paths else NOT_SET
        assert a.provenance == expected, a.path
    assert any(a.path == "users.mau" and a.value == 300000 and a.provenance == NO_SOURCE for a in rows)
    assert sum(a.provenance == NO_SOURCE for a in rows) > 10


def test_a_trailing_comment_is_credited_to_the_entry_it_follows_only():
    text = ("traffic:\n  intents:\n"
            "    - {name: billing, share: 0.2, tokens_in: {median: 50, sigma: 0.5}}  # source: billing quote\n"
            "users:\n  mau: 10  # source: MAU\n  cap: 3\n")
    prov = scenario_provenance(text)
    assert prov["traffic.intents[0]"] == "source: billing quote"
    assert prov["traffic.intents[0].tokens_in.sigma"] == \
        f"{NO_SOURCE}; its entry traffic.intents[billing] notes: source: billing quote"
    assert prov["users.mau"] == "source: MAU"
    assert prov["users.cap"] == NO_SOURCE


def test_provenance_reads_yaml_1_2_like_the_loader():
    # YAML 1.1 would read `yes` as a boolean and 1_000 as a number, so both would be "missing a source"
    text = "a: yes\nb: 1_000\nc: 12\n"
    assert missing_provenance(text) == ["c"]
    assert scenario_provenance(text) == {"a": NO_SOURCE, "b": NO_SOURCE, "c": NO_SOURCE}


def test_shipped_scenario_credits_no_line_comment_to_a_nested_flow_value():
    prov = provenance_of(SCENARIOS / "case1_saas_support.yaml")
    sigma = prov["traffic.intents[1].tokens_in.sigma"]
    assert sigma.startswith(NO_SOURCE)
    assert prov["users.mau"].startswith("source:")


def test_an_override_by_name_and_by_index_give_identical_provenance():
    """One canonical key (list items by index, as the file's own paths) whichever way --set was typed, so the
    report's assumption table credits the override either way."""
    path = SCENARIOS / "quickstart.yaml"
    by_name = {"policies[pre_route].threshold": 0.6, "users.segments[everyone].arpu_usd_per_month": 25}
    by_index = {"policies[1].threshold": 0.6, "users.segments[0].arpu_usd_per_month": 25}
    prov = provenance_of(path, overrides=by_name)
    assert prov == provenance_of(path, overrides=by_index)
    assert prov["policies[1].threshold"].startswith("override:") and "policies[pre_route].threshold" not in prov
    rows = economic_assumptions(load_scenario(path, overrides=by_name), prov)
    arpu = next(a for a in rows if a.path == "users.segments[0].arpu_usd_per_month")
    assert arpu.value == 25 and arpu.provenance.startswith("override:")
