"""What every command shares: the one-line error exit, `--set` parsing, option types, the executor the options
name, progress bars and the console. rich is imported only here and in the renderers, at the edge."""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer

from ..errors import SimrouteError

EXIT_BAD_INPUT = 2

ScenarioArg = Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)]
Sets = Annotated[list[str], typer.Option("--set", help="Override a scenario parameter: PATH=VALUE (repeatable).")]
Folder = Annotated[Path, typer.Argument(help="A results folder written by `simroute run`.", show_default=False)]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print what was written as JSON.")]
Workers = Annotated[Optional[int], typer.Option("--workers", "-w", help="Local worker processes (default: one "
                                               "per core).", min=1)]
ExecutorOpt = Annotated[str, typer.Option("--executor", help="Where replicates and sweep tasks (and, for run with "
                                          "--workers or dask, the run's policies) run: local (worker processes) "
                                          "or dask (a Dask cluster, see --scheduler).")]
Scheduler = Annotated[Optional[str], typer.Option("--scheduler", help="Dask scheduler ADDRESS, e.g. "
                                                  "tcp://10.0.0.5:8786 (with --executor dask).")]


def fail(err: SimrouteError) -> NoReturn:
    """Print each problem as one `error:` line and exit with code 2."""
    for line in err.lines:
        typer.echo(f"error: {line}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def parse_sets(sets: list[str]) -> dict:
    """`--set PATH=VALUE` items as overrides, each value read as YAML 1.2, as scenario files are (`no` and `off`
    stay strings, `1e3` is a number); PATH may name list items, e.g. policies[pre_route].threshold."""
    from ..scenario.yamlread import load  # lazy: keeps `simroute --help` fast
    out = {}
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SimrouteError(f"--set {item!r}: expected PATH=VALUE, e.g. policies[pre_route].threshold=0.5")
        try:
            out[key.strip()] = load(value, "", SimrouteError)
        except SimrouteError as e:
            problem = e.lines[0].split("invalid YAML: ", 1)[-1]
            raise SimrouteError(f"--set {item!r}: the value is not valid YAML ({problem})") from None
    return out


@contextmanager
def open_executor(kind: str, workers: int | None, scheduler: str | None) -> Iterator:
    """The executor the options name, closed afterwards; bad names are one-line errors."""
    from ..executors import ExecutorKind, make_executor  # lazy: keeps `simroute --help` fast
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
def task_bar(total: int, label: str, silent: bool) -> Iterator[Callable]:
    """A progress bar over tasks on a terminal (yields the per-result callback); failed tasks print a line."""
    def report_failure(result) -> None:
        if result.error:
            typer.echo(f"warning: task {result.task.index} failed (params {result.task.params or '{}'}, replicate "
                       f"{result.task.replicate}): {result.error}", err=True)
    if silent or not sys.stderr.isatty():
        yield report_failure
        return
    from rich.progress import (  # lazy: keeps `simroute --help` fast
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task(label, total=total)

        def tick(result) -> None:
            report_failure(result)
            bar.advance(task)
        yield tick


DAY_PHASES = ("calibration pass", "main run")  # phases counted in simulated days (the others in steps)


@contextmanager
def phase_bars(silent: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """One bar per phase of a run, each with its own count, elapsed time and ETA (yields the engine's
    `progress(phase, done, total)` callback; None when silent or not on a terminal). A finished phase's bar
    stays, so the run's phases read top to bottom."""
    if silent or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import (  # lazy: keeps `simroute --help` fast
        BarColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    count = TextColumn("{task.fields[unit]}{task.completed:.0f}/{task.total:.0f}", justify="right")
    with Progress(TextColumn("[bold]{task.description:<16}"), BarColumn(bar_width=30), count, TimeElapsedColumn(),
                  TimeRemainingColumn(), console=_stderr_console()) as bar:
        tasks: dict[str, TaskID] = {}

        def tell(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                for other in tasks.values():  # a phase ends when the next begins
                    bar.stop_task(other)
                tasks[phase] = bar.add_task(phase, total=total, unit="day " if phase in DAY_PHASES else "")
            bar.update(tasks[phase], completed=min(done, total), total=total)
        yield tell


def _stderr_console():
    from rich.console import Console  # lazy: keeps `simroute --help` fast
    return Console(stderr=True)


def console():
    """A rich console: the terminal's width, or 100 columns when writing to a file or pipe."""
    from rich.console import Console  # lazy: keeps `simroute --help` fast
    return Console(width=None if sys.stdout.isatty() else 100)
