"""The OpenTelemetry reader's scan of compact OTLP lines (`otlp_scan`): on every file it takes it reads what the
careful line-by-line reader reads (the fixtures, simroute's writer, hypothesis-generated OTLP in any field order,
with events, odd values and several spans and resources per line), it refuses what it does not cover (whitespace,
duplicated keys, links, malformed JSON), and a malformed line is still one error naming the file and the line."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from simroute.errors import InputError
from simroute.importers import LOG_COLUMNS, ImportFormat, LogSet, otel, otlp_scan, read_logs, write_logs

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "logs"
WANTED = frozenset(k for ks in otel.DEFAULTS.values() for k in ks) | {otel.RESPONSE_ID}
T0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


def careful(path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    got = otel.load(path, WANTED)
    return got.frame(), pl.DataFrame(got.evals, schema={k: pl.Utf8 for k in otel.EVAL_COLUMNS})


def assert_same_as_careful(path: Path) -> None:
    scanned = otlp_scan.read_otlp_scan(path, WANTED, otel.EVAL_ATTRIBUTES)
    assert scanned is not None, "the scan refused a compact file"
    spans, evals = careful(path)
    assert_frame_equal(scanned[0], spans.select(scanned[0].columns))
    assert_frame_equal(scanned[1].sort(pl.all(), nulls_last=True), evals.sort(pl.all(), nulls_last=True))


def test_fixture_reads_as_the_careful_reader_reads_it():
    assert_same_as_careful(FIXTURES / "otel_collector.jsonl")


def test_writer_output_in_several_blocks(tmp_path, monkeypatch):
    n = 3000
    frame = pl.DataFrame({
        "start_time": [T0 + dt.timedelta(seconds=1.5 * i) for i in range(n)],
        "end_time": [None if i % 7 == 2 else T0 + dt.timedelta(seconds=1.5 * i + 0.75) for i in range(n)],
        "model": [("cheap", "capable")[i % 2] for i in range(n)],
        "user_id": [None if i % 5 == 1 else f"u{i % 3}" for i in range(n)],
        "session_id": [None if i % 4 == 2 else f"s{i // 2}" for i in range(n)],
        "tokens_in": [10 * (i + 1) for i in range(n)], "tokens_out": [i + 1 for i in range(n)],
        "cost_usd": [None if i % 3 == 1 else 1e-6 * (i + 1) ** 2 for i in range(n)],
        "intent": [None if i % 6 == 2 else ("billing", "how_to")[i % 2] for i in range(n)],
        "thumbs_down": [(True, False, None)[i % 3] for i in range(n)]}, schema=LOG_COLUMNS)
    p = tmp_path / "calls.jsonl"
    write_logs(LogSet(frame, "t"), p, ImportFormat.otel_jsonl)
    monkeypatch.setattr(otlp_scan, "BLOCK_BYTES", 1 << 16)  # many blocks, lines cut across block ends
    assert_same_as_careful(p)
    fast = read_logs(p).frame
    assert_frame_equal(fast, frame)
    monkeypatch.setattr(otel, "read_otlp_scan", lambda *a: None)
    monkeypatch.setattr(otel, "read_otlp", lambda *a: None)
    assert_frame_equal(read_logs(p).frame, fast)


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6)
IDS = st.text("0123456789abcdef", min_size=1, max_size=8)
NANOS = st.integers(1_600_000_000_000_000_000, 1_800_000_000_000_000_000)
ANY_VALUE = st.one_of(
    st.builds(lambda v: {"stringValue": v}, TEXT), st.builds(lambda v: {"intValue": str(v)}, st.integers(0, 10**6)),
    st.builds(lambda v: {"intValue": v}, st.integers(0, 10**6)),
    st.builds(lambda v: {"doubleValue": v}, st.floats(0, 10, allow_nan=False, width=32)),
    st.builds(lambda v: {"boolValue": v}, st.booleans()), st.just({}), st.just({"stringValue": None}),
    st.builds(lambda v: {"arrayValue": {"values": [{"stringValue": s} for s in v]}}, st.lists(TEXT, max_size=2)))
KEYS = st.sampled_from(sorted(WANTED) + ["gen_ai.operation.name", "other", "gen_ai.evaluation.name"])


def kvs(keys: st.SearchStrategy[str]) -> st.SearchStrategy[list[dict]]:
    """An attribute list, a key now and then given twice (the careful reader keeps the last)."""
    return st.lists(st.tuples(keys, ANY_VALUE), max_size=5).map(
        lambda items: [{"key": k, "value": v} for k, v in items])


EVAL_KEYS = st.sampled_from([*otel.EVAL_ATTRIBUTES.values(), "event.name", "other"])
EVENT = st.builds(lambda name, t, attrs: {"timeUnixNano": str(t), "name": name, "attributes": attrs},
                  st.sampled_from([otel.EVALUATION_EVENT, "gen_ai.choice"]), NANOS, kvs(EVAL_KEYS))


@st.composite
def span(draw: st.DrawFn) -> dict:
    fields = {"spanId": draw(IDS), "name": draw(TEXT), "kind": draw(st.integers(0, 5)),
              "startTimeUnixNano": str(draw(NANOS)), "endTimeUnixNano": draw(st.sampled_from(["", "n"])),
              "attributes": draw(kvs(KEYS)), "events": draw(st.lists(EVENT, max_size=2)),
              "status": draw(st.sampled_from([{}, {"code": 1}, {"code": 2, "message": "x"}]))}
    fields["endTimeUnixNano"] = str(draw(NANOS)) if fields["endTimeUnixNano"] else None
    for optional in draw(st.sets(st.sampled_from(["name", "kind", "events", "status", "endTimeUnixNano"]))):
        del fields[optional]  # missing optional fields
    order = draw(st.permutations(list(fields)))
    return {"traceId": draw(IDS)} | {k: fields[k] for k in order}  # the collector writes traceId first


@st.composite
def record(draw: st.DrawFn) -> dict:
    fields = {"eventName": draw(st.sampled_from([otel.EVALUATION_EVENT, "", "other"])),
              "spanId": draw(st.sampled_from(["", "abc"])), "attributes": draw(kvs(EVAL_KEYS)),
              "body": draw(st.sampled_from([{"stringValue": "hi"}, {"kvlistValue": {"values": [
                  {"key": "gen_ai.evaluation.name", "value": {"stringValue": "nested"}}]}}]))}
    order = draw(st.permutations(list(fields)))
    return {"timeUnixNano": str(draw(NANOS))} | {k: fields[k] for k in order}


def envelope(kind: str, items: list[dict], resources: int) -> dict:
    outer, inner = otlp_scan.NESTS[kind]
    groups = [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "s"}}]},
               inner: [{"scope": {"name": "x"}, kind: []}]} for _ in range(resources - 1)]
    return {outer: [*groups, {"resource": {"attributes": []}, inner: [{"scope": {"name": "x"}, kind: items}]}]}


LINES = st.lists(st.one_of(
    st.builds(lambda s, r: envelope("spans", s, r), st.lists(span(), min_size=1, max_size=4), st.integers(1, 2)),
    st.builds(lambda s: envelope("logRecords", s, 1), st.lists(record(), min_size=1, max_size=3))),
    min_size=1, max_size=4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=LINES, blank=st.booleans())
def test_generated_compact_lines_read_as_the_careful_reader_reads_them(tmp_path, lines, blank):
    p = tmp_path / "gen.jsonl"
    text = [json.dumps(doc, separators=(",", ":"), ensure_ascii=False) for doc in lines]
    p.write_text("\n".join(text[:1] + [""] * blank + text[1:]) + "\n", encoding="utf-8")
    assert_same_as_careful(p)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=LINES, indent=st.sampled_from([None, 1]))
def test_spaced_lines_are_left_to_the_other_readers(tmp_path, lines, indent):
    p = tmp_path / "gen.jsonl"
    p.write_text("\n".join(json.dumps(doc, indent=indent).replace("\n", " ") for doc in lines) + "\n")
    assert otlp_scan.read_otlp_scan(p, WANTED, otel.EVAL_ATTRIBUTES) is None


def compact(doc: dict) -> str:
    return json.dumps(doc, separators=(",", ":"))


SPAN = {"traceId": "t1", "spanId": "s1", "startTimeUnixNano": "1717000000000000000",
        "endTimeUnixNano": "1717000001000000000",
        "attributes": [{"key": "gen_ai.request.model", "value": {"stringValue": "m"}},
                       {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "3"}},
                       {"key": "gen_ai.usage.output_tokens", "value": {"intValue": 4}}]}


@pytest.mark.parametrize("line", [
    compact(envelope("spans", [SPAN | {"links": [{"traceId": "t", "spanId": "x"}]}], 1)),  # links
    compact(envelope("spans", [SPAN | {"attributes": [{"value": {"stringValue": "m"},
                                                        "key": "gen_ai.request.model"}]}], 1)),  # value first
    compact(envelope("spans", [SPAN], 1)).replace("gen_ai.request.model", "gen_ai.request\\u002emodel"),
    compact(envelope("spans", [SPAN], 1))[:-3],  # truncated
    compact(envelope("spans", [SPAN], 1)).replace(',"spanId"', ' ,"spanId"'),  # whitespace
    compact(envelope("spans", [SPAN], 1)) + compact(envelope("spans", [SPAN], 1)),  # two objects on a line
])
def test_what_the_scan_refuses(tmp_path, line):
    p = tmp_path / "odd.jsonl"
    p.write_text(line + "\n")
    assert otlp_scan.read_otlp_scan(p, WANTED, otel.EVAL_ATTRIBUTES) is None


def test_a_key_given_twice_keeps_its_last_value(tmp_path):
    twice = [*SPAN["attributes"], {"key": "gen_ai.request.model", "value": {"stringValue": "last"}},
             {"key": "gen_ai.usage.input_tokens", "value": {"arrayValue": {"values": []}}}]
    p = tmp_path / "twice.jsonl"
    p.write_text(compact(envelope("spans", [SPAN | {"attributes": twice}], 1)) + "\n")
    assert_same_as_careful(p)
    spans = otlp_scan.read_otlp_scan(p, WANTED, otel.EVAL_ATTRIBUTES)[0]
    assert spans["gen_ai.request.model"].to_list() == ["last"]
    assert spans["gen_ai.usage.input_tokens"].to_list() == [None]  # the last is an array: no number


def test_escaped_values_and_unicode(tmp_path):
    attrs = [{"key": "gen_ai.request.model", "value": {"stringValue": 'm "q" \\ caf\u00e9 \u2603'}},
             {"key": "enduser.id", "value": {"stringValue": "tab\there"}}]
    p = tmp_path / "esc.jsonl"
    p.write_text("\n".join([compact(envelope("spans", [SPAN | {"attributes": attrs}], 1)),
                            json.dumps(envelope("spans", [SPAN | {"attributes": attrs}], 1), separators=(",", ":"),
                                       ensure_ascii=False)]) + "\n", encoding="utf-8")
    assert_same_as_careful(p)


def test_a_malformed_line_is_one_error_naming_the_file_and_line(tmp_path):
    good = compact(envelope("spans", [SPAN], 1))
    p = tmp_path / "calls.jsonl"
    p.write_text("\n".join([good, good, good[:-5], good]) + "\n")
    with pytest.raises(InputError) as e:
        read_logs(p)
    message = str(e.value)
    assert "\n" not in message and "calls.jsonl" in message and "line 3" in message
