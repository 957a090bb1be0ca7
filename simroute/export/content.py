"""What the ledger exports contain, independent of the file format."""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .. import figures as F
from ..results import ResultsBundle
from ..units import Unit

KINDS = {Unit.usd: "usd", Unit.pct: "pct", Unit.share: "pct", Unit.ratio: "ratio"}  # spreadsheet number formats


@dataclass(frozen=True)
class Column:
    """A Summary column: header, how to read it from a policy's summary, and its number kind."""

    header: str
    get: object
    kind: str  # "usd", "ratio", "pct", "text"
    interval_key: str | None = None  # the figure's name in the policy's `intervals`, when replicates ran


def _read(f: F.Figure):
    """A figure's number as the spreadsheet stores it: percentages as fractions (57.3% is 0.573)."""
    def get(name, p):
        v = f.read(p)
        if v is F.MISSING or v is None:
            return None
        return v / 100 if f.unit is Unit.pct else v
    return get


def figure_column(f: F.Figure, intervals: bool = True) -> Column:
    """The Summary column of a catalogue figure; `intervals`: with its replicate mean and bounds when there are."""
    return Column(f.label, _read(f), KINDS[f.unit], f.name if intervals else None)


SUMMARY_COLUMNS = [
    Column("Policy", lambda n, p: n, "text"),
    Column("Kind", lambda n, p: p["kind"], "text"),
    Column("Window (days)", lambda n, p: f"{p['window_start_day']}–{p['window_end_day']}", "text"),
    figure_column(F.BILL, intervals=False),
    figure_column(F.AI_PLATFORM, intervals=False),
    *(figure_column(f) for f in (F.SAVINGS, *F.losses(), F.INVISIBLE_LOSS, F.NET, F.TRAP, F.QUALITY)),
    figure_column(F.NET_HORIZON, intervals=False),
]


def _listing(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _centers_defined() -> str:
    styles = [F.center_style(cc) for cc in F.centers()]
    return ", ".join(f"{s.title} ({s.covers})" if s.covers else s.title for s in styles)


DEFINITIONS = [
    ("Baseline", "The policy every other is compared with (the scenario's report.baseline_policy, usually one "
                 "capable model for every query). Deltas use the same days and the same simulated queries."),
    ("Steady-state window", "The days each policy's monthly figures are averaged over: after its rollout is "
                            "complete (or the scenario's explicit window)."),
    ("Month", "A 30-day simulation month. Monthly figures are window totals scaled to 30 days."),
    ("Cost center", f"The budget a cost lands in: {_centers_defined()}."),
    ("Inference saved", "Baseline's AI-platform cost minus the policy's, per month: the saving the AI team sees."),
    ("Invisible loss", "The policy's extra cost against the baseline in "
                       f"{_listing([F.center_style(cc).title for cc in F.invisible_centers()])}, per month: the cost "
                       "other teams carry. Negative means those teams gain."),
    ("Net value", "Inference saved minus invisible loss, per month. Below zero the policy destroys value."),
    ("Trap ratio", "Invisible loss divided by inference saved. Above 1 the savings are paid for more than once "
                   "by other teams. Empty when the savings are below 0.1% of the baseline's AI-platform cost."),
    ("Quality", "Share of answers that were correct over the steady-state window."),
    ("Churned revenue", "Each churned user is priced at its segment's monthly revenue times the scenario's "
                        "revenue horizon, booked on the day the user churns."),
    ("Expected violations", "Compliance events the audit missed, times the chance one becomes a violation, "
                            "times the cost of a violation."),
    ("Interval", "When the run has replicates: the mean of a figure over N independent child seeds of the "
                 "scenario's seed, and the 95% Student-t interval of that mean (mean ± t·sd/√N). The figure "
                 "itself is the run at the scenario's own seed, the one every other sheet shows."),
    ("Ledger", "One row per policy, cost center and line item, one column per 30-day month, in USD; each "
               "policy's block ends in a total row. The same rows by cost center are the By month sheet; the "
               "long table (one row per month and line item, to the cent) is ledger.csv / ledger.parquet."),
]


def ledger_rows(b: ResultsBundle) -> pl.DataFrame:
    """The monthly ledger, policies in simulation order, twins included (they are real simulated worlds)."""
    order = {p: i for i, p in enumerate(b.policy_order)}
    led = b.tables["ledger"].with_columns(pl.col("policy").replace_strict(order, default=len(order)).alias("_o"))
    return (led.sort(["_o", "month", "cost_center", "line_item"]).drop("_o")
            .select("policy", "month", "first_day", "days", "cost_center", "line_item", "usd"))


def by_month(b: ResultsBundle) -> tuple[list[int], list[tuple[str, str, list[float]]]]:
    """Months, and per (policy, cost center) the USD of each month (cent-rounded ledger rows summed)."""
    led = ledger_rows(b)
    months = sorted(led["month"].unique().to_list())
    per = led.group_by(["policy", "cost_center", "month"]).agg(pl.col("usd").sum())
    lookup = {(r["policy"], r["cost_center"], r["month"]): r["usd"] for r in per.iter_rows(named=True)}
    rows = [(p, cc, [round(lookup.get((p, cc, m), 0.0), 2) for m in months]) for p in b.policy_order
            for cc in F.centers()]
    return months, rows
