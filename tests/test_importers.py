"""Importers and writers: every format reads what its writer wrote back to an equal frame, hand-written files in
each vendor's layout read to known values, and every kind of bad input is one line naming the file."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from simroute.errors import InputError, SimrouteError
from simroute.importers import (
    EVAL_FORMATS,
    LOG_COLUMNS,
    LOG_FORMATS,
    REGISTRY,
    EvalMapping,
    EvalSet,
    ImportFormat,
    LogMapping,
    LogSet,
    load_mapping,
    read_eval,
    read_logs,
    sniff_format,
    write_eval,
    write_logs,
)
from simroute.importers.interface import EvalImporter, LogImporter

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "logs"
MMLU = Path(__file__).resolve().parents[2] / "shared" / "data" / "routellm-mmlu"
T0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
LOG_FILE = {ImportFormat.otel_jsonl: "calls.jsonl", ImportFormat.litellm_csv: "spend.csv",
            ImportFormat.langfuse: "observations.csv", ImportFormat.generic_csv: "calls.csv",
            ImportFormat.generic_parquet: "calls.parquet"}
EVAL_FILE = {ImportFormat.eval_csv: "eval.csv", ImportFormat.eval_parquet: "eval.parquet",
             ImportFormat.eval_jsonl: "eval.jsonl"}


def logs_frame(n: int = 6) -> pl.DataFrame:
    return pl.DataFrame({
        "start_time": [T0 + dt.timedelta(seconds=3.5 * i, microseconds=7 * i) for i in range(n)],
        "end_time": [None if i == 2 else T0 + dt.timedelta(seconds=3.5 * i + 1.25) for i in range(n)],
        "model": [("cheap", "capable")[i % 2] for i in range(n)],
        "user_id": [None if i == 1 else f"u{i % 3}" for i in range(n)],
        "session_id": [None if i == 2 else f"s{i // 2}" for i in range(n)],
        "tokens_in": [10 * (i + 1) for i in range(n)], "tokens_out": [i + 1 for i in range(n)],
        "cost_usd": [None if i == 1 else 1e-6 * (i + 1) ** 2 for i in range(n)],
        "intent": [None if i == 2 else ("billing", "how_to")[i % 2] for i in range(n)],
        "thumbs_down": [(True, False, None)[i % 3] for i in range(n)]}, schema=LOG_COLUMNS)


def eval_frame(n: int = 5) -> pl.DataFrame:
    return pl.DataFrame({
        "query_id": [f"q{i:03d}" for i in range(n)], "intent": [("billing", "how_to")[i % 2] for i in range(n)],
        "prompt": [None if i == 0 else f"question, \"quoted\"\nline {i}" for i in range(n)],
        "surface": [None if i == 1 else ("simple", "complex")[i % 2] for i in range(n)],
        "regulatory": [None if i == 2 else i % 2 == 0 for i in range(n)],
        "correct:cheap": [i % 2 == 0 for i in range(n)], "correct:capable": [i % 3 != 0 for i in range(n)],
        "tokens_in:cheap": [100 + i for i in range(n)], "tokens_in:capable": [100 + i for i in range(n)],
        "latency_s:capable": [0.5 + i for i in range(n)], "confidence:cheap": [i / n for i in range(n)]},
        schema_overrides={"regulatory": pl.Boolean, "prompt": pl.Utf8, "surface": pl.Utf8})


def one_line(exc: pytest.ExceptionInfo, *parts: str) -> str:
    """The error's single line, which must contain every part."""
    lines = exc.value.lines
    assert len(lines) == 1 and "\n" not in lines[0], lines
    for p in parts:
        assert p in lines[0], (p, lines[0])
    return lines[0]


# --- registry -----------------------------------------------------------------------------------------------------

def test_every_format_has_its_importer():
    assert set(REGISTRY) == set(ImportFormat)
    for fmt, importer in REGISTRY.items():
        assert importer.format is fmt
        assert isinstance(importer, EvalImporter if fmt in EVAL_FORMATS else LogImporter)
    assert len({type(i) for i in REGISTRY.values()}) == len(ImportFormat)
    assert set(EVAL_FORMATS) | set(LOG_FORMATS) == set(ImportFormat)


