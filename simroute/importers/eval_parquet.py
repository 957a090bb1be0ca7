"""Eval results as PARQUET files (one row per query; a folder of them is one eval)."""
from __future__ import annotations

from .eval_table import EvalTableImporter
from .interface import ImportFormat


class EvalParquet(EvalTableImporter):
    format = ImportFormat.eval_parquet
