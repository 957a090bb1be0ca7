"""What the monitors tell a reader: when each alarmed, how late after the true onset, how many false alarms,
what a monitor-driven rollback was worth, and how calibrated the answering model's confidence was."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from . import stats
from .engine import SimulationOutput
from .monitors.detector import MAX_P1, increments
from .scenario.monitors import Alarm, MonitorKind
from .scenario.replay import replay_onsets

ONSET_BY_TRUTH = "truth: first day after the reference period the watched quantity departed by the designed shift"
ONSET_BY_SCHEDULE = "schedule: first drift in the window that can move the watched quantity"
PERSIST_DAYS = 7  # a departure counts when the truth's mean over this many days from the day on departs too
CALIBRATION_BINS = 10  # equal-width confidence bins for ECE and the reliability diagram
ERROR_KINDS = frozenset({MonitorKind.human_review, MonitorKind.regression_suite, MonitorKind.live_edge_set,
                         MonitorKind.long_tail_sampling})  # monitors whose truth is an error rate
OPERATING = "operating"  # the row kind of per-replicate first alarms at scaled thresholds (operating curves)
THRESHOLD_SCALES = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)  # the operating curve's thresholds, x calibrated


@dataclass(frozen=True)
class MonitorSummary:
    """One monitor's detection record."""

    kind: str
    policy: str
    window_start_day: int
    window_end_day: int
    onset_day: int | None
    first_alarm_day: int | None
    delay_days: int | None
    false_alarms: int
    alarms: int
    alarm_days: list[int]
    thresholds: dict[str, float]
    onset_rule: str = ONSET_BY_SCHEDULE
    onset_drifts: list[str] = field(default_factory=list)
    error_levels: dict[str, dict[str, float | None]] = field(default_factory=dict)


def onset_day(out: SimulationOutput, start: int, quality: bool) -> int | None:
    """The fallback onset of a monitor without a truth series: the first drift at or after its window start
    that can move what it measures (quality monitors: the drift kinds marked `quality` in `DRIFTS`; input
    monitors such as routing-confidence drift: any drift, since every drift moves the router's inputs)."""
    days = [d.start_day for d in out.scenario.drift
            if d.start_day >= start and (not quality or d.spec.quality)]
    days += [day for day, _ in replay_onsets(out.scenario) if day >= start]  # on recorded answers a mix change
    # moves the quality a router serves, so it is an onset for quality monitors too
    return min(days) if days else None


def departed(values: np.ndarray, reference: np.ndarray, alarm: Alarm, distance: bool, odds: bool,
             observed_sd: float) -> np.ndarray:
    """Where a truth series has left its in-control level (its mean over the reference period) by the shift
    the monitor's CUSUM is tuned to detect: a rate by (1 + shift) x the level; a share by (1 + shift) x its
    odds; a distance-tested value by 2 x shift standard deviations of its observed reference values."""
    level = float(np.mean(reference))
    if distance:
        return values >= level + 2 * alarm.shift * observed_sd
    if odds:
        lo = min(level, MAX_P1)
        bar = lo * (1 + alarm.shift) / (lo * (1 + alarm.shift) + 1 - lo)
        return values >= bar
    return values >= level * (1 + alarm.shift)


