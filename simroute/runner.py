"""The core run step: simulate and summarise one validated scenario. The API, replicate and sweep tasks, and the
regression gate all run scenarios through here, so none of them imports a layer above it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from .engine import Progress, SimulationOutput, simulate
from .needs import EVERYTHING, Needs
from .scenario.schema import Scenario
from .summary import RunResult, summarize

SUMMARY = "summary"  # the simulated days read into figures, ledgers and tables
Simulator = Callable[[Scenario, Progress | None, int | None], SimulationOutput]  # simulate() or a split run


def run_resolved(scenario: Scenario, provenance: dict[str, str] | None = None,
                 progress: Progress | None = None, replicate: int | None = None,
                 simulator: Simulator | None = None, needs: Needs = EVERYTHING) -> RunResult:
    """Simulate and summarise an already validated scenario, carrying its provenance into the results;
    `replicate` k draws from the k-th child of the scenario's seed instead of the seed itself. What the day
    source did (a replay's router and confidence) joins the provenance under its YAML path. `simulator`:
    where the simulation runs (cluster.simulate_on spreads its policies over an executor; default `simulate`
    computing what `needs` asks for); `needs`: what the run must produce (replicate and sweep tasks: HEADLINE)."""
    if simulator is None:
        output = simulate(scenario, progress, replicate, needs=needs)
    else:
        output = simulator(scenario, progress, replicate)
    if progress is not None:
        progress(SUMMARY, 0, 1)
    result = summarize_run(output, needs, provenance)
    if progress is not None:
        progress(SUMMARY, 1, 1)
    return result


def summarize_run(output: SimulationOutput, needs: Needs = EVERYTHING,
                  provenance: dict[str, str] | None = None) -> RunResult:
    """The run's figures from its simulated days, with the provenance and what the day source did."""
    return replace(summarize(output, needs), provenance={**(provenance or {}), **output.notes})
