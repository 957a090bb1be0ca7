"""Onsets from the truth (issue 15): a monitor's onset is the first day its watched quantity really moved by
the shift it is designed to detect, whatever drift moved it; delay and false alarms count from there."""
from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

import simroute
from simroute.detection import departed, truth_onset
from simroute.scenario.loader import scenario_from_dict
from simroute.scenario.monitors import Alarm

ROOT = Path(__file__).resolve().parents[1]
LAUNCH_DAY = 35
QUALITY = ("review_pooled", "review_per_tier", "widget_pooled", "widget_per_tier")


def launch_only_world() -> dict:
    """The quickstart world whose only drift is a product launch: a new intent that looks simple (so the
    router sends it to the small model) but is hard for it. No quality-kind drift at all."""
    d = yaml.safe_load((ROOT / "scenarios" / "quickstart.yaml").read_text())
    d["traffic"]["intents"].append({"name": "new_product", "share": 0.0, "surface_class": "simple",
                                    "base_difficulty": 2.5, "tokens_in": {"median": 3000},
                                    "tokens_out": {"median": 400}})
    d["drift"] = [{"kind": "intent_share", "target": "new_product", "start_day": LAUNCH_DAY, "ramp_days": 7,
                   "to": 0.3}]
    d["policies"] = [p for p in d["policies"] if p["name"] in ("single", "pre_route")]
    d["monitors"] = [
        {"name": "review_pooled", "kind": "human_review", "policy": "pre_route", "reviews_per_day": 100},
        {"name": "review_per_tier", "kind": "human_review", "policy": "pre_route", "reviews_per_day": 100,
         "scope": "per_tier"},
        {"name": "widget_pooled", "kind": "feedback_widget", "policy": "pre_route"},
        {"name": "widget_per_tier", "kind": "feedback_widget", "policy": "pre_route", "scope": "per_tier"},
        {"name": "confidence_psi", "kind": "confidence_drift", "policy": "pre_route"}]
    return d


@cache
def launch_run():
    return simroute.run(scenario_from_dict(launch_only_world(), source="launch-only world"))


def test_departure_rule_known_answers():
    a = Alarm(shift=0.25)
    v = np.array([0.10, 0.124, 0.125, 0.2])
    assert departed(v, np.array([0.1, 0.1]), a, False, False, 0.0).tolist() == [False, False, True, True]
    # a share: odds 0.25 / 0.75 = 1/3 rises by 25% to 5/12, i.e. a share of 5/17
    assert departed(np.array([0.29, 0.295]), np.array([0.25]), a, False, True, 0.0).tolist() == [False, True]
    # a distance-tested value: 2 x shift reference sds above the level
    assert departed(np.array([1.4, 1.5]), np.array([1.0, 1.0]), a, True, False, 1.0).tolist() == [False, True]


def test_truth_onset_is_the_first_departure_after_the_reference_of_any_stratum():
    days = list(range(10, 40))
    cheap = [0.1] * 20 + [0.2] * 10          # departs on day 30
    capable = [0.1] * 25 + [0.3] * 5         # departs on day 35
    truth = pl.DataFrame({"day": days * 2, "stratum": ["cheap"] * 30 + ["capable"] * 30,
                          "value": cheap + capable}, schema={"day": pl.Int32, "stratum": pl.Utf8,
                                                             "value": pl.Float64})
    observed = truth.rename({"value": "statistic"})
    alarm = Alarm(reference_days=14, shift=0.25)
    assert truth_onset(truth, observed, 10, alarm, False, False) == 30
    assert truth_onset(truth.filter(pl.col("stratum") == "capable"), observed, 10, alarm, False, False) == 35
    flat = truth.with_columns(value=pl.lit(0.1))
    assert truth_onset(flat, observed, 10, alarm, False, False) is None


@pytest.mark.parametrize("name", QUALITY)
def test_a_launch_moves_the_quality_monitors_truth_and_their_onset_follows_it(name):
    r = launch_run()
    m = r.monitors[name]
    assert m.onset_rule.startswith("truth"), m.onset_rule
    assert m.onset_day is not None and LAUNCH_DAY <= m.onset_day <= LAUNCH_DAY + 14, (name, m.onset_day)
    assert m.onset_drifts == ["intent_share:new_product"]
    truth = r.output.monitors.truth.filter(pl.col("monitor") == name)
    assert truth["day"].min() == m.window_start_day  # the truth is recorded over the whole window
    before = [d for d in m.alarm_days if d < m.onset_day]
    assert m.false_alarms == len(before)
    after = [d for d in m.alarm_days if d >= m.onset_day]
    assert m.delay_days == (after[0] - m.onset_day if after else None)


