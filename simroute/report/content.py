"""What the report says, as plain tables and text shared by the HTML and Markdown renderers."""
from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from ..ledger import INVISIBLE, CostCenter
from .assumptions import economic_assumptions, label
from ..results import ResultsBundle

CENTERS = tuple(cc.value for cc in CostCenter)


@dataclass(frozen=True)
class Table:
    """A titled table of display strings; `numeric` columns are right-aligned; `flags` marks cells to
    highlight (row, column) such as a trap ratio above 1."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)
    flags: set[tuple[int, int]] = field(default_factory=set)
    note: str = ""


def usd(x: float | None) -> str:
    if x is None:
        return "—"
    sign = "−" if x < 0 and round(abs(x)) > 0 else ""
    x = abs(x)
    if x >= 1e6:
        return f"{sign}${x / 1e6:,.2f}M"
    return f"{sign}${x / 1e3:,.1f}k" if x >= 1e4 else f"{sign}${x:,.0f}"


def pct(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x:.{digits}f}%"


def scenario_paragraph(b: ResultsBundle) -> str:
    """The scenario in a paragraph: traffic, models, cost centers, drift and the comparison made."""
    s = b.scenario
    per_day = s.users.mau * s.users.queries_per_user_per_day
    simple = sum(i.share for i in s.traffic.intents if i.surface_class.value == "simple")
    models = "; ".join(f"'{m.name}' at ${m.price_in_usd_per_1k_tokens:g}/${m.price_out_usd_per_1k_tokens:g} per 1k "
                       "input/output tokens" for m in s.models)
    drift = sorted({o["day"] for o in b.summary["drift_onsets"]})
    c = s.economics.compliance
    text = (f"{s.description.strip() if s.description else s.name} "
            f"The run simulates {s.horizon_days} days of traffic from {s.users.mau:,} monthly active users "
            f"(about {per_day:,.0f} queries a day, {len(s.traffic.intents)} intents, {100 * simple:.0f}% labelled "
            f"simple by the team's taxonomy) through {len(b.shown_policies())} policies on the same queries. "
            f"Models: {models}. A human support contact costs ${s.economics.support.usd_per_contact:g}; a churned "
            f"user is priced at {s.users.revenue_horizon_months:g} months of revenue")
    if c.usd_per_violation or c.usd_per_caught_event:
        text += (f"; a compliance event caught by audit ({100 * c.audit_catch_rate:.0f}% are) costs "
                 f"${c.usd_per_caught_event:,.0f}, a missed one becomes a ${c.usd_per_violation:,.0f} violation "
                 f"with probability {c.violation_probability_if_missed:g}")
    text += ". "
    text += (f"Drift begins on day {', '.join(map(str, drift))}. " if drift else "There is no drift. ")
    text += (f"Every figure is against the baseline policy '{b.baseline}' over each policy's steady-state "
             f"window, with seed {b.summary['seed']}.")
    return text


def assumption_counts(b: ResultsBundle) -> dict[str, int]:
    """How many economic parameters are sourced, calibrated, assumed or left at defaults."""
    counts: dict[str, int] = {}
    for a in economic_assumptions(b.scenario, b.provenance):
        kind = a.provenance.split(":")[0].split(" ")[0].lower()
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def assumptions_table(b: ResultsBundle) -> Table:
    rows = [[label(a.path, b.scenario), str(a.value), a.unit, a.provenance]
            for a in economic_assumptions(b.scenario, b.provenance)]
    return Table("Economic assumptions", ["parameter", "value", "unit", "provenance"], rows, numeric={1})


def policy_table(b: ResultsBundle) -> Table:
    """The side-by-side comparison, one row per policy."""
    cols = ["policy", "kind", "bill %", "saved/mo", "support/mo", "retention/mo", "compliance/mo", "net/mo",
            "trap", "quality", "cheap share", "escalated", "p95 s", "churned"]
    rows, flags = [], set()
    cheap = b.cheap_model
    for i, name in enumerate(b.shown_policies()):
        p = b.policies[name]
        loss = p["invisible_loss_usd_per_month"]
        trap = p["trap_ratio"]
        if trap is not None and trap > 1:
            flags.add((i, cols.index("trap")))
        rows.append([name, p["kind"], f"{p['bill_pct_of_baseline']:.1f}", usd(p["savings_usd_per_month"]),
                     usd(loss["support"]), usd(loss["retention"]), usd(loss["compliance"]),
                     usd(p["net_value_usd_per_month"]), "—" if trap is None else f"{trap:.2f}",
                     pct(100 * p["quality"]["overall"]), pct(100 * p["tier_share"].get(cheap, 0.0), 0),
                     pct(100 * p["escalation_share"], 0), f"{p['latency_p95_s']:.1f}", f"{p['churned_users']:,}"])
    return Table("Policies side by side (per month, steady state)", cols, rows, numeric=set(range(2, len(cols))),
                 flags=flags, note=f"Losses are extra cost against '{b.baseline}' in each cost center; trap = "
                                   "invisible loss ÷ visible savings (shown only when savings are material).")


def interval_cell(iv: dict | None, fmt) -> str:
    """"mean [low, high]", with "(k/N)" when the figure was defined in only k of N replicates."""
    if not iv or iv.get("mean") is None or iv["mean"] != iv["mean"]:
        return "—"
    short = f" ({iv['n']}/{iv['replicates']})" if iv.get("n", 0) < iv.get("replicates", 0) else ""
    if iv.get("low") is None or iv["low"] != iv["low"]:
        return fmt(iv["mean"]) + short
    return f"{fmt(iv['mean'])} [{fmt(iv['low'])}, {fmt(iv['high'])}]{short}"


def detection_cell(iv: dict | None, replicates: int) -> str:
    """A monitor's first-alarm day over the replicates, or "never (0/N)" when no replicate alarmed."""
    if not iv or not iv.get("n"):
        return f"never (0/{replicates})"
    return interval_cell(iv, lambda x: f"{x:.1f}")


