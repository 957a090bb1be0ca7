"""Langfuse exports (blob-storage or UI export, CSV or JSONL): observation files, one row per observation (only
GENERATION rows are calls), and score files joined on `observation_id` (else `trace_id`) for user feedback.

Defaults: start_time `start_time`, end_time `end_time`, model `provided_model_name`, user_id `user_id`,
session_id `session_id`, tokens_in `usage_details.input` (else `.prompt_tokens`, `.input_tokens`), tokens_out
`usage_details.output` (else `.completion_tokens`, `.output_tokens`), cost_usd `total_cost`, intent
`metadata.intent`; thumbs_down from scores named `feedback_name` whose `value` is below `thumbs_down_below`.
A file with `name` and `value` columns and no `start_time` is a score file.

Legacy exports (the older observation export and the public API's observation objects) are read too: model
`model`, tokens from `usage.input`/`usage.output` (else `usage.promptTokens`/`usage.completionTokens`, or
top-level `promptTokens`/`completionTokens`), cost `calculated_total_cost` (else `calculatedTotalCost`,
`totalCost`), camelCase `startTime`, `endTime`, `userId`, `sessionId`, `traceId`; each used only where the
current name is absent.

Failed calls: a GENERATION whose `level` is `ERROR` (Langfuse's observation levels are DEBUG, DEFAULT, WARNING
and ERROR; an SDK marks a failed LLM call ERROR, with its `status_message`) is left out of the calls, so of every
fit of tokens, latency and prices, and the source names how many were left out (the fit report's "Fitted from"
line), as LiteLLM's failed rows are.
"""
from __future__ import annotations

from pathlib import Path

import polars as pl

from ..errors import InputError
from .common import csv_header, scan_table, to_number
from .interface import ImportFormat, LogImporter, LogSet, finish_logs
from .log_table import Defaults, convert, gather, needed_columns, stack
from .mapping import LogMapping

LANGFUSE = Defaults({
    "start_time": ("start_time", "startTime"), "end_time": ("end_time", "endTime"),
    "model": ("provided_model_name", "model"), "user_id": ("user_id", "userId"),
    "session_id": ("session_id", "sessionId"),
    "tokens_in": ("usage_details.input", "usage_details.prompt_tokens", "usage_details.input_tokens", "usage.input",
                  "usage.promptTokens", "promptTokens"),
    "tokens_out": ("usage_details.output", "usage_details.completion_tokens", "usage_details.output_tokens",
                   "usage.output", "usage.completionTokens", "completionTokens"),
    "cost_usd": ("total_cost", "calculated_total_cost", "calculatedTotalCost", "totalCost"),
    "intent": ("metadata.intent",)})
LEGACY_MARKERS = ("promptTokens", "calculated_total_cost", "calculatedTotalCost")
SCORE_COLUMNS = ("name", "value", "observation_id", "trace_id", "observationId", "traceId")
LEGACY_SCORE_NAMES = {"observationId": "observation_id", "traceId": "trace_id"}
LEVEL = "level"
FAILED_LEVEL = "ERROR"


def _columns(path: Path) -> list[str]:
    if path.suffix.lower() == ".csv":
        return csv_header(path)
    try:
        return pl.scan_ndjson(path, infer_schema_length=100).collect_schema().names()
    except Exception:  # noqa: BLE001 - an unreadable file is reported when it is read
        return []


def is_score_file(path: Path) -> bool:
    cols = _columns(path)
    return "value" in cols and "name" in cols and "start_time" not in cols and "startTime" not in cols


def read_feedback(paths: list[Path], mapping: LogMapping) -> pl.DataFrame | None:
    """Per observation id and per trace id, whether user feedback was a thumbs-down (None: no score files)."""
    if not paths:
        return None
    frames = []
    for p in paths:
        raw = scan_table(p, "a Langfuse score export", SCORE_COLUMNS)
        raw = raw.rename({old: new for old, new in LEGACY_SCORE_NAMES.items()
                          if old in raw.columns and new not in raw.columns})
        if raw.height == 0:
            continue
        for c in ("name", "value"):
            if c not in raw.columns:
                raise InputError(f"{p}: column '{c}' not found (expected a Langfuse score export)")
        raw = raw.filter(pl.col("name").cast(pl.Utf8) == mapping.feedback_name)
        value = to_number(raw["value"], p, "value", pl.Float64())
        frames.append(pl.DataFrame({
            "observation_id": raw["observation_id"].cast(pl.Utf8) if "observation_id" in raw.columns
            else pl.Series([None] * raw.height, dtype=pl.Utf8),
            "trace_id": raw["trace_id"].cast(pl.Utf8) if "trace_id" in raw.columns
            else pl.Series([None] * raw.height, dtype=pl.Utf8),
            "down": value < mapping.thumbs_down_below}))
    return pl.concat(frames) if frames else None


