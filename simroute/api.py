"""The library entry point: `simroute.run(scenario)` returns typed results; the CLI only renders them."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from . import results
from .engine import Progress
from .executors.interface import Executor
from .export import REGISTRY as EXPORTERS
from .export import LedgerFormat
from .replicates import ReplicateSet, run_replicates
from .report import render_report
from .runner import run_resolved
from .scenario.loader import load_scenario, scenario_from_dict
from .scenario.provenance import extract_provenance
from .scenario.schema import Scenario
from .summary import RunResult

__all__ = ["provenance_of", "resolve", "run", "run_resolved", "with_replicates", "write_results"]


def resolve(scenario: Scenario | str | Path, *, seed: int | None = None,
            overrides: dict | None = None) -> Scenario:
    """A validated Scenario from a Scenario or a YAML path, with dotted-path overrides and seed applied."""
    changes = dict(overrides or {})
    if seed is not None:
        changes["seed"] = seed
    if isinstance(scenario, Scenario):
        if not changes:
            return scenario
        return scenario_from_dict(scenario.model_dump(mode="json"), source=scenario.name, overrides=changes)
    return load_scenario(scenario, overrides=changes)


def provenance_of(scenario: Scenario | str | Path, *, seed: int | None = None,
                  overrides: dict | None = None) -> dict[str, str]:
    """YAML path -> where its value comes from: the trailing comment in the scenario file, or the override."""
    found: dict[str, str] = {}
    if not isinstance(scenario, Scenario):
        try:
            found = extract_provenance(Path(scenario).read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, ValueError):
            found = {}
    for path in overrides or {}:
        found[path] = "override: set for this run (--set)"
    if seed is not None:
        found["seed"] = "override: set for this run (--seed)"
    return found


def run(scenario: Scenario | str | Path, *, seed: int | None = None, progress: Progress | None = None,
        overrides: dict | None = None, replicates: int | None = None,
        executor: Executor | None = None) -> RunResult:
    """Simulate every policy of `scenario` (a Scenario or a YAML path) and summarise the economics.

    `progress(done_days, total_days)` is called after each simulated day of the main run. With
    `replicates` N, the scenario is also run under N child seeds (on `executor`, default local worker
    processes) and the result carries the mean and 95% interval of every headline figure.
    """
    sc = resolve(scenario, seed=seed, overrides=overrides)
    reps = run_replicates(sc, replicates, executor) if replicates else None
    result = run_resolved(sc, provenance_of(scenario, seed=seed, overrides=overrides), progress)
    return with_replicates(result, reps)


def with_replicates(result: RunResult, reps: ReplicateSet | None) -> RunResult:
    """`result` carrying a ReplicateSet (or unchanged for None)."""
    return result if reps is None else replace(result, replicates=reps)


def write_results(result: RunResult, out: str | Path, report: bool = True) -> Path:
    """Write the results folder atomically; with `report`, also the comparison report (report.html, report.md,
    plots/) and the CFO ledger (ledger.xlsx), rendered from the files just written, the same path
    `simroute report` and `simroute ledger` take on an existing folder."""
    return results.write_results(result, out, finish=_write_reports if report else None)


def _write_reports(folder: Path) -> None:
    bundle = results.load_bundle(folder)
    render_report(bundle, folder)
    exporter = EXPORTERS[LedgerFormat.xlsx]
    exporter.write(bundle, folder / exporter.default_name())
