"""Reports a person reads: the HTML/Markdown report, the plots, the CFO ledger export and `compare`.

The spreadsheet is written by xlsxwriter and read back here with openpyxl (a different library); its totals
must equal the Parquet ledger to the cent. The HTML must reference nothing outside itself.
"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from simroute.api import write_results
from simroute.cli import app
from simroute.export import REGISTRY, LedgerFormat
from simroute.export.content import DEFINITIONS
from simroute.report import PLOTS, Plot, load_bundle

CASES = ("case1", "case2", "case3")
runner = CliRunner()


@pytest.fixture(scope="module")
def folders(tmp_path_factory, case1, case2, case3):
    """Each shipped case's results folder, written with its report and spreadsheet."""
    root = tmp_path_factory.mktemp("reports")
    return {c: write_results(r, root / c) for c, r in zip(CASES, (case1, case2, case3), strict=True)}


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.refs += [v for k, v in attrs if k in ("src", "href", "data", "poster", "srcset", "action") and v]


# ---- the report -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES)
def test_html_report_is_self_contained(folders, case):
    text = (folders[case] / "report.html").read_text(encoding="utf-8")
    p = _Refs()
    p.feed(text)
    assert p.refs and all(r.startswith("data:image/png;base64,") for r in p.refs)
    assert not {"script", "link", "iframe"} & set(p.tags)
    assert "url(" not in text and "@import" not in text and "http://" not in text and "https://" not in text


@pytest.mark.parametrize("case", CASES)
def test_report_has_every_section_and_table(folders, case):
    b = load_bundle(folders[case])
    html = (folders[case] / "report.html").read_text(encoding="utf-8")
    md = (folders[case] / "report.md").read_text(encoding="utf-8")
    for text in (html, md):
        for heading in ("Scenario", "Policies", "Ledger", "Quality and detection", "Economic assumptions"):
            assert heading in text
        for policy in b.shown_policies():
            assert policy in text
        assert b.scenario.name in text
    for k in PLOTS:
        if (folders[case] / "plots" / f"{k.value}.png").exists():
            assert f"plots/{k.value}.png" in md and PLOTS[k].caption in md


