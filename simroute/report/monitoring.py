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
