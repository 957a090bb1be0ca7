"""Where scenario values live in the YAML text: paths, line numbers, duplicate keys and `# source:` comments.

Everything here works on the composed node tree (`yaml.compose`), which keeps marks that the loaded data loses.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple[str | int, ...]

_LINE_BREAK = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")  # the breaks PyYAML counts as new lines
_PATH = re.compile(r"[A-Za-z_][\w\-]*(?:\[\d+\]|\.[A-Za-z_][\w\-]*)*")
_STEP = re.compile(r"\[(\d+)\]|\.?([A-Za-z_][\w\-]*)")
_NUMERIC_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool"}
MERGE_KEY = "<<"


def format_path(path: Path) -> str:
    """Render ('policies', 2, 'threshold') as 'policies[2].threshold'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


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


def _key(node: Node) -> str:
    return node.value if isinstance(node, ScalarNode) else f"<{node.tag.rsplit(':', 1)[-1]}>"


def iter_entries(root: Node, path: Path = (), _seen: frozenset = frozenset()) \
        -> Iterator[tuple[Path, Node | None, Node, bool]]:
    """Yield (path, key node or None, value node, explicit) for every entry below root, depth first.

    Entries pulled in by a YAML merge key ('<<') are yielded with explicit=False; alias cycles are cut.
    """
    if id(root) in _seen:
        return
    seen = _seen | {id(root)}
    if isinstance(root, SequenceNode):
        for i, item in enumerate(root.value):
            yield path + (i,), None, item, True
            yield from iter_entries(item, path + (i,), seen)
    elif isinstance(root, MappingNode):
        for knode, vnode in root.value:
            if isinstance(knode, ScalarNode) and knode.value == MERGE_KEY and knode.tag.endswith(":merge"):
                for sub in (vnode.value if isinstance(vnode, SequenceNode) else [vnode]):
                    for p, k, v, _ in iter_entries(sub, path, seen):
                        yield p, k, v, False
                continue
            child = path + (_key(knode),)
            yield child, knode, vnode, True
            yield from iter_entries(vnode, child, seen)


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


def _line_comments(text: str, root: Node) -> dict[int, str]:
    """0-based line -> trailing comment, found after the last scalar or flow node ending on that line."""
    ends: dict[int, int] = {}
    starts: dict[int, int] = {}
    nodes = [root] + [n for _, k, v, _ in iter_entries(root) for n in (k, v) if n is not None]
    for node in nodes:
        if isinstance(node, ScalarNode) or getattr(node, "flow_style", False):
            end, start = node.end_mark, node.start_mark
            ends[end.line] = max(ends.get(end.line, 0), end.column)
            starts[start.line] = max(starts.get(start.line, 0), start.column)
    lines = _LINE_BREAK.split(text)
    comments = {}
    for line, col in ends.items():
        if starts.get(line, -1) >= col:  # a value opens after the last end: it runs on, no comment here
            continue
        rest = lines[line][col:] if line < len(lines) else ""
        hash_at = rest.find("#")
        if hash_at >= 0:
            comments[line] = rest[hash_at + 1:].strip()
    return comments


def _compose(text: str) -> Node | None:
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _comments_by_path(text: str, root: Node) -> dict[Path, str]:
    """Path -> trailing comment on its scalar value's last line, or on its key's line for a collection value."""
    comments = _line_comments(text, root)
    out: dict[Path, str] = {}
    for path, knode, vnode, _ in iter_entries(root):
        line = vnode.end_mark.line if isinstance(vnode, ScalarNode) else (knode or vnode).start_mark.line
        if line in comments:
            out.setdefault(path, comments[line])
    return out


def extract_provenance(text: str) -> dict[str, str]:
    """Map YAML paths to the trailing comment on their value's line (or key's line for block values)."""
    root = _compose(text)
    return {} if root is None else {format_path(p): c for p, c in _comments_by_path(text, root).items()}


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
