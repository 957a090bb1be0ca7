"""One run spread over an executor: the run's policy groups (engine_tasks) packed into as many tasks as the
executor runs at once, each simulated wherever the executor puts it, merged back into the serial output."""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any, cast

from .engine import Progress, SimulationOutput, simulate
from .engine_tasks import Part, merge, pack, simulate_part
from .errors import SimrouteError
from .executors import Executor, run_all
from .scenario.schema import Scenario

POLICY_TASKS = "policy tasks"  # progress phase of a split run, counted in finished tasks


@dataclass(frozen=True)
class PartTask:
    """Simulate the policies `policies` of the job's scenario under `replicate`."""

    index: int
    policies: tuple[str, ...]
    replicate: int | None


@dataclass(frozen=True)
class PartResult:
    task: PartTask
    part: Part | None = None
    error: str | None = None
    detail: str = field(default="", repr=False)


def run_part(scenario: Scenario, task: PartTask) -> PartResult:
    """One task of a split run, in whatever process the executor chose (an error becomes a result)."""
    try:
        return PartResult(task, simulate_part(scenario, task.policies, task.replicate))
    except Exception as e:  # noqa: BLE001  (re-raised by the caller as one error line)
        return PartResult(task, error=f"{type(e).__name__}: {' '.join(str(e).split())}",
                          detail=traceback.format_exc())


def simulate_on(executor: Executor, scenario: Scenario, progress: Progress | None = None,
                replicate: int | None = None) -> SimulationOutput:
    """simulate(), its policies run as tasks on `executor`: the same output, byte for byte."""
    parts = pack(scenario, executor.slots())
    if len(parts) == 1:
        return simulate(scenario, progress, replicate)
    tasks = [PartTask(i, names, replicate) for i, names in enumerate(parts)]
    done = [0]

    def tick(result: Any) -> None:
        done[0] += 1
        if progress is not None:
            progress(POLICY_TASKS, done[0], len(tasks))
    if progress is not None:
        progress(POLICY_TASKS, 0, len(tasks))
    work = cast(list[Any], tasks)  # run_all is typed for sweep tasks; any (job, task) function runs the same way
    results = cast(list[PartResult], run_all(executor, cast(Any, scenario), work, tick, run_part))
    failed = [r for r in results if r.error is not None]
    if failed:
        raise SimrouteError(f"policy task {failed[0].task.index} ({', '.join(failed[0].task.policies)}): "
                            f"{failed[0].error}")
    return merge(scenario, [r.part for r in results if r.part is not None])
