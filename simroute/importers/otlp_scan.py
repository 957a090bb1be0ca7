"""The fastest path of the OpenTelemetry reader, for compact OTLP/JSON as the collector's file exporter and
simroute write it (one resource and scope per line, a span starting with its `traceId`, a log record with its
`timeUnixNano`, attributes key first): each line is split into its items at those starts with polars string
kernels, without a JSON parse, and only the fields a call needs are pulled out of each item by key.

Nothing is guessed: every item must match a strict grammar of a compact span or log record (so it is one whole
item, any field order, its attributes in the compact key-first form, span events, status and unknown scalar
fields allowed), the line's envelope (the text before the first item, closed) must parse as JSON with the
items where the careful reader looks for them, and a key wanted twice in one item is refused. A file with
anything else (whitespace between tokens, several resources on a line, links, escaped keys, bad bytes) gets
None, and the Arrow path, then the careful reader, takes it.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from .otlp_arrow import EVALUATION_EVENT

BLOCK_BYTES = 1 << 26  # lines are read and taken apart in blocks of about this many bytes
STR = r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"'
NUM = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"
SCALAR = f"(?:{STR}|{NUM}|true|false|null)"
KINDS = "stringValue|intValue|doubleValue|boolValue"
PLAIN_KEY = r'"[^"\\\x00-\x1f]*"'  # a key written without escapes (one with escapes goes to the careful path)


def _list(item: str) -> str:
    return rf"\[(?:(?:{item})(?:,(?:{item}))*)?\]"


def _object(member: str) -> str:
    return rf"\{{(?:(?:{member})(?:,(?:{member}))*)?\}}"


def _member(key: str, value: str) -> str:
    return f'"{key}":(?:{value})'


_ANY = f"{PLAIN_KEY}:{SCALAR}"  # an unknown field with a scalar value (every reader ignores it)
_ONE = _member(f"(?:{KINDS}|bytesValue)", SCALAR)
_SCALAR_VALUE = rf"\{{(?:{_ONE})?\}}"  # an AnyValue has one field (a oneof), or none
_ARRAY = _member("arrayValue", rf"\{{(?:{_member('values', _list(_SCALAR_VALUE) + '|null')})?\}}")
KV = rf'\{{"key":{PLAIN_KEY}(?:,"value":(?:\{{(?:{_ONE}|{_ARRAY})?\}}|null))?\}}'
_ATTRS = _member("attributes", _list(KV) + "|null")
EVENT = _object(f"{_ATTRS}|{_ANY}")
EVENTS = _member("events", _list(EVENT) + "|null")
_SPAN_FIELD = f"{_ATTRS}|{EVENTS}|{_member('status', _object(_ANY) + '|null')}|{_ANY}"
_KVLIST = _member("kvlistValue", rf"\{{(?:{_member('values', _list(KV) + '|null')})?\}}")
BODY = _member("body", rf"\{{(?:{_ONE}|{_ARRAY}|{_KVLIST})?\}}|null")
_RECORD_FIELD = f"{_ATTRS}|{BODY}|{_ANY}"
STARTS = {"spans": '{"traceId":', "logRecords": '{"timeUnixNano":'}  # where the lines are split into items
# an item after its start (the first field's value, the other fields, the closing brace), then `,` or the tail
TAIL = "]}]}]}"  # closes the items' list, scope, scope list, resource, resource list and the line
REST = {kind: rf"^{SCALAR}(?:,(?:{field}))*\}}(?:,|{re.escape(TAIL)})$"
        for kind, field in (("spans", _SPAN_FIELD), ("logRecords", _RECORD_FIELD))}


def _lines(block: bytes) -> pl.Series:
    """A block of whole lines as a text Series (no copy: offsets into the block, the newlines skipped)."""
    ends, at = [], block.find(b"\n")
    while at >= 0:  # a loop per line, not per byte or item: a line holds hundreds of spans
        ends.append(at)
        at = block.find(b"\n", at + 1)
    if not ends or ends[-1] != len(block) - 1:
        ends.append(len(block))
    stops = np.asarray(ends, np.int64)
    offsets = np.empty(2 * len(stops), np.int64)  # line i is item 2i, its newline item 2i + 1
    offsets[0], offsets[1::2], offsets[2::2] = 0, stops, np.minimum(stops[:-1] + 1, len(block))
    arr = pa.LargeStringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(block))
    series = pl.from_arrow(arr)
    assert isinstance(series, pl.Series)
    return series.gather_every(2)


def _text(raw: pl.Series) -> pl.Series:
    """Scalars' JSON text as the careful reader's text: strings unquoted (and unescaped), null as null."""
    frame = pl.DataFrame({"r": raw})
    r = pl.col("r")
    quoted = r.str.starts_with('"')
    out = frame.select(pl.when(r == "null").then(None).when(quoted).then(r.str.slice(1, r.str.len_chars() - 2))
                       .otherwise(r)).to_series()
    escaped = frame.select((quoted & r.str.contains("\\", literal=True)).fill_null(False)).to_series()
    if escaped.any():
        at = escaped.arg_true()
        out = out.scatter(at, pl.Series([json.loads(s) for s in raw.gather(at).to_list()], dtype=pl.Utf8))
    return out.alias(raw.name)


def _value(items: pl.Series, prefix: str, name: str) -> pl.Series:
    """Each item's first scalar after the regex `prefix`, as the careful reader's text (one pass: a plain
    string's content, else the scalar's JSON text for `_text`)."""
    groups = items.str.extract_groups(f'{prefix}(?:"([^"\\\\]*)"|({SCALAR}))')
    plain, other = groups.struct.field("1"), groups.struct.field("2")
    if other.is_not_null().any():
        at = other.is_not_null().arg_true()
        plain = plain.clone().scatter(at, _text(other.gather(at)))
    return plain.alias(name)


def _scalar(items: pl.Series, key: str) -> pl.Series:
    """Each item's top-level field `key` (the first one: nested objects have been taken out) as text."""
    return _value(items, f'"{key}":', key)


