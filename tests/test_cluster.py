"""One run spread over executors: its policies as independent tasks give the serial run's results byte for byte,
whatever the executor and its worker count (serial, split in process, local processes, a Dask cluster)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml
from conftest import SCENARIOS
from typer.testing import CliRunner

import simroute
from simroute.api import provenance_of, resolve, run_resolved, write_results
from simroute.cli import app
from simroute.engine_tasks import groups, merge, pack, simulate_part
from simroute.results import FILES
from simroute.scenario.loader import scenario_from_dict


def coupled() -> dict:
    """The quickstart world, small, with every coupling a run has: a policy that rolls back on its monitor's alarm
    (and its twin), calibrated and fixed thresholds, a cohort survey over every policy. (A policy cannot roll back
    on another policy's monitor: the schema refuses it, so every group is one policy.)"""
    data = yaml.safe_load((SCENARIOS / "quickstart.yaml").read_text())
    data.update(horizon_days=70)
    data["users"]["mau"] = 10000
    pre_route = data["policies"][1]
    rollback = {"monitor": "guard", "response_lag_days": 2, "to_share": 0.0}
    data["policies"] += [{**pre_route, "name": "guarded", "rollback_on": rollback}]
    data["monitors"] += [{"name": "guard", "kind": "human_review", "policy": "guarded", "reviews_per_day": 40,
                          "scope": "per_tier", "alarm": {"threshold": 1.0}},
                         {"name": "guard_calibrated", "kind": "human_review", "policy": "guarded",
                          "reviews_per_day": 40, "scope": "pooled"}]
    data.setdefault("report", {})["surveys"] = [{"name": "panel", "cohort_start_day": 10, "cohort_end_day": 40,
                                                 "followup_days": 20, "panel_size": 2000}]
    return data


def _files(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FILES}


def _assert_same(expected: dict[str, bytes], got: dict[str, bytes], how: str) -> None:
    for name in FILES:
        assert got[name] == expected[name], f"{how}: {name} differs from the serial run's"


def test_every_policy_and_twin_is_a_group_packed_into_at_most_the_slots():
    sc = scenario_from_dict(coupled(), source="coupled")
    names = ["single", "pre_route", "cascade", "guarded", "guarded~without_guard"]
    # the twin of `guarded` is pre_route but for its name: it is served as pre_route, so it joins its group
    found = [("single",), ("pre_route", "guarded~without_guard"), ("cascade",), ("guarded",)]
    assert groups(sc) == found
    for slots in (1, 2, 3, 8):
        packed = pack(sc, slots)
        assert len(packed) == min(slots, len(found))
        assert sorted(n for p in packed for n in p) == sorted(names)


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The scenario file, and the serial run's result and results files."""
    root = tmp_path_factory.mktemp("cluster")
    path = root / "coupled.yaml"
    path.write_text(yaml.safe_dump(coupled()))
    result = simroute.run(path)
    out = result.output
    assert out.rollbacks_on_alarm and any(label.startswith("rollback_on_alarm:") for _, label in out.events)
    return path, out, _files(write_results(result, root / "serial", report=False))


def test_every_group_apart_merges_into_the_serial_output(serial, tmp_path):
    path, out, expected = serial
    sc = resolve(path)

    def apart(scenario, progress, replicate):
        return merge(scenario, [simulate_part(scenario, g, replicate) for g in groups(scenario)])
    result = run_resolved(sc, provenance_of(path), simulator=apart)
    merged = result.output
    assert merged.events == out.events and merged.rollbacks_on_alarm == out.rollbacks_on_alarm
    assert list(merged.days) == list(out.days) and merged.surveys == out.surveys
    _assert_same(expected, _files(write_results(result, tmp_path / "merged", report=False)), "in process")


def test_run_on_two_local_workers_writes_the_serial_bytes(serial, tmp_path):
    path, _, expected = serial
    res = CliRunner().invoke(app, ["run", str(path), "--workers", "2", "-o", str(tmp_path / "w2"), "-q",
                                   "--no-report"])
    assert res.exit_code == 0, res.output
    _assert_same(expected, _files(tmp_path / "w2"), "2 local workers")


@pytest.mark.skipif(importlib.util.find_spec("distributed") is None, reason="dask.distributed not installed")
def test_run_on_a_two_worker_dask_cluster_writes_the_serial_bytes(serial, tmp_path):
    import distributed

    from simroute.executors.dask import DaskExecutor
    path, _, expected = serial
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        ex = DaskExecutor(cl.scheduler_address)
        try:
            assert ex.slots() == 2
            result = simroute.run(path, split_on=ex)
        finally:
            ex.close()
    _assert_same(expected, _files(write_results(result, tmp_path / "dask", report=False)), "dask 2 workers")


def test_a_finished_run_is_freed_by_reference_counting_alone():
    """A worker runs many tasks: a run with monitors must not wait for the cyclic collector to free its world
    (it used to, and local sweep workers grew to several runs' worth of memory)."""
    import gc
    import weakref

    from simroute.engine import Engine
    sc = scenario_from_dict(coupled(), source="coupled")
    gc.disable()
    try:
        engine = Engine(sc)
        engine.run()
        alive = weakref.ref(engine)
        del engine
        assert alive() is None
    finally:
        gc.enable()
