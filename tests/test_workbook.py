"""The workbook a finance reader opens: the headline first, totals that are formulas and evaluate to the ledger,
whole dollars, and a print setup that keeps case 1 to a few landscape pages."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from simroute.api import write_results
from simroute.export.spreadsheet import DOLLARS, SHEETS
from simroute.headline import sentence_for
from simroute.report import load_bundle


@pytest.fixture(scope="module")
def folder(tmp_path_factory, case1) -> Path:
    return write_results(case1, tmp_path_factory.mktemp("workbook") / "case1")


def _formulas_and_values(path: Path, sheet: str):
    return openpyxl.load_workbook(path)[sheet], openpyxl.load_workbook(path, data_only=True)[sheet]


def test_first_sheet_is_the_headline_with_savings_against_loss_per_policy(folder):
    b = load_bundle(folder)
    f, v = _formulas_and_values(folder / "ledger.xlsx", "Headline")
    assert openpyxl.load_workbook(folder / "ledger.xlsx").sheetnames[0] == "Headline"
    shown = {n: b.policies[n] for n in b.shown_policies()}
    assert v["A2"].value == sentence_for(shown, b.baseline)
    header = [c.value for c in v[4]]
    assert header[:2] == ["Policy", "Inference saved"] and header[-3:] == ["Total loss downstream", "Net value",
                                                                            "Trap ratio"]
    rows = [r for r in v.iter_rows(min_row=5, values_only=True) if r[0] in b.policies]
    assert [r[0] for r in rows] == [n for n in b.shown_policies() if n != b.baseline]
    for i, r in enumerate(rows):
        p = b.policies[r[0]]
        total, net = f.cell(5 + i, len(header) - 2).value, f.cell(5 + i, len(header) - 1).value
        assert total.startswith("=SUM(") and net.startswith("=B")  # totals are formulas ...
        assert r[-3] == pytest.approx(p["invisible_loss_usd_per_month"]["total"], abs=0.01)  # ... cached right
        assert r[-2] == pytest.approx(p["net_value_usd_per_month"], abs=0.01)
        assert r[-2] == pytest.approx(r[1] - r[-3])


def _evaluate_sum(ws_values, formula: str) -> float:
    """The value of '=SUM(C2:K2)' from the cached values of the cells it names."""
    m = re.fullmatch(r"=SUM\(([A-Z]+\d+):([A-Z]+\d+)\)", formula)
    assert m, formula
    return sum(c.value or 0 for row in ws_values[m.group(1):m.group(2)] for c in row)


@pytest.mark.parametrize("sheet", ["Ledger", "By month"])
def test_every_total_is_a_formula_that_evaluates_to_the_cells_it_sums(folder, sheet):
    f, v = _formulas_and_values(folder / "ledger.xlsx", sheet)
    n_totals = 0
    for row in f.iter_rows(min_row=2):
        for c in row:
            if isinstance(c.value, str) and c.value.startswith("="):
                n_totals += 1
                assert v[c.coordinate].value == pytest.approx(_evaluate_sum(v, c.value), abs=0.02), c.coordinate
    assert n_totals > 20
    led = pl.read_parquet(folder / "ledger.parquet")
    b = load_bundle(folder)
    grand = {r[0][: -len(" — total")]: r[-1] for r in v.iter_rows(min_row=2, values_only=True)
             if isinstance(r[0], str) and r[0].endswith(" — total")}
    assert set(grand) == set(b.policy_order)
    for policy, total in grand.items():
        assert total == pytest.approx(led.filter(pl.col("policy") == policy)["usd"].sum(), abs=0.05)


def test_money_is_whole_dollars_and_print_setup_is_landscape_fit_to_width(folder):
    wb = openpyxl.load_workbook(folder / "ledger.xlsx")
    assert tuple(wb.sheetnames) == SHEETS
    assert wb["Ledger"].cell(2, 4).number_format == DOLLARS
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0, ws.title  # None: 1
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.print_title_rows, ws.title  # header rows repeat on every printed page
    for r in range(2, wb["Definitions"].max_row + 1):  # wrapped definitions get the height they need
        text = wb["Definitions"].cell(r, 2).value or ""
        assert (wb["Definitions"].row_dimensions[r].height or 15) >= 15 * (len(text) // 100 + 1)  # None: 15


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_case1_workbook_prints_on_at_most_eight_pages(folder, tmp_path):
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(folder / "ledger.xlsx")], check=True, capture_output=True, timeout=300)
    pdf = (tmp_path / "ledger.pdf").read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 6 <= pages <= 8


def test_detection_sheet_has_the_report_columns_and_every_alarm(folder):
    """The report's detection columns (false alarms a count, alarm days the list), days as numbers."""
    from simroute.report.content import DETECTION_COLUMNS, alarm_days
    ws = openpyxl.load_workbook(folder / "ledger.xlsx")["Detection"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert list(rows[0][:len(DETECTION_COLUMNS)]) == DETECTION_COLUMNS
    mons = load_bundle(folder).monitors
    got = {r[0]: r for r in rows[1:] if r[0] in mons}
    assert set(got) == set(mons)
    for name, m in mons.items():
        r = got[name]
        assert (r[1], r[2], r[6], r[7]) == (m["policy"], m["kind"], m["false_alarms"], alarm_days(m["alarm_days"]))
        assert r[4] == (m["first_alarm_day"] if m["first_alarm_day"] is not None else "never")
