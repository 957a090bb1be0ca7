"""The OpenTelemetry reader's Arrow fast path (`otlp_arrow`): it reads what the careful line-by-line reader reads
(the fixture, simroute's writer, hypothesis-generated OTLP lines in any field order and spacing, with events,
links, odd values, keys given twice, several spans and resources per line), it leaves to the careful reader what
its schema does not fit, and a malformed line is still one error naming the file and the line."""
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
from simroute.importers import LOG_COLUMNS, ImportFormat, LogSet, otel, otlp_arrow, read_logs, write_logs

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "logs"
WANTED = frozenset(k for ks in otel.DEFAULTS.values() for k in ks) | {otel.RESPONSE_ID}
T0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


def careful(path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    got = otel.load(path, WANTED)
    return got.frame(), pl.DataFrame(got.evals, schema={k: pl.Utf8 for k in otel.EVAL_COLUMNS})


def fast(path: Path) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    return otlp_arrow.read_otlp(path, WANTED, otel.EVAL_ATTRIBUTES)


def numbers_as_numbers(frame: pl.DataFrame) -> pl.DataFrame:
    """Text that reads as a number written one way (a `doubleValue` 0 is "0" to the careful reader, "0.0" to
    Arrow; every importer reads such text as a number)."""
    return frame.with_columns(pl.when(pl.col(c).cast(pl.Float64, strict=False).is_not_null()).then(
        pl.col(c).cast(pl.Float64, strict=False).cast(pl.Utf8)).otherwise(pl.col(c)) for c in frame.columns
        if frame[c].dtype == pl.Utf8)


def assert_same_as_careful(path: Path) -> None:
    got = fast(path)
    assert got is not None, "the fast path refused a file its schema fits"
    spans, evals = careful(path)
    times = [pl.col(t).cast(pl.Int64) for t in ("startTimeUnixNano", "endTimeUnixNano")]
    assert_frame_equal(numbers_as_numbers(got[0]),
                       numbers_as_numbers(spans.select(got[0].columns).with_columns(times)))
    assert_frame_equal(numbers_as_numbers(got[1]).sort(pl.all(), nulls_last=True),
                       numbers_as_numbers(evals).sort(pl.all(), nulls_last=True))


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
    monkeypatch.setattr(otlp_arrow, "BLOCK_BYTES", 1 << 20)  # several blocks
    assert_same_as_careful(p)
    got = read_logs(p).frame
    assert_frame_equal(got, frame)
    monkeypatch.setattr(otel, "read_otlp", lambda *a: None)
    assert_frame_equal(read_logs(p).frame, got)


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6)
IDS = st.text("0123456789abcdef", min_size=1, max_size=8)
NANOS = st.integers(1_600_000_000_000_000_000, 1_800_000_000_000_000_000)
ANY_VALUE = st.one_of(
    st.builds(lambda v: {"stringValue": v}, TEXT), st.builds(lambda v: {"intValue": str(v)}, st.integers(0, 10**6)),
    st.builds(lambda v: {"intValue": v}, st.integers(-10**6, 10**6)),  # as JavaScript exporters write it
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
    fields["traceId"] = draw(IDS)
    if draw(st.booleans()):
        fields["links"] = [{"traceId": draw(IDS), "spanId": draw(IDS), "attributes": draw(kvs(KEYS))}]
    return {k: fields[k] for k in draw(st.permutations(list(fields)))}


@st.composite
def record(draw: st.DrawFn) -> dict:
    fields = {"eventName": draw(st.sampled_from([otel.EVALUATION_EVENT, "", "other"])),
              "spanId": draw(st.sampled_from(["", "abc"])), "attributes": draw(kvs(EVAL_KEYS)),
              "body": draw(st.sampled_from([{"stringValue": "hi"}, {"kvlistValue": {"values": [
                  {"key": "gen_ai.evaluation.name", "value": {"stringValue": "nested"}}]}}]))}
    fields["timeUnixNano"] = str(draw(NANOS))
    return {k: fields[k] for k in draw(st.permutations(list(fields)))}


NESTS = {"spans": ("resourceSpans", "scopeSpans"), "logRecords": ("resourceLogs", "scopeLogs")}


def envelope(kind: str, items: list[dict], resources: int) -> dict:
    outer, inner = NESTS[kind]
    groups = [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "s"}}]},
               inner: [{"scope": {"name": "x"}, kind: []}]} for _ in range(resources - 1)]
    return {outer: [*groups, {"resource": {"attributes": []}, inner: [{"scope": {"name": "x"}, kind: items}]}]}


