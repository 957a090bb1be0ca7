"""Terminal rendering of run results with rich (only the CLI imports this)."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .. import figures as F
from ..report.content import detection_cell, interval_cell, interval_columns
from ..report.monitoring import COLUMNS, operating_rows
from ..summary import RunResult
from ..units import compact, usd


def _trap(x: float | None) -> str:
    if x is None:
        return F.TRAP.show(x)
    return f"[bold red]{F.TRAP.show(x)}[/]" if x > 1 else f"[green]{F.TRAP.show(x)}[/]"


def _cell(f: F.Figure, value, digits: int | None = None) -> str:
    """A figure's cell: the trap ratio coloured by whether it is above 1, every other figure in its unit."""
    return _trap(value) if f.name == F.TRAP.name else f.show(value, digits)


def economics_table(r: RunResult) -> Table:
    """Bill, savings, invisible loss by cost center, net value and trap ratio per policy."""
    span = f"days {r.window[0]}–{r.window[1]}" if r.window else "each policy's steady state"
    t = Table(title=f"Economics per month, {span}, vs '{r.baseline}'", title_justify="left")
    figs = [F.BILL, *F.economics_figures()]
    t.add_column("policy", justify="left", overflow="fold")
    for f in figs:
        t.add_column(f.short, justify="right", overflow="fold")
    for name, p in r.policies.items():
        t.add_row(name, *(_cell(f, f.read(p)) for f in figs))
    return t


def quality_columns(tiers: list[str]) -> list[tuple[F.Figure, int | None]]:
    """The quality table's figures with the decimals each shows (None: the unit's usual)."""
    return [(F.QUALITY, None), *((f, None) for f in F.tier_qualities(tiers)), *((f, 0) for f in F.tier_shares(tiers)),
            (F.ESCALATION, 0), (F.LATENCY_P50, 2), (F.LATENCY_P95, 2)]


def quality_table(r: RunResult) -> Table:
    """Quality overall and per tier, escalation share and latency per policy."""
    cols = quality_columns([m.name for m in r.output.scenario.models])
    t = Table(title="Quality and latency (steady state)", title_justify="left")
    t.add_column("policy", overflow="fold")
    for f, _ in cols:
        t.add_column(f.short, justify="right", overflow="fold")
    for name, p in r.policies.items():
        t.add_row(name, *(f.show(f.read(p), digits) for f, digits in cols))
    return t


def detection_table(r: RunResult) -> Table:
    """Per monitor: the day it first alarmed, the delay after the true onset, and false alarms."""
    t = Table(title="Detection timeline (days since day 0)", title_justify="left")
    reps = r.replicates
    for col in ("monitor", "watches", "kind", "onset", "alarm", "delay", "false", "alarms"):
        t.add_column(col, justify="left" if col in ("monitor", "watches", "kind", "alarms") else "right",
                     overflow="fold")
    if reps is not None:
        t.add_column(f"alarm day over {reps.n} replicates", justify="right",
                     overflow="fold")
    order = sorted(r.monitors.items(), key=lambda kv: (kv[1].first_alarm_day is None, kv[1].first_alarm_day or 0))
    for name, m in order:
        more = len(m.alarm_days) - 5
        alarms = ", ".join(map(str, m.alarm_days[:5])) + (f" +{more} more" if more > 0 else "")
        t.add_row(name, m.policy, m.kind, str(m.onset_day if m.onset_day is not None else "—"),
                  str(m.first_alarm_day) if m.first_alarm_day is not None else "[dim]never[/]",
                  f"{m.delay_days} d" if m.delay_days is not None else "—",
                  f"[bold red]{m.false_alarms}[/]" if m.false_alarms else "0", alarms or "—",
                  *([] if reps is None else [_detection(reps, name)]))
    return t


def operating_table(reps: dict) -> Table:
    """Monitor operating characteristics over the replicates, with the calendar and random references."""
    t = Table(title=f"Monitor operating characteristics over {reps['n']} replicates", title_justify="left")
    for i, col in enumerate(COLUMNS):
        t.add_column(col, justify="left" if i < 2 else "right", overflow="fold")
    for row in operating_rows(reps["monitors"]):
        t.add_row(*row)
    return t


