"""Fitted records + a base scenario -> scenario YAML with one provenance comment per value.

The YAML is written in block style, one key per line, so that `scenario.provenance` credits each value with
its own trailing comment: `# fitted: ...` for what the data set, and `# assumption: not in the data` for every
value kept from the base scenario (with the base's own comment when it had one).

Record protocol: a list-valued record whose path names a list of named items (`traffic.intents`) and whose
value is a list of names sets the members of that list by name (base items are kept, new ones start from
defaults); it is applied first, and every other record's path indexes the list as it is afterwards.
"""
from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from ..atomic import write_file
from ..errors import ScenarioError
from ..scenario.loader import scenario_from_dict
from ..scenario.provenance import Path as YamlPath
from ..scenario.provenance import extract_provenance, format_path, parse_path
from ..scenario.schema import Scenario
from .records import FittedValue

ASSUMED = "assumption: not in the data"
NEW_ITEMS: dict[YamlPath, Callable[[str], dict]] = {  # defaults for a named list member the base scenario does not have
    ("traffic", "intents"): lambda name: {"name": name, "share": 0.0, "surface_class": "simple"},
}
DRIFT_TARGETS_INTENT = ("intent_share", "hidden_intent_rate")
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_\-./ ]*")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}
_UNCOMMENTED = {"name", "kind", "description"}


def _is_structural(r: FittedValue) -> bool:
    path = parse_path(r.path)
    return path in NEW_ITEMS and isinstance(r.value, list) and all(isinstance(v, str) for v in r.value)


def _get(data: Any, path: YamlPath) -> Any:
    for k in path:
        data = data[k]
    return data


def _set(data: Any, path: YamlPath, value: Any, where: str) -> None:
    node = data
    for i, k in enumerate(path[:-1]):
        nxt = path[i + 1]
        if isinstance(node, dict) and k not in node:
            node[k] = [] if isinstance(nxt, int) else {}
        try:
            node = node[k]
        except (KeyError, IndexError, TypeError):
            raise ScenarioError(f"{where}: {format_path(path)}: no such place in the scenario") from None
    try:
        node[path[-1]] = copy.deepcopy(value)
    except (IndexError, TypeError):
        raise ScenarioError(f"{where}: {format_path(path)}: no such place in the scenario") from None


def _restructure(data: dict, records: Sequence[FittedValue]) -> dict[YamlPath, dict[int, int]]:
    """Apply the structural records; return, per list, the old -> new index of every base item kept."""
    moves: dict[YamlPath, dict[int, int]] = {}
    for r in records:
        if not _is_structural(r):
            continue
        path = parse_path(r.path)
        assert path is not None and isinstance(r.value, list)
        old = _get(data, path)
        index = {item["name"]: k for k, item in enumerate(old)}
        new = [copy.deepcopy(old[index[n]]) if n in index else NEW_ITEMS[path](n) for n in r.value]
        moves[path] = {index[n]: k for k, n in enumerate(r.value) if n in index}
        _set(data, path, new, "records")
    if ("traffic", "intents") in moves:
        names = {i["name"] for i in data["traffic"]["intents"]}
        drift = data.get("drift", [])
        keep = [k for k, d in enumerate(drift) if d["kind"] not in DRIFT_TARGETS_INTENT or d.get("target") in names]
        data["drift"] = [drift[k] for k in keep]
        moves[("drift",)] = {old: new for new, old in enumerate(keep)}
    return moves


def apply_records(base: Scenario, records: Sequence[FittedValue]) -> dict:
    """The base scenario's data (defaults filled in) with the records set, as a plain mapping."""
    data = base.model_dump(mode="json", exclude_none=True)
    _restructure(data, records)
    for r in records:
        if _is_structural(r):
            continue
        path = parse_path(r.path)
        if path is None:
            raise ScenarioError(f"records: {r.path}: not a YAML path like a.b[2].c")
        _set(data, path, r.value, "records")
    return data


def _moved(path: YamlPath, moves: dict[YamlPath, dict[int, int]]) -> YamlPath | None:
    """Where a base path ends up after restructuring (None when its item was dropped)."""
    for prefix, table in moves.items():
        n = len(prefix)
        at = path[n] if len(path) > n else None
        if path[:n] == prefix and isinstance(at, int):
            if at not in table:
                return None
            path = path[:n] + (table[at],) + path[n + 1:]
    return path


