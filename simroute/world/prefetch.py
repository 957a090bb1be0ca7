"""Tomorrow's draw made on a second thread while the engine serves today's.

Every day's draw comes from fresh generators keyed by stream name and day, so the order (or thread) the days
are drawn in changes no number; numpy's random fills and array arithmetic release the GIL, so the draw of
day d + 1 overlaps the serving of day d on a second core. At most one day is drawn ahead.
"""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from .day_source import DayDraw

PREFETCH_ENV = "SIMROUTE_PREFETCH"  # "0": draw every day on the engine's own thread


def wanted() -> bool:
    """Draw ahead only where a second core can take the work: not when switched off, not in a worker process of
    a pool (local or Dask: the pool already gives each core a task; case 1 on 2 local workers measured 27.9 s
    without, 30.6 s with), not on one core."""
    if os.environ.get(PREFETCH_ENV, "1") == "0" or multiprocessing.parent_process() is not None:
        return False
    try:
        return len(os.sched_getaffinity(0)) > 1
    except AttributeError:  # no affinity call on this platform
        return (os.cpu_count() or 1) > 1


class DayPrefetch:
    """Each day's draw in day order, the next one already under way on a worker thread."""

    def __init__(self, draw: Callable[[int, int], DayDraw], joined: Callable[[int], int], horizon: int,
                 ahead: bool):
        self._draw, self._joined, self._horizon = draw, joined, horizon
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="simroute-day") if ahead else None
        self._next: tuple[int, Future[DayDraw]] | None = None

    def day(self, day: int) -> DayDraw:
        """Day `day`'s draw (the one made ahead when it is that day's, else drawn now), and start the next."""
        pending, self._next = self._next, None
        draw = (pending[1].result() if pending is not None and pending[0] == day
                else self._draw(day, self._joined(day)))
        if self._pool is not None and day + 1 < self._horizon:
            self._next = (day + 1, self._pool.submit(self._draw, day + 1, self._joined(day + 1)))
        return draw

    def close(self) -> None:
        """Stop drawing ahead (a draw under way finishes on its thread and is dropped)."""
        if self._next is not None:
            self._next[1].cancel()
            self._next = None
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
