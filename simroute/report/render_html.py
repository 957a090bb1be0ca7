"""The self-contained HTML report: inline CSS, plots embedded as base64 PNG, no external reference."""
from __future__ import annotations

import base64
from html import escape

from .content import Table

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1180px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ddd}\
h3{font-size:1.05em;margin:1em 0 .3em}
.meta{color:#666;font-size:.9em}table{border-collapse:collapse;font-size:.85em;margin:.6em 0}
th,td{padding:.25em .6em;border-bottom:1px solid #eee}th{background:#f5f5f5;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.flag{color:#b00;font-weight:bold}
.note{color:#666;font-size:.85em}figure{margin:1.2em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{color:#444;font-size:.9em;margin-top:.3em}details{margin:.6em 0}
th,td.num{white-space:nowrap}.lead{font-size:1.25em;line-height:1.4;margin:.4em 0 .8em}
.cards{display:flex;flex-wrap:wrap;gap:.8em;margin:.6em 0 1em}.card{border:1px solid #ddd;border-radius:6px;
padding:.5em .9em;min-width:12em}.card b{display:block;font-size:1.5em;font-variant-numeric:tabular-nums}
.card span{color:#555;font-size:.85em}.card.flag b{color:#b00}
"""


def table(t: Table) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in t.columns)
    body = []
    for i, row in enumerate(t.rows):
        cells = []
        for j, v in enumerate(row):
            cls = " ".join(c for c, on in (("num", j in t.numeric), ("flag", (i, j) in t.flags)) if on)
            cells.append(f"<td class=\"{cls}\">{escape(v)}</td>" if cls else f"<td>{escape(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = f"<p class=\"note\">{escape(t.note)}</p>" if t.note else ""
    return (f"<h3>{escape(t.title)}</h3><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"{note}")


def figure(png: bytes, title: str, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f"<figure><img alt=\"{escape(title)}\" src=\"data:image/png;base64,{data}\">"
            f"<figcaption><b>{escape(title)}.</b> {escape(caption)}</figcaption></figure>")


def page(title: str, meta: str, sections: list[tuple[str, list[str]]]) -> str:
    """A whole page: sections are (heading, [html blocks])."""
    parts = [f"<h1>{escape(title)}</h1><p class=\"meta\">{escape(meta)}</p>"]
    for heading, blocks in sections:
        parts.append(f"<h2>{escape(heading)}</h2>" + "".join(blocks))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>{''.join(parts)}</body></html>\n")


def headline(sentence: str, numbers: list[tuple[str, str, str]]) -> str:
    """The headline sentence and a card per number that carries it."""
    cards = "".join(f"<div class=\"card{' flag' if '×' in value and _above_one(value) else ''}\"><b>{escape(value)}</b>"
                    f"<span>{escape(label)}<br>{escape(who)}</span></div>" for label, value, who in numbers)
    return f"<p class=\"lead\">{escape(sentence)}</p><div class=\"cards\">{cards}</div>"


def _above_one(value: str) -> bool:
    try:
        return float(value.rstrip("×").replace("−", "-")) > 1
    except ValueError:
        return False


def paragraph(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def details(summary: str, inner: str) -> str:
    return f"<details><summary>{escape(summary)}</summary>{inner}</details>"
