"""Eval results as JSONL files (one row per query; a folder of them is one eval)."""
from __future__ import annotations

from .eval_table import EvalTableImporter
from .interface import ImportFormat


class EvalJsonl(EvalTableImporter):
    format = ImportFormat.eval_jsonl