# --- round trips --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", LOG_FORMATS)
def test_logs_round_trip_and_sniff(tmp_path, fmt):
    frame = logs_frame()
    files = write_logs(LogSet(frame, "test"), tmp_path / LOG_FILE[fmt], fmt)
    assert all(sniff_format(f) is fmt for f in files)
    assert_frame_equal(read_logs(files, fmt).frame, frame)
    assert_frame_equal(read_logs(files).frame, frame)


def test_langfuse_jsonl_round_trip(tmp_path):
    frame = logs_frame()
    files = write_logs(LogSet(frame, "t"), tmp_path / "obs.jsonl", ImportFormat.langfuse)
    assert [f.name for f in files] == ["obs.jsonl", "obs_scores.jsonl"]
    assert_frame_equal(read_logs(files).frame, frame)


@pytest.mark.parametrize("fmt", EVAL_FORMATS)
def test_eval_round_trip(tmp_path, fmt):
    frame = eval_frame()
    path = write_eval(EvalSet(frame, ("cheap", "capable"), "t"), tmp_path / EVAL_FILE[fmt], fmt)
    back = read_eval(path)
    assert back.models == ("cheap", "capable")
    assert_frame_equal(back.frame, frame)


texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
ids = st.text("abcxyz019-_", min_size=1, max_size=6)


@st.composite
def log_frames(draw):
    n = draw(st.integers(1, 12))
    col = lambda s: draw(st.lists(s, min_size=n, max_size=n))  # noqa: E731
    starts = col(st.integers(0, 10**12))
    lat = col(st.none() | st.integers(0, 10**8))
    return pl.DataFrame({
        "start_time": [T0 + dt.timedelta(microseconds=s) for s in starts],
        "end_time": [None if d is None else T0 + dt.timedelta(microseconds=s + d)
                     for s, d in zip(starts, lat, strict=True)],
        "model": col(st.sampled_from(["cheap", "capable", "gpt-4o-mini", "mistralai/Mixtral-8x7B"])),
        "user_id": col(st.none() | ids), "session_id": col(st.none() | ids),
        "tokens_in": col(st.integers(0, 10**6)), "tokens_out": col(st.integers(0, 10**5)),
        "cost_usd": col(st.none() | st.floats(0, 100, allow_nan=False)),
        "intent": col(st.none() | ids), "thumbs_down": col(st.none() | st.booleans())}, schema=LOG_COLUMNS)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=log_frames(), fmt=st.sampled_from(LOG_FORMATS))
def test_logs_round_trip_property(tmp_path, frame, fmt):
    files = write_logs(LogSet(frame, "p"), tmp_path / LOG_FILE[fmt], fmt)
    assert_frame_equal(read_logs(files, fmt).frame, frame)


@st.composite
def eval_frames(draw):
    n = draw(st.integers(1, 10))
    col = lambda s: draw(st.lists(s, min_size=n, max_size=n))  # noqa: E731
    return pl.DataFrame({
        "query_id": draw(st.lists(ids, min_size=n, max_size=n, unique=True)), "intent": col(ids),
        "prompt": col(st.none() | texts), "surface": col(st.none() | st.sampled_from(["simple", "complex"])),
        "regulatory": col(st.none() | st.booleans()),
        "correct:a": col(st.booleans()), "correct:b/c": col(st.booleans()),
        "cost_usd:a": col(st.floats(0, 1, allow_nan=False)), "confidence:b/c": col(st.floats(0, 1))},
        schema_overrides={"prompt": pl.Utf8, "surface": pl.Utf8, "regulatory": pl.Boolean})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=eval_frames(), fmt=st.sampled_from(EVAL_FORMATS))
def test_eval_round_trip_property(tmp_path, frame, fmt):
    path = write_eval(EvalSet(frame, ("a", "b/c"), "p"), tmp_path / EVAL_FILE[fmt], fmt)
    back = read_eval(path)
    assert back.models == ("a", "b/c")
    assert_frame_equal(back.frame, frame)


# --- formats as other producers write them ------------------------------------------------------------------------

