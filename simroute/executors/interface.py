"""Where tasks run: one interface, one module per executor, a registry keyed by `ExecutorKind`.

An executor maps `run_task(job, task)` over tasks and yields results as they complete; the caller
orders them by task index, so the table does not depend on the executor or its worker count.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum
from typing import Callable, Iterable, Iterator

from ..tasks import Job, Task, TaskResult

Progress = Callable[[TaskResult], None]


class ExecutorKind(str, Enum):
    local = "local"  # worker processes on this machine (one per core by default; 1 = in this process)
    dask = "dask"    # a Dask distributed cluster at --scheduler ADDRESS (optional extra: simroute[dask])


class Executor(ABC):
    """Runs tasks somewhere and yields each TaskResult once, in completion order."""

    kind: ExecutorKind

    @abstractmethod
    def map(self, job: Job, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        """Yield the result of every task; a task that fails yields a result with `error` set."""

    def close(self) -> None:
        """Release workers or connections."""


def run_all(executor: Executor | None, job: Job, tasks: list[Task],
            progress: Progress | None = None) -> list[TaskResult]:
    """Every task's result in task order, reporting each completion to `progress`; with no executor, local
    worker processes are started for this call and stopped after it."""
    if executor is None:
        from .local import LocalExecutor
        own = LocalExecutor()
        try:
            return run_all(own, job, tasks, progress)
        finally:
            own.close()
    done: dict[int, TaskResult] = {}
    for result in executor.map(job, tasks):
        done[result.task.index] = result
        if progress is not None:
            progress(result)
    return [done[t.index] for t in tasks]
