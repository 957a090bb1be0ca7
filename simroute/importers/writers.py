"""Writers of the formats the importers read: an `EvalSet` as CSV/Parquet/JSONL, a `LogSet` as OpenTelemetry
JSONL, LiteLLM SpendLogs CSV, Langfuse observations + scores, or a generic CSV/Parquet table. What they write
reads back to an equal frame (with the default mapping), so pipelines and round trips can be tested. Every file
is written atomically."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from ..atomic import write_file
from ..errors import InputError
from .interface import EVAL_FORMATS, LOG_FORMATS, EvalSet, ImportFormat, LogSet
from .mapping import FEEDBACK_NAME
from .otel import EVALUATION_EVENT

ISO_UTC = "%Y-%m-%dT%H:%M:%S%.6f+00:00"
LANGFUSE_TIME = "%Y-%m-%d %H:%M:%S%.6f"
SPANS_PER_LINE = 512
EVAL_BY_SUFFIX = {".csv": ImportFormat.eval_csv, ".parquet": ImportFormat.eval_parquet,
                  ".jsonl": ImportFormat.eval_jsonl}


def _table(frame: pl.DataFrame, suffix: str) -> Callable[[Path], None]:
    def write(tmp: Path) -> None:
        if suffix == ".csv":
            frame.write_csv(tmp)
        elif suffix == ".parquet":
            frame.write_parquet(tmp)
        else:
            frame.write_ndjson(tmp)
    return write


def write_eval(evalset: EvalSet, path: Path, fmt: ImportFormat | str | None = None) -> Path:
    """Write the eval as one table in `fmt` (eval_csv/eval_parquet/eval_jsonl, or csv/parquet/jsonl; None: by
    the file's suffix), the frame's own columns, which `read_eval` reads back unchanged."""
    path = Path(path)
    if fmt is None:
        fmt = EVAL_BY_SUFFIX.get(path.suffix.lower())
        if fmt is None:
            raise InputError(f"{path}: cannot tell the eval format from the suffix (expected .csv, .parquet, .jsonl)")
    name = fmt.value if isinstance(fmt, ImportFormat) else str(fmt)
    name = name if name.startswith("eval_") else f"eval_{name}"
    if name not in {f.value for f in EVAL_FORMATS}:
        raise InputError(f"{path}: '{name}' is not an eval format (expected csv, parquet or jsonl)")
    fmt = ImportFormat(name)
    suffix = {ImportFormat.eval_csv: ".csv", ImportFormat.eval_parquet: ".parquet"}.get(fmt, ".jsonl")
    return write_file(path, _table(evalset.frame, suffix))


def write_logs(logset: LogSet, path: Path, fmt: ImportFormat | str, feedback_name: str = FEEDBACK_NAME
               ) -> list[Path]:
    """Write the calls in log format `fmt` to `path` (Langfuse: observations at `path`, scores beside it as
    `<stem>_scores<suffix>`, CSV or JSONL by the suffix); returns the files written."""
    path = Path(path)
    if str(getattr(fmt, "value", fmt)) not in {f.value for f in LOG_FORMATS}:
        raise InputError(f"{path}: '{getattr(fmt, 'value', fmt)}' is not a log format "
                         f"(expected {', '.join(f.value for f in LOG_FORMATS)})")
    fmt = ImportFormat(fmt)
    frame = logset.frame
    if fmt is ImportFormat.generic_parquet:
        return [write_file(path, _table(frame, ".parquet"))]
    if fmt is ImportFormat.generic_csv:
        return [write_file(path, _table(_iso_times(frame), ".csv"))]
    if fmt is ImportFormat.litellm_csv:
        return [write_file(path, _table(litellm_frame(frame), ".csv"))]
    if fmt is ImportFormat.langfuse:
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".jsonl"):
            raise InputError(f"{path}: a Langfuse export is .csv or .jsonl")
        obs, scores = langfuse_frames(frame, feedback_name, as_json=suffix == ".jsonl")
        scores_path = path.with_name(f"{path.stem}_scores{path.suffix}")
        return [write_file(path, _table(obs, suffix)), write_file(scores_path, _table(scores, suffix))]
    return [write_file(path, lambda tmp: write_otel(frame, tmp, feedback_name))]


def _iso_times(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col("start_time", "end_time").dt.to_string(ISO_UTC))


def litellm_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The LiteLLM_SpendLogs columns (intent and feedback as keys of the `metadata` JSON)."""
    n = frame.height
    return frame.select(
        pl.format("req-{}", pl.int_range(1, n + 1)).alias("request_id"), pl.lit("acompletion").alias("call_type"),
        pl.col("cost_usd").alias("spend"), (pl.col("tokens_in") + pl.col("tokens_out")).alias("total_tokens"),
        pl.col("tokens_in").alias("prompt_tokens"), pl.col("tokens_out").alias("completion_tokens"),
        pl.col("start_time").dt.to_string(ISO_UTC).alias("startTime"),
        pl.col("end_time").dt.to_string(ISO_UTC).alias("endTime"),
        pl.col("model"), pl.col("model").alias("model_group"), pl.lit(None, dtype=pl.Utf8).alias("user"),
        pl.col("user_id").alias("end_user"), pl.col("session_id"),
        pl.struct(pl.col("intent"), pl.col("thumbs_down")).struct.json_encode().alias("metadata"))


def langfuse_frames(frame: pl.DataFrame, feedback_name: str, as_json: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Enriched observations (one GENERATION per call, its own trace) and the feedback scores on them."""
    n = frame.height
    usage = pl.struct(pl.col("tokens_in").alias("input"), pl.col("tokens_out").alias("output"),
                      (pl.col("tokens_in") + pl.col("tokens_out")).alias("total"))
    meta = pl.struct(pl.col("intent"))
    obs = frame.with_columns(pl.format("obs-{}", pl.int_range(1, n + 1)).alias("id"),
                             pl.format("trace-{}", pl.int_range(1, n + 1)).alias("trace_id")).select(
        "id", "trace_id", pl.lit("GENERATION").alias("type"), pl.lit("llm-call").alias("name"),
        pl.col("start_time").dt.to_string(LANGFUSE_TIME), pl.col("end_time").dt.to_string(LANGFUSE_TIME),
        pl.col("model").alias("provided_model_name"), (usage if as_json else usage.struct.json_encode())
        .alias("usage_details"), pl.col("cost_usd").alias("total_cost"), "user_id", "session_id",
        (meta if as_json else meta.struct.json_encode()).alias("metadata"), "thumbs_down")
    scores = obs.filter(pl.col("thumbs_down").is_not_null()).select(
        pl.format("score-{}", pl.col("id")).alias("id"), "trace_id", pl.col("id").alias("observation_id"),
        pl.lit(feedback_name).alias("name"), pl.when(pl.col("thumbs_down")).then(0.0).otherwise(1.0).alias("value"),
        pl.lit("BOOLEAN").alias("data_type"), pl.lit("API").alias("source"))
    return obs.drop("thumbs_down"), scores


def _kv(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    return {"key": key, "value": {"stringValue": value}}


def _envelope(kind: str, items: list[dict[str, Any]]) -> str:
    scope, inner = ("scopeSpans", "spans") if kind == "resourceSpans" else ("scopeLogs", "logRecords")
    return json.dumps({kind: [{"resource": {"attributes": [_kv("service.name", "simroute")]},
                               scope: [{"scope": {"name": "simroute"}, inner: items}]}]}, separators=(",", ":"))


def _nanos(t: Any) -> str | None:
    return None if t is None else str(int(t) * 1000)


def write_otel(frame: pl.DataFrame, tmp: Path, feedback_name: str) -> None:
    """OTLP/JSON lines: spans in batches, then the feedback as `gen_ai.evaluation.result` log records."""
    cols = frame.with_columns(pl.col("start_time", "end_time").dt.epoch("us")).to_dict(as_series=False)
    optional = (("session_id", "gen_ai.conversation.id"), ("user_id", "enduser.id"), ("cost_usd", "gen_ai.usage.cost"),
                ("intent", "simroute.intent"))
    with tmp.open("w", encoding="utf-8") as fh:
        spans: list[dict[str, Any]] = []
        records: list[dict[str, Any]] = []
        for i in range(frame.height):
            trace_id, span_id = f"{i + 1:032x}", f"{i + 1:016x}"
            model = cols["model"][i]
            attrs = [_kv("gen_ai.operation.name", "chat"), _kv("gen_ai.request.model", model),
                     _kv("gen_ai.response.model", model), _kv("gen_ai.usage.input_tokens", int(cols["tokens_in"][i])),
                     _kv("gen_ai.usage.output_tokens", int(cols["tokens_out"][i]))]
            attrs += [_kv(key, cols[c][i]) for c, key in optional if cols[c][i] is not None]
            span = {"traceId": trace_id, "spanId": span_id, "name": f"chat {model}", "kind": 3,
                    "startTimeUnixNano": _nanos(cols["start_time"][i]), "attributes": attrs}
            if cols["end_time"][i] is not None:
                span["endTimeUnixNano"] = _nanos(cols["end_time"][i])
            spans.append(span)
            down = cols["thumbs_down"][i]
            if down is not None:
                records.append({"timeUnixNano": _nanos(cols["end_time"][i] or cols["start_time"][i]),
                                "eventName": EVALUATION_EVENT, "traceId": trace_id, "spanId": span_id,
                                "attributes": [_kv("gen_ai.evaluation.name", feedback_name),
                                               _kv("gen_ai.evaluation.score.value", 0.0 if down else 1.0),
                                               _kv("gen_ai.evaluation.score.label",
                                                   "thumbs_down" if down else "thumbs_up")]})
            if len(spans) == SPANS_PER_LINE:
                fh.write(_envelope("resourceSpans", spans) + "\n")
                spans = []
        if spans:
            fh.write(_envelope("resourceSpans", spans) + "\n")
        for start in range(0, len(records), SPANS_PER_LINE):
            fh.write(_envelope("resourceLogs", records[start:start + SPANS_PER_LINE]) + "\n")
