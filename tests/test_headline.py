"""The one-line headline (known answers on hand-made summaries) and the terminal tables: at 100 columns no
policy name or header wraps, a rollback's twin sits under its policy, the trap ratio is explained where it is
first shown and the headline follows the tables."""
from __future__ import annotations

import io

import pytest
import yaml
from conftest import SCENARIOS
from rich.console import Console
from test_uncertainty import tiny

import simroute
from simroute.cli.render import TWIN_LABEL, print_summary
from simroute.headline import TRAP_MEANING, headline_sentence


def _policy(kind: str, saved: float, support: float, retention: float, trap: float | None, net: float) -> dict:
    loss = {"support": support, "retention": retention, "compliance": 0.0, "total": support + retention}
    return {"kind": kind, "savings_usd_per_month": saved, "invisible_loss_usd_per_month": loss, "trap_ratio": trap,
            "net_value_usd_per_month": net}


SUMMARY = {"baseline_policy": "single", "policies": {
    "single": _policy("single", 0, 0, 0, None, 0),
    "pre_route": _policy("pre_route", 102_000, 143_700, 357_600, 4.91, -399_300),
    "cascade": _policy("cascade", 72_300, 0.0, 0.0, 0.0, 72_300),
    "random": _policy("random", 92_100, 140_000, 404_600, 5.91, -452_500),
    "oracle": _policy("oracle", 123_800, -24_100, -46_600, -0.57, 194_500),
}}


def test_the_headline_names_the_trap_and_the_best_deployable_policy():
    assert headline_sentence(SUMMARY) == (
        "pre_route saves $102.0k/month on inference and costs $501.3k/month in support and retention: a trap "
        "ratio of 4.9×; cascade saves $72.3k/month on inference and costs nothing downstream (against single).")


def test_without_a_trap_the_headline_leads_with_the_best_policy():
    doc = {"baseline": "single", "policies": {k: SUMMARY["policies"][k] for k in ("single", "cascade")}}
    assert headline_sentence(doc) == ("cascade saves $72.3k/month on inference and costs nothing downstream "
                                      "(against single).")


def test_the_headline_names_only_the_cost_centers_that_carry_the_loss():
    doc = {"baseline": "single", "policies": {"single": SUMMARY["policies"]["single"],
                                              "p": _policy("pre_route", 10_000, 0.0, 30_000, 3.0, -20_000)}}
    assert headline_sentence(doc) == ("p saves $10.0k/month on inference and costs $30.0k/month in retention: "
                                      "a trap ratio of 3.0× (against single).")


@pytest.fixture(scope="module")
def long_names(tmp_path_factory):
    """A month of the quickstart world with long policy names and a rollback (whose twin is simulated)."""
    monitors = yaml.safe_load((SCENARIOS / "quickstart.yaml").read_text())["monitors"]
    for m in monitors:
        m["policy"] = "pre_route_guarded_widget"
    data = tiny(monitors=monitors)
    data["policies"][1]["name"] = "pre_route_guarded_widget"
    data["policies"][1]["rollback_on"] = {"monitor": "review_per_tier_of_the_guarded_router", "to_share": 0.0}
    monitors[1]["name"] = "review_per_tier_of_the_guarded_router"
    data["policies"][2]["name"] = "cascade_observed_by_shadow"
    scen = tmp_path_factory.mktemp("long") / "long.yaml"
    scen.write_text(yaml.safe_dump(data))
    return simroute.run(scen)


def test_tables_fit_100_columns_without_wrapping_names(long_names):
    out = io.StringIO()
    print_summary(long_names, Console(file=out, width=100, color_system=None))
    text = out.getvalue()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100
    for name in ("pre_route_guarded_widget", "cascade_observed_by_shadow", "review_per_tier_of_the_guarded_router"):
        assert any(name in line for line in lines), name  # on one line, never folded
    for header in ("saved/mo", "retention/mo", "net/mo", "trap", "quality", "escalated", "p95 s"):
        assert header in text
    assert "~without_" not in text and TWIN_LABEL in text  # the twin is listed under its policy, short
    rows = [line.split()[0] if not line.startswith(TWIN_LABEL) else TWIN_LABEL for line in lines if line.strip()]
    assert rows[rows.index("pre_route_guarded_widget") + 1] == TWIN_LABEL
    assert text.index(TRAP_MEANING[:40]) < text.index("Quality and latency")  # explained where first shown
    assert " ".join(text.split()).endswith(headline_sentence(long_names))  # last, wrapped at words


@pytest.fixture(scope="module")
def with_replicates(tmp_path_factory):
    """A month of the quickstart world with its monitors and three replicates."""
    monitors = yaml.safe_load((SCENARIOS / "quickstart.yaml").read_text())["monitors"]
    for m in monitors[:2]:
        m["reviews_per_day"] = 200  # the reviews see the drift within days: alarms to show
    data = tiny(monitors=monitors, drift=[{"kind": "hidden_intent_rate", "target": "billing", "start_day": 8,
                                           "ramp_days": 4, "to": 0.6}])
    scen = tmp_path_factory.mktemp("reps") / "reps.yaml"
    scen.write_text(yaml.safe_dump(data))
    return simroute.run(scen, replicates=3)


def test_replicate_and_detection_tables_fit_100_columns_without_wrapping_values(with_replicates):
    from simroute.cli.render import ALARM_DAYS_SHOWN
    from simroute.report.content import DETECTION_COLUMNS, interval_cell, interval_columns
    r = with_replicates
    out = io.StringIO()
    print_summary(r, Console(file=out, width=100, color_system=None))
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 100
    row = next(line for line in lines if line.startswith("pre_route") and "±" in line)
    for key, _, fmt in interval_columns([m.name for m in r.output.scenario.models])[:2]:  # savings, a loss
        assert interval_cell(r.replicates.intervals["pre_route"][key].as_dict(), fmt) in row  # on one line
    header = next(line for line in lines if line.startswith("monitor") and "onset" in line)
    assert header.split() == " ".join(c for c in DETECTION_COLUMNS if c != "watches").split()
    at = {c: header.index(c) for c in ("false alarms", "alarm days")}
    assert any(m.alarm_days for m in r.monitors.values())
    for name, m in r.monitors.items():  # every monitor's alarm days on its own row, after its false-alarm count
        line = next(line for line in lines if line.startswith(name + " "))
        assert line[:at["false alarms"] + len("false alarms")].split()[-1] == str(m.false_alarms)
        assert line[at["alarm days"]:].strip() == (", ".join(map(str, m.alarm_days[:ALARM_DAYS_SHOWN])) or "—")
