"""The engine's per-query model written the way a SimPy user would: one process per query, Python's `random`,
scalar maths. Runs the `cascade` policy of the benchmark world (cheap model first, escalate when its
self-reported confidence is below the threshold) and returns the figures the engine is checked against."""
from __future__ import annotations

import math
import random
from statistics import NormalDist

import simpy

PHI = NormalDist().cdf


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


class Answer:
    """One model's answer to one query: correct, confidence, latency, cost."""

    __slots__ = ("correct", "confidence", "latency", "usd")

    def __init__(self, m, rho: float, z0: float, q: dict, r: random.Random):
        u = PHI(rho * z0 + math.sqrt(1 - rho * rho) * r.gauss(0, 1))
        logit = m.quality.skill - q["difficulty"] - m.quality.hidden_intent_penalty * q["hidden"] \
            - m.quality.regulatory_penalty * q["regulatory"]
        self.correct = u < m.quality.floor + (m.quality.ceiling - m.quality.floor) * _expit(logit)
        share = m.failure.confident_share_hidden if (q["hidden"] and m.failure.confident_share_hidden is not None) \
            else m.failure.confident_share
        hedged = (not self.correct) and not (q["style"] < share)
        c = m.confidence
        perceived = m.quality.skill - q["difficulty"] - m.quality.hidden_intent_penalty * c.hidden_awareness * \
            q["hidden"] - m.quality.regulatory_penalty * q["regulatory"]
        aware = c.error_awareness * c.hidden_awareness if q["hidden"] else c.error_awareness
        self.confidence = _expit(c.slope * perceived + c.bias + c.noise_sd * r.gauss(0, 1)
                                 - aware * (not self.correct) - c.hedge_drop * hedged)
        self.latency = m.latency.median_s * math.exp(m.latency.sigma * r.gauss(0, 1))
        self.usd = (q["tokens_in"] * m.price_in_usd_per_1k_tokens
                    + q["tokens_out"] * m.output_length_multiplier * m.price_out_usd_per_1k_tokens) / 1000.0


def simulate(scenario, queries: int, seed: int = 1) -> dict:
    """Serve `queries` queries through the cascade, each in its own SimPy process; totals per tier."""
    r = random.Random(seed)
    env = simpy.Environment()
    t = scenario.traffic
    cheap, capable = (scenario.models[scenario.model_index(n)] for n in scenario.policy("cascade").chain)
    threshold = scenario.policy("cascade").thresholds[0]
    cum = [sum(i.share for i in t.intents[:k + 1]) for k in range(len(t.intents))]
    alpha, scale = t.difficulty.tail_index, t.difficulty.scale
    per_day = scenario.users.mau * scenario.users.queries_per_user_per_day
    stats = {"queries": 0, "escalated": 0, "usd": 0.0, "usd_sq": 0.0, "answered": [0, 0], "correct": [0, 0]}

    def query(env):
        u = r.random()
        k = next((i for i, c in enumerate(cum) if u < c), len(cum) - 1)
        it = t.intents[k]
        q = {"difficulty": it.base_difficulty + scale * (r.random() ** (-1.0 / alpha) - 1.0),
             "hidden": r.random() < it.hidden_intent_rate, "regulatory": r.random() < it.regulatory_share,
             "tokens_in": it.tokens_in.median * math.exp(it.tokens_in.sigma * r.gauss(0, 1)),
             "tokens_out": it.tokens_out.median * math.exp(it.tokens_out.sigma * r.gauss(0, 1)),
             "style": r.random()}
        z0 = r.gauss(0, 1)
        first = Answer(cheap, scenario.outcome_correlation, z0, q, r)
        second = Answer(capable, scenario.outcome_correlation, z0, q, r)
        yield env.timeout(first.latency / 86400.0)
        usd, tier, answer = first.usd, 0, first
        if first.confidence < threshold:
            yield env.timeout(second.latency / 86400.0)
            usd, tier, answer = usd + second.usd, 1, second
            stats["escalated"] += 1
        stats["queries"] += 1
        stats["usd"] += usd
        stats["usd_sq"] += usd * usd
        stats["answered"][tier] += 1
        stats["correct"][tier] += answer.correct

    def arrivals(env):
        for _ in range(queries):
            yield env.timeout(r.expovariate(per_day))
            env.process(query(env))

    env.process(arrivals(env))
    env.run()
    return stats
