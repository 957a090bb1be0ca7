"""CI regression of policy economics: `simroute baseline` / `simroute check`, and the shipped scenarios
against their committed baselines (this is how `.ci/run` gates an engine change that moves the economics)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
import yaml
from conftest import ROOT, SHIPPED_GROUP, run_case
from test_uncertainty import tiny
from typer.testing import CliRunner

from simroute.cli import app
from simroute.regression import check_result, compare, load_baseline, markdown, regressions

runner = CliRunner()
SHIPPED = ("quickstart", "case1_saas_support", "case2_midmarket_saas", "case3_fintech")
MMLU = ("mmlu_base", "mmlu_fitted", "mmlu_replay")  # the real-data example: its own xdist group, beside the cases


@pytest.fixture(scope="module")
def tiny_baseline(tmp_path_factory):
    d = tmp_path_factory.mktemp("check")
    scen = d / "tiny.yaml"
    scen.write_text(yaml.safe_dump(tiny()))
    res = runner.invoke(app, ["baseline", str(scen), "-o", str(d / "base.json"), "-n", "4", "-w", "2", "-q"])
    assert res.exit_code == 0, res.output
    return scen, d / "base.json"


def test_check_passes_on_an_unchanged_engine(tiny_baseline, tmp_path):
    scen, base = tiny_baseline
    res = runner.invoke(app, ["check", str(scen), "-b", str(base), "--junit", str(tmp_path / "j.xml"),
                              "--markdown", str(tmp_path / "c.md")])
    assert res.exit_code == 0, res.output
    assert "no regression" in res.output
    suite = ET.parse(tmp_path / "j.xml").getroot().find("testsuite")
    assert suite.get("failures") == "0" and int(suite.get("tests")) > 30
    assert "**no regression**" in (tmp_path / "c.md").read_text()


def test_check_fails_with_a_readable_diff_when_net_value_worsens(tiny_baseline, tmp_path):
    scen, base = tiny_baseline
    res = runner.invoke(app, ["check", str(scen), "-b", str(base), "--set",
                              "traffic.intents[1].hidden_intent_rate=0.6", "--set",
                              "economics.support.usd_per_contact=30", "--junit", str(tmp_path / "j.xml"),
                              "--markdown", str(tmp_path / "c.md")])
    assert res.exit_code == 1, res.output
    assert "regressed" in res.output and "Net value per month" in res.output and "pre_route" in res.output
    assert "$" in res.output  # values in their unit
    flat = " ".join(res.output.split())
    assert ("The scenario differs from the one the baseline was written for: economics.support.usd_per_contact "
            "6 → 30, traffic.intents[billing].hidden_intent_rate 0.02 → 0.6.") in flat
    failures = ET.parse(tmp_path / "j.xml").getroot().iter("failure")
    assert any("net_value_usd_per_month of pre_route" in f.get("message") for f in failures)
    assert "| regressed | pre_route | net_value_usd_per_month |" in (tmp_path / "c.md").read_text()


def test_a_change_within_monte_carlo_noise_is_not_a_regression(tiny_baseline):
    doc = load_baseline(tiny_baseline[1])
    fig = doc["figures"]["pre_route"]["net_value_usd_per_month"]
    new = {(s, m): f["mean"] for s, ms in doc["figures"].items() for m, f in ms.items()}
    new[("pre_route", "net_value_usd_per_month")] = fig["mean"] - 0.5 * fig["sd"]
    assert not regressions(compare(doc, new, 1))
    new[("pre_route", "net_value_usd_per_month")] = fig["mean"] - 20 * fig["sd"]
    assert [(r.subject, r.metric) for r in regressions(compare(doc, new, 1))] == [("pre_route",
                                                                                    "net_value_usd_per_month")]


def test_check_replicates_compare_means(tiny_baseline):
    scen, base = tiny_baseline
    res = runner.invoke(app, ["check", str(scen), "-b", str(base), "-n", "2", "-w", "1", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["regressions"] == 0


def test_check_of_one_run_shows_its_phases_never_past_their_totals(tiny_baseline, monkeypatch):
    """With one replicate there is no task to count: the run's own phases are the progress bars."""
    from contextlib import contextmanager

    import simroute.cli.batch as batch
    calls: list[tuple[str, int, int]] = []

    @contextmanager
    def recording_bars(silent):
        yield lambda phase, done, total: calls.append((phase, done, total))
    monkeypatch.setattr(batch, "phase_bars", recording_bars)
    scen, base = tiny_baseline
    res = runner.invoke(app, ["check", str(scen), "-b", str(base)])
    assert res.exit_code == 0, res.output
    assert list(dict.fromkeys(p for p, _, _ in calls)) == ["main run", "summary"]
    assert all(0 <= done <= total for _, done, total in calls) and calls[-1][1] == calls[-1][2]


