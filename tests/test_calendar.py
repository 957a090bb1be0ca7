"""The discrete-event calendar: (time, priority, insertion) order, run_until bounds, nested scheduling, trace."""
from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from simroute.calendar import Calendar, Event, Priority


def _recorder(log: list, name: str):
    def action(t: float) -> None:
        log.append((t, name))
    return action


def test_empty_calendar():
    cal = Calendar()
    assert len(cal) == 0
    assert cal.next_time() == math.inf
    assert cal.run_until(1e9) == 0
    assert cal.trace == []


def test_events_fire_in_time_then_priority_then_insertion_order():
    cal, log = Calendar(), []
    # (time, priority, label), scheduled deliberately out of order
    plan = [
        (2.0, Priority.BILLING, "t2-billing"),
        (1.0, Priority.MONITOR, "t1-monitor"),
        (1.0, Priority.DRIFT, "t1-drift-a"),
        (0.5, Priority.MONITOR, "t0.5-monitor"),
        (1.0, Priority.ROLLOUT, "t1-rollout"),
        (1.0, Priority.DRIFT, "t1-drift-b"),
        (2.0, Priority.DRIFT, "t2-drift"),
        (1.0, Priority.DRIFT, "t1-drift-c"),
    ]
    for t, p, label in plan:
        cal.schedule(t, p, label, _recorder(log, label))
    assert cal.run_until(10.0) == len(plan)
    assert [name for _, name in log] == [
        "t0.5-monitor", "t1-drift-a", "t1-drift-b", "t1-drift-c", "t1-rollout", "t1-monitor",
        "t2-drift", "t2-billing",
    ]
    assert len(cal) == 0


def test_priority_constants_order_world_before_routing_before_billing():
    assert Priority.DRIFT < Priority.ROLLOUT < Priority.ROLLBACK < Priority.RECALIBRATION < Priority.BILLING
    assert Priority.BILLING < Priority.MONITOR


def test_event_ordering_ignores_label_and_action():
    a = Event(1.0, 0, 0, "zzz", lambda t: None)
    b = Event(1.0, 0, 1, "aaa", lambda t: None)
    assert a < b
    assert Event(1.0, 5, 0, "x", print) > Event(1.0, 4, 9, "x", print)
    assert Event(0.9, 99, 99, "x", print) < Event(1.0, 0, 0, "x", print)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.sampled_from(list(Priority))), min_size=0, max_size=40))
def test_firing_order_is_the_stable_sort_by_time_and_priority(plan):
    cal, log = Calendar(), []
    for k, (t, p) in enumerate(plan):
        cal.schedule(t, p, f"e{k}", _recorder(log, k))
    cal.run_until(100)
    expected = sorted(range(len(plan)), key=lambda k: (plan[k][0], int(plan[k][1])))  # sorted() is stable
    assert [k for _, k in log] == expected
    assert [t for t, _ in log] == sorted(float(t) for t, _ in plan)


def test_run_until_fires_only_events_at_or_before_t():
    cal, log = Calendar(), []
    for t in (3.0, 1.0, 2.0, 2.5, 4.0):
        cal.schedule(t, Priority.BILLING, f"at{t}", _recorder(log, t))
    assert cal.run_until(0.999) == 0
    assert cal.next_time() == 1.0
    assert cal.run_until(2.0) == 2  # 1.0 and 2.0 (the boundary is inclusive)
    assert [t for t, _ in log] == [1.0, 2.0]
    assert cal.next_time() == 2.5
    assert len(cal) == 3
    assert cal.run_until(2.0) == 0  # nothing new at the same bound
    assert cal.run_until(3.5) == 2
    assert cal.next_time() == 4.0
    assert cal.run_until(math.inf) == 1
    assert [t for t, _ in log] == [1.0, 2.0, 2.5, 3.0, 4.0]


def test_action_receives_its_own_event_time():
    cal, seen = Calendar(), []
    cal.schedule(7, Priority.DRIFT, "x", seen.append)
    cal.run_until(100)
    assert seen == [7.0]
    assert isinstance(seen[0], float)


def test_actions_scheduled_from_an_action_at_the_same_time_fire_in_order():
    cal, log = Calendar(), []

    def spawner(t: float) -> None:
        log.append("spawner")
        # same time: an earlier priority than what is pending, the same priority, and a later one
        cal.schedule(t, Priority.DRIFT, "child-drift", lambda _: log.append("child-drift"))
        cal.schedule(t, Priority.ROLLOUT, "child-rollout", lambda _: log.append("child-rollout"))
        cal.schedule(t, Priority.MONITOR, "child-monitor", lambda _: log.append("child-monitor"))
        cal.schedule(t + 1, Priority.DRIFT, "tomorrow", lambda _: log.append("tomorrow"))

    cal.schedule(5, Priority.ROLLOUT, "spawner", spawner)
    cal.schedule(5, Priority.ROLLOUT, "sibling", lambda _: log.append("sibling"))
    cal.schedule(5, Priority.BILLING, "billing", lambda _: log.append("billing"))
    fired = cal.run_until(5)
    # the child DRIFT event is now the earliest pending (time, priority); the child ROLLOUT was inserted
    # after its sibling so it fires after it; MONITOR comes after BILLING; tomorrow's event waits.
    assert log == ["spawner", "child-drift", "sibling", "child-rollout", "billing", "child-monitor"]
    assert fired == 6
    assert len(cal) == 1 and cal.next_time() == 6.0
    assert cal.run_until(6) == 1
    assert log[-1] == "tomorrow"


def test_trace_records_time_and_label_in_firing_order():
    cal = Calendar()
    cal.schedule(2, Priority.BILLING, "billing", lambda t: None)
    cal.schedule(1, Priority.MONITOR, "monitor", lambda t: None)
    cal.schedule(2, Priority.DRIFT, "drift:x", lambda t: None)
    cal.run_until(1)
    assert cal.trace == [(1.0, "monitor")]
    cal.run_until(2)
    assert cal.trace == [(1.0, "monitor"), (2.0, "drift:x"), (2.0, "billing")]


def test_engine_calendar_trace_has_billing_every_day_and_drift_onsets():
    from pathlib import Path

    import yaml

    from simroute.engine import Engine
    from simroute.scenario.loader import scenario_from_dict

    data = yaml.safe_load((Path(__file__).parent / "fixtures" / "minimal.yaml").read_text())
    data["horizon_days"] = 5
    data["policies"] = [p for p in data["policies"] if p["kind"] != "pre_route"]
    data["drift"] = [{"kind": "difficulty_scale", "start_day": 2, "to": 2.0}]
    eng = Engine(scenario_from_dict(data))
    eng.run()
    trace = eng.calendar.trace
    assert [t for t, label in trace if label == "billing"] == [1.0, 2.0, 3.0, 4.0]
    drift = [(t, label) for t, label in trace if label.startswith("drift:")]
    assert drift == [(2.0, "drift:difficulty_scale:")]
    # on day 2 the drift (priority 0) precedes billing (priority 40)
    day2 = [label for t, label in trace if t == 2.0]
    assert day2.index("drift:difficulty_scale:") < day2.index("billing")
