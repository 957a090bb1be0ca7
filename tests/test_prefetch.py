"""Drawing tomorrow's day on a second thread changes no byte: every file of a run with and without it, and the
prefetcher's own contract (day order, a day asked out of turn, errors, stopping, when it is on)."""
from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest

import simroute
from simroute import calibration_cache
from simroute.api import write_results
from simroute.engine import Engine
from simroute.results import FILES
from simroute.scenario.loader import load_scenario
from simroute.world import prefetch
from simroute.world.day_source import DaySource
from simroute.world.prefetch import PREFETCH_ENV, DayPrefetch

QUICK = Path(__file__).resolve().parents[1] / "scenarios" / "quickstart.yaml"


def _files(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FILES}


def test_a_run_drawn_ahead_is_byte_identical_to_one_drawn_in_turn(tmp_path, monkeypatch):
    monkeypatch.setenv(calibration_cache.SWITCH, "0")  # both runs make their own calibration pass
    monkeypatch.setattr(prefetch, "wanted", lambda: True)
    ahead = _files(write_results(simroute.run(QUICK), tmp_path / "ahead", report=False))
    monkeypatch.setattr(prefetch, "wanted", lambda: False)
    in_turn = _files(write_results(simroute.run(QUICK), tmp_path / "in_turn", report=False))
    assert ahead == in_turn


class Spy(DaySource):
    """The run's own source, recording which thread drew each day."""

    def __init__(self, inner: DaySource, prefetchable: bool):
        self.inner, self.prefetchable = inner, prefetchable
        self.threads: dict[int, str] = {}

    def day(self, day, joined):
        self.threads[day] = threading.current_thread().name
        return self.inner.day(day, joined)

    def queries(self, rng, n, t):
        return self.inner.queries(rng, n, t)

    def answers(self, rng, q, t):
        return self.inner.answers(rng, q, t)

    def p_correct(self, q, t):
        return self.inner.p_correct(q, t)


@pytest.mark.parametrize("prefetchable", [True, False])
def test_only_a_prefetchable_source_is_drawn_on_the_worker_thread(monkeypatch, prefetchable):
    monkeypatch.setattr(prefetch, "wanted", lambda: True)
    spies: list[Spy] = []

    def spy(world):
        spies.append(Spy(world.source, prefetchable))
        return spies[-1]
    engine = Engine(load_scenario(QUICK), source=spy)
    engine.run()
    threads = spies[0].threads
    assert sorted(threads) == list(range(engine.s.horizon_days))
    on_worker = {d for d, name in threads.items() if name.startswith("simroute-day")}
    assert on_worker == (set(range(1, engine.s.horizon_days)) if prefetchable else set())


def _recording(calls: list[tuple[int, int]]):
    def draw(day: int, joined: int, helper=None):
        calls.append((day, joined))
        return ("draw", day, joined)
    return draw


@pytest.mark.parametrize("ahead", [True, False])
def test_days_come_in_order_each_drawn_once_none_past_the_horizon(ahead):
    calls: list[tuple[int, int]] = []
    days = DayPrefetch(_recording(calls), lambda d: 10 + d, horizon=4, ahead=ahead)
    assert [days.day(d) for d in range(4)] == [("draw", d, 10 + d) for d in range(4)]
    days.close()
    assert sorted(calls) == [(d, 10 + d) for d in range(4)]


def test_a_day_asked_out_of_turn_is_drawn_then_and_there():
    calls: list[tuple[int, int]] = []
    days = DayPrefetch(_recording(calls), lambda d: d, horizon=10, ahead=True)
    assert days.day(0) == ("draw", 0, 0)
    assert days.day(5) == ("draw", 5, 5)  # day 1 was drawn ahead for nothing
    assert days.day(6) == ("draw", 6, 6)
    days.close(finished=False)


def test_an_error_of_a_day_drawn_ahead_reaches_the_engine_on_that_day():
    def draw(day: int, joined: int, helper=None):
        if day == 2:
            raise ValueError("day 2 is bad")
        return day
    days = DayPrefetch(draw, lambda d: d, horizon=5, ahead=True)
    assert days.day(0) == 0 and days.day(1) == 1
    with pytest.raises(ValueError, match="day 2 is bad"):
        days.day(2)
    days.close(finished=False)


