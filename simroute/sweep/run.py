"""Run a sweep: every (point, replicate) task on an executor, gathered into one long table."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ..detection import OPERATING
from ..errors import SimrouteError
from ..executors import run_all
from ..scenario.schema import Scenario
from ..tasks import SharedResult, SharedSimulation, TaskResult, point_tasks, run_shared, shared_simulations
from . import plan
from .spec import SweepSpec


@dataclass(frozen=True)
class SweepResult:
    """`table`: one row per point x replicate x (policy, monitor or curve) x figure, with a column per
    swept path; `curves`: the threshold curves of every task; `failures`: tasks that did not finish."""

    scenario: Scenario
    spec: SweepSpec
    points: list[dict[str, Any]]
    table: pl.DataFrame
    curves: pl.DataFrame
    failures: list[TaskResult] = field(default_factory=list)


def _param_columns(spec: SweepSpec, pts: list[dict[str, Any]]) -> pl.DataFrame:
    """point -> swept values (null where a point leaves a parameter as the scenario has it)."""
    cols: dict[str, list] = {"point": list(range(len(pts)))}
    for p in spec.parameters:
        cols[p.path] = [pt.get(p.path) for pt in pts]
    return pl.DataFrame(cols, strict=False)


def _stamp(r: TaskResult, frame: pl.DataFrame, n_reps: int) -> pl.DataFrame:
    point = r.task.index // n_reps
    return frame.with_columns(point=pl.lit(point, pl.Int64), replicate=pl.lit(r.task.replicate, pl.Int32))


def _members(r: SharedResult | TaskResult) -> tuple[TaskResult, ...]:
    """A shared simulation's task results (a lost worker's one failure repeated for each of its tasks)."""
    if isinstance(r, SharedResult):
        return r.results
    shared = r.task
    assert isinstance(shared, SharedSimulation), "run_shared yields SharedResults; executors wrap only failures"
    return tuple(TaskResult(t, error=r.error, detail=r.detail) for t in shared.tasks)


def run_sweep(scenario: Scenario, spec: SweepSpec, executor=None, progress: Callable[[TaskResult], None] | None = None,
              source: str = "sweep") -> SweepResult:
    """Validate every point, run points x replicates, and return the table (failed tasks listed, not fatal
    unless every task failed)."""
    pts = plan.points(spec)
    job = plan.job(scenario, spec, source)
    scenarios = plan.validate_points(job, pts, source)
    tasks = point_tasks(pts, spec.replicates)
    reps = len(tasks) // len(pts)
    shared = shared_simulations(tasks, [scenarios[t.index // reps] for t in tasks])

    def each(r: SharedResult | TaskResult) -> None:
        for member in _members(r):
            if progress is not None:
                progress(member)
    done = {m.task.index: m for r in run_all(executor, job, shared, each, fn=run_shared)  # type: ignore[arg-type]
            for m in _members(r)}
    results = [done[t.index] for t in tasks]
    ok = [r for r in results if r.error is None]
    if not ok:
        raise SimrouteError(f"sweep: all {len(results)} tasks failed; first: {results[0].error}")
    n_reps = spec.replicates
    params = _param_columns(spec, pts)
    stamped = [_stamp(r, r.rows.filter(pl.col("kind") != OPERATING), n_reps) for r in ok if r.rows is not None]
    table = pl.concat(stamped).join(params, on="point", how="left")
    order = ["point", "replicate", *[p.path for p in spec.parameters], "subject", "kind", "metric", "value"]
    curves = [_stamp(r, r.curves, n_reps) for r in ok if r.curves is not None and r.curves.height]
    curve_table = pl.concat(curves) if curves else pl.DataFrame()
    return SweepResult(scenario, spec, pts, table.select(order).sort(["point", "replicate"], nulls_last=True,
                                                                      maintain_order=True),
                       curve_table, [r for r in results if r.error is not None])
