"""`simroute report`, `simroute ledger` and `simroute compare`: commands on results folders already written."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import SimrouteError
from .common import AsJson, Folder, Quiet, console, fail


def report(results: Folder,
           out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Where to write (default: the "
                                                       "results folder).")] = None,
           quiet: Quiet = False, as_json: AsJson = False) -> None:
    """(Re)write the comparison report of a results folder: report.html, report.md and plots/."""
    from ..report import write_report  # lazy: keeps `simroute --help` fast
    from ..results import load_bundle
    try:
        target = write_report(load_bundle(results), out)
    except SimrouteError as e:
        fail(e)
    written = {"html": str(target / "report.html"), "markdown": str(target / "report.md"),
               "plots": sorted(str(p) for p in (target / "plots").glob("*.*"))}
    if as_json:
        typer.echo(json.dumps(written, indent=2))
    elif not quiet:
        typer.echo(f"report written to {written['html']} and {written['markdown']} "
                   f"({len(written['plots'])} plot files in {target / 'plots'})")


def ledger(results: Folder,
           fmt: Annotated[str, typer.Option("--format", "-f", help="xlsx (Summary, Ledger, By month, "
                                            "Assumptions, Definitions sheets), csv or parquet.")] = "xlsx",
           out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Output file (default: ledger.xlsx "
                                                       "or ledger_export.<format> in the results folder).")] = None,
           quiet: Quiet = False, as_json: AsJson = False) -> None:
    """Export the CFO-facing ledger of a results folder."""
    from ..export import LedgerFormat, export_ledger  # lazy: keeps `simroute --help` fast
    from ..results import load_bundle
    formats = [f.value for f in LedgerFormat]
    try:
        if fmt not in formats:
            raise SimrouteError(f"--format: expected one of {', '.join(formats)}, got {fmt!r}")
        path = export_ledger(load_bundle(results), LedgerFormat(fmt), out)
    except SimrouteError as e:
        fail(e)
    if as_json:
        typer.echo(json.dumps({"ledger": str(path), "format": fmt}))
    elif not quiet:
        typer.echo(f"ledger written to {path}")


def compare(runs: Annotated[list[Path], typer.Argument(help="Two or more results folders.", show_default=False)],
            out: Annotated[Path, typer.Option("--out", "-o", help="Folder for compare.html, compare.md and the "
                                              "plot.")] = Path("results/comparison"),
            quiet: Quiet = False, as_json: AsJson = False) -> None:
    """Compare the policies of several results folders (two scenarios, or two versions of one)."""
    from ..report.compare import write_comparison  # lazy: keeps `simroute --help` fast
    from ..results import load_bundle
    try:
        if len(runs) < 2:
            raise SimrouteError("compare: expected at least two results folders")
        bundles = [load_bundle(r) for r in runs]
        rows, target = write_comparison(bundles, out)
    except SimrouteError as e:
        fail(e)
    if as_json:
        typer.echo(json.dumps({"runs": rows, "html": str(target / "compare.html"),
                               "markdown": str(target / "compare.md")}, indent=2))
        return
    if not quiet:
        from .render import comparison_table  # lazy: keeps `simroute --help` fast
        screen = console()
        screen.print(comparison_table(rows))
        screen.print(f"comparison written to [bold]{target / 'compare.html'}[/] and {target / 'compare.md'}")
