"""Logs as a plain CSV or Parquet table, one row per call, with mapped columns.

Default columns (each a `LogMapping` key of the same name): start_time, end_time (or latency_s), model,
user_id, session_id, tokens_in, tokens_out, cost_usd, intent, thumbs_down.
"""
from __future__ import annotations

from pathlib import Path

from .common import scan_table
from .interface import ImportFormat, LogImporter, LogSet
from .log_table import FIELDS, Defaults, needed_columns, read_log_table, stack
from .mapping import LogMapping

GENERIC = Defaults({f: (f,) for f in FIELDS})


class _GenericLogs(LogImporter):
    suffix = ""

    def read(self, paths: list[Path], mapping: LogMapping) -> LogSet:
        what = f"a {self.suffix[1:].upper()} log table"
        return stack([read_log_table(scan_table(p, what, needed_columns(mapping, GENERIC)), p, mapping, GENERIC)
                      for p in paths])


class GenericCsvLogs(_GenericLogs):
    format = ImportFormat.generic_csv
    suffix = ".csv"

    def sniff(self, path: Path, head: str) -> bool:
        return path.suffix.lower() == ".csv"


class GenericParquetLogs(_GenericLogs):
    format = ImportFormat.generic_parquet
    suffix = ".parquet"

    def sniff(self, path: Path, head: str) -> bool:
        return path.suffix.lower() == ".parquet"
