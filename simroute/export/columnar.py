"""Ledger as Parquet: the monthly ledger table with typed columns."""
from __future__ import annotations

from .content import ledger_rows
from .interface import LedgerExporter, LedgerFormat


class ParquetLedger(LedgerExporter):
    format = LedgerFormat.parquet

    def write(self, b, path):
        ledger_rows(b).write_parquet(path)
