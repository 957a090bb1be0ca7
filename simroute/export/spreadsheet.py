"""Ledger as an Excel workbook for a finance reader: Headline, Summary, Ledger, By month, Detection, Assumptions,
Definitions.

Numbers are stored as numbers in whole dollars (or percent) formats; totals are formulas with cached values;
every sheet prints landscape, fit to the page width, with its header rows repeated on each page."""
from __future__ import annotations

import math
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import polars as pl
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from .. import figures as F
from ..headline import sentence_for
from ..report.assumptions import economic_assumptions, label
from ..report.content import (
    DETECTION_COLUMNS,
    DETECTION_NOTE,
    DETECTION_TITLE,
    alarm_days,
    detection_order,
    replicates_column,
)
from .content import DEFINITIONS, SUMMARY_COLUMNS, ledger_rows
from .interface import LedgerExporter, LedgerFormat

CREATED = datetime(2000, 1, 1, tzinfo=UTC)  # fixed, so a seed fixes every byte of the workbook
DOLLARS = '"$"#,##0;[Red]"−$"#,##0'  # whole dollars: cents from a simulation are noise to a finance reader
RATIO = '0.00;"−"0.00'
FORMATS = {"usd": {"num_format": DOLLARS}, "pct": {"num_format": '0.0%;"−"0.0%'}, "ratio": {"num_format": RATIO},
           "text": {}}
SHEETS = ("Headline", "Summary", "Ledger", "By month", "Detection", "Assumptions", "Definitions")
LINE_ITEMS = {"human_contacts": "Human support contacts", "churned_revenue": "Churned revenue",
              "classifier": "Router classifier", "verifier": "Verifier", "audit_programme": "Audit programme",
              "caught_events": "Compliance events caught by audit",
              "missed_events_expected_violations": "Expected violations (events the audit missed)"}
PER_MODEL = {"inference": "Inference", "shadow_scoring": "Shadow scoring"}
POINTS_PER_LINE = 15.0
DETECTION_FORMATS: dict[str, dict[str, Any]] = {
    "d_text": {}, "d_wrap": {"text_wrap": True}, "d_int": {"num_format": "0"}, "d_right": {"align": "right"},
    "d_day": {"num_format": "0.0"}, "d_flag": {"num_format": "0", "bold": True, "font_color": "#B00000"}}


def line_item_name(item: str) -> str:
    """'inference:capable' -> 'Inference — capable model'; a known item by its name; any other made readable."""
    head, _, model = item.partition(":")
    if model:
        return f"{PER_MODEL.get(head, head.replace('_', ' ').capitalize())} — {model} model"
    return LINE_ITEMS.get(item, item.replace("_", " ").capitalize())


def center_name(cc: str) -> str:
    return F.center_style(cc).title


class XlsxLedger(LedgerExporter):
    format = LedgerFormat.xlsx

    def default_name(self):
        return "ledger.xlsx"

    def write(self, b, path):
        wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True})
        try:
            wb.set_properties({"created": CREATED})
            f = {k: wb.add_format(v) for k, v in FORMATS.items()}
            f["head"] = wb.add_format({"bold": True, "bg_color": "#EEEEEE", "bottom": 1, "text_wrap": True,
                                       "valign": "top"})
            f["head_num"] = wb.add_format({"bold": True, "bg_color": "#EEEEEE", "bottom": 1, "text_wrap": True,
                                           "valign": "top", "align": "right"})
            f["title"] = wb.add_format({"bold": True, "font_size": 14})
            f["lead"] = wb.add_format({"font_size": 12, "text_wrap": True, "valign": "top"})
            f["note"] = wb.add_format({"italic": True, "font_color": "#666666"})
            f["wrap"] = wb.add_format({"text_wrap": True, "valign": "top"})
            f["flag"] = wb.add_format({"num_format": RATIO, "bold": True, "font_color": "#B00000"})
            f["total"] = wb.add_format({"num_format": DOLLARS, "bold": True, "top": 1})
            f["total_text"] = wb.add_format({"bold": True, "top": 1})
            for name, spec in DETECTION_FORMATS.items():  # top-aligned: a row's alarm-day list may wrap
                f[name] = wb.add_format({**spec, "valign": "top"})
            _headline(wb.add_worksheet("Headline"), b, f)
            _summary(wb.add_worksheet("Summary"), b, f)
            _ledger(wb.add_worksheet("Ledger"), b, f)
            _by_month(wb.add_worksheet("By month"), b, f)
            _detection(wb.add_worksheet("Detection"), b, f)
            _assumptions(wb.add_worksheet("Assumptions"), b, f)
            _definitions(wb.add_worksheet("Definitions"), f)
        finally:
            wb.close()


