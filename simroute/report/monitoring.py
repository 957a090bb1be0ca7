"""The report's monitor operating characteristics (issue 15): per monitor over the replicates, the share with
a false alarm, the detection delay's median and 90th percentile, and the share detected within 2/4/8 weeks,
beside the fixed-calendar and random-alarm references. Content only: the renderers draw it."""
from __future__ import annotations

from ..results import ResultsBundle
from .content import Table

COLUMNS = ["monitor", "rule", "false-alarm share", "delay median", "delay p90", "≤2 wk", "≤4 wk", "≤8 wk"]


def _share(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def _days(x: float | None) -> str:
    return "never" if x is None else f"{x:.0f} d"


def _row(name: str, rule: str, oc: dict) -> list[str]:
    return [name, rule, _share(oc["false_alarm_share"]), _days(oc["delay_median_days"]),
            _days(oc["delay_p90_days"]), *(_share(oc.get(f"detected_within_{w}w")) for w in (2, 4, 8))]


def operating_rows(monitors: dict[str, dict]) -> list[list[str]]:
    """One row per monitor, then its calendar and random references."""
    rows = []
    for name, oc in monitors.items():
        rows.append(_row(name, "CUSUM", oc))
        for ref in ("calendar", "random"):
            rows.append(_row("", f"{ref} reference", oc["references"][ref]))
    return rows


def operating_table(b: ResultsBundle) -> Table | None:
    """The operating-characteristics table of a run with replicates and monitors (None otherwise)."""
    reps = b.summary.get("replicates") or {}
    monitors = reps.get("monitors")
    if not monitors:
        return None
    return Table(f"Monitor operating characteristics over {reps['n']} replicates", COLUMNS,
                 operating_rows(monitors), numeric={2, 3, 4, 5, 6, 7},
                 note="Delay counts from each replicate's true onset (the first day the watched quantity departed "
                      "by the shift the monitor is designed for); a replicate never detected counts as never. "
                      "References: an alarm every 28 days, and a random alarm with the stated false-alarm chance.")


ERROR_COLUMNS = ["monitor", "stratum", "first alarm", "error, reference", "error at first alarm",
                 "error, steady state"]


def _rate(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _rise(levels: dict, stratum: str) -> float | None:
    lv = levels.get(stratum) or {}
    a, b = lv.get("reference"), lv.get("steady_state")
    return None if a is None or b is None else b - a


def _suite_share(mons: dict[str, dict]) -> str:
    """One sentence: the static suite's rise on the cheap tier against the live tier's (per-tier review)."""
    suites = [m for m in mons.values() if m["kind"] == "regression_suite" and m["error_levels"]]
    live = [m for m in mons.values() if m["kind"] == "human_review" and len(m["error_levels"]) > 1]
    if not suites or not live:
        return ""
    tiers = [t for t in live[0]["error_levels"] if any(t in s["error_levels"] for s in suites)]
    rises: list[tuple[str, float, float]] = []
    for s in suites:
        for tier in tiers:
            seen, lost = _rise(s["error_levels"], tier), _rise(live[0]["error_levels"], tier)
            if seen is not None and lost is not None and lost > 0:
                rises.append((tier, seen, lost))
    if not rises:
        return ""
    t, a, b = max(rises, key=lambda r: r[2])
    return (f" On the {t} tier the static suite's error rose by {100 * a:.1f} points by the steady state while "
            f"the live tier's rose by {100 * b:.1f}: a static suite measures what a model change does to its own "
            "items, not what the traffic brought, which only monitors on live answers (per-tier review, widget) "
            "see.")


def error_table(b: ResultsBundle) -> Table | None:
    """The true error rate behind each reviewed or suite monitor: in its reference period, in the week up to
    its first alarm and in the steady state — what each alarm saw against what the tier went on to lose."""
    mons = {n: m for n, m in b.monitors.items() if m.get("error_levels")}
    if not mons:
        return None
    rows = []
    for name, m in sorted(mons.items()):
        for stratum, lv in m["error_levels"].items():
            rows.append([name, stratum, "—" if m["first_alarm_day"] is None else f"day {m['first_alarm_day']}",
                         _rate(lv["reference"]), _rate(lv["at_first_alarm"]), _rate(lv["steady_state"])])
    return Table("Error rates behind the alarms (the simulator's truth)", ERROR_COLUMNS, rows, numeric={3, 4, 5},
                 note="A static suite's items never change, so its error moves only when a model changes (a "
                      "provider version change); a live sample's error also moves with the traffic. Review "
                      "rates are true error rates (reviewers' mistakes taken out)." + _suite_share(mons))
