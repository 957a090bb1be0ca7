"""Sweeps: the plan (grid, random, one at a time), the one table, break-even, tornado, curve metrics on the
random router, failed tasks, a real local Dask cluster giving the same table, and the CLI."""
from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
import yaml
from conftest import ROOT
from test_uncertainty import tiny
from typer.testing import CliRunner

import simroute.tasks as tasks_mod
from simroute.cli import app
from simroute.curves import curve_metrics_table
from simroute.executors import LocalExecutor
from simroute.scenario.loader import scenario_from_dict
from simroute.sweep import SweepSpec, analysis, plan, run_sweep
from simroute.sweep.output import write_sweep
from simroute.sweep.report import CAPTIONS
from simroute.tasks import point_tasks

runner = CliRunner()


def spec(**kw) -> SweepSpec:
    base = {"parameters": [{"path": "policies[1].threshold", "values": [0.3, 0.7]}], "monitors": False}
    base.update(kw)
    return SweepSpec.model_validate(base)


def test_grid_is_the_product_of_values_and_ranges():
    s = spec(parameters=[{"path": "a", "values": [1, 2]}, {"path": "b", "low": 1.0, "high": 3.0, "steps": 3}])
    assert plan.points(s) == [{"a": 1, "b": 1.0}, {"a": 1, "b": 2.0}, {"a": 1, "b": 3.0},
                              {"a": 2, "b": 1.0}, {"a": 2, "b": 2.0}, {"a": 2, "b": 3.0}]
    log = spec(parameters=[{"path": "a", "low": 1.0, "high": 100.0, "steps": 3, "log": True}])
    assert [p["a"] for p in plan.points(log)] == pytest.approx([1.0, 10.0, 100.0])


def test_random_points_follow_the_sweep_seed_and_stay_in_range():
    s = spec(mode="random", samples=50, seed=3, parameters=[{"path": "a", "low": 2.0, "high": 5.0}])
    a, b = plan.points(s), plan.points(s)
    assert a == b and all(2.0 <= p["a"] <= 5.0 for p in a)
    assert plan.points(spec(mode="random", samples=50, seed=4, parameters=[{"path": "a", "low": 2.0,
                                                                            "high": 5.0}])) != a


def test_one_at_a_time_is_base_then_low_and_high_of_each_parameter():
    s = spec(mode="one_at_a_time", fixed={"drift": []},
             parameters=[{"path": "a", "low": 1.0, "high": 2.0}, {"path": "b", "values": [5, 3, 4]}])
    assert plan.points(s) == [{"drift": []}, {"drift": [], "a": 1.0}, {"drift": [], "a": 2.0},
                              {"drift": [], "b": 3}, {"drift": [], "b": 5}]


def test_tasks_share_replicate_seeds_across_points():
    t = point_tasks([{"a": 1}, {"a": 2}], 3)
    assert [(x.index, x.params["a"], x.replicate) for x in t] == [(0, 1, 0), (1, 1, 1), (2, 1, 2),
                                                                   (3, 2, 0), (4, 2, 1), (5, 2, 2)]
    assert [x.replicate for x in point_tasks([{}], 1)] == [None]


@pytest.mark.parametrize("bad, match", [
    ({"parameters": []}, "parameters"),
    ({"parameters": [{"path": "a", "low": 3.0, "high": 1.0}]}, "low must be below high"),
    ({"parameters": [{"path": "a"}]}, "either values or both low and high"),
    ({"mode": "random"}, "random mode needs samples"),
    ({"colour": 1}, "colour"),
])
def test_bad_sweep_specs_name_the_problem(bad, match):
    with pytest.raises(Exception, match=match):
        spec(**bad)


def test_crossing_is_linear_interpolation_per_curve():
    x = np.array([0.0, 1.0, 2.0])
    got = analysis.crossings(x, np.array([[3.0, 1.0, -1.0], [1.0, 2.0, 3.0], [0.0, 1.0, 1.0], [-2.0, 2.0, 0.0]]))
    assert got[0] == pytest.approx(1.5) and np.isnan(got[1]) and got[2] == 0.0 and got[3] == pytest.approx(0.5)


