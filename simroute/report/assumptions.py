"""Every economic parameter of a scenario with its value, unit, meaning and provenance (for the Assumptions
sheet and the report)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel

from ..scenario.provenance import format_path, parse_path

_UNIT = re.compile(r"\(([^()]*)\)\s*\.?\s*$")
_ECONOMIC_ROOTS = ("users", "reactions", "economics")
_ECONOMIC_WORDS = ("usd", "price", "output_length", "tokens")
NOT_SET = "default (not set in the scenario file)"
OVERRIDE = "override:"


@dataclass(frozen=True)
class Assumption:
    path: str
    value: Any
    unit: str
    meaning: str
    provenance: str


def _leaves(node: Any, path: tuple = (), info=None) -> Iterator[tuple[tuple, Any, Any]]:
    """(path, value, field info) for every scalar (or list of scalars) below a scenario node."""
    if isinstance(node, BaseModel):
        for name, f in type(node).model_fields.items():
            yield from _leaves(getattr(node, name), path + (name,), f)
    elif isinstance(node, (tuple, list)) and node and isinstance(node[0], BaseModel):
        for i, item in enumerate(node):
            yield from _leaves(item, path + (i,), info)
    elif node is not None:
        yield path, node, info


def _economic(path: tuple) -> bool:
    names = [p for p in path if isinstance(p, str)]
    return names[0] in _ECONOMIC_ROOTS or any(w in n for n in names[1:] for w in _ECONOMIC_WORDS)


def _display(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (tuple, list)):
        return ", ".join(str(_display(v)) for v in value)
    return value


def provenance_for(path: tuple, provenance: dict[str, str]) -> str:
    """Where the value at `path` comes from: its own entry (a comment, "set in the scenario", an override); a
    value inside an overridden block is the override's; any other value was left at its default."""
    own = provenance.get(format_path(path))
    if own:
        return own
    for n in range(len(path) - 1, 0, -1):
        text = provenance.get(format_path(path[:n]), "")
        if text.startswith(OVERRIDE):
            return text
    return NOT_SET


def economic_assumptions(scenario, provenance: dict[str, str]) -> list[Assumption]:
    """Users, reactions, economics, and every price or token count elsewhere (models, classifiers, verifiers)."""
    out = []
    for path, value, info in _leaves(scenario):
        if not _economic(path) or isinstance(value, str):  # names, kinds and other labels (str enums too)
            continue
        description = (info.description or "") if info is not None else ""
        m = _UNIT.search(description)
        unit = m.group(1).split(";")[0].strip() if m else ""
        meaning = _UNIT.sub("", description).strip().rstrip(".")
        out.append(Assumption(format_path(path), _display(value), unit, meaning, provenance_for(path, provenance)))
    return out


def label(path: str, scenario) -> str:
    """A readable label for a path: list indices replaced by the item's name ('segments[smb].arpu...')."""
    steps = parse_path(path) or ()
    node, parts = scenario, list[str]()
    for step in steps:
        if isinstance(step, int):
            node = node[step]
            parts[-1] = f"{parts[-1]}[{getattr(node, 'name', step)}]"
        else:
            node = getattr(node, step, None)
            parts.append(step)
    return ".".join(parts)
