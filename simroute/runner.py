"""The core run step: simulate and summarise one validated scenario. The API, replicate and sweep tasks, and the
regression gate all run scenarios through here, so none of them imports a layer above it."""
from __future__ import annotations

from dataclasses import replace

from .engine import Progress, simulate
from .scenario.schema import Scenario
from .summary import RunResult, summarize


def run_resolved(scenario: Scenario, provenance: dict[str, str] | None = None,
                 progress: Progress | None = None, replicate: int | None = None) -> RunResult:
    """Simulate and summarise an already validated scenario, carrying its provenance into the results;
    `replicate` k draws from the k-th child of the scenario's seed instead of the seed itself. What the day
    source did (a replay's router and confidence) joins the provenance under its YAML path."""
    result = summarize(simulate(scenario, progress, replicate))
    return replace(result, provenance={**(provenance or {}), **result.output.notes})