def _attributes(items: pl.Series, keys: list[str]) -> list[pl.Series]:
    """Each item's attributes named in `keys` as text, the last one of a key winning (null where absent, or not
    a scalar), as the careful reader reads them: the wanted key-values found in one pass, their keys and values
    then cut out by position (the grammar fixed their layout), and placed in their item's row."""
    n = items.len()
    kv = rf'\{{"key":"(?:{"|".join(_escape(k) for k in keys)})"(?:,"value":(?:\{{(?:{_ONE}|{_ARRAY})?\}}|null))?\}}'
    found = pl.DataFrame({"kv": items.str.extract_all(kv)}).with_row_index("row").explode("kv").drop_nulls("kv")
    text = pl.col("kv")
    code = pl.lit(-1, dtype=pl.Int32)
    for i, k in reversed(list(enumerate(keys))):  # a key is followed by its closing quote: no key is another's prefix
        code = pl.when(text.str.starts_with(f'{{"key":"{k}"')).then(pl.lit(i, dtype=pl.Int32)).otherwise(code)
    sizes = pl.Series([len(f'{{"key":"{k}"') for k in keys], dtype=pl.Int64)  # str.slice counts characters
    found = found.with_columns(code.alias("code")).with_columns(
        text.str.slice(pl.col("code").replace_strict(range(len(keys)), sizes, return_dtype=pl.Int64)).alias("kv"))
    raw = pl.lit(None, dtype=pl.Utf8)
    for kind in reversed(KINDS.split("|")):
        head = f',"value":{{"{kind}":'
        raw = pl.when(text.str.starts_with(head)).then(
            text.str.slice(len(head), text.str.len_chars() - len(head) - 2)).otherwise(raw)  # then `}}`
    found = found.select("row", "code", raw.alias("raw"))
    value = _text(found["raw"])
    codes, rows = found["code"].to_numpy(), found["row"].to_numpy().astype(np.int64)
    order = np.argsort(codes, kind="stable")  # by key, each key's rows in item order
    codes, rows, value = codes[order], rows[order], value.gather(pl.Series(order))
    bounds = np.searchsorted(codes, np.arange(len(keys) + 1))
    cols = []
    for i, k in enumerate(keys):
        lo, hi = bounds[i], bounds[i + 1]
        at = rows[lo:hi]
        col = pl.Series(k, dtype=pl.Utf8).extend_constant(None, n)
        if len(at):
            last = np.append(at[1:] != at[:-1], True)  # a key given twice in an item keeps its last value
            col = col.scatter(at[last], value.slice(lo, hi - lo).filter(pl.Series(last)))
        cols.append(col)
    return cols


