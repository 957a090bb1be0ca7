"""Synthetic production logs drawn from a scenario's world, one row per LLM call (a `LogSet`).

Each day is drawn exactly as the engine draws it, from the run's named streams (arrivals, traffic, outcomes,
reactions, billing), so the queries of day d are the engine's queries of day d. The named policy serves them
as if fully rolled out from day 0 (its rollout steps, rollbacks and monitors are not replayed); users churn
and build frustration as in the engine, so thumbs-downs follow the scenario's reaction probabilities with
their frustration skew and day factor. Every model a policy runs on the answer path is one call (a cascade's
escalated query is two calls, the second starting when the first ends); shadow calls are not logged.
"""
from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl

from .. import rng as streams_mod
from ..calendar import Calendar
from ..engine import World
from ..errors import SimrouteError
from ..policies import PolicyContext, build
from ..rng import Streams
from ..scenario.schema import Scenario
from ..world.users import PolicyUsers
from .logset import LOG_SCHEMA, LogSet

EPOCH = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday: day 0 of the world, as weekly_seasonality counts
_DAY_US = 86_400_000_000
_EPOCH_US = int(EPOCH.timestamp() * 1_000_000)


def synth_logs(scenario: Scenario, policy_name: str, days: int, seed: int | None = None) -> LogSet:
    """`days` days of the world's traffic served by policy `policy_name`, as production logs (seed: the
    scenario's unless given)."""
    names = [p.name for p in scenario.policies]
    if policy_name not in names:
        raise SimrouteError(f"policy '{policy_name}' is not in scenario {scenario.name} "
                            f"(policies: {', '.join(names)})")
    if days < 1:
        raise SimrouteError(f"days: must be at least 1, got {days}")
    streams = Streams(scenario.seed if seed is None else seed)
    world = World(scenario, streams)
    policy = build(scenario.policy(policy_name), PolicyContext(scenario, world.models, streams, world.classifier))
    calendar = Calendar()
    policy.schedule(calendar, scenario.horizon_days)
    users = PolicyUsers(world.population, scenario)
    parts = []
    for day in range(days):
        calendar.run_until(day)
        if day >= 1:
            ids = world.population.billed_on(day)
            users.bill(day, streams.generator(streams_mod.USERS, day).random(len(ids)), ids)
        parts.append(_day(scenario, world, policy, users, streams, day))
    frame = pl.concat(parts, how="vertical")
    if not frame["start_time"].is_sorted():  # a late call of one day can start after the next day's first
        frame = frame.sort("start_time", maintain_order=True)
    return LogSet(frame, f"synthetic logs of {scenario.name}/{policy_name} ({days} days, seed {streams.seed})")


def _call_order(scenario: Scenario, policy) -> list[int]:
    """Models in the order a query meets them: a cascade's chain, else the scenario's model order."""
    chain = getattr(policy.config, "chain", None)
    order = [scenario.model_index(m) for m in chain] if chain else []
    return order + [m for m in range(len(scenario.models)) if m not in order]


def _day(s: Scenario, w: World, policy, users: PolicyUsers, streams: Streams, day: int) -> pl.DataFrame:
    """One day's calls, drawn in the engine's order of streams."""
    draw = w.source.day(day, w.population.joined(day))
    times, user, q, o, u = draw.times, draw.users, draw.queries, draw.outcomes, draw.uniforms
    factor = w.reactions.day_factor(streams.generator("thumbs_day", day))
    policy.start_day(day, len(draw))
    pos = np.flatnonzero(users.active[user])
    qv, ov, who = q.take(pos), o.take(pos), user[pos]
    r = policy.route(qv, ov, pos)
    x = w.reactions.react(r.final, ov, qv.regulatory, users.frustration_at(who, float(day)), u[:, pos], factor)
    policy.observe(r, ov, x.thumbs_down)
    users.add_frustration(who, x.frustration, float(day + 1))
    policy.end_day(day)
    return _calls(s, w, r, qv, ov, x.thumbs_down, times[pos], who, day, _call_order(s, policy))


def _calls(s: Scenario, w: World, r, q, o, thumbs: np.ndarray, t: np.ndarray, who: np.ndarray, day: int,
           order: list[int]) -> pl.DataFrame:
    """One row per model run on the answer path; calls before the final one start at the query and chain."""
    t_us = _EPOCH_US + np.rint(t * _DAY_US).astype(np.int64)
    offset = np.zeros(len(t), dtype=np.int64)
    pieces = []
    for m in [*order, -1]:  # -1: the final answer's call, after every other call on its answer path
        rows = np.flatnonzero(r.ran[m] & (r.final != m)) if m >= 0 else np.arange(len(t))
        model = np.full(len(rows), m) if m >= 0 else r.final.astype(np.int64)
        lat_us = np.rint(o.latency_s[model, rows].astype(np.float64) * 1e6).astype(np.int64)
        start_us = t_us[rows] + offset[rows]
        if m >= 0:
            offset[rows] += lat_us
        pieces.append((rows, model, start_us, lat_us, m < 0))
    rows = np.concatenate([p[0] for p in pieces])
    model = np.concatenate([p[1] for p in pieces])
    start_us = np.concatenate([p[2] for p in pieces])
    end_us = start_us + np.concatenate([p[3] for p in pieces])
    final = np.concatenate([np.full(len(p[0]), p[4]) for p in pieces])
    tin = np.maximum(1, np.rint(q.tokens_in[rows])).astype(np.int64)
    tout = np.maximum(1, np.rint(q.tokens_out[rows] * w.models.out_mult[model, 0])).astype(np.int64)
    cost = (tin * w.models.price_in[model, 0] + tout * w.models.price_out[model, 0]) / 1000.0
    order_rows = np.argsort(start_us, kind="stable")

    def take(a: np.ndarray) -> np.ndarray:
        return a[order_rows]

    models = pl.Series([m.name for m in s.models], dtype=pl.Utf8)
    intents = pl.Series([i.name for i in s.traffic.intents], dtype=pl.Utf8)
    uid = pl.Series("uid", take(who[rows]), dtype=pl.Int64).cast(pl.Utf8)
    frame = pl.DataFrame({
        "start_time": pl.Series(take(start_us), dtype=pl.Int64),
        "end_time": pl.Series(take(end_us), dtype=pl.Int64),
        "model": models.gather(take(model)),
        "user_id": uid,
        "tokens_in": take(tin),
        "tokens_out": take(tout),
        "cost_usd": take(cost),
        "intent": intents.gather(take(q.intent[rows].astype(np.int64))),
        "thumbs_down": pl.Series(take(thumbs[rows]), dtype=pl.Boolean),
        "_final": take(final),
    })
    frame = frame.with_columns(
        pl.from_epoch("start_time", time_unit="us").dt.replace_time_zone("UTC"),
        pl.from_epoch("end_time", time_unit="us").dt.replace_time_zone("UTC"),
        pl.concat_str([pl.lit("u"), pl.col("user_id")]).alias("user_id"),
        pl.concat_str([pl.lit("s"), pl.col("user_id"), pl.lit(f"-{day}")]).alias("session_id"),
        pl.when(pl.col("_final")).then(pl.col("thumbs_down")).otherwise(None).alias("thumbs_down"),
    )
    return frame.select([pl.col(c).cast(t) for c, t in LOG_SCHEMA.items()])
