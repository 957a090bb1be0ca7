"""A Dask distributed cluster (optional extra `simroute[dask]`): the same tasks, submitted to a scheduler."""
from __future__ import annotations

from typing import Iterable, Iterator

from ..errors import SimrouteError
from ..tasks import Job, Task, TaskResult, run_task
from .interface import Executor, ExecutorKind


class DaskExecutor(Executor):
    kind = ExecutorKind.dask

    def __init__(self, scheduler: str | None, timeout_s: float = 30.0):
        if not scheduler:
            raise SimrouteError("--scheduler: the dask executor needs the scheduler ADDRESS "
                                "(e.g. tcp://127.0.0.1:8786)")
        try:
            from distributed import Client
        except ImportError:
            raise SimrouteError("--executor dask: dask.distributed is not installed; "
                                "pip install 'simroute[dask]'") from None
        try:
            self.client = Client(scheduler, timeout=f"{timeout_s}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            raise SimrouteError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({e})") from None

    def map(self, job: Job, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        import queue
        tasks = list(tasks)
        if not tasks:
            return
        doc = self.client.scatter(job, broadcast=True)
        futures = {self.client.submit(run_task, doc, t, pure=False, key=f"simroute-task-{t.index}-{id(self)}"): t
                   for t in tasks}
        done: queue.Queue = queue.Queue()
        for future in futures:
            future.add_done_callback(done.put)
        for _ in range(len(futures)):
            future = done.get()
            try:
                yield future.result()
            except Exception as e:  # noqa: BLE001  (the worker was lost: report the task, keep going)
                yield TaskResult(futures[future], error=f"{type(e).__name__}: dask worker failed ({e})")

    def close(self) -> None:
        self.client.close()
