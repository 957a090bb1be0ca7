"""Production logs as one polars frame, one row per LLM call.

This mirrors `importers.interface.LogSet` (built by the importers); the two are unified at merge.
"""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

UTC_US = pl.Datetime("us", "UTC")

LOG_SCHEMA: dict[str, pl.DataType] = {
    "start_time": UTC_US,
    "end_time": UTC_US,          # nullable
    "model": pl.Utf8(),
    "user_id": pl.Utf8(),        # nullable
    "session_id": pl.Utf8(),     # nullable
    "tokens_in": pl.Int64(),
    "tokens_out": pl.Int64(),
    "cost_usd": pl.Float64(),    # nullable
    "intent": pl.Utf8(),         # nullable
    "thumbs_down": pl.Boolean(),  # nullable
}


@dataclass(frozen=True)
class LogSet:
    """Production LLM calls (`frame`, columns as LOG_SCHEMA) and a name for where they came from."""

    frame: pl.DataFrame
    source: str