def test_otel_collector_file_with_events_logs_and_old_names():
    got = read_logs(FIXTURES / "otel_collector.jsonl").frame
    assert got.height == 2  # the retrieval span is not an LLM call
    assert got["model"].to_list() == ["gpt-4o-mini-2024-07-18", "gpt-4o"]  # response model preferred
    assert got["tokens_in"].to_list() == [412, 1000] and got["tokens_out"].to_list() == [128, 250]
    assert got["start_time"][0] == dt.datetime(2024, 5, 29, 16, 26, 40, 123456, tzinfo=dt.UTC)
    assert (got["end_time"] - got["start_time"]).dt.total_milliseconds().to_list() == [1500, 3500]
    assert got["user_id"].to_list() == ["user-7", "user-8"]
    assert got["session_id"].to_list() == ["conv-1", None]
    assert got["thumbs_down"].to_list() == [True, False]  # span event score 0; log record label by response id
    assert got["cost_usd"].null_count() == 2


def test_otel_fast_path_reads_what_the_careful_path_reads(tmp_path, monkeypatch):
    from simroute.importers import otel, otlp_arrow
    p = tmp_path / "calls.jsonl"
    write_logs(LogSet(logs_frame(1500), "t"), p, ImportFormat.otel_jsonl)
    monkeypatch.setattr(otlp_arrow, "BLOCK_BYTES", 1 << 19)  # several blocks, each with its own attribute set
    assert otlp_arrow.read_otlp(p, frozenset({"gen_ai.request.model"}), {"name": "gen_ai.evaluation.name"})
    fast = read_logs(p).frame
    monkeypatch.setattr(otel, "read_otlp", lambda *a: None)
    assert_frame_equal(fast, read_logs(p).frame)
    assert_frame_equal(fast, logs_frame(1500))


def test_litellm_export_with_extra_columns_naive_and_offset_times():
    got = read_logs(FIXTURES / "litellm_spendlogs.csv").frame
    assert got["model"].to_list() == ["gpt-4o-mini", "large"]  # model_group fills an empty model
    assert got["user_id"].to_list() == ["cust-1", "default_user_id"]  # end_user, else user
    assert got["start_time"].to_list() == [dt.datetime(2024, 6, 1, 9, 0, 0, 250000, tzinfo=dt.UTC),
                                           dt.datetime(2024, 6, 1, 9, 30, tzinfo=dt.UTC)]
    assert got["cost_usd"].to_list() == [0.000123, 0.0042]
    assert got["intent"].to_list() == ["billing", None]
    assert got["session_id"].to_list() == ["sess-1", None]


def test_naive_times_in_a_stated_zone_become_utc(tmp_path):
    p = tmp_path / "calls.csv"
    p.write_text("when,llm,in,out\n2024-07-01 12:00:00,a,1,2\n2024-01-15T12:00,b,3,4\n1719835200,a,5,6\n")
    m = LogMapping(start_time="when", model="llm", tokens_in="in", tokens_out="out", time_zone="Europe/Berlin")
    got = read_logs(p, ImportFormat.generic_csv, m).frame
    assert got["start_time"].to_list() == [dt.datetime(2024, 7, 1, 10, tzinfo=dt.UTC),
                                           dt.datetime(2024, 1, 15, 11, tzinfo=dt.UTC),
                                           dt.datetime(2024, 7, 1, 12, tzinfo=dt.UTC)]
    assert got["end_time"].null_count() == 3


def test_generic_latency_models_rename_and_drop(tmp_path):
    p = tmp_path / "calls.parquet"
    pl.DataFrame({"start_time": [T0, T0], "latency_s": [1.5, 0.25], "model": ["m-small", "embed"],
                  "tokens_in": [1, 2], "tokens_out": [3, 4]}).write_parquet(p)
    m = LogMapping(models={"m-small": "cheap"}, drop_unmapped_models=True)
    got = read_logs(p, mapping=m).frame
    assert got["model"].to_list() == ["cheap"]
    assert got["end_time"][0] == T0 + dt.timedelta(seconds=1.5)


