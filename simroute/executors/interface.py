"""The executor interface: an executor maps `run_task(job, task)` over tasks and yields results as they
complete; the caller orders them by task index, so the table does not depend on the executor or its worker
count."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from enum import Enum

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
        return None  # an optional hook: an executor without workers has nothing to release
