"""Load scenario YAML into the frozen `Scenario` tree; every failure becomes one `FILE:LINE: PATH: MESSAGE` line.

All problems are raised together as a `ScenarioError`, so the CLI can print them and exit 2 without a traceback.
"""
from __future__ import annotations

import copy
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import ScenarioError
from .provenance import Path, duplicate_keys, format_path, leading_path, line_map
from .schema import Scenario
from .typewalk import child, field_names, is_model, members, pick, tag, union_tags, unwrap
from .yamlread import check_keys, compose, construct, read_text

_MISSING = object()
_NAME = r"[A-Za-z_][\w\-]*"
_OVERRIDE_PATH = re.compile(rf"{_NAME}(?:\[(?:\d+|{_NAME})\]|\.{_NAME})*")
_OVERRIDE_STEP = re.compile(rf"\[(\d+)\]|\[({_NAME})\]|\.?({_NAME})")


class ByName(str):
    """A list step given by its item's name, as in policies[pre_route] (resolved to the item's index)."""
_NAME_PATTERN_HELP = "must start with a letter and contain only letters, digits, '_' and '-'"
_EXPECTED = {
    "int_parsing": "an integer", "int_type": "an integer", "int_from_float": "a whole number",
    "float_parsing": "a number", "float_type": "a number", "finite_number": "a finite number",
    "bool_parsing": "true or false", "bool_type": "true or false", "string_type": "a string",
    "model_type": "a mapping", "model_attributes_type": "a mapping", "dict_type": "a mapping",
    "tuple_type": "a list", "list_type": "a list",
}


@dataclass
class _Context:
    """What an error line needs: the source name, its line map, the raw data and the overridden paths."""

    source: str
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    overridden: set[Path] = field(default_factory=set)

    def at(self, path: Path, message: str) -> str:
        """Format one error line, at the line of the path or of its nearest ancestor in the file."""
        prefixes = [path[:n] for n in range(len(path), 0, -1)]
        line = next((self.lines[p] for p in prefixes if p in self.lines), None)
        if any(p in self.overridden for p in prefixes):
            line, message = None, message + " (set by override)"
        where = f"{self.source}:{line}" if line else self.source
        return f"{where}: {format_path(path)}: {message}" if path else f"{where}: {message}"


def load_scenario(path: str | FsPath, overrides: dict | None = None) -> Scenario:
    """Read, parse and validate a scenario file, applying dotted-path overrides to the raw data first."""
    name = str(path)
    text = _read_text(FsPath(path), name)
    data, lines = _parse(text, name)
    return _validate(_Context(name, data, lines, _set_overrides(data, overrides or {}, name)))


