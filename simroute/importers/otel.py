"""OpenTelemetry GenAI spans as JSONL: each line an OTLP/JSON export request (the collector's file exporter),
`{"resourceSpans": [...]}` with spans, or `{"resourceLogs": [...]}` with `gen_ai.evaluation.result` events.

A span is a call when it carries `gen_ai.response.model` or `gen_ai.request.model`. Times come from
`startTimeUnixNano`/`endTimeUnixNano`. Default attributes (a `LogMapping` key names another): tokens
`gen_ai.usage.input_tokens`/`gen_ai.usage.output_tokens` (else the older `gen_ai.usage.prompt_tokens`/
`completion_tokens`), session `gen_ai.conversation.id`, user `enduser.id` (else `user.id`), cost
`gen_ai.usage.cost` (not in the conventions; absent is fine), intent `simroute.intent`. Feedback: evaluation
events named `feedback_name` (`gen_ai.evaluation.name`), as span events or as log records joined by span id
(else `gen_ai.response.id`); a `gen_ai.evaluation.score.value` below `thumbs_down_below` is a thumbs-down.

Reading: the Arrow fast path (`otlp_arrow`) first, which hands each block's spans to `Calls` as it reads them (so
only typed calls outlive a block); a file it cannot take, and any error, goes through the line-by-line reader
here, which names the line.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import InputError
from .common import UTC_US, check_utf8, existing_file, first_bad, to_bool
from .interface import LOG_COLUMNS, ImportFormat, LogImporter, LogSet, finish_logs
from .log_table import stack
from .mapping import LogMapping
from .otlp_arrow import EVALUATION_EVENT, read_otlp

CHUNK_SPANS = 100_000
RESPONSE_ID = "gen_ai.response.id"
EVAL_ATTRIBUTES = {"response_id": RESPONSE_ID, "name": "gen_ai.evaluation.name",
                   "score": "gen_ai.evaluation.score.value", "label": "gen_ai.evaluation.score.label"}
EVAL_COLUMNS = ("spanId", *EVAL_ATTRIBUTES)
DEFAULTS: dict[str, tuple[str, ...]] = {
    "model": ("gen_ai.response.model", "gen_ai.request.model"),
    "user_id": ("enduser.id", "user.id"), "session_id": ("gen_ai.conversation.id", "session.id"),
    "tokens_in": ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
    "tokens_out": ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
    "cost_usd": ("gen_ai.usage.cost",), "intent": ("simroute.intent",), "thumbs_down": ()}
NEGATIVE_LABELS = ("thumbs_down", "negative", "bad", "fail", "false")


def text_of(value: Any) -> str | None:
    """An OTLP AnyValue as text (numbers as written, booleans as true/false); None for arrays and maps."""
    if not isinstance(value, dict):
        return None
    for kind in ("stringValue", "intValue", "doubleValue", "boolValue"):
        if kind in value and value[kind] is not None:
            v = value[kind]
            return ("true" if v else "false") if isinstance(v, bool) else str(v)
    return None


def attributes(items: Any, keys: frozenset[str]) -> dict[str, str | None]:
    """The wanted attributes of an OTLP key-value list, as text."""
    out: dict[str, str | None] = {}
    for kv in items or ():
        key = kv.get("key")
        if key in keys:
            out[key] = text_of(kv.get("value"))
    return out


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


@dataclass
class Parsed:
    """One file's spans (a column per wanted attribute, as text; collected in chunks of frames so a large file
    never holds all its values as Python objects) and its evaluation events."""

    spans: dict[str, list[Any]] = field(default_factory=dict)
    chunks: list[pl.DataFrame] = field(default_factory=list)

    def flush(self) -> None:
        """Move the collected span values into a frame."""
        if self.spans["line"]:
            self.chunks.append(pl.DataFrame(self.spans, schema={k: (pl.Int64 if k == "line" else pl.Utf8)
                                                                for k in self.spans}))
            for values in self.spans.values():
                values.clear()

    def frame(self) -> pl.DataFrame:
        self.flush()
        if not self.chunks:
            return pl.DataFrame(schema={k: (pl.Int64 if k == "line" else pl.Utf8) for k in self.spans})
        return pl.concat(self.chunks) if len(self.chunks) > 1 else self.chunks[0]
    evals: dict[str, list[Any]] = field(default_factory=lambda: {k: [] for k in EVAL_COLUMNS})


def load(path: Path, keys: frozenset[str]) -> Parsed:
    """The careful path: walk the file's OTLP export requests line by line with a plain JSON parse, keeping only
    the attributes in `keys`; it accepts what the Arrow fast path's schema does not (integers written as JSON
    numbers) and locates what is wrong (bad bytes, a line that is not JSON, a bad value) to its line."""
    existing_file(path)
    got = Parsed(spans={k: [] for k in ("line", "spanId", "startTimeUnixNano", "endTimeUnixNano", *keys)})
    span_cols, ev = got.spans, got.evals
    eval_keys = frozenset(EVAL_ATTRIBUTES.values()) | {"event.name"}
    line_no = 0
    try:
        with path.open("r", encoding="utf-8") as fh:
            for line_no, line in enumerate(fh):
                if len(span_cols["line"]) >= CHUNK_SPANS:
                    got.flush()
                if not line.strip():
                    continue
                try:
                    doc = json.loads(line)
                except json.JSONDecodeError as e:
                    raise InputError(f"{path}: line {line_no + 1}: not JSON ({e.msg} at column {e.colno})") from None
                if not isinstance(doc, dict):
                    raise InputError(f"{path}: line {line_no + 1}: expected an OTLP export object")
                for rs in doc.get("resourceSpans") or ():
                    for ss in rs.get("scopeSpans") or ():
                        for span in ss.get("spans") or ():
                            attrs = attributes(span.get("attributes"), keys)
                            span_cols["line"].append(line_no)
                            span_id = span.get("spanId")
                            span_cols["spanId"].append(span_id)
                            span_cols["startTimeUnixNano"].append(_text(span.get("startTimeUnixNano")))
                            span_cols["endTimeUnixNano"].append(_text(span.get("endTimeUnixNano")))
                            for k in keys:
                                span_cols[k].append(attrs.get(k))
                            for event in span.get("events") or ():
                                if event.get("name") == EVALUATION_EVENT:
                                    _evaluation(ev, span_id, attributes(event.get("attributes"), eval_keys))
                for rl in doc.get("resourceLogs") or ():
                    for sl in rl.get("scopeLogs") or ():
                        for rec in sl.get("logRecords") or ():
                            attrs = attributes(rec.get("attributes"), eval_keys)
                            if (rec.get("eventName") or attrs.get("event.name")) == EVALUATION_EVENT:
                                _evaluation(ev, rec.get("spanId") or None, attrs)
    except UnicodeDecodeError:
        check_utf8(path)
        raise
    except (AttributeError, TypeError) as e:
        raise InputError(f"{path}: line {line_no + 1}: not an OTLP/JSON export request ({e})") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read it ({e.strerror or e})") from None
    return got


def _text(v: Any) -> str | None:
    return None if v is None else str(v)


def _evaluation(ev: dict[str, list[Any]], span_id: str | None, attrs: dict[str, str | None]) -> None:
    ev["spanId"].append(span_id)
    for col, key in EVAL_ATTRIBUTES.items():
        ev[col].append(attrs.get(key))


def feedback_events(evals: pl.DataFrame, mapping: LogMapping) -> pl.DataFrame:
    """The feedback evaluations among `evals` as (spanId, response_id, down): what the join to the calls needs,
    so a block's other evaluation columns are freed with the block."""
    score = pl.col("score").cast(pl.Float64, strict=False)
    return evals.filter(pl.col("name") == mapping.feedback_name).select(
        "spanId", "response_id",
        pl.when(score.is_not_null()).then(score < mapping.thumbs_down_below)
        .when(pl.col("label").is_not_null()).then(pl.col("label").str.to_lowercase().is_in(NEGATIVE_LABELS))
        .alias("down"))


