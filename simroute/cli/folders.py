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
                               "markdown": str(target / "compare.md"),
                               "scenario_changes": _changes_document(bundles)}, indent=2))
        return
    if not quiet:
        from .render import comparison_delta_table, comparison_table  # lazy: keeps `simroute --help` fast
        screen = console()
        screen.print(comparison_table(rows))
        deltas = comparison_delta_table(rows)
        if deltas is not None:
            screen.print()
            screen.print(deltas)
        screen.print()
        from rich.markup import escape  # lazy: keeps `simroute --help` fast
        for line in scenario_differences(bundles):
            screen.print(escape(line))
        screen.print(f"comparison written to [bold]{target / 'compare.html'}[/] and {target / 'compare.md'}")


def _overrides(bundle) -> list[str]:
    """The paths a run set on the command line (--set, --seed), list items by name as the report shows them."""
    from ..report.assumptions import label  # lazy: keeps `simroute --help` fast
    return sorted(label(p, bundle.scenario) or p for p, src in bundle.provenance.items()
                  if str(src).startswith("override:"))


def _changes_document(bundles) -> list[dict]:
    """Per later run: the scenario values that differ from the first run's, and its command-line overrides."""
    from ..scenario.diff import changes  # lazy: keeps `simroute --help` fast
    first = bundles[0].scenario.model_dump(mode="json")
    return [{"run": str(b.folder), "overrides": _overrides(b),
             "changes": [{"path": c.path, "first": c.before, "this": c.after}
                         for c in changes(first, b.scenario.model_dump(mode="json"))]} for b in bundles[1:]]


def scenario_differences(bundles) -> list[str]:
    """One line per later run: which scenario values differ from the first run's (seed and --set included)."""
    from ..scenario.diff import changes, summary_line  # lazy: keeps `simroute --help` fast
    first = bundles[0]
    lines = []
    for b in bundles[1:]:
        found = changes(first.scenario.model_dump(mode="json"), b.scenario.model_dump(mode="json"))
        sets = [f"{x.folder.name} set {', '.join(_overrides(x))}" for x in (first, b) if _overrides(x)]
        how = f" (on the command line, {'; '.join(sets)})" if sets else ""
        if first.name != b.name:
            lines.append(f"{b.folder.name}: scenario {b.name!r}, not {first.name!r}: {len(found)} value(s) differ"
                         f"{how}")
        elif found:
            lines.append(f"{b.folder.name} differs from {first.folder.name} in {summary_line(found, 6)}{how}")
        else:
            lines.append(f"{b.folder.name}: the same scenario as {first.folder.name}")
    return lines
