"""Executors for replicates and sweeps, keyed by `ExecutorKind`."""
from __future__ import annotations

from .interface import Executor, ExecutorKind, run_all
from .local import LocalExecutor, default_workers


def make_executor(kind: ExecutorKind | str = ExecutorKind.local, *, workers: int | None = None,
                  scheduler: str | None = None) -> Executor:
    """An executor of `kind` (local: `workers` processes; dask: the cluster at `scheduler`)."""
    kind = ExecutorKind(kind)
    if kind is ExecutorKind.local:
        return LocalExecutor(workers)
    if kind is ExecutorKind.dask:
        from .dask import DaskExecutor
        return DaskExecutor(scheduler)
    raise AssertionError(f"unhandled executor {kind}")


__all__ = ["Executor", "ExecutorKind", "LocalExecutor", "default_workers", "make_executor", "run_all"]
