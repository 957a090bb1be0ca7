"""Ledger as CSV: the monthly ledger table, USD with two decimals."""
from __future__ import annotations

from .content import ledger_rows
from .interface import LedgerExporter, LedgerFormat


class CsvLedger(LedgerExporter):
    format = LedgerFormat.csv

    def write(self, b, path):
        ledger_rows(b).write_csv(path, float_precision=2)
