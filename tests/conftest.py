"""Shared fixtures: shipped scenarios are simulated once per test session and reused."""
from __future__ import annotations

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
