"""`simroute run`, `simroute validate` and `simroute schema`: the scenario commands."""
from __future__ import annotations

import json
import sys
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
    from ..api import provenance_of, resolve, run_resolved, with_replicates, write_results  # lazy: fast --help
    from ..results import check_target, claim_target, summary_document
    from ..scenario.loader import dump_resolved

    try:
        overrides = parse_sets(sets)
        sc = resolve(scenario, seed=seed, overrides=overrides)
        budget.check(sc, str(scenario), force=force)
        target = out or Path("results") / sc.name
        check_target(target)
        with claim_target(target):  # lock, writability and stale temporary folders, before simulating
            reps = _replicates(sc, replicates, workers, executor, scheduler, quiet or as_json)
            result = _run_with_progress(run_resolved, sc, provenance_of(scenario, seed=seed, overrides=overrides),
                                        quiet or as_json)
            result = with_replicates(result, reps)
            write_results(result, target, report=report)
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


def _replicates(sc, n: int | None, workers: int | None, executor: str, scheduler: str | None, silent: bool):
    """The replicate set of `sc` (None without --replicates), with a progress bar over replicates."""
    if n is None:
        return None
    from ..replicates import check_count, run_replicates  # lazy: keeps `simroute --help` fast
    check_count(n)
    with open_executor(executor, workers, scheduler) as ex, task_bar(n, f"replicates of {sc.name}", silent) as tick:
        return run_replicates(sc, n, ex, tick)


def _run_with_progress(run_resolved, sc, provenance: dict, silent: bool):
    if silent or not sys.stderr.isatty():
        return run_resolved(sc, provenance)
    from rich.progress import (  # lazy: fast --help
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("day {task.completed:.0f}"
                  "/{task.total:.0f}"), TimeElapsedColumn(), TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task(f"simulating {sc.name}", total=sc.horizon_days)
        return run_resolved(sc, provenance, lambda done, total: bar.update(task, completed=done))


def validate(scenario: ScenarioArg) -> None:
    """Check a scenario file (and that the machine can run it); print one line per problem (with its YAML path)
    and exit 2 if any."""
    from .. import budget  # lazy: keeps `simroute --help` fast
    from ..scenario.loader import load_scenario
    try:
        sc = load_scenario(scenario)
        budget.check(sc, str(scenario))  # what `run` would refuse without --force
    except SimrouteError as e:
        fail(e)
    typer.echo(f"{scenario}: ok ({sc.name}: {len(sc.policies)} policies, {len(sc.models)} models, "
               f"{sc.horizon_days} days)")


def schema() -> None:
    """Print the scenario JSON Schema (for editor autocompletion)."""
    from ..scenario.schema import Scenario  # lazy: keeps `simroute --help` fast
    typer.echo(json.dumps(Scenario.model_json_schema(), indent=2))