def _print_setup(ws, header_row: int) -> None:
    """Landscape, fit to one page wide, the header row repeated on every printed page."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0, header_row)


def _header(ws, row: int, headers: list[str], fmt, widths: list[int], numeric: Collection[int] = (),
            right=None) -> None:
    """The header row and column widths; the headers of `numeric` columns in `right` (right-aligned, over
    their right-aligned numbers, so a number never reads as under the next column's header)."""
    for j, (h, w) in enumerate(zip(headers, widths, strict=True)):
        ws.write_string(row, j, h, right if j in numeric and right is not None else fmt)
        ws.set_column(j, j, w)


def _wrapped_height(texts: list[tuple[str, int]]) -> float:
    """Row height (points) that shows every (text, column width in characters) of a row when wrapped."""
    lines = max((sum(max(1, math.ceil(len(part) / max(w - 1, 1))) for part in t.split("\n")) for t, w in texts),
                default=1)
    return POINTS_PER_LINE * lines


def _headline(ws, b, f) -> None:
    """The headline sentence and savings against loss per policy (deltas against the baseline, per month)."""
    shown = {n: b.policies[n] for n in b.shown_policies()}
    others = [n for n in shown if n != b.baseline]
    centers = [(cc, F.LOSS.expand(cc)) for cc in F.invisible_centers()
               if any(abs(F.LOSS.expand(cc).read(shown[n]) or 0.0) >= 0.5 for n in others)]
    headers = ["Policy", "Inference saved", *(f"{center_name(cc)} loss" for cc, _ in centers),
               "Total loss downstream", "Net value", "Trap ratio"]
    last = len(headers) - 1
    ws.write_string(0, 0, f"{b.name}: savings against loss per month, each policy against '{b.baseline}'",
                    f["title"])
    ws.merge_range(1, 0, 1, last, sentence_for(shown, b.baseline), f["lead"])
    ws.set_row(1, _wrapped_height([(sentence_for(shown, b.baseline), 20 + 16 * last)]) + 4)
    _header(ws, 3, headers, f["head"], [24, *([16] * (last - 1)), 12], range(1, len(headers)), f["head_num"])
    ws.set_row(3, 32)
    for i, name in enumerate(others):
        r, p = 4 + i, shown[name]
        ws.write_string(r, 0, name)
        ws.write_number(r, 1, float(F.SAVINGS.read(p) or 0.0), f["usd"])
        losses = [float(fig.read(p) or 0.0) for _, fig in centers]
        for j, v in enumerate(losses):
            ws.write_number(r, 2 + j, v, f["usd"])
        total_col = 2 + len(centers)
        first, end = xl_rowcol_to_cell(r, 2), xl_rowcol_to_cell(r, total_col - 1)
        total = sum(losses)
        ws.write_formula(r, total_col, f"=SUM({first}:{end})" if centers else "=0", f["usd"], total)
        saved = xl_rowcol_to_cell(r, 1)
        ws.write_formula(r, total_col + 1, f"={saved}-{xl_rowcol_to_cell(r, total_col)}", f["usd"],
                         float(F.SAVINGS.read(p) or 0.0) - total)
        t = F.TRAP.read(p)
        if isinstance(t, (int, float)) and t == t:
            ws.write_number(r, last, float(t), f["flag"] if t > 1 else f["ratio"])
        else:
            ws.write_blank(r, last, None)
    folded = [center_name(cc) for cc in F.invisible_centers() if cc not in dict(centers)]
    note = ("Per 30-day month over each policy's steady-state window. A loss is the extra cost that lands in that "
            "team's budget because of the policy (negative: the team gains). Net value = inference saved − total "
            "loss. Trap ratio = total loss ÷ inference saved; in red above 1.")
    if folded:
        note += f" {', '.join(folded)}: $0 for every policy (not shown)."
    ws.merge_range(5 + len(others), 0, 5 + len(others), last, note, f["wrap"])
    ws.set_row(5 + len(others), _wrapped_height([(note, 20 + 16 * last)]))
    _print_setup(ws, 3)


def _summary(ws, b, f) -> None:
    ws.write_string(0, 0, f"simroute ledger summary: {b.name}", f["title"])
    ws.write_string(1, 0, f"Per 30-day month over each policy's steady-state window, against '{b.baseline}'. "
                          "See Definitions for every figure.", f["note"])
    with_intervals = any(b.policies[p].get("intervals") for p in b.shown_policies())
    headers: list[str] = []
    cols: list[tuple[Any, str | None]] = []
    for c in SUMMARY_COLUMNS:
        headers.append(c.header)
        cols.append((c, None))
        if with_intervals and c.interval_key:
            headers += [f"{c.header}: replicate mean", f"{c.header}: 95% low", f"{c.header}: 95% high"]
            cols += [(c, "mean"), (c, "low"), (c, "high")]
    _header(ws, 3, headers, f["head"], [22 if c.kind == "text" else 13 for c, _ in cols],
            {j for j, (c, _) in enumerate(cols) if c.kind != "text"}, f["head_num"])
    ws.set_row(3, 45)
    for i, name in enumerate(b.shown_policies()):
        p = b.policies[name]
        for j, (c, bound) in enumerate(cols):
            if bound is None:
                value = c.get(name, p)
            else:
                iv = (p.get("intervals") or {}).get(c.interval_key)
                value = None if iv is None else iv.get(bound)
            if value is None:
                ws.write_blank(4 + i, j, None)
            elif c.kind == "text":
                ws.write_string(4 + i, j, str(value))
            else:
                flag = c.kind == "ratio" and value > 1
                ws.write_number(4 + i, j, float(value), f["flag"] if flag else f[c.kind])
    ws.freeze_panes(4, 1)
    ws.write_string(6 + len(b.shown_policies()), 0, "Trap ratio above 1 in red: the savings cost other teams "
                                                    "more than they saved.", f["note"])
    _print_setup(ws, 3)


def _month_headers(led: pl.DataFrame) -> tuple[list[int], list[str]]:
    """Months and their headers, a partial last month marked with its days: 'Month 9 (12 days)'."""
    d = led.group_by("month").agg(pl.col("days").max()).sort("month")
    months, days = d["month"].to_list(), d["days"].to_list()
    return months, [f"Month {m}" + (f" ({n} days)" if n < 30 else "") for m, n in zip(months, days, strict=True)]


def _pivot(ws, b, f, keys: list[str], names: list[str], key_names) -> None:
    """Rows of `keys` (after the policy) x one column per month + a Total formula; a bold Total row per policy
    (formulas over its block); rows $0 in every month are left out and counted in a note."""
    led = ledger_rows(b)
    months, month_heads = _month_headers(led)
    per = led.group_by(["policy", *keys, "month"]).agg(pl.col("usd").sum())
    lookup = {tuple(r[:-1]): r[-1] for r in per.select("policy", *keys, "month", "usd").iter_rows()}
    groups = led.select("policy", *keys).unique(maintain_order=True)
    headers = ["Policy", *names, *month_heads, "Total"]
    ncol = len(headers)
    first_month = 1 + len(keys)
    policy_width = min(56, max(22, *(len(p) + 10 for p in b.policy_order)))  # room for "name — total"
    _header(ws, 0, headers, f["head"], [policy_width, *([16] * (len(keys) - 1)), 30 if len(keys) > 1 else 16,
                                        *([13] * len(months)), 14], range(first_month, ncol), f["head_num"])
    ws.set_row(0, 32)
    row, folded = 1, 0
    for policy in b.policy_order:
        block = [g for g in groups.iter_rows() if g[0] == policy]
        start = row
        for g in block:
            vals = [round(lookup.get((*g, m), 0.0), 2) for m in months]
            if all(abs(v) < 0.005 for v in vals):
                folded += 1
                continue
            ws.write_string(row, 0, policy)
            for j, k in enumerate(g[1:]):
                ws.write_string(row, 1 + j, key_names[j](k))
            for j, v in enumerate(vals):
                ws.write_number(row, first_month + j, v, f["usd"])
            a, z = xl_rowcol_to_cell(row, first_month), xl_rowcol_to_cell(row, ncol - 2)
            ws.write_formula(row, ncol - 1, f"=SUM({a}:{z})", f["usd"], round(sum(vals), 2))
            row += 1
        if row == start:
            continue
        ws.write_string(row, 0, f"{policy} — total", f["total_text"])
        for j in range(1, first_month):
            ws.write_blank(row, j, None, f["total_text"])
        for j in range(first_month, ncol):
            a, z = xl_rowcol_to_cell(start, j), xl_rowcol_to_cell(row - 1, j)
            cached = sum(round(lookup.get((*g, m), 0.0), 2) for g in block for m in
                         (months if j == ncol - 1 else [months[j - first_month]]))
            ws.write_formula(row, j, f"=SUM({a}:{z})", f["total"], round(cached, 2))
        row += 2
    if folded:
        ws.write_string(row, 0, f"{folded} rows that are $0 in every month are not shown.", f["note"])
    ws.freeze_panes(1, first_month)
    _print_setup(ws, 0)


def _ledger(ws, b, f) -> None:
    _pivot(ws, b, f, ["cost_center", "line_item"], ["Cost center", "Line item"], [center_name, line_item_name])


def _by_month(ws, b, f) -> None:
    _pivot(ws, b, f, ["cost_center"], ["Cost center"], [center_name])


def _detection(ws, b, f) -> None:
    """The report's detection timeline under its column names: days as numbers, every alarm day listed."""
    mons, reps = b.monitors, b.summary.get("replicates")
    ws.write_string(0, 0, DETECTION_TITLE, f["title"])
    if not mons:
        ws.write_string(1, 0, "The scenario has no monitors: no detection timeline.", f["note"])
        _print_setup(ws, 0)
        return
    bounds = [f"{replicates_column(reps['n'])}: {x}" for x in ("mean", "95% low", "95% high")] if reps else []
    headers = [*DETECTION_COLUMNS, *bounds]
    widths = [24, 20, 20, 9, 11, 9, 11, 40, *([16] * len(bounds))]
    _header(ws, 2, headers, f["head"], widths, {3, 4, 5, 6, *range(8, len(headers))}, f["head_num"])
    ws.set_row(2, 45 if reps else 18)
    days = {"onset": "onset_day", "first alarm": "first_alarm_day", "delay": "delay_days", "false alarms":
            "false_alarms"}
    for i, name in enumerate(detection_order(mons)):
        m, r = mons[name], 3 + i
        for j, text in enumerate((name, m["policy"], m["kind"])):
            ws.write_string(r, j, text, f["d_text"])
        for j, col in enumerate(DETECTION_COLUMNS[3:7], start=3):
            v = m[days[col]]
            if v is None:
                ws.write_string(r, j, "never" if col == "first alarm" else "—", f["d_right"])
            else:
                ws.write_number(r, j, v, f["d_flag"] if col == "false alarms" and v else f["d_int"])
        ws.write_string(r, 7, alarm_days(m["alarm_days"]), f["d_wrap"])
        iv = (reps["figures"].get(name, {}).get("detection_day") or {}) if reps else {}
        for j, key in enumerate(("mean", "low", "high") if reps else (), start=8):
            v = iv.get(key)
            if isinstance(v, (int, float)) and v == v:
                ws.write_number(r, j, v, f["d_day"])
            else:
                ws.write_blank(r, j, None)
        ws.set_row(r, _wrapped_height([(alarm_days(m["alarm_days"]), widths[7])]))
    ws.merge_range(4 + len(mons), 0, 4 + len(mons), 7, DETECTION_NOTE, f["wrap"])
    ws.set_row(4 + len(mons), _wrapped_height([(DETECTION_NOTE, sum(widths[:8]))]))
    ws.freeze_panes(3, 1)
    _print_setup(ws, 2)


def _assumptions(ws, b, f) -> None:
    headers = ["Parameter", "YAML path", "Value", "Unit", "Meaning", "Provenance"]
    widths = [48, 48, 12, 26, 60, 110]
    _header(ws, 0, headers, f["head"], widths)
    for i, a in enumerate(economic_assumptions(b.scenario, b.provenance)):
        name = label(a.path, b.scenario)
        ws.write_string(1 + i, 0, name, f["wrap"])
        ws.write_string(1 + i, 1, a.path, f["wrap"])
        if isinstance(a.value, bool):
            ws.write_boolean(1 + i, 2, a.value)
        elif isinstance(a.value, (int, float)):
            ws.write_number(1 + i, 2, a.value)
        else:
            ws.write_string(1 + i, 2, str(a.value), f["wrap"])
        ws.write_string(1 + i, 3, a.unit, f["wrap"])
        ws.write_string(1 + i, 4, a.meaning, f["wrap"])
        ws.write_string(1 + i, 5, a.provenance, f["wrap"])
        ws.set_row(1 + i, _wrapped_height([(name, widths[0]), (a.path, widths[1]), (str(a.value), widths[2]),
                                           (a.unit, widths[3]), (a.meaning, widths[4]), (a.provenance, widths[5])]))
    ws.freeze_panes(1, 1)
    _print_setup(ws, 0)


def _definitions(ws, f) -> None:
    widths = [24, 100]
    _header(ws, 0, ["Term", "Definition"], f["head"], widths)
    for i, (term, text) in enumerate(DEFINITIONS):
        ws.write_string(1 + i, 0, term, f["wrap"])
        ws.write_string(1 + i, 1, text, f["wrap"])
        ws.set_row(1 + i, _wrapped_height([(term, widths[0]), (text, widths[1])]))
    _print_setup(ws, 0)