def test_langfuse_trace_level_scores_and_only_generations(tmp_path):
    obs = tmp_path / "obs.csv"
    pl.DataFrame({"id": ["o1", "o2", "o3"], "trace_id": ["t1", "t1", "t2"], "type": ["SPAN", "GENERATION",
                                                                                    "GENERATION"],
                  "start_time": ["2024-05-29 13:46:19.963000"] * 3, "end_time": [None, None, None],
                  "provided_model_name": [None, "gpt-4o", "gpt-4o-mini"],
                  "usage_details": [None, '{"prompt_tokens": 5, "completion_tokens": 6}', '{"input": 7, "output": 8}'],
                  "total_cost": [None, "0.5", None]}).write_csv(obs)
    scores = tmp_path / "scores.csv"
    pl.DataFrame({"name": ["user-feedback", "hallucination"], "value": [0, 0], "trace_id": ["t1", "t2"],
                  "observation_id": [None, None]}).write_csv(scores)
    got = read_logs([obs, scores]).frame
    assert got["model"].to_list() == ["gpt-4o", "gpt-4o-mini"]
    assert got["tokens_in"].to_list() == [5, 7] and got["tokens_out"].to_list() == [6, 8]
    assert got["thumbs_down"].to_list() == [True, None]


def _spendlogs(tmp_path: Path, status: list[str | None], in_metadata: bool = False) -> Path:
    """A LiteLLM SpendLogs CSV of `logs_frame()` whose rows carry `status`; failed rows have no completion."""
    from simroute.importers.writers import litellm_frame
    frame = litellm_frame(logs_frame())
    failed = pl.Series([s not in (None, "success") for s in status])
    frame = frame.with_columns(pl.when(failed).then(None).otherwise(pl.col("completion_tokens"))
                               .alias("completion_tokens"))
    if in_metadata:
        frame = frame.with_columns(pl.Series("metadata", [json.dumps({"status": s}) for s in status]))
    else:
        frame = frame.with_columns(pl.Series("status", status))
    path = tmp_path / "spend.csv"
    frame.write_csv(path)
    return path


def test_litellm_failed_calls_are_left_out_and_counted(tmp_path):
    status = ["success", "failure", "success", None, "failure", "success"]
    got = read_logs(_spendlogs(tmp_path, status), ImportFormat.litellm_csv)
    want = logs_frame().filter(pl.Series([s != "failure" for s in status]))
    assert got.frame["tokens_out"].to_list() == want["tokens_out"].to_list() == [1, 3, 4, 6]
    assert got.frame["start_time"].to_list() == want["start_time"].to_list()
    assert "2 of 6 calls failed" in got.source
    meta = read_logs(_spendlogs(tmp_path, status, in_metadata=True), ImportFormat.litellm_csv)
    assert meta.frame["tokens_out"].to_list() == [1, 3, 4, 6] and "2 of 6 calls failed" in meta.source
    clean = read_logs(_spendlogs(tmp_path, ["success"] * 6), ImportFormat.litellm_csv)
    assert clean.frame.height == 6 and "calls failed" not in clean.source


def test_litellm_failed_calls_keep_the_files_own_line_numbers(tmp_path):
    path = _spendlogs(tmp_path, ["failure", "success", "success", "success", "success", "success"])
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace("2024-05-01T", "someday ", 1)  # the third call, line 4 of the file
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as e:
        read_logs(path, ImportFormat.litellm_csv)
    one_line(e, "spend.csv", "line 4", "startTime", "someday")
    with pytest.raises(InputError) as e:
        read_logs(_spendlogs(tmp_path, ["failure"] * 6), ImportFormat.litellm_csv)
    one_line(e, "spend.csv", "all 6 calls failed")


def test_litellm_failed_calls_are_named_in_the_fit_summary(tmp_path):
    from simroute.fit.pipeline import fit_world
    status = ["failure" if i % 10 == 3 else "success" for i in range(6)]
    logs = read_logs(_spendlogs(tmp_path, status), ImportFormat.litellm_csv)
    result = fit_world(None, logs, None, cheap="cheap", capable="capable")
    assert any("1 of 6 calls failed" in s for s in result.sources)


