"""`simroute fit`: a scenario fitted to a team's own eval results and production logs, with a fit report that
holds the fitted world against a held-out split."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import SimrouteError
from .common import Quiet, fail

Paths = Annotated[list[Path], typer.Option(show_default=False)]


def _models(items: list[str]) -> dict[str, str] | None:
    """`--model NAME=COLUMN` items as the eval mapping's models."""
    out = {}
    for item in items:
        name, sep, column = item.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise SimrouteError(f"--model {item!r}: expected NAME=COLUMN, e.g. cheap=mixtral_correct")
        out[name.strip()] = column.strip()
    return out or None


def _targets(out: Path, report: Path, force: bool) -> None:
    """Fail before reading any data when an output cannot be written."""
    from ..atomic import check_file_target, check_output_folder  # lazy: keeps `simroute --help` fast
    from ..fit.report import KIND, MARKER
    if out.exists() and not force:
        raise SimrouteError(f"{out}: exists; choose another --out or pass --force to replace it")
    check_file_target(out)
    check_output_folder(report, MARKER, KIND)


def fit(out: Annotated[Path, typer.Option("--out", "-o", help="Fitted scenario file to write.",
                                          show_default=False)],
        eval_paths: Annotated[list[Path], typer.Option("--eval", help="Eval results: a file, or a folder with "
                              "one file per category (repeatable).", show_default=False)] = [],  # noqa: B006
        log_paths: Annotated[list[Path], typer.Option("--logs", help="Production logs (repeatable).",
                             show_default=False)] = [],  # noqa: B006
        logs_format: Annotated[Optional[str], typer.Option("--logs-format", help="otel_jsonl, litellm_csv, "
                               "langfuse, generic_csv or generic_parquet (default: told from the files).")] = None,
        mapping: Annotated[Optional[Path], typer.Option("--map", help="YAML column mapping (eval: and logs: "
                           "sections).")] = None,
        models: Annotated[list[str], typer.Option("--model", help="An eval model's correctness column: "
                          "NAME=COLUMN (repeatable).")] = [],  # noqa: B006
        intent_column: Annotated[Optional[str], typer.Option("--intent-column", help="The eval's category "
                                 "column.")] = None,
        score_threshold: Annotated[Optional[float], typer.Option("--score-threshold", help="Correctness given "
                                   "as a score passes at or above this.")] = None,
        base: Annotated[Optional[Path], typer.Option("--base", help="A scenario whose unfitted values the fit "
                        "keeps (default: simroute's defaults, each marked as an assumption).")] = None,
        cheap: Annotated[Optional[str], typer.Option(help="The cheap model (eval or scenario name).")] = None,
        capable: Annotated[Optional[str], typer.Option(help="The capable model (eval or scenario name).")] = None,
        policy: Annotated[Optional[str], typer.Option(help="The base's policy that served the logs (default: "
                          "its baseline).")] = None,
        holdout: Annotated[float, typer.Option(help="Share of the data held out for the fit report.")] = 0.2,
        seed: Annotated[int, typer.Option(help="Seed of the held-out split and the simulated checks.")] = 0,
        report: Annotated[Optional[Path], typer.Option("--report", help="Fit report folder (default: "
                          "<out stem>_fit_report beside the scenario).")] = None,
        force: Annotated[bool, typer.Option("--force", help="Replace an existing scenario file.")] = False,
        quiet: Quiet = False) -> None:
    """Fit a scenario to your eval results and production logs; write it with a fit report."""
    from .. import api  # lazy: keeps `simroute --help` fast
    report = report or out.with_name(f"{out.stem}_fit_report")
    try:
        _targets(out, report, force)
        overrides = {k: v for k, v in (("models", _models(models)), ("intent", intent_column),
                                       ("score_threshold", score_threshold)) if v is not None}
        result = api.fit(eval_paths=eval_paths, log_paths=log_paths, logs_format=logs_format, mapping=mapping,
                         eval_mapping=overrides, base=base, cheap=cheap, capable=capable, policy=policy,
                         holdout_share=holdout, seed=seed)
        api.write_fit(result, out, report)
    except SimrouteError as e:
        fail(e)
    if not quiet:
        typer.echo(result.comparison.headline())
        typer.echo(f"fitted scenario written to {out}; fit report in {report / 'fit_report.html'}; "
                   f"next: simroute run {out}")