def test_alarms_after_a_launch_count_as_detections():
    """Under the old rule (onset = first quality-kind drift) a launch-only world had no onset and every alarm
    was false; from the truth, the review and widget monitors that alarm after the launch detect it."""
    r = launch_run()
    detected = [n for n in ("review_pooled", "review_per_tier", "widget_per_tier")
                if r.monitors[n].delay_days is not None]
    assert detected, {n: (r.monitors[n].onset_day, r.monitors[n].alarm_days) for n in QUALITY}
    assert all(r.monitors[n].false_alarms == 0 for n in detected)


def test_the_input_monitor_keeps_the_schedule_onset():
    m = launch_run().monitors["confidence_psi"]
    assert m.onset_rule.startswith("schedule") and m.onset_day == LAUNCH_DAY


@cache
def launch_replicates():
    return simroute.run(scenario_from_dict(launch_only_world(), source="launch-only world"), replicates=3)


def test_replicates_carry_operating_characteristics_per_monitor():
    doc = launch_replicates().replicates.document()["monitors"]
    assert set(doc) == {m["name"] for m in launch_only_world()["monitors"]}
    for oc in doc.values():
        assert oc["replicates"] == 3 and 0.0 <= oc["false_alarm_share"] <= 1.0
        assert set(oc["references"]) == {"calendar", "random"}
        w = [oc[f"detected_within_{k}w"] for k in (2, 4, 8)]
        assert all(x is None for x in w) or w == sorted(w)
    assert doc["review_per_tier"]["with_onset"] == 3


def test_rethresholding_at_the_calibrated_threshold_gives_the_live_first_alarm():
    """The operating curve re-runs each stratum's CUSUM on the recorded observations at scaled thresholds:
    at scale 1 it must give the live run's first alarm, and a higher threshold never alarms earlier."""
    from simroute.detection import THRESHOLD_SCALES, first_alarms_at_scales
    r = launch_run()
    for name, m in r.monitors.items():
        firsts = first_alarms_at_scales(r.output, name)
        assert firsts[THRESHOLD_SCALES.index(1.0)] == m.first_alarm_day, name
        seen = [np.inf if d is None else d for d in firsts]
        assert seen == sorted(seen), (name, firsts)


def test_replicates_carry_an_operating_curve_with_its_references():
    reps = launch_replicates().replicates
    assert not reps.table.filter(pl.col("kind") == "operating").height  # kept out of the intervals
    for name, oc in reps.document()["monitors"].items():
        curve = oc["curve"]
        fa = [p["false_alarm_share"] for p in curve["points"]]
        assert fa == sorted(fa, reverse=True), name  # a higher threshold: no more false alarms
        assert len(curve["random"]) > 2 and len(curve["calendar"]) > 2


def test_the_report_draws_an_operating_curve_for_every_monitor(tmp_path):
    from simroute.api import write_results
    from simroute.report import PLOTS, Plot, load_bundle
    folder = write_results(launch_replicates(), tmp_path / "out")
    b = load_bundle(folder)
    fig = PLOTS[Plot.operating_curve].build(b)
    assert fig is not None
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert sorted(titles) == sorted(m["name"] for m in launch_only_world()["monitors"])
    for ax in fig.axes:
        if ax.get_visible():
            assert {"random alarm", "calibrated threshold"} <= set(ax.get_legend_handles_labels()[1])
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert "plots/operating_curve.png" in md and PLOTS[Plot.operating_curve].caption in md


def test_error_levels_are_true_error_rates_of_reviewed_monitors_only():
    r = launch_run()
    for name in ("widget_pooled", "widget_per_tier", "confidence_psi"):
        assert r.monitors[name].error_levels == {}
    m = r.monitors["review_per_tier"]
    truth = r.output.monitors.truth.filter(pl.col("monitor") == "review_per_tier")
    for stratum, lv in m.error_levels.items():
        t = truth.filter((pl.col("stratum") == stratum) & (pl.col("day") < m.window_start_day + 14))["value"]
        verdict = float(t.mean())
        assert lv["reference"] == pytest.approx((verdict - 0.02) / (1 - 0.1 - 0.02))  # default reviewers
        assert 0.0 <= lv["reference"] <= 1.0


def test_the_suite_sentence_compares_the_static_suite_rise_with_the_live_tier_rise():
    from simroute.report.monitoring import _suite_share
    lv = lambda a, b: {"reference": a, "at_first_alarm": None, "steady_state": b}  # noqa: E731
    mons = {"suite_per_tier": {"kind": "regression_suite", "error_levels": {"cheap": lv(0.035, 0.046),
                                                                            "capable": lv(0.1, 0.1)}},
            "review_per_tier": {"kind": "human_review", "error_levels": {"cheap": lv(0.035, 0.119),
                                                                         "capable": lv(0.1, 0.1)}}}
    text = _suite_share(mons)
    assert "cheap tier" in text and "by 1.1 points" in text and "by 8.4" in text
    assert _suite_share({"review_per_tier": mons["review_per_tier"]}) == ""