def join_feedback(ids: pl.Series, traces: pl.Series, scores: pl.DataFrame) -> pl.Series:
    """Thumbs-down per observation: its own scores, else its trace's; null when neither has feedback."""
    by_obs = scores.filter(pl.col("observation_id").is_not_null()).group_by("observation_id").agg(
        pl.col("down").any().alias("obs"))
    by_trace = scores.filter(pl.col("observation_id").is_null() & pl.col("trace_id").is_not_null()).group_by(
        "trace_id").agg(pl.col("down").any().alias("trace"))
    calls = pl.DataFrame({"observation_id": ids, "trace_id": traces})
    joined = calls.join(by_obs, on="observation_id", how="left", maintain_order="left").join(
        by_trace, on="trace_id", how="left", maintain_order="left")
    return joined.select(pl.coalesce("obs", "trace").alias("thumbs_down")).to_series()


class LangfuseExport(LogImporter):
    format = ImportFormat.langfuse

    def sniff(self, path: Path, head: str) -> bool:
        if path.suffix.lower() not in (".csv", ".jsonl", ".ndjson"):
            return False
        cols = _columns(path)
        legacy = "model" in cols and ("usage" in cols or any(m in cols for m in LEGACY_MARKERS)) and (
            "start_time" in cols or "startTime" in cols)
        return "provided_model_name" in cols or legacy or ("observation_id" in cols and "value" in cols)

    def read(self, paths: list[Path], mapping: LogMapping) -> LogSet:
        for p in paths:
            if not p.is_file():
                raise InputError(f"{p}: file not found")
        score_files = [p for p in paths if is_score_file(p)]
        obs_files = [p for p in paths if p not in score_files]
        if not obs_files:
            raise InputError(f"{paths[0]}: only score files given (expected a Langfuse observations export too)")
        scores = read_feedback(score_files, mapping)
        return stack([self._observations(p, mapping, scores) for p in obs_files])

    def _observations(self, path: Path, mapping: LogMapping, scores: pl.DataFrame | None) -> LogSet:
        raw = scan_table(path, "a Langfuse observations export",
                         needed_columns(mapping, LANGFUSE) + ["id", "trace_id", "traceId", "type", LEVEL])
        if raw.height == 0:
            raise InputError(f"{path}: no rows (expected at least one GENERATION observation)")
        cols = convert(gather(raw, path, mapping, LANGFUSE), path, mapping)
        n = raw.height
        if mapping.thumbs_down is None and scores is not None:
            ids = raw["id"].cast(pl.Utf8) if "id" in raw.columns else pl.Series([None] * n, dtype=pl.Utf8)
            trace_col = next((c for c in ("trace_id", "traceId") if c in raw.columns), None)
            traces = raw[trace_col].cast(pl.Utf8) if trace_col else pl.Series([None] * n, dtype=pl.Utf8)
            cols["thumbs_down"] = join_feedback(ids, traces, scores)
        keep = (raw["type"].cast(pl.Utf8).str.to_uppercase() == "GENERATION").fill_null(False) \
            if "type" in raw.columns else pl.Series([True] * n)
        if not keep.any():
            raise InputError(f"{path}: no rows of type GENERATION (expected at least one LLM call)")
        failed = keep & (raw[LEVEL].cast(pl.Utf8).str.strip_chars().str.to_uppercase() == FAILED_LEVEL).fill_null(
            False) if LEVEL in raw.columns else pl.Series([False] * n)
        n_failed, n_calls = int(failed.sum()), int(keep.sum())
        if n_failed == n_calls:
            raise InputError(f"{path}: all {n_calls:,} calls failed (column '{LEVEL}' is {FAILED_LEVEL}); "
                             "expected successful calls to fit")
        source = str(path) if not n_failed else (
            f"{path} ({n_failed:,} of {n_calls:,} calls failed, {LEVEL} {FAILED_LEVEL}: left out of the fits)")
        keep = keep & ~failed
        rows = pl.Series(range(n)).filter(keep)
        return finish_logs({k: v.filter(keep) for k, v in cols.items()}, path, mapping, source, rows)
