"""All monitors of a run: day logs of the watched policies, detectors, alarms, and the offline suite."""
from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from ..policies.base import Policy
from ..rng import Streams
from ..scenario.schema import Scenario
from . import build
from .base import DayLog, DayLogBuilder, Monitor, MonitorContext, ReviewSample, end_of
from .detector import Detector, calibrate
from .plan import Suite, suite_runner

TRUTH_SCHEMA = {"day": pl.Int32, "monitor": pl.Utf8, "stratum": pl.Utf8, "value": pl.Float64}


@dataclass
class MonitorReport:
    """What the monitors saw and when they alarmed."""

    series: pl.DataFrame
    alarms: dict[str, list[tuple[int, str]]]
    thresholds: dict[str, dict[str, float]]
    windows: dict[str, tuple[int, int]]
    detectors: dict[str, Detector]
    reviews: list[ReviewSample] = field(default_factory=list)
    truth: pl.DataFrame | None = None  # (day, monitor, stratum, value): each watched quantity's true daily value


@dataclass
class Watch:
    """One monitor of the run with its alarm detector and the days it watches, [start, end)."""

    monitor: Monitor
    detector: Detector
    start: int
    end: int


class MonitorBoard:
    """Builds each watched policy's day log and feeds every monitor's detector at the end of the day."""

    def __init__(self, scenario: Scenario, policies: dict[str, Policy], streams: Streams, suite: Suite,
                 thresholds: dict[str, dict[str, float]] | None = None):
        self.s = scenario
        self.watches: dict[str, Watch] = {}
        h = scenario.horizon_days
        for cfg in scenario.monitors:
            pol = policies[cfg.policy]
            ctx = MonitorContext(scenario, pol.config, pol.classifier, pol.launch_threshold, streams,
                                 suite_runner(suite, pol))
            m = build(cfg, ctx)
            det = Detector(cfg.alarm, m.distance, m.start_day, m.odds)
            det.thresholds = dict((thresholds or {}).get(cfg.name, {}))
            self.watches[cfg.name] = Watch(m, det, m.start_day, end_of(pol.config, h))
        self.watched = {cfg.policy for cfg in scenario.monitors}
        self.needs_ood = {cfg.policy for cfg in scenario.monitors if cfg.needs_ood}
        self.builders: dict[str, DayLogBuilder] = {}
        self.truth: list[tuple[int, str, str, float]] = []

    def builder(self, policy: str) -> DayLogBuilder | None:
        """Today's log builder of a watched policy (None when nobody watches it)."""
        if policy not in self.watched:
            return None
        return self.builders.setdefault(policy, DayLogBuilder())

    def end_day(self, day: int) -> list[str]:
        """Feed today's logs to the monitors; returns the names of monitors that alarmed today."""
        logs: dict[str, DayLog] = {p: b.build() for p, b in self.builders.items()}
        self.builders = {}
        fired = []
        for name, w in self.watches.items():
            if not w.start <= day < w.end:
                continue
            log = logs.get(w.monitor.config.policy) or DayLogBuilder().build()
            obs = w.monitor.observe(day, log)
            truth = w.monitor.truth(day, log)
            if truth:
                self.truth += [(day, name, s, v) for s, v in truth.items()]
            if obs and w.detector.update(day, obs):
                fired.append(name)
        return fired

    def report(self) -> MonitorReport:
        """Series (day, monitor, stratum, trials, events, value, cusum), alarms, thresholds, review samples."""
        rows = []
        for name, w in self.watches.items():
            det = w.detector
            stat = {(d, s): v for d, s, v in det.statistic}
            fired = set(det.alarms)
            for stratum, st in det.strata.items():
                for d, n, k in zip(st.days, st.n, st.k, strict=True):
                    value = float(k) if det.distance else float(k) / max(float(n), 1.0)
                    rows.append((d, name, stratum, float(n), float(k), value, stat.get((d, stratum)),
                                 (d, stratum) in fired))
        series = pl.DataFrame(rows, schema={"day": pl.Int32, "monitor": pl.Utf8, "stratum": pl.Utf8,
                                            "trials": pl.Float64, "events_or_value": pl.Float64,
                                            "statistic": pl.Float64, "cusum": pl.Float64, "alarm": pl.Boolean},
                              orient="row").sort(["monitor", "stratum", "day"])
        reviews = [r for w in self.watches.values() for r in w.monitor.review_samples()]
        ws = self.watches
        return MonitorReport(series, {n: w.detector.alarms for n, w in ws.items()},
                             {n: w.detector.thresholds for n, w in ws.items()},
                             {n: (w.start, w.end) for n, w in ws.items()},
                             {n: w.detector for n, w in ws.items()}, reviews,
                             pl.DataFrame(self.truth, schema=TRUTH_SCHEMA, orient="row"))


def calibrated_thresholds(report: MonitorReport, scenario: Scenario, rng_for) -> dict[str, dict[str, float]]:
    """Per monitor and stratum, the CUSUM threshold calibrated on a no-drift run's observations."""
    out: dict[str, dict[str, float]] = {}
    for cfg in scenario.monitors:
        if cfg.alarm.threshold is not None:
            continue
        part = report.series.filter(pl.col("monitor") == cfg.name)
        strata = part["stratum"].unique(maintain_order=True).to_list()
        start = report.windows[cfg.name][0]
        out[cfg.name] = {}
        for stratum in strata:
            sp = part.filter(pl.col("stratum") == stratum).sort("day")
            ref = int((sp["day"] < start + cfg.alarm.reference_days).sum())
            det = report.detectors[cfg.name]
            out[cfg.name][stratum] = calibrate(sp["trials"].to_numpy(), sp["events_or_value"].to_numpy(), ref,
                                               cfg.alarm, det.distance, len(strata), rng_for(cfg.name), det.odds)
    return out
