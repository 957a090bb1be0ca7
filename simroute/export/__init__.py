"""Ledger exporters, one module per format, registered by `LedgerFormat`."""
from __future__ import annotations

from .columnar import ParquetLedger
from .delimited import CsvLedger
from .interface import LedgerExporter, LedgerFormat, export_ledger
from .spreadsheet import XlsxLedger

REGISTRY: dict[LedgerFormat, LedgerExporter] = {e.format: e for e in (XlsxLedger(), CsvLedger(), ParquetLedger())}

__all__ = ["REGISTRY", "LedgerExporter", "LedgerFormat", "export_ledger"]
