"""The CFO-facing ledger export: one interface, one module per format, a registry keyed by `LedgerFormat`."""
from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum
from pathlib import Path
from typing import ClassVar

from ..atomic import write_file
from ..errors import ResultsError
from ..report.bundle import ResultsBundle


class LedgerFormat(str, Enum):
    xlsx = "xlsx"
    csv = "csv"
    parquet = "parquet"


class LedgerExporter(ABC):
    """Writes a results folder's ledger (and, where the format allows, its summary and assumptions)."""

    format: ClassVar[LedgerFormat]

    @abstractmethod
    def write(self, b: ResultsBundle, path: Path) -> None:
        """Write the export to `path` (a temporary name; the caller renames it into place)."""

    def default_name(self) -> str:
        """The file name in the results folder (not ledger.csv/.parquet, which `run` writes itself)."""
        return f"ledger_export.{self.format.value}"


def export_ledger(b: ResultsBundle, fmt: LedgerFormat, out: Path | None = None) -> Path:
    """Write the ledger in `fmt` atomically to `out` (default: the exporter's name in the results folder)."""
    from . import REGISTRY
    exporter = REGISTRY[LedgerFormat(fmt)]
    path = Path(out) if out is not None else b.folder / exporter.default_name()
    if path.is_dir():
        raise ResultsError(f"--out {path}: is a folder; expected a .{exporter.format.value} file name")
    if path.suffix.lower() != f".{exporter.format.value}":
        raise ResultsError(f"--out {path}: expected a .{exporter.format.value} file for --format "
                           f"{exporter.format.value}")
    return write_file(path, lambda tmp: exporter.write(b, tmp))
