"""Terminal rendering of run results with rich (only the CLI imports this)."""
from __future__ import annotations

import math
from dataclasses import asdict

from rich import box
from rich.console import Console
from rich.table import Table

from .. import figures as F
from ..headline import TRAP_MEANING, headline_sentence
from ..report.content import (
    DETECTION_COLUMNS,
    DETECTION_TITLE,
    detection_order,
    detection_row,
    interval_cell,
    interval_columns,
)
from ..report.monitoring import COLUMNS, operating_rows
from ..summary import RunResult
from ..sweep.analysis import metric_label
from ..sweep.report import cell
from ..units import MINUS, Unit, compact, usd

TABLE_WIDTH = 100  # the narrowest terminal the tables are laid out for
TWIN_LABEL = "↳ no rollback"  # a rolled-back policy's twin, listed under it


def table(title: str, caption: str | None = None) -> Table:
    """A terminal table that fits 100 columns: a rule under the header, one space between columns."""
    return Table(title=title, title_justify="left", caption=caption, caption_justify="left", box=box.SIMPLE_HEAD,
                 padding=(0, 0), show_edge=False, pad_edge=False, collapse_padding=True,
                 min_width=min(len(title), TABLE_WIDTH))


def _ratio(x: float | None) -> str:
    """The trap ratio's text, with the one minus sign every figure uses."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return F.TRAP.show(x)
    shown = F.TRAP.show(abs(x))
    return (MINUS + shown) if x < 0 and shown.strip("0.") else shown


def _trap(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return F.TRAP.show(x)
    return f"[bold red]{_ratio(x)}[/]" if x > 1 else f"[green]{_ratio(x)}[/]"


def _cell(f: F.Figure, value, digits: int | None = None) -> str:
    """A figure's cell: the trap ratio coloured by whether it is above 1, every other figure in its unit."""
    return _trap(value) if f.name == F.TRAP.name else f.show(value, digits)


def policy_rows(r: RunResult) -> list[tuple[str, str]]:
    """(policy, label) in table order: a rolled-back policy's twin (the same policy without its rollback) right
    under it, labelled short, so long twin names never wrap a column."""
    twins = {p.twin_name: p.name for p in r.output.scenario.policies if p.twin_name}
    rows: list[tuple[str, str]] = []
    for name in r.policies:
        if name in twins:
            continue
        rows.append((name, name))
        rows += [(t, TWIN_LABEL) for t, parent in twins.items() if parent == name and t in r.policies]
    return rows


def twin_note(r: RunResult) -> str | None:
    """What the twin rows are, when there are any."""
    parents = [p for p in r.output.scenario.policies if p.twin_name and p.twin_name in r.policies]
    if not parents:
        return None
    return f"{TWIN_LABEL}: the policy above without its rollback on alarm (what the monitor is worth)"


def folded_losses(r: RunResult) -> list[F.Figure]:
    """Loss figures that are exactly zero for every policy (a cost center the world does not have); an
    undefined figure stays, shown as a dash."""
    return [f for f in F.losses() if all(isinstance(v := f.read(p), (int, float)) and v == 0
                                         for p in r.policies.values())]


def economics_table(r: RunResult) -> Table:
    """Bill, savings, invisible loss by cost center, net value and trap ratio per policy (a cost center that is
    zero for every policy left out: see economics_notes)."""
    span = f"days {r.window[0]}–{r.window[1]}" if r.window else "each policy's steady state"
    folded = {f.name for f in folded_losses(r)}
    figs = [f for f in (F.BILL, *F.economics_figures()) if f.name not in folded]
    t = table(f"Economics per month, {span}, vs '{r.baseline}'")
    t.add_column("policy", justify="left", no_wrap=True)
    for f in figs:
        t.add_column(f.short, justify="right", no_wrap=True)
    for name, label in policy_rows(r):
        t.add_row(label, *(_cell(f, f.read(r.policies[name])) for f in figs))
    return t


def economics_notes(r: RunResult) -> list[str]:
    """Under the economics table: what the trap ratio is, the cost centers left out, what the twin rows are."""
    folded = folded_losses(r)
    notes = [f"[dim]{TRAP_MEANING}[/]"]
    if folded:
        notes.append(f"[dim]{', '.join(f.label for f in folded)}: $0 for every policy (not shown)[/]")
    note = twin_note(r)
    if note:
        notes.append(f"[dim]{note}[/]")
    return notes


def quality_columns(tiers: list[str]) -> list[tuple[F.Figure, int | None]]:
    """The quality table's figures with the decimals each shows (None: the unit's usual)."""
    return [(F.QUALITY, None), *((f, None) for f in F.tier_qualities(tiers)), *((f, 0) for f in F.tier_shares(tiers)),
            (F.ESCALATION, 0), (F.LATENCY_P50, 2), (F.LATENCY_P95, 2)]