LINES = st.lists(st.one_of(
    st.builds(lambda s, r: envelope("spans", s, r), st.lists(span(), min_size=1, max_size=4), st.integers(1, 2)),
    st.builds(lambda s: envelope("logRecords", s, 1), st.lists(record(), min_size=1, max_size=3))),
    min_size=1, max_size=4)


def dumps(doc: dict, spacing: int) -> str:
    """One OTLP/JSON line: compact, as `json.dumps` spaces it, or indented (newlines inside turned to spaces)."""
    if spacing == 0:
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    return json.dumps(doc, indent=spacing - 1 or None, ensure_ascii=spacing == 1).replace("\n", " ")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=LINES, spacing=st.integers(0, 2))
def test_generated_lines_read_as_the_careful_reader_reads_them(tmp_path, lines, spacing):
    p = tmp_path / "gen.jsonl"
    p.write_text("\n".join(dumps(doc, spacing) for doc in lines) + "\n", encoding="utf-8")
    assert_same_as_careful(p)


def compact(doc: dict) -> str:
    return json.dumps(doc, separators=(",", ":"))


SPAN = {"traceId": "t1", "spanId": "s1", "startTimeUnixNano": "1717000000000000000",
        "endTimeUnixNano": "1717000001000000000",
        "attributes": [{"key": "gen_ai.request.model", "value": {"stringValue": "m"}},
                       {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "3"}},
                       {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "4"}}]}


@pytest.mark.parametrize("line", [
    compact(envelope("spans", [SPAN], 1)).replace('{"intValue":"3"}', '{"intValue":3.5}'),  # not an integer
    compact(envelope("spans", [SPAN], 1))[:-3],  # truncated
    compact(envelope("spans", [SPAN], 1)).replace('"spanId"', '"spanId" 7', 1),  # not JSON
    "[1, 2]",  # not an object
])
def test_what_the_fast_path_leaves_to_the_careful_reader(tmp_path, line):
    p = tmp_path / "odd.jsonl"
    p.write_text(line + "\n")
    assert fast(p) is None


@pytest.mark.parametrize("written", ['{"intValue":3}', '{"intValue" : -3 }', '{ "intValue":3}'])
def test_an_int_value_written_as_a_number(tmp_path, written):
    p = tmp_path / "numbers.jsonl"
    line = compact(envelope("spans", [SPAN], 1))
    p.write_text("\n".join([line, line.replace('{"intValue":"3"}', written)]) + "\n")
    assert_same_as_careful(p)


def test_a_key_given_twice_keeps_its_last_value(tmp_path):
    twice = [*SPAN["attributes"], {"key": "gen_ai.request.model", "value": {"stringValue": "last"}},
             {"key": "gen_ai.usage.input_tokens", "value": {"arrayValue": {"values": []}}}]
    p = tmp_path / "twice.jsonl"
    p.write_text(compact(envelope("spans", [SPAN | {"attributes": twice}], 1)) + "\n")
    assert_same_as_careful(p)
    spans = fast(p)[0]
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


def _calls_file(path: Path, spans: list[dict], lines: int = 3) -> Path:
    path.write_text("\n".join(compact(envelope("spans", spans, 1)) for _ in range(lines)) + "\n")
    return path


