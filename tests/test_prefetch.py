"""Drawing tomorrow's day on a second thread changes no byte: every file of a run with and without it, and the
prefetcher's own contract (day order, a day asked out of turn, errors, when it is on)."""
from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

import simroute
from simroute.api import write_results
from simroute.results import FILES
from simroute.world import prefetch
from simroute.world.prefetch import PREFETCH_ENV, DayPrefetch

QUICK = Path(__file__).resolve().parents[1] / "scenarios" / "quickstart.yaml"


def _files(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FILES}


def test_a_run_drawn_ahead_is_byte_identical_to_one_drawn_in_turn(tmp_path, monkeypatch):
    monkeypatch.setattr(prefetch, "wanted", lambda: True)
    ahead = _files(write_results(simroute.run(QUICK), tmp_path / "ahead", report=False))
    monkeypatch.setattr(prefetch, "wanted", lambda: False)
    in_turn = _files(write_results(simroute.run(QUICK), tmp_path / "in_turn", report=False))
    assert ahead == in_turn


def _recording(calls: list[tuple[int, int]]):
    def draw(day: int, joined: int):
        calls.append((day, joined))
        return ("draw", day, joined)
    return draw


@pytest.mark.parametrize("ahead", [True, False])
def test_days_come_in_order_each_drawn_once_none_past_the_horizon(ahead):
    calls: list[tuple[int, int]] = []
    days = DayPrefetch(_recording(calls), lambda d: 10 + d, horizon=4, ahead=ahead)
    try:
        assert [days.day(d) for d in range(4)] == [("draw", d, 10 + d) for d in range(4)]
    finally:
        days.close()
    assert sorted(calls) == [(d, 10 + d) for d in range(4)]


def test_a_day_asked_out_of_turn_is_drawn_then_and_there():
    calls: list[tuple[int, int]] = []
    days = DayPrefetch(_recording(calls), lambda d: d, horizon=10, ahead=True)
    try:
        assert days.day(0) == ("draw", 0, 0)
        assert days.day(5) == ("draw", 5, 5)  # day 1 was drawn ahead for nothing
        assert days.day(6) == ("draw", 6, 6)
    finally:
        days.close()


def test_an_error_of_a_day_drawn_ahead_reaches_the_engine_on_that_day():
    def draw(day: int, joined: int):
        if day == 2:
            raise ValueError("day 2 is bad")
        return day
    days = DayPrefetch(draw, lambda d: d, horizon=5, ahead=True)
    try:
        assert days.day(0) == 0 and days.day(1) == 1
        with pytest.raises(ValueError, match="day 2 is bad"):
            days.day(2)
    finally:
        days.close()


def test_switched_off_by_the_environment_and_in_pool_workers(monkeypatch):
    monkeypatch.setenv(PREFETCH_ENV, "0")
    assert not prefetch.wanted()
    monkeypatch.delenv(PREFETCH_ENV)
    monkeypatch.setattr(multiprocessing, "parent_process", lambda: object())
    assert not prefetch.wanted()