def feedback(calls: pl.DataFrame, events: pl.DataFrame) -> pl.Series:
    """Per call: thumbs-down from its feedback events (by span id, else response id): true when one of them is
    negative, false when it has some and none is, null without any. Set membership instead of a group-by and
    join, so no second frame of ids is built beside the calls."""
    by_span = events.filter(pl.col("spanId").is_not_null())
    by_resp = events.filter(pl.col("spanId").is_null() & pl.col("response_id").is_not_null())
    ids = calls.select("spanId", pl.col(RESPONSE_ID).alias("response_id"))
    return ids.select(pl.coalesce(_verdict(by_span, "spanId"), _verdict(by_resp, "response_id"))).to_series()


def _verdict(events: pl.DataFrame, key: str) -> pl.Expr:
    """True where `key` is the key of a negative event, false where it is the key of other events only, else
    null (as `any` over the key's events after a left join)."""
    down = events.filter(pl.col("down"))[key]
    return pl.when(pl.col(key).is_in(down.implode())).then(True).when(
        pl.col(key).is_in(events[key].implode())).then(False)


@dataclass(frozen=True)
class Calls:
    """Turns one file's spans into typed calls. The fast path calls it on each block as the block is read, so the
    wide text frame of a whole file's spans never lives beside the calls (the read's memory peak was there)."""

    path: Path
    keys: dict[str, tuple[str, ...]]
    mapping: LogMapping

    def __call__(self, spans: pl.DataFrame, evals: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """A block's calls and feedback events (the `read_otlp` hook)."""
        return self.calls(spans), feedback_events(evals, self.mapping)

    def calls(self, spans: pl.DataFrame | None) -> pl.DataFrame:
        """The calls among `spans`: line, spanId, response id and the typed call columns; a value that is not what
        its field needs is an error naming the line."""
        path, keys = self.path, self.keys
        assert spans is not None
        values = spans.select([pl.coalesce([pl.col(k) for k in ks]).alias(f) if ks else
                               pl.lit(None, dtype=pl.Utf8).alias(f) for f, ks in keys.items()])
        calls = values["model"].is_not_null()
        spans = spans.select("line", "spanId", "startTimeUnixNano", "endTimeUnixNano", RESPONSE_ID)
        if not calls.all():  # only the columns used below are copied, and only when some spans are not calls
            spans, values = spans.filter(calls), values.filter(calls)
        lines = spans["line"]
        cols = {"line": lines, "spanId": spans["spanId"], RESPONSE_ID: spans[RESPONSE_ID]}
        cols |= {f: values[f] for f in ("model", "user_id", "session_id", "intent")}
        cols["start_time"] = nanos(spans["startTimeUnixNano"], path, lines, "startTimeUnixNano")
        cols["end_time"] = nanos(spans["endTimeUnixNano"], path, lines, "endTimeUnixNano")
        for f in ("tokens_in", "tokens_out", "cost_usd"):
            cols[f] = number(values[f], path, lines, keys[f][0], whole=f != "cost_usd")
        if self.mapping.thumbs_down is not None:
            cols["thumbs_down"] = to_bool(values["thumbs_down"], path, self.mapping.thumbs_down)
        return pl.DataFrame(cols)


@dataclass(frozen=True)
class Loaded:
    """A file as loaded: its calls (the fast path, line numbers not exact: an error is located afresh) or its
    spans as the careful reader read them (turned into calls in file order, errors named exactly), and its
    feedback events."""

    calls: pl.DataFrame | None
    spans: pl.DataFrame | None
    events: pl.DataFrame


def _careful(c: Calls, wanted: frozenset[str]) -> Loaded:
    got = load(c.path, wanted)
    evals = pl.DataFrame(got.evals, schema={k: pl.Utf8 for k in EVAL_COLUMNS})
    return Loaded(None, got.frame(), feedback_events(evals, c.mapping))


def _load(c: Calls, wanted: frozenset[str]) -> Loaded:
    """A file through the Arrow fast path when it fits its schema and its values are good, else through the
    careful line-by-line reader (which reports what is wrong)."""
    try:
        fast = read_otlp(c.path, wanted, EVAL_ATTRIBUTES, c)
    except InputError:
        fast = None
    return Loaded(fast[0], None, fast[1]) if fast is not None else _careful(c, wanted)


class OtelGenAiSpans(LogImporter):
    format = ImportFormat.otel_jsonl

    def sniff(self, path: Path, head: str) -> bool:
        return path.suffix.lower() in (".jsonl", ".ndjson", ".json") and (
            '"resourceSpans"' in head or '"resourceLogs"' in head)

    def read(self, paths: list[Path], mapping: LogMapping) -> LogSet:
        keys = {f: ((getattr(mapping, f),) if getattr(mapping, f) else d) for f, d in DEFAULTS.items()}
        wanted = frozenset(k for ks in keys.values() for k in ks) | {RESPONSE_ID}
        makers = [Calls(p, keys, mapping) for p in paths]
        loaded: list[Loaded | None] = [_load(c, wanted) for c in makers]
        events = pl.concat([x.events for x in loaded if x is not None])
        sets = []
        for i, c in enumerate(makers):
            got, loaded[i] = loaded[i], None  # this file's frames are freed once its calls are made
            assert got is not None
            try:
                sets.append(self._finish(c, got.calls if got.calls is not None else c.calls(got.spans), events))
            except InputError:
                if got.calls is None:
                    raise
                del got
                sets.append(self._finish(c, c.calls(load(c.path, wanted).frame()), events))  # locates it
        return stack(sets)

    def _finish(self, c: Calls, calls: pl.DataFrame, events: pl.DataFrame) -> LogSet:
        """One file's calls as a `LogSet` (thumbs-down from every file's feedback events when not mapped)."""
        if calls.height == 0:
            raise InputError(f"{c.path}: no GenAI spans (expected spans with gen_ai.request.model or "
                             "gen_ai.response.model)")
        cols = {f: calls[f] for f in calls.columns if f in LOG_COLUMNS}
        if c.mapping.thumbs_down is None:
            cols["thumbs_down"] = feedback(calls, events)
        return finish_logs(cols, c.path, c.mapping, str(c.path), rows=calls["line"])