def _detection(reps, monitor: str) -> str:
    iv = reps.intervals.get(monitor, {}).get("detection_day")
    return detection_cell(None if iv is None else iv.as_dict(), reps.n)


def _interval_text(iv, fmt) -> str:
    return interval_cell(None if iv is None else iv.as_dict(), fmt)


def intervals_tables(r: RunResult) -> list[Table]:
    """Mean and 95% interval over the replicates: economics (savings, loss per cost center, net value, trap
    ratio), then quality overall and per tier."""
    reps = r.replicates
    if reps is None:
        return []
    cols = interval_columns([m.name for m in r.output.scenario.models])
    split = [k for k, _, _ in cols].index(F.QUALITY.name)
    tables = []
    for title, part in (("economics per month", cols[:split]), ("quality", cols[split:])):
        t = Table(title=f"Mean [95% interval] over {reps.n} replicates (child seeds of seed {reps.seed}): {title}",
                  title_justify="left")
        t.add_column("policy", overflow="fold")
        for _, label, _ in part:
            t.add_column(label, justify="right", overflow="fold")
        for name in r.policies:
            figs = reps.intervals.get(name, {})
            t.add_row(name, *(_interval_text(figs.get(key), fmt) for key, _, fmt in part))
        tables.append(t)
    return tables


def print_summary(r: RunResult, console: Console) -> None:
    """The economics, quality, replicate-interval and (when the scenario has monitors) detection tables."""
    console.print(economics_table(r))
    console.print(quality_table(r))
    if r.replicates is not None:
        for table in intervals_tables(r):
            console.print(table)
    if r.monitors:
        console.print(detection_table(r))
    if r.replicates is not None and r.replicates.document().get("monitors"):
        console.print(operating_table(r.replicates.document()))
    for name, p in r.policies.items():
        rb = p.rollback_on_alarm
        if rb and rb["alarm_day"] is not None:
            console.print(f"[bold]{name}[/] rolled back on day {rb['rollback_day']} after '{rb['monitor']}' "
                          f"alarmed on day {rb['alarm_day']}: loss avoided over the horizon "
                          f"{usd(rb['loss_avoided_usd_over_horizon'])} against '{rb['compared_with']}'")


COMPARISON_FIGURES = (F.BILL, F.SAVINGS, F.INVISIBLE_LOSS, F.NET, F.TRAP, F.QUALITY)


def comparison_table(rows: list[dict]) -> Table:
    """Headline figures per run and policy (from `simroute compare`: records keyed by figure name)."""
    t = Table(title="Policies across runs (per month, steady state)", title_justify="left")
    for col in ("run", "policy"):
        t.add_column(col, justify="left", overflow="fold")
    for f in COMPARISON_FIGURES:
        t.add_column(f.short, justify="right", overflow="fold")
    for r in rows:
        t.add_row(r["run"], r["policy"], *(_cell(f, r[f.name]) for f in COMPARISON_FIGURES))
    return t


STATUS_STYLE = {"regressed": "bold red", "missing": "bold red", "improved": "green", "changed": "yellow",
                "new": "cyan", "ok": "dim"}


def check_table(rows, title: str, show_all: bool = False) -> Table:
    """The figures of `simroute check` that moved beyond noise (all with `show_all`), worst first."""
    order = {"regressed": 0, "missing": 1, "changed": 2, "improved": 3, "new": 4, "ok": 5}
    t = Table(title=f"simroute check of {title}: figures that moved against the baseline (± noise = the Monte "
                    "Carlo tolerance)", title_justify="left")
    for col in ("status", "policy / monitor", "figure", "baseline", "now", "change", "± noise"):
        numeric = col in ("baseline", "now", "change", "± noise")
        t.add_column(col, justify="right" if numeric else "left", overflow="fold",
                     no_wrap=col in ("figure", "status") or numeric)
    for r in sorted(rows, key=lambda r: order[r.status]):
        if r.status == "ok" and not show_all:
            continue
        style = STATUS_STYLE[r.status]
        t.add_row(f"[{style}]{r.status}[/]", r.subject, r.metric, compact(r.baseline), compact(r.new),
                  compact(r.delta), compact(r.tolerance))
    return t