def _escape(key: str) -> str:
    """A key as regex text matching its compact JSON form."""
    return "".join(f"\\{c}" if c in r".^$*+?()[]{}|\\" else c for c in key)


def _plain(key: str) -> bool:
    """Whether a key is written as itself in JSON (no quote, backslash or control character to escape)."""
    return not any(c in '"\\' or ord(c) < 32 for c in key)


def _items(lines: pl.DataFrame, kind: str) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The lines' items of `kind` (spans or log records) as (line, text: the item without its opening `{` and
    first key, then `,` or the line's tail), and the lines' envelopes (line, the text before the first item with
    the items' list closed empty); None when an item is not one whole item of the grammar."""
    start = STARTS[kind]
    parts = lines.select("line", pl.col("text").str.split(start).alias("p")).filter(pl.col("p").list.len() > 1)
    heads = parts.select("line", (pl.col("p").list.first() + TAIL).alias("head"))
    items = parts.select("line", pl.col("p").list.slice(1).alias("text")).explode("text")
    text = items["text"]
    if not text.str.contains(REST[kind]).all():
        return None
    if text.str.ends_with(TAIL).sum() != heads.height:  # each line's last item, and no other, closes the line
        return None
    return items, heads


def _without(items: pl.Series, member: str, name: str) -> pl.Series:
    """The items with their first `member` field (nested content) taken out, rewriting only those naming it."""
    has = items.str.contains(f'"{name}":', literal=True)
    if not has.any():
        return items
    at = has.arg_true()
    return items.clone().scatter(at, items.gather(at).str.replace(f",{member}", ""))


def _spans(items: pl.DataFrame, keys: list[str], eval_keys: list[str]
           ) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The spans (line, spanId, start and end as text, a column per key) and their evaluation events (spanId
    and a column per eval key); None when the careful reader must decide."""
    text = items["text"]
    own = _without(text, EVENTS, "events")
    fields = [items["line"], *[_scalar(own, k) for k in ("spanId", "startTimeUnixNano", "endTimeUnixNano")]]
    attrs = _attributes(own, keys)
    spans = pl.DataFrame([*fields, *attrs])
    has = text.str.contains('"events":', literal=True)
    events = pl.DataFrame({"spanId": spans["spanId"].filter(has),
                           "text": text.filter(has).str.extract(f"({EVENTS})", 1).str.extract_all(EVENT)}).explode(
        "text").drop_nulls("text")
    events = events.filter(_scalar(events["text"], "name") == EVALUATION_EVENT)
    ev_attrs = _attributes(events["text"], eval_keys)
    return spans, pl.DataFrame([events["spanId"], *ev_attrs])


def _records(items: pl.DataFrame, eval_keys: list[str]) -> pl.DataFrame | None:
    """The `gen_ai.evaluation.result` log records (spanId and a column per eval key)."""
    own = _without(items["text"], BODY, "body")
    attrs = _attributes(own, [*eval_keys, "event.name"])
    recs = pl.DataFrame([_scalar(own, "spanId").replace("", None), _scalar(own, "eventName").replace("", None),
                         *attrs])
    recs = recs.filter(pl.coalesce("eventName", "event.name") == EVALUATION_EVENT)
    return recs.select("spanId", *eval_keys)


NESTS = {"spans": ("resourceSpans", "scopeSpans"), "logRecords": ("resourceLogs", "scopeLogs")}


def _lists(doc: Any) -> bool:
    """Whether a line's envelope has no spans or log records anywhere (the split items are not in it) and the
    types the careful reader walks through (lists of objects)."""
    if not isinstance(doc, dict):
        return False
    for kind, (outer, inner) in NESTS.items():
        groups = doc.get(outer) or []
        if not isinstance(groups, list):
            return False
        for group in groups:
            scopes = (group.get(inner) or []) if isinstance(group, dict) else None
            if not isinstance(scopes, list) or not all(isinstance(s, dict) and not s.get(kind) for s in scopes):
                return False
    return True


def _holds(doc: dict[str, Any], kind: str) -> bool:
    """Whether the list the line's tail closed is the `kind` list of the last scope of the last resource (each
    the last field of its object): where the split items are, as the careful reader sees them."""
    outer, inner = NESTS[kind]
    if list(doc)[-1] != outer:
        return False
    group = doc[outer][-1]
    if list(group)[-1] != inner:
        return False
    return list(group[inner][-1])[-1] == kind


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different (with a repeated key, the careful reader's view depends on
    which one is last: left to it)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("repeated key")
    return out


def _envelopes_ok(lines: pl.DataFrame, heads: dict[str, pl.DataFrame]) -> bool:
    """Whether each line's envelope is JSON as the careful reader walks it, with no items but the split ones,
    and those (if any) in the list the line's tail closes."""
    frame = lines.select("line", "text")
    for kind, head in heads.items():
        frame = frame.join(head.rename({"head": kind}), on="line", how="left", maintain_order="left")
    for text, *split in frame.select("text", *heads).iter_rows():
        kinds = [k for k, h in zip(heads, split, strict=True) if h is not None]
        envelope = next(h for h in [*split, text] if h is not None)
        if not envelope.strip():
            continue
        try:
            doc = json.loads(envelope, object_pairs_hook=_unique)
        except ValueError:
            return False
        if len(kinds) > 1 or not _lists(doc) or (kinds and not _holds(doc, kinds[0])):
            return False
    return True


