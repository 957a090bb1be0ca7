"""Policies that would serve exactly as an earlier one are served once (issue 17): which ones qualify, and a run
that serves them once writes every byte a run serving each of them writes."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from simroute import calibration_cache, engine
from simroute.api import run_resolved, write_results
from simroute.engine import Engine
from simroute.results import FILES
from simroute.scenario.loader import scenario_from_dict
from simroute.world import prefetch

ROOT = Path(__file__).resolve().parents[1]


def _with_copies(days: int = 40) -> dict:
    """The quickstart with a copy of pre_route under another name (watched by its own review), a copy with
    another threshold, a copy of the cascade (which draws its own stream) and a cohort survey."""
    data = yaml.safe_load((ROOT / "scenarios" / "quickstart.yaml").read_text())
    data.update(horizon_days=days)
    data["users"]["mau"] = 20_000
    data["drift"] = [d for d in data["drift"] if d["start_day"] < days]
    by_name = {p["name"]: p for p in data["policies"]}
    twin = dict(copy.deepcopy(by_name["pre_route"]), name="pre_route_copy")
    other = dict(copy.deepcopy(by_name["pre_route"]), name="pre_route_other", threshold=0.9)
    data["policies"] += [twin, other]
    if "cascade" in by_name:
        data["policies"].append(dict(copy.deepcopy(by_name["cascade"]), name="cascade_copy"))
    data["monitors"].append({"name": "review_copy", "kind": "human_review", "policy": "pre_route_copy",
                             "reviews_per_day": 20})
    data.setdefault("report", {})["surveys"] = [{"name": "cohort", "cohort_start_day": 5, "cohort_end_day": 20,
                                                 "followup_days": 10, "panel_size": 2000}]
    return data


def test_only_config_determined_equal_configs_without_an_alarm_rollback_are_served_once():
    s = scenario_from_dict(_with_copies())
    assert Engine(s).same == {"pre_route_copy": "pre_route"}
    data = _with_copies()
    for p in data["policies"]:
        if p["name"] == "pre_route_copy":
            p["rollback_on"] = {"monitor": "review_copy", "response_lag_days": 1, "to_share": 0.0}
    assert "pre_route_copy" not in Engine(scenario_from_dict(data)).same


@pytest.mark.parametrize("ahead", [False, True])
def test_serving_a_copy_once_changes_no_byte(tmp_path, monkeypatch, ahead):
    monkeypatch.setenv(calibration_cache.SWITCH, "0")
    monkeypatch.setattr(prefetch, "wanted", lambda: ahead)
    s = scenario_from_dict(_with_copies())
    once = write_results(run_resolved(s), tmp_path / "once", report=False)
    monkeypatch.setattr(engine, "same_service", lambda policies: {})
    each = write_results(run_resolved(s), tmp_path / "each", report=False)
    for name in FILES:
        assert (once / name).read_bytes() == (each / name).read_bytes(), name
