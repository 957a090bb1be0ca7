"""The library entry point: `simroute.run(scenario)` returns typed results; the CLI only renders them."""
from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path

from . import results
from .cluster import simulate_on
from .engine import CALIBRATION_PASS, MAIN_RUN, Progress, simulate
from .errors import SimrouteError
from .executors.interface import Executor
from .export import REGISTRY as EXPORTERS
from .export import LedgerFormat
from .fit.pipeline import FitResult, fit_world
from .fit.report import write_fit_report
from .fit.scenario_writer import base_provenance_of, save_scenario
from .importers import EvalMapping, ImportFormat, LogMapping, load_mapping, read_eval, read_logs
from .replicates import ReplicateSet, run_replicates
from .report import render_report
from .runner import SUMMARY, run_resolved
from .scenario.loader import canonical_override_paths, load_scenario, scenario_from_dict
from .scenario.provenance import scenario_provenance
from .scenario.schema import Scenario
from .scenario.yamlread import load
from .summary import RunResult

WRITING_RESULTS = "writing results"  # the data files of the results folder
REPORT = "report"  # report.html, report.md and plots/, then ledger.xlsx
PHASES = (CALIBRATION_PASS, MAIN_RUN, SUMMARY, WRITING_RESULTS, REPORT)  # in the order a run goes through them

__all__ = ["PHASES", "FitResult", "fit", "provenance_of", "resolve", "run", "run_resolved", "simulator",
           "with_replicates",
           "write_fit", "write_results"]


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
    """YAML path -> where its value comes from: the trailing comment in the scenario file, or the override.
    Paths are in one form whichever way an override was typed: list items by index, as the file's own are
    (`policies[pre_route].threshold` is recorded as `policies[1].threshold`; the report names the item)."""
    found: dict[str, str] = {}
    data: dict = {}
    if isinstance(scenario, Scenario):
        data = scenario.model_dump(mode="json")
    else:
        try:
            text = Path(scenario).read_text(encoding="utf-8-sig")
            found = scenario_provenance(text)
            loaded = load(text, str(scenario), SimrouteError)
            data = loaded if isinstance(loaded, dict) else {}
        except (OSError, UnicodeDecodeError, ValueError, SimrouteError):
            pass
    for path in canonical_override_paths(data, overrides or {}):
        found[path] = "override: set for this run (--set)"
    if seed is not None:
        found["seed"] = "override: set for this run (--seed)"
    return found


def run(scenario: Scenario | str | Path, *, seed: int | None = None, progress: Progress | None = None,
        overrides: dict | None = None, replicates: int | None = None,
        executor: Executor | None = None, split_on: Executor | None = None) -> RunResult:
    """Simulate every policy of `scenario` (a Scenario or a YAML path) and summarise the economics.

    `progress(phase, done, total)` is called after each simulated day of the calibration pass (when monitors
    need thresholds) and of the main run, and around the summary. With
    `replicates` N, the scenario is also run under N child seeds (on `executor`, default local worker
    processes) and the result carries the mean and 95% interval of every headline figure. With `split_on`, the
    run's policies are simulated as independent tasks on that executor (the same output, byte for byte).
    """
    sc = resolve(scenario, seed=seed, overrides=overrides)
    reps = run_replicates(sc, replicates, executor) if replicates else None
    result = run_resolved(sc, provenance_of(scenario, seed=seed, overrides=overrides), progress,
                          simulator=simulator(split_on))
    return with_replicates(result, reps)


def simulator(split_on: Executor | None):
    """The serial simulation, or one spread over `split_on` as policy tasks."""
    return simulate if split_on is None else partial(simulate_on, split_on)


def with_replicates(result: RunResult, reps: ReplicateSet | None) -> RunResult:
    """`result` carrying a ReplicateSet (or unchanged for None)."""
    return result if reps is None else replace(result, replicates=reps)


def write_results(result: RunResult, out: str | Path, report: bool = True, progress: Progress | None = None) -> Path:
    """Write the results folder atomically; with `report`, also the comparison report (report.html, report.md,
    plots/) and the CFO ledger (ledger.xlsx), rendered from the files just written, the same path
    `simroute report` and `simroute ledger` take on an existing folder. `progress` hears the phases
    "writing results" (1 step) and "report" (2 steps: the report, then the ledger)."""
    tell = progress or (lambda phase, done, total: None)
    tell(WRITING_RESULTS, 0, 1)

    def finish(folder: Path) -> None:
        tell(WRITING_RESULTS, 1, 1)
        if report:
            _write_reports(folder, tell)
    return results.write_results(result, out, finish=finish)


def _write_reports(folder: Path, tell: Progress) -> None:
    tell(REPORT, 0, 2)
    bundle = results.load_bundle(folder)
    render_report(bundle, folder)
    tell(REPORT, 1, 2)
    exporter = EXPORTERS[LedgerFormat.xlsx]
    exporter.write(bundle, folder / exporter.default_name())
    tell(REPORT, 2, 2)


def fit(*, eval_paths: list[Path] | None = None, log_paths: list[Path] | None = None,
        logs_format: ImportFormat | str | None = None, mapping: Path | None = None,
        eval_mapping: dict | None = None, base: Path | None = None, cheap: str | None = None,
        capable: str | None = None, policy: str | None = None, holdout_share: float = 0.2,
        seed: int = 0) -> FitResult:
    """Read a team's eval results and/or production logs (with an optional column-mapping file and mapping
    overrides), fit a world on the calibration split and check it on the held-out split."""
    eval_map, log_map = load_mapping(mapping) if mapping is not None else (EvalMapping(), LogMapping())
    if eval_mapping:
        try:
            eval_map = EvalMapping.model_validate({**eval_map.model_dump(exclude_unset=True), **eval_mapping})
        except ValueError as e:
            raise SimrouteError(f"eval mapping: {str(e).splitlines()[-1].strip()}") from None
    evalset = read_eval(eval_paths, eval_map) if eval_paths else None
    logs = read_logs(log_paths, ImportFormat(logs_format) if logs_format else None, log_map) if log_paths else None
    base_scenario = resolve(base) if base is not None else None
    return fit_world(evalset, logs, base_scenario, cheap=cheap, capable=capable, policy=policy,
                     holdout_share=holdout_share, seed=seed,
                     base_provenance=base_provenance_of(base) if base is not None else None)


def write_fit(result: FitResult, scenario_out: Path, report_out: Path) -> tuple[Path, Path]:
    """Write the fitted scenario file and its fit report folder (each atomically)."""
    return save_scenario(scenario_out, result.text), write_fit_report(result, report_out)