def truth_onset(truth: pl.DataFrame, observed: pl.DataFrame, start: int, alarm: Alarm, distance: bool,
                odds: bool) -> int | None:
    """The first day after the reference period on which any stratum's true value has departed (see
    `departed`), both on the day and on average over that day and the next PERSIST_DAYS - 1 (so a one-day blip
    of a small population's truth is not an onset, and a step change's onset is its first day) — the onset a
    monitor is judged against, whatever drift caused it; None if it never does."""
    ref_end = start + alarm.reference_days
    firsts = []
    for stratum in truth["stratum"].unique(maintain_order=True).to_list():
        t = truth.filter(pl.col("stratum") == stratum).sort("day")
        day, value = t["day"].to_numpy(), t["value"].to_numpy()
        ok = np.isfinite(value)
        ref, after = ok & (day < ref_end), ok & (day >= ref_end)
        if not ref.any() or not after.any():
            continue
        obs = observed.filter((pl.col("stratum") == stratum) & (pl.col("day") < ref_end))["statistic"].to_numpy()
        sd = float(np.std(obs, ddof=1)) if len(obs) > 1 else 0.0
        day, value = day[ok], value[ok]
        ref, after = ref[ok], after[ok]
        j = np.searchsorted(day, day + PERSIST_DAYS)
        cs = np.concatenate([[0.0], np.cumsum(value)])
        week = (cs[j] - cs[np.arange(len(day))]) / (j - np.arange(len(day)))
        level = value[ref]
        hit = (after & departed(value, level, alarm, distance, odds, sd)
               & departed(week, level, alarm, distance, odds, sd))
        if hit.any():
            firsts.append(int(day[np.argmax(hit)]))
    return min(firsts) if firsts else None


def active_drifts(out: SimulationOutput, day: int | None) -> list[str]:
    """The drifts in effect on `day` (started on or before it), as `kind:target`."""
    if day is None:
        return []
    changes = [(d.start_day, f"{d.kind.value}:{d.target or ''}") for d in out.scenario.drift]
    return [what for start, what in sorted(changes + replay_onsets(out.scenario)) if start <= day]


def _onset(out: SimulationOutput, cfg, start: int) -> tuple[int | None, str]:
    """A monitor's onset and the rule that gave it: its truth series when it has one, else the schedule."""
    rep = out.monitors
    assert rep is not None
    truth = rep.truth.filter(pl.col("monitor") == cfg.name) if rep.truth is not None else None
    if truth is None or truth.is_empty():
        return onset_day(out, start, cfg.measures_quality), ONSET_BY_SCHEDULE
    det = rep.detectors[cfg.name]
    observed = rep.series.filter(pl.col("monitor") == cfg.name)
    return truth_onset(truth, observed, start, cfg.alarm, det.distance, det.odds), ONSET_BY_TRUTH


def _mean_between(t: pl.DataFrame, lo: int, hi: int) -> float | None:
    v = t.filter((pl.col("day") >= lo) & (pl.col("day") < hi))["value"].drop_nans().to_numpy()
    return float(v.mean()) if len(v) else None


def error_levels(out: SimulationOutput, cfg, start: int, first_alarm: int | None) -> dict[str, dict]:
    """Per stratum, the true error rate behind a reviewed or suite monitor (reviewers' mistakes taken out of a
    review's expected wrong-verdict rate): over its reference period, over the week up to its first alarm,
    and over the report's steady-state window — what its alarm saw against what the tier went on to lose.
    Empty for monitors whose truth is not an error rate (thumbs-downs, distances)."""
    rep = out.monitors
    if rep is None or rep.truth is None or cfg.kind not in ERROR_KINDS:
        return {}
    rv = getattr(cfg, "reviewers", None)
    truth = rep.truth.filter(pl.col("monitor") == cfg.name)
    if rv is not None:  # expected verdict v = w (1 - fn) + (1 - w) fp
        gain = 1 - rv.false_negative_rate - rv.false_positive_rate
        truth = truth.with_columns(value=(pl.col("value") - rv.false_positive_rate) / gain)
    w = out.scenario.report.steady_state
    levels = {}
    for stratum in truth["stratum"].unique(maintain_order=True).to_list():
        t = truth.filter(pl.col("stratum") == stratum)
        levels[stratum] = {
            "reference": _mean_between(t, start, start + cfg.alarm.reference_days),
            "at_first_alarm": None if first_alarm is None else _mean_between(t, first_alarm - 6, first_alarm + 1),
            "steady_state": None if w is None else _mean_between(t, w.start_day, w.end_day)}
    return levels


