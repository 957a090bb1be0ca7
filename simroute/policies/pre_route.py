"""`pre_route`: a surface classifier decides before any model runs; P(simple) >= threshold goes cheap."""
from __future__ import annotations

import zlib

import numpy as np

from ..scenario.policies import PolicyKind
from .base import ClassifierRouter, Routing, ThresholdRule, one_hot, pick


class PreRoute(ClassifierRouter):
    kind = PolicyKind.pre_route
    config_determined = True

    def decide(self, v, pos):
        score = self.day_score(v, pos)
        final = self.tiers(score >= self.config.threshold)
        latency = self.config.classifier.latency_ms / 1000.0 + pick(v.latency_s, final)
        return Routing(final=final, ran=one_hot(final, len(self.ctx.models)), latency_s=latency,
                       escalated=np.zeros(len(v), dtype=bool), score=score,
                       classified=np.ones(len(v), dtype=bool), decision=score)

    @property
    def threshold_rule(self):
        clf = self.config.classifier
        return ThresholdRule(self.cheap, self.capable, cheap_always_runs=False,
                             usd_per_query=clf.usd_per_1k_queries / 1000.0,
                             key=f"pre_route:{self.cheap}:{self.capable}:{zlib.crc32(clf.model_dump_json().encode()):08x}")

    @property
    def launch_threshold(self):
        return float(self.config.threshold)

    def state(self):
        return {"threshold": float(self.config.threshold)}
