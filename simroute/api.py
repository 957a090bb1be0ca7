"""The library entry point: `simroute.run(scenario)` returns typed results; the CLI only renders them."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .scenario.schema import Scenario

if TYPE_CHECKING:
    from .summary import RunResult


def resolve(scenario: Scenario | str | Path, *, seed: int | None = None,
            overrides: dict | None = None) -> Scenario:
    """A validated Scenario from a Scenario or a YAML path, with dotted-path overrides and seed applied."""
    from .scenario.loader import load_scenario, scenario_from_dict

    changes = dict(overrides or {})
    if seed is not None:
        changes["seed"] = seed
    if isinstance(scenario, Scenario):
        if not changes:
            return scenario
        return scenario_from_dict(scenario.model_dump(mode="json"), source=scenario.name, overrides=changes)
    return load_scenario(scenario, overrides=changes)


def provenance_of(scenario: Scenario | str | Path, *, seed: int | None = None,
                  overrides: dict | None = None) -> dict[str, str]:
    """YAML path -> where its value comes from: the trailing comment in the scenario file, or the override."""
    from .scenario.provenance import extract_provenance

    found: dict[str, str] = {}
    if not isinstance(scenario, Scenario):
        try:
            found = extract_provenance(Path(scenario).read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, ValueError):
            found = {}
    for path in overrides or {}:
        found[path] = "override: set for this run (--set)"
    if seed is not None:
        found["seed"] = "override: set for this run (--seed)"
    return found


def run(scenario: Scenario | str | Path, *, seed: int | None = None,
        progress: Callable[[int, int], None] | None = None, overrides: dict | None = None,
        replicates: int | None = None, executor=None) -> "RunResult":
    """Simulate every policy of `scenario` (a Scenario or a YAML path) and summarise the economics.

    `progress(done_days, total_days)` is called after each simulated day of the main run. With
    `replicates` N, the scenario is also run under N child seeds (on `executor`, default local worker
    processes) and the result carries the mean and 95% interval of every headline figure.
    """
    sc = resolve(scenario, seed=seed, overrides=overrides)
    reps = None
    if replicates:
        from .replicates import run_replicates
        reps = run_replicates(sc, replicates, executor)
    result = run_resolved(sc, provenance_of(scenario, seed=seed, overrides=overrides), progress)
    return with_replicates(result, reps)


def with_replicates(result: "RunResult", reps) -> "RunResult":
    """`result` carrying a ReplicateSet (or unchanged for None)."""
    from dataclasses import replace
    return result if reps is None else replace(result, replicates=reps)


def run_resolved(scenario: Scenario, provenance: dict[str, str] | None = None,
                 progress: Callable[[int, int], None] | None = None, replicate: int | None = None) -> "RunResult":
    """Simulate and summarise an already validated scenario, carrying its provenance into the results;
    `replicate` k draws from the k-th child of the scenario's seed instead of the seed itself."""
    from dataclasses import replace

    from .engine import simulate
    from .summary import summarize

    return replace(summarize(simulate(scenario, progress, replicate)), provenance=dict(provenance or {}))
