"""The figure catalogue and the formatters: every figure is known to every consumer (headline rows, replicate
intervals, the regression gate, report, spreadsheet and terminal tables), directions and formats have known
answers, and a cost center the catalogue has no entry for is still named, drawn and tabulated."""
from __future__ import annotations

import math

import pytest
import yaml
from conftest import SCENARIOS
from hypothesis import given
from hypothesis import strategies as st
from test_uncertainty import tiny
from typer.testing import CliRunner

from simroute import figures as F
from simroute import units
from simroute.cli import app
from simroute.export.content import DEFINITIONS, SUMMARY_COLUMNS, figure_column
from simroute.ledger import INVISIBLE, CostCenter
from simroute.regression import direction
from simroute.report.content import interval_columns, policy_columns, policy_table
from simroute.results import load_bundle
from simroute.units import MINUS, Unit

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A month of the quickstart world with its monitors: the result and its results folder."""
    import simroute
    d = tmp_path_factory.mktemp("figures")
    monitors = yaml.safe_load((SCENARIOS / "quickstart.yaml").read_text())["monitors"]
    scen = d / "tiny.yaml"
    scen.write_text(yaml.safe_dump(tiny(monitors=monitors)))
    res = runner.invoke(app, ["run", str(scen), "-o", str(d / "out"), "-q", "--no-report"])
    assert res.exit_code == 0, res.output
    return simroute.run(scen), d / "out"


def _undefined(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _same(a, b) -> bool:
    return (_undefined(a) and _undefined(b)) or a == pytest.approx(b)


# ---- the catalogue -----------------------------------------------------------------------------------------------

OLD_HIGHER = {"savings_usd_per_month", "net_value_usd_per_month", "net_value_usd_over_horizon", "quality", "apgr",
              "aiq"}
OLD_LOWER = {"bill_pct_of_baseline", "ai_platform_usd_per_month", "invisible_loss_usd_per_month", "trap_ratio",
             "contacts_per_1k", "churned_users", "detection_day", "false_alarms", "cpt50", "cpt80"}
NEWER = {"onset_day": 0, "delay_days": -1}  # monitor figures added after the catalogue (issue 15)


@pytest.mark.parametrize("name, expected", [
    ("savings_usd_per_month", 1), ("net_value_usd_per_month", 1), ("net_value_usd_over_horizon", 1), ("quality", 1),
    ("quality_small", 1), ("quality_gpt-4o", 1), ("apgr", 1), ("aiq", 1),
    ("bill_pct_of_baseline", -1), ("ai_platform_usd_per_month", -1), ("invisible_loss_usd_per_month", -1),
    ("loss_support_usd_per_month", -1), ("loss_carbon_offsets_usd_per_month", -1), ("trap_ratio", -1),
    ("contacts_per_1k", -1), ("churned_users", -1), ("detection_day", -1), ("false_alarms", -1), ("cpt50", -1),
    ("cpt80", -1), ("escalation_share", 0), ("tier_share_small", 0), ("no_such_figure", 0)])
def test_direction_known_answers(name, expected):
    assert direction(name) == expected == F.direction(name)


def test_every_figure_is_found_by_its_name_with_its_direction(tiny_run):
    result, _ = tiny_run
    every = F.catalogue(result.output.scenario)
    assert len({f.name for f in every}) == len(every)  # one definition per name
    for f in every:
        assert F.figure(f.name) == f, f.name
        assert direction(f.name) == int(f.direction)
        if f.subject is not F.Subject.policy or f in F.DISPLAY_ONLY or f.name.startswith("tier_share_"):
            continue
        # the gate's directions before the catalogue, for every figure a baseline holds
        old = 1 if f.name in OLD_HIGHER or f.name.startswith("quality_") else \
            -1 if f.name in OLD_LOWER or f.name.startswith("loss_") else 0
        assert int(f.direction) == old, f.name
    for f in (*F.MONITOR_FIGURES, *F.CURVE_FIGURES):
        if f.name in NEWER:
            assert int(f.direction) == NEWER[f.name], f.name
            continue
        old = 1 if f.name in OLD_HIGHER else -1 if f.name in OLD_LOWER else 0
        assert int(f.direction) == old, f.name


def test_every_unit_and_direction_is_handled():
    for unit in Unit:
        assert isinstance(units.show(unit, 1.5), str) and units.show(unit, None) == units.DASH
    assert {int(d) for d in F.Direction} == {1, -1, 0}


def test_headline_rows_are_the_catalogue(tiny_run):
    """Replicates and baselines carry exactly the catalogue's policy and monitor figures, in its order."""
    from simroute.uncertainty import figure_names, headline
    result, _ = tiny_run
    sc = result.output.scenario
    rows = headline(result)
    tiers = [m.name for m in sc.models]
    for name, p in result.policies.items():
        got = rows.filter(rows["subject"] == name)["metric"].to_list()
        served = [f.name for f in F.policy_figures([t for t in tiers if t in p.quality])]
        assert got == served, name
        assert set(got) <= set(figure_names(sc))
    for name in result.monitors:
        assert rows.filter(rows["subject"] == name)["metric"].to_list() == [f.name for f in F.MONITOR_FIGURES]


