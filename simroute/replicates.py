"""Replicates: the scenario under N independent child seeds of its root seed, run on an executor, and the
mean with a 95% interval of every headline figure."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from .errors import SimrouteError
from .executors import run_all
from .scenario.schema import Scenario
from .tasks import Job, TaskResult, point_tasks
from .uncertainty import LEVEL, Interval, intervals

MAX_REPLICATES = 10_000


@dataclass(frozen=True)
class ReplicateSet:
    """Per-replicate headline figures (long table) and their intervals (subject -> metric -> Interval)."""

    seed: int
    n: int
    level: float
    table: pl.DataFrame
    intervals: dict[str, dict[str, Interval]]
    failures: list[TaskResult] = field(default_factory=list)

    def document(self) -> dict:
        """The `replicates` block of summary.json."""
        return {"n": self.n, "root_seed": self.seed, "level": self.level,
                "seeds": f"numpy.random.SeedSequence({self.seed}).spawn({self.n})",
                "method": "mean over replicates; interval = mean ± t(0.975, n-1)·sd/√n over the replicates where "
                          "the figure is defined",
                "figures": {s: {m: iv.as_dict() for m, iv in ms.items()} for s, ms in self.intervals.items()},
                "failed": [{"replicate": f.task.replicate, "error": f.error} for f in self.failures]}


def check_count(n: int) -> None:
    """Two replicates at least (an interval needs a spread), and a sane upper bound."""
    if not 2 <= n <= MAX_REPLICATES:
        raise SimrouteError(f"--replicates: expected an integer from 2 to {MAX_REPLICATES}, got {n}")


def run_replicates(scenario: Scenario, n: int, executor=None, progress: Callable[[TaskResult], None] | None = None,
                   level: float = LEVEL) -> ReplicateSet:
    """Simulate `scenario` under replicates 0..n-1 (on `executor`, default local processes)."""
    check_count(n)
    results = run_all(executor, Job(scenario.model_dump(mode="json")), point_tasks([{}], n), progress)
    ok = [r for r in results if r.error is None]
    failures = [r for r in results if r.error is not None]
    if len(ok) < 2:
        raise SimrouteError(f"replicates: {len(failures)} of {n} failed; first: {failures[0].error}")
    table = pl.concat([r.rows.with_columns(replicate=pl.lit(r.task.replicate, pl.Int32)) for r in ok
                       if r.rows is not None])
    table = table.select("replicate", "subject", "kind", "metric", "value")
    return ReplicateSet(scenario.seed, n, level, table, intervals(table, level), failures)
