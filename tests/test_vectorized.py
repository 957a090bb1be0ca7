"""The hot path is vectorised: ten times the queries must not mean ten times the Python function calls."""
from __future__ import annotations

from pathlib import Path

from conftest import python_calls

import simroute

QUICK = Path(__file__).resolve().parents[1] / "scenarios" / "quickstart.yaml"


def _python_calls(mau: int) -> tuple[int, int]:
    calls, r = python_calls(lambda: simroute.run(QUICK, overrides={"users.mau": mau, "horizon_days": 30}))
    return calls, int(r.output.arrivals.sum())


def test_python_calls_do_not_scale_with_queries():
    _python_calls(1_000)  # warm-up: imports and first-call caches are not part of the hot path
    small_calls, small_n = _python_calls(20_000)
    big_calls, big_n = _python_calls(200_000)
    assert big_n > 8 * small_n
    assert big_calls < 1.1 * small_calls, (small_calls, big_calls)
