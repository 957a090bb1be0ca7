"""Writing a results folder: Parquet tables, the ledger (Parquet + CSV), summary.json and the resolved scenario.

Written into a temporary sibling folder and renamed into place, so a failed run never leaves a half-written
folder behind. summary.json is a documented contract (see README, "summary.json").
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import polars as pl

from ..atomic import replacing_folder
from ..metrics import SCORE_BINS
from ..scenario.loader import dump_resolved
from ..summary import RunResult
from ..version import __version__
from .layout import KIND, MARKER, SUMMARY_SCHEMA_VERSION, scenario_hash

Finish = Callable[[Path], None]


def json_safe(x):
    """JSON-safe: NaN/inf become null, numpy scalars become Python numbers."""
    if isinstance(x, dict):
        return {k: json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_safe(v) for v in x]
    if isinstance(x, (np.floating, float)):
        return None if not math.isfinite(float(x)) else float(x)
    if isinstance(x, np.integer):
        return int(x)
    return x


def summary_document(result: RunResult, resolved_yaml: str) -> dict:
    """The summary.json contract as a dict."""
    s = result.output.scenario
    steady: dict[str, object] = {"rule": "explicit" if result.window else "per_policy",
              "note": "monthly figures are totals over each policy's [window_start_day, window_end_day) scaled "
                      "to 30-day months; deltas are against baseline_policy over the same days and traffic"}
    if result.window:
        steady.update(start_day=result.window[0], end_day=result.window[1])
    policies = result.summary_dict()
    if result.replicates is not None:
        for name, figures in result.replicates.intervals.items():
            if name in policies:
                policies[name]["intervals"] = {m: {"mean": iv.mean, "low": iv.low, "high": iv.high}
                                               for m, iv in figures.items()}
    doc = {
        "schema_version": SUMMARY_SCHEMA_VERSION,
        "simroute_version": __version__,
        "scenario": {"name": s.name, "sha256": scenario_hash(resolved_yaml)},
        "seed": s.seed,
        "horizon_days": s.horizon_days,
        "baseline_policy": result.baseline,
        "steady_state": steady,
        "drift_onsets": [{"day": d, "change": c} for d, c in result.output.drift_onsets],
        "policies": policies,
        "monitors": {k: asdict(v) for k, v in result.monitors.items()},
        "calibration": result.calibration_summary,
    }
    if result.replicates is not None:
        doc["replicates"] = result.replicates.document()
    return json_safe(doc)


def _scores_table(result: RunResult) -> pl.DataFrame:
    frames = []
    for pol, d in result.output.days.items():
        if not d.score_hist.any():
            continue
        h = d.score_hist.shape[0]
        frames.append(pl.DataFrame({
            "day": np.repeat(np.arange(h, dtype=np.int32), SCORE_BINS), "policy": [pol] * (h * SCORE_BINS),
            "bin_low": np.tile(np.arange(SCORE_BINS) / SCORE_BINS, h), "count": d.score_hist.reshape(-1)}))
    if not frames:
        return pl.DataFrame(schema={"day": pl.Int32, "policy": pl.Utf8, "bin_low": pl.Float64, "count": pl.Int64})
    return pl.concat(frames)


def write_results(result: RunResult, out: str | Path, finish: Finish | None = None) -> Path:
    """Write every results file into `out` atomically (replacing an existing results folder). `finish` runs on
    the complete temporary folder before it is published: the layers above add their reports there, so the
    folder appears with everything or not at all."""
    with replacing_folder(Path(out), MARKER, KIND) as tmp:
        _write_all(result, tmp)
        if finish is not None:
            finish(tmp)
    return Path(out)


def _write_all(result: RunResult, folder: Path) -> None:
    resolved = dump_resolved(result.output.scenario)
    (folder / "scenario.resolved.yaml").write_text(resolved, encoding="utf-8")
    doc = summary_document(result, resolved)
    (folder / "summary.json").write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    result.daily.write_parquet(folder / "daily.parquet")
    result.users_daily.write_parquet(folder / "users_daily.parquet")
    result.ledger.write_parquet(folder / "ledger.parquet")
    result.ledger.write_csv(folder / "ledger.csv", float_precision=2)
    result.ledger_daily.write_parquet(folder / "ledger_daily.parquet")
    _scores_table(result).write_parquet(folder / "router_scores.parquet")
    empty = pl.DataFrame()
    (result.monitor_series if result.monitor_series is not None else empty).write_parquet(
        folder / "monitors.parquet")
    (result.reliability if result.reliability is not None else empty).write_parquet(folder / "reliability.parquet")
    (result.calibration if result.calibration is not None else empty).write_parquet(folder / "calibration.parquet")
    (result.curves if result.curves is not None else empty).write_parquet(folder / "curves.parquet")
    (result.model_reliability if result.model_reliability is not None else empty).write_parquet(
        folder / "model_reliability.parquet")
    if result.replicates is not None:
        result.replicates.table.write_parquet(folder / "replicates.parquet")
    (folder / "provenance.json").write_text(json.dumps(result.provenance, indent=2, sort_keys=True) + "\n",
                                            encoding="utf-8")
