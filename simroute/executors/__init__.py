"""Where tasks run: one interface, one module per executor, a registry keyed by `ExecutorKind`."""
from __future__ import annotations

from collections.abc import Callable

from ..tasks import Job, Task, TaskResult, run_task
from .interface import Executor, ExecutorKind, Progress, Work
from .local import LocalExecutor, default_workers


def _dask(scheduler: str | None) -> Executor:
    from .dask import DaskExecutor  # lazy: distributed is an optional extra (simroute[dask])
    return DaskExecutor(scheduler)


REGISTRY: dict[ExecutorKind, Callable[[int | None, str | None], Executor]] = {
    ExecutorKind.local: lambda workers, scheduler: LocalExecutor(workers),
    ExecutorKind.dask: lambda workers, scheduler: _dask(scheduler),
}


def make_executor(kind: ExecutorKind | str = ExecutorKind.local, *, workers: int | None = None,
                  scheduler: str | None = None) -> Executor:
    """An executor of `kind` (local: `workers` processes; dask: the cluster at `scheduler`)."""
    return REGISTRY[ExecutorKind(kind)](workers, scheduler)


def run_all(executor: Executor | None, job: Job, tasks: list[Task],
            progress: Progress | None = None, fn: Work = run_task) -> list[TaskResult]:
    """Every task's result in task order, reporting each completion to `progress`; with no executor, local
    worker processes are started for this call and stopped after it."""
    if executor is None:
        own = LocalExecutor()
        try:
            return run_all(own, job, tasks, progress, fn)
        finally:
            own.close()
    done: dict[int, TaskResult] = {}
    for result in executor.map(job, tasks, fn):
        done[result.task.index] = result
        if progress is not None:
            progress(result)
    return [done[t.index] for t in tasks]


__all__ = ["REGISTRY", "Executor", "ExecutorKind", "LocalExecutor", "default_workers", "make_executor", "run_all"]
