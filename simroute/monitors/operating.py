"""Operating characteristics of monitors over replicates (issue 15): the share of replicates with a false
alarm, the detection delay's median and 90th percentile, and the share detected within 2, 4 and 8 weeks of
the true onset — beside two references that know nothing: an alarm on a fixed calendar, and a random alarm
with the monitor's stated false-alarm chance."""
from __future__ import annotations

import numpy as np

WEEKS = (2, 4, 8)
CALENDAR_DAYS = 28  # the fixed-calendar reference raises an alarm every four weeks after the reference period
NEVER = float("inf")


def characteristics(onset: np.ndarray, delay: np.ndarray, false_alarms: np.ndarray) -> dict:
    """From per-replicate onset day (NaN: none), delay (NaN: not detected) and false-alarm count: the share
    with any false alarm, delay quantiles over the replicates with an onset (an undetected one counts as
    never, so a quantile beyond the detected share is None) and the share detected within 2/4/8 weeks."""
    has = np.isfinite(onset)
    d = np.where(np.isfinite(delay), delay, NEVER)[has]
    out: dict = {"replicates": int(len(onset)), "with_onset": int(has.sum()),
                 "false_alarm_share": float(np.mean(false_alarms > 0)) if len(onset) else float("nan")}
    for name, q in (("delay_median_days", 0.5), ("delay_p90_days", 0.9)):
        v = float(np.quantile(d, q, method="inverted_cdf")) if len(d) else NEVER
        out[name] = v if np.isfinite(v) else None
    for w in WEEKS:
        out[f"detected_within_{w}w"] = float(np.mean(d <= 7 * w)) if len(d) else None
    return out


def calendar_reference(onset: np.ndarray, first_test: np.ndarray, end: np.ndarray,
                       every: int = CALENDAR_DAYS) -> dict:
    """An alarm every `every` days from each replicate's first testable day (after the reference period)."""
    has = np.isfinite(onset)
    k = np.ceil(np.maximum(onset - first_test, 0) / every)
    first_after = first_test + k * every
    delay = np.where(has & (first_after < end), first_after - onset, np.nan)
    fa = np.where(has, (onset > first_test).astype(float), (end > first_test).astype(float))
    return characteristics(onset, delay, fa) | {"rule": f"an alarm every {every} days after the reference period"}


def random_reference(onset: np.ndarray, first_test: np.ndarray, end: np.ndarray, alpha: float) -> dict:
    """A memoryless alarm with the daily hazard that gives a chance `alpha` of any alarm over the testable
    window: its false-alarm share and delay distribution in closed form (geometric), per replicate."""
    span = np.maximum(end - first_test, 1)
    hazard = 1 - (1 - alpha) ** (1 / span)
    has = np.isfinite(onset)
    pre = np.where(has, np.maximum(onset - first_test, 0), span)
    fa_share = float(np.mean(1 - (1 - hazard) ** pre)) if len(onset) else float("nan")
    out: dict = {"replicates": int(len(onset)), "with_onset": int(has.sum()), "false_alarm_share": fa_share,
                 "rule": f"a random alarm with a {alpha:.0%} chance over the window"}
    room = np.where(has, end - 1 - onset, -1)  # last day a detection can happen, counted from the onset

    def within(days: float) -> float:
        p = np.where(room >= 0, 1 - (1 - hazard) ** (np.minimum(days, room) + 1), 0.0)
        return float(np.mean(p[has])) if has.any() else float("nan")

    for name, q in (("delay_median_days", 0.5), ("delay_p90_days", 0.9)):
        grid = np.arange(0, int(np.max(span)) + 1)
        cdf = np.array([within(float(g)) for g in grid]) if has.any() else np.zeros(0)
        hit = np.flatnonzero(cdf >= q)
        out[name] = float(grid[hit[0]]) if len(hit) else None
    for w in WEEKS:
        out[f"detected_within_{w}w"] = within(7 * w) if has.any() else None
    return out


RANDOM_ALPHAS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)  # the random reference's curve
CALENDAR_EVERY = (7, 14, 28, 56, 84)  # the fixed-calendar reference's curve (days between alarms)


def _curve_point(onset: np.ndarray, first: np.ndarray) -> dict:
    """One threshold's point from per-replicate onset and first alarm day (NaN: none): the share of
    replicates whose first alarm came before the onset (or with no onset at all), and the delay of the rest
    (never alarmed: never), over the replicates with an onset whose first alarm was not false."""
    has = np.isfinite(onset)
    alarmed = np.isfinite(first)
    false = alarmed & (~has | (first < np.where(has, onset, np.inf)))
    keep = has & ~false
    delay = np.where(alarmed, first - onset, NEVER)[keep]
    out: dict = {"false_alarm_share": float(np.mean(false)) if len(onset) else float("nan"),
                 "delays": int(keep.sum())}
    v = float(np.quantile(delay, 0.5, method="inverted_cdf")) if len(delay) else NEVER
    out["delay_median_days"] = v if np.isfinite(v) else None
    out["detected_within_4w"] = float(np.mean(delay <= 28)) if len(delay) else None
    return out


def operating_curve(onset: np.ndarray, firsts: dict[float, np.ndarray], first_test: np.ndarray, end: np.ndarray)\
        -> dict:
    """A monitor's operating curve over replicates: per threshold scale (x its calibrated threshold) the
    false-alarm share and the median delay of first alarms, with the two references' curves (random alarms
    over a range of false-alarm chances, calendar alarms over a range of periods) on the same onsets."""
    points = [{"threshold_scale": c, **_curve_point(onset, f)} for c, f in sorted(firsts.items())]
    keys = ("false_alarm_share", "delay_median_days")
    return {"points": points,
            "random": [{"alpha": a, **{k: random_reference(onset, first_test, end, a)[k] for k in keys}}
                       for a in RANDOM_ALPHAS],
            "calendar": [{"every_days": e, **{k: calendar_reference(onset, first_test, end, e)[k] for k in keys}}
                         for e in CALENDAR_EVERY],
            "rule": "first alarms only: a replicate whose first alarm came before its onset counts as a false "
                    "alarm and not in the delay; never alarmed after the onset counts as never"}