def test_every_figure_reads_from_a_summary_and_its_json(tiny_run):
    import json
    result, folder = tiny_run
    doc = json.loads((folder / "summary.json").read_text())
    tiers = [m.name for m in result.output.scenario.models]
    for name, p in result.policies.items():
        for f in [*F.policy_figures(tiers), *F.tier_shares(tiers), *F.DISPLAY_ONLY]:
            typed, plain = f.read(p), f.read(doc["policies"][name])
            if f.key in tiers and f.key not in p.quality and f.name.startswith("quality_"):
                assert typed is F.MISSING and plain is F.MISSING
                continue
            assert typed is not F.MISSING, f.name
            assert _same(plain, typed), f.name
            assert isinstance(f.show(typed), str)
    for name, m in result.monitors.items():
        for f in F.MONITOR_FIGURES:
            assert f.read(m) == f.read(doc["monitors"][name])


def test_every_money_figure_of_each_cost_center_reaches_every_table(tiny_run):
    result, folder = tiny_run
    b = load_bundle(folder)
    losses = [f"loss_{cc.value}_usd_per_month" for cc in INVISIBLE]
    assert [f.name for f in F.losses()] == losses
    assert set(losses) <= {k for k, _, _ in interval_columns([])}
    assert set(losses) <= {c.interval_key for c in SUMMARY_COLUMNS}
    assert {f.name for f, _ in policy_columns(b.cheap_model)} >= set(losses)
    table = policy_table(b)  # a cost center at $0 for every policy is folded away and named in the note
    from simroute.report.content import folded_losses as report_folded
    shown = [c for c in table.columns if c.endswith("/mo")][1:-1]
    assert [f"{cc.value}/mo" for cc in INVISIBLE] == [f"{f.key}/mo" for f in F.losses()]
    assert shown == [f"{f.key}/mo" for f in F.losses() if f not in report_folded(b)]
    assert all(f"{f.label}: $0 for every policy" in table.note for f in report_folded(b))
    from simroute.cli.render import economics_table, folded_losses
    headers = [c.header for c in economics_table(result).columns] + [f"{f.key}/mo" for f in folded_losses(result)]
    assert all(f"{cc.value}/mo" in headers for cc in INVISIBLE)
    for cc in CostCenter:  # each cost center named in the definitions and styled
        assert F.center_style(cc).title in dict(DEFINITIONS)["Cost center"]