def test_a_bad_value_met_in_a_block_is_named_by_its_line(tmp_path, monkeypatch):
    """Calls are made block by block as the fast path reads; a bad value there is still located exactly."""
    monkeypatch.setattr(otlp_arrow, "BLOCK_BYTES", 1 << 10)  # a block of a line or two
    bad = SPAN | {"attributes": [*SPAN["attributes"][:1], {"key": "gen_ai.usage.input_tokens",
                                                            "value": {"stringValue": "many"}}, SPAN["attributes"][2]]}
    p = tmp_path / "calls.jsonl"
    p.write_text("\n".join([compact(envelope("spans", [SPAN] * 4, 1))] * 5 + [compact(envelope("spans", [bad], 1))])
                 + "\n")
    with pytest.raises(InputError) as e:
        read_logs(p)
    assert str(e.value) == f"{p}: line 6: attribute 'gen_ai.usage.input_tokens': expected a whole number, got 'many'"


def test_feedback_in_another_file_and_the_first_files_error_first(tmp_path):
    """Feedback events join the calls of every file; with several bad files, the first file's error is reported."""
    calls = _calls_file(tmp_path / "a.jsonl", [SPAN])
    record = {"spanId": "s1", "eventName": otel.EVALUATION_EVENT, "attributes": [
        {"key": "gen_ai.evaluation.name", "value": {"stringValue": "user-feedback"}},
        {"key": "gen_ai.evaluation.score.value", "value": {"doubleValue": 0.0}}]}
    fb = tmp_path / "b.jsonl"
    fb.write_text("\n".join([compact(envelope("spans", [SPAN | {"spanId": "s2"}], 1)),
                             compact(envelope("logRecords", [record], 1))]) + "\n")
    got = read_logs([calls, fb], ImportFormat.otel_jsonl).frame
    assert got["thumbs_down"].to_list() == [True] * 3 + [None]
    empty = tmp_path / "c.jsonl"
    empty.write_text(compact(envelope("spans", [SPAN | {"attributes": []}], 1)) + "\n")
    bad = _calls_file(tmp_path / "d.jsonl", [SPAN | {"startTimeUnixNano": "1717000000000000000",
                                                     "attributes": SPAN["attributes"][:2]}])
    with pytest.raises(InputError) as e:
        read_logs([empty, bad], ImportFormat.otel_jsonl)
    assert str(e.value).startswith(f"{empty}: no GenAI spans")


def _feedback_by_join(calls: pl.DataFrame, events: pl.DataFrame) -> pl.Series:
    """The oracle: any negative event per span id (else response id), by a group-by and a left join."""
    by_span = events.filter(pl.col("spanId").is_not_null()).group_by("spanId").agg(pl.col("down").any().alias("a"))
    by_resp = events.filter(pl.col("spanId").is_null() & pl.col("response_id").is_not_null()).group_by(
        "response_id").agg(pl.col("down").any().alias("b"))
    ids = calls.select("spanId", pl.col(otel.RESPONSE_ID).alias("response_id"))
    return ids.join(by_span, on="spanId", how="left", maintain_order="left").join(
        by_resp, on="response_id", how="left", maintain_order="left").select(pl.coalesce("a", "b")).to_series()


IDS_OR_NULL = st.lists(st.one_of(st.none(), st.sampled_from("abcdef")), max_size=12)


@settings(max_examples=80, deadline=None)
@given(span_ids=IDS_OR_NULL, response_ids=IDS_OR_NULL, events=st.lists(st.tuples(
    st.one_of(st.none(), st.sampled_from("abcdef")), st.one_of(st.none(), st.sampled_from("abcdef")),
    st.one_of(st.none(), st.booleans())), max_size=12))
def test_feedback_verdicts_are_those_of_a_group_by_and_join(span_ids, response_ids, events):
    n = min(len(span_ids), len(response_ids))
    calls = pl.DataFrame({"spanId": span_ids[:n], otel.RESPONSE_ID: response_ids[:n]},
                         schema={"spanId": pl.Utf8, otel.RESPONSE_ID: pl.Utf8})
    ev = pl.DataFrame(events, schema={"spanId": pl.Utf8, "response_id": pl.Utf8, "down": pl.Boolean}, orient="row")
    assert otel.feedback(calls, ev).to_list() == _feedback_by_join(calls, ev).to_list()
