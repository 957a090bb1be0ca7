"""Progress that tells the truth: every phase of a run is named, counts up to its own total and never above it,
and the phases come in the order a run goes through them (calibration pass, main run, summary, writing
results, report)."""
from __future__ import annotations

import yaml
from conftest import SCENARIOS
from test_uncertainty import tiny

import simroute
from simroute.api import PHASES, write_results
from simroute.engine import CALIBRATION_PASS, MAIN_RUN


def _record():
    calls: list[tuple[str, int, int]] = []
    return calls, lambda phase, done, total: calls.append((phase, done, total))


def _phases(calls) -> list[str]:
    return list(dict.fromkeys(phase for phase, _, _ in calls))


def test_every_phase_is_named_and_never_counts_above_its_total(tmp_path):
    monitors = yaml.safe_load((SCENARIOS / "quickstart.yaml").read_text())["monitors"]
    scen = tmp_path / "tiny.yaml"
    scen.write_text(yaml.safe_dump(tiny(monitors=monitors)))
    calls, tell = _record()
    result = simroute.run(scen, progress=tell)
    write_results(result, tmp_path / "out", report=True, progress=tell)
    assert _phases(calls) == list(PHASES)  # the monitors need thresholds: a calibration pass comes first
    assert all(0 <= done <= total and total > 0 for _, done, total in calls)
    for phase in PHASES:
        counts = [(done, total) for p, done, total in calls if p == phase]
        assert [d for d, _ in counts] == sorted(d for d, _ in counts), f"{phase} counts backwards"
        assert counts[-1][0] == counts[-1][1], f"{phase} never finished"
    days = [done for p, done, _ in calls if p in (CALIBRATION_PASS, MAIN_RUN)]
    assert max(days) == 30 and len(days) == 60  # one call per simulated day of each pass, at most the horizon


def test_a_run_without_calibrated_monitors_has_no_calibration_pass(tmp_path):
    scen = tmp_path / "tiny.yaml"
    scen.write_text(yaml.safe_dump(tiny()))
    calls, tell = _record()
    simroute.run(scen, progress=tell)
    assert _phases(calls) == [MAIN_RUN, "summary"]
    assert [done for p, done, _ in calls if p == MAIN_RUN] == list(range(1, 31))
