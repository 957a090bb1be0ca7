"""Reading a YAML input file within bounds, so no input can hang, exhaust memory or end in a traceback.

The file must be a regular file (never a device or FIFO) of at most MAX_BYTES; nesting deeper than MAX_DEPTH,
aliases expanding to more than MAX_VALUES values or to themselves, integers longer than MAX_INT_DIGITS digits,
lone surrogates and keys that are not names are refused, each as one line naming the file (and line).

Scenario and sweep files are read with YAML 1.2 core-schema scalars (`CoreLoader`), not PyYAML's YAML 1.1:
only true/false (any case as in the spec) are booleans, so `yes`, `no`, `on`, `off` are text; `1:30` is text, not
sexagesimal 90; `010` is 10 (not octal 8), `0o10` is 8, `0x10` is 16; `1e3` is the number 1000 (1.1 reads text);
`1_000` is text; dates are text. Keys must be text: `1:` or `true:` as a key is refused with its line.
"""
from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .yamlpath import format_path, iter_entries

MAX_BYTES = 4 * 2**20      # a scenario is a few kB; 4 MiB leaves room for data tables
MAX_DEPTH = 48             # the schema nests about 8 deep
MAX_VALUES = 100_000       # values after alias expansion (an alias bomb expands to billions)
MAX_INT_DIGITS = 100       # no physical quantity needs more; Python refuses int() over 4300 digits
_STR, _MERGE = "tag:yaml.org,2002:str", "tag:yaml.org,2002:merge"
_SURROGATE = re.compile("[\ud800-\udfff]")
_KINDS = {"tag:yaml.org,2002:int": "a number", "tag:yaml.org,2002:float": "a number",
          "tag:yaml.org,2002:bool": "true/false", "tag:yaml.org,2002:null": "null (no value)"}

ErrorType = Callable[[Any], Exception]


def _reason(e: BaseException) -> str:
    return getattr(e, "strerror", None) or str(e) or type(e).__name__


def read_bytes(path: str | Path, name: str, what: str, error: ErrorType, max_bytes: int = MAX_BYTES,
               missing: str | None = None) -> bytes:
    """The bytes of a regular file of at most `max_bytes`, opened without blocking (a FIFO never hangs)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error(f"{name}: {missing or what + ' not found'}") from None
    except IsADirectoryError:
        raise error(f"{name}: is a directory, not a {what}") from None
    except (OSError, ValueError) as e:  # ValueError: a NUL in the name
        raise error(f"{name}: cannot read {what} ({_reason(e)})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise error(f"{name}: is a directory, not a {what}")
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{name}: not a regular file (a device, FIFO or socket); expected a {what}")
        if info.st_size > max_bytes:
            raise error(f"{name}: {info.st_size:,} bytes; a {what} may have at most {max_bytes:,}")
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            raise error(f"{name}: more than {max_bytes:,} bytes; a {what} may have at most {max_bytes:,}")
        return b"".join(chunks)
    except OSError as e:
        raise error(f"{name}: cannot read {what} ({_reason(e)})") from None
    finally:
        os.close(fd)


def read_text(path: str | Path, name: str, what: str, error: ErrorType, max_bytes: int = MAX_BYTES,
              missing: str | None = None) -> str:
    """The file as UTF-8 text (a BOM is dropped), or one error line saying why not."""
    raw = read_bytes(path, name, what, error, max_bytes, missing)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise error(f"{name}:{line}: not UTF-8 text (byte 0x{raw[e.start]:02x})") from None


class BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with a nesting limit while composing and a digit limit on integers."""

    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self._depth >= MAX_DEPTH:
            raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep",
                                              self.peek_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_int(self, node: ScalarNode) -> int:
        digits = len(re.sub(r"[^0-9a-fA-F]", "", str(node.value)))
        if digits > MAX_INT_DIGITS:
            raise yaml.constructor.ConstructorError(None, None, f"an integer of {digits} digits (at most "
                                                    f"{MAX_INT_DIGITS} are read)", node.start_mark)
        return super().construct_yaml_int(node)


BoundedLoader.add_constructor("tag:yaml.org,2002:int", BoundedLoader.construct_yaml_int)


class CoreLoader(BoundedLoader):
    """BoundedLoader reading plain scalars as the YAML 1.2 core schema does (see the module docstring)."""

    yaml_implicit_resolvers: dict = {}

    def construct_yaml_int(self, node: ScalarNode) -> int:
        text = str(self.construct_scalar(node))
        digits = text.lstrip("+-")
        if len(digits) > MAX_INT_DIGITS + 2:
            return super().construct_yaml_int(node)  # refuses it with the line
        sign = -1 if text.startswith("-") else 1
        if digits[:2] in ("0x", "0o"):
            return sign * int(digits[2:], 16 if digits[1] == "x" else 8)
        return sign * int(digits, 10)

    def construct_yaml_float(self, node: ScalarNode) -> float:
        text = str(self.construct_scalar(node)).lower()
        if text.lstrip("+-") == ".inf":
            return float("-inf") if text.startswith("-") else float("inf")
        return float("nan") if text == ".nan" else float(text)


