"""Replicates: the scenario under N independent child seeds of its root seed, run on an executor, and the
mean with a 95% interval of every headline figure."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from .detection import OPERATING
from .errors import SimrouteError
from .executors import run_all
from .monitors.base import end_of, start_of
from .monitors.operating import calendar_reference, characteristics, operating_curve, random_reference
from .scenario.schema import Scenario
from .tasks import Job, TaskResult, point_tasks
from .uncertainty import LEVEL, Interval, intervals

MAX_REPLICATES = 10_000


@dataclass(frozen=True)
class ReplicateSet:
    """Per-replicate headline figures (long table) and their intervals (subject -> metric -> Interval)."""

    seed: int
    n: int
    level: float
    table: pl.DataFrame
    intervals: dict[str, dict[str, Interval]]
    failures: list[TaskResult] = field(default_factory=list)
    monitors: dict[str, dict] = field(default_factory=dict)  # monitor -> operating characteristics

    def document(self) -> dict:
        """The `replicates` block of summary.json."""
        return {"n": self.n, "root_seed": self.seed, "level": self.level,
                "seeds": f"numpy.random.SeedSequence({self.seed}).spawn({self.n})",
                "method": "mean over replicates; interval = mean ± t(0.975, n-1)·sd/√n over the replicates where "
                          "the figure is defined",
                "figures": {s: {m: iv.as_dict() for m, iv in ms.items()} for s, ms in self.intervals.items()},
                "failed": [{"replicate": f.task.replicate, "error": f.error} for f in self.failures],
                "monitors": self.monitors}


def check_count(n: int) -> None:
    """Two replicates at least (an interval needs a spread), and a sane upper bound."""
    if not 2 <= n <= MAX_REPLICATES:
        raise SimrouteError(f"--replicates: expected an integer from 2 to {MAX_REPLICATES}, got {n}")


def run_replicates(scenario: Scenario, n: int, executor=None, progress: Callable[[TaskResult], None] | None = None,
                   level: float = LEVEL) -> ReplicateSet:
    """Simulate `scenario` under replicates 0..n-1 (on `executor`, default local processes)."""
    check_count(n)
    results = run_all(executor, Job(scenario.model_dump(mode="json")), point_tasks([{}], n), progress)
    ok = [r for r in results if r.error is None]
    failures = [r for r in results if r.error is not None]
    if len(ok) < 2:
        raise SimrouteError(f"replicates: {len(failures)} of {n} failed; first: {failures[0].error}")
    table = pl.concat([r.rows.with_columns(replicate=pl.lit(r.task.replicate, pl.Int32)) for r in ok
                       if r.rows is not None])
    table = table.select("replicate", "subject", "kind", "metric", "value")
    operating = table.filter(pl.col("kind") == OPERATING)
    table = table.filter(pl.col("kind") != OPERATING)
    return ReplicateSet(scenario.seed, n, level, table, intervals(table, level), failures,
                        operating_characteristics(table, scenario, operating))


def _column(wide: pl.DataFrame, metric: str) -> np.ndarray:
    """One metric per replicate as floats (NaN where undefined or absent)."""
    if metric not in wide.columns:
        return np.full(len(wide), np.nan)
    return wide[metric].cast(pl.Float64).fill_null(float("nan")).to_numpy()


def _first_alarms(operating: pl.DataFrame | None, name: str, replicates: pl.Series) -> dict[float, np.ndarray]:
    """Threshold scale -> first alarm day per replicate (in `replicates` order) of monitor `name`."""
    if operating is None:
        return {}
    part = operating.filter(pl.col("subject") == name)
    if part.is_empty():
        return {}
    wide = pl.DataFrame({"replicate": replicates}).join(
        part.pivot(on="metric", index="replicate", values="value"), on="replicate", how="left")
    return {float(m.removeprefix("first_alarm_day_x")): _column(wide, m) for m in wide.columns if m != "replicate"}


def operating_characteristics(table: pl.DataFrame, scenario: Scenario,
                              operating: pl.DataFrame | None = None) -> dict[str, dict]:
    """Per monitor over the replicates: false-alarm share, delay median and p90, share detected within 2/4/8
    weeks of its true onset, the fixed-calendar and random-alarm references on the same onsets, and (from
    the `operating` rows) the operating curve over scaled thresholds."""
    out: dict[str, dict] = {}
    policies = {p.name: p for p in scenario.policies}
    for cfg in scenario.monitors:
        part = table.filter((pl.col("subject") == cfg.name) & (pl.col("kind") == "monitor"))
        if part.is_empty():
            continue
        wide = part.pivot(on="metric", index="replicate", values="value").sort("replicate")
        onset, delay, fa = (_column(wide, m) for m in ("onset_day", "delay_days", "false_alarms"))
        fa = np.nan_to_num(fa)
        pol = policies[cfg.policy]
        first = start_of(cfg, pol, scenario.horizon_days) + cfg.alarm.reference_days
        end = end_of(pol, scenario.horizon_days)
        f, e = np.full(len(onset), float(first)), np.full(len(onset), float(end))
        out[cfg.name] = {**characteristics(onset, delay, fa), "stated_false_alarm_probability":
                         cfg.alarm.false_alarm_probability,
                         "references": {"calendar": calendar_reference(onset, f, e),
                                        "random": random_reference(onset, f, e, cfg.alarm.false_alarm_probability)}}
        firsts = _first_alarms(operating, cfg.name, wide["replicate"])
        if firsts:
            out[cfg.name]["curve"] = operating_curve(onset, firsts, f, e)
    return out
