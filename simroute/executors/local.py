"""Local worker processes (spawned, not forked: the engine's thread pools do not survive a fork)."""
from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed

from ..tasks import Job, Task, TaskResult, run_task
from ..world.prefetch import usable_cores
from .interface import Executor, ExecutorKind, Work


def default_workers() -> int:
    """One worker per core this process may use."""
    return usable_cores()


class LocalExecutor(Executor):
    kind = ExecutorKind.local

    def __init__(self, workers: int | None = None):
        self.workers = workers or default_workers()

    def slots(self) -> int:
        return self.workers

    def map(self, job: Job, tasks: Iterable[Task], fn: Work = run_task) -> Iterator[TaskResult]:
        tasks = list(tasks)
        if self.workers == 1 or len(tasks) <= 1:
            for task in tasks:
                yield fn(job, task)
            return
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(self.workers, len(tasks)), mp_context=ctx) as pool:
            futures = {pool.submit(fn, job, t): t for t in tasks}
            try:
                for future in as_completed(futures):
                    try:
                        yield future.result()
                    except Exception as e:  # noqa: BLE001  (a worker died: report the task, keep going)
                        yield TaskResult(futures[future], error=f"{type(e).__name__}: worker failed ({e})")
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
