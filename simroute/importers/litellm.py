"""LiteLLM proxy SpendLogs exported as CSV (the LiteLLM_SpendLogs table), one row per request.

Defaults: start_time `startTime`, end_time `endTime`, model `model` (else `model_group`), user_id `end_user`
(else `user`), session_id `session_id`, tokens_in `prompt_tokens`, tokens_out `completion_tokens`, cost_usd
`spend`, intent `metadata.intent`, thumbs_down `metadata.thumbs_down` (JSON keys inside `metadata`).
"""
from __future__ import annotations

from pathlib import Path

from .common import csv_header, scan_table
from .interface import ImportFormat, LogImporter, LogSet
from .log_table import Defaults, needed_columns, read_log_table, stack
from .mapping import LogMapping

LITELLM = Defaults({
    "start_time": ("startTime",), "end_time": ("endTime",), "model": ("model", "model_group"),
    "user_id": ("end_user", "user"), "session_id": ("session_id",), "tokens_in": ("prompt_tokens",),
    "tokens_out": ("completion_tokens",), "cost_usd": ("spend",), "intent": ("metadata.intent",),
    "thumbs_down": ("metadata.thumbs_down",)})
MARKERS = ("startTime", "prompt_tokens", "spend")


class LiteLLMSpendLogs(LogImporter):
    format = ImportFormat.litellm_csv

    def sniff(self, path: Path, head: str) -> bool:
        return path.suffix.lower() == ".csv" and all(m in csv_header(path) for m in MARKERS)

    def read(self, paths: list[Path], mapping: LogMapping) -> LogSet:
        cols = needed_columns(mapping, LITELLM)
        return stack([read_log_table(scan_table(p, "LiteLLM SpendLogs CSV", cols), p, mapping, LITELLM)
                      for p in paths])
