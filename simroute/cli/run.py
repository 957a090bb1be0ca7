"""`simroute run`, `simroute validate` and `simroute schema`: the scenario commands."""
from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import SimrouteError
from .common import (
    ExecutorOpt,
    ScenarioArg,
    Scheduler,
    Sets,
    Workers,
    console,
    fail,
    open_executor,
    parse_sets,
    phase_bars,
    task_bar,
)


def run(scenario: ScenarioArg,
        out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Results folder "
                                                    "(default: results/<scenario name>).")] = None,
        seed: Annotated[Optional[int], typer.Option(help="Override the scenario's seed.")] = None,
        sets: Sets = [],  # noqa: B006
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or tables.")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout.")] = False,
        report: Annotated[bool, typer.Option("--report/--no-report", help="Also write report.html, report.md, "
                                             "plots/ and ledger.xlsx.")] = True,
        replicates: Annotated[Optional[int], typer.Option("--replicates", "-n", help="Also run N replicates "
                              "(child seeds of the seed) and report the mean and 95% interval of every headline "
                              "figure.")] = None,
        workers: Workers = None, executor: ExecutorOpt = "local", scheduler: Scheduler = None,
        force: Annotated[bool, typer.Option("--force", help="Run even when the estimated peak memory exceeds "
                                            "the memory available.")] = False) -> None:
    """Run every policy of SCENARIO, print the summary and write the results folder (with its report)."""
    from .. import budget  # lazy: fast --help
    from ..api import provenance_of, resolve, run_resolved, simulator, with_replicates, write_results  # lazy: fast
    from ..results import check_target, claim_target, summary_document
    from ..scenario.loader import dump_resolved

    try:
        overrides = parse_sets(sets)
        sc = resolve(scenario, seed=seed, overrides=overrides)
        budget.check(sc, str(scenario), force=force)
        target = out or Path("results") / sc.name
        check_target(target)
        split = workers is not None or executor != "local"  # an explicit executor also spreads the run's policies
        with claim_target(target), (open_executor(executor, workers, scheduler) if split or replicates
                                    else nullcontext()) as ex:  # lock etc. before simulating
            reps = _replicates(sc, replicates, ex, quiet or as_json)
            with phase_bars(quiet or as_json) as progress:
                result = run_resolved(sc, provenance_of(scenario, seed=seed, overrides=overrides), progress,
                                      simulator=simulator(ex if split else None))
                result = with_replicates(result, reps)
                write_results(result, target, report=report, progress=progress)
    except SimrouteError as e:
        fail(e)
    failed = len(reps.failures) if reps is not None else 0
    for note in result.output.notes.values():  # what the day source chose (a replay's router and confidence)
        typer.echo(f"note: {note}", err=True)
    if as_json:
        typer.echo(json.dumps(summary_document(result, dump_resolved(sc)), indent=2, sort_keys=True))
    elif not quiet:
        from .render import print_summary  # lazy: keeps `simroute --help` fast
        screen = console()
        print_summary(result, screen)
        screen.print(f"results written to [bold]{target}[/]" + (f" (open {target / 'report.html'})" if report
                                                                 else ""))
    if failed:
        typer.echo(f"warning: {failed} of {reps.n} replicates failed (listed in summary.json); the intervals use "
                   "the others", err=True)
        raise typer.Exit(1)


def _replicates(sc, n: int | None, ex, silent: bool):
    """The replicate set of `sc` (None without --replicates) on executor `ex`, with a progress bar."""
    if n is None:
        return None
    from ..replicates import check_count, run_replicates  # lazy: keeps `simroute --help` fast
    check_count(n)
    with task_bar(n, f"replicates of {sc.name}", silent) as tick:
        return run_replicates(sc, n, ex, tick)


def validate(scenario: Annotated[Path, typer.Argument(help="Scenario or sweep YAML file.", show_default=False)],
             against: Annotated[Optional[Path], typer.Option("--scenario", "-s", help="For a sweep file: the "
                                                             "scenario to check it against (default: the sweep's "
                                                             "scenario: key).")] = None) -> None:
    """Check a scenario file (and that the machine can run it), or a sweep file against its scenario; print one
    line per problem (with its YAML path) and exit 2 if any."""
    from .. import budget  # lazy: keeps `simroute --help` fast
    from ..scenario.loader import load_scenario
    from ..sweep import is_sweep_file
    try:
        if is_sweep_file(scenario):
            _validate_sweep(scenario, against)
            return
        sc = load_scenario(scenario)
        budget.check(sc, str(scenario))  # what `run` would refuse without --force
    except SimrouteError as e:
        fail(e)
    _say(f"{scenario}: ok ({sc.name}: {len(sc.policies)} policies, {len(sc.models)} models, {sc.horizon_days} days)")


def _say(line: str) -> None:
    """A line wrapped at words on a terminal (never inside a word); one line into a pipe, for scripts."""
    if not sys.stdout.isatty():
        typer.echo(line)
        return
    from rich.markup import escape  # lazy: keeps `simroute --help` fast
    console().print(escape(line))


def _validate_sweep(path: Path, against: Path | None) -> None:
    """A sweep file: its own keys, then every point built on the scenario (policies, figures and paths exist)."""
    from ..scenario.loader import load_scenario  # lazy: keeps `simroute --help` fast
    from ..sweep import load_sweep, plan, scenario_path
    spec = load_sweep(path)
    target = against or scenario_path(spec, path)
    if target is None:
        raise SimrouteError(f"{path}: a sweep file; name its scenario with --scenario FILE (or a scenario: key "
                            "in the sweep file) to check its paths")
    sc = load_scenario(target)
    pts = plan.points(spec)
    plan.validate_points(plan.job(sc, spec, str(path)), pts, str(path))
    _say(f"{path}: ok (sweep {spec.name} of {sc.name}: {spec.mode.value}, {len(spec.parameters)} parameter(s), "
         f"{len(pts)} points x {spec.replicates} replicate(s))")


def schema() -> None:
    """Print the scenario JSON Schema (for editor autocompletion)."""
    from ..scenario.schema import Scenario  # lazy: keeps `simroute --help` fast
    typer.echo(json.dumps(Scenario.model_json_schema(), indent=2))
