"""OpenTelemetry GenAI spans as JSONL: each line an OTLP/JSON export request (the collector's file exporter),
`{"resourceSpans": [...]}` with spans, or `{"resourceLogs": [...]}` with `gen_ai.evaluation.result` events.

A span is a call when it carries `gen_ai.response.model` or `gen_ai.request.model`. Times come from
`startTimeUnixNano`/`endTimeUnixNano`. Default attributes (a `LogMapping` key names another): tokens
`gen_ai.usage.input_tokens`/`gen_ai.usage.output_tokens` (else the older `gen_ai.usage.prompt_tokens`/
`completion_tokens`), session `gen_ai.conversation.id`, user `enduser.id` (else `user.id`), cost
`gen_ai.usage.cost` (not in the conventions; absent is fine), intent `simroute.intent`. Feedback: evaluation
events named `feedback_name` (`gen_ai.evaluation.name`), as span events or as log records joined by span id
(else `gen_ai.response.id`); a `gen_ai.evaluation.score.value` below `thumbs_down_below` is a thumbs-down.
"""
from __future__ import annotations

from pathlib import Path

import polars as pl

from ..errors import InputError
from .common import UTC_US, check_utf8, existing_file, first_bad, to_bool
from .interface import ImportFormat, LogImporter, LogSet, finish_logs
from .log_table import stack
from .mapping import LogMapping

EVALUATION_EVENT = "gen_ai.evaluation.result"
ANY_VALUE = pl.Struct({"stringValue": pl.Utf8, "intValue": pl.Utf8, "doubleValue": pl.Float64,
                       "boolValue": pl.Boolean})
KEY_VALUES = pl.List(pl.Struct({"key": pl.Utf8, "value": ANY_VALUE}))
EVENT = pl.Struct({"timeUnixNano": pl.Utf8, "name": pl.Utf8, "attributes": KEY_VALUES})
SPAN = pl.Struct({"traceId": pl.Utf8, "spanId": pl.Utf8, "name": pl.Utf8, "startTimeUnixNano": pl.Utf8,
                  "endTimeUnixNano": pl.Utf8, "attributes": KEY_VALUES, "events": pl.List(EVENT)})
LOG_RECORD = pl.Struct({"timeUnixNano": pl.Utf8, "eventName": pl.Utf8, "traceId": pl.Utf8, "spanId": pl.Utf8,
                        "attributes": KEY_VALUES})
SCHEMA = {
    "resourceSpans": pl.List(pl.Struct({"scopeSpans": pl.List(pl.Struct({"spans": pl.List(SPAN)}))})),
    "resourceLogs": pl.List(pl.Struct({"scopeLogs": pl.List(pl.Struct({"logRecords": pl.List(LOG_RECORD)}))})),
}
DEFAULTS: dict[str, tuple[str, ...]] = {
    "model": ("gen_ai.response.model", "gen_ai.request.model"),
    "user_id": ("enduser.id", "user.id"), "session_id": ("gen_ai.conversation.id", "session.id"),
    "tokens_in": ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
    "tokens_out": ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
    "cost_usd": ("gen_ai.usage.cost",), "intent": ("simroute.intent",), "thumbs_down": ()}
NEGATIVE_LABELS = ("thumbs_down", "negative", "bad", "fail", "false")


def attr(key: str, col: str = "attributes") -> pl.Expr:
    """The AnyValue struct of attribute `key` (null when the span does not carry it)."""
    return pl.col(col).list.eval(pl.element().filter(pl.element().struct.field("key") == key)).list.first() \
        .struct.field("value")


def as_text(v: pl.Expr) -> pl.Expr:
    return pl.coalesce(v.struct.field("stringValue"), v.struct.field("intValue"),
                       v.struct.field("doubleValue").cast(pl.Utf8), v.struct.field("boolValue").cast(pl.Utf8))


def as_float(v: pl.Expr) -> pl.Expr:
    return pl.coalesce(v.struct.field("doubleValue"), v.struct.field("intValue").cast(pl.Float64, strict=False),
                       v.struct.field("stringValue").cast(pl.Float64, strict=False))


