"""`simroute fit` and `simroute synth` from the command line: the shipped MMLU example is what `fit` writes from
the shipped data, a synthetic round trip fits and runs, and bad input is one line with nothing written."""
from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from simroute.api import fit, run
from simroute.cli import app

ROOT = Path(__file__).resolve().parents[1]
MMLU = ROOT / "data" / "routellm-mmlu" / "mmlu.parquet"
MIXTRAL, GPT4 = "mistralai/Mixtral-8x7B-Instruct-v0.1", "gpt-4-1106-preview"
MMLU_ARGS = ["--eval", "data/routellm-mmlu/mmlu.parquet", "--model", f"mixtral={MIXTRAL}", "--model", f"gpt4={GPT4}",
             "--base", "scenarios/mmlu_base.yaml", "--cheap", "mixtral", "--capable", "gpt4"]


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def bad(result, line: str | None = None) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    if line is not None:
        assert lines[0] == line
    return lines[0]


@pytest.mark.slow
def test_shipped_mmlu_scenario_is_what_fit_writes_from_the_shipped_data(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "mmlu_fitted.yaml"
    r = invoke("fit", *MMLU_ARGS, "-o", out, "--report", tmp_path / "report", "--quiet")
    assert r.exit_code == 0, r.output
    assert out.read_text() == (ROOT / "scenarios" / "mmlu_fitted.yaml").read_text()
    shipped = ROOT / "data" / "fit_reports" / "mmlu_fitted"
    assert (tmp_path / "report" / "fit_report.md").read_text() == (shipped / "fit_report.md").read_text()


@pytest.mark.slow
def test_fitted_mmlu_holds_against_the_heldout_subjects(monkeypatch):
    """At least 90% of the held-out per-subject accuracies (both models) and joint outcome tables are within
    their 95% intervals."""
    monkeypatch.chdir(ROOT)
    r = fit(eval_paths=[Path("data/routellm-mmlu/mmlu.parquet")], eval_mapping={"models": {"mixtral": MIXTRAL,
            "gpt4": GPT4}}, base=Path("scenarios/mmlu_base.yaml"), cheap="mixtral", capable="gpt4")
    for key in ("accuracy", "joint"):
        check = r.comparison.check(key)
        assert check.total >= 57 and check.passed / check.total >= 0.9, (key, check.passed, check.total)


@pytest.mark.slow
def test_fitted_mmlu_single_policies_reproduce_the_recorded_accuracies():
    data = pl.read_parquet(MMLU)
    result = run(ROOT / "scenarios" / "mmlu_fitted.yaml", overrides={"horizon_days": 28})
    for policy, column in (("single", GPT4), ("single_mixtral", MIXTRAL)):
        p = float(data[column].mean())
        n = int(result.output.days[policy].tier_total("queries").sum())
        got = result.policies[policy].quality["overall"]
        # the world's accuracy is fitted on 80% of the rows: its own se plus the simulation's
        se = math.sqrt(p * (1 - p) * (1 / n + 1 / (0.8 * data.height)))
        assert abs(got - p) <= 4 * se, (policy, got, p)


def test_synthetic_round_trip_fits_and_runs(tmp_path):
    data = tmp_path / "data"
    r = invoke("synth", ROOT / "scenarios" / "quickstart.yaml", "-o", data, "--days", 28, "--eval-size", 3000,
               "--logs-format", "litellm_csv", "--policy", "pre_route")
    assert r.exit_code == 0, r.output
    assert {p.name for p in data.iterdir()} == {"logs.csv", "eval.csv", "synth.json"}
    out = tmp_path / "fitted.yaml"
    r = invoke("fit", "--eval", data / "eval.csv", "--logs", data / "logs.csv", "--base",
               ROOT / "scenarios" / "quickstart.yaml", "--cheap", "small", "--capable", "large", "--policy",
               "pre_route", "-o", out)
    assert r.exit_code == 0, r.output
    assert "held-out checks pass" in r.output
    assert (tmp_path / "fitted_fit_report" / "fit_report.html").exists()
    assert invoke("validate", out).exit_code == 0


def test_fit_bad_input_is_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "fitted.yaml"
    bad(invoke("fit", "-o", out), "error: fit: give an eval, logs, or both")
    bad(invoke("fit", "--eval", tmp_path / "missing.csv", "-o", out),
        f"error: {tmp_path / 'missing.csv'}: file not found")
    one = tmp_path / "one.csv"
    one.write_text("prompt,a\nq1,true\nq2,false\n")
    bad(invoke("fit", "--eval", one, "-o", out),
        f"error: {one}: an eval needs at least two models side by side; found 1 (a)")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("prompt,a,b\ncaf\xe9,true,false\n".encode("latin-1"))
    assert "UTF-8" in bad(invoke("fit", "--eval", latin, "-o", out))
    bad(invoke("fit", "--eval", MMLU, "--model", "bad", "-o", out),
        "error: --model 'bad': expected NAME=COLUMN, e.g. cheap=mixtral_correct")
    assert "nope" in bad(invoke("fit", "--eval", MMLU, "--cheap", "nope", "--capable", GPT4, "-o", out))
    assert not out.exists() and not (tmp_path / "fitted_fit_report").exists()


def test_synth_bad_input_is_one_line(tmp_path):
    quick = ROOT / "scenarios" / "quickstart.yaml"
    bad(invoke("synth", quick, "-o", tmp_path / "d", "--logs-format", "nope"),
        "error: --logs-format: expected one of otel_jsonl, litellm_csv, langfuse, generic_csv, generic_parquet, "
        "got 'nope'")
    bad(invoke("synth", quick, "-o", tmp_path / "d", "--days", 1000),
        "error: --days: expected 1 to the scenario's horizon (84), got 1000")
    assert not (tmp_path / "d").exists()
