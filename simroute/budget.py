"""What a run will cost the machine, estimated from the scenario alone before simulating: peak memory and time,
and the refusal of a run whose peak memory would exceed the memory available (`simroute run --force` overrides).

The estimate is a small linear model of the engine's arrays:
- memory: a fixed 260 MB (the interpreter, numpy, scipy, polars, the classifier's training sample at its default
  size), 1.4x the bytes the code allocates per query of the busiest day (the day's queries, every model's
  answers and their temporaries) or of the largest offline sample, and the per-user arrays of the population
  and of each policy's world;
- time: a fixed 12 s, 2.5 us per query per simulated policy, 0.1 ms per batch per policy, twice over when monitor
  thresholds are calibrated by a drift-free run first.
Provenance: `simroute run --no-report` measured with `/usr/bin/time` (peak RSS, wall) on the 2-core development
machine, 2026-12-01, shared with other jobs (load 2-12); `benchmarks/battery.py --calibrate-budget` repeats it.

    run                                      measured          estimate
    minimal.yaml                             253 MB, 12 s      352 MB, 13 s
    minimal, mau 100k                        315 MB, 47 s      366 MB, 59 s
    minimal, mau 20k, 20 queries/user/day    409 MB, 97 s      451 MB, 1.7 min
    minimal, batches of 1/1440 day           211 MB, 21 s      352 MB, 26 s
    quickstart.yaml (load ~8)                276 MB, 34 s      358 MB, 14 s
    case1_saas_support.yaml (load ~12)       982 MB, 18.7 min  1.36 GB, 8.6 min

Memory errs high (by 10-70%): it only has to tell a run that fits from one that cannot. Time is for an idle
core; a loaded machine takes two to three times longer.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

from .errors import SimrouteError
from .reactions import REACTION_DRAWS
from .scenario.schema import Scenario
from .world.outcomes import MONEY_LIMIT_NANO, NANO, money_refusal

BASE_BYTES = 260e6
QUERY_OVERHEAD = 1.4           # measured peak bytes / the bytes the code allocates per query of the busiest day
USER_BYTES = 64                # population: join day, segment, billing offset, rollout bucket, billing order, draws
USER_BYTES_PER_POLICY = 16     # each policy's world: active flag, frustration, time of its last update, churn draws
BASE_SECONDS = 12.0
SECONDS_PER_QUERY_POLICY = 2.5e-6
SECONDS_PER_BATCH_POLICY = 1e-4
SECONDS_PER_TRAINING_SAMPLE = 5e-6
MONTH_DAYS = 30.0


@dataclass(frozen=True)
class Budget:
    """The estimate of one run (one replicate)."""

    peak_bytes: float
    seconds: float
    queries: float            # simulated over the horizon, before churn (every policy sees the same queries)
    busiest_day_queries: float
    users: float              # the population: initial MAU plus joiners over the horizon
    cost_of_everything_usd: float  # expected inference cost of every model on every query (the money limit's sum)

    def describe(self) -> str:
        """'~1.2 GB, ~3 min' for messages."""
        return f"~{_size(self.peak_bytes)}, ~{_duration(self.seconds)}"


def estimate(s: Scenario) -> Budget:
    """Peak memory and wall time of running `s` once, from its size alone (pure: no simulation)."""
    u, h = s.users, s.horizon_days
    churn = sum(g.share * g.baseline_churn_per_month for g in u.segments)
    users = u.mau * (1.0 + churn / MONTH_DAYS * h)
    season = [x / (sum(u.weekly_seasonality) / 7.0) for x in u.weekly_seasonality]
    busiest = u.queries_per_user_per_day * users * max(season)
    queries = u.queries_per_user_per_day * u.mau * (1.0 + churn / MONTH_DAYS * h / 2.0) * h
    policies = len(s.policies) + sum(p.rollback_on is not None for p in s.policies)
    models, dims = len(s.models), s.traffic.surface.dimensions
    per_query = 8.0 * (dims + 14 + REACTION_DRAWS) + 60.0 * models
    training = [getattr(p, "classifier", None) for p in s.policies]
    samples = {c.model_dump_json(): c.training_samples for c in training if c is not None}
    offline = max([*samples.values(), s.report.holdout_size * 4,
                   *(getattr(m, "size", 0) for m in s.monitors), 0])
    peak = (BASE_BYTES + QUERY_OVERHEAD * per_query * max(busiest, offline)
            + users * (USER_BYTES + USER_BYTES_PER_POLICY * policies))
    batches = h * round(1.0 / s.engine.batch_fraction_of_day)
    runs = 2 if any(m.alarm.threshold is None for m in s.monitors) else 1
    seconds = (BASE_SECONDS + SECONDS_PER_TRAINING_SAMPLE * sum(samples.values()) * dims / 8
               + runs * policies * (SECONDS_PER_QUERY_POLICY * queries + SECONDS_PER_BATCH_POLICY * batches))
    return Budget(peak, seconds, queries, busiest, users, queries * _mean_cost_per_query(s))


def _mean_cost_per_query(s: Scenario) -> float:
    """Expected USD of running every model once on a day-0 query (lognormal tokens: mean = median e^(sigma^2/2))."""
    mean = lambda t: t.median * math.exp(t.sigma ** 2 / 2)  # noqa: E731
    tin = sum(i.share * mean(i.tokens_in) for i in s.traffic.intents)
    tout = sum(i.share * mean(i.tokens_out) for i in s.traffic.intents)
    return sum(tin * m.price_in_usd_per_1k_tokens + tout * m.output_length_multiplier * m.price_out_usd_per_1k_tokens
               for m in s.models) / 1000.0


def available_memory() -> float | None:
    """Bytes of memory available to a new process (Linux MemAvailable, else physical memory; None if unknown)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def check(s: Scenario, source: str, *, force: bool = False, available: float | None = None) -> Budget:
    """The estimate of `s`, or a one-line refusal when its peak memory exceeds what the machine has available."""
    b = estimate(s)
    if b.cost_of_everything_usd * NANO >= MONEY_LIMIT_NANO:
        e = money_refusal(b.cost_of_everything_usd, "the expected inference cost of every model on every query")
        raise SimrouteError(f"{source}: {e.lines[0]}")
    have = available_memory() if available is None else available
    if not force and have is not None and b.peak_bytes > have:
        raise SimrouteError(
            f"{source}: this run needs {b.describe()} ({b.busiest_day_queries:.3g} queries on the busiest day, "
            f"{b.users:.3g} users) but the machine has {_size(have)} available; lower users.mau, "
            "queries_per_user_per_day or horizon_days, or run it anyway with `simroute run --force`")
    return b


def _size(n: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n / 1e3:.3g} kB"


def _duration(s: float) -> str:
    for unit, scale in (("days", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s:.0f} s"
