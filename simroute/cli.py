"""The `simroute` command line: a thin layer over the library API (`simroute.run`)."""
from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from .errors import SimrouteError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Offline simulator and cost/quality economics for LLM routing policies.")
EXIT_BAD_INPUT = 2


def _fail(err: SimrouteError) -> None:
    for line in err.lines:
        typer.echo(f"error: {line}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def _version(value: bool) -> None:
    if value:
        from . import __version__
        typer.echo(f"simroute {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    """Offline simulator and cost/quality economics for LLM routing policies."""


def _parse_sets(sets: list[str]) -> dict:
    import yaml
    out = {}
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SimrouteError(f"--set {item!r}: expected PATH=VALUE, e.g. policies[1].threshold=0.5")
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError as e:
            raise SimrouteError(f"--set {item!r}: the value is not valid YAML ({getattr(e, 'problem', e)})") \
                from None
    return out


@app.command()
def run(scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)],
        out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Results folder "
                                                    "(default: results/<scenario name>).")] = None,
        seed: Annotated[Optional[int], typer.Option(help="Override the scenario's seed.")] = None,
        sets: Annotated[list[str], typer.Option("--set", help="Override a parameter: PATH=VALUE "
                                                "(repeatable).")] = [],  # noqa: B006
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or tables.")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout.")] = False,
        report: Annotated[bool, typer.Option("--report/--no-report", help="Also write report.html, report.md, "
                                             "plots/ and ledger.xlsx.")] = True,
        replicates: Annotated[Optional[int], typer.Option("--replicates", "-n", help="Also run N replicates "
                              "(child seeds of the seed) and report the mean and 95% interval of every headline "
                              "figure.")] = None,
        workers: Workers = None, executor: ExecutorOpt = "local", scheduler: Scheduler = None) -> None:
    """Run every policy of SCENARIO, print the summary and write the results folder (with its report)."""
    from .api import provenance_of, resolve, run_resolved, with_replicates
    from .results import check_target, summary_document, write_results
    from .scenario.loader import dump_resolved

    try:
        overrides = _parse_sets(sets)
        sc = resolve(scenario, seed=seed, overrides=overrides)
        if seed is not None and not (0 <= seed < 2**63):
            raise SimrouteError(f"--seed: must be between 0 and {2**63 - 1}, got {seed}")
        target = out or Path("results") / sc.name
        check_target(target)
        reps = _replicates(sc, replicates, workers, executor, scheduler, quiet or as_json)
        result = _run_with_progress(run_resolved, sc, provenance_of(scenario, seed=seed, overrides=overrides),
                                    quiet or as_json)
        result = with_replicates(result, reps)
        write_results(result, target, report=report)
    except SimrouteError as e:
        _fail(e)
    failed = len(reps.failures) if reps is not None else 0
    if as_json:
        typer.echo(json.dumps(summary_document(result, dump_resolved(sc)), indent=2, sort_keys=True))
    elif not quiet:
        from .render import print_summary
        console = _console()
        print_summary(result, console)
        console.print(f"results written to [bold]{target}[/]" + (f" (open {target / 'report.html'})" if report
                                                                  else ""))
    if failed:
        typer.echo(f"warning: {failed} of {reps.n} replicates failed (listed in summary.json); the intervals use "
                   "the others", err=True)
        raise typer.Exit(1)


def _replicates(sc, n: int | None, workers: int | None, executor: str, scheduler: str | None, silent: bool):
    """The replicate set of `sc` (None without --replicates), with a progress bar over replicates."""
    if n is None:
        return None
    from .replicates import check_count, run_replicates
    check_count(n)
    with open_executor(executor, workers, scheduler) as ex, task_bar(n, f"replicates of {sc.name}", silent) as tick:
        return run_replicates(sc, n, ex, tick)


def _run_with_progress(run_resolved, sc, provenance: dict, silent: bool):
    if silent or not sys.stderr.isatty():
        return run_resolved(sc, provenance)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("day {task.completed:.0f}"
                  "/{task.total:.0f}"), TimeElapsedColumn(), TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task(f"simulating {sc.name}", total=sc.horizon_days)
        return run_resolved(sc, provenance, lambda done, total: bar.update(task, completed=done))


Workers = Annotated[Optional[int], typer.Option("--workers", "-w", help="Local worker processes (default: one "
                                               "per core).", min=1)]
ExecutorOpt = Annotated[str, typer.Option("--executor", help="Where replicates and sweep tasks run: local "
                                          "(worker processes) or dask (a Dask cluster, see --scheduler).")]
Scheduler = Annotated[Optional[str], typer.Option("--scheduler", help="Dask scheduler ADDRESS, e.g. "
                                                  "tcp://10.0.0.5:8786 (with --executor dask).")]


@contextmanager
def open_executor(kind: str, workers: int | None, scheduler: str | None):
    """The executor the options name, closed afterwards; bad names are one-line errors."""
    from .executors import ExecutorKind, make_executor
    kinds = [k.value for k in ExecutorKind]
    if kind not in kinds:
        raise SimrouteError(f"--executor: expected one of {', '.join(kinds)}, got {kind!r}")
    if scheduler and kind != ExecutorKind.dask.value:
        raise SimrouteError("--scheduler: only used with --executor dask")
    if workers and kind != ExecutorKind.local.value:
        raise SimrouteError("--workers: only used with --executor local (a Dask cluster has its own workers)")
    ex = make_executor(kind, workers=workers, scheduler=scheduler)
    try:
        yield ex
    finally:
        ex.close()


@contextmanager
def task_bar(total: int, label: str, silent: bool):
    """A progress bar over tasks on a terminal (yields the per-result callback); failed tasks print a line."""
    def report_failure(result) -> None:
        if result.error:
            typer.echo(f"warning: task {result.task.index} failed (params {result.task.params or '{}'}, replicate "
                       f"{result.task.replicate}): {result.error}", err=True)
    if silent or not sys.stderr.isatty():
        yield report_failure
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
        TimeRemainingColumn
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task(label, total=total)

        def tick(result) -> None:
            report_failure(result)
            bar.advance(task)
        yield tick


Folder = Annotated[Path, typer.Argument(help="A results folder written by `simroute run`.", show_default=False)]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print what was written as JSON.")]


def _console():
    from rich.console import Console
    return Console(width=None if sys.stdout.isatty() else 100)


@app.command()
def report(results: Folder,
           out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Where to write (default: the "
                                                       "results folder).")] = None,
           quiet: Quiet = False, as_json: AsJson = False) -> None:
    """(Re)write the comparison report of a results folder: report.html, report.md and plots/."""
    from .report import load_bundle, write_report
    try:
        target = write_report(load_bundle(results), out)
    except SimrouteError as e:
        _fail(e)
    written = {"html": str(target / "report.html"), "markdown": str(target / "report.md"),
               "plots": sorted(str(p) for p in (target / "plots").glob("*.*"))}
    if as_json:
        typer.echo(json.dumps(written, indent=2))
    elif not quiet:
        typer.echo(f"report written to {written['html']} and {written['markdown']} "
                   f"({len(written['plots'])} plot files in {target / 'plots'})")


@app.command()
def ledger(results: Folder,
           fmt: Annotated[str, typer.Option("--format", "-f", help="xlsx (Summary, Ledger, By month, "
                                            "Assumptions, Definitions sheets), csv or parquet.")] = "xlsx",
           out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Output file (default: ledger.xlsx "
                                                       "or ledger_export.<format> in the results folder).")] = None,
           quiet: Quiet = False, as_json: AsJson = False) -> None:
    """Export the CFO-facing ledger of a results folder."""
    from .export import LedgerFormat, export_ledger
    from .report import load_bundle
    formats = [f.value for f in LedgerFormat]
    try:
        if fmt not in formats:
            raise SimrouteError(f"--format: expected one of {', '.join(formats)}, got {fmt!r}")
        path = export_ledger(load_bundle(results), LedgerFormat(fmt), out)
    except SimrouteError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps({"ledger": str(path), "format": fmt}))
    elif not quiet:
        typer.echo(f"ledger written to {path}")


@app.command()
def compare(runs: Annotated[list[Path], typer.Argument(help="Two or more results folders.", show_default=False)],
            out: Annotated[Path, typer.Option("--out", "-o", help="Folder for compare.html, compare.md and the "
                                              "plot.")] = Path("results/comparison"),
            quiet: Quiet = False, as_json: AsJson = False) -> None:
    """Compare the policies of several results folders (two scenarios, or two versions of one)."""
    from .report import load_bundle
    from .report.compare import write_comparison
    try:
        if len(runs) < 2:
            raise SimrouteError("compare: expected at least two results folders")
        bundles = [load_bundle(r) for r in runs]
        rows, target = write_comparison(bundles, out)
    except SimrouteError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps({"runs": rows, "html": str(target / "compare.html"),
                               "markdown": str(target / "compare.md")}, indent=2))
        return
    if not quiet:
        from .render import comparison_table
        console = _console()
        console.print(comparison_table(rows))
        console.print(f"comparison written to [bold]{target / 'compare.html'}[/] and {target / 'compare.md'}")


@app.command()
def validate(scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)]) -> None:
    """Check a scenario file; print one line per problem (with its YAML path) and exit 2 if any."""
    from .scenario.loader import load_scenario
    try:
        sc = load_scenario(scenario)
    except SimrouteError as e:
        _fail(e)
    typer.echo(f"{scenario}: ok ({sc.name}: {len(sc.policies)} policies, {len(sc.models)} models, "
               f"{sc.horizon_days} days)")


@app.command()
def schema() -> None:
    """Print the scenario JSON Schema (for editor autocompletion)."""
    from .scenario.schema import Scenario
    typer.echo(json.dumps(Scenario.model_json_schema(), indent=2))


def main() -> None:
    """Console-script entry point: command-line usage errors become one `error:` line and exit code 2."""
    try:
        code = app(standalone_mode=False)
    except Exception as e:  # click's usage errors, from typer's vendored click: matched by their interface
        message, exit_code = getattr(e, "format_message", None), getattr(e, "exit_code", None)
        if message is None or exit_code is None:
            raise
        if type(e).__name__ == "NoArgsIsHelpError":
            typer.echo(message())
            sys.exit(0)
        typer.echo(f"error: {message()}", err=True)
        sys.exit(exit_code)
    if type(code) is int:  # noqa: E721  (click returns the exit code of typer.Exit in this mode)
        sys.exit(code)


from . import cli_batch  # noqa: E402,F401  (registers sweep, baseline and check on `app`)

if __name__ == "__main__":
    main()
