"""`single`: every query to one model, the pre-optimisation baseline."""
from __future__ import annotations

import numpy as np

from ..scenario.policies import PolicyKind
from .base import Policy, Routing, one_hot


class Single(Policy):
    kind = PolicyKind.single
    config_determined = True

    def __init__(self, config, ctx):
        super().__init__(config, ctx)
        self.model = ctx.scenario.model_index(config.model)

    def decide(self, v, pos):
        final = np.full(len(v), self.model, dtype=np.int8)
        return Routing(final=final, ran=one_hot(final, len(self.ctx.models)),
                       latency_s=v.latency_s[final[0]].astype(np.float64),
                       escalated=np.zeros(len(v), dtype=bool))

    def launch_tiers(self, q, o):
        return np.full(len(q), self.model, dtype=np.int8)
