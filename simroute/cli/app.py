"""The `simroute` application: every command, registered here in the order `--help` lists them."""
from __future__ import annotations

import signal
import sys
from typing import Annotated, NoReturn

import typer

from .. import atomic, interrupts
from ..malloc import one_malloc_arena
from ..version import __version__
from . import batch, fit, folders, init, run, synth

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Offline simulator and cost/quality economics for LLM routing policies.")

COMMANDS = (run.run, fit.fit, init.init, folders.report, folders.ledger, folders.compare, run.validate, run.schema,
            batch.sweep, batch.baseline, batch.check, synth.synth)
for command in COMMANDS:
    app.command()(command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"simroute {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    """Offline simulator and cost/quality economics for LLM routing policies."""


def _interrupted() -> NoReturn:
    """One line and 128 + the signal number, after the cleanups on the way up have run (and the backstop for an
    interrupt none of them saw)."""
    atomic.release_all()
    signum = interrupts.caught() or signal.SIGINT
    typer.echo(f"error: interrupted ({signum.name}); nothing half-written was left behind", err=True)
    sys.exit(128 + signum)


def main() -> None:
    """Console-script entry point: command-line usage errors become one `error:` line and exit code 2; SIGTERM
    and Ctrl-C clean up and exit with one line; an OSError that escaped is one line naming its file."""
    interrupts.install()  # SIGTERM and Ctrl-C raise KeyboardInterrupt, so every temporary folder is removed
    one_malloc_arena()  # this process is ours: one malloc arena for the drawing thread (see there)
    try:
        code = app(standalone_mode=False)
    except KeyboardInterrupt:
        _interrupted()
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        typer.echo(f"error: {where}{e.strerror or e}", err=True)
        sys.exit(2)
    except Exception as e:  # click's usage errors, from typer's vendored click: matched by their interface
        if interrupts.caught():  # typer turns KeyboardInterrupt into Exit(130), click into Abort
            _interrupted()
        message, exit_code = getattr(e, "format_message", None), getattr(e, "exit_code", None)
        if message is None or exit_code is None:
            raise
        if type(e).__name__ == "NoArgsIsHelpError":
            typer.echo(message())
            sys.exit(0)
        typer.echo(f"error: {message()}", err=True)
        sys.exit(exit_code)
    if interrupts.caught():
        _interrupted()
    if type(code) is int:  # click returns the exit code of typer.Exit in this mode
        sys.exit(code)
