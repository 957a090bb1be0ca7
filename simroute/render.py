"""Terminal rendering of run results with rich (only the CLI imports this)."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .summary import RunResult


def _usd(x: float) -> str:
    sign = "-" if x < 0 else ""
    x = abs(x)
    return f"{sign}${x / 1e6:.2f}M" if x >= 1e6 else f"{sign}${x / 1e3:.1f}k"


def _trap(x: float | None) -> str:
    if x is None:
        return "—"
    return f"[bold red]{x:.2f}[/]" if x > 1 else f"[green]{x:.2f}[/]"


def economics_table(r: RunResult) -> Table:
    """Bill, savings, invisible loss by cost center, net value and trap ratio per policy."""
    span = f"days {r.window[0]}–{r.window[1]}" if r.window else "each policy's steady state"
    t = Table(title=f"Economics per month, {span}, vs '{r.baseline}'", title_justify="left")
    for col in ("policy", "bill %", "savings", "support", "retention", "compliance", "net value", "trap"):
        t.add_column(col, justify="left" if col == "policy" else "right", overflow="fold")
    for name, p in r.policies.items():
        loss = p.invisible_loss_usd_per_month
        t.add_row(name, f"{p.bill_pct_of_baseline:.1f}", _usd(p.savings_usd_per_month), _usd(loss["support"]),
                  _usd(loss["retention"]), _usd(loss["compliance"]), _usd(p.net_value_usd_per_month),
                  _trap(p.trap_ratio))
    return t


def quality_table(r: RunResult) -> Table:
    """Quality overall and per tier, escalation share and latency per policy."""
    tiers = [m.name for m in r.output.scenario.models]
    t = Table(title="Quality and latency (steady state)", title_justify="left")
    t.add_column("policy", overflow="fold")
    for col in ("quality", *(f"q:{x}" for x in tiers), *(f"%{x}" for x in tiers), "escal.", "p50 s", "p95 s"):
        t.add_column(col, justify="right", overflow="fold")
    for name, p in r.policies.items():
        qs = [f"{p.quality[x]:.3f}" if x in p.quality else "—" for x in tiers]
        shares = [f"{100 * p.tier_share.get(x, 0.0):.0f}" for x in tiers]
        t.add_row(name, f"{p.quality['overall']:.3f}", *qs, *shares, f"{100 * p.escalation_share:.0f}%",
                  f"{p.latency_p50_s:.2f}", f"{p.latency_p95_s:.2f}")
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


def _detection(reps, monitor: str) -> str:
    from .report.content import detection_cell
    iv = reps.intervals.get(monitor, {}).get("detection_day")
    return detection_cell(None if iv is None else iv.as_dict(), reps.n)


def _interval_text(iv, fmt) -> str:
    from .report.content import interval_cell
    return interval_cell(None if iv is None else iv.as_dict(), fmt)


def intervals_tables(r: RunResult) -> list[Table]:
    """Mean and 95% interval over the replicates: economics (savings, loss per cost center, net value, trap
    ratio), then quality overall and per tier."""
    from .report.content import interval_columns
    reps = r.replicates
    cols = interval_columns([m.name for m in r.output.scenario.models])
    split = [k for k, _, _ in cols].index("quality")
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
    for name, p in r.policies.items():
        rb = p.rollback_on_alarm
        if rb and rb["alarm_day"] is not None:
            console.print(f"[bold]{name}[/] rolled back on day {rb['rollback_day']} after '{rb['monitor']}' "
                          f"alarmed on day {rb['alarm_day']}: loss avoided over the horizon "
                          f"{_usd(rb['loss_avoided_usd_over_horizon'])} against '{rb['compared_with']}'")


def comparison_table(rows: list[dict]) -> Table:
    """Headline figures per run and policy (from `simroute compare`)."""
    t = Table(title="Policies across runs (per month, steady state)", title_justify="left")
    for col in ("run", "policy", "bill %", "saved", "loss", "net value", "trap", "quality"):
        t.add_column(col, justify="left" if col in ("run", "policy") else "right", overflow="fold")
    for r in rows:
        t.add_row(r["run"], r["policy"], f"{r['bill_pct_of_baseline']:.1f}", _usd(r["savings_usd_per_month"]),
                  _usd(r["invisible_loss_usd_per_month"]), _usd(r["net_value_usd_per_month"]),
                  _trap(r["trap_ratio"]), f"{100 * r['quality']:.1f}%")
    return t


STATUS_STYLE = {"regressed": "bold red", "missing": "bold red", "improved": "green", "changed": "yellow",
                "new": "cyan", "ok": "dim"}


def check_table(rows, title: str, show_all: bool = False) -> Table:
    """The figures of `simroute check` that moved beyond noise (all with `show_all`), worst first."""
    from .regression import _show
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
        t.add_row(f"[{style}]{r.status}[/]", r.subject, r.metric, _show(r.baseline), _show(r.new), _show(r.delta),
                  _show(r.tolerance))
    return t
