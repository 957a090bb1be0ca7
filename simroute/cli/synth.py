"""`simroute synth`: draw a scenario's traffic as production logs and a graded eval set (what `simroute fit`
reads), to test a fitting pipeline end to end or to try simroute's importers on known data."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import SimrouteError
from .common import Quiet, ScenarioArg, fail


def synth(scenario: ScenarioArg,
          out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write (logs, eval and synth.json).",
                                            show_default=False)],
          policy: Annotated[Optional[str], typer.Option(help="Policy whose calls are logged (default: the "
                                                         "baseline).")] = None,
          days: Annotated[Optional[int], typer.Option(help="Days of logs (default: the horizon).")] = None,
          logs_format: Annotated[str, typer.Option("--logs-format", help="otel_jsonl, litellm_csv, langfuse, "
                                                   "generic_csv or generic_parquet.")] = "otel_jsonl",
          eval_size: Annotated[int, typer.Option("--eval-size", help="Queries in the graded eval set (0: "
                                                 "none).")] = 5000,
          eval_format: Annotated[str, typer.Option("--eval-format", help="csv, parquet or jsonl.")] = "csv",
          seed: Annotated[Optional[int], typer.Option(help="Seed of the draws (default: the scenario's).")] = None,
          quiet: Quiet = False) -> None:
    """Write SCENARIO's traffic as production logs and a graded eval set, drawn from its world."""
    from ..api import resolve  # lazy: keeps `simroute --help` fast
    from ..fit.synth_folder import write_synthetic
    try:
        sc = resolve(scenario)
        m = write_synthetic(sc, out, policy=policy, days=days, log_format=logs_format, eval_size=eval_size,
                            eval_format=eval_format, seed=seed)
    except SimrouteError as e:
        fail(e)
    if not quiet:
        files = ", ".join(m.log_files + ((m.eval_file,) if m.eval_file else ()))
        typer.echo(f"{m.log_rows:,} calls of {m.policy} over {m.days} days and {m.eval_rows:,} graded queries "
                   f"written to {out} ({files})")
