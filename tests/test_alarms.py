"""The alarm-rule interface (issue 15): every rule of the registry is handled, finds a clear rise, stays quiet
on a flat series, and can be matched to a false-alarm rate; river's rules fall back cleanly when absent."""
from __future__ import annotations

import numpy as np
import pytest

from simroute.alarms import REGISTRY, AlarmRuleKind, available, build
from simroute.alarms.interface import alarm_share, matched_sensitivity


def _series(rng, days=120, change=None, p0=0.05, p1=0.10, n=400):
    p = np.full(days, p0)
    if change is not None:
        p[change:] = p1
    trials = np.full(days, n, dtype=float)
    return trials, rng.binomial(n, p).astype(float)


def test_every_rule_is_registered_and_built():
    assert set(REGISTRY) == set(AlarmRuleKind)
    for kind in AlarmRuleKind:
        assert build(kind).kind is kind
    assert AlarmRuleKind.cusum in available()


@pytest.mark.parametrize("kind", list(AlarmRuleKind))
def test_each_rule_detects_a_doubling_soon_after_it_and_not_before(kind):
    rule = build(kind)
    if not rule.available():
        pytest.skip(f"optional extra '{rule.optional}' is not installed")
    rng = np.random.default_rng(1)
    paths = [_series(rng) for _ in range(40)]
    s = matched_sensitivity(rule, paths, 14, 0.1, 0.25, False, False, steps=14)
    assert alarm_share(rule, [_series(rng) for _ in range(60)], 14, s, 0.25, False, False) <= 0.25
    delays = []
    for _ in range(20):
        n, k = _series(rng, change=60)
        first = rule.first_alarm(n, k, 14, s, 0.25, False, False)
        delays.append(np.inf if first is None else first - 60)
    assert np.median(delays) <= 14, (kind, delays)


def test_cusum_rule_matches_the_monitors_detector():
    """The registry's CUSUM is the monitors' own increments and threshold: the same first alarm."""
    from simroute.monitors.detector import Detector
    from simroute.scenario.monitors import Alarm
    rng = np.random.default_rng(3)
    n, k = _series(rng, change=50)
    det = Detector(Alarm(threshold=4.0), distance=False, start_day=0)
    first_det = next((d for d in range(len(n)) if det.update(d, {"s": (n[d], k[d])})), None)
    assert build(AlarmRuleKind.cusum).first_alarm(n, k, 14, 4.0, 0.25, False, False) == first_det


def test_river_rules_report_themselves_unavailable_without_river(monkeypatch):
    import importlib.util

    from simroute.alarms import river_rules
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "river" else real(name, *a))
    assert not river_rules.river_available()
    assert available() == [AlarmRuleKind.cusum]
