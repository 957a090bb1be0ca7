"""Units of work for replicates and sweeps: one simulation of a scenario with parameter overrides under one
replicate seed. A task is pure — its result depends only on (scenario, params, replicate) — so any executor,
worker count or completion order gives the same table."""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from .curves import curve_metrics_table
from .detection import operating_rows
from .needs import HEADLINE
from .runner import run_resolved
from .scenario.loader import apply_overrides, scenario_from_dict
from .scenario.schema import Scenario
from .uncertainty import headline


@dataclass(frozen=True)
class Task:
    """Simulate `scenario` (a resolved scenario document) with `params` (YAML path -> value) under
    replicate `replicate` (None: the scenario's own seed)."""

    index: int
    params: dict[str, Any]
    replicate: int | None


@dataclass(frozen=True)
class Job:
    """What every task of a batch shares: the resolved scenario document, and optionally only some of its
    policies (the baseline always stays) and no monitors. Task parameters apply before the selection, so
    YAML paths index the scenario as written."""

    scenario: dict
    policies: tuple[str, ...] | None = None
    monitors: bool = True

    def build(self, params: dict[str, Any], source: str = "task") -> Scenario:
        """The validated scenario of one parameter point."""
        full = scenario_from_dict(self.scenario, source=source, overrides=params)
        if self.policies is None and self.monitors:
            return full
        data = apply_overrides(self.scenario, params, source)
        keep = set(self.policies or [p["name"] for p in data["policies"]]) | {full.baseline.name}
        data["policies"] = [p for p in data["policies"] if p["name"] in keep]
        data["monitors"] = [m for m in data.get("monitors") or [] if self.monitors and m["policy"] in keep]
        watched = {m["name"] for m in data["monitors"]}
        for p in data["policies"]:
            if p.get("rollback_on") and p["rollback_on"]["monitor"] not in watched:
                p["rollback_on"] = None
        return scenario_from_dict(data, source=source)


@dataclass(frozen=True)
class TaskResult:
    """What a task produced: headline rows (and curve metrics), or the error that stopped it."""

    task: Task
    rows: pl.DataFrame | None = None
    curves: pl.DataFrame | None = None
    error: str | None = None
    detail: str = field(default="", repr=False)


def point_tasks(points: list[dict[str, Any]], replicates: int) -> list[Task]:
    """points x replicates, numbered in that order. One replicate runs the scenario's own seed; more run its
    child seeds 0..N-1, the same seeds at every point (common random numbers across points)."""
    reps = [None] if replicates == 1 else list(range(replicates))
    return [Task(i * len(reps) + j, params, r) for i, params in enumerate(points) for j, r in enumerate(reps)]


def run_task(job: Job, task: Task) -> TaskResult:
    """Run one task in whatever process the executor chose; errors become a result, never an exception, so
    one bad parameter combination does not stop the others."""
    try:
        result = run_resolved(job.build(task.params, f"task {task.index}"), replicate=task.replicate,
                              needs=HEADLINE)  # only what the task returns
        rows = pl.concat([headline(result), curve_metrics_table(result.curves), operating_rows(result.output)],
                         how="vertical")
        return TaskResult(task, rows, result.curves)
    except Exception as e:  # noqa: BLE001  (reported with the task's parameters by the caller)
        message = " ".join(str(e).split()) or type(e).__name__
        return TaskResult(task, error=f"{type(e).__name__}: {message}", detail=traceback.format_exc())
