"""What the report says, as plain tables and text shared by the HTML and Markdown renderers."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import polars as pl

from .. import figures as F
from .. import units
from ..headline import sentence_for
from ..results import ResultsBundle
from ..units import Unit, usd  # usd is also the formatter report.compare imports from here
from .assumptions import economic_assumptions, label


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
    days = ", ".join(map(str, drift[:-1])) + f" and {drift[-1]}" if len(drift) > 1 else "".join(map(str, drift))
    text += (f"Drift begins on day{'s' if len(drift) > 1 else ''} {days}. " if drift else "There is no drift. ")
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


PROVENANCE_KINDS = {"source": "sourced", "calibration": "calibrated", "fit": "fitted", "assumption":
                    "marked assumption", "set": "set without a source", "override": "overridden for this run",
                    "default": "left at the default"}  # in the order the summary lists them


def assumption_summary(b: ResultsBundle) -> str:
    """'9 sourced, 3 calibrated, 11 marked assumption, 67 set without a source, 4 left at the default'."""
    counts = assumption_counts(b)
    order = [*PROVENANCE_KINDS, *sorted(k for k in counts if k not in PROVENANCE_KINDS)]
    return ", ".join(f"{counts[k]} {PROVENANCE_KINDS.get(k, k)}" for k in order if k in counts)


def assumptions_table(b: ResultsBundle) -> Table:
    rows = [[label(a.path, b.scenario), str(a.value), a.unit, a.provenance]
            for a in economic_assumptions(b.scenario, b.provenance)]
    return Table("Economic assumptions", ["parameter", "value", "unit", "provenance"], rows, numeric={1})


def headline(b: ResultsBundle) -> str:
    """The run in one sentence (the same sentence the terminal prints after its tables)."""
    return sentence_for({n: b.policies[n] for n in b.shown_policies()}, b.baseline)


def key_numbers(b: ResultsBundle) -> list[tuple[str, str, str]]:
    """(figure, value, whose) of the three or four numbers that carry the headline."""
    lead = F.headline_policy({n: b.policies[n] for n in b.shown_policies()}, b.baseline)
    if lead is None:
        return []
    p = b.policies[lead]
    out = [(F.SAVINGS.label, usd(F.SAVINGS.read(p)), lead),
           (F.INVISIBLE_LOSS.label, usd(F.INVISIBLE_LOSS.read(p)), lead)]
    t = F.TRAP.read(p)
    if isinstance(t, (int, float)):
        out.append((F.TRAP.label + " (loss ÷ savings)", units.ratio(t, 1) + "×", lead))
    shown = {n: b.policies[n] for n in b.shown_policies()}
    best = max(F.headline_candidates(shown, b.baseline), key=lambda n: F.NET.read(b.policies[n]) or 0.0)
    out.append((F.NET.label + " (best policy)", usd(F.NET.read(b.policies[best])), best))
    return out


def folded_losses(b: ResultsBundle) -> list[F.Figure]:
    """Loss figures that are exactly zero for every shown policy (a cost center the world does not have), left
    out of the tables and named in their notes, as the terminal does."""
    shown = [b.policies[n] for n in b.shown_policies()]
    return [f for f in F.losses() if all(isinstance(v := f.read(p), (int, float)) and v == 0 for p in shown)]


def _folded_note(b: ResultsBundle) -> str:
    folded = folded_losses(b)
    return f" {', '.join(f.label for f in folded)}: $0 for every policy (not shown)." if folded else ""


def policy_columns(cheap: str, folded: Collection[str] = ()) -> list[tuple[F.Figure, int | None]]:
    """The money figures of the side-by-side table with the decimals each shows (None: the unit's usual),
    without the `folded` ones."""
    return [(F.relabel(F.BILL, "bill %"), 1), *((f, None) for f in F.economics_figures() if f.name not in folded)]


def quality_columns(cheap: str) -> list[tuple[F.Figure, int | None]]:
    """The quality and service figures of the second side-by-side table."""
    share = F.relabel(F.TIER_SHARE.expand(cheap), f"to {cheap}")
    return [(F.QUALITY, None), (share, 0), (F.ESCALATION, 0), (F.relabel(F.LATENCY_P95, "p95 latency (s)"), None),
            (F.CHURNED, None)]


def _cells(figs: list[tuple[F.Figure, int | None]], rows: list[dict]) -> list[list[str]]:
    """Each figure of each row written in its unit; money in one style per column set (usd_scale)."""
    money = [f.read(p) for p in rows for f, _ in figs if f.unit is Unit.usd]
    scale = units.usd_scale(v for v in money if isinstance(v, (int, float)))
    out = []
    for p in rows:
        cells = []
        for f, digits in figs:
            v = f.read(p)
            v = None if v is F.MISSING else v
            cells.append(units.usd_in(v, scale) if f.unit is Unit.usd else f.show(v, digits))
        out.append(cells)
    return out


def policy_table(b: ResultsBundle) -> Table:
    """The money side by side, one row per policy: bill, savings, loss per downstream cost center, net, trap."""
    figs = policy_columns(b.cheap_model, {f.name for f in folded_losses(b)})
    cols = ["policy", *(f.short for f, _ in figs)]
    trap = 1 + [f for f, _ in figs].index(F.TRAP)
    names = b.shown_policies()
    rows = [[n, *c] for n, c in zip(names, _cells(figs, [b.policies[n] for n in names]), strict=True)]
    flags = set()
    for i, name in enumerate(names):
        ratio = F.TRAP.read(b.policies[name])
        if isinstance(ratio, (int, float)) and ratio > 1:
            flags.add((i, trap))
    return Table("Money per month against the baseline (steady state)", cols, rows,
                 numeric=set(range(1, len(cols))), flags=flags,
                 note=f"Bill % is the AI-platform bill as a share of '{b.baseline}'s; saved = inference saved; each "
                      "/mo column after it is the extra cost landing in that cost center; net = saved − losses; "
                      "trap = invisible loss ÷ visible savings (only when savings are material; above 1 in red)."
                      + _folded_note(b))


def quality_table(b: ResultsBundle) -> Table:
    """Quality and service side by side, one row per policy."""
    figs = quality_columns(b.cheap_model)
    cols = ["policy", "kind", *(f.short for f, _ in figs)]
    names = b.shown_policies()
    rows = [[n, b.policies[n]["kind"], *c] for n, c in zip(names, _cells(figs, [b.policies[n] for n in names]),
                                                             strict=True)]
    return Table("Quality and service (steady state)", cols, rows, numeric=set(range(2, len(cols))),
                 note=f"to {b.cheap_model} = share of queries answered by the cheap model; escalated = share sent on "
                      "to a second model; churned = users lost over the whole run.")


def interval_cell(iv: dict | None, fmt) -> str:
    """"mean ± half-width" of the 95% interval (a Student-t interval is symmetric, so this is all of it, in half
    the width of "[low, high]"), with "(k/N)" when the figure was defined in only k of N replicates."""
    if not iv or iv.get("mean") is None or iv["mean"] != iv["mean"]:
        return "—"
    short = f" ({iv['n']}/{iv['replicates']})" if iv.get("n", 0) < iv.get("replicates", 0) else ""
    if iv.get("low") is None or iv["low"] != iv["low"]:
        return fmt(iv["mean"]) + short
    return f"{fmt(iv['mean'])} ± {fmt((iv['high'] - iv['low']) / 2)}{short}"


def detection_cell(iv: dict | None, replicates: int) -> str:
    """A monitor's first-alarm day over the replicates, or "never (0/N)" when no replicate alarmed."""
    if not iv or not iv.get("n"):
        return f"never (0/{replicates})"
    return interval_cell(iv, lambda x: f"{x:.0f}")


def interval_columns(tiers: list[str]) -> list[tuple[str, str, object]]:
    """(figure, header, format) of every headline figure the replicate tables show: shares to 2 decimals."""
    figs = [*F.economics_figures(), F.QUALITY, *F.tier_qualities(tiers)]
    return [(f.name, f.short, _interval_format(f)) for f in figs]


def _interval_format(f: F.Figure):
    digits = 2 if f.unit is Unit.share else None
    return lambda x: f.show(x, digits)


def interval_table(b: ResultsBundle) -> Table | None:
    """Mean ± 95% interval over the replicates of the headline figures (None when the run had none)."""
    reps = b.summary.get("replicates")
    if not reps:
        return None
    folded = {f.name for f in folded_losses(b)}
    figures = reps["figures"]
    cols = [c for c in interval_columns([m.name for m in b.scenario.models]) if c[0] not in folded]
    rows = [[name, *(interval_cell(figures.get(name, {}).get(k), f) for k, _, f in cols)]
            for name in b.shown_policies()]
    return Table(f"Mean ± 95% interval over {reps['n']} replicates", ["policy", *(c for _, c, _ in cols)],
                 rows, numeric=set(range(1, len(cols) + 1)),
                 note=f"Replicates are independent child seeds of seed {reps['root_seed']} (policies paired "
                      "within each); interval = mean ± t(0.975, n−1)·sd/√n. The table above is the run at the seed "
                      "itself." + _folded_note(b))


def month_days(ledger: pl.DataFrame) -> dict[int, int]:
    """Month -> how many simulated days it holds (less than 30 in a last, partial month)."""
    d = ledger.group_by("month").agg(pl.col("days").max())
    return dict(zip(d["month"].to_list(), d["days"].to_list(), strict=True))


def ledger_table(b: ResultsBundle) -> Table:
    """Policy x cost center rows, one column per 30-day month, plus the total; rows all zero are folded away and
    a partial last month is marked."""
    led = b.tables["ledger"]
    per = led.group_by(["policy", "cost_center", "month"]).agg(pl.col("usd").sum())
    months = sorted(per["month"].unique().to_list())
    horizon = b.scenario.horizon_days
    days = month_days(led)
    partial = [m for m in months if days.get(m, 30) < 30]
    cols = ["policy", "cost center", *(f"month {m}" + ("*" if m in partial else "") for m in months), "total"]
    raw, folded = [], []
    for name in b.shown_policies():
        for cc in F.centers():
            vals = per.filter((pl.col("policy") == name) & (pl.col("cost_center") == cc))
            by = dict(zip(vals["month"].to_list(), vals["usd"].to_list(), strict=True))
            if all(abs(v) < 0.5 for v in by.values()):
                folded.append((name, cc))
                continue
            raw.append((name, cc, [by.get(m, 0.0) for m in months] + [sum(by.values())]))
    scale = units.usd_scale(v for _, _, vs in raw for v in vs)
    rows = [[name, F.center_style(cc).title, *(units.usd_in(v, scale) for v in vs)] for name, cc, vs in raw]
    note = "Months are 30-day simulation months from day 0; the rollout ramp is in the first months."
    if partial:
        note += "".join(f" *Month {m} is partial: {days[m]} days (the run ends on day {horizon})."
                        for m in partial)
    if folded:
        note += " Not shown, $0 in every month: " + _folded(folded, b.shown_policies()) + "."
    return Table("Ledger by cost center and month (USD)", cols, rows, numeric=set(range(2, len(cols))), note=note)


def _folded(rows: list[tuple[str, str]], policies: list[str]) -> str:
    """'Compliance (every policy); Support (single)': the folded rows, grouped by cost center."""
    parts = []
    for cc in dict.fromkeys(c for _, c in rows):
        who = [p for p, c in rows if c == cc]
        parts.append(f"{F.center_style(cc).title} ({'every policy' if len(who) == len(policies) else ', '.join(who)})")
    return "; ".join(parts)


DETECTION_COLUMNS = ["monitor", "watches", "kind", "onset", "first alarm", "delay", "false alarms", "alarm days"]
DETECTION_TITLE = "Detection timeline (days of the simulation)"
DETECTION_NOTE = ("Onset: the day the monitor's watched quantity truly departed by the shift it is designed to detect "
                  "(input monitors: the first drift). First alarm: the day it first alarmed; delay: days from the "
                  "onset to the first alarm. False alarms: how many alarms came before the onset. Alarm days: "
                  "every day it alarmed.")


def replicates_column(n: int) -> str:
    """The header of a monitor's first-alarm day over the replicates."""
    return f"first alarm over {n} replicates"


def alarm_days(days: list[int], limit: int | None = None) -> str:
    """'41, 60, 77 +2 more' (all of them without `limit`), or '—' when the monitor never alarmed."""
    if not days:
        return "—"
    more = len(days) - limit if limit is not None else 0
    shown = days[:limit] if limit is not None else days
    return ", ".join(map(str, shown)) + (f" +{more} more" if more > 0 else "")


def detection_row(m: dict) -> list[str]:
    """A monitor's cells under DETECTION_COLUMNS, from its summary record."""
    return [m["policy"], m["kind"], str(m["onset_day"]) if m["onset_day"] is not None else "—",
            str(m["first_alarm_day"]) if m["first_alarm_day"] is not None else "never",
            f"{m['delay_days']} d" if m["delay_days"] is not None else "—", str(m["false_alarms"]),
            alarm_days(m["alarm_days"])]


def detection_order(mons: dict[str, dict]) -> list[str]:
    """Monitors by first alarm (never last), then by name."""
    return sorted(mons, key=lambda n: (mons[n]["first_alarm_day"] is None, mons[n]["first_alarm_day"] or 0, n))


def detection_table(b: ResultsBundle) -> Table | None:
    mons = b.monitors
    if not mons:
        return None
    rows, flags = [], set()
    reps = b.summary.get("replicates")
    for i, n in enumerate(detection_order(mons)):
        m = mons[n]
        if m["false_alarms"]:
            flags.add((i, DETECTION_COLUMNS.index("false alarms")))
        rows.append([n, *detection_row(m)])
        if reps:
            iv = reps["figures"].get(n, {}).get("detection_day")
            rows[-1].append(detection_cell(iv, reps["n"]))
    cols = [*DETECTION_COLUMNS, *([replicates_column(reps["n"])] if reps else [])]
    return Table(DETECTION_TITLE, cols, rows, numeric={3, 4, 5, 6, 8}, flags=flags, note=DETECTION_NOTE)
