"""What differs between two scenarios: the leaf values that changed, each at its YAML path with list items by
name where they have one (policies[pre_route].threshold), so `compare` and `check` can say *what* changed."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import Frozen


@dataclass(frozen=True)
class Change:
    """One scenario value that differs: its path and the value on each side (None where it is absent)."""

    path: str
    before: Any
    after: Any

    def describe(self) -> str:
        """'policies[pre_route].threshold 0.5 → 0.9'."""
        return f"{self.path} {_show(self.before)} → {_show(self.after)}"


def _show(v: Any) -> str:
    if v is None:
        return "(absent)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, dict)):
        text = repr(v)
        return text if len(text) <= 40 else f"a {'list' if isinstance(v, list) else 'mapping'} of {len(v)}"
    return f"{v:g}" if isinstance(v, float) else str(v)


def _named(items: list) -> list[str] | None:
    """The items' names when every item is a mapping with a distinct name (then lists are matched by name)."""
    names = [i.get("name") for i in items if isinstance(i, dict)]
    ok = len(names) == len(items) and all(isinstance(n, str) for n in names) and len(set(names)) == len(names)
    return [str(n) for n in names] if ok else None


def changes(before: Any, after: Any, path: str = "") -> list[Change]:
    """Every leaf that differs between two scenario documents (model_dump(mode="json") or raw YAML data)."""
    if isinstance(before, Frozen) or isinstance(after, Frozen):
        raise TypeError("changes() compares plain data: pass scenario.model_dump(mode='json')")
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[Change] = []
        for key in [*before, *(k for k in after if k not in before)]:
            out += changes(before.get(key), after.get(key), f"{path}.{key}" if path else str(key))
        return out
    if isinstance(before, list) and isinstance(after, list):
        a_names, b_names = _named(before), _named(after)
        if a_names is not None and b_names is not None:
            a, b = dict(zip(a_names, before, strict=True)), dict(zip(b_names, after, strict=True))
            return [c for n in [*a_names, *(n for n in b_names if n not in a)]
                    for c in changes(a.get(n), b.get(n), f"{path}[{n}]")]
        if len(before) == len(after):
            return [c for i, (x, y) in enumerate(zip(before, after, strict=True))
                    for c in changes(x, y, f"{path}[{i}]")]
    return [] if before == after else [Change(path or "(top level)", before, after)]


def summary_line(found: list[Change], limit: int = 4) -> str:
    """'seed 7 → 8, policies[pre_route].threshold 0.5 → 0.9 and 3 more'."""
    shown = ", ".join(c.describe() for c in found[:limit])
    more = len(found) - limit
    return shown + (f" and {more} more" if more > 0 else "")