CoreLoader.add_constructor("tag:yaml.org,2002:int", CoreLoader.construct_yaml_int)
CoreLoader.add_constructor("tag:yaml.org,2002:float", CoreLoader.construct_yaml_float)
for _tag, _pattern, _first in (
        ("tag:yaml.org,2002:null", r"~|null|Null|NULL|", "~nN"),
        ("tag:yaml.org,2002:bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
        ("tag:yaml.org,2002:int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
        ("tag:yaml.org,2002:float", r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                                    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)", "-+.0123456789"),
        ("tag:yaml.org,2002:merge", r"<<", "<")):
    CoreLoader.add_implicit_resolver(_tag, re.compile(f"^(?:{_pattern})$"), list(_first) + ([""] if _tag.endswith(
        "null") else []))


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def check_graph(root: Node, name: str, error: ErrorType) -> None:
    """Refuse aliases that expand past MAX_VALUES values or MAX_DEPTH levels or contain themselves, and lone
    surrogates; iterative, so it is linear in the distinct nodes whatever the input."""
    done: dict[int, tuple[int, int]] = {}
    entered: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            kids = [done[id(k)] for k in _children(node)]
            size, depth = 1 + sum(k[0] for k in kids), 1 + max((k[1] for k in kids), default=0)
            entered.discard(key)
            done[key] = (size, depth)
            line = node.start_mark.line + 1
            if size > MAX_VALUES:
                raise error(f"{name}:{line}: aliases expand to more than {MAX_VALUES:,} values")
            if depth > MAX_DEPTH:
                raise error(f"{name}:{line}: aliases nest values more than {MAX_DEPTH} levels deep")
            continue
        if key in done:
            continue
        if key in entered:
            raise error(f"{name}:{node.start_mark.line + 1}: an alias refers to a value that contains it")
        if isinstance(node, ScalarNode) and _SURROGATE.search(str(node.value)):
            raise error(f"{name}:{node.start_mark.line + 1}: text with a lone surrogate escape (\\ud800-\\udfff) "
                        "is not Unicode text")
        entered.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node))


def key_problem(knode: Node) -> str | None:
    """Why a mapping key is not a name (a number, true/false, null, a list or mapping), or None."""
    if isinstance(knode, ScalarNode):
        if knode.tag in (_STR, _MERGE):
            return None
        what = _KINDS.get(knode.tag, f"a {knode.tag.rsplit(':', 1)[-1]}")
        return f"key '{knode.value}' is read as {what}, not a name (quote it if it is meant as text)"
    return "a key must be a name, not a list or mapping"


def yaml_error_line(e: yaml.YAMLError, name: str, text: str) -> str:
    """'FILE:LINE: invalid YAML: problem (column N)' for any PyYAML error."""
    if isinstance(e, yaml.reader.ReaderError):
        line = text[:e.position].count("\n") + 1 if isinstance(e.position, int) else None
        col = e.position - (text.rfind("\n", 0, e.position) + 1) + 1 if line else None
        char = e.character if isinstance(e.character, int) else ord(str(e.character)[:1] or "\0")
        where = f"{name}:{line}" if line else name
        return f"{where}: invalid YAML: control character U+{char:04X} is not allowed" + (
            f" (column {col})" if col else "")
    if isinstance(e, yaml.MarkedYAMLError):
        mark = e.problem_mark or e.context_mark
        where = f"{name}:{mark.line + 1}" if mark else name
        problem = e.problem or e.context or "syntax error"
        if problem.startswith("but ") and e.context:
            problem = f"{e.context}, {problem}"
        return f"{where}: invalid YAML: {problem}" + (f" (column {mark.column + 1})" if mark else "")
    return f"{name}: invalid YAML: {str(e).splitlines()[0] if str(e) else type(e).__name__}"


def compose(text: str, name: str, error: ErrorType, loader: type[BoundedLoader] = CoreLoader) \
        -> tuple[BoundedLoader, Node | None]:
    """The single document's node tree (checked by check_graph) and the loader to construct it with; the
    caller must call loader.dispose()."""
    try:
        ld = loader(text)
    except yaml.YAMLError as e:  # the reader refuses control characters when it is built
        raise error(yaml_error_line(e, name, text)) from None
    try:
        root = ld.get_single_node()
        if root is not None:
            check_graph(root, name, error)
        return ld, root
    except yaml.YAMLError as e:
        ld.dispose()
        raise error(yaml_error_line(e, name, text)) from None
    except RecursionError:
        ld.dispose()
        raise error(f"{name}: invalid YAML: nested too deeply") from None
    except BaseException:
        ld.dispose()
        raise


def construct(ld: BoundedLoader, root: Node | None, name: str, text: str, error: ErrorType) -> Any:
    """The Python data of a composed (and checked) document."""
    try:
        return ld.construct_document(root) if root is not None else None
    except yaml.YAMLError as e:
        raise error(yaml_error_line(e, name, text)) from None
    except (RecursionError, ValueError, OverflowError) as e:
        raise error(f"{name}: invalid YAML value ({_reason(e)})") from None
    finally:
        ld.dispose()


def load(text: str, name: str, error: ErrorType, loader: type[BoundedLoader] = CoreLoader) -> Any:
    """Parse one bounded YAML document into data (keys checked to be names)."""
    ld, root = compose(text, name, error, loader)
    try:
        check_keys(root, name, error)
    except BaseException:
        ld.dispose()
        raise
    return construct(ld, root, name, text, error)


def check_keys(root: Node | None, name: str, error: ErrorType) -> None:
    """Refuse the first mapping key that is not a name (YAML path and line in the line)."""
    if root is None:
        return
    for path, knode, _, _ in iter_entries(root):
        problem = key_problem(knode) if knode is not None else None
        if problem and knode is not None:
            raise error(f"{name}:{knode.start_mark.line + 1}: {format_path(path[:-1]) or 'top level'}: {problem}")