def test_langfuse_legacy_observation_exports(tmp_path):
    common = {"id": ["o1", "o2"], "traceId": ["t1", "t2"], "type": ["GENERATION", "GENERATION"],
              "startTime": ["2024-05-29T13:46:19.963Z", "2024-05-29T13:47:00.000Z"],
              "endTime": ["2024-05-29T13:46:21.463Z", "2024-05-29T13:47:02.000Z"],
              "model": ["gpt-3.5-turbo", "gpt-4"], "userId": ["u1", None], "sessionId": [None, "s2"]}
    usage = tmp_path / "legacy_usage.csv"
    pl.DataFrame({**common, "usage": ['{"input": 11, "output": 12, "total": 23, "unit": "TOKENS"}',
                                      '{"promptTokens": 21, "completionTokens": 22}'],
                  "calculatedTotalCost": [0.001, None]}).write_csv(usage)
    flat = tmp_path / "legacy_flat.csv"
    pl.DataFrame({**common, "promptTokens": [11, 21], "completionTokens": [12, 22],
                  "calculated_total_cost": [0.001, None]}).write_csv(flat)
    nested = tmp_path / "legacy.jsonl"
    pl.DataFrame({**common, "usage": [{"input": 11, "output": 12}, {"input": 21, "output": 22}],
                  "totalCost": [0.001, None]}).write_ndjson(nested)
    scores = tmp_path / "legacy_scores.csv"
    pl.DataFrame({"name": ["user-feedback"], "value": [0], "traceId": ["t2"]}).write_csv(scores)
    for path in (usage, flat, nested):
        assert sniff_format(path) is ImportFormat.langfuse
        got = read_logs(path).frame
        assert got["model"].to_list() == ["gpt-3.5-turbo", "gpt-4"]
        assert got["tokens_in"].to_list() == [11, 21] and got["tokens_out"].to_list() == [12, 22]
        assert got["cost_usd"].to_list() == [0.001, None]
        assert got["user_id"].to_list() == ["u1", None] and got["session_id"].to_list() == [None, "s2"]
        assert got["start_time"][0] == dt.datetime(2024, 5, 29, 13, 46, 19, 963000, tzinfo=dt.UTC)
        assert (got["end_time"] - got["start_time"]).dt.total_milliseconds().to_list() == [1500, 2000]
    assert read_logs([usage, scores], ImportFormat.langfuse).frame["thumbs_down"].to_list() == [None, True]


def test_eval_scores_with_threshold_and_mapped_columns(tmp_path):
    p = tmp_path / "graded.csv"
    p.write_text("id,topic,small_score,big_score,small_ms\n1,a,0.2,0.9,100\n2,b,0.7,0.69,250\n")
    m = EvalMapping(models={"small": "small_score", "big": "big_score"}, query_id="id", intent="topic",
                    score_threshold=0.7, latency_s="{model}_ms")
    with pytest.raises(InputError) as e:
        read_eval(p, m)
    one_line(e, "graded.csv", "big_ms", "latency_s", "big")
    m = EvalMapping.model_validate({**m.model_dump(), "latency_s": None})
    got = read_eval(p, m)
    assert got.models == ("small", "big")
    assert got.frame["correct:small"].to_list() == [False, True]
    assert got.frame["correct:big"].to_list() == [True, False]
    assert got.frame["intent"].to_list() == ["a", "b"] and got.frame["query_id"].to_list() == ["1", "2"]


def test_folder_is_one_eval_with_category_from_file_names(tmp_path):
    for name in ("bench_billing", "bench_how_to"):
        (tmp_path / f"{name}.csv").write_text("prompt,m1,m2\nhello,True,False\nbye,false,true\n")
    (tmp_path / "notes.jsonl").write_text('{"not": "results"}\n')
    got = read_eval(tmp_path)
    assert got.frame["intent"].to_list() == ["billing", "billing", "how_to", "how_to"]
    assert got.frame["query_id"].n_unique() == 4 and got.models == ("m1", "m2")
    pattern = read_eval(tmp_path, EvalMapping(category_pattern=r"_(?P<category>[a-z]+)$")).frame["intent"]
    assert pattern.to_list() == ["billing", "billing", "to", "to"]


def test_mapping_file_sections_and_errors(tmp_path):
    p = tmp_path / "map.yaml"
    p.write_text("eval:\n  models: [a, b]\n  score_threshold: 0.5\nlogs:\n  user_id: metadata.user\n"
                 "  time_zone: America/New_York\n")
    em, lm = load_mapping(p)
    assert em.models == {"a": "a", "b": "b"} and em.score_threshold == 0.5
    assert lm.user_id == "metadata.user" and lm.time_zone == "America/New_York"
    p.write_text("user_id: u\n")
    assert load_mapping(p)[1].user_id == "u"
    p.write_text("logs:\n  time_zone: Mars/Olympus\n")
    with pytest.raises(InputError) as e:
        load_mapping(p)
    one_line(e, "map.yaml", "logs.time_zone", "Mars/Olympus")
    p.write_text("modles: [a]\n")
    with pytest.raises(InputError) as e:
        load_mapping(p)
    one_line(e, "map.yaml", "modles")
    p.write_text("eval:\n  score_threshold: 5\n")
    with pytest.raises(InputError) as e:
        load_mapping(p)
    one_line(e, "map.yaml", "eval", "score_range")