def test_closing_a_stopped_run_does_not_wait_for_the_draw_under_way():
    release, started = threading.Event(), threading.Event()

    def draw(day: int, joined: int, helper=None):
        if day == 1:
            started.set()
            release.wait(10)
        return day
    days = DayPrefetch(draw, lambda d: d, horizon=3, ahead=True)
    assert days.day(0) == 0
    assert started.wait(10)
    days.close(finished=False)  # returns while day 1 is still being drawn
    assert any(t.name.startswith("simroute-day") for t in threading.enumerate())
    release.set()


def test_a_run_stopped_by_its_progress_callback_leaves_no_thread_behind(monkeypatch):
    monkeypatch.setattr(prefetch, "wanted", lambda: True)

    class Stop(Exception):
        pass

    def progress(phase, done, total):
        if done == 3:
            raise Stop
    with pytest.raises(Stop):
        Engine(load_scenario(QUICK), progress=progress).run()
    for t in [t for t in threading.enumerate() if t.name.startswith("simroute-day")]:
        t.join(30)
        assert not t.is_alive()


def _cores(monkeypatch, n: int) -> None:
    monkeypatch.delattr(prefetch.os, "process_cpu_count", raising=False)
    monkeypatch.setattr(prefetch.os, "sched_getaffinity", lambda pid: set(range(n)), raising=False)


def test_on_with_a_second_core_in_the_main_thread_of_a_top_process(monkeypatch):
    monkeypatch.delenv(PREFETCH_ENV, raising=False)
    monkeypatch.setattr(multiprocessing, "parent_process", lambda: None)
    _cores(monkeypatch, 2)
    assert prefetch.wanted()
    _cores(monkeypatch, 1)
    assert not prefetch.wanted()


def test_off_when_switched_off_in_pool_workers_and_off_the_main_thread(monkeypatch):
    monkeypatch.setattr(multiprocessing, "parent_process", lambda: None)
    _cores(monkeypatch, 2)
    monkeypatch.setenv(PREFETCH_ENV, "0")
    assert not prefetch.wanted()
    monkeypatch.delenv(PREFETCH_ENV)
    seen: list[bool] = []
    worker = threading.Thread(target=lambda: seen.append(prefetch.wanted()))
    worker.start()
    worker.join()
    assert seen == [False]
    monkeypatch.setattr(multiprocessing, "parent_process", lambda: object())
    assert not prefetch.wanted()



def test_a_day_drawn_with_a_helper_thread_is_the_same_day():
    """The surface features made on a helper while the answers are drawn: every array of the day identical."""
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import fields

    import numpy as np
    w = Engine(load_scenario(QUICK)).world
    with ThreadPoolExecutor(1) as helper:
        for day in (0, 3):
            alone, helped = w.source.day(day, w.population.joined(day)), \
                w.source.day_with(day, w.population.joined(day), helper)
            for part in ("queries", "outcomes"):
                a, b = getattr(alone, part), getattr(helped, part)
                assert all(np.array_equal(getattr(a, f.name), getattr(b, f.name)) for f in fields(a))
            assert np.array_equal(alone.times, helped.times) and np.array_equal(alone.uniforms, helped.uniforms)


def test_the_helper_is_handed_to_the_next_draw_only_after_the_engine_waited_for_one():
    import time
    helpers: dict[int, bool] = {}
    slow = threading.Event()

    def draw(day: int, joined: int, helper=None):
        helpers[day] = helper is not None
        if slow.is_set():
            time.sleep(0.05)
        return day
    days = DayPrefetch(draw, lambda d: d, horizon=6, ahead=True)
    days.day(0)
    time.sleep(0.05)  # day 1 is done before it is asked for: the engine did not wait
    days.day(1)
    slow.set()
    days.day(2)  # day 2 was drawn fast, day 3 is drawn slowly ...
    days.day(3)  # ... and waited for: day 4 gets the helper
    days.day(4)
    days.close()
    assert helpers[0] is False and helpers[2] is False and helpers[4] is True
