"""`simroute sweep`, `simroute baseline` and `simroute check`: the batch commands (thin layers over
simroute.sweep and simroute.regression)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import SimrouteError
from .common import (
    AsJson,
    ExecutorOpt,
    Quiet,
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


def sweep(scenario: ScenarioArg,
          grid: Annotated[Path, typer.Option("--grid", "-g", help="Sweep file: parameters by YAML path, mode "
                                             "(grid, random, one_at_a_time), replicates.", show_default=False)],
          out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Sweep folder (default: "
                                                      "results/<scenario>-<sweep name>).")] = None,
          replicates: Annotated[Optional[int], typer.Option("--replicates", "-n", help="Override the sweep "
                                                            "file's replicates.", min=1)] = None,
          sets: Sets = [],  # noqa: B006
          workers: Workers = None, executor: ExecutorOpt = "local", scheduler: Scheduler = None,
          quiet: Quiet = False, as_json: AsJson = False) -> None:
    """Run SCENARIO over a grid or random sample of parameter values, with replicates.

    Writes one Parquet table, break-even values, curve metrics and frontier, break-even and tornado plots.
    """
    from ..api import resolve  # lazy: keeps `simroute --help` fast
    from ..sweep import load_sweep, plan, run_sweep
    from ..sweep.output import check_sweep_target, write_sweep

    try:
        spec = load_sweep(grid, {"replicates": replicates} if replicates else None)
        sc = resolve(scenario, overrides=parse_sets(sets))
        target = out or Path("results") / f"{sc.name}-{spec.name}"
        check_sweep_target(target)
        n_tasks = len(plan.points(spec)) * spec.replicates
        with open_executor(executor, workers, scheduler) as ex, \
                task_bar(n_tasks, f"sweep {spec.name}", quiet or as_json) as tick:
            result = run_sweep(sc, spec, ex, tick, source=str(grid))
        target, doc = write_sweep(result, target)
    except SimrouteError as e:
        fail(e)
    if as_json:
        typer.echo(json.dumps({"folder": str(target), **doc}, indent=2))
    elif not quiet:
        from ..sweep.analysis import point_table  # lazy: keeps `simroute --help` fast
        from .render import sweep_points_table
        screen = console()
        screen.print(sweep_points_table(point_table(result)))
        from rich.markup import escape  # lazy: keeps `simroute --help` fast
        for be in doc["break_even"]:  # rich wraps at words where the terminal is narrow
            screen.print(escape(be["sentence"]))
        screen.print(escape(f"sweep of {len(result.points)} points x {spec.replicates} replicate(s) written to "
                            f"{target} (sweep.html, sweep.md, sweep.parquet, plots/)" +
                            (f"; {len(result.failures)} task(s) failed" if result.failures else "")))
    if result.failures:
        raise typer.Exit(1)


def baseline(scenario: ScenarioArg,
             out: Annotated[Path, typer.Option("--out", "-o", help="Baseline JSON file to write.",
                                               show_default=False)],
             replicates: Annotated[int, typer.Option("--replicates", "-n", help="Replicates that measure the "
                                                     "Monte Carlo noise of every figure.")] = 10,
             sets: Sets = [],  # noqa: B006
             workers: Workers = None, executor: ExecutorOpt = "local", scheduler: Scheduler = None,
             quiet: Quiet = False) -> None:
    """Write the baseline that `simroute check` compares against.

    It holds each headline figure at the scenario's seed, with its mean and spread over replicates.
    """
    from ..api import resolve  # lazy: keeps `simroute --help` fast
    from ..atomic import check_file_target, write_file
    from ..regression import make_baseline
    from ..replicates import check_count
    try:
        check_count(replicates)
        check_file_target(out)
        sc = resolve(scenario, overrides=parse_sets(sets))
        with open_executor(executor, workers, scheduler) as ex, \
                task_bar(replicates, f"baseline of {sc.name}", quiet) as tick:
            doc = make_baseline(sc, replicates, ex, tick)
        text = json.dumps(doc, indent=1, sort_keys=True) + "\n"
        write_file(out, lambda p: p.write_text(text, encoding="utf-8"))
    except SimrouteError as e:
        fail(e)
    if not quiet:
        n = sum(len(v) for v in doc["figures"].values())
        typer.echo(f"baseline of {sc.name} ({n} figures, {replicates} replicates) written to {out}")


def check(scenario: ScenarioArg,
          baseline_file: Annotated[Path, typer.Option("--baseline", "-b", help="Baseline JSON written by "
                                                      "simroute baseline.", show_default=False)],
          replicates: Annotated[int, typer.Option("--replicates", "-n", help="1: rerun at the scenario's seed; "
                                                  "N: compare the mean of N replicates.", min=1)] = 1,
          alpha: Annotated[float, typer.Option("--alpha", help="Family-wise chance that pure Monte Carlo noise "
                                               "is flagged as a regression.", min=1e-6, max=0.5)] = 0.05,
          junit: Annotated[Optional[Path], typer.Option("--junit", help="Also write JUnit XML here.")] = None,
          md: Annotated[Optional[Path], typer.Option("--markdown", help="Also write a Markdown summary "
                                                     "here.")] = None,
          show_all: Annotated[bool, typer.Option("--all", help="List every figure, not only those that "
                                                 "moved.")] = False,
          sets: Sets = [],  # noqa: B006
          workers: Workers = None, executor: ExecutorOpt = "local", scheduler: Scheduler = None,
          quiet: Quiet = False, as_json: AsJson = False) -> None:
    """Rerun SCENARIO and compare its economics with a baseline (exit 1 on a regression).

    A figure regresses when it got worse by more than Monte Carlo noise explains. Exit 0 otherwise, 2 on bad
    input.
    """
    from ..api import resolve  # lazy: keeps `simroute --help` fast
    from ..atomic import check_file_target, write_file
    from ..regression import check_scenario, junit_xml, load_baseline, markdown, regressions, scenario_note
    try:
        doc = load_baseline(baseline_file)
        sc = resolve(scenario, overrides=parse_sets(sets))
        note = scenario_note(doc, sc, baseline_file)
        for target in (junit, md):
            if target is not None:
                check_file_target(target)
        silent = quiet or as_json
        with open_executor(executor, workers, scheduler) as ex:
            if replicates == 1:  # one run at the seed: its phases (calibration pass, main run, summary) are bars
                with phase_bars(silent) as phases:
                    rows = check_scenario(sc, doc, 1, ex, alpha=alpha, phases=phases)
            else:
                with task_bar(replicates, f"check {sc.name}", silent) as tick:
                    rows = check_scenario(sc, doc, replicates, ex, tick, alpha)
        suite = sc.name
        if junit:
            write_file(junit, lambda p: p.write_text(junit_xml(rows, suite), encoding="utf-8"))
        if md:
            write_file(md, lambda p: p.write_text(markdown(rows, suite, note), encoding="utf-8"))
    except SimrouteError as e:
        fail(e)
    bad = regressions(rows)
    if as_json:
        typer.echo(json.dumps({"scenario": sc.name, "regressions": len(bad), "note": note,
                               "figures": [{**r.__dict__, "delta": r.delta} for r in rows]}, indent=2))
    elif not quiet:
        from .render import check_table  # lazy: keeps `simroute --help` fast
        screen = console()
        table = check_table(rows, suite, show_all)
        if table.row_count:
            screen.print(table)
        if note:
            from rich.markup import escape  # lazy: keeps `simroute --help` fast
            screen.print(f"[yellow]note:[/] {escape(note)}")
        screen.print(f"[bold red]{len(bad)} regression(s)[/] beyond Monte Carlo noise" if bad else
                      f"[green]no regression[/] in {len(rows)} figures")
    if bad:
        raise typer.Exit(1)
