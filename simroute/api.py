"""The library entry point: `simroute.run(scenario)` returns typed results; the CLI only renders them."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from .scenario.schema import Scenario


def run(scenario: Scenario | str | Path, *, seed: int | None = None,
        progress: Callable[[int, int], None] | None = None, overrides: dict | None = None):
    """Simulate every policy of `scenario` (a Scenario or a YAML path) and summarise the economics."""
    from .engine import simulate
    from .summary import summarize

    if not isinstance(scenario, Scenario):
        from .scenario.loader import load_scenario
        scenario = load_scenario(scenario, overrides=overrides)
    elif overrides:
        from .scenario.loader import scenario_from_dict
        data = scenario.model_dump(mode="json")
        scenario = scenario_from_dict(_apply(data, overrides))
    if seed is not None:
        scenario = scenario.model_copy(update={"seed": int(seed)})
    return summarize(simulate(scenario, progress))


def _apply(data: dict, overrides: dict) -> dict:
    from .scenario.loader import apply_overrides
    return apply_overrides(data, overrides)
