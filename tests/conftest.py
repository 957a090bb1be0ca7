"""Shared fixtures: shipped scenarios are simulated once per test session and reused."""
from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


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