@pytest.mark.skipif(not MMLU.is_dir(), reason="the RouteLLM MMLU data is not beside the repository")
def test_reads_the_real_mmlu_folder():
    got = read_eval(MMLU)
    f = got.frame
    assert got.models == ("mistralai/Mixtral-8x7B-Instruct-v0.1", "gpt-4-1106-preview")
    assert f.height == 14042 and f["intent"].n_unique() == 57 and f["query_id"].is_unique().all()
    assert "abstract_algebra" in f["intent"].unique().to_list()
    cheap, capable = (f[f"correct:{m}"] for m in got.models)
    assert cheap.mean() == pytest.approx(0.68, abs=0.01) and capable.mean() == pytest.approx(0.81, abs=0.01)
    assert (cheap & ~capable).mean() == pytest.approx(0.05, abs=0.01)
    assert f["prompt"].null_count() == 0


# --- bad input: one line naming the file (and row or column) -----------------------------------------------------

def test_missing_mapped_column(tmp_path):
    p = tmp_path / "calls.csv"
    write_logs(LogSet(logs_frame(), "t"), p, ImportFormat.generic_csv)
    with pytest.raises(InputError) as e:
        read_logs(p, ImportFormat.generic_csv, LogMapping(user_id="customer"))
    one_line(e, "calls.csv", "'customer'", "user_id")
    q = tmp_path / "eval.csv"
    q.write_text("prompt,a,b\nx,true,false\n")
    with pytest.raises(InputError) as e:
        read_eval(q, EvalMapping(intent="topic"))
    one_line(e, "eval.csv", "'topic'", "intent")


def test_unknown_model_name(tmp_path):
    q = tmp_path / "eval.csv"
    q.write_text("prompt,a,b\nx,true,false\n")
    with pytest.raises(InputError) as e:
        read_eval(q, EvalMapping(models=["a", "gpt-5"]))
    one_line(e, "eval.csv", "model 'gpt-5'", "not found")
    p = tmp_path / "calls.parquet"
    write_logs(LogSet(logs_frame(), "t"), p, ImportFormat.generic_parquet)
    with pytest.raises(InputError) as e:
        read_logs(p, mapping=LogMapping(models={"cheap": "small"}))
    one_line(e, "calls.parquet", "row 2", "model 'capable'")


def test_non_utf8_bytes(tmp_path):
    q = tmp_path / "eval.csv"
    q.write_bytes("prompt,a,b\ncaf\u00e9,true,false\n".encode("utf-8") + "na\u00efve,false,true\n".encode("latin-1"))
    with pytest.raises(InputError) as e:
        read_eval(q)
    one_line(e, "eval.csv", "line 3", "UTF-8")
    p = tmp_path / "calls.jsonl"
    write_logs(LogSet(logs_frame(), "t"), p, ImportFormat.otel_jsonl)
    p.write_bytes(p.read_bytes().replace(b'"cheap"', b'"ch\xe9ap"', 1))
    with pytest.raises(InputError) as e:
        read_logs(p)
    one_line(e, "calls.jsonl", "line 1", "UTF-8")
    s = tmp_path / "spend.csv"
    write_logs(LogSet(logs_frame(), "t"), s, ImportFormat.litellm_csv)
    s.write_bytes(s.read_bytes().replace(b"billing", b"b\xffilling", 1))
    with pytest.raises(InputError) as e:
        read_logs(s, ImportFormat.litellm_csv)
    one_line(e, "spend.csv", "UTF-8")


def test_unparseable_timestamps(tmp_path):
    p = tmp_path / "calls.csv"
    write_logs(LogSet(logs_frame(), "t"), p, ImportFormat.generic_csv)
    text = p.read_text().splitlines()
    text[3] = "yesterday at noon" + text[3][text[3].index(","):]
    p.write_text("\n".join(text) + "\n")
    with pytest.raises(InputError) as e:
        read_logs(p)
    one_line(e, "calls.csv", "line 4", "start_time", "yesterday at noon")
    o = tmp_path / "calls.jsonl"
    write_logs(LogSet(logs_frame(), "t"), o, ImportFormat.otel_jsonl)
    o.write_text(o.read_text().replace('"startTimeUnixNano":"', '"startTimeUnixNano":"soon', 1))
    with pytest.raises(InputError) as e:
        read_logs(o)
    one_line(e, "calls.jsonl", "line 1", "startTimeUnixNano", "soon")


