"""LiteLLM proxy SpendLogs exported as CSV (the LiteLLM_SpendLogs table), one row per request.

Defaults: start_time `startTime`, end_time `endTime`, model `model` (else `model_group`), user_id `end_user`
(else `user`), session_id `session_id`, tokens_in `prompt_tokens`, tokens_out `completion_tokens`, cost_usd
`spend`, intent `metadata.intent`, thumbs_down `metadata.thumbs_down` (JSON keys inside `metadata`).

Failed calls: a row whose `status` (the SpendLogs column; else `metadata.status`) is set and is not `success`
is a failed request (the proxy logs failures too, with no completion): it is left out of the calls, so of
every fit of tokens, latency and prices, and the source names how many were left out (the fit report's
"Fitted from" line). An empty `response` is not a failure: the proxy stores no response text by default.
"""
from __future__ import annotations

from pathlib import Path

import polars as pl

from ..errors import InputError
from .common import csv_header, json_field, scan_table
from .interface import ImportFormat, LogImporter, LogSet, finish_logs
from .log_table import Defaults, convert, gather, needed_columns, read_log_table, stack
from .mapping import LogMapping

LITELLM = Defaults({
    "start_time": ("startTime",), "end_time": ("endTime",), "model": ("model", "model_group"),
    "user_id": ("end_user", "user"), "session_id": ("session_id",), "tokens_in": ("prompt_tokens",),
    "tokens_out": ("completion_tokens",), "cost_usd": ("spend",), "intent": ("metadata.intent",),
    "thumbs_down": ("metadata.thumbs_down",)})
MARKERS = ("startTime", "prompt_tokens", "spend")
STATUS = "status"
SUCCESS = "success"


def failed_calls(raw: pl.DataFrame, path: Path) -> pl.Series:
    """Per row, whether the request failed: its status (column, else the `status` key of `metadata`) is set
    and is not `success`."""
    if STATUS in raw.columns:
        status = raw[STATUS].cast(pl.Utf8)
    elif "metadata" in raw.columns:
        status = json_field(raw["metadata"], STATUS, path, "metadata")
    else:
        return pl.Series([False] * raw.height)
    s = status.str.strip_chars().str.to_lowercase().replace("", None)
    return (s != SUCCESS).fill_null(False)


class LiteLLMSpendLogs(LogImporter):
    format = ImportFormat.litellm_csv

    def sniff(self, path: Path, head: str) -> bool:
        return path.suffix.lower() == ".csv" and all(m in csv_header(path) for m in MARKERS)

    def read(self, paths: list[Path], mapping: LogMapping) -> LogSet:
        cols = [*needed_columns(mapping, LITELLM), STATUS]
        return stack([self._file(p, scan_table(p, "LiteLLM SpendLogs CSV", cols), mapping) for p in paths])

    def _file(self, path: Path, raw: pl.DataFrame, mapping: LogMapping) -> LogSet:
        failed = failed_calls(raw, path)
        n_failed = int(failed.sum())
        if n_failed == 0:
            return read_log_table(raw, path, mapping, LITELLM)
        if n_failed == raw.height:
            raise InputError(f"{path}: all {raw.height:,} calls failed (column '{STATUS}' not '{SUCCESS}'); "
                             "expected successful calls to fit")
        source = f"{path} ({n_failed:,} of {raw.height:,} calls failed, status not {SUCCESS}: left out of the fits)"
        cols = convert(gather(raw, path, mapping, LITELLM), path, mapping)  # errors name the file's own lines
        keep = ~failed
        rows = pl.Series(range(raw.height)).filter(keep)
        return finish_logs({k: v.filter(keep) for k, v in cols.items()}, path, mapping, source, rows)