def test_break_even_bootstrap_interval_is_open_ended_when_resamples_do_not_cross():
    """Curves that cross late or not at all push the upper bound beyond the swept range (never censored)."""
    x = np.array([0.0, 1.0, 2.0])
    values = np.array([[4.0, 2.0, -1.0], [4.0, 3.0, 1.0], [4.0, 3.5, 2.0], [4.0, 1.0, -2.0]])
    lo, hi, miss = analysis._bootstrap(values, x, seed=1)
    assert 0 < miss < 1 and hi == np.inf and 1.0 <= lo <= 2.0


@pytest.fixture(scope="module")
def small_sweep():
    sc = scenario_from_dict(tiny())
    s = spec(replicates=2, parameters=[{"path": "traffic.intents[1].hidden_intent_rate",
                                        "values": [0.0, 0.3, 0.6, 0.9]}])
    return run_sweep(sc, s, LocalExecutor(2))


def test_sweep_table_has_every_point_replicate_and_policy(small_sweep):
    t = small_sweep.table
    assert t.columns[:3] == ["point", "replicate", "traffic.intents[1].hidden_intent_rate"]
    per = t.filter(pl.col("metric") == "net_value_usd_per_month").group_by("point").agg(pl.len())
    assert per["len"].to_list() == [2 * 3] * 4  # 2 replicates x 3 policies at each of 4 points
    assert not small_sweep.failures


def test_break_even_of_pre_route_lies_inside_the_swept_range(small_sweep):
    found = {b.policy: b for b in analysis.break_even(small_sweep)}
    pre = found["pre_route"]
    assert 0.0 < pre.at_mean_curve < 0.9 and pre.sign_below > 0 and pre.replicates == 2
    assert pre.low <= pre.at_mean_curve <= pre.high


def test_sweep_folder_is_complete(small_sweep, tmp_path):
    out, doc = write_sweep(small_sweep, tmp_path / "sw")
    assert {p.name for p in out.iterdir()} == {"sweep.parquet", "curves.parquet", "sweep.json", "sweep.md",
                                               "sweep.html", "plots"}
    assert pl.read_parquet(out / "sweep.parquet").equals(small_sweep.table)
    assert {p.name for p in (out / "plots").iterdir()} >= {"frontier.png", "break_even.png"}
    md, page = (out / "sweep.md").read_text(), (out / "sweep.html").read_text()
    assert "pre_route" in md and doc["break_even"]
    for text in (md, page):  # the points, break-even and every plot with its caption
        assert "Net value per month at every point" in text and "hidden_intent_rate = 0.9" in text
        assert doc["break_even"][0]["sentence"] in text
        for picture in ("frontier", "break_even"):
            assert f"plots/{picture}.png" in text and CAPTIONS[picture][-50:] in text


def test_point_table_has_every_point_and_policy(small_sweep):
    t = analysis.point_table(small_sweep)
    assert t.metric == "net_value_usd_per_month" and t.policies == ["single", "pre_route", "cascade"]
    assert t.points == [f"traffic.intents[1].hidden_intent_rate = {v}" for v in ("0", "0.3", "0.6", "0.9")]
    assert all(row[0] == 0 for row in t.values)  # the baseline against itself
    assert t.values[0][1] > t.values[-1][1]  # pre_route loses value as hidden intents grow


def test_break_even_only_for_a_policy_the_parameter_moves():
    sc = scenario_from_dict(tiny())
    s = spec(replicates=1, parameters=[{"path": "policies[pre_route].threshold", "values": [0.05, 0.5, 0.95]}])
    found = analysis.break_even(run_sweep(sc, s, LocalExecutor(1)))
    assert {b.policy for b in found} <= {"pre_route"}  # the cascade's figures do not move with pre_route's threshold


def test_random_router_apgr_is_one_half():
    """RouteLLM's reference point: a router that sends queries to the capable model at random recovers the
    gap linearly, so its APGR is 0.5 (here within 0.03 over ~25,000 queries) and CPT(50%) is about 50%."""
    data = tiny(policies=[{"name": "single", "kind": "single", "model": "large"},
                          {"name": "random", "kind": "random", "cheap_model": "small", "capable_model": "large",
                           "cheap_share": 0.5}])
    data["horizon_days"] = 50
    from simroute.api import run_resolved
    m = curve_metrics_table(run_resolved(scenario_from_dict(data)).curves)
    got = {r["metric"]: r["value"] for r in m.filter(pl.col("subject") == "random").iter_rows(named=True)}
    assert got["apgr"] == pytest.approx(0.5, abs=0.03)
    assert got["cpt50"] == pytest.approx(0.5, abs=0.06)