def interval_columns(tiers: list[str]) -> list[tuple[str, str, object]]:
    """(figure, header, format) of every headline figure the replicate tables show."""
    share = lambda x: pct(100 * x, 2)  # noqa: E731
    return [("savings_usd_per_month", "saved/mo", usd),
            *((f"loss_{cc}_usd_per_month", f"{cc}/mo", usd) for cc in (c.value for c in INVISIBLE)),
            ("net_value_usd_per_month", "net/mo", usd), ("trap_ratio", "trap", lambda x: f"{x:.2f}"),
            ("quality", "quality", share), *((f"quality_{t}", f"q:{t}", share) for t in tiers)]


def interval_table(b: ResultsBundle) -> Table | None:
    """Mean [95% interval] over the replicates of the headline figures (None when the run had none)."""
    reps = b.summary.get("replicates")
    if not reps:
        return None
    figures, cols = reps["figures"], interval_columns([m.name for m in b.scenario.models])
    rows = [[name, *(interval_cell(figures.get(name, {}).get(k), f) for k, _, f in cols)]
            for name in b.shown_policies()]
    return Table(f"Mean [95% interval] over {reps['n']} replicates", ["policy", *(c for _, c, _ in cols)],
                 rows, numeric=set(range(1, len(cols) + 1)),
                 note=f"Replicates are independent child seeds of seed {reps['root_seed']} (policies paired "
                      "within each); interval = mean ± t(0.975, n−1)·sd/√n. The table above is the run at the seed "
                      "itself.")


def ledger_table(b: ResultsBundle) -> Table:
    """Policy x cost center rows, one column per 30-day month, plus the total (USD)."""
    led = b.tables["ledger"]
    per = led.group_by(["policy", "cost_center", "month"]).agg(pl.col("usd").sum())
    months = sorted(per["month"].unique().to_list())
    cols = ["policy", "cost center", *(f"month {m}" for m in months), "total"]
    rows = []
    for name in b.shown_policies():
        for cc in CENTERS:
            vals = per.filter((pl.col("policy") == name) & (pl.col("cost_center") == cc))
            by = dict(zip(vals["month"].to_list(), vals["usd"].to_list()))
            rows.append([name, cc, *(usd(by.get(m, 0.0)) for m in months), usd(sum(by.values()))])
    return Table("Ledger by cost center and month (USD)", cols, rows, numeric=set(range(2, len(cols))),
                 note="Months are 30-day simulation months from day 0; the rollout ramp is in the first months.")


def detection_table(b: ResultsBundle) -> Table | None:
    mons = b.monitors
    if not mons:
        return None
    order = sorted(mons, key=lambda n: (mons[n]["first_alarm_day"] is None, mons[n]["first_alarm_day"] or 0, n))
    rows, flags = [], set()
    reps = b.summary.get("replicates")
    for i, n in enumerate(order):
        m = mons[n]
        if m["false_alarms"]:
            flags.add((i, 6))
        rows.append([n, m["policy"], m["kind"], str(m["onset_day"]) if m["onset_day"] is not None else "—",
                     str(m["first_alarm_day"]) if m["first_alarm_day"] is not None else "never",
                     f"{m['delay_days']} d" if m["delay_days"] is not None else "—", str(m["false_alarms"])])
        if reps:
            iv = reps["figures"].get(n, {}).get("detection_day")
            rows[-1].append(detection_cell(iv, reps["n"]))
    cols = ["monitor", "watches", "kind", "onset", "first alarm", "delay", "false alarms"]
    if reps:
        cols.append(f"first alarm over {reps['n']} replicates")
    return Table("Detection timeline (day of the simulation)", cols, rows,
                 numeric={3, 4, 5, 6, 7}, flags=flags,
                 note="Onset is the first drift at or after the monitor's window start that can move what it "
                      "measures; alarms before it are false alarms.")