def _block(block: bytes, first_line: int, keys: list[str], eval_keys: dict[str, str]
           ) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """One block of whole lines: its spans and evaluation events, or None when the block needs another reader."""
    text = _lines(block)
    lines = pl.DataFrame({"line": pl.int_range(first_line, first_line + text.len(), dtype=pl.Int64, eager=True),
                          "text": text})
    got_spans = _items(lines, "spans")
    if got_spans is None:
        return None
    span_items, span_heads = got_spans
    no_spans = lines.filter(~pl.col("line").is_in(span_heads["line"].implode()))
    got_records = _items(no_spans, "logRecords")
    if got_records is None or not _envelopes_ok(lines, {"spans": span_heads, "logRecords": got_records[1]}):
        return None
    ekeys = list(eval_keys.values())
    spans = _spans(span_items, keys, ekeys)
    records = _records(got_records[0], ekeys)
    if spans is None or records is None:
        return None
    evals = pl.concat([spans[1], records]).select(
        pl.col("spanId"), *[pl.col(a).alias(c) for c, a in eval_keys.items()])
    return spans[0], evals


def _utf8(block: bytes) -> bool:
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def read_otlp_scan(path: Path, keys: frozenset[str], eval_keys: dict[str, str]
                   ) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The file's spans (line, spanId, startTimeUnixNano, endTimeUnixNano and a text column per key; `line` is
    the exact 0-based line) and its evaluation events (spanId and the columns of `eval_keys`), or None when the
    file needs the Arrow path or the careful reader."""
    wanted = sorted(keys)
    if not all(_plain(k) for k in [*wanted, *eval_keys.values()]):
        return None
    span_parts: list[pl.DataFrame] = []
    eval_parts: list[pl.DataFrame] = []
    line = 0
    try:
        with path.open("rb") as fh:
            carry = b""
            while block := carry + fh.read(BLOCK_BYTES):
                cut = block.rfind(b"\n") + 1 if len(block) > len(carry) else len(block)
                block, carry = block[:cut], block[cut:]
                if not block:
                    continue
                if not block.isascii() and not _utf8(block):
                    return None
                if block.count(b"\r") != block.count(b"\r\n"):  # the careful reader's text mode breaks there
                    return None
                got = _block(block, line, wanted, eval_keys)
                if got is None:
                    return None
                span_parts.append(got[0])
                eval_parts.append(got[1])
                line += block.count(b"\n") + (not block.endswith(b"\n"))
    except (OSError, ValueError, pl.exceptions.PolarsError):
        return None
    if not span_parts:
        return None
    return pl.concat(span_parts), pl.concat(eval_parts)
