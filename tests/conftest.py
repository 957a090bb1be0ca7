"""Shared fixtures: shipped scenarios are simulated once per test session and reused.

The suite runs on every core with pytest-xdist (`-n auto --dist loadgroup`, see README): tests that share an
expensive run are kept on one worker so it is still made once (`pytest_collection_modifyitems` below)."""
from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SHIPPED_FIXTURES = frozenset({"case1", "case2", "case3"})
SHIPPED_GROUP = "shipped"  # the xdist group of every test that reads a shipped case's session run


@cache
def run_case(name: str, overrides: tuple = ()):
    """Run a shipped scenario (with optional overrides as a tuple of (path, value)) once per session."""
    import simroute
    return simroute.run(SCENARIOS / f"{name}.yaml", overrides=dict(overrides))


@pytest.fixture(scope="session")
def case1():
    return run_case("case1_saas_support")


@pytest.fixture(scope="session")
def case2():
    return run_case("case2_midmarket_saas")


@pytest.fixture(scope="session")
def case3():
    return run_case("case3_fintech")


def _shares_module_state(item: pytest.Item) -> bool:
    """Whether `item` reads a module-scoped fixture or a module-level cached run (functools.cache)."""
    defs = getattr(item, "_fixtureinfo", None)
    if defs is not None and any(d and d[-1].scope == "module" for d in defs.name2fixturedefs.values()):
        return True
    module = getattr(item, "module", None)
    return module is not None and any(hasattr(v, "cache_info") and getattr(v, "__module__", None) == module.__name__
                                      for v in vars(module).values())


def xdist_group_of(item: pytest.Item) -> str | None:
    """The xdist group that keeps `item` on the worker holding the expensive state it shares: the shipped
    cases' session runs, else its module's fixtures and caches; None for an independent test."""
    if SHIPPED_FIXTURES & set(getattr(item, "fixturenames", ())):
        return SHIPPED_GROUP
    if _shares_module_state(item):
        return item.nodeid.split("::")[0]
    return None


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the marks to group the node ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Group tests for `--dist loadgroup`; on an xdist worker also hand out the `slow` tests first, so that
    no long test starts last and leaves the other core idle (xdist sends the larger groups first anyway)."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None and (group := xdist_group_of(item)):
            item.add_marker(pytest.mark.xdist_group(group))
    if hasattr(config, "workerinput"):
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def python_calls(fn: Callable[[], object]) -> tuple[int, object]:
    """How many Python function calls `fn()` makes (and its result): a per-query Python loop shows up as calls
    that grow with the number of queries."""
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        if event == "call":
            calls += 1

    sys.setprofile(count)
    try:
        result = fn()
    finally:
        sys.setprofile(None)
    return calls, result
