"""The executor interface: an executor maps `run_task(job, task)` over tasks and yields results as they
complete; the caller orders them by task index, so the table does not depend on the executor or its worker
count."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from typing import Any

from ..tasks import Job, Task, TaskResult, run_task

Progress = Callable[[TaskResult], None]
Work = Callable[[Any, Any], Any]  # fn(job, task) -> a result with `.task` (default run_task: a TaskResult)


class ExecutorKind(str, Enum):
    local = "local"  # worker processes on this machine (one per core by default; 1 = in this process)
    dask = "dask"    # a Dask distributed cluster at --scheduler ADDRESS (optional extra: simroute[dask])


class Executor(ABC):
    """Runs tasks somewhere and yields each TaskResult once, in completion order."""

    kind: ExecutorKind

    @abstractmethod
    def map(self, job: Job, tasks: Iterable[Task], fn: Work = run_task) -> Iterator[TaskResult]:
        """Yield `fn(job, task)` for every task; a task that fails yields a result with `error` set (`fn`: a
        module-level function, so that worker processes can import it)."""

    def slots(self) -> int:
        """How many tasks it runs at once (what a run split into tasks is packed for)."""
        return 1

    def close(self) -> None:
        """Release workers or connections."""
        return None  # an optional hook: an executor without workers has nothing to release
