"""The sweep folder: sweep.parquet (the one table), curves.parquet, sweep.json, sweep.md, sweep.html and plots/, written
into a temporary sibling and renamed into place."""
from __future__ import annotations

import json
import math
from pathlib import Path

from ..atomic import check_output_folder, replacing_folder
from ..report.files import save_figure
from ..results import json_safe
from ..version import __version__
from . import analysis, plots
from .report import caption_markdown, points_markdown, sweep_html
from .run import SweepResult

SWEEP_SCHEMA_VERSION = 1


def _fmt(x) -> str:
    return "n/a" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.4g}"


def _bound(x: float, r: tuple) -> str:
    if x == math.inf:
        return f"beyond {_fmt(r[1])}"
    if x == -math.inf:
        return f"below {_fmt(r[0])}"
    return _fmt(x)


def break_even_sentence(be: analysis.BreakEven, label: str | None = None) -> str:
    """"pre_route: net value per month turns negative once <parameter> exceeds 0.21 (95% interval ...)"."""
    what, name = analysis.metric_label(be.metric), label or be.parameter
    given = "".join(f", with {k} = {v}" for k, v in be.given.items())
    lo_x, hi_x, at_lo, at_hi = be.range
    money = (lambda v: f"{'−' if v < 0 else ''}${abs(v):,.0f}") if "usd" in be.metric else _fmt
    if not math.isfinite(be.at_mean_curve):
        side = "positive" if at_lo > 0 else "negative"
        return (f"{be.policy}: {what} stays {side} over {name} from {_fmt(lo_x)} to {_fmt(hi_x)}{given} "
                f"({money(at_lo)} to {money(at_hi)})")
    turn = "negative" if be.sign_below > 0 else "positive"
    if math.isnan(be.low):
        spread = f"{be.replicates} replicate(s): no interval"
    else:
        spread = (f"95% bootstrap interval {_bound(be.low, be.range)} to {_bound(be.high, be.range)} over "
                  f"{be.replicates} replicates")
    return f"{be.policy}: {what} turns {turn} once {name} exceeds {_fmt(be.at_mean_curve)}{given} ({spread})"


def _json_bound(x: float):
    """JSON has no infinity: an open end of a break-even interval is written as a string."""
    return {math.inf: "beyond the swept range", -math.inf: "below the swept range"}.get(x, x)


def sweep_document(r: SweepResult, found, bars, curve_ivs) -> dict:
    """sweep.json: what ran, what failed (with the traceback), and what the table says."""
    labels = {p.path: p.name for p in r.spec.parameters}
    return json_safe({
        "schema_version": SWEEP_SCHEMA_VERSION, "simroute_version": __version__,
        "scenario": r.scenario.name, "seed": r.scenario.seed, "spec": r.spec.model_dump(mode="json"),
        "points": r.points, "tasks": len(r.points) * r.spec.replicates,
        "failed": [{"task": f.task.index, "params": f.task.params, "replicate": f.task.replicate,
                    "error": f.error, "traceback": f.detail} for f in r.failures],
        "break_even": [{"policy": b.policy, "parameter": b.parameter, "metric": b.metric, "given": b.given,
                        "at_mean_curve": b.at_mean_curve, "low": _json_bound(b.low), "high": _json_bound(b.high),
                        "bootstrap_share_without_crossing": b.no_crossing, "replicates": b.replicates,
                        "sentence": break_even_sentence(b, labels.get(b.parameter))} for b in found],
        "tornado": [{"policy": b.policy, "parameter": b.parameter, "low": b.low_value, "high": b.high_value,
                     "at_low": b.at_low, "at_high": b.at_high, "base": b.base} for b in bars],
        "curve_metrics_first_point": {p: {m: iv.as_dict() for m, iv in ms.items()}
                                      for p, ms in curve_ivs.items()},
    })


def _interval_cell(ms: dict, metric: str) -> str:
    """One curve metric's 'mean [low, high]' cell, or n/a where the policy has none."""
    if metric not in ms:
        return "n/a"
    iv = ms[metric]
    return f"{_fmt(iv['mean'])} [{_fmt(iv['low'])}, {_fmt(iv['high'])}]"


