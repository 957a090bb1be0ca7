"""A Dask distributed cluster (optional extra `simroute[dask]`): the same tasks, submitted to a scheduler."""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import queue
import socket
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import SimrouteError
from ..tasks import Job, Task, TaskResult, run_task
from .interface import Executor, ExecutorKind, Work


def _reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail in seconds, with one line, on an address that is malformed or has nobody listening (the Dask
    client would otherwise retry until its timeout and then print a traceback from its destructor)."""
    from distributed.comm import parse_address, parse_host_port  # lazy: optional extra simroute[dask]
    try:
        scheme, location = parse_address(address, strict=True)
    except ValueError:
        raise SimrouteError(f"--scheduler {address}: expected a Dask scheduler address such as "
                            "tcp://10.0.0.5:8786") from None
    if scheme not in ("tcp", "tls", "ws", "wss", "ucx"):
        raise SimrouteError(f"--scheduler {address}: unknown scheme {scheme!r}; expected tcp://, tls://, ws://, "
                            "wss:// or ucx://")
    if scheme not in ("tcp", "tls"):
        return
    try:
        host, port = parse_host_port(location)
        socket.create_connection((host, port), timeout=timeout_s).close()
    except (OSError, ValueError, TypeError) as e:
        raise SimrouteError(f"--scheduler {address}: cannot reach the Dask scheduler "
                            f"({getattr(e, 'strerror', None) or e})") from None


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters (malloc.h)
MMAP_THRESHOLD = 32 << 20  # where glibc's adaptive threshold ends up in a plain process (its 64-bit maximum)


@functools.cache
def plain_allocator() -> bool:
    """Give this Dask worker glibc's allocator as a plain process has it: the nanny's MALLOC_TRIM_THRESHOLD_=65536
    freezes the mmap threshold at 128 KiB, so every array is mapped and faulted in afresh (case 1's policy task:
    42 CPU-s instead of 17, benchmarks/dask_allocator.py). Once per process; False without glibc's mallopt."""
    name = ctypes.util.find_library("c")  # runs ldconfig: hence the cache
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        return False
    return mallopt is not None and bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) \
        and bool(mallopt(M_TRIM_THRESHOLD, 2 * MMAP_THRESHOLD))


@dataclass(frozen=True)
class OnWorker:
    """`fn(job, task)` on a Dask worker, its allocator made plain first (picklable: a module-level class)."""

    fn: Work

    def __call__(self, job: Any, task: Any) -> Any:
        plain_allocator()  # cached: the first task of each worker process sets it
        return self.fn(job, task)


class DaskExecutor(Executor):
    kind = ExecutorKind.dask

    def __init__(self, scheduler: str | None, timeout_s: float = 30.0):
        if not scheduler:
            raise SimrouteError("--scheduler: the dask executor needs the scheduler ADDRESS "
                                "(e.g. tcp://127.0.0.1:8786)")
        try:
            from distributed import Client  # lazy: optional extra simroute[dask]
        except ImportError:
            raise SimrouteError("--executor dask: dask.distributed is not installed; "
                                "pip install 'simroute[dask]'") from None
        _reachable(scheduler)
        try:
            self.client = Client(scheduler, timeout=f"{timeout_s}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            raise SimrouteError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({e})") from None

    def slots(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def map(self, job: Job, tasks: Iterable[Task], fn: Work = run_task) -> Iterator[TaskResult]:
        tasks = list(tasks)
        if not tasks:
            return
        doc = self.client.scatter(job, broadcast=True)
        batch = uuid.uuid4().hex
        futures = {self.client.submit(OnWorker(fn), doc, t, pure=False, key=f"simroute-{batch}-{t.index}"): t
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