def nanos(s: pl.Series, path: Path, lines: pl.Series, what: str) -> pl.Series:
    """UTC microseconds from unix-nanosecond text; unreadable values are errors naming the line."""
    ns = s.cast(pl.Int64, strict=False)
    bad = first_bad(ns.is_null() & s.is_not_null())
    if bad is not None:
        raise InputError(f"{path}: line {lines[bad] + 1}: {what}: cannot read '{s[bad]}' as unix nanoseconds "
                         "(expected an integer like \"1717000000000000000\")")
    return (ns // 1000).cast(pl.Datetime("us")).dt.replace_time_zone("UTC").cast(UTC_US)


def number(raw: pl.Series, path: Path, lines: pl.Series, key: str, whole: bool) -> pl.Series:
    """A numeric attribute (Int64 when `whole`); a value that is not such a number is an error naming the line."""
    num = raw.str.strip_chars().cast(pl.Float64, strict=False)
    bad = first_bad((num.is_null() & raw.is_not_null()) | ((num.round(0) != num).fill_null(False) & whole))
    if bad is not None:
        kind = "a whole number" if whole else "a number"
        raise InputError(f"{path}: line {lines[bad] + 1}: attribute '{key}': expected {kind}, got '{raw[bad]}'")
    return num.cast(pl.Int64) if whole else num


def load(path: Path) -> pl.DataFrame:
    existing_file(path)
    try:
        return pl.read_ndjson(path, schema=SCHEMA)
    except Exception as e:  # noqa: BLE001
        check_utf8(path)
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputError(f"{path}: cannot read it as OTLP JSON lines ({first[:200]})") from None


def spans_of(raw: pl.DataFrame) -> pl.DataFrame:
    """One row per span, with the line it came from."""
    return (raw.with_row_index("line").select("line", "resourceSpans").explode("resourceSpans")
            .filter(pl.col("resourceSpans").is_not_null())
            .select("line", pl.col("resourceSpans").struct.field("scopeSpans")).explode("scopeSpans")
            .filter(pl.col("scopeSpans").is_not_null())
            .select("line", pl.col("scopeSpans").struct.field("spans")).explode("spans")
            .filter(pl.col("spans").is_not_null()).unnest("spans"))


def evaluations_of(raw: pl.DataFrame, spans: pl.DataFrame) -> pl.DataFrame:
    """Every evaluation event: span id (or response id), evaluation name, score and label."""
    records = (raw.select("resourceLogs").explode("resourceLogs").filter(pl.col("resourceLogs").is_not_null())
               .select(pl.col("resourceLogs").struct.field("scopeLogs")).explode("scopeLogs")
               .filter(pl.col("scopeLogs").is_not_null())
               .select(pl.col("scopeLogs").struct.field("logRecords")).explode("logRecords")
               .filter(pl.col("logRecords").is_not_null()).unnest("logRecords"))
    records = records.filter(pl.coalesce(pl.col("eventName"), as_text(attr("event.name"))) == EVALUATION_EVENT)
    events = (spans.select("spanId", "events").explode("events").filter(pl.col("events").is_not_null())
              .select("spanId", pl.col("events").struct.field("name"), pl.col("events").struct.field("attributes"))
              .filter(pl.col("name") == EVALUATION_EVENT))
    cols = [pl.col("spanId"), as_text(attr("gen_ai.response.id")).alias("response_id"),
            as_text(attr("gen_ai.evaluation.name")).alias("name"),
            as_float(attr("gen_ai.evaluation.score.value")).alias("score"),
            as_text(attr("gen_ai.evaluation.score.label")).alias("label")]
    return pl.concat([records.select(cols), events.select(cols)])


def feedback(spans: pl.DataFrame, evals: pl.DataFrame, mapping: LogMapping) -> pl.Series:
    """Per span: thumbs-down from its feedback evaluations (by span id, else response id); null without any."""
    ev = evals.filter(pl.col("name") == mapping.feedback_name).with_columns(
        pl.when(pl.col("score").is_not_null()).then(pl.col("score") < mapping.thumbs_down_below)
        .when(pl.col("label").is_not_null()).then(pl.col("label").str.to_lowercase().is_in(NEGATIVE_LABELS))
        .alias("down"))
    by_span = ev.filter(pl.col("spanId").is_not_null()).group_by("spanId").agg(pl.col("down").any().alias("a"))
    by_resp = ev.filter(pl.col("spanId").is_null() & pl.col("response_id").is_not_null()).group_by(
        "response_id").agg(pl.col("down").any().alias("b"))
    calls = spans.select("spanId", as_text(attr("gen_ai.response.id")).alias("response_id"))
    joined = calls.join(by_span, on="spanId", how="left", maintain_order="left").join(
        by_resp, on="response_id", how="left", maintain_order="left")
    return joined.select(pl.coalesce("a", "b")).to_series()


class OtelGenAiSpans(LogImporter):
    format = ImportFormat.otel_jsonl

    def sniff(self, path: Path, head: str) -> bool:
        return path.suffix.lower() in (".jsonl", ".ndjson", ".json") and (
            '"resourceSpans"' in head or '"resourceLogs"' in head)

    def read(self, paths: list[Path], mapping: LogMapping) -> LogSet:
        raws = [load(p) for p in paths]
        evals = pl.concat([evaluations_of(r, spans_of(r)) for r in raws])
        return stack([self._calls(p, r, evals, mapping) for p, r in zip(paths, raws)])

    def _calls(self, path: Path, raw: pl.DataFrame, evals: pl.DataFrame, mapping: LogMapping) -> LogSet:
        spans = spans_of(raw)
        keys = {f: ((getattr(mapping, f),) if getattr(mapping, f) else d) for f, d in DEFAULTS.items()}
        values = spans.select([pl.coalesce([attr(k) for k in ks]).alias(f) if ks else
                               pl.lit(None, dtype=ANY_VALUE).alias(f) for f, ks in keys.items()])
        calls = values["model"].is_not_null()
        if not calls.any():
            raise InputError(f"{path}: no GenAI spans (expected spans with gen_ai.request.model or "
                             "gen_ai.response.model)")
        spans, values = spans.filter(calls), values.filter(calls)
        lines = spans["line"]
        text = values.select([as_text(pl.col(f)).alias(f) for f in ("model", "user_id", "session_id", "intent")])
        cols: dict[str, pl.Series] = {f: text[f] for f in text.columns}
        cols["start_time"] = nanos(spans["startTimeUnixNano"], path, lines, "startTimeUnixNano")
        cols["end_time"] = nanos(spans["endTimeUnixNano"], path, lines, "endTimeUnixNano")
        for f in ("tokens_in", "tokens_out", "cost_usd"):
            cols[f] = number(values.select(as_text(pl.col(f))).to_series(), path, lines, keys[f][0],
                             whole=f != "cost_usd")
        if mapping.thumbs_down is not None:
            cols["thumbs_down"] = to_bool(values.select(as_text(pl.col("thumbs_down"))).to_series(), path,
                                          mapping.thumbs_down)
        else:
            cols["thumbs_down"] = feedback(spans, evals, mapping)
        return finish_logs(cols, path, mapping, str(path), rows=lines)
