"""A graded eval drawn from a scenario's own world at day 0: traffic and every model's answers from named
streams of the scenario's seed machinery, so a fit can be checked against the world that made the data."""
from __future__ import annotations

import numpy as np
import polars as pl

from ..rng import Streams
from ..scenario.schema import Scenario
from ..world.drift import DriftSchedule
from ..world.outcomes import NANO, ModelBank
from ..world.traffic import SurfaceGeometry, TrafficModel
from .evalset import EvalSet, correct_col

EVAL_TRAFFIC = "eval:traffic"
EVAL_OUTCOMES = "eval:outcomes"


def synth_eval(scenario: Scenario, n: int, seed: int) -> EvalSet:
    """`n` queries of the scenario's day-0 traffic, graded for every model, with tokens, cost, latency,
    confidence, the taxonomy's surface label and the regulatory flag."""
    streams = Streams(seed)
    geometry = SurfaceGeometry(scenario, streams.generator("taxonomy"))
    params = DriftSchedule(scenario).at(0.5)
    q = TrafficModel(scenario, geometry).draw(streams.generator(EVAL_TRAFFIC), n, params)
    bank = ModelBank(scenario)
    o = bank.draw(streams.generator(EVAL_OUTCOMES), q, params)
    intents = np.array([i.name for i in scenario.traffic.intents])
    surface = np.array([i.surface_class.value for i in scenario.traffic.intents])
    cols: dict[str, pl.Series] = {
        "query_id": pl.Series([f"q{i:07d}" for i in range(n)], dtype=pl.Utf8),
        "intent": pl.Series(intents[q.intent], dtype=pl.Utf8),
        "prompt": pl.Series([None] * n, dtype=pl.Utf8),
        "surface": pl.Series(surface[q.intent], dtype=pl.Utf8),
        "regulatory": pl.Series(q.regulatory, dtype=pl.Boolean),
    }
    tokens_out = q.tokens_out[None, :] * bank.out_mult
    for m, name in enumerate(bank.names):
        cols[correct_col(name)] = pl.Series(o.correct[m], dtype=pl.Boolean)
        cols[f"tokens_in:{name}"] = pl.Series(np.rint(q.tokens_in).astype(np.int64))
        cols[f"tokens_out:{name}"] = pl.Series(np.rint(tokens_out[m]).astype(np.int64))
        cols[f"cost_usd:{name}"] = pl.Series(o.cost_nano[m] / NANO, dtype=pl.Float64)
        cols[f"latency_s:{name}"] = pl.Series(o.latency_s[m].astype(np.float64))
        cols[f"confidence:{name}"] = pl.Series(o.confidence[m].astype(np.float64))
    return EvalSet(pl.DataFrame(cols), tuple(bank.names), f"synthetic:{scenario.name}:seed={seed}")
