"""The results folder's layout: its files, the summary schema version and the scenario hash that ties a folder
to the world it simulated. Writer and reader both read it, so the contract is defined once."""
from __future__ import annotations

import hashlib
from contextlib import AbstractContextManager
from pathlib import Path

from ..atomic import check_output_folder, claim_folder

SUMMARY_SCHEMA_VERSION = 2
MARKER = "summary.json"  # the file that makes a folder a results folder
KIND = "simroute results folder"
FILES = ("summary.json", "daily.parquet", "users_daily.parquet", "ledger.parquet", "ledger.csv",
         "ledger_daily.parquet", "router_scores.parquet", "scenario.resolved.yaml", "monitors.parquet",
         "reliability.parquet", "calibration.parquet", "curves.parquet", "model_reliability.parquet",
         "provenance.json")
TABLES = ("daily", "users_daily", "ledger", "ledger_daily", "monitors", "reliability", "calibration", "curves",
          "model_reliability")


def scenario_hash(resolved_yaml: str) -> str:
    """SHA-256 of the resolved scenario text: two runs with the same hash simulated the same world."""
    return hashlib.sha256(resolved_yaml.encode("utf-8")).hexdigest()


def check_target(out: str | Path) -> None:
    """Fail early (before simulating) when `out` cannot become a results folder."""
    check_output_folder(Path(out), MARKER, KIND)


def claim_target(out: str | Path) -> AbstractContextManager[None]:
    """Hold `out` for a whole run (its lock, stale temporary folders removed, writability checked): a second run
    on the same folder refuses with one line instead of both claiming success."""
    return claim_folder(Path(out), MARKER, KIND)
