"""A results folder read back for reporting: checked for its version and its files before anything is drawn,
so a folder from another simroute or with a missing file fails with one line, not a traceback."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import polars as pl
import yaml

from ..errors import ResultsError, ScenarioError
from ..scenario.loader import scenario_from_dict
from ..scenario.policies import TWIN_MARK
from ..scenario.schema import Scenario
from .layout import FILES, SUMMARY_SCHEMA_VERSION, TABLES


@dataclass(frozen=True)
class ResultsBundle:
    """Everything a report or exporter reads from one results folder."""

    folder: Path
    summary: dict
    scenario: Scenario
    provenance: dict[str, str]
    tables: dict[str, pl.DataFrame]

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def baseline(self) -> str:
        return self.summary["baseline_policy"]

    @property
    def policies(self) -> dict[str, dict]:
        return self.summary["policies"]

    @property
    def monitors(self) -> dict[str, dict]:
        return self.summary.get("monitors") or {}

    @cached_property
    def policy_order(self) -> list[str]:
        """Policies in scenario order, twins last; the order every table and colour follows."""
        named = [p.name for p in self.scenario.policies if p.name in self.policies]
        return named + [p for p in self.policies if p not in named]

    def shown_policies(self) -> list[str]:
        """Policies a reader compares: every policy except monitor twins (named 'x~without_monitor')."""
        return [p for p in self.policy_order if TWIN_MARK not in p]

    @cached_property
    def cheap_model(self) -> str:
        """The model with the lowest price per 1k input + output tokens."""
        return min(self.scenario.models,
                   key=lambda m: m.price_in_usd_per_1k_tokens + m.price_out_usd_per_1k_tokens).name


def _read_summary(folder: Path) -> dict:
    path = folder / "summary.json"
    if not path.exists():
        raise ResultsError(f"{folder}: not a simroute results folder (no summary.json)")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ResultsError(f"{path}: cannot read it as JSON ({e})") from None
    version = doc.get("schema_version") if isinstance(doc, dict) else None
    if version != SUMMARY_SCHEMA_VERSION:
        made_by = doc.get("simroute_version", "an unknown version") if isinstance(doc, dict) else "an unknown version"
        raise ResultsError(f"{path}: results schema {version} (written by simroute {made_by}); this simroute "
                           f"reads schema {SUMMARY_SCHEMA_VERSION}: rerun `simroute run` on the scenario")
    return doc


def _read_table(path: Path) -> pl.DataFrame:
    try:
        return pl.read_parquet(path)
    except Exception as e:  # polars raises several error types for a damaged file
        raise ResultsError(f"{path}: cannot read it as Parquet ({type(e).__name__})") from None


def _read_scenario(path: Path) -> Scenario:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return scenario_from_dict(data, source=str(path))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        first = str(getattr(e, "problem", None) or e).splitlines()[0]
        raise ResultsError(f"{path}: cannot read the resolved scenario ({first})") from None
    except ScenarioError as e:
        raise ResultsError(f"{path}: the resolved scenario does not match this simroute ({e.lines[0]})") from None


def load_bundle(folder: str | Path) -> ResultsBundle:
    """Read and check a results folder written by `simroute run`."""
    folder = Path(folder)
    if not folder.exists():
        raise ResultsError(f"{folder}: results folder not found")
    if not folder.is_dir():
        raise ResultsError(f"{folder}: not a folder (expected a results folder written by `simroute run`)")
    summary = _read_summary(folder)
    missing = [f for f in FILES if not (folder / f).exists()]
    if missing:
        raise ResultsError(f"{folder}: incomplete results folder, missing {', '.join(missing)}: rerun "
                           "`simroute run` on the scenario")
    try:
        provenance = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ResultsError(f"{folder / 'provenance.json'}: cannot read it as JSON ({e})") from None
    if not isinstance(provenance, dict) or not all(isinstance(v, str) for v in provenance.values()):
        raise ResultsError(f"{folder / 'provenance.json'}: expected a mapping of YAML paths to text")
    tables = {t: _read_table(folder / f"{t}.parquet") for t in TABLES}
    _check_shape(folder, summary, tables)
    return ResultsBundle(folder, summary, _read_scenario(folder / "scenario.resolved.yaml"), provenance, tables)


SUMMARY_KEYS = ("seed", "baseline_policy", "policies", "drift_onsets", "scenario", "simroute_version")
POLICY_KEYS = ("kind", "window_start_day", "window_end_day", "bill_pct_of_baseline", "ai_platform_usd_per_month",
               "savings_usd_per_month", "invisible_loss_usd_per_month", "net_value_usd_per_month", "trap_ratio",
               "quality", "tier_share", "escalation_share", "latency_p95_s", "churned_users",
               "net_value_usd_over_horizon")
LEDGER_COLUMNS = ("policy", "month", "first_day", "days", "cost_center", "line_item", "usd")


def _check_shape(folder: Path, summary: dict, tables: dict[str, pl.DataFrame]) -> None:
    """The keys and columns the reports read, so a hand-edited or damaged folder fails with one line."""
    path = folder / "summary.json"
    missing = [k for k in SUMMARY_KEYS if k not in summary]
    if missing or not isinstance(summary["policies"], dict) or summary["baseline_policy"] not in summary["policies"]:
        raise ResultsError(f"{path}: damaged summary (missing {', '.join(missing) or 'the baseline policy'})")
    for name, p in summary["policies"].items():
        gone = [k for k in POLICY_KEYS if not isinstance(p, dict) or k not in p]
        if gone:
            raise ResultsError(f"{path}: policies.{name}: missing {', '.join(gone)}")
    cols = [c for c in LEDGER_COLUMNS if c not in tables["ledger"].columns]
    if cols:
        raise ResultsError(f"{folder / 'ledger.parquet'}: missing columns {', '.join(cols)}")
