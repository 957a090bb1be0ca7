"""The graded side-by-side eval the fitters read (`EvalSet`, from the importers) and its column names."""
from __future__ import annotations

from ..importers.interface import EvalSet

__all__ = ["INTENT_NONE", "EvalSet", "correct_col"]

INTENT_NONE = "all"  # the intent of every row when the eval has no category


def correct_col(model: str) -> str:
    """The correctness column of a model."""
    return f"correct:{model}"