def scenario_from_dict(data: dict, source: str = "<dict>", *, overrides: dict | None = None) -> Scenario:
    """Validate an in-memory mapping with the same error lines as a file (without line numbers)."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: top level must be a mapping of scenario keys, got {_show(data)}")
    data = copy.deepcopy(data) if overrides else data
    return _validate(_Context(source, data, {}, _set_overrides(data, overrides or {}, source)))


def apply_overrides(data: dict, overrides: dict, source: str = "<overrides>") -> dict:
    """A deep copy of raw scenario data with dotted-path overrides set; a path that does not exist is an error."""
    data = copy.deepcopy(data)
    _set_overrides(data, overrides, source)
    return data


def canonical_override_paths(data: dict, overrides: dict) -> list[str]:
    """Each override's path in the one form results record it, list items by index as the file's own paths
    are ('policies[1].threshold' for 'policies[pre_route].threshold'); the overrides are set in order, so a
    name an earlier override gives is found. A path that does not resolve stays as typed."""
    data = copy.deepcopy(data)
    out = []
    for dotted, value in overrides.items():
        path = parse_override_path(dotted) if isinstance(dotted, str) else None
        found, problem = resolve_names(data, path) if path else ((), "not a path")
        if problem or _set_path(data, found, value):
            out.append(str(dotted))
        else:
            out.append(format_path(found))
    return out


def dump_resolved(scenario: Scenario) -> str:
    """The scenario with every default filled in, as stable YAML (field order, not sorted)."""
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True,
                          default_flow_style=False)


def _read_text(path: FsPath, name: str) -> str:
    """The file as UTF-8 text (a BOM is dropped): a regular file within the size limit, or a ScenarioError."""
    return read_text(path, name, "scenario file", ScenarioError)


def _parse(text: str, name: str) -> tuple[dict, dict[Path, int]]:
    """The single YAML document as data plus its path -> line map; rejects bad YAML, duplicates, non-mappings.

    Composing, the alias and depth checks, the line map and construction all happen inside the error boundary
    (yamlread), so no input ends in a traceback."""
    ld, root = compose(text, name, ScenarioError)
    try:
        check_keys(root, name, ScenarioError)
        lines, dups = line_map(root), duplicate_keys(root)  # before construction: it rewrites merge keys in place
    except BaseException:
        ld.dispose()
        raise
    data = construct(ld, root, name, text, ScenarioError)
    if dups:
        raise ScenarioError([f"{name}:{line}: {format_path(p)}: duplicate key '{k}'" for p, line, k in dups])
    if data is None:
        raise ScenarioError(f"{name}: scenario file is empty")
    if not isinstance(data, dict):
        line = root.start_mark.line + 1 if root is not None else 1
        raise ScenarioError(f"{name}:{line}: top level must be a mapping of scenario keys, got {_show(data)}")
    return data, lines


def _set_overrides(data: Any, overrides: dict, source: str) -> set[Path]:
    """Set each dotted path in the raw data in place; return the paths set, or raise listing the bad ones."""
    errors, done = [], set()
    for dotted, value in overrides.items():
        path = parse_override_path(dotted) if isinstance(dotted, str) else None
        if not path or not isinstance(path[0], str):
            errors.append(f"{source}: {dotted}: invalid override path (expected a path like a.b[2].c or "
                          "policies[pre_route].threshold)")
            continue
        found, problem = resolve_names(data, path)
        problem = problem or _set_path(data, found, value)
        if problem:
            errors.append(f"{source}: {dotted}: override path does not exist ({problem})")
        else:
            done.add(found)
    if errors:
        raise ScenarioError(errors)
    return done


def parse_override_path(text: str) -> tuple[str | int, ...] | None:
    """'policies[pre_route].threshold' -> ('policies', ByName('pre_route'), 'threshold'); indexes stay ints;
    None if the text is not such a path."""
    if not _OVERRIDE_PATH.fullmatch(text):
        return None
    return tuple(int(i) if i else ByName(n) if n else k for i, n, k in _OVERRIDE_STEP.findall(text))


def resolve_names(data: Any, path: tuple[str | int, ...]) -> tuple[Path, str | None]:
    """The path with each by-name step replaced by the index of the list item of that name in the raw data
    (and a problem, or None): `users.segments[smb]` is `users.segments[1]` when smb is the second segment."""
    out: list[str | int] = []
    node = data
    for key in path:
        if isinstance(key, ByName):
            here = format_path(tuple(out)) or "the top level"
            if not isinstance(node, list):
                return tuple(out), f"{here} is not a list"
            names = [item.get("name") if isinstance(item, dict) else None for item in node]
            if key not in names:
                listed = ", ".join(str(n) for n in names if n is not None) or "no named items"
                return tuple(out), f"{here} has no item named '{key}' (it has {listed})"
            key = names.index(key)
        out.append(key if isinstance(key, int) else str(key))
        node = _get(node, key) if node is not _MISSING else _MISSING
    return tuple(out), None


def _set_path(data: Any, path: Path, value: Any) -> str | None:
    """Set data at path (creating a missing mapping only for a schema field); return a problem or None."""
    node = data
    for i, key in enumerate(path):
        here = format_path(path[:i]) or "the top level"
        if isinstance(key, int):
            if not isinstance(node, list):
                return f"{here} is not a list"
            if key >= len(node):
                return f"{here} has {len(node)} items"
        else:
            if not isinstance(node, dict):
                return f"{here} is not a mapping"
            if key not in node:
                _, tp, raw = _walk(path[:i], data)
                valid = field_names(tp, raw)
                if key not in valid:
                    return _unknown_key(key, valid)
                node[key] = [] if i + 1 < len(path) and isinstance(path[i + 1], int) else {}
        if i == len(path) - 1:
            node[key] = copy.deepcopy(value)
        else:
            node = node[key]
    return None


def _validate(ctx: _Context) -> Scenario:
    """Validate the raw data, turning every pydantic error into located one-liners."""
    try:
        return Scenario.model_validate(ctx.data)
    except ValidationError as err:
        lines = [line for e in err.errors(include_url=False) for line in _error_lines(e, ctx)]
        raise ScenarioError(list(dict.fromkeys(lines))) from None


def _error_lines(e: Any, ctx: _Context) -> list[str]:
    """One or more located lines for one pydantic error."""
    kind, value = e["type"], e.get("input")
    path, tp, raw = _walk(e["loc"], ctx.data)
    if kind == "extra_forbidden":
        _, ptp, praw = _walk(e["loc"][:-1], ctx.data)
        return [ctx.at(path, _unknown_key(str(path[-1]), field_names(ptp, praw)))]
    if kind == "missing":
        return [ctx.at(path, "required field missing")]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        disc, tags = union_tags(tp)
        what = f"unknown kind {_show(e['ctx'].get('tag'))}" if kind == "union_tag_invalid" else "required field missing"
        return [ctx.at(path + (disc,), f"{what} (valid kinds: {', '.join(tags)})")]
    if kind in ("value_error", "assertion_error"):
        msg = e["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if is_model(unwrap(tp)) or isinstance(value, dict):
            return [_model_line(ctx, path, tp, raw, line) for line in msg.splitlines() if line.strip()]
        return [ctx.at(path, _with_got(msg, value))]
    return [ctx.at(path, _type_message(kind, e))]


def _model_line(ctx: _Context, path: Path, tp: Any, raw: Any, line: str) -> str:
    """A model validator's line: a leading field path ('low: must be ...') is joined onto the model's path."""
    split = leading_path(line)
    if split and split[0][0] in field_names(tp, raw):
        return ctx.at(path + split[0], split[1])
    return ctx.at(path, line)


def _type_message(kind: str, e: dict) -> str:
    """A natural sentence for a type, length, enum or pattern error."""
    value, info = e.get("input"), e.get("ctx") or {}
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_show(value)}"
    if kind in ("enum", "literal_error"):
        return f"expected {info.get('expected')}, got {_show(value)}"
    if kind in ("too_short", "too_long"):
        word, bound = ("at least", info.get("min_length")) if kind == "too_short" \
            else ("at most", info.get("max_length"))
        return f"needs {word} {bound} item{'s' if bound != 1 else ''}, got {info.get('actual_length')}"
    if kind == "string_pattern_mismatch":
        pattern = info.get("pattern", "")
        rule = _NAME_PATTERN_HELP if pattern.startswith("^[A-Za-z]") else f"must match {pattern}"
        return f"{rule}, got {_show(value)}"
    msg = e["msg"].replace("Input should be", "expected", 1)
    return _with_got(msg, value)


def _with_got(msg: str, value: Any) -> str:
    """Append ', got <input>' when the input is a scalar and the message does not already say it."""
    if isinstance(value, (dict, list, tuple)) or ", got " in msg:
        return msg
    return f"{msg}, got {_show(value)}"


def _unknown_key(key: str, valid: list[str]) -> str:
    """'unknown key 'x'; did you mean 'y'?' or, without a close match, the list of valid keys."""
    close = difflib.get_close_matches(key, valid, n=1)
    if close:
        return f"unknown key '{key}'; did you mean '{close[0]}'?"
    return f"unknown key '{key}' (valid keys: {', '.join(valid)})" if valid else f"unknown key '{key}'"


def _show(value: Any) -> str:
    """A short YAML-ish rendering of an input value for error messages."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, (dict, list, tuple)):
        return "a mapping" if isinstance(value, dict) else "a list"
    text = repr(value) if isinstance(value, (str, int, float)) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _walk(loc: tuple, data: Any) -> tuple[Path, Any, Any]:
    """Follow a pydantic loc: (YAML path without union tags, schema type there, raw value there)."""
    tp: Any = Scenario
    raw, path = data, []
    for key in loc:
        options = members(tp)
        if options:
            by_tag = {t[1]: m for m in options if (t := tag(m))}
            if isinstance(key, str) and key in by_tag:
                tp = by_tag[key]
                continue
            tp = pick(options, raw)
        tp = child(tp, key)
        raw = _get(raw, key)
        path.append(key)
    return tuple(path), tp, raw


def _get(raw: Any, key: str | int) -> Any:
    """The raw value one step down, or _MISSING."""
    if isinstance(raw, dict):
        return raw.get(key, _MISSING)
    ok = isinstance(raw, (list, tuple)) and isinstance(key, int) and 0 <= key < len(raw)
    return raw[key] if ok else _MISSING
