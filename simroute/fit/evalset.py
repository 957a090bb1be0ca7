"""A graded side-by-side eval: one row per query, one correctness column per model.

This mirrors `simroute.importers.interface.EvalSet` (built by the importers at the same time); the two are to
be unified at merge, keeping this shape.
"""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

INTENT_NONE = "all"  # the intent of every row when the eval has no category


def correct_col(model: str) -> str:
    """The correctness column of a model."""
    return f"correct:{model}"


@dataclass(frozen=True)
class EvalSet:
    """frame columns: query_id Utf8, intent Utf8 ("all" when none), prompt Utf8?, surface Utf8? (simple/complex),
    regulatory Boolean?, per model m: correct:m Boolean, optional tokens_in:m / tokens_out:m Int64,
    cost_usd:m / latency_s:m / confidence:m Float64."""

    frame: pl.DataFrame
    models: tuple[str, ...]
    source: str