@pytest.mark.parametrize("content, match", [
    (None, "cannot read the baseline"),
    ("{", "not a JSON baseline file"),
    ('{"schema_version": 99, "figures": {}}', "not a simroute baseline"),
    ('{"schema_version": 1, "figures": {}, "scenario": "other"}', "a baseline of scenario 'other'"),
])
def test_check_bad_baseline_is_one_error_line(tiny_baseline, tmp_path, content, match):
    f = tmp_path / "b.json"
    if content is not None:
        f.write_text(content)
    res = runner.invoke(app, ["check", str(tiny_baseline[0]), "-b", str(f)])
    assert res.exit_code == 2 and "error:" in res.output and match in res.output


def test_baseline_needs_two_replicates(tmp_path):
    res = runner.invoke(app, ["baseline", str(ROOT / "scenarios" / "quickstart.yaml"), "-o", str(tmp_path / "b"),
                              "-n", "1"])
    assert res.exit_code == 2 and "--replicates: expected an integer from 2" in res.output
    assert not (tmp_path / "b").exists()


def test_run_with_replicates_reports_intervals(tmp_path):
    scen = tmp_path / "tiny.yaml"
    scen.write_text(yaml.safe_dump(tiny()))
    res = runner.invoke(app, ["run", str(scen), "-o", str(tmp_path / "r"), "-n", "3", "-w", "2"])
    assert res.exit_code == 0, res.output
    assert "Mean ± 95% interval over 3 replicates" in res.output
    doc = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert doc["replicates"]["n"] == 3
    iv = doc["policies"]["pre_route"]["intervals"]["trap_ratio"]
    assert iv["low"] <= iv["mean"] <= iv["high"]
    from openpyxl import load_workbook
    headers = [c.value for c in load_workbook(tmp_path / "r" / "ledger.xlsx")["Summary"][4]]
    assert "Trap ratio: replicate mean" in headers and "Trap ratio: 95% high" in headers
    assert (tmp_path / "r" / "replicates.parquet").exists()
    bad = runner.invoke(app, ["run", str(scen), "-o", str(tmp_path / "r2"), "-n", "1"])
    assert bad.exit_code == 2 and "--replicates" in bad.output and not (tmp_path / "r2").exists()


@pytest.mark.slow
@pytest.mark.xdist_group(SHIPPED_GROUP)  # shares the session runs of the shipped cases
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_matches_its_committed_baseline(name):
    """A change that moves a shipped scenario's economics beyond Monte Carlo noise fails here, with the
    diff; if the change is intended, rewrite data/baselines/<name>.json with `simroute baseline`."""
    _matches_baseline(name)


def _matches_baseline(name: str) -> None:
    doc = load_baseline(ROOT / "data" / "baselines" / f"{name}.json")
    rows = check_result(run_case(name), doc)
    assert not regressions(rows), markdown(rows, name)


@pytest.mark.slow
@pytest.mark.xdist_group("mmlu")
@pytest.mark.parametrize("name", MMLU)
def test_mmlu_scenario_matches_its_committed_baseline(name):
    """The MMLU example (base, fitted, replay) is gated like the cases: every shipped scenario has a baseline."""
    _matches_baseline(name)


def test_every_shipped_scenario_has_a_baseline():
    names = {p.stem for p in (ROOT / "scenarios").glob("*.yaml")}
    assert names == set(SHIPPED) | set(MMLU)
    assert all((ROOT / "data" / "baselines" / f"{n}.json").is_file() for n in names)


def test_check_refuses_an_unwritable_report_target_before_running(tiny_baseline, tmp_path):
    res = runner.invoke(app, ["check", str(tiny_baseline[0]), "-b", str(tiny_baseline[1]), "--junit", str(tmp_path)])
    assert res.exit_code == 2 and "is a folder; expected a file name" in res.output


def test_baseline_pools_the_seed_run_into_the_spread(tiny_baseline):
    doc = load_baseline(tiny_baseline[1])
    fig = doc["figures"]["pre_route"]["savings_usd_per_month"]
    assert fig["draws"] == 5 and fig["n"] == 5 and fig["sd"] > 0