def monitor_summaries(out: SimulationOutput) -> dict[str, MonitorSummary]:
    """Per monitor: first alarm, delay after onset, false alarms (alarms before the onset), and the drifts in
    effect at the onset."""
    rep = out.monitors
    if rep is None:
        return {}
    result = {}
    for cfg in out.scenario.monitors:
        start, end = rep.windows[cfg.name]
        days = sorted({d for d, _ in rep.alarms[cfg.name]})
        onset, rule = _onset(out, cfg, start)
        after = [d for d in days if onset is not None and d >= onset]
        result[cfg.name] = MonitorSummary(
            kind=cfg.kind.value, policy=cfg.policy, window_start_day=start, window_end_day=end,
            onset_day=onset, first_alarm_day=days[0] if days else None,
            delay_days=(after[0] - onset) if after and onset is not None else None,
            false_alarms=len([d for d in days if onset is None or d < onset]), alarms=len(days),
            alarm_days=days, thresholds=rep.thresholds.get(cfg.name, {}), onset_rule=rule,
            onset_drifts=active_drifts(out, onset),
            error_levels=error_levels(out, cfg, start, days[0] if days else None))
    return result


def _review_groups(out: SimulationOutput, by_week: bool) -> dict[tuple, tuple[np.ndarray, np.ndarray]]:
    """Reviewed samples (answering model's confidence, reviewer verdict) grouped by policy, monitor, tier and,
    optionally, week; keys sorted."""
    names = [m.name for m in out.scenario.models]
    parts: dict[tuple, list] = {}
    for r in (out.monitors.reviews if out.monitors else []):
        for m in np.unique(r.tier):
            sel = r.tier == m
            key = (r.policy, r.monitor, names[m]) + ((r.day // 7,) if by_week else ())
            parts.setdefault(key, []).append((r.confidence[sel].astype(float), r.verdict[sel]))
    return {k: (np.concatenate([c for c, _ in v]), np.concatenate([x for _, x in v]))
            for k, v in sorted(parts.items())}


def calibration_tables(out: SimulationOutput) -> tuple[pl.DataFrame, pl.DataFrame]:
    """From human-review samples: reliability bins per policy, tier and week, and ECE/Brier per week."""
    bins, scores = [], []
    for (policy, monitor, tier, week), (c, v) in _review_groups(out, by_week=True).items():
        n, mc, acc = stats.reliability(c, v, CALIBRATION_BINS)
        bins += [(policy, monitor, tier, week, b / CALIBRATION_BINS, int(n[b]), float(mc[b]), float(acc[b]))
                 for b in range(CALIBRATION_BINS) if n[b]]
        scores.append((policy, monitor, tier, week, len(c), stats.ece(c, v, CALIBRATION_BINS), stats.brier(c, v)))
    rel = pl.DataFrame(bins, schema={"policy": pl.Utf8, "monitor": pl.Utf8, "tier": pl.Utf8, "week": pl.Int32,
                                     "bin_low": pl.Float64, "n": pl.Int64, "mean_confidence": pl.Float64,
                                     "accuracy": pl.Float64}, orient="row")
    sc = pl.DataFrame(scores, schema={"policy": pl.Utf8, "monitor": pl.Utf8, "tier": pl.Utf8, "week": pl.Int32,
                                      "reviews": pl.Int64, "ece": pl.Float64, "brier": pl.Float64}, orient="row")
    return rel, sc


def calibration_summary(out: SimulationOutput) -> dict:
    """ECE and Brier score of each tier's self-reported confidence over all reviewed samples, per policy and
    reviewing monitor."""
    result: dict = {}
    for (policy, monitor, tier), (c, v) in _review_groups(out, by_week=False).items():
        result.setdefault(policy, {}).setdefault(monitor, {})[tier] = {
            "reviews": len(c), "ece": stats.ece(c, v, CALIBRATION_BINS), "brier": stats.brier(c, v),
            "ece_bins": f"{CALIBRATION_BINS} equal-width confidence bins; accuracy from reviewers' (noisy) verdicts"}
    return result


def model_reliability_table(out: SimulationOutput) -> pl.DataFrame:
    """Each model's true reliability per week from every query of the shared traffic (the simulator knows
    the truth): answers, correct answers and mean self-reported confidence per confidence bin."""
    schema = {"week": pl.Int32, "model": pl.Utf8, "bin_low": pl.Float64, "answers": pl.Int64,
              "correct": pl.Int64, "mean_confidence": pl.Float64}
    cal = out.model_calibration
    if cal is None:
        return pl.DataFrame(schema=schema)
    h, m, bins, _ = cal.shape
    weeks = -(-h // 7)
    per_week = np.add.reduceat(cal, np.arange(0, h, 7), axis=0)  # (weeks, models, bins, 3)
    w, mm, b = np.meshgrid(np.arange(weeks), np.arange(m), np.arange(bins), indexing="ij")
    n = per_week[..., 0]
    names = np.array([x.name for x in out.scenario.models])
    df = pl.DataFrame({"week": w.ravel().astype(np.int32), "model": names[mm.ravel()], "bin_low": b.ravel() / bins,
                       "answers": np.rint(n).ravel().astype(np.int64),
                       "correct": np.rint(per_week[..., 1]).ravel().astype(np.int64),
                       "mean_confidence": np.divide(per_week[..., 2], n, out=np.full_like(n, np.nan),
                                                    where=n > 0).ravel()}, schema=schema)
    return df.filter(pl.col("answers") > 0)


def first_alarms_at_scales(out: SimulationOutput, name: str,
                           scales: tuple[float, ...] = THRESHOLD_SCALES) -> list[int | None]:
    """The first alarm day monitor `name` would have raised with every stratum's threshold multiplied by each
    scale. Exact, not an approximation: up to its first alarm a stratum's CUSUM path does not depend on the
    threshold (the team re-baselines only after an alarm), so re-running it on the recorded observations
    gives the first crossing of any threshold. Later alarms would follow a re-baselined path and are not
    recovered (the operating curve is built on first alarms only)."""
    rep = out.monitors
    assert rep is not None
    det = rep.detectors[name]
    firsts: list[int | None] = [None] * len(scales)
    fixed = det.alarm.threshold if det.alarm.threshold is not None else np.inf
    for stratum, st in det.strata.items():
        h = det.thresholds.get(stratum, fixed)
        ref = det.reference_count(st, 0)
        if len(st.days) <= ref or not np.isfinite(h):
            continue
        inc = increments(np.array(st.n), np.array(st.k), ref, det.alarm.shift, det.distance, det.odds)
        s, _ = stats.cusum(inc[None, :], np.inf, reset=False)
        peak = np.maximum.accumulate(s[0])
        for i, c in enumerate(scales):
            j = int(np.searchsorted(peak, c * h, side="right"))  # first index whose running max exceeds c x h
            if j < len(peak):
                day, was = st.days[ref + j], firsts[i]
                firsts[i] = day if was is None else min(was, day)
    return firsts


def operating_rows(out: SimulationOutput) -> pl.DataFrame:
    """Per monitor and threshold scale, the first alarm day (NaN: none), as rows of kind `operating` for the
    replicates' operating curves (see `first_alarms_at_scales`)."""
    rows = []
    if out.monitors is not None:
        for cfg in out.scenario.monitors:
            for c, day in zip(THRESHOLD_SCALES, first_alarms_at_scales(out, cfg.name), strict=True):
                rows.append((cfg.name, OPERATING, f"first_alarm_day_x{c:g}", float("nan") if day is None else day))
    return pl.DataFrame(rows, schema={"subject": pl.Utf8, "kind": pl.Utf8, "metric": pl.Utf8, "value": pl.Float64},
                        orient="row")
