"""The results folder: its layout, writing it atomically, and reading it back (checked) for reports and exports."""
from __future__ import annotations

from .bundle import ResultsBundle, load_bundle
from .layout import FILES, SUMMARY_SCHEMA_VERSION, TABLES, check_target, claim_target, scenario_hash
from .writer import Finish, json_safe, summary_document, write_results

__all__ = ["FILES", "SUMMARY_SCHEMA_VERSION", "TABLES", "Finish", "ResultsBundle", "check_target", "claim_target",
           "json_safe", "load_bundle", "scenario_hash", "summary_document", "write_results"]