@pytest.mark.parametrize("case", CASES)
def test_every_plot_file_is_produced_and_non_empty(folders, case):
    b = load_bundle(folders[case])
    expected = set(Plot) - ({Plot.detection} if not b.monitors else set()) - {Plot.operating_curve}  # replicates
    for k in expected:
        for ext in ("png", "svg"):
            f = folders[case] / "plots" / f"{k.value}.{ext}"
            assert f.exists() and f.stat().st_size > 5000, f
    assert (folders[case] / "plots" / "cost_quality.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_plot_kind_has_a_builder_and_caption():
    assert set(PLOTS) == set(Plot)
    assert all(spec.caption and spec.title for spec in PLOTS.values())


def test_every_axis_is_labelled_with_units(folders):
    b = load_bundle(folders["case1"])
    for kind, spec in PLOTS.items():
        fig = spec.build(b)
        if kind is Plot.operating_curve:  # drawn only with replicates (tests/test_onsets.py)
            continue
        assert fig is not None, kind
        for ax in fig.axes:
            if not ax.get_visible():
                continue
            for label in (ax.get_xlabel(), ax.get_ylabel()):
                if ax.get_subplotspec() is not None and not label and kind is Plot.weekly_quality:
                    continue  # shared x axis: only the bottom row carries the label
                assert "(" in label and ")" in label, (kind, label)


def test_reports_are_byte_identical_across_rewrites(folders, tmp_path):
    b = load_bundle(folders["case2"])
    from simroute.report import write_report
    write_report(b, tmp_path / "a")
    write_report(b, tmp_path / "b")
    for name in ("report.html", "report.md", "plots/trap.svg", "plots/trap.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


# ---- the spreadsheet --------------------------------------------------------------------------------------

def _sheet_rows(ws, first: int = 2):
    return [r for r in ws.iter_rows(min_row=first, values_only=True) if any(v is not None for v in r)]


def _pivot_cells(ws, keys: int) -> dict[tuple, int]:
    """(policy, *key names, month header) -> cents of every month cell of a Ledger / By month sheet, totals left out."""
    header = [c.value for c in ws[1]]
    cells = {}
    for r in _sheet_rows(ws):
        if not r[0] or str(r[0]).endswith(" — total") or r[1] is None:
            continue
        for j in range(1 + keys, len(header) - 1):
            cells[(r[0], *r[1:1 + keys], header[j])] = round(r[j] * 100)
        assert round(r[-1] * 100) == round(sum(r[1 + keys:-1]) * 100)  # the row's Total formula, evaluated
    return cells


def _month_header(led: pl.DataFrame) -> dict[int, str]:
    d = led.group_by("month").agg(pl.col("days").max())
    return {m: f"Month {m}" + (f" ({n} days)" if n < 30 else "") for m, n in d.iter_rows()}


@pytest.mark.parametrize("case", CASES)
def test_spreadsheet_ledger_equals_parquet_ledger_to_the_cent(folders, case):
    from simroute.export.spreadsheet import SHEETS, center_name, line_item_name
    led = pl.read_parquet(folders[case] / "ledger.parquet")
    wb = openpyxl.load_workbook(folders[case] / "ledger.xlsx", data_only=True)
    assert tuple(wb.sheetnames) == SHEETS
    got = _pivot_cells(wb["Ledger"], 2)
    heads = _month_header(led)
    want = {(r["policy"], center_name(r["cost_center"]), line_item_name(r["line_item"]), heads[r["month"]]):
            round(r["usd"] * 100) for r in led.iter_rows(named=True)}
    assert {k: v for k, v in want.items() if v} == {k: v for k, v in got.items() if v}
    assert "$" in wb["Ledger"].cell(2, 4).number_format
    assert not any(":" in str(r[2]) for r in _sheet_rows(wb["Ledger"]) if r[2])  # human line-item names


@pytest.mark.parametrize("case", CASES)
def test_by_month_sheet_adds_up_to_the_parquet_ledger(folders, case):
    from simroute.export.spreadsheet import center_name
    led = pl.read_parquet(folders[case] / "ledger.parquet")
    wb = openpyxl.load_workbook(folders[case] / "ledger.xlsx", data_only=True)
    got = _pivot_cells(wb["By month"], 1)
    heads = _month_header(led)
    per = led.group_by(["policy", "cost_center", "month"]).agg(pl.col("usd").sum())
    want = {(r["policy"], center_name(r["cost_center"]), heads[r["month"]]): round(r["usd"] * 100)
            for r in per.iter_rows(named=True)}
    assert {k: v for k, v in want.items() if v} == {k: v for k, v in got.items() if v}


@pytest.mark.parametrize("case", CASES)
def test_summary_sheet_matches_summary_json(folders, case):
    doc = json.loads((folders[case] / "summary.json").read_text())
    ws = openpyxl.load_workbook(folders[case] / "ledger.xlsx", data_only=True)["Summary"]
    header = [c.value for c in ws[4]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=5, values_only=True)
            if r[0] in doc["policies"]}
    b = load_bundle(folders[case])
    assert list(rows) == b.shown_policies()
    for name, r in rows.items():
        p = doc["policies"][name]
        assert r["Inference saved per month"] == pytest.approx(p["savings_usd_per_month"])
        assert r["Net value per month"] == pytest.approx(p["net_value_usd_per_month"])
        assert r["Retention loss per month"] == pytest.approx(p["invisible_loss_usd_per_month"]["retention"])
        assert r["Trap ratio"] == (None if p["trap_ratio"] is None else pytest.approx(p["trap_ratio"]))


def test_assumptions_and_definitions_sheets(folders):
    wb = openpyxl.load_workbook(folders["case3"] / "ledger.xlsx", data_only=True)
    rows = _sheet_rows(wb["Assumptions"])
    by_path = {r[1]: r for r in rows}
    contact = by_path["economics.support.usd_per_contact"]
    assert isinstance(contact[2], (int, float)) and contact[3] == "USD" and contact[5]
    assert "economics.compliance.usd_per_violation" in by_path
    assert all(r[5] for r in rows)  # every row says where its value comes from
    terms = [r[0] for r in _sheet_rows(wb["Definitions"])]
    assert terms == [t for t, _ in DEFINITIONS] and "Trap ratio" in terms


def test_every_ledger_format_is_registered():
    assert set(REGISTRY) == set(LedgerFormat)
    assert all(REGISTRY[f].format is f for f in LedgerFormat)


# ---- the threshold curves ---------------------------------------------------------------------------------

def test_threshold_curve_passes_through_the_policy_at_its_threshold(case2):
    """At a threshold on a bin edge the curve is exactly the static policy (same queries, same answers)."""
    for name, p in case2.policies.items():
        c = case2.curves.filter(pl.col("policy") == name)
        if not c.height:
            continue
        cfg = case2.output.configs[name]
        t = (1.0 - cfg.cheap_share if cfg.kind.value == "random"
             else getattr(cfg, "threshold", None) or cfg.thresholds[0])
        if cfg.model_dump().get("adaptation") or cfg.model_dump().get("recalibration") or round(t * 100) != t * 100:
            continue
        row = c.filter((pl.col("threshold") - t).abs() < 1e-9).row(0, named=True)
        assert row["quality"] == pytest.approx(p.quality["overall"], abs=1e-12)
        assert row["bill_pct_of_baseline"] == pytest.approx(p.bill_pct_of_baseline, rel=1e-9)


def test_threshold_curve_shares_are_monotone(case1):
    for name in case1.curves["policy"].unique():
        c = case1.curves.filter(pl.col("policy") == name).sort("threshold")
        assert c["cheap_share"][0] == pytest.approx(1.0) and c["cheap_share"][-1] == 0.0
        assert (c["cheap_share"].diff().drop_nulls() <= 1e-12).all()


# ---- the commands and their errors ------------------------------------------------------------------------

def _bad(result, needle: str):
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], lines
    assert "Traceback" not in result.output


