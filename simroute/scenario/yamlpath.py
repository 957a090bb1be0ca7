"""YAML paths and the walk over a composed node tree, shared by the bounded reader and the provenance module."""
from __future__ import annotations

from collections.abc import Iterator

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple[str | int, ...]
MERGE_KEY = "<<"


def _key(node: Node) -> str:
    return node.value if isinstance(node, ScalarNode) else f"<{node.tag.rsplit(':', 1)[-1]}>"


def format_path(path: Path) -> str:
    """Render ('policies', 2, 'threshold') as 'policies[2].threshold'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


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