def quality_table(r: RunResult) -> Table:
    """Quality overall and per tier, escalation share and latency per policy."""
    cols = quality_columns([m.name for m in r.output.scenario.models])
    t = table("Quality and latency (steady state)")
    t.add_column("policy", no_wrap=True)
    for f, _ in cols:
        t.add_column(f.short, justify="right", no_wrap=True)
    for name, label in policy_rows(r):
        p = r.policies[name]
        t.add_row(label, *(f.show(f.read(p), digits) for f, digits in cols))
    return t


ALARM_DAYS_SHOWN = 3  # the terminal lists the first three alarm days (the report and workbook list them all)


def detection_tables(r: RunResult) -> list[Table]:
    """Per watched policy, per monitor: the true onset, the first alarm, the delay, how many false alarms and the
    alarm days, under the report's column names (the watched policy in the title, so 100 columns hold it; the
    replicates' view is the operating-characteristics table after it)."""
    mons = {name: asdict(m) for name, m in r.monitors.items()}
    tables = []
    for policy in dict.fromkeys(m["policy"] for m in mons.values()):
        t = table(f"{DETECTION_TITLE}, monitors watching {policy}")
        for col in DETECTION_COLUMNS:
            if col != "watches":
                t.add_column(col, justify="left" if col in ("monitor", "kind", "alarm days") else "right",
                             no_wrap=True)
        for name in detection_order({n: m for n, m in mons.items() if m["policy"] == policy}):
            m = mons[name]
            cells = detection_row({**m, "alarm_days": []})[1:]  # without the watched policy (in the title)
            if m["first_alarm_day"] is None:
                cells[2] = "[dim]never[/]"
            if m["false_alarms"]:
                cells[4] = f"[bold red]{m['false_alarms']}[/]"
            cells[5] = _alarm_days(m["alarm_days"], m["onset_day"])
            t.add_row(name, *cells)
        tables.append(t)
    return tables


def _alarm_days(days: list[int], onset: int | None) -> str:
    """The first alarm days, a false alarm (before the onset) in red."""
    shown = [f"[red]{d}[/]" if onset is None or d < onset else str(d) for d in days[:ALARM_DAYS_SHOWN]]
    more = len(days) - ALARM_DAYS_SHOWN
    return (", ".join(shown) + (f" +{more} more" if more > 0 else "")) if days else "—"


def detection_note() -> str:
    """The report's note on the detection columns, in two lines (report.md and the Detection sheet say more)."""
    return ("[dim]onset: the true change the monitor is designed to catch; delay: first alarm − onset; false alarms: "
            "how many alarms came before the onset (in red among the alarm days)[/]")


def operating_table(reps: dict) -> Table:
    """Monitor operating characteristics over the replicates, with the calendar and random references."""
    t = table(f"Monitor operating characteristics over {reps['n']} replicates")
    for i, col in enumerate(COLUMNS):
        t.add_column(col, justify="left" if i < 2 else "right", no_wrap=True)
    for row in operating_rows(reps["monitors"]):
        t.add_row(*row)
    return t


def _interval_text(iv, fmt) -> str:
    return interval_cell(None if iv is None else iv.as_dict(), fmt)


def intervals_tables(r: RunResult) -> list[Table]:
    """Mean and 95% interval over the replicates: economics (savings, loss per cost center, net value, trap
    ratio), then quality overall and per tier."""
    reps = r.replicates
    if reps is None:
        return []
    folded = {f.name for f in folded_losses(r)}  # the cost centers the economics table leaves out
    cols = [c for c in interval_columns([m.name for m in r.output.scenario.models]) if c[0] not in folded]
    split = [k for k, _, _ in cols].index(F.QUALITY.name)
    tables = []
    for title, part in (("economics per month", cols[:split]), ("quality", cols[split:])):
        t = table(f"Mean ± 95% interval over {reps.n} replicates (child seeds of seed {reps.seed}): {title}")
        t.add_column("policy", no_wrap=True)
        for _, label, _ in part:
            t.add_column(label, justify="right", no_wrap=True)
        for name, row_label in policy_rows(r):
            figs = reps.intervals.get(name, {})
            t.add_row(row_label, *(_interval_text(figs.get(key), fmt) for key, _, fmt in part))
        tables.append(t)
    return tables


def print_summary(r: RunResult, console: Console) -> None:
    """The economics, quality, replicate-interval and (when the scenario has monitors) detection tables."""
    console.print(economics_table(r))
    for note in economics_notes(r):
        console.print(note)
    console.print()
    console.print(quality_table(r))
    if r.replicates is not None:
        for t in intervals_tables(r):
            console.print()
            console.print(t)
    if r.monitors:
        for t in detection_tables(r):
            console.print()
            console.print(t)
        console.print(detection_note())
    if r.replicates is not None and r.replicates.document().get("monitors"):
        console.print()
        console.print(operating_table(r.replicates.document()))
    for name, p in r.policies.items():
        rb = p.rollback_on_alarm
        if rb and rb["alarm_day"] is not None:
            console.print(f"[bold]{name}[/] rolled back on day {rb['rollback_day']} after '{rb['monitor']}' "
                          f"alarmed on day {rb['alarm_day']}: loss avoided over the horizon "
                          f"{usd(rb['loss_avoided_usd_over_horizon'])} against the same policy without the "
                          "rollback")
    console.print()
    console.print(f"[bold]{headline_sentence(r)}[/]")


