"""The ledger exporter interface: what one export format implements."""
from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum
from pathlib import Path
from typing import ClassVar

from ..results import ResultsBundle


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