def test_a_failed_task_is_reported_with_its_parameters_and_the_others_finish(monkeypatch):
    real = tasks_mod.Job.build

    def build(self, params, source="task"):
        if params.get("policies[1].threshold") == 0.7 and source.startswith("task"):  # runs, not validation
            raise RuntimeError("boom")
        return real(self, params, source)
    monkeypatch.setattr(tasks_mod.Job, "build", build)
    r = run_sweep(scenario_from_dict(tiny()), spec(), LocalExecutor(1))
    assert [f.task.params for f in r.failures] == [{"policies[1].threshold": 0.7}]
    assert "RuntimeError: boom" in r.failures[0].error
    assert r.table["point"].unique().to_list() == [0]


@pytest.mark.slow
def test_dask_cluster_gives_the_same_table_as_local_processes():
    distributed = pytest.importorskip("distributed")
    from simroute.executors.dask import DaskExecutor
    sc = scenario_from_dict(tiny())
    s = spec(replicates=2)
    local = run_sweep(sc, s, LocalExecutor(2))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        ex = DaskExecutor(cluster.scheduler_address)
        try:
            remote = run_sweep(sc, s, ex)
        finally:
            ex.close()
    assert remote.table.equals(local.table)


def test_sweep_cli_writes_the_folder_and_reports_break_even(tmp_path):
    grid = tmp_path / "g.yaml"
    grid.write_text(yaml.safe_dump({"name": "t", "replicates": 1, "monitors": False, "parameters": [
        {"path": "traffic.intents[1].hidden_intent_rate", "values": [0.0, 0.9]}]}))
    scen = tmp_path / "s.yaml"
    scen.write_text(yaml.safe_dump(tiny()))
    res = runner.invoke(app, ["sweep", str(scen), "--grid", str(grid), "-o", str(tmp_path / "out"), "-w", "1"])
    assert res.exit_code == 0, res.output
    assert "pre_route: net value" in res.output
    assert "Net value per month at every point" in res.output and "hidden_intent_rate = 0.9" in res.output
    doc = json.loads((tmp_path / "out" / "sweep.json").read_text())
    assert doc["tasks"] == 2 and doc["failed"] == []