COMPARISON_FIGURES = (F.BILL, F.SAVINGS, F.INVISIBLE_LOSS, F.NET, F.TRAP, F.QUALITY)


def comparison_table(rows: list[dict]) -> Table:
    """Headline figures per run and policy (from `simroute compare`: records keyed by figure name)."""
    t = table("Policies across runs (per month, steady state)")
    for col in ("run", "policy"):
        t.add_column(col, justify="left", no_wrap=True)
    for f in COMPARISON_FIGURES:
        t.add_column(f.short, justify="right", no_wrap=True)
    for r in rows:
        t.add_row(r["run"], r["policy"], *(_cell(f, r[f.name]) for f in COMPARISON_FIGURES))
    return t


def comparison_delta_table(rows: list[dict]) -> Table | None:
    """Each policy present in every run: its change against the first run (net value, loss, savings, trap
    ratio, quality), so the terminal shows what compare.md shows."""
    runs = list(dict.fromkeys(r["run"] for r in rows))
    if len(runs) < 2:
        return None
    by = {(r["run"], r["policy"]): r for r in rows}
    common = [r["policy"] for r in rows if r["run"] == runs[0] and all((x, r["policy"]) in by for x in runs[1:])]
    if not common:
        return None
    figs = (F.SAVINGS, F.INVISIBLE_LOSS, F.NET, F.TRAP, F.QUALITY)
    t = table(f"Change against '{runs[0]}' (per month, steady state)")
    for col in ("run", "policy"):
        t.add_column(col, no_wrap=True)
    for f in figs:
        t.add_column(f"Δ {f.short}", justify="right", no_wrap=True)
    for run in runs[1:]:
        for pol in common:
            a, b = by[(runs[0], pol)], by[(run, pol)]
            t.add_row(run, pol, *(_signed(f, None if a[f.name] is None or b[f.name] is None else b[f.name] - a[f.name])
                                  for f in figs))
    return t


STATUS_STYLE = {"regressed": "bold red", "missing": "bold red", "improved": "green", "changed": "yellow",
                "new": "cyan", "ok": "dim"}


def _signed(f: F.Figure | None, x: float | None) -> str:
    """A change in the figure's unit, signed: +$1,234, −2.1 pp (a share or percent moves in points)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if f is None:
        return ("+" if x > 0 else "") + compact(x).replace("-", MINUS)
    if f.unit in (Unit.share, Unit.pct):
        points = 100 * x if f.unit is Unit.share else x
        shown = f"{abs(points):.1f} pp"
    else:
        shown = f.show(abs(x), 2 if f.unit is Unit.ratio else None)
    sign = MINUS if x < 0 and shown.strip("0.$% p,") else ("+" if x > 0 and shown.strip("0.$% p,") else "")
    return sign + shown


def _value(f: F.Figure | None, x: float | None) -> str:
    """A baseline or current value in the figure's unit."""
    if f is None or x is None:
        return compact(x)
    return _ratio(x) if f.unit is Unit.ratio else f.show(x)


def check_table(rows, title: str, show_all: bool = False) -> Table:
    """The figures of `simroute check` that moved beyond noise (all with `show_all`), worst first, each by its
    name and in its unit (the JSON, JUnit and Markdown outputs keep the figure keys and raw numbers)."""
    order = {"regressed": 0, "missing": 1, "changed": 2, "improved": 3, "new": 4, "ok": 5}
    t = table(f"simroute check of {title}: figures that moved against the baseline (± noise: Monte Carlo)")
    for col in ("status", "policy / monitor", "figure", "baseline", "now", "change", "± noise"):
        numeric = col in ("baseline", "now", "change", "± noise")
        t.add_column(col, justify="right" if numeric else "left", no_wrap=col != "figure", overflow="fold")
    for r in sorted(rows, key=lambda r: order[r.status]):
        if r.status == "ok" and not show_all:
            continue
        style, f = STATUS_STYLE[r.status], F.figure(r.metric)
        t.add_row(f"[{style}]{r.status}[/]", r.subject, f.label if f else r.metric, _value(f, r.baseline),
                  _value(f, r.new), _signed(f, r.delta), _signed(f, r.tolerance).lstrip("+"))
    return t


def sweep_points_table(points) -> Table:
    """A sweep's figure at every point (rows) per policy (columns), mean over replicates."""
    t = table(f"{metric_label(points.metric).capitalize()} at every point (mean over replicates)")
    t.add_column("point", overflow="fold")
    for p in points.policies:
        t.add_column(p, justify="right", no_wrap=True)
    for label, row in zip(points.points, points.values, strict=True):
        t.add_row(label, *(cell(points.metric, v) for v in row))
    return t