def test_zero_rows(tmp_path):
    q = tmp_path / "eval.csv"
    q.write_text("prompt,a,b\n")
    with pytest.raises(InputError) as e:
        read_eval(q)
    one_line(e, "eval.csv", "no rows")
    for fmt in LOG_FORMATS:
        files = write_logs(LogSet(logs_frame().head(0), "t"), tmp_path / LOG_FILE[fmt], fmt)
        with pytest.raises(InputError) as e:
            read_logs(files, fmt)
        one_line(e, files[0].name, "no")


def test_score_outside_its_range(tmp_path):
    q = tmp_path / "eval.parquet"
    pl.DataFrame({"a": [0.1, 0.9, 1.2], "b": [0.5, 0.5, 0.5]}).write_parquet(q)
    with pytest.raises(InputError) as e:
        read_eval(q, EvalMapping(score_threshold=0.5))
    one_line(e, "eval.parquet", "row 3", "'a'", "1.2", "[0, 1]")
    assert read_eval(q, EvalMapping(score_threshold=0.5, score_range=(0, 2))).frame["correct:a"].to_list() == [
        False, True, True]
    pl.DataFrame({"a": [0.1, 0.9], "b": [0.5, 0.5]}).write_parquet(q)
    with pytest.raises(InputError) as e:
        read_eval(q, EvalMapping(models=["a", "b"]))
    one_line(e, "eval.parquet", "'a'", "score_threshold")
    c = tmp_path / "conf.csv"
    c.write_text("a,b,confidence:a\ntrue,false,0.4\ntrue,true,40\n")
    with pytest.raises(InputError) as e:
        read_eval(c)
    one_line(e, "conf.csv", "line 3", "confidence")


def test_eval_with_one_model_only(tmp_path):
    q = tmp_path / "eval.jsonl"
    q.write_text(json.dumps({"prompt": "x", "gpt-4": True}) + "\n")
    with pytest.raises(InputError) as e:
        read_eval(q)
    one_line(e, "eval.jsonl", "two models", "gpt-4")


def test_missing_unreadable_and_empty_inputs(tmp_path):
    with pytest.raises(InputError) as e:
        read_eval(tmp_path / "nope.csv")
    one_line(e, "nope.csv", "not found")
    with pytest.raises(InputError) as e:
        read_logs(tmp_path / "nope.jsonl")
    one_line(e, "nope.jsonl", "not found")
    with pytest.raises(InputError) as e:
        read_eval(tmp_path)
    one_line(e, str(tmp_path), "no eval files")
    junk = tmp_path / "calls.parquet"
    junk.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(InputError) as e:
        read_logs(junk)
    one_line(e, "calls.parquet", "cannot read")
    with pytest.raises(InputError) as e:
        read_eval(junk)
    one_line(e, "calls.parquet", "cannot read")
    odd = tmp_path / "calls.txt"
    odd.write_text("hello\n")
    with pytest.raises(InputError) as e:
        read_logs(odd)
    one_line(e, "calls.txt", "log format")


def test_bad_values_name_row_and_column(tmp_path):
    p = tmp_path / "calls.csv"
    write_logs(LogSet(logs_frame(), "t"), p, ImportFormat.generic_csv)
    text = p.read_text().replace(",60,6,", ",sixty,6,")
    p.write_text(text)
    with pytest.raises(InputError) as e:
        read_logs(p)
    one_line(e, "calls.csv", "line 7", "tokens_in", "sixty")
    q = tmp_path / "eval.csv"
    q.write_text("prompt,a,b,surface\nx,true,false,simple\ny,true,,complex\n")
    with pytest.raises(InputError) as e:
        read_eval(q)
    one_line(e, "eval.csv", "line 3", "'b'", "missing")
    q.write_text("prompt,a,b,surface\nx,true,false,simple\ny,true,false,medium\n")
    with pytest.raises(InputError) as e:
        read_eval(q)
    one_line(e, "eval.csv", "line 3", "surface", "medium")