def _comments(base: Scenario, records: Sequence[FittedValue], base_provenance: dict[str, str],
              moves: dict[YamlPath, dict[int, int]]) -> dict[YamlPath, str]:
    """Comment per path: the record's own, else the base provenance (as an assumption) carried to its new place."""
    out: dict[YamlPath, str] = {}
    for key, text in base_provenance.items():
        p = parse_path(key)
        q = _moved(p, moves) if p is not None else None
        if q is not None and not (isinstance(q[-1], str) and q[-1] in _UNCOMMENTED):
            kept = re.sub(r"^assumption:?\s*", "", text.strip())
            out[q] = f"{ASSUMED} ({base.name}: {kept})" if kept else ASSUMED
    for r in records:
        p = parse_path(r.path)
        if p is not None:
            out[p] = r.comment
    return out


def _scalar(v: Any) -> str:
    """One YAML scalar that reads back as the same value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        text = repr(v)
        if "e" in text and "." not in text:
            text = text.replace("e", ".0e", 1)
        return text
    s = str(v)
    return s if _PLAIN.fullmatch(s) and s.lower() not in _RESERVED and s == s.strip() else json.dumps(s)


def _is_scalar(v: Any) -> bool:
    return not isinstance(v, (dict, list))


def _comment_for(path: YamlPath, comments: dict[YamlPath, str], default: str) -> str | None:
    if path and isinstance(path[-1], str) and path[-1] in _UNCOMMENTED:
        return comments.get(path)
    return comments.get(path, default)


def _line(text: str, comment: str | None) -> str:
    if comment is None:
        return text
    return f"{text}  # {' '.join(comment.split())}"


def _emit(node: dict, path: YamlPath, indent: int, comments: dict[YamlPath, str], lines: list[str],
          collections: set[YamlPath], default: str = ASSUMED) -> None:
    """Append `node`'s block lines; a collection's key line carries a comment only when it is in `collections`."""
    pad = " " * indent
    for key, v in node.items():
        here = path + (key,)
        if _is_scalar(v):
            lines.append(_line(f"{pad}{key}: {_scalar(v)}", _comment_for(here, comments, default)))
        elif isinstance(v, list) and all(_is_scalar(x) for x in v):
            flow = ", ".join(_scalar(x) for x in v)
            lines.append(_line(f"{pad}{key}: [{flow}]", _comment_for(here, comments, default)))
        elif isinstance(v, dict):
            lines.append(_line(f"{pad}{key}:", comments.get(here) if here in collections else None))
            _emit(v, here, indent + 2, comments, lines, collections, default)
        else:
            lines.append(_line(f"{pad}{key}:", comments.get(here) if here in collections else None))
            for k, item in enumerate(v):
                start = len(lines)
                _emit(item, here + (k,), indent + 4, comments, lines, collections, default)
                first = lines[start]
                lines[start] = f"{pad}  - {first[indent + 4:]}"


def render(data: dict, comments: dict[YamlPath, str], header: str = "",
           collections: set[YamlPath] | None = None, default: str = ASSUMED) -> str:
    """Block-style YAML of `data` with a trailing comment per value (`default` when no comment is given),
    preceded by `header` as `#` lines; keys of collections get a comment only when listed in `collections`."""
    lines = [f"# {h}".rstrip() for h in header.splitlines()]
    _emit(data, (), 0, comments, lines, collections or set(), default)
    return "\n".join(lines) + "\n"


def write_scenario(base: Scenario, records: Sequence[FittedValue], *, base_provenance: dict[str, str] | None = None,
                   header: str = "", source: str = "<fitted scenario>") -> str:
    """The fitted scenario as commented YAML text, validated with simroute's loader (ScenarioError if not)."""
    data = apply_records(base, records)
    moves = _restructure(base.model_dump(mode="json", exclude_none=True), records)
    fitted = {p for r in records if (p := parse_path(r.path)) is not None}
    text = render(data, _comments(base, records, base_provenance or {}, moves), header, fitted)
    scenario_from_dict(yaml.safe_load(text), source=source)
    return text


def fit_header(title: str, sources: Sequence[str], notes: Sequence[str]) -> str:
    """The header of a fitted scenario: what it was fitted from, and what the data could not say."""
    lines = [title, "", "Fitted from: " + "; ".join(sources),
             "fitted: set from the data (with n and se); assumption: not in the data (kept from the base scenario)."]
    if notes:
        lines += ["", "Not fitted / assumed:"] + [f"  - {n}" for n in notes]
    return "\n".join(lines)


def assumed_parameters(text: str) -> list[str]:
    """YAML paths of the values a written scenario marks `assumption: not in the data` (for the fit report)."""
    return [p for p, c in extract_provenance(text).items() if c.startswith(ASSUMED)]


def base_provenance_of(path: str | Path) -> dict[str, str]:
    """The trailing comments of a base scenario file, by YAML path."""
    return extract_provenance(Path(path).read_text(encoding="utf-8-sig"))


def save_scenario(path: str | Path, text: str) -> Path:
    """Write scenario text atomically (a failure leaves nothing behind)."""
    return write_file(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))
