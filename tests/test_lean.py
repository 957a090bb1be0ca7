"""Lean passes: a run computes only what it writes. The calibration pass (monitor report only, watched policies
only) gives the full pass's report; tasks (headline only) give the full run's headline; the calibration cache
hits exactly when nothing the pass depends on changed."""
from __future__ import annotations

import polars as pl
import pytest
import yaml
from conftest import SCENARIOS
from test_uncertainty import tiny

from simroute import calibration_cache
from simroute.curves import curve_metrics_table
from simroute.detection import operating_rows
from simroute.engine import Engine, calibrate
from simroute.monitors.plan import calibration_scenario
from simroute.needs import HEADLINE, MONITORS
from simroute.rng import Streams
from simroute.runner import run_resolved
from simroute.scenario.loader import scenario_from_dict
from simroute.tasks import Job, Task, run_task
from simroute.uncertainty import headline

MONITORED = yaml.safe_load((SCENARIOS / "quickstart.yaml").read_text())["monitors"]


def _scenario(**changes):
    return scenario_from_dict(tiny(monitors=MONITORED, **changes), source="tiny")


@pytest.fixture(autouse=True)
def fresh_cache():
    calibration_cache.clear()
    yield
    calibration_cache.clear()


def _same_report(a, b) -> None:
    assert a.series.equals(b.series)
    assert a.alarms == b.alarms and a.thresholds == b.thresholds and a.windows == b.windows
    assert [(r.monitor, r.day) for r in a.reviews] == [(r.monitor, r.day) for r in b.reviews]


def test_the_lean_calibration_pass_gives_the_full_pass_report():
    s = _scenario()
    calib = calibration_scenario(s, Streams(s.seed))
    full = Engine(calib).run()
    watched = {m.policy for m in calib.monitors}
    assert set(full.days) > watched  # the full pass also simulates the unwatched baseline
    lean = Engine(calib, only=watched, needs=MONITORS).run()
    assert full.monitors is not None and lean.monitors is not None
    _same_report(full.monitors, lean.monitors)
    assert full.monitors.truth is not None and full.monitors.truth["value"].is_finite().any()
    assert lean.monitors.truth is not None and not lean.monitors.truth["value"].is_finite().any()  # not computed
    assert lean.holdout_parity == {} and lean.model_calibration is None
    assert all(not d.tier.any() for d in lean.days.values())  # nobody reads the ledger counters: not computed


def test_a_task_computes_the_headline_rows_of_the_full_run():
    s = _scenario()
    job = Job(s.model_dump(mode="json"))
    got = run_task(job, Task(0, {}, 1))
    assert got.error is None and got.rows is not None
    full = run_resolved(job.build({}), replicate=1)
    expected = pl.concat([headline(full), curve_metrics_table(full.curves), operating_rows(full.output)])
    assert got.rows.equals(expected)
    assert got.curves is not None and full.curves is not None and got.curves.equals(full.curves)
    lean = run_resolved(job.build({}), replicate=1, needs=HEADLINE)
    assert lean.daily.is_empty() and lean.model_reliability is None and headline(lean).equals(headline(full))
    assert lean.policies["pre_route"].holdout_parity is None is not full.policies["pre_route"].holdout_parity


def test_the_calibration_cache_hits_only_when_nothing_the_pass_reads_changed(monkeypatch):
    s = _scenario()
    first = calibrate(s, replicate=0)
    assert calibration_cache.stats == {"hits": 0, "misses": 1}
    assert calibrate(s, replicate=0) == first and calibration_cache.stats["hits"] == 1
    drifted = _scenario(drift=yaml.safe_load((SCENARIOS / "quickstart.yaml").read_text())["drift"])
    assert drifted.drift and calibrate(drifted, replicate=0) == first  # the pass switches drift off: a hit
    assert calibration_cache.stats["hits"] == 2
    calibrate(s, replicate=1)
    calibrate(s.model_copy(update={"seed": s.seed + 1}), replicate=0)
    assert calibration_cache.stats == {"hits": 2, "misses": 3}
    monkeypatch.setenv(calibration_cache.SWITCH, "0")
    calibration_cache.clear()
    assert calibrate(s, replicate=0) == first  # a pass run afresh agrees with the stored one
    assert calibrate(s, replicate=0) == first and calibration_cache.stats == {"hits": 0, "misses": 0}


def test_a_stored_threshold_cannot_be_changed_through_a_returned_copy():
    s = _scenario()
    got = calibrate(s)
    assert got is not None
    monitor = next(iter(got))
    got[monitor].clear()
    again = calibrate(s)
    assert again is not None and again[monitor]
