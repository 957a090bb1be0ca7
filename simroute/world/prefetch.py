"""Tomorrow's draw made on a second thread while the engine serves today's.

Every day's draw comes from fresh generators keyed by stream name and day, so the order (or thread) the days
are drawn in changes no number; numpy's random fills and array arithmetic release the GIL, so the draw of
day d + 1 (with the values that depend on it alone: day_values) overlaps the serving of day d on a second core.
At most one day is drawn ahead: the cost is one more day's draw in memory (case 1: ~45 MB; a 1M-query day:
~170 MB, and ~45 MB more of day values with two models and a watched classifier router); `SIMROUTE_PREFETCH=0`
switches it off. When the engine waits for the draws (a pass serving few policies, such as a calibration pass),
each next draw hands its surface features to a helper thread while it draws the answers.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor

from .day_source import DayDraw

PREFETCH_ENV = "SIMROUTE_PREFETCH"  # "0": draw every day on the engine's own thread

DrawDay = Callable[[int, int, Executor | None], DayDraw]  # (day, users joined by then, helper) -> the day's draw


def usable_cores() -> int:
    """The cores this process may run on (its affinity where the platform tells it)."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        return max(1, os.process_cpu_count() or 1)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # no affinity call on this platform
        return max(1, os.cpu_count() or 1)


def wanted() -> bool:
    """Draw ahead only where a second core is likely free: not when switched off, not in a pool's worker process
    (local or a Dask nanny's: the pool already gives each core a task) nor off the main thread (a threaded Dask
    worker, a caller's own thread pool), not on one core."""
    if os.environ.get(PREFETCH_ENV, "1") == "0" or multiprocessing.parent_process() is not None:
        return False
    return threading.current_thread() is threading.main_thread() and usable_cores() > 1


class DayPrefetch:
    """Each day's draw in day order, the next one already under way on a worker thread (`ahead`), which hands part
    of it to a helper thread (`DaySource.day_with`) while the draws are what the engine waits for."""

    def __init__(self, draw: DrawDay, joined: Callable[[int], int], horizon: int, ahead: bool):
        self._draw, self._joined, self._horizon = draw, joined, horizon
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="simroute-day") if ahead else None
        self._helper = ThreadPoolExecutor(1, thread_name_prefix="simroute-draw") if ahead else None
        self._next_day = -1
        self._next_draw: Future[DayDraw] | None = None
        self._draw_bound = False  # whether the engine last waited for a draw made ahead

    def day(self, day: int) -> DayDraw:
        """Day `day`'s draw (the one made ahead when it is that day's, else drawn now), and start the next: with
        the helper when the engine had to wait for this one (the draw, not the serving, is the slower)."""
        pending, self._next_draw = self._next_draw, None
        if pending is not None and self._next_day == day:
            self._draw_bound = not pending.done()
            draw = pending.result()
        else:
            draw = self._draw(day, self._joined(day), None)
        if self._pool is not None and day + 1 < self._horizon:
            helper = self._helper if self._draw_bound else None
            self._next_day, self._next_draw = day + 1, self._pool.submit(self._draw, day + 1, self._joined(day + 1),
                                                                         helper)
        return draw

    def close(self, finished: bool = True) -> None:
        """Stop the worker threads: after the last day nothing is in flight, so wait for them to end; on the way out
        of a failed or stopped run, do not wait for a draw under way (it ends on its own and is dropped)."""
        for pool in (self._pool, self._helper):
            if pool is not None:
                pool.shutdown(wait=finished, cancel_futures=True)
        self._pool, self._helper, self._next_draw = None, None, None
