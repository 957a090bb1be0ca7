"""The policy comparison report (HTML + Markdown + plots) for a results folder, and the cross-run comparison."""
from __future__ import annotations

from functools import partial
from pathlib import Path

from ..atomic import publish, staging
from ..results import ResultsBundle, load_bundle
from ..version import __version__
from . import render_html as H
from . import render_markdown as M
from .content import (
    assumption_summary,
    assumptions_table,
    detection_table,
    headline,
    interval_table,
    key_numbers,
    ledger_table,
    policy_table,
    quality_table,
    scenario_paragraph,
)
from .figures import PLOTS, Plot
from .files import save_figure, save_svg
from .monitoring import error_table, operating_table

PLOT_DIR = "plots"
REPORT_FILES = ("report.html", "report.md")

__all__ = ["PLOTS", "Plot", "ResultsBundle", "load_bundle", "render_report", "save_figure", "save_svg",
           "write_report"]


def draw_plots(b: ResultsBundle, folder: Path) -> dict[Plot, bytes]:
    """Draw every plot the run has data for as PNG and SVG in `folder`; PNG bytes per plot for embedding."""
    folder.mkdir(parents=True, exist_ok=True)
    pngs = {}
    for kind, spec in PLOTS.items():
        fig = spec.build(b)
        if fig is None:
            continue
        pngs[kind] = save_figure(fig, folder, kind.value)
    return pngs


def _figures(fmt: str, pngs: dict[Plot, bytes], *plots: Plot) -> list[str]:
    """The drawn ones among `plots` as figures: embedded in html, linked to plots/ in markdown."""
    shown = [k for k in plots if k in pngs]
    if fmt == "html":
        return [H.figure(pngs[k], PLOTS[k].title, PLOTS[k].caption) for k in shown]
    return [M.figure(f"{PLOT_DIR}/{k.value}.png", PLOTS[k].title, PLOTS[k].caption) for k in shown]


def _meta(b: ResultsBundle) -> str:
    return (f"scenario '{b.name}' (sha256 {b.summary['scenario']['sha256'][:12]}), seed {b.summary['seed']}, "
            f"{b.scenario.horizon_days} days; simulated by simroute {b.summary['simroute_version']}, "
            f"report by simroute {__version__}")


def render_report(b: ResultsBundle, folder: Path) -> None:
    """Write report.html, report.md and plots/ into `folder` (not atomically: see `write_report`).

    The headline comes first (one sentence, the numbers that carry it, the trap plot), then the tables."""
    pngs = draw_plots(b, folder / PLOT_DIR)
    counts = assumption_summary(b)
    intro = scenario_paragraph(b)
    assumptions = assumptions_table(b)
    money, quality, ledger = policy_table(b), quality_table(b), ledger_table(b)
    spread = interval_table(b)
    detect = detection_table(b)
    operating = operating_table(b)
    errors = error_table(b)
    sentence, numbers = headline(b), key_numbers(b)
    missing = [PLOTS[k].title for k in PLOTS if k not in pngs and not (k is Plot.operating_curve and
                                                                       not b.summary.get("replicates"))]
    for fmt, R in (("html", H), ("md", M)):
        figs = partial(_figures, fmt, pngs)
        para = H.paragraph if fmt == "html" else (lambda t: t)
        assumption_block = (H.details(f"Economic assumptions ({counts})", H.table(assumptions)) if fmt == "html"
                            else f"<details><summary>Economic assumptions ({counts})</summary>\n\n"
                                 f"{M.table(assumptions)}\n\n</details>")
        sections = [
            ("Headline", [R.headline(sentence, numbers), *figs(Plot.trap)]),
            ("Policies", [R.table(money), R.table(quality), *([R.table(spread)] if spread else []),
                          *figs(Plot.cost_quality)]),
            ("Ledger", [R.table(ledger), *figs(Plot.churn_contacts)]),
            ("Quality and detection", [*([R.table(detect)] if detect else
                                         [para("The scenario has no monitors: no detection timeline.")]),
                                       *([R.table(operating)] if operating else []),
                                       *([R.table(errors)] if errors else []),
                                       *figs(Plot.weekly_quality, Plot.detection, Plot.operating_curve,
                                            Plot.reliability)]),
            ("Scenario", [para(intro), assumption_block]),
        ]
        if missing:
            sections.append(("Not drawn", [para("No data in this run for: " + ", ".join(missing) + ".")]))
        text = R.page(f"simroute report: {b.name}", _meta(b), sections)
        (folder / f"report.{fmt}").write_text(text, encoding="utf-8")


def write_report(b: ResultsBundle, out: Path | None = None) -> Path:
    """(Re)write the report of a results folder atomically into `out` (default: the results folder)."""
    out = Path(out) if out is not None else b.folder
    with staging(out) as tmp:
        render_report(b, tmp)
        publish(tmp, out)
    return out
