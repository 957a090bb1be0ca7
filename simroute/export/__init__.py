"""The CFO-facing ledger export: one interface, one module per format, a registry keyed by `LedgerFormat`."""
from __future__ import annotations

from pathlib import Path

from ..atomic import write_file
from ..errors import ResultsError
from ..results import ResultsBundle
from .columnar import ParquetLedger
from .delimited import CsvLedger
from .interface import LedgerExporter, LedgerFormat
from .spreadsheet import XlsxLedger

REGISTRY: dict[LedgerFormat, LedgerExporter] = {e.format: e for e in (XlsxLedger(), CsvLedger(), ParquetLedger())}


def export_ledger(b: ResultsBundle, fmt: LedgerFormat, out: Path | None = None) -> Path:
    """Write the ledger in `fmt` atomically to `out` (default: the exporter's name in the results folder)."""
    exporter = REGISTRY[LedgerFormat(fmt)]
    path = Path(out) if out is not None else b.folder / exporter.default_name()
    if path.is_dir():
        raise ResultsError(f"--out {path}: is a folder; expected a .{exporter.format.value} file name")
    if path.suffix.lower() != f".{exporter.format.value}":
        raise ResultsError(f"--out {path}: expected a .{exporter.format.value} file for --format "
                           f"{exporter.format.value}")
    return write_file(path, lambda tmp: exporter.write(b, tmp))


__all__ = ["REGISTRY", "LedgerExporter", "LedgerFormat", "export_ledger"]
