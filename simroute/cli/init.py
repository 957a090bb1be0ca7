"""`simroute init`: scaffold a commented, validated scenario from a handful of business numbers, given as flags
or asked one by one on a terminal. The flags are generated from `InitInputs`, so the questions, the flags and
the library's inputs are one list."""
from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from pydantic import ValidationError

from ..errors import SimrouteError
from ..init_inputs import InitInputs
from .common import fail

NEEDED_ONE_OF = ("mau", "queries_per_day")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _field_type(name: str) -> type:
    """The scalar type of an InitInputs field (int, float or str), for the flag's parser."""
    annotation = InitInputs.model_fields[name].annotation
    for t in (bool, int, float, str):
        if annotation is t or t in getattr(annotation, "__args__", ()):
            return t
    return str


def _ask(given: dict[str, Any]) -> dict[str, Any]:
    """Ask for every input not given as a flag, showing its default (Enter keeps it)."""
    typer.echo("Describe your situation; press Enter to keep a default. Give MAU or queries a day.")
    answers = dict(given)
    for name, field in InitInputs.model_fields.items():
        if name in answers:
            continue
        default = field.default
        value = typer.prompt(f"{field.description}", default="" if default is None else str(default),
                             show_default=default is not None)
        if value != "":
            answers[name] = _field_type(name)(value)
    return answers


def _inputs(given: dict[str, Any], interactive: bool) -> InitInputs:
    if interactive:
        given = _ask(given)
    try:
        return InitInputs(**given)
    except ValidationError as e:
        lines = []
        for err in e.errors():
            message = err["msg"].removeprefix("Value error, ")
            message = re.sub(r"\b[a-z]+(?:_[a-z]+)*\b",
                             lambda m: _flag(m[0]) if m[0] in InitInputs.model_fields else m[0], message)
            where = f"{_flag(str(err['loc'][0]))}: " if err["loc"] else ""
            lines.append(f"init: {where}{message}")
        raise SimrouteError(lines) from None


def init(out: Path, force: bool, interactive: bool | None, **given: Any) -> None:
    """Scaffold a scenario from business numbers (MAU or queries a day, the AI bill, the two models with prices
    and measured accuracy, the share to route, cost of a support contact, ARPU and churn)."""
    from ..atomic import write_file
    from ..init import init_scenario  # lazy: keeps `simroute --help` fast
    given = {k: v for k, v in given.items() if v is not None}
    ask = interactive if interactive is not None else (sys.stdin.isatty() and not any(k in given for k in
                                                                                      NEEDED_ONE_OF))
    try:
        if out.exists() and not force:
            raise SimrouteError(f"{out}: exists; choose another --out or pass --force to replace it")
        if out.is_dir():
            raise SimrouteError(f"{out}: is a folder; expected a .yaml file name")
        result = init_scenario(_inputs(given, ask))
        write_file(out, lambda tmp: tmp.write_text(result.text, encoding="utf-8"))
    except SimrouteError as e:
        fail(e)
    for note in result.notes:
        typer.echo(f"note: {note}")
    typer.echo(f"scenario written to {out}; next: simroute run {out}")


def _signature() -> inspect.Signature:
    """init's parameters: --out, --force, --interactive, then one flag per InitInputs field."""
    kw = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter("out", kw, default=Path("scenario.yaml"), annotation=Annotated[Path, typer.Option(
            "--out", "-o", help="Scenario file to write.")]),
        inspect.Parameter("force", kw, default=False, annotation=Annotated[bool, typer.Option(
            "--force", help="Replace an existing file.")]),
        inspect.Parameter("interactive", kw, default=None, annotation=Annotated[Optional[bool], typer.Option(
            "--interactive/--no-interactive", help="Ask for each number (default: on a terminal when neither "
            "--mau nor --queries-per-day is given).", show_default=False)]),
    ]
    for name, field in InitInputs.model_fields.items():
        help_text = f"{field.description}" + ("" if field.default is None else f" [default: {field.default}]")
        option = typer.Option(_flag(name), help=help_text, show_default=False)
        params.append(inspect.Parameter(name, kw, default=None,
                                        annotation=Annotated[Optional[_field_type(name)], option]))
    return inspect.Signature(params)


init.__signature__ = _signature()  # type: ignore[attr-defined]
init.__annotations__ = {p.name: p.annotation for p in init.__signature__.parameters.values()}  # type: ignore[attr-defined]
