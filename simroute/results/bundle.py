"""A results folder read back for reporting: checked for its version, its files and every file's content (see
contract.py) before anything is drawn, so a damaged folder fails with one line naming the file and field."""
from __future__ import annotations

import json
import stat
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import polars as pl

from ..errors import ResultsError, ScenarioError
from ..scenario.loader import scenario_from_dict
from ..scenario.policies import TWIN_MARK
from ..scenario.schema import Scenario
from ..scenario.yamlread import BoundedLoader, load, read_text
from .contract import check_summary, check_table, kind_of
from .layout import FILES, SUMMARY_SCHEMA_VERSION, TABLES, scenario_hash


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


MAX_JSON_BYTES = 64 * 2**20


def _read_json(path: Path, what: str) -> object:
    """A JSON file within bounds (a regular file, at most MAX_JSON_BYTES, nesting Python can parse)."""
    text = read_text(path, str(path), what, ResultsError, MAX_JSON_BYTES)
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError, ValueError) as e:
        raise ResultsError(f"{path}: cannot read it as JSON ({str(e).splitlines()[0] if str(e) else 'too deep'})") \
            from None


def _read_summary(folder: Path) -> dict:
    path = folder / "summary.json"
    if not path.exists():
        raise ResultsError(f"{folder}: not a simroute results folder (no summary.json)")
    doc = _read_json(path, "summary.json")
    if not isinstance(doc, dict):
        raise ResultsError(f"{path}: expected a JSON object, got {kind_of(doc)}")
    version = doc.get("schema_version")
    if type(version) is not int or version != SUMMARY_SCHEMA_VERSION:
        made_by = doc.get("simroute_version")
        made_by = made_by if isinstance(made_by, str) else "an unknown version"
        found = f"results schema {version}" if type(version) is int else \
            f"schema_version {json.dumps(version)[:40]} ({kind_of(version)}, not a whole number)"
        raise ResultsError(f"{path}: {found} (written by simroute {made_by[:40]}); this simroute reads results "
                           f"schema {SUMMARY_SCHEMA_VERSION}: rerun `simroute run` on the scenario")
    check_summary(doc, path)
    return doc


def _read_table(name: str, path: Path) -> pl.DataFrame:
    try:
        info = path.stat()
    except OSError as e:
        raise ResultsError(f"{path}: cannot read it ({e.strerror or e})") from None
    if not stat.S_ISREG(info.st_mode):
        raise ResultsError(f"{path}: not a regular file (a folder, device or FIFO); expected a Parquet file")
    try:
        frame = pl.read_parquet(path)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # polars raises several error types for a damaged file, and a Rust panic
        raise ResultsError(f"{path}: cannot read it as Parquet ({type(e).__name__})") from None
    check_table(name, frame, path)
    return frame


def _read_scenario(path: Path, sha256: str) -> Scenario:
    """The resolved scenario, refused when it was edited after the run (its hash is in summary.json)."""
    text = read_text(path, str(path), "resolved scenario", ResultsError)
    try:
        data = load(text, str(path), ResultsError, BoundedLoader)  # YAML 1.1 scalars: what safe_dump wrote
    except ResultsError as e:
        raise ResultsError(f"{path}: cannot read the resolved scenario ({e.lines[0].split(': ', 1)[-1]})") \
            from None
    if scenario_hash(text) != sha256:
        raise ResultsError(f"{path}: changed after the run (its SHA-256 does not match summary.json "
                           "scenario.sha256): rerun `simroute run` on the scenario")
    try:
        return scenario_from_dict(data, source=str(path))
    except ScenarioError as e:
        raise ResultsError(f"{path}: the resolved scenario does not match this simroute ({e.lines[0]})") from None


def load_bundle(folder: str | Path) -> ResultsBundle:
    """Read and check a results folder written by `simroute run`: its version, its files, every file's content
    against the contract, and the resolved scenario against its recorded hash."""
    folder = Path(folder)
    try:
        exists, is_dir = folder.exists(), folder.is_dir()
    except (OSError, ValueError) as e:
        raise ResultsError(f"{folder}: cannot look into it ({getattr(e, 'strerror', None) or e})") from None
    if not exists:
        raise ResultsError(f"{folder}: results folder not found")
    if not is_dir:
        raise ResultsError(f"{folder}: not a folder (expected a results folder written by `simroute run`)")
    summary = _read_summary(folder)
    missing = [f for f in FILES if not (folder / f).exists()]
    if missing:
        raise ResultsError(f"{folder}: incomplete results folder, missing {', '.join(missing)}: rerun "
                           "`simroute run` on the scenario")
    provenance = _read_json(folder / "provenance.json", "provenance.json")
    if not isinstance(provenance, dict) or not all(isinstance(v, str) for v in provenance.values()):
        raise ResultsError(f"{folder / 'provenance.json'}: expected a mapping of YAML paths to text")
    tables = {t: _read_table(t, folder / f"{t}.parquet") for t in (*TABLES, "router_scores")}
    scenario = _read_scenario(folder / "scenario.resolved.yaml", summary["scenario"]["sha256"])
    return ResultsBundle(folder, summary, scenario, provenance, tables)