def test_a_cost_center_the_catalogue_does_not_know_is_still_labelled_drawn_and_tabulated(tiny_run, monkeypatch):
    """What a new cost center in the ledger gets without an edit anywhere else: a title, a colour, a loss
    figure with its direction, and a column in every table (an undefined value is a dash, not a KeyError)."""
    style = F.center_style("carbon_offsets")
    assert style.title == "Carbon offsets" and style.color.startswith("#") and style.legend == "Carbon offsets"
    loss = F.figure("loss_carbon_offsets_usd_per_month")
    assert loss is not None and loss.direction is F.Direction.lower and loss.label == "Carbon offsets loss per month"
    monkeypatch.setattr(F, "invisible_centers", lambda: (*(cc.value for cc in INVISIBLE), "carbon_offsets"))
    result, folder = tiny_run
    b = load_bundle(folder)
    table = policy_table(b)
    assert "carbon_offsets/mo" in table.columns
    col = table.columns.index("carbon_offsets/mo")
    assert all(row[col] == units.DASH for row in table.rows)
    assert "carbon_offsets/mo" in [h for _, h, _ in interval_columns([])]
    assert figure_column(F.losses()[-1]).get("x", b.policies[b.baseline]) is None
    from simroute.cli.render import economics_table
    from simroute.report.figures import trap
    assert "carbon_offsets/mo" in [c.header for c in economics_table(result).columns]
    assert trap(b) is not None


# ---- the formatters ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("x, text", [
    (0.0, "$0"), (-0.3, "$0"), (-0.6, f"{MINUS}$1"), (-20.0, f"{MINUS}$20"), (1234.4, "$1,234"),
    (-1234.4, f"{MINUS}$1,234"), (9999.4, "$9,999"), (12345.0, "$12.3k"), (-12345.0, f"{MINUS}$12.3k"),
    (2_500_000.0, "$2.50M"), (-1_234_567_890.0, f"{MINUS}$1,234.57M"), (None, "—"), (math.nan, "—")])
def test_usd_known_answers(x, text):
    assert units.usd(x) == text


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_usd_has_one_minus_sign_and_never_a_negative_zero(x):
    text = units.usd(x)
    assert "-" not in text and text.count(MINUS) <= 1
    assert not text.startswith(f"{MINUS}$0") or any(c in "123456789" for c in text)
    assert text.startswith(MINUS) == (x < 0 and any(c in "123456789" for c in text))


@pytest.mark.parametrize("call, text", [
    (lambda: units.pct(57.26), "57.3%"), (lambda: units.pct(57.26, 0), "57%"), (lambda: units.share(0.83412, 2),
                                                                                  "83.41%"),
    (lambda: units.share(None), "—"), (lambda: units.ratio(4.9), "4.90"), (lambda: units.count(12345), "12,345"),
    (lambda: units.number(1.25, 1), "1.2"), (lambda: units.compact(None), "n/a"),
    (lambda: units.compact(1234.0), "1234"),
    (lambda: units.compact(25_000.0), "25k"), (lambda: units.compact(-35_000_000.0), "-35M"),
    (lambda: units.compact(0.000123456), "0.0001235"),
    (lambda: units.show(Unit.pct, 57.26), "57.3"), (lambda: units.show(Unit.share, 0.5, 0), "50%"),
    (lambda: units.show(Unit.usd, -12345.0), f"{MINUS}$12.3k"), (lambda: units.show(Unit.integer, 3.0), "3")])
def test_formatter_known_answers(call, text):
    assert call() == text


def test_a_figure_shows_in_its_unit():
    assert F.QUALITY.show(0.8341) == "83.4%" and F.QUALITY.show(0.8341, 2) == "83.41%"
    assert F.BILL.show(57.26) == "57.3" and F.TRAP.show(None) == "—" and F.TRAP.show(4.9) == "4.90"
    assert F.SAVINGS.show(-12345.0) == f"{MINUS}$12.3k" and F.CHURNED.show(1234) == "1,234"
    assert F.TIER_SHARE.expand("small").read({"tier_share": {}}) == 0.0
    assert F.TIER_QUALITY.expand("small").read({"quality": {"overall": 0.5}}) is F.MISSING
