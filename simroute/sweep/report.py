"""The sweep report (sweep.html and sweep.md): what was swept, the figure at every point per policy, break-even,
curve metrics, tornado and the plots, each plot with a caption saying how to read it."""
from __future__ import annotations

import html
from typing import Any

from .. import figures as F
from .analysis import PointTable, metric_label
from .run import SweepResult

CAPTIONS = {
    "frontier": "Left: each threshold policy's share of the quality gap to the capable model recovered (PGR) against "
                "its share of calls to the capable model, with APGR and CPT. Right: bill (% of the baseline's) "
                "against quality at every sweep point; the line joins the points on each policy's cost-quality "
                "frontier (no other point is both cheaper and better).",
    "break_even": "Each policy's figure along the swept parameter, mean over replicates (shade: the replicates' "
                  "range); where a line crosses zero the policy stops paying for itself, with the crossing's 95% "
                  "bootstrap interval as a band. Only policies the parameter moves are drawn.",
    "tornado": "How far the figure moves when one parameter goes from its low to its high value, every other "
               "parameter as in the scenario; the widest bar is the assumption the result depends on most.",
}


def cell(metric: str, value: float | None) -> str:
    """A per-point value in its figure's unit."""
    f = F.figure(metric)
    if value is None:
        return "—"
    return f.show(value) if f is not None else f"{value:.4g}"


def points_markdown(t: PointTable) -> list[str]:
    """The per-point table as Markdown lines."""
    lines = [f"## {metric_label(t.metric).capitalize()} at every point (mean over replicates)", "",
             "| point | " + " | ".join(t.policies) + " |", "|---|" + "---:|" * len(t.policies)]
    lines += [f"| {label} | " + " | ".join(cell(t.metric, v) for v in row) + " |"
              for label, row in zip(t.points, t.values, strict=True)]
    return lines + [""]


def caption_markdown(picture: str) -> list[str]:
    return [f"![{picture}](plots/{picture}.png)", "", f"*{CAPTIONS.get(picture, '')}*", ""]


def _html_table(head: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    def tr(cells: list[str], tag: str) -> str:
        return "<tr>" + "".join(f"<{tag}{' class=num' if i >= numeric_from else ''}>{html.escape(c)}</{tag}>"
                                for i, c in enumerate(cells)) + "</tr>"
    return f"<table><thead>{tr(head, 'th')}</thead><tbody>{''.join(tr(r, 'td') for r in rows)}</tbody></table>"


STYLE = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
         "table{border-collapse:collapse;margin:1em 0;font-variant-numeric:tabular-nums}"
         "th,td{padding:.25em .7em;border-bottom:1px solid #ddd;white-space:nowrap;text-align:left}"
         ".num{text-align:right}img{max-width:100%}figcaption{color:#555;font-size:.9em;max-width:900px}")


def sweep_html(r: SweepResult, doc: dict[str, Any], pictures: list[str], points: PointTable) -> str:
    """A self-contained page (plots referenced next to it in plots/)."""
    s = r.spec
    e = html.escape
    parts = [f"<!doctype html><html lang=en><meta charset=utf-8><title>Sweep {e(s.name)} of {e(r.scenario.name)}"
             f"</title><style>{STYLE}</style><body>",
             f"<h1>Sweep <code>{e(s.name)}</code> of <code>{e(r.scenario.name)}</code></h1>",
             f"<p>{e(s.description)}</p>" if s.description else "",
             f"<p>{e(s.mode.value)} over {e(', '.join(p.name for p in s.parameters))}: {len(r.points)} points × "
             f"{s.replicates} replicate(s) = {doc['tasks']} runs; {len(r.failures)} failed. The table of every "
             "run is <code>sweep.parquet</code>.</p>"]
    if doc["break_even"]:
        parts += ["<h2>Break-even</h2><ul>"] + [f"<li>{e(b['sentence'])}</li>" for b in doc["break_even"]] + ["</ul>"]
    parts.append(f"<h2>{e(metric_label(points.metric).capitalize())} at every point (mean over replicates)</h2>")
    parts.append(_html_table(["point", *points.policies],
                             [[label, *(cell(points.metric, v) for v in row)]
                              for label, row in zip(points.points, points.values, strict=True)]))
    if doc["tornado"]:
        parts.append(f"<h2>Sensitivity of {e(metric_label(s.tornado.metric))}</h2>")
        parts.append(_html_table(["policy", "parameter", "low → high", "at low", "base", "at high"],
                                 [[t["policy"], t["parameter"], f"{t['low']} → {t['high']}",
                                   cell(s.tornado.metric, t["at_low"]), cell(s.tornado.metric, t["base"]),
                                   cell(s.tornado.metric, t["at_high"])] for t in doc["tornado"]], numeric_from=3))
    for p in pictures:
        parts.append(f"<figure><img src='plots/{p}.png' alt='{e(p)}'><figcaption>{e(CAPTIONS.get(p, ''))}"
                     "</figcaption></figure>")
    if r.failures:
        parts += ["<h2>Failed tasks</h2><ul>"] + [f"<li>task {f['task']} (params {e(str(f['params']))}): "
                                                  f"{e(str(f['error']))}</li>" for f in doc["failed"]] + ["</ul>"]
    return "\n".join(parts) + "\n</body></html>\n"