@pytest.mark.parametrize("grid, match", [
    ('parameters: [{path: "policies[1].nope", values: [1]}]', "nope"),
    ('parameters: [{path: "policies[1].threshold", values: [7]}]', "threshold"),
    ("parameters: [{path: a, low: 2, high: 1}]", "low must be below high"),
    ("policies: [ghost]\nparameters: [{path: seed, values: [1]}]", "ghost"),
    ("[1, 2", "invalid YAML"),
])
def test_sweep_cli_bad_input_is_one_error_line(tmp_path, grid, match):
    g = tmp_path / "g.yaml"
    g.write_text(grid)
    res = runner.invoke(app, ["sweep", str(ROOT / "scenarios" / "quickstart.yaml"), "--grid", str(g),
                              "-o", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "error:" in res.output and match in res.output
    assert not (tmp_path / "out").exists()


def test_sweep_cli_rejects_a_bad_executor(tmp_path):
    g = tmp_path / "g.yaml"
    g.write_text("parameters: [{path: seed, values: [1]}]")
    res = runner.invoke(app, ["sweep", str(ROOT / "scenarios" / "quickstart.yaml"), "--grid", str(g),
                              "--executor", "ray"])
    assert res.exit_code == 2 and "--executor: expected one of local, dask" in res.output
    res = runner.invoke(app, ["sweep", str(ROOT / "scenarios" / "quickstart.yaml"), "--grid", str(g),
                              "--scheduler", "tcp://x:1"])
    assert res.exit_code == 2 and "--scheduler: only used with --executor dask" in res.output


def test_whole_number_ranges_stay_integers():
    s = spec(parameters=[{"path": "users.mau", "low": 1000, "high": 5000, "steps": 4}])
    assert [p["users.mau"] for p in plan.points(s)] == [1000, 2333, 3667, 5000]
    r = spec(mode="random", samples=20, parameters=[{"path": "users.mau", "low": 1000, "high": 5000}])
    assert all(isinstance(p["users.mau"], int) and 1000 <= p["users.mau"] <= 5000 for p in plan.points(r))


def test_tornado_bars_swing_around_the_base_point(tmp_path):
    s = spec(mode="one_at_a_time", policies=["pre_route"], parameters=[
        {"path": "economics.support.usd_per_contact", "low": 2.0, "high": 20.0},
        {"path": "traffic.intents[1].hidden_intent_rate", "low": 0.0, "high": 0.6}])
    r = run_sweep(scenario_from_dict(tiny()), s, LocalExecutor(2))
    bars = analysis.tornado(r)
    assert [b.policy for b in bars] == ["pre_route", "pre_route"]
    assert bars[0].swing >= bars[1].swing
    base = r.table.filter((pl.col("point") == 0) & (pl.col("subject") == "pre_route")
                          & (pl.col("metric") == "trap_ratio"))["value"][0]
    assert all(b.base == pytest.approx(base) for b in bars)
    contact = next(b for b in bars if b.parameter == "economics.support.usd_per_contact")
    assert contact.at_low < contact.base < contact.at_high  # dearer contacts, larger invisible loss
    out, doc = write_sweep(r, tmp_path / "t")
    assert (out / "plots" / "tornado.png").exists() and len(doc["tornado"]) == 2


@pytest.mark.parametrize("extra, match", [
    ({"break_even": {"metric": "net_valu"}}, "break_even.metric: unknown figure 'net_valu'"),
    ({"tornado": {"policies": ["ghost"]}}, "tornado.policies: ghost not in the scenario"),
])
def test_unknown_names_fail_before_any_task_runs(tmp_path, extra, match):
    g = tmp_path / "g.yaml"
    g.write_text(yaml.safe_dump({"parameters": [{"path": "seed", "values": [1, 2]}], **extra}))
    res = runner.invoke(app, ["sweep", str(ROOT / "scenarios" / "quickstart.yaml"), "--grid", str(g),
                              "-o", str(tmp_path / "out")])
    assert res.exit_code == 2 and match in res.output and not (tmp_path / "out").exists()


def test_an_output_that_cannot_be_a_sweep_folder_fails_before_running(tmp_path):
    g = tmp_path / "g.yaml"
    g.write_text("parameters: [{path: seed, values: [1]}]")
    (tmp_path / "file").write_text("x")
    res = runner.invoke(app, ["sweep", str(ROOT / "scenarios" / "quickstart.yaml"), "--grid", str(g),
                              "-o", str(tmp_path / "file")])
    assert res.exit_code == 2 and "exists and is not a folder" in res.output


def test_an_unreachable_dask_scheduler_is_one_error_line(tmp_path):
    pytest.importorskip("distributed")
    g = tmp_path / "g.yaml"
    g.write_text("parameters: [{path: seed, values: [1]}]")
    for address, match in (("tcp://127.0.0.1:1", "cannot reach the Dask scheduler"),
                           ("foo://127.0.0.1:1", "unknown scheme 'foo'")):
        res = runner.invoke(app, ["sweep", str(ROOT / "scenarios" / "quickstart.yaml"), "--grid", str(g),
                                  "--executor", "dask", "--scheduler", address, "-o", str(tmp_path / "o")])
        assert res.exit_code == 2 and match in res.output


def test_a_missing_sweep_file_is_one_error_line(tmp_path):
    res = runner.invoke(app, ["sweep", str(ROOT / "scenarios" / "quickstart.yaml"), "--grid",
                              str(tmp_path / "no.yaml")])
    assert res.exit_code == 2 and "cannot read the sweep file" in res.output


def test_shipped_sweep_files_are_valid():
    from simroute.api import resolve
    from simroute.sweep import load_sweep
    for path in sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml")):
        s = load_sweep(path)
        target = "quickstart" if path.name.startswith("quickstart") else "case1_saas_support"
        j = plan.job(resolve(ROOT / "scenarios" / f"{target}.yaml"), s, str(path))
        plan.validate_points(j, plan.points(s), str(path))