def test_errors_are_simroute_errors():
    assert issubclass(InputError, SimrouteError)


# --- the vectorised OpenTelemetry writer against the per-call writer it replaced --------------------------------

def _kv_ref(key, value):
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    return {"key": key, "value": {"stringValue": value}}


def _envelope_ref(kind, items):
    scope, inner = ("scopeSpans", "spans") if kind == "resourceSpans" else ("scopeLogs", "logRecords")
    return json.dumps({kind: [{"resource": {"attributes": [_kv_ref("service.name", "simroute")]},
                               scope: [{"scope": {"name": "simroute"}, inner: items}]}]}, separators=(",", ":"))


def _nanos_ref(t):
    return None if t is None else str(int(t) * 1000)


def reference_otel_lines(frame, feedback_name):
    """The per-call OTLP writer as it was before it was vectorised (the test vector's oracle)."""
    cols = frame.with_columns(pl.col("start_time", "end_time").dt.epoch("us")).to_dict(as_series=False)
    optional = (("session_id", "gen_ai.conversation.id"), ("user_id", "enduser.id"), ("cost_usd", "gen_ai.usage.cost"),
                ("intent", "simroute.intent"))
    out, spans, records = [], [], []
    for i in range(frame.height):
        trace_id, span_id = f"{i + 1:032x}", f"{i + 1:016x}"
        model = cols["model"][i]
        attrs = [_kv_ref("gen_ai.operation.name", "chat"), _kv_ref("gen_ai.request.model", model),
                 _kv_ref("gen_ai.response.model", model),
                 _kv_ref("gen_ai.usage.input_tokens", int(cols["tokens_in"][i])),
                 _kv_ref("gen_ai.usage.output_tokens", int(cols["tokens_out"][i]))]
        attrs += [_kv_ref(key, cols[c][i]) for c, key in optional if cols[c][i] is not None]
        span = {"traceId": trace_id, "spanId": span_id, "name": f"chat {model}", "kind": 3,
                "startTimeUnixNano": _nanos_ref(cols["start_time"][i]), "attributes": attrs}
        if cols["end_time"][i] is not None:
            span["endTimeUnixNano"] = _nanos_ref(cols["end_time"][i])
        spans.append(span)
        down = cols["thumbs_down"][i]
        if down is not None:
            records.append({"timeUnixNano": _nanos_ref(cols["end_time"][i] or cols["start_time"][i]),
                            "eventName": "gen_ai.evaluation.result", "traceId": trace_id, "spanId": span_id,
                            "attributes": [_kv_ref("gen_ai.evaluation.name", feedback_name),
                                           _kv_ref("gen_ai.evaluation.score.value", 0.0 if down else 1.0),
                                           _kv_ref("gen_ai.evaluation.score.label",
                                                   "thumbs_down" if down else "thumbs_up")]})
        if len(spans) == 512:
            out.append(_envelope_ref("resourceSpans", spans))
            spans = []
    if spans:
        out.append(_envelope_ref("resourceSpans", spans))
    for start in range(0, len(records), 512):
        out.append(_envelope_ref("resourceLogs", records[start:start + 512]))
    return out


@pytest.mark.parametrize("n", [0, 1, 6, 1500])
def test_otel_writer_writes_what_the_per_call_writer_wrote(tmp_path, n):
    frame = logs_frame(n)
    if n > 5:  # text that JSON must escape: quotes, backslashes, control and non-ASCII characters
        odd = ['a "quoted" id', "back\\slash", "tab\there", "ünïcode ✓", "emoji 😀"]
        frame = frame.with_columns(pl.Series("user_id", [odd[i % 5] if i % 7 else None for i in range(n)]),
                                   pl.Series("model", [("cheap", 'big "one"')[i % 2] for i in range(n)]),
                                   pl.Series("cost_usd", [None if i % 4 == 1 else 1.0 / (i + 1) ** 3
                                                          for i in range(n)]))
    p = tmp_path / "calls.jsonl"
    write_logs(LogSet(frame, "t"), p, ImportFormat.otel_jsonl, feedback_name='user "feedback"')
    assert p.read_text(encoding="utf-8").splitlines() == reference_otel_lines(frame, 'user "feedback"')