def test_report_command_rewrites_a_results_folder(folders, tmp_path):
    out = tmp_path / "rep"
    r = runner.invoke(app, ["report", str(folders["case2"]), "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    written = json.loads(r.stdout)
    assert Path(written["html"]).exists() and Path(written["markdown"]).exists() and written["plots"]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging left behind


def _copy(src: Path, dst: Path) -> Path:
    import shutil
    shutil.copytree(src, dst)
    return dst


def test_report_on_a_folder_with_a_missing_file(folders, tmp_path):
    f = _copy(folders["case2"], tmp_path / "r")
    (f / "curves.parquet").unlink()
    _bad(runner.invoke(app, ["report", str(f)]), "missing curves.parquet")


def test_report_on_a_folder_from_another_version(folders, tmp_path):
    f = _copy(folders["case2"], tmp_path / "r")
    doc = json.loads((f / "summary.json").read_text())
    doc.update(schema_version=1, simroute_version="0.0.9")
    (f / "summary.json").write_text(json.dumps(doc))
    _bad(runner.invoke(app, ["report", str(f)]), "results schema 1 (written by simroute 0.0.9)")


@pytest.mark.parametrize("damage, needle", [
    (lambda f: (f / "summary.json").unlink(), "no summary.json"),
    (lambda f: (f / "summary.json").write_text("{not json"), "cannot read it as JSON"),
    (lambda f: (f / "daily.parquet").write_bytes(b"PAR1 broken"), "daily.parquet: cannot read it as Parquet"),
    (lambda f: (f / "scenario.resolved.yaml").write_text("horizon_days: -3\n"), "scenario.resolved.yaml"),
], ids=["no-summary", "bad-json", "bad-parquet", "bad-scenario"])
def test_report_on_a_damaged_folder(folders, tmp_path, damage, needle):
    f = _copy(folders["case2"], tmp_path / "r")
    damage(f)
    _bad(runner.invoke(app, ["report", str(f)]), needle)


def test_report_on_a_missing_folder_or_a_file(tmp_path):
    _bad(runner.invoke(app, ["report", str(tmp_path / "nope")]), "results folder not found")
    (tmp_path / "file").write_text("x")
    _bad(runner.invoke(app, ["report", str(tmp_path / "file")]), "not a folder")


@pytest.mark.parametrize("fmt", [f.value for f in LedgerFormat])
def test_ledger_command_every_format(folders, tmp_path, fmt):
    out = tmp_path / f"led.{fmt}"
    r = runner.invoke(app, ["ledger", str(folders["case1"]), "--format", fmt, "-o", str(out), "--quiet"])
    assert r.exit_code == 0 and r.stdout == "", r.output
    led = pl.read_parquet(folders["case1"] / "ledger.parquet")
    if fmt == "parquet":
        back = pl.read_parquet(out)
    elif fmt == "csv":
        back = pl.read_csv(out)
    else:  # the Ledger sheet is a month pivot: its per-policy total rows add up to the whole ledger
        totals = [r[-1] for r in _sheet_rows(openpyxl.load_workbook(out, data_only=True)["Ledger"])
                  if isinstance(r[0], str) and r[0].endswith(" — total")]
        assert len(totals) == led["policy"].n_unique()
        assert round(sum(totals) * 100) == round(led["usd"].sum() * 100)
        return
    assert back.height == led.height
    assert round(back["usd"].sum() * 100) == round(led["usd"].sum() * 100)


def test_ledger_command_errors(folders, tmp_path):
    _bad(runner.invoke(app, ["ledger", str(folders["case1"]), "--format", "pdf"]), "--format")
    _bad(runner.invoke(app, ["ledger", str(tmp_path / "nope")]), "results folder not found")
    _bad(runner.invoke(app, ["ledger", str(folders["case1"]), "-o", str(tmp_path)]), "is a folder")
    _bad(runner.invoke(app, ["ledger", str(folders["case1"]), "-f", "csv", "-o", str(tmp_path / "x.xlsx")]),
         "expected a .csv file")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("damage, needle", [
    (lambda f: _edit_json(f / "summary.json", lambda d: d["policies"]["pre_route"].pop("trap_ratio")),
     "policies.pre_route: missing trap_ratio"),
    (lambda f: (f / "provenance.json").write_text("[1, 2]"), "expected a mapping"),
    (lambda f: pl.read_parquet(f / "ledger.parquet").drop("usd").write_parquet(f / "ledger.parquet"),
     "missing columns usd"),
    (lambda f: (f / "scenario.resolved.yaml").write_text("name: [\n"), "cannot read the resolved scenario"),
], ids=["summary-key", "provenance-list", "ledger-column", "yaml-syntax"])
def test_every_command_refuses_a_damaged_folder(folders, tmp_path, damage, needle):
    f = _copy(folders["case2"], tmp_path / "r")
    damage(f)
    for args in (["report", str(f)], ["ledger", str(f)], ["compare", str(f), str(folders["case3"])]):
        _bad(runner.invoke(app, args), needle)


def _edit_json(path: Path, change) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def test_compare_command(folders, tmp_path):
    out = tmp_path / "cmp"
    r = runner.invoke(app, ["compare", str(folders["case2"]), str(folders["case3"]), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "case2" in r.stdout and "case3" in r.stdout
    for name in ("compare.html", "compare.md", "compare_cost_quality.png", "compare_cost_quality.svg"):
        assert (out / name).stat().st_size > 0
    p = _Refs()
    p.feed((out / "compare.html").read_text(encoding="utf-8"))
    assert all(ref.startswith("data:") for ref in p.refs)
    r = runner.invoke(app, ["compare", str(folders["case2"]), str(folders["case3"]), "-o", str(out), "--json"])
    rows = json.loads(r.stdout)["runs"]
    assert {row["run"] for row in rows} == {"case2", "case3"}
    assert "Change against 'case2'" in (out / "compare.md").read_text()


def test_compare_errors(folders, tmp_path):
    _bad(runner.invoke(app, ["compare", str(folders["case2"])]), "at least two")
    _bad(runner.invoke(app, ["compare", str(folders["case2"]), str(folders["case2"])]), "given twice")
    _bad(runner.invoke(app, ["compare", str(folders["case2"]), str(tmp_path / "nope")]), "not found")


# ---- the terminal -----------------------------------------------------------------------------------------

def test_terminal_tables_fit_100_columns_without_truncation(case1):
    from rich.console import Console

    from simroute.cli.render import print_summary
    console = Console(width=100, record=True, force_terminal=False)
    print_summary(case1, console)
    text = console.export_text()
    assert all(len(line) <= 100 for line in text.splitlines())
    assert "…" not in text
    assert "pre_route_guarded" in text and "widget_per_tier" in text


def test_trap_ratio_above_one_is_highlighted(case1):
    from simroute.cli.render import _trap
    assert "red" in _trap(4.9) and "red" not in _trap(0.5)


# ---- the headline, the number style, the plots' data ------------------------------------------------------

class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells, self._in = [], False

    def handle_starttag(self, tag, attrs):
        self._in = tag in ("td", "th")

    def handle_endtag(self, tag):
        self._in = False

    def handle_data(self, data):
        if self._in:
            self.cells.append(data)


@pytest.mark.parametrize("case", CASES)
def test_report_opens_with_the_headline_sentence(folders, case):
    from simroute.report.content import headline
    b = load_bundle(folders[case])
    html = (folders[case] / "report.html").read_text(encoding="utf-8")
    md = (folders[case] / "report.md").read_text(encoding="utf-8")
    sentence = headline(b)
    from html import escape
    assert html.index(escape(sentence)) < html.index("<h2>Policies</h2>") < html.index("<h2>Scenario</h2>")
    assert md.index(sentence) < md.index("## Policies")
    assert html.index(escape(sentence)) < html.index('alt="Visible savings vs invisible loss"') \
        < html.index("<h2>Policies</h2>")


@pytest.mark.parametrize("case", CASES)
def test_report_tables_use_one_minus_sign_and_never_show_minus_zero(folders, case):
    p = _Cells()
    p.feed((folders[case] / "report.html").read_text(encoding="utf-8"))
    md = (folders[case] / "report.md").read_text(encoding="utf-8")
    md_cells = [c.strip() for line in md.splitlines() if line.startswith("|") for c in line.split("|")]
    for cell in [*p.cells, *md_cells]:
        assert not re.search(r"(^|[\s(\[])-[$\d.]", cell), cell  # an ASCII hyphen-minus before a number
        assert not re.search(r"[−-]\$0(\.0+)?[kM]?(?![\d.,])", cell), cell
        assert not re.search(r"[−-]0\.0+(?!\d*[1-9])", cell), cell


@pytest.mark.parametrize("case", CASES)
def test_money_in_each_report_table_has_one_style(folders, case):
    from simroute.report.content import ledger_table, policy_table
    b = load_bundle(folders[case])
    for t in (policy_table(b), ledger_table(b)):
        money = [c for r in t.rows for c in r if "$" in c]
        styles = {("M" if c.endswith("M") else "k" if c.endswith("k") else "") for c in money}
        assert len(styles) == 1, (t.title, styles)


def test_ledger_table_marks_a_partial_month_and_folds_rows_of_zeros(folders):
    from simroute.report.content import ledger_table
    b = load_bundle(folders["case1"])
    t = ledger_table(b)
    assert t.columns[-2].endswith("*") and "is partial: 12 days" in t.note  # 252 days = 8 months + 12 days
    assert all(r[1] != "Compliance" for r in t.rows) and "Compliance (every policy)" in t.note


@pytest.mark.parametrize("case", CASES)
def test_detection_plot_draws_every_alarm_and_false_alarm(folders, case):
    from simroute.report.figures import detection
    b = load_bundle(folders[case])
    if not b.monitors:
        pytest.skip("no monitors")
    fig = detection(b)
    ax = fig.axes[0]
    drawn = {(round(float(x), 3), round(float(y), 3)) for c in ax.collections if hasattr(c, "get_offsets")
             for x, y in c.get_offsets() if c.get_zorder() >= 3}
    lanes = {t.get_text().split(" (")[0]: t.get_position()[1] for t in ax.get_yticklabels()}
    low, high = sorted(ax.get_ylim())
    total = 0
    for name, m in b.monitors.items():
        y = lanes[name]
        assert low < y - 0.3 and y + 0.3 < high  # the lane is inside the frame
        for day in m["alarm_days"]:
            assert (round(float(day), 3), round(float(y), 3)) in drawn, (name, day)
            total += 1
    assert total == sum(len(m["alarm_days"]) for m in b.monitors.values())


def test_plots_keep_every_bar_and_label_inside_the_frame(folders):
    from simroute.report.figures import trap
    b = load_bundle(folders["case1"])
    fig = trap(b)
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    for bar in ax.patches:
        assert low <= bar.get_y() + min(bar.get_height(), 0) and bar.get_y() + max(bar.get_height(), 0) <= high
    fig.draw_without_rendering()
    frame = ax.get_window_extent()
    for t in ax.texts:
        assert t.get_window_extent().y1 <= frame.y1 + 1, t.get_text()
    legend = fig.legends[0]
    assert all("Compliance" not in t.get_text() for t in legend.get_texts())  # no entry for an empty cost center
    assert legend.get_texts()[0].get_fontsize() >= 9
