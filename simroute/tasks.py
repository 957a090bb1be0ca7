"""Units of work for replicates and sweeps: one simulation of a scenario with parameter overrides under one
replicate seed. A task is pure — its result depends only on (scenario, params, replicate) — so any executor,
worker count or completion order gives the same table."""
from __future__ import annotations

import json
import traceback
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from .curves import curve_metrics_table
from .detection import operating_rows
from .engine import simulate
from .needs import HEADLINE
from .runner import run_resolved, summarize_run
from .scenario.loader import apply_overrides, scenario_from_dict
from .scenario.schema import Scenario
from .summary import RunResult
from .uncertainty import headline

SUMMARY_ONLY_FIELDS: tuple[str, ...] = (
    "economics.support.usd_per_contact",
    "economics.compliance.usd_per_caught_event",
    "economics.compliance.violation_probability_if_missed",
    "economics.compliance.usd_per_violation",
    "economics.compliance.audit_usd_per_month",
    "users.revenue_horizon_months",
    "users.segments[*].arpu_usd_per_month",
)
"""Scenario fields that only price what was simulated: read by the ledger (ledger._policy_lines) and the report,
never by the engine, world, policies, reactions or monitors. Scenarios that differ only here share one simulation
(tests/test_summary_only.py checks each leaves the simulated days unchanged). Not here: the compliance
audit_catch_rate and hedged_counts (read by the reactions), churn and frustration parameters (read by the users)."""


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


@dataclass(frozen=True)
class SharedSimulation:
    """Tasks whose scenarios differ only in SUMMARY_ONLY_FIELDS (same replicate): simulated once, summarised
    once per task with its own scenario. `index`: the first task's (what executors order results by)."""

    index: int
    tasks: tuple[Task, ...]


@dataclass(frozen=True)
class SharedResult:
    """The TaskResult of every task of a SharedSimulation, in its order."""

    task: SharedSimulation
    results: tuple[TaskResult, ...]


def _blank(node: Any, parts: list[str]) -> None:
    """Remove the field at dotted `parts` ('x[*]' walks every item of list x) from a scenario document."""
    head, rest = parts[0], parts[1:]
    many = head.endswith("[*]")
    key = head.removesuffix("[*]")
    if not isinstance(node, dict) or key not in node:
        return
    if not rest:
        node.pop(key)
        return
    for child in (node[key] if many else [node[key]]):
        _blank(child, rest)


def simulation_key(scenario: Scenario, replicate: int | None) -> str:
    """What the simulation of `scenario` under `replicate` depends on: its document without SUMMARY_ONLY_FIELDS."""
    doc = scenario.model_dump(mode="json")
    for path in SUMMARY_ONLY_FIELDS:
        _blank(doc, path.split("."))
    return json.dumps([doc, replicate], sort_keys=True)


def shared_simulations(tasks: list[Task], scenarios: list[Scenario]) -> list[SharedSimulation]:
    """Group tasks (with their validated scenarios) by simulation_key, in order of each group's first task."""
    groups: dict[str, list[Task]] = {}
    for t, sc in zip(tasks, scenarios, strict=True):
        groups.setdefault(simulation_key(sc, t.replicate), []).append(t)
    return [SharedSimulation(ts[0].index, tuple(ts)) for ts in groups.values()]


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
        return _task_result(task, result)
    except Exception as e:  # noqa: BLE001  (reported with the task's parameters by the caller)
        return _failed(task, e)


def _task_result(task: Task, result: RunResult) -> TaskResult:
    rows = pl.concat([headline(result), curve_metrics_table(result.curves), operating_rows(result.output)],
                     how="vertical")
    return TaskResult(task, rows, result.curves)


def _failed(task: Task, e: Exception) -> TaskResult:
    message = " ".join(str(e).split()) or type(e).__name__
    return TaskResult(task, error=f"{type(e).__name__}: {message}", detail=traceback.format_exc())


def run_shared(job: Job, shared: SharedSimulation) -> SharedResult:
    """Simulate a SharedSimulation once and summarise it for each of its tasks (what run_task would give each)."""
    built: dict[int, Scenario] = {}
    out: dict[int, TaskResult] = {}
    for t in shared.tasks:
        try:
            built[t.index] = job.build(t.params, f"task {t.index}")
        except Exception as e:  # noqa: BLE001  (that task fails, the others still run)
            out[t.index] = _failed(t, e)
    if built:
        first = next(t for t in shared.tasks if t.index in built)
        try:
            output = simulate(built[first.index], None, first.replicate, needs=HEADLINE)
        except Exception as e:  # noqa: BLE001  (every task of the simulation fails with it)
            out.update({i: _failed(t, e) for t in shared.tasks if (i := t.index) in built})
            built = {}
        for t in shared.tasks:
            if t.index not in built:
                continue
            try:
                mine = replace(output, scenario=built[t.index])
                out[t.index] = _task_result(t, summarize_run(mine, HEADLINE))
            except Exception as e:  # noqa: BLE001
                out[t.index] = _failed(t, e)
    return SharedResult(shared, tuple(out[t.index] for t in shared.tasks))
