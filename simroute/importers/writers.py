"""Writers of the formats the importers read: an `EvalSet` as CSV/Parquet/JSONL, a `LogSet` as OpenTelemetry
JSONL, LiteLLM SpendLogs CSV, Langfuse observations + scores, or a generic CSV/Parquet table. What they write
reads back to an equal frame (with the default mapping), so pipelines and round trips can be tested. Every file
is written atomically."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
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


def _json_text(col: pl.Expr, frame: pl.DataFrame, name: str) -> pl.Expr:
    """A text column as JSON string literals, escaped as `json.dumps` escapes them (ASCII text without quotes,
    backslashes or control characters as is; other values escaped once per distinct value)."""
    s = frame[name]
    if not s.str.contains(r'[^ !#-\[\]-~]').fill_null(False).any():
        return pl.concat_str(pl.lit('"'), col, pl.lit('"'))
    distinct = s.drop_nulls().unique()
    escaped = pl.Series([json.dumps(v) for v in distinct.to_list()], dtype=pl.Utf8)
    return col.replace_strict(distinct, escaped, default=None, return_dtype=pl.Utf8)


def _float_text(frame: pl.DataFrame, name: str) -> pl.Series:
    """A float column as Python writes floats (numpy's shortest round-trip text is the same as `repr`)."""
    values = frame[name]
    text = values.fill_null(0.0).to_numpy().astype(str)
    return pl.Series(name, text, dtype=pl.Utf8).set(values.is_null(), None)


def _attr(key: str, kind: str, value: pl.Expr) -> pl.Expr:
    """One OTLP key-value as JSON text (`value` already JSON text); null when the value is."""
    return pl.concat_str(pl.lit(f'{{"key":{json.dumps(key)},"value":{{"{kind}":'), value, pl.lit("}}"))


def _envelope_lines(items: pl.Series, kind: str) -> pl.Series:
    """Items (JSON objects as text) as OTLP export requests of `SPANS_PER_LINE` items each."""
    scope, inner = ("scopeSpans", "spans") if kind == "resourceSpans" else ("scopeLogs", "logRecords")
    resource = '{"attributes":[{"key":"service.name","value":{"stringValue":"simroute"}}]}'
    head = f'{{"{kind}":[{{"resource":{resource},"{scope}":[{{"scope":{{"name":"simroute"}},"{inner}":['
    frame = pl.DataFrame({"item": items}).with_row_index("i").with_columns(pl.col("i") // SPANS_PER_LINE)
    joined = frame.group_by("i", maintain_order=True).agg(pl.col("item").str.join(","))
    return joined.select(pl.concat_str(pl.lit(head), pl.col("item"), pl.lit("]}]}]}"))).to_series()


def write_otel(frame: pl.DataFrame, tmp: Path, feedback_name: str) -> None:
    """OTLP/JSON lines: spans in batches, then the feedback as `gen_ai.evaluation.result` log records; the JSON
    is built column-wise with polars string expressions (key order and number text as `json.dumps` writes)."""
    n = frame.height
    span_hex = pl.Series("span", _hex(n), dtype=pl.Utf8)
    trace_hex = pl.concat_str(pl.lit("0" * 16), pl.col("span")).alias("trace")
    model = _json_text(pl.col("model"), frame, "model")
    nanos = {c: (pl.col(c).dt.epoch("us") * 1000).cast(pl.Utf8) for c in ("start_time", "end_time")}
    quoted = {c: pl.concat_str(pl.lit('"'), e, pl.lit('"')) for c, e in nanos.items()}
    work = frame.with_columns(span_hex, _float_text(frame, "cost_usd").alias("_cost")).with_columns(trace_hex)
    optional = [_attr("gen_ai.conversation.id", "stringValue", _json_text(pl.col("session_id"), frame, "session_id")),
                _attr("enduser.id", "stringValue", _json_text(pl.col("user_id"), frame, "user_id")),
                _attr("gen_ai.usage.cost", "doubleValue", pl.col("_cost")),
                _attr("simroute.intent", "stringValue", _json_text(pl.col("intent"), frame, "intent"))]
    attrs = pl.concat_list([
        pl.lit('{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}}'),
        _attr("gen_ai.request.model", "stringValue", model), _attr("gen_ai.response.model", "stringValue", model),
        _attr("gen_ai.usage.input_tokens", "intValue", pl.format('"{}"', pl.col("tokens_in"))),
        _attr("gen_ai.usage.output_tokens", "intValue", pl.format('"{}"', pl.col("tokens_out"))),
        *optional]).list.drop_nulls().list.join(",")
    span = pl.concat_str(
        pl.lit('{"traceId":"'), pl.col("trace"), pl.lit('","spanId":"'), pl.col("span"), pl.lit('","name":"chat '),
        model.str.slice(1), pl.lit(',"kind":3,"startTimeUnixNano":'), quoted["start_time"].fill_null("null"),
        pl.lit(',"attributes":['), attrs, pl.lit("]"),
        pl.concat_str(pl.lit(',"endTimeUnixNano":'), quoted["end_time"]).fill_null(""), pl.lit("}"))
    label = pl.when(pl.col("thumbs_down")).then(pl.lit("0.0")).otherwise(pl.lit("1.0"))
    record = pl.concat_str(
        pl.lit('{"timeUnixNano":'), pl.coalesce(quoted["end_time"], quoted["start_time"]).fill_null("null"),
        pl.lit(f',"eventName":{json.dumps(EVALUATION_EVENT)},"traceId":"'), pl.col("trace"),
        pl.lit('","spanId":"'), pl.col("span"),
        pl.lit(f'","attributes":[{{"key":"gen_ai.evaluation.name","value":{{"stringValue":{json.dumps(feedback_name)}}}}},'
               '{"key":"gen_ai.evaluation.score.value","value":{"doubleValue":'), label,
        pl.lit('}},{"key":"gen_ai.evaluation.score.label","value":{"stringValue":"'),
        pl.when(pl.col("thumbs_down")).then(pl.lit("thumbs_down")).otherwise(pl.lit("thumbs_up")), pl.lit('"}}]}'))
    items = work.select(span.alias("span"), pl.when(pl.col("thumbs_down").is_not_null()).then(record).alias("rec"))
    lines = pl.concat([_envelope_lines(items["span"], "resourceSpans"),
                       _envelope_lines(items["rec"].drop_nulls(), "resourceLogs")])
    with tmp.open("w", encoding="utf-8") as fh:
        if lines.len():
            fh.write("\n".join(lines.to_list()) + "\n")


def _hex(n: int) -> np.ndarray:
    """The ids 1..n as 16-digit zero-padded lower-case hex, built digit by digit in numpy."""
    digits = np.array(list("0123456789abcdef"))
    v = np.arange(1, n + 1, dtype=np.uint64)
    shifts = np.arange(15, -1, -1, dtype=np.uint64) * np.uint64(4)
    chars = np.ascontiguousarray(digits[((v[:, None] >> shifts) & np.uint64(15)).astype(np.int64)])
    return chars.view("<U16").ravel() if n else np.array([], dtype="<U16")
