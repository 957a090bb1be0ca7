"""Eval results as CSV files (one row per query; a folder of them is one eval)."""
from __future__ import annotations

from .eval_table import EvalTableImporter
from .interface import ImportFormat


class EvalCsv(EvalTableImporter):
    format = ImportFormat.eval_csv
