"""`cascade`: every query starts on the first model of the chain and escalates while the answering
model's self-reported confidence is below its link's threshold. Optional shadow scoring and
quality-weighted threshold adaptation."""
from __future__ import annotations

import numpy as np

from ..scenario.policies import PolicyKind
from .base import Policy, Routing, ThresholdRule, schedule_every


def first_confident(conf: np.ndarray, thresholds) -> np.ndarray:
    """Per query, the link of the chain that answers: the first whose confidence (rows of `conf`, chain order)
    is at or above its threshold, else the last."""
    passes = np.ones(conf.shape, dtype=bool)
    passes[:-1] = conf[:-1] >= np.array(thresholds)[:, None]
    return passes.argmax(axis=0)


class Cascade(Policy):
    kind = PolicyKind.cascade
    draws_per_query = 2  # shadow sampling, shadow judge

    chain: np.ndarray  # model indices, cheapest first

    def __init__(self, config, ctx):
        super().__init__(config, ctx)
        self.chain = np.array([ctx.scenario.model_index(m) for m in config.chain])
        self.thresholds = list(config.thresholds)
        self._signal = self._signal_n = 0

    def decide(self, v, pos):
        links = len(self.chain)
        conf = v.confidence[self.chain]
        stop = first_confident(conf, self.thresholds)
        final = self.chain[stop].astype(np.int8)
        ran = np.zeros((len(self.ctx.models), len(v)), dtype=bool)
        latency = np.zeros(len(v))
        for i, m in enumerate(self.chain):
            reached = stop >= i
            ran[m] |= reached
            latency += reached * v.latency_s[m]
        shadow = disagrees = None
        if self.config.shadow is not None:
            shadow = np.zeros_like(ran)
            sampled = (stop == 0) & (self.u[0, pos] < self.config.shadow.share)
            shadow[self.chain[-1]] = sampled
            sh = self.config.shadow
            disagrees = sampled & v.judged_different(self.chain[0], self.chain[-1], sh.judge_miss_rate,
                                                     sh.judge_false_alarm_rate, self.u[1, pos])
        return Routing(final=final, ran=ran, latency_s=latency, escalated=stop > 0, shadow=shadow,
                       shadow_disagrees=disagrees, decision=conf[0] if links == 2 else None)

    def launch_tiers(self, q, o):
        """The chain with the configured (launch) thresholds, before any adaptation."""
        return self.chain[first_confident(o.confidence[self.chain], self.config.thresholds)].astype(np.int8)

    @property
    def threshold_rule(self):
        if len(self.chain) != 2:
            return None
        cheap, capable = map(int, self.chain)
        return ThresholdRule(cheap, capable, cheap_always_runs=True, key=f"cascade:{cheap}:{capable}")

    def learn(self, routing, feedback):
        if self.config.adaptation is None:
            return
        if routing.shadow is not None:
            self._signal_n += int(routing.shadow[self.chain[-1]].sum())
            self._signal += int(routing.shadow_disagrees.sum())
        else:
            answered = routing.final == self.chain[0]
            self._signal_n += int(answered.sum())
            self._signal += int((answered & feedback.thumbs_down).sum())

    def schedule(self, calendar, horizon):
        a = self.config.adaptation
        if a is not None:
            schedule_every(calendar, a.every_days, horizon, f"adapt:{self.name}", self._adapt)

    def _adapt(self, t):
        a = self.config.adaptation
        if self._signal_n:
            rate = self._signal / self._signal_n
            if rate > a.target_signal:
                self.thresholds[0] = min(a.max_threshold, self.thresholds[0] + a.step)
            elif rate < a.target_signal * a.relax_below:
                self.thresholds[0] = max(a.min_threshold, self.thresholds[0] - a.step)
        self._signal = self._signal_n = 0

    def state(self):
        return {"threshold": float(self.thresholds[0])}
