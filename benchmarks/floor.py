"""The floor probe: draw only the random numbers the engine's model needs for a scenario (single + cascade of
the benchmark world), with the same generators, streams and batch shapes, and nothing else. The engine's
throughput divided by this one says how close it runs to the cost of its own randomness."""
from __future__ import annotations

from simroute import rng as streams_mod
from simroute.reactions import REACTION_DRAWS
from simroute.rng import Streams


def draw_only(scenario) -> tuple[int, int]:
    """(queries drawn, random numbers drawn) over the horizon."""
    s = Streams(scenario.seed)
    m, dims = len(scenario.models), scenario.traffic.surface.dimensions
    per_day = scenario.users.mau * scenario.users.queries_per_user_per_day
    policy_draws = {"cascade": 2}
    total = numbers = 0
    for day in range(scenario.horizon_days):
        arr = s.generator(streams_mod.ARRIVALS, day)
        n = int(arr.poisson(per_day))
        arr.random(n)                              # arrival times
        arr.integers(0, scenario.users.mau, n)     # user
        arr.random(n), arr.random(n), arr.random(n), arr.random(n)  # intent, tail, hidden, regulatory
        arr.standard_normal((2, n))                # tokens in/out
        arr.standard_normal((n, dims))             # surface features
        out = s.generator(streams_mod.OUTCOMES, day)
        out.standard_normal((m + 1, n))            # correctness copula
        out.random(n)                              # failure style
        out.standard_normal((m, n))                # confidence noise
        out.standard_normal((m, n))                # latency
        s.generator(streams_mod.REACTIONS, day).random((REACTION_DRAWS, n))
        for name, k in policy_draws.items():
            s.policy(name, day).random((k, n))
        total += n
        numbers += n * (8 + dims + (m + 1) + 1 + 2 * m + REACTION_DRAWS + sum(policy_draws.values()))
    return total, numbers
