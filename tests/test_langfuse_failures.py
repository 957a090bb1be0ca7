"""Langfuse's failed calls: GENERATION observations at level ERROR are left out of the calls and counted in the
source (as LiteLLM's failed rows are), the file's own line numbers still name bad values, and a file of failures
only is one error."""
from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from simroute.errors import InputError
from simroute.importers import ImportFormat, read_logs


def observations(tmp_path: Path, levels: list[str | None], start: list[str] | None = None) -> Path:
    n = len(levels)
    path = tmp_path / "observations.csv"
    pl.DataFrame({
        "id": [f"o{i}" for i in range(n)], "trace_id": [f"t{i}" for i in range(n)],
        "type": ["SPAN" if i == 1 else "GENERATION" for i in range(n)],
        "start_time": start or [f"2024-05-29 13:{i:02d}:00.000000" for i in range(n)],
        "end_time": [f"2024-05-29 13:{i:02d}:02.500000" for i in range(n)],
        "provided_model_name": [("gpt-4o-mini", "gpt-4o")[i % 2] for i in range(n)],
        "usage_details": [None if lv == "ERROR" else f'{{"input": {10 + i}, "output": {i + 1}}}'
                          for i, lv in enumerate(levels)],
        "level": levels, "status_message": ["rate limited" if lv == "ERROR" else None for lv in levels],
    }).write_csv(path)
    return path


def test_error_level_generations_are_left_out_and_counted(tmp_path):
    levels = ["DEFAULT", "ERROR", "ERROR", "WARNING", None, "error", "DEBUG"]
    got = read_logs(observations(tmp_path, levels), ImportFormat.langfuse)
    assert got.frame["tokens_out"].to_list() == [1, 4, 5, 7]  # rows 0, 3, 4, 6; row 1 is a SPAN
    assert "2 of 6 calls failed, level ERROR: left out of the fits" in got.source
    clean = read_logs(observations(tmp_path, ["DEFAULT"] * 4), ImportFormat.langfuse)
    assert clean.frame.height == 3 and "failed" not in clean.source


def test_failed_generations_keep_the_files_own_line_numbers(tmp_path):
    start = [f"2024-05-29 13:{i:02d}:00.000000" for i in range(5)]
    start[3] = "someday"  # the fourth observation: line 5 of the file
    with pytest.raises(InputError) as e:
        read_logs(observations(tmp_path, ["ERROR", "DEFAULT", "DEFAULT", "DEFAULT", "DEFAULT"], start),
                  ImportFormat.langfuse)
    message = str(e.value)
    assert "\n" not in message and "observations.csv" in message and "line 5" in message and "someday" in message


def test_only_failures_is_one_error(tmp_path):
    with pytest.raises(InputError) as e:
        read_logs(observations(tmp_path, ["ERROR"] * 4), ImportFormat.langfuse)
    message = str(e.value)
    assert "\n" not in message and "observations.csv" in message and "all 3 calls failed" in message


def test_failed_generations_are_named_in_the_fit_summary(tmp_path):
    from simroute.fit.pipeline import fit_world
    logs = read_logs(observations(tmp_path, ["DEFAULT", "DEFAULT", "ERROR", "DEFAULT", "DEFAULT"]),
                     ImportFormat.langfuse)
    result = fit_world(None, logs, None, cheap="gpt-4o-mini", capable="gpt-4o")
    assert any("1 of 4 calls failed" in s for s in result.sources)
