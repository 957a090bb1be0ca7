"""Ledger as an Excel workbook for a finance reader: Summary, Ledger, By month, Assumptions, Definitions.
Numbers are stored as numbers with currency or percent formats; totals are formulas with cached values."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from ..report.assumptions import economic_assumptions, label
from .content import DEFINITIONS, SUMMARY_COLUMNS, by_month, ledger_rows
from .interface import LedgerExporter, LedgerFormat

CREATED = datetime(2000, 1, 1, tzinfo=UTC)  # fixed, so a seed fixes every byte of the workbook
CURRENCY = "$#,##0.00;[Red]-$#,##0.00"
FORMATS = {"usd": {"num_format": CURRENCY}, "pct": {"num_format": "0.0%"}, "ratio": {"num_format": "0.00"},
           "text": {}}


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
            f["title"] = wb.add_format({"bold": True, "font_size": 14})
            f["note"] = wb.add_format({"italic": True, "font_color": "#666666"})
            f["wrap"] = wb.add_format({"text_wrap": True, "valign": "top"})
            f["flag"] = wb.add_format({"num_format": "0.00", "bold": True, "font_color": "#B00000"})
            _summary(wb.add_worksheet("Summary"), b, f)
            _ledger(wb.add_worksheet("Ledger"), b, f)
            _by_month(wb.add_worksheet("By month"), b, f)
            _assumptions(wb.add_worksheet("Assumptions"), b, f)
            _definitions(wb.add_worksheet("Definitions"), f)
        finally:
            wb.close()


def _header(ws, row: int, headers: list[str], fmt, widths: list[int]) -> None:
    for j, (h, w) in enumerate(zip(headers, widths, strict=True)):
        ws.write_string(row, j, h, fmt)
        ws.set_column(j, j, w)


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
    _header(ws, 3, headers, f["head"], [22 if c.kind == "text" else 16 for c, _ in cols])
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


def _ledger(ws, b, f) -> None:
    rows = ledger_rows(b)
    headers = ["Policy", "Month", "First day", "Days", "Cost center", "Line item", "USD"]
    _header(ws, 0, headers, f["head"], [24, 8, 10, 6, 14, 34, 16])
    for i, r in enumerate(rows.iter_rows()):
        for j, v in enumerate(r):
            if isinstance(v, str):
                ws.write_string(1 + i, j, v)
            else:
                ws.write_number(1 + i, j, v, f["usd"] if j == 6 else None)
    ws.autofilter(0, 0, rows.height, len(headers) - 1)
    ws.freeze_panes(1, 0)


def _by_month(ws, b, f) -> None:
    months, rows = by_month(b)
    headers = ["Policy", "Cost center", *(f"Month {m}" for m in months), "Total"]
    _header(ws, 0, headers, f["head"], [24, 14, *([14] * len(months)), 16])
    for i, (policy, cc, vals) in enumerate(rows):
        ws.write_string(1 + i, 0, policy)
        ws.write_string(1 + i, 1, cc)
        for j, v in enumerate(vals):
            ws.write_number(1 + i, 2 + j, v, f["usd"])
        first, last = xl_rowcol_to_cell(1 + i, 2), xl_rowcol_to_cell(1 + i, 1 + len(months))
        ws.write_formula(1 + i, 2 + len(months), f"=SUM({first}:{last})", f["usd"], round(sum(vals), 2))
    ws.freeze_panes(1, 2)


def _assumptions(ws, b, f) -> None:
    headers = ["Parameter", "YAML path", "Value", "Unit", "Meaning", "Provenance"]
    _header(ws, 0, headers, f["head"], [44, 44, 12, 18, 60, 70])
    for i, a in enumerate(economic_assumptions(b.scenario, b.provenance)):
        ws.write_string(1 + i, 0, label(a.path, b.scenario))
        ws.write_string(1 + i, 1, a.path)
        if isinstance(a.value, bool):
            ws.write_boolean(1 + i, 2, a.value)
        elif isinstance(a.value, (int, float)):
            ws.write_number(1 + i, 2, a.value)
        else:
            ws.write_string(1 + i, 2, str(a.value))
        ws.write_string(1 + i, 3, a.unit)
        ws.write_string(1 + i, 4, a.meaning, f["wrap"])
        ws.write_string(1 + i, 5, a.provenance, f["wrap"])
    ws.freeze_panes(1, 1)


def _definitions(ws, f) -> None:
    _header(ws, 0, ["Term", "Definition"], f["head"], [24, 110])
    for i, (term, text) in enumerate(DEFINITIONS):
        ws.write_string(1 + i, 0, term)
        ws.write_string(1 + i, 1, text, f["wrap"])
