"""fit_world on a known world: the split, recovery of the world from the calibration part, held-out checks
that pass when the world is the model and flag when the held-out data are not from it, the fit report's files
(byte-identical across runs), bad inputs, and the real MMLU eval (slow)."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from simroute.errors import ResultsError, SimrouteError
from simroute.fit.checks import compare
from simroute.fit.evalset import EvalSet
from simroute.fit.logset import LogSet
from simroute.fit.pipeline import FitInputError, fit_world, heldout_days, split_eval, split_logs
from simroute.fit.report import REPORT_FILES, write_fit_report
from simroute.fit.synth import synth_eval
from simroute.fit.synth_logs import synth_logs
from simroute.scenario.loader import load_scenario, scenario_from_dict

QUICKSTART = "scenarios/quickstart.yaml"
SEASON = (1.3, 1.15, 1.05, 1.0, 0.95, 0.7, 0.85)
Z = 4.0
SHARE, SEED = 0.2, 1


def _world():
    """quickstart with a steady population, a weekly pattern, an outcome correlation, no drift, a random router."""
    d = load_scenario(QUICKSTART).model_dump(mode="json", exclude_none=True)
    d["users"].update(mau=5_000, queries_per_user_per_day=0.2, weekly_seasonality=list(SEASON))
    d["users"]["segments"][0]["baseline_churn_per_month"] = 0.0
    d["users"]["frustration"]["churn_hazard_per_unit"] = 0.0
    d["outcome_correlation"] = 0.5
    d["models"][0]["latency"] = {"median_s": 0.8, "sigma": 0.3}
    d["traffic"]["intents"][1]["tokens_in"] = {"median": 1500, "sigma": 0.6}
    d["drift"], d["monitors"] = [], []
    d["policies"].append({"name": "random", "kind": "random", "cheap_model": "small", "capable_model": "large",
                          "cheap_share": 0.5})
    return scenario_from_dict(d)


def _graded(ev: EvalSet) -> EvalSet:
    """Without confidences: the calibration fit is slow and tested in test_fit_eval."""
    return EvalSet(ev.frame.select(pl.exclude("^confidence:.*$")), ev.models, ev.source)


@pytest.fixture(scope="module")
def world():
    return _world()


@pytest.fixture(scope="module")
def data(world):
    return _graded(synth_eval(world, 6000, seed=3)), synth_logs(world, "random", 28, seed=4)


@pytest.fixture(scope="module")
def result(world, data):
    ev, logs = data
    return fit_world(ev, logs, world, cheap="small", capable="large", holdout_share=SHARE, seed=SEED, policy="random")


def test_eval_split_is_stratified_disjoint_and_seeded(data):
    ev, _ = data
    cal, held = split_eval(ev, SHARE, SEED)
    assert cal.frame.height + held.frame.height == ev.frame.height
    assert not set(cal.frame["query_id"]) & set(held.frame["query_id"])
    n = ev.frame.group_by("intent").len().sort("intent")
    h = held.frame.group_by("intent").len().sort("intent")
    assert h["len"].to_list() == [int(np.floor(SHARE * k + 0.5)) for k in n["len"]]
    again, other = split_eval(ev, SHARE, SEED)[1], split_eval(ev, SHARE, SEED + 1)[1]
    assert again.frame["query_id"].to_list() == held.frame["query_id"].to_list()
    assert other.frame["query_id"].to_list() != held.frame["query_id"].to_list()


def test_log_split_holds_out_the_last_whole_weeks(data):
    _, logs = data
    cal, held, cal_days, held_days = split_logs(logs, SHARE)
    assert held is not None and len(held_days) == 7 and len(cal_days) == 21
    assert max(cal.frame["start_time"]) < min(held.frame["start_time"])
    assert cal.frame.height + held.frame.height == logs.frame.height
    assert [heldout_days(n, 0.2) for n in (1, 5, 10, 14, 28, 70)] == [0, 1, 2, 7, 7, 14]


def test_fit_recovers_the_world(world, result):
    fit = result.eval_fit
    for m in world.models:
        assert abs(fit.skill[m.name] - m.quality.skill) <= Z * fit.skill_se[m.name], m.name
    assert abs(fit.outcome_correlation - world.outcome_correlation) <= Z * fit.outcome_correlation_se
    est = result.log_fit.estimates
    assert abs(est["users.mau"].value - world.users.mau) <= Z * est["users.mau"].se
    qpu = est["users.queries_per_user_per_day"]
    assert abs(qpu.value - world.users.queries_per_user_per_day) <= Z * qpu.se
    s = result.scenario
    assert s.models[0].latency.median_s == pytest.approx(0.8, rel=0.03)
    assert s.traffic.intents[1].tokens_in.median == pytest.approx(1500, rel=0.05)
    assert "traffic.difficulty.tail_index" in result.assumptions
    assert result.text.startswith("# simroute fitted scenario\n# Held out (20%, seed 1): the eval by query")


def test_heldout_checks_pass_when_the_world_is_the_model(result):
    c = result.comparison
    assert {ch.key for ch in c.checks} == {"accuracy", "joint", "tokens", "latency", "arrivals"}
    assert all(ch.total > 0 for ch in c.checks)
    assert c.passed / c.total >= 0.9, c.headline()
    assert c.check("accuracy").table.height == 6 and c.check("arrivals").table.height == 7
    assert c.headline().startswith(f"{c.passed} of {c.total} held-out checks pass")


def test_heldout_checks_flag_data_not_from_the_fitted_world(data, result):
    ev, logs = data
    cal, held = split_eval(ev, SHARE, SEED)
    flip = (pl.col("intent") == "troubleshooting")
    bad = EvalSet(held.frame.with_columns(pl.when(flip).then(~pl.col("correct:small"))
                                          .otherwise(pl.col("correct:small")).alias("correct:small")),
                  held.models, "flipped")
    lcal, lheld, _, _ = split_logs(logs, SHARE)
    assert lheld is not None
    slow = pl.col("model") == "small"
    twice = pl.col("start_time") + (pl.col("end_time") - pl.col("start_time")) * 2
    late = lheld.frame.with_columns(pl.when(slow).then(twice).otherwise(pl.col("end_time")).alias("end_time"))
    c = compare(result.scenario, result.eval_fit, cal, bad, result.log_fit, lcal, LogSet(late, "slow"),
                seed=SEED, policy="random", assumed=(), cheap="small", capable="large")
    acc = c.check("accuracy").table
    row = acc.filter((pl.col("intent") == "troubleshooting") & (pl.col("model") == "small"))
    assert not row["pass"][0]
    assert acc.filter(pl.col("intent") != "troubleshooting")["pass"].all()
    joint = c.check("joint").table
    assert not joint.filter(pl.col("intent") == "troubleshooting")["pass"][0]
    lat = c.check("latency").table
    assert not lat.filter(pl.col("model") == "small")["pass"][0] and lat.filter(pl.col("model") == "large")["pass"][0]
    assert c.passed < result.comparison.passed


def test_report_has_every_file_and_the_same_bytes_twice(result, tmp_path):
    a, b = write_fit_report(result, tmp_path / "a"), write_fit_report(result, tmp_path / "b")
    files = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    plots = [f"plots/{k}.{e}" for k in ("accuracy", "arrivals", "latency", "tokens") for e in ("png", "svg")]
    assert files == sorted([*REPORT_FILES, *plots])
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    md = (a / "fit_report.md").read_text()
    assert md.index("## Headline") < md.index("## Data and split") < md.index("## Fitted parameters") \
        < md.index("## Held-out checks") < md.index("## Assumed parameters")
    assert result.comparison.headline() in md and "traffic.difficulty.tail_index" in md
    html = (a / "fit_report.html").read_text()
    assert html.count("data:image/png;base64,") == 4
    assert ("FLAG" in html) == (result.comparison.passed < result.comparison.total)
    write_fit_report(result, a)  # replaces its own earlier report
    assert sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file()) == files


def test_report_never_replaces_a_foreign_folder(result, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(ResultsError, match="refusing to replace"):
        write_fit_report(result, tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"
    assert not list(tmp_path.glob(".mine.*"))


def test_eval_only_without_a_base_scenario(data):
    ev, _ = data
    ev = EvalSet(ev.frame.rename({"correct:small": "correct:org/small-1.0"}), ("org/small-1.0", "large"), "e.csv")
    r = fit_world(ev.__class__(ev.frame.head(3000), ev.models, "e.csv"), None, None, cheap="org/small-1.0",
                  capable="large")
    assert [m.name for m in r.scenario.models] == ["small-1_0", "large"]
    assert {i.name for i in r.scenario.traffic.intents} == {"billing", "faq", "troubleshooting"}
    assert r.comparison.check("accuracy").total == 6 and r.comparison.check("tokens") is None
    assert any("no base scenario" in n for n in r.notes)


def test_logs_only_without_a_base_scenario(data):
    _, logs = data
    r = fit_world(None, logs, None, cheap=None, capable=None)
    assert {m.name for m in r.scenario.models} == {"small", "large"}
    assert r.comparison.check("accuracy") is None and r.comparison.check("arrivals").total == 7


@pytest.mark.parametrize("case, message", [
    ("neither", "give an eval, logs, or both"),
    ("one_model", "needs at least two models"),
    ("same", "are the same"),
    ("unknown", "cheap model 'tiny' is not in the eval"),
    ("share", "holdout_share: must be between 0 and 1"),
    ("base_model", "model 'large' is not in the base scenario"),
])
def test_bad_inputs_are_one_line_errors(data, world, case, message):
    ev, _ = data
    kw = {"cheap": "small", "capable": "large"}
    args: tuple = (ev, None, world)
    if case == "neither":
        args = (None, None, world)
    elif case == "one_model":
        args = (EvalSet(ev.frame.drop("correct:large"), ("small",), "one.csv"), None, world)
    elif case == "same":
        kw = {"cheap": "large", "capable": "large"}
    elif case == "unknown":
        kw = {"cheap": "tiny", "capable": "large"}
    elif case == "share":
        kw["holdout_share"] = 1.5  # type: ignore[assignment]
    elif case == "base_model":
        other = load_scenario(QUICKSTART, overrides={"models[1].name": "big", "policies": [
            {"name": "single", "kind": "single", "model": "big"}], "monitors": []})
        args = (ev, None, other)
    with pytest.raises(FitInputError, match=message) as e:
        fit_world(*args, **kw)  # type: ignore[arg-type]
    assert isinstance(e.value, SimrouteError) and len(e.value.lines) == 1
