"""The package's shape: no import circle, imports that point down the layers, and imports inside functions only
where they are marked as keeping `simroute --help` fast (or loading an optional extra)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "simroute"

# Lowest first. A module may import its own layer and the layers below it, never one above.
LAYERS: tuple[frozenset[str], ...] = tuple(frozenset(layer.split()) for layer in (
    "version errors interrupts atomic rng calendar stats init_inputs units needs malloc",
    "scenario importers",
    "world classifier",
    "policies reactions metrics monitors alarms observers surveys calibration_cache",
    "engine engine_tasks budget day_values",
    "detection curves frontier ledger summary uncertainty figures",
    "runner tasks executors replicates cluster",
    "results headline",
    "report export regression sweep fit init",
    "api",
    "cli __main__ <root>",
))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _target(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[:len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str) -> list[tuple[str, ast.stmt]]:
    """(imported simroute module, import statement) for every import in `module`, at any depth."""
    path = MODULES[module]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            target = _target(module, path, node)
            for alias in node.names:
                name = f"{target}.{alias.name}"
                found.append((name if name in MODULES else target, node))
        elif isinstance(node, ast.Import):
            found += [(a.name, node) for a in node.names]
    return [(m, n) for m, n in found if m in MODULES and m != module]


EDGES = {m: {t for t, _ in _imports(m)} for m in MODULES}


def _layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else "<root>"
    for i, layer in enumerate(LAYERS):
        if top in layer:
            return i
    raise AssertionError(f"{module}: not in any layer of tests/test_architecture.py: place it in LAYERS")


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in EDGES[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(EDGES):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle():
    assert _cycles() == []


def test_the_cycle_finder_finds_a_circle(monkeypatch):
    monkeypatch.setitem(EDGES, "simroute.errors", EDGES["simroute.errors"] | {"simroute.api"})
    assert any("simroute.api" in c and "simroute.errors" in c for c in _cycles())


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_layers(module):
    upward = [t for t in EDGES[module] if _layer(t) > _layer(module)]
    assert upward == [], f"{module} (layer {_layer(module)}) imports a higher layer: {upward}"


def test_imports_inside_functions_say_why():
    """An import inside a function keeps `simroute --help` fast or loads an optional extra, and says so with a
    `lazy:` comment; a block of consecutive imports shares one comment (isort may order it anywhere in the block)."""
    unmarked = []
    for module, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        inner = sorted({n.lineno: n for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                        for n in ast.walk(f) if isinstance(n, (ast.Import, ast.ImportFrom))}.values(),
                       key=lambda n: n.lineno)
        blocks: list[list[ast.stmt]] = []
        for node in inner:
            if blocks and (blocks[-1][-1].end_lineno or blocks[-1][-1].lineno) == node.lineno - 1:
                blocks[-1].append(node)
            else:
                blocks.append([node])
        for block in blocks:
            text = lines[block[0].lineno - 1:(block[-1].end_lineno or block[-1].lineno)]
            if not any("lazy:" in line for line in text):
                unmarked += [f"{module}:{n.lineno}: {lines[n.lineno - 1].strip()}" for n in block]
    assert unmarked == [], "\n".join(unmarked)