def sweep_markdown(r: SweepResult, doc: dict, pictures: list[str],
                   points: analysis.PointTable | None = None) -> str:
    """A page for a pull request: what was swept, break-even, the figure at every point, curve metrics, tornado,
    failures, plots with their captions."""
    s = r.spec
    lines = [f"# Sweep `{s.name}` of `{r.scenario.name}`", "",
             f"{s.mode.value} over {', '.join(f'`{p.path}`' for p in s.parameters)}: {len(r.points)} points x "
             f"{s.replicates} replicate(s) = {doc['tasks']} runs; {len(r.failures)} failed. "
             "Table: `sweep.parquet`.", ""]
    if doc["break_even"]:
        lines += ["## Break-even", ""] + [f"- {b['sentence']}" for b in doc["break_even"]] + [""]
    if points is not None:
        lines += points_markdown(points)
    if doc["curve_metrics_first_point"]:
        lines += ["## Curve metrics at the first point (mean [95% interval] over replicates)", "",
                  "| policy | APGR | CPT(50%) | CPT(80%) | AIQ |", "|---|---|---|---|---|"]
        for p, ms in doc["curve_metrics_first_point"].items():
            cells = " | ".join(_interval_cell(ms, m) for m in ("apgr", "cpt50", "cpt80", "aiq"))
            lines.append(f"| {p} | {cells} |")
        lines += ["", "APGR and CPT as in RouteLLM; AIQ (area under the non-decreasing convex hull of quality over "
                  "bill % of baseline, divided by the bill range) as in RouterBench. Formulas: docs/metrics.md, Curve "
                  "metrics.", ""]
    if doc["tornado"]:
        lines += [f"## Sensitivity of {s.tornado.metric}", "", "| policy | parameter | low → high | at low | base | "
                  "at high |", "|---|---|---|---|---|---|"]
        lines += [f"| {t['policy']} | `{t['parameter']}` | {t['low']} → {t['high']} | {_fmt(t['at_low'])} | "
                  f"{_fmt(t['base'])} | {_fmt(t['at_high'])} |" for t in doc["tornado"]] + [""]
    if r.failures:
        lines += ["## Failed tasks", ""] + [f"- task {f['task']} (params {f['params']}, replicate {f['replicate']}): "
                                            f"{f['error']}" for f in doc["failed"]] + [""]
    for p in pictures:
        lines += caption_markdown(p)
    return "\n".join(lines) + "\n"


def check_sweep_target(out: Path) -> None:
    """Fail before running when `out` cannot become a sweep folder (a file, or a folder of something else)."""
    check_output_folder(out, "sweep.json", "simroute sweep folder")


def write_sweep(r: SweepResult, out: Path) -> tuple[Path, dict]:
    """Write the sweep folder atomically (replacing an earlier sweep folder, never anything else)."""
    out = Path(out)
    found, bars = analysis.break_even(r), analysis.tornado(r)
    doc = sweep_document(r, found, bars, analysis.curve_metric_intervals(r, 0))
    with replacing_folder(out, "sweep.json", "simroute sweep folder") as tmp:
        r.table.write_parquet(tmp / "sweep.parquet")
        r.curves.write_parquet(tmp / "curves.parquet")
        (tmp / "plots").mkdir()
        pictures = []
        for name, fig in (("frontier", plots.frontier_plot(r)), ("break_even", plots.break_even_plot(r, found)),
                          ("tornado", plots.tornado_plot(r, bars))):
            if fig is not None:
                save_figure(fig, tmp / "plots", name)
                pictures.append(name)
        (tmp / "sweep.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        points = analysis.point_table(r)
        (tmp / "sweep.md").write_text(sweep_markdown(r, doc, pictures, points), encoding="utf-8")
        (tmp / "sweep.html").write_text(sweep_html(r, doc, pictures, points), encoding="utf-8")
    return out, doc
