"""The fast path of the OpenTelemetry reader: OTLP/JSON lines parsed by Arrow's JSON reader against an explicit
schema (only the fields a call needs, the rest skipped) in blocks, then flattened with polars: spans, their
wanted attributes as text columns, and `gen_ai.evaluation.result` events from spans and log records.

An `intValue` written as a JSON number (JavaScript exporters do; protojson writes text) is quoted by a regex pass
and the file read again. Anything else the schema does not fit (a line that is not an object, bad bytes, a
number where text belongs) makes `read_otlp` return None, and the careful line-by-line reader in `otel` decides
and reports it.
"""
from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

BLOCK_BYTES = 1 << 22  # Arrow's JSON blocks; a line longer than this takes the careful path
EVALUATION_EVENT = "gen_ai.evaluation.result"
_VALUE = pa.struct([("stringValue", pa.string()), ("intValue", pa.string()), ("doubleValue", pa.float64()),
                    ("boolValue", pa.bool_())])
_KV = pa.list_(pa.struct([("key", pa.string()), ("value", _VALUE)]))
_SPAN = pa.struct([("spanId", pa.string()), ("startTimeUnixNano", pa.string()), ("endTimeUnixNano", pa.string()),
                   ("attributes", _KV), ("events", pa.list_(pa.struct([("name", pa.string()), ("attributes", _KV)])))])
_RECORD = pa.struct([("spanId", pa.string()), ("eventName", pa.string()), ("attributes", _KV)])
SCHEMA = pa.schema([
    ("resourceSpans", pa.list_(pa.struct([("scopeSpans", pa.list_(pa.struct([("spans", pa.list_(_SPAN))])))]))),
    ("resourceLogs", pa.list_(pa.struct([("scopeLogs", pa.list_(pa.struct([("logRecords", pa.list_(_RECORD))])))])))])


def _text_value() -> pl.Expr:
    """An OTLP AnyValue struct as text, as the careful reader writes it (booleans as true/false)."""
    v = pl.col("value")
    return pl.coalesce(v.struct.field("stringValue"), v.struct.field("intValue"),
                       v.struct.field("doubleValue").cast(pl.Utf8),
                       pl.when(v.struct.field("boolValue")).then(pl.lit("true"))
                       .when(v.struct.field("boolValue").not_()).then(pl.lit("false")))


def _down(frame: pl.DataFrame, outer: str, inner: str) -> pl.DataFrame:
    """Explode list column `outer` and keep its struct field `inner` (one level of the OTLP envelope)."""
    return frame.explode(outer).select(pl.exclude(outer), pl.col(outer).struct.field(inner)).filter(
        pl.col(inner).is_not_null())


def _wide(items: pl.DataFrame, key_col: str, keys: list[str]) -> pl.DataFrame:
    """Per `key_col` row: the attributes named in `keys` as text columns (the last one wins, as in the careful
    reader), nulls where absent. Works on the Arrow attribute lists: their items flattened once, their values as
    text once, and each key's values placed in its column by the row they came from (no explode, no pivot)."""
    n = items.height
    lists = items["attributes"].to_arrow()
    if isinstance(lists, pa.ChunkedArray):
        lists = lists.combine_chunks()
    flat = pl.from_arrow(lists.flatten())
    rows = np.asarray(pc.list_parent_indices(lists))
    assert isinstance(flat, pl.Series)
    code = flat.struct.field("key").replace_strict(keys, range(len(keys)), default=-1, return_dtype=pl.Int32)
    wanted = (code >= 0).to_numpy()
    codes, rows = code.to_numpy()[wanted], rows[wanted]
    order = np.argsort(codes, kind="stable")  # by key, each key's rows ascending
    codes, rows = codes[order], rows[order]
    picked = wanted.nonzero()[0][order]
    text = pl.DataFrame({"value": flat.struct.field("value").gather(picked)}).select(_text_value()).to_series()
    bounds = np.searchsorted(codes, np.arange(len(keys) + 1))
    cols = [items[key_col]]
    for i, k in enumerate(keys):
        lo, hi = bounds[i], bounds[i + 1]
        at = rows[lo:hi]
        col = pl.Series(k, dtype=pl.Utf8).extend_constant(None, n)
        if len(at):
            last = np.append(at[1:] != at[:-1], True)  # a key given twice on one row keeps its last value
            col = col.scatter(at[last], text.slice(lo, hi - lo).filter(pl.Series(last)))
        cols.append(col)
    return pl.DataFrame(cols)


