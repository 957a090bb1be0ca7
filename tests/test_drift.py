"""The drift schedule: abrupt and linear ramps, each drift kind, composition, and shares that stay normalised."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from simroute.scenario.loader import scenario_from_dict
from simroute.world.drift import DriftSchedule

FIXTURE = Path(__file__).parent / "fixtures" / "minimal.yaml"
INTENT_SHARES = (0.5, 0.3, 0.2)
HIDDEN = (0.1, 0.0, 0.05)
SEGMENT_SHARES = (0.7, 0.3)


def _data(drift: list[dict], shares=INTENT_SHARES) -> dict:
    data = yaml.safe_load(FIXTURE.read_text())
    data["horizon_days"] = 200
    data["traffic"]["intents"] = [
        {"name": f"i{k}", "share": float(s), "surface_class": "simple" if k % 2 == 0 else "complex",
         "hidden_intent_rate": HIDDEN[k % len(HIDDEN)]}
        for k, s in enumerate(shares)
    ]
    data["users"]["segments"] = [
        {"name": "smb", "share": SEGMENT_SHARES[0], "arpu_usd_per_month": 10, "baseline_churn_per_month": 0.05},
        {"name": "ent", "share": SEGMENT_SHARES[1], "arpu_usd_per_month": 100, "baseline_churn_per_month": 0.01},
    ]
    data["drift"] = drift
    return data


def _schedule(drift: list[dict], shares=INTENT_SHARES) -> DriftSchedule:
    return DriftSchedule(scenario_from_dict(_data(drift, shares)))


def _assert_base(p, shares=INTENT_SHARES):
    np.testing.assert_allclose(p.intent_shares, shares, rtol=0, atol=1e-12)
    np.testing.assert_allclose(p.hidden_rates, HIDDEN[:len(shares)], rtol=0, atol=1e-12)
    assert p.difficulty_scale == 1.0
    np.testing.assert_allclose(p.segment_shares, SEGMENT_SHARES, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(p.skill_delta, [0.0, 0.0])


def test_no_drift_is_the_scenario_as_written():
    sched = _schedule([])
    for day in (0.0, 0.5, 50.0, 199.5):
        _assert_base(sched.at(day))
    assert sched.onsets == []


def test_abrupt_change_applies_from_its_start_day():
    sched = _schedule([{"kind": "hidden_intent_rate", "target": "i1", "start_day": 10, "to": 0.4}])
    for day in (0.0, 9.0, 9.999):
        _assert_base(sched.at(day))
    for day in (10.0, 10.5, 150.0):
        assert sched.at(day).hidden_rates[1] == pytest.approx(0.4, abs=1e-15)
        assert sched.at(day).hidden_rates[0] == 0.1


@pytest.mark.parametrize("day, frac", [(20.0, 0.0), (25.0, 0.25), (30.0, 0.5), (30.5, 0.525), (39.0, 0.95),
                                       (40.0, 1.0), (100.0, 1.0)])
def test_linear_ramp_values(day, frac):
    sched = _schedule([{"kind": "hidden_intent_rate", "target": "i0", "start_day": 20, "ramp_days": 20,
                        "to": 0.5}])
    assert sched.at(day).hidden_rates[0] == pytest.approx(0.1 + (0.5 - 0.1) * frac, abs=1e-12)


def test_drifts_before_their_start_day_have_no_effect():
    drift = [
        {"kind": "intent_share", "target": "i0", "start_day": 30, "ramp_days": 10, "to": 0.1},
        {"kind": "hidden_intent_rate", "target": "i1", "start_day": 30, "to": 0.9},
        {"kind": "difficulty_scale", "start_day": 30, "ramp_days": 5, "to": 3.0},
        {"kind": "segment_share", "target": "ent", "start_day": 30, "to": 0.9},
        {"kind": "model_skill", "target": "cheap", "start_day": 30, "ramp_days": 2, "to": -1.0},
    ]
    sched = _schedule(drift)
    for day in (0.0, 0.5, 15.0, 29.5, 29.999):
        _assert_base(sched.at(day))
    after = sched.at(60.0)
    assert after.intent_shares[0] == pytest.approx(0.1)
    assert after.hidden_rates[1] == pytest.approx(0.9)
    assert after.difficulty_scale == pytest.approx(3.0)
    assert after.segment_shares[1] == pytest.approx(0.9)
    assert after.skill_delta[0] == pytest.approx(-1.0)


def test_intent_share_sets_target_and_rescales_the_others_proportionally():
    sched = _schedule([{"kind": "intent_share", "target": "i1", "start_day": 5, "to": 0.6}])
    s = sched.at(6.0).intent_shares
    assert s.sum() == pytest.approx(1.0, abs=1e-12)
    assert s[1] == pytest.approx(0.6)
    # the remaining 0.4 is split 0.5 : 0.2 like before
    assert s[0] == pytest.approx(0.4 * 0.5 / 0.7)
    assert s[2] == pytest.approx(0.4 * 0.2 / 0.7)


def test_intent_share_ramp_midpoint():
    sched = _schedule([{"kind": "intent_share", "target": "i2", "start_day": 10, "ramp_days": 10, "to": 0.6}])
    s = sched.at(15.0).intent_shares
    assert s[2] == pytest.approx(0.4)   # halfway from 0.2 to 0.6
    assert s[0] / s[1] == pytest.approx(0.5 / 0.3)
    assert s.sum() == pytest.approx(1.0, abs=1e-12)


def test_hidden_intent_rate_only_moves_its_target():
    sched = _schedule([{"kind": "hidden_intent_rate", "target": "i2", "start_day": 0, "ramp_days": 4, "to": 0.45}])
    p = sched.at(1.0)
    np.testing.assert_allclose(p.hidden_rates, [0.1, 0.0, 0.05 + 0.4 * 0.25])
    np.testing.assert_allclose(p.intent_shares, INTENT_SHARES)


def test_difficulty_scale_is_a_multiplier_and_composes_multiplicatively():
    sched = _schedule([
        {"kind": "difficulty_scale", "start_day": 10, "to": 2.0},
        {"kind": "difficulty_scale", "start_day": 20, "ramp_days": 10, "to": 1.5},
    ])
    assert sched.at(5.0).difficulty_scale == 1.0
    assert sched.at(12.0).difficulty_scale == pytest.approx(2.0)
    assert sched.at(25.0).difficulty_scale == pytest.approx(2.0 * 1.25)  # halfway from x1 to x1.5
    assert sched.at(40.0).difficulty_scale == pytest.approx(3.0)


def test_model_skill_is_additive_in_logit_units():
    sched = _schedule([
        {"kind": "model_skill", "target": "capable", "start_day": 3, "to": -0.8},
        {"kind": "model_skill", "target": "capable", "start_day": 6, "ramp_days": 4, "to": -0.4},
        {"kind": "model_skill", "target": "cheap", "start_day": 6, "to": 0.3},
    ])
    np.testing.assert_allclose(sched.at(4.0).skill_delta, [0.0, -0.8])
    np.testing.assert_allclose(sched.at(8.0).skill_delta, [0.3, -0.8 - 0.2])
    np.testing.assert_allclose(sched.at(50.0).skill_delta, [0.3, -1.2])


def test_segment_share_rescales_other_segments():
    sched = _schedule([{"kind": "segment_share", "target": "ent", "start_day": 7, "ramp_days": 14, "to": 0.5}])
    mid = sched.at(14.0).segment_shares
    assert mid[1] == pytest.approx(0.4)
    assert mid[0] == pytest.approx(0.6)
    end = sched.at(21.0).segment_shares
    np.testing.assert_allclose(end, [0.5, 0.5])


def test_drifts_apply_in_start_day_order_each_from_the_value_before_it():
    later_first = [
        {"kind": "hidden_intent_rate", "target": "i0", "start_day": 20, "to": 0.2},
        {"kind": "hidden_intent_rate", "target": "i0", "start_day": 10, "to": 0.6},
    ]
    sched = _schedule(later_first)
    assert sched.at(15.0).hidden_rates[0] == pytest.approx(0.6)
    assert sched.at(25.0).hidden_rates[0] == pytest.approx(0.2)  # the later drift wins
    assert [d for d, _ in sched.onsets] == [10, 20]
    # a ramp that starts from the value left by an earlier drift
    ramped = _schedule([
        {"kind": "hidden_intent_rate", "target": "i0", "start_day": 10, "to": 0.6},
        {"kind": "hidden_intent_rate", "target": "i0", "start_day": 20, "ramp_days": 10, "to": 0.2},
    ])
    assert ramped.at(25.0).hidden_rates[0] == pytest.approx(0.4)


def test_onsets_describe_each_drift():
    sched = _schedule([
        {"kind": "difficulty_scale", "start_day": 4, "to": 2.0},
        {"kind": "intent_share", "target": "i0", "start_day": 2, "to": 0.3},
    ])
    assert sched.onsets == [(2, "intent_share:i0"), (4, "difficulty_scale:")]


def test_at_does_not_mutate_state_between_calls():
    sched = _schedule([{"kind": "intent_share", "target": "i0", "start_day": 0, "to": 0.9}])
    first = sched.at(3.0).intent_shares.copy()
    for _ in range(3):
        sched.at(3.0)
    np.testing.assert_array_equal(sched.at(3.0).intent_shares, first)
    _assert_base(sched.at(-1.0))


shares_strategy = st.lists(st.floats(0.02, 1.0), min_size=2, max_size=6).map(
    lambda xs: [x / sum(xs) for x in xs])


@settings(max_examples=60, deadline=None)
@given(shares=shares_strategy, data=st.data())
def test_intent_share_drifts_keep_shares_normalised_and_proportional(shares, data):
    n = len(shares)
    shares[-1] = 1.0 - sum(shares[:-1])
    assume(shares[-1] > 1e-3)
    k = data.draw(st.integers(0, n - 1), label="target")
    # targets stay below 1 so the others keep a share to compare ratios on
    to = data.draw(st.floats(0.0, 0.99), label="to")
    start = data.draw(st.integers(0, 50), label="start")
    ramp = data.draw(st.integers(0, 30), label="ramp")
    day = data.draw(st.floats(0.0, 120.0), label="day")
    second = data.draw(st.tuples(st.integers(0, n - 1), st.floats(0.0, 0.99), st.integers(0, 100),
                                 st.integers(0, 30)), label="second drift")
    drift = [{"kind": "intent_share", "target": f"i{k}", "start_day": start, "ramp_days": ramp, "to": to},
             {"kind": "intent_share", "target": f"i{second[0]}", "start_day": second[2],
              "ramp_days": second[3], "to": second[1]}]
    sched = _schedule(drift, shares)
    s = sched.at(day).intent_shares
    assert np.all(s >= 0)
    assert s.sum() == pytest.approx(1.0, abs=1e-9)
    # with only the first drift in force, the target follows the ramp and the others keep their ratios
    if day < second[2] or (second[3] > 0 and day <= second[2]):
        f = 0.0 if day < start else (1.0 if ramp == 0 else min(1.0, (day - start) / ramp))
        want = shares[k] + (to - shares[k]) * f
        assert s[k] == pytest.approx(want, abs=1e-9)
        others = [j for j in range(n) if j != k]
        if want < 1.0 - 1e-6:
            np.testing.assert_allclose(s[others] / s[others].sum(),
                                       np.array(shares)[others] / sum(shares[j] for j in others), atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(to=st.floats(0.0, 1.0), day=st.floats(0.0, 60.0), ramp=st.integers(0, 20))
def test_segment_shares_always_sum_to_one(to, day, ramp):
    sched = _schedule([{"kind": "segment_share", "target": "smb", "start_day": 10, "ramp_days": ramp, "to": to}])
    seg = sched.at(day).segment_shares
    assert seg.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(seg >= 0)


def test_drifting_a_sole_intent_to_zero_keeps_shares_finite():
    sched = _schedule([{"kind": "intent_share", "target": "i0", "start_day": 1, "to": 0.0}], shares=(1.0, 0.0))
    s = sched.at(2.0).intent_shares
    assert np.all(np.isfinite(s)) and s.sum() == pytest.approx(1.0)


def test_drifting_a_sole_intent_down_is_honoured():
    """When every other intent had share 0, the freed share is split equally among them."""
    sched = _schedule([{"kind": "intent_share", "target": "i0", "start_day": 1, "to": 0.4}], shares=(1.0, 0.0))
    np.testing.assert_allclose(sched.at(2.0).intent_shares, [0.4, 0.6])
