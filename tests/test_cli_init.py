"""`simroute init`: flags and questions build a scenario that validates and runs; bad numbers are one line."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from simroute.cli import app
from simroute.init_inputs import InitInputs
from simroute.scenario.loader import load_scenario


def invoke(*args, stdin: str | None = None):
    return CliRunner().invoke(app, ["init", *map(str, args)], input=stdin)


def test_flags_write_a_scenario_that_validates(tmp_path):
    out = tmp_path / "acme.yaml"
    r = invoke("--mau", 200_000, "--monthly-ai-bill-usd", 30_000, "--cheap-accuracy", 0.9, "-o", out)
    assert r.exit_code == 0, r.output
    assert f"scenario written to {out}" in r.output
    s = load_scenario(out)
    assert s.users.mau == 200_000
    assert {p.name for p in s.policies} == {"single", "pre_route", "cascade"}
    assert "quality:\n      accuracy: 0.9  # input:" in out.read_text()


def test_questions_ask_for_every_input_and_keep_defaults(tmp_path):
    out = tmp_path / "asked.yaml"
    answers = ["acme", "50000"] + [""] * (len(InitInputs.model_fields) - 2)
    r = invoke("-o", out, "--interactive", stdin="\n".join(answers) + "\n")
    assert r.exit_code == 0, r.output
    s = load_scenario(out)
    assert (s.name, s.users.mau, s.horizon_days) == ("acme", 50_000, 84)


def test_an_existing_file_is_kept_without_force(tmp_path):
    out = tmp_path / "taken.yaml"
    out.write_text("precious")
    r = invoke("--mau", 1000, "-o", out)
    assert r.exit_code == 2
    assert r.output.strip() == f"error: {out}: exists; choose another --out or pass --force to replace it"
    assert out.read_text() == "precious"
    assert invoke("--mau", 1000, "-o", out, "--force").exit_code == 0


@pytest.mark.parametrize(("args", "line"), [
    (["--no-interactive"], "error: init: give --mau or --queries-per-day (or both)"),
    (["--mau", "0"], "error: init: --mau: Input should be greater than or equal to 1"),
    (["--mau", "10", "--cheap-model", "x", "--capable-model", "x"],
     "error: init: --cheap-model and --capable-model must have different names"),
    (["--mau", "10", "--cheap-accuracy", "1.5"], "error: init: --cheap-accuracy: Input should be less than 1"),
])
def test_bad_numbers_are_one_line_and_write_nothing(tmp_path, args, line):
    out = tmp_path / "bad.yaml"
    r = invoke(*args, "-o", out)
    assert r.exit_code == 2, r.output
    assert r.output.strip() == line
    assert not out.exists()