def _spans(batch: pl.DataFrame, keys: list[str], first_row: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One block's spans (columns line, spanId, start/end nanos as text, one per key) and its span events."""
    lines = batch.select(pl.int_range(first_row, first_row + batch.height, dtype=pl.Int64).alias("line"),
                         "resourceSpans").filter(pl.col("resourceSpans").is_not_null())
    spans = _down(_down(lines, "resourceSpans", "scopeSpans"), "scopeSpans", "spans").explode("spans")
    spans = spans.filter(pl.col("spans").is_not_null()).unnest("spans").with_row_index("_span")
    wide = _wide(spans, "_span", keys)
    out = spans.select("_span", "line", "spanId", "startTimeUnixNano", "endTimeUnixNano").join(
        wide, on="_span", how="left", maintain_order="left")
    events = (spans.select("spanId", "events").explode("events").filter(pl.col("events").is_not_null())
              .unnest("events").filter(pl.col("name") == EVALUATION_EVENT).with_row_index("_ev"))
    return out.drop("_span"), events


def _records(batch: pl.DataFrame) -> pl.DataFrame:
    """One block's log records (spanId, eventName, attributes)."""
    logs = batch.select("resourceLogs").filter(pl.col("resourceLogs").is_not_null())
    recs = _down(_down(logs, "resourceLogs", "scopeLogs"), "scopeLogs", "logRecords").explode("logRecords")
    return recs.filter(pl.col("logRecords").is_not_null()).unnest("logRecords").with_row_index("_ev")


def _evaluations(events: pl.DataFrame, records: pl.DataFrame, eval_keys: dict[str, str]) -> pl.DataFrame:
    """Evaluation events as rows of spanId plus the `eval_keys` columns (column → attribute), as text."""
    keys = [*eval_keys.values(), "event.name"]
    ev = events.select("_ev", "spanId").join(_wide(events, "_ev", keys), on="_ev", how="left",
                                             maintain_order="left")
    rec = records.select("_ev", pl.col("spanId").replace("", None), "eventName").join(
        _wide(records, "_ev", keys), on="_ev", how="left", maintain_order="left").filter(
        pl.coalesce("eventName", "event.name") == EVALUATION_EVENT)
    cols = [pl.col("spanId").cast(pl.Utf8)] + [pl.col(a).alias(c) for c, a in eval_keys.items()]
    return pl.concat([ev.select(cols), rec.select(cols)])


def _copy(col: str) -> pl.Expr:
    """A text column in fresh memory (a zero-copy column would keep the whole Arrow block alive)."""
    return pl.concat_str(pl.col(col), pl.lit(""))


def _own(spans: pl.DataFrame) -> pl.DataFrame | None:
    """A block's spans in their own memory, the times as integers; None when a time is not an integer (the
    careful reader names its line)."""
    times = ("startTimeUnixNano", "endTimeUnixNano")
    typed = spans.with_columns(_copy("spanId"), *[pl.col(t).cast(pl.Int64, strict=False) for t in times])
    if any((typed[t].is_null() & spans[t].is_not_null()).any() for t in times):
        return None
    return typed


def is_utf8(path: Path) -> bool:
    """Whether the whole file is UTF-8 (Arrow's JSON reader does not check), read in blocks (an ASCII block, the
    usual case, is checked at memory speed)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while block := fh.read(BLOCK_BYTES):
                if not (block.isascii() and not decoder.getstate()[0]):
                    decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


class _IntNumbers(Exception):
    """The file writes an `intValue` as a JSON number (the schema reads text): read it again with them quoted."""


INT_NUMBER = r'"intValue"([ \t\r\n]*:[ \t\r\n]*)(-?[0-9]+)([ \t\r\n]*[,}])'


def _line_blocks(path: Path) -> Iterator[bytes]:
    """The file in blocks of about `BLOCK_BYTES`, each of whole lines."""
    with path.open("rb") as fh:
        carry = b""
        while chunk := fh.read(BLOCK_BYTES):
            block = carry + chunk
            cut = block.rfind(b"\n") + 1
            carry = block[cut:] if cut else block
            if cut:
                yield block[:cut]
        if carry:
            yield carry


def _batches(path: Path, quote_ints: bool) -> Iterator[pa.RecordBatch]:
    """The file's record batches under `SCHEMA`; with `quote_ints`, each `intValue` written as a JSON integer is
    first quoted (a regex on the raw text: the key's quotes cannot occur unescaped inside a JSON string)."""
    read = pj.ReadOptions(block_size=BLOCK_BYTES, use_threads=False)
    parse = pj.ParseOptions(explicit_schema=SCHEMA, unexpected_field_behavior="ignore")
    if not quote_ints:
        yield from pj.open_json(path, read_options=read, parse_options=parse)
        return
    for block in _line_blocks(path):
        text = pl.Series([block.decode("utf-8")]).str.replace_all(INT_NUMBER, '"intValue"${1}"${2}"${3}')
        yield from pj.read_json(pa.BufferReader(text[0].encode("utf-8")), read_options=read,
                                parse_options=parse).to_batches()


Block = Callable[[pl.DataFrame, pl.DataFrame], tuple[pl.DataFrame, pl.DataFrame]]


def read_otlp(path: Path, keys: frozenset[str], eval_keys: dict[str, str], per_block: Block | None = None
              ) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The file's spans (line, spanId, startTimeUnixNano, endTimeUnixNano and a text column per key in `keys`)
    and its evaluation events (spanId and the columns of `eval_keys`), or None when the file needs the careful
    reader. `line` counts the file's non-blank lines (exact when it has none; errors are located afresh).
    `per_block` turns each block's spans and events into what is kept of them (so only that outlives the block);
    its errors propagate."""
    try:
        if not is_utf8(path):
            return None
        try:
            return _read(path, sorted(keys), eval_keys, per_block, quote_ints=False)
        except _IntNumbers:
            return _read(path, sorted(keys), eval_keys, per_block, quote_ints=True)
    except (pa.ArrowException, OSError, UnicodeDecodeError, pl.exceptions.PolarsError, _IntNumbers):
        return None


def _read(path: Path, wanted: list[str], eval_keys: dict[str, str], per_block: Block | None, quote_ints: bool
          ) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """`read_otlp`'s read of the file's batches; raises `_IntNumbers` when the file writes an `intValue` as a
    number (Arrow's message names the column; a test pins it) so that it is read again with them quoted."""
    span_parts: list[pl.DataFrame] = []
    eval_parts: list[pl.DataFrame] = []
    row = 0
    batches = _batches(path, quote_ints)
    while True:
        try:
            record_batch = next(batches)
        except StopIteration:
            break
        except pa.ArrowInvalid as e:
            if not quote_ints and "intValue) changed from string to number" in str(e):
                raise _IntNumbers from None
            raise
        batch = pl.from_arrow(record_batch)
        assert isinstance(batch, pl.DataFrame)
        spans, events = _spans(batch, wanted, row)
        typed = _own(spans)
        if typed is None:
            return None
        evals = _evaluations(events, _records(batch), eval_keys).with_columns(_copy("spanId"))
        if per_block is not None:
            typed, evals = per_block(typed, evals)
        span_parts.append(typed)
        eval_parts.append(evals)
        row += batch.height
        del batch, spans, events, record_batch, typed, evals
    if not span_parts:
        return None
    return pl.concat(span_parts), pl.concat(eval_parts)
