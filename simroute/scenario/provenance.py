"""Where scenario values live in the YAML text: paths, line numbers, duplicate keys and `# source:` comments.

Everything here works on the composed node tree (`yaml.compose`), which keeps marks that the loaded data loses.
"""
from __future__ import annotations

import re

from yaml.nodes import MappingNode, Node, ScalarNode

from .yamlpath import MERGE_KEY, Path, format_path, iter_entries
from .yamlread import CoreLoader

_LINE_BREAK = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")  # the breaks PyYAML counts as new lines
_PATH = re.compile(r"[A-Za-z_][\w\-]*(?:\[\d+\]|\.[A-Za-z_][\w\-]*)*")
_STEP = re.compile(r"\[(\d+)\]|\.?([A-Za-z_][\w\-]*)")
_NUMERIC_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool"}


def parse_path(text: str) -> Path | None:
    """Parse 'a.b[2].c' into ('a', 'b', 2, 'c'); None if the text is not such a path."""
    if not _PATH.fullmatch(text):
        return None
    return _steps(text)


def _steps(text: str) -> Path:
    """The steps of a text that is a path."""
    return tuple(int(i) if i else k for i, k in _STEP.findall(text))


def leading_path(message: str) -> tuple[Path, str] | None:
    """Split 'users.segments: shares must sum to 1' into the path and the rest; None without a leading path."""
    m = _PATH.match(message)
    if not m or not message[m.end():].startswith(": "):
        return None
    return _steps(m.group()), message[m.end() + 2:]


def line_map(root: Node | None) -> dict[Path, int]:
    """Map each path to the 1-based line of its key (mapping entries) or item (sequence entries)."""
    lines: dict[Path, int] = {}
    if root is None:
        return lines
    for path, knode, vnode, explicit in iter_entries(root):
        line = (knode or vnode).start_mark.line + 1
        if explicit:
            lines[path] = line
        else:
            lines.setdefault(path, line)
    return lines


def duplicate_keys(root: Node | None, path: Path = ()) -> list[tuple[Path, int, str]]:
    """(path, 1-based line, key) of every key that repeats an earlier key of the same mapping."""
    found: list[tuple[Path, int, str]] = []
    if root is None:
        return found
    nodes = [(path, root)] + [(p, v) for p, _, v, explicit in iter_entries(root, path) if explicit]
    for where, node in nodes:
        if not isinstance(node, MappingNode):
            continue
        seen: set[tuple[str, str]] = set()
        for knode, _ in node.value:
            if not isinstance(knode, ScalarNode) or knode.value == MERGE_KEY:
                continue
            ident = (knode.tag, knode.value)
            if ident in seen:
                found.append((where + (knode.value,), knode.start_mark.line + 1, knode.value))
            seen.add(ident)
    return found


def _trailing_comments(text: str, root: Node) -> dict[int, tuple[int, str]]:
    """0-based line -> (column where the comment's `#` is, text) of every comment that ends a line holding a value."""
    lines = _LINE_BREAK.split(text)
    ends: dict[int, int] = {}
    for _, k, v, _ in iter_entries(root):
        for node in (k, v):
            if node is not None and (isinstance(node, ScalarNode) or getattr(node, "flow_style", False)):
                ends[node.end_mark.line] = max(ends.get(node.end_mark.line, 0), node.end_mark.column)
    out = {}
    for line, col in ends.items():
        rest = lines[line][col:] if line < len(lines) else ""
        hash_at = rest.find("#")
        if hash_at >= 0 and rest[:hash_at].strip() in ("", ":"):  # after a value, or after a block key
            out[line] = (col + hash_at, rest[hash_at + 1:].strip())
    return out


def _compose(text: str) -> Node | None:
    """The node tree read with the YAML 1.2 core-schema rules the scenario loader uses (yamlread.CoreLoader)."""
    ld = CoreLoader(text)
    try:
        return ld.get_single_node()
    finally:
        ld.dispose()


def _comments_by_path(text: str, root: Node) -> dict[Path, str]:
    """Path -> the trailing comment that follows it: a comment belongs to the outermost entry whose value ends
    right before it on that line (a scalar, a one-line flow collection), or to a block key on whose line it
    stands (`rollout:  # source: ...`); never to the keys written inside a flow collection."""
    comments = _trailing_comments(text, root)
    out: dict[Path, str] = {}
    for path, knode, vnode, _ in iter_entries(root):
        if isinstance(vnode, ScalarNode) or getattr(vnode, "flow_style", False):
            line, col = vnode.end_mark.line, vnode.end_mark.column
            hit = comments.get(line)
            if hit is not None and not text_between(text, line, col, hit[0]).strip():
                out.setdefault(path, hit[1])
        else:
            line = (knode or vnode).start_mark.line
            hit = comments.get(line)
            if hit is not None:
                out.setdefault(path, hit[1])
    return out


def text_between(text: str, line: int, start: int, end: int) -> str:
    """The characters of 0-based `line` from column `start` to `end` (what separates a value from a comment)."""
    lines = _LINE_BREAK.split(text)
    return lines[line][start:end] if line < len(lines) else ""


def _item_name(node: Node) -> str | None:
    """The `name:` of a list item that is a mapping (how the report names it), else None."""
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == "name" and isinstance(v, ScalarNode):
                return str(v.value)
    return None


def _named(path: Path, names: dict[Path, str | None]) -> str:
    """'traffic.intents[billing_status]' for ('traffic', 'intents', 1): list items by their name where they have one."""
    out = ""
    for n, part in enumerate(path):
        if isinstance(part, int):
            out += f"[{names.get(path[:n + 1]) or part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


NO_SOURCE = "set in the scenario (no source given)"


def extract_provenance(text: str) -> dict[str, str]:
    """Map YAML paths to the trailing comment that follows their value (see `_comments_by_path`)."""
    root = _compose(text)
    return {} if root is None else {format_path(p): c for p, c in _comments_by_path(text, root).items()}


def scenario_provenance(text: str) -> dict[str, str]:
    """Every value the file sets -> where it comes from: its own comment; else "set in the scenario (no source
    given)", followed by the nearest enclosing entry's comment as a note when one has it (a comment on a flow
    line or a block key belongs to that entry, not to each value inside it)."""
    root = _compose(text)
    if root is None:
        return {}
    own = _comments_by_path(text, root)
    names = {path: _item_name(vnode) for path, knode, vnode, _ in iter_entries(root) if knode is None}
    out: dict[str, str] = {}
    for path, _, vnode, _ in iter_entries(root):
        if path in own:
            out[format_path(path)] = own[path]
        elif isinstance(vnode, ScalarNode):
            outer = next((path[:n] for n in range(len(path) - 1, 0, -1) if path[:n] in own), None)
            out[format_path(path)] = NO_SOURCE if outer is None else (
                f"{NO_SOURCE}; its entry {_named(outer, names)} notes: {own[outer]}")
    return out


def missing_provenance(text: str) -> list[str]:
    """Paths of numeric or boolean scalar values with no comment on their line or on an enclosing key's line.

    An enclosing key counts so that `rollout:  # source: ...` above a block of steps covers the steps.
    """
    root = _compose(text)
    if root is None:
        return []
    annotated = _comments_by_path(text, root)
    missing = []
    for path, _, vnode, _ in iter_entries(root):
        covered = any(path[:n] in annotated for n in range(1, len(path) + 1))
        if isinstance(vnode, ScalarNode) and vnode.tag in _NUMERIC_TAGS and not covered:
            missing.append(format_path(path))
    return list(dict.fromkeys(missing))
