"""`single`: every query to one model, the pre-optimisation baseline."""
from __future__ import annotations

import numpy as np

from ..scenario.policies import PolicyKind
from .base import Policy, Routing, one_hot


class Single(Policy):
    kind = PolicyKind.single

    def decide(self, v, pos):
        final = np.full(len(v), self.ctx.scenario.model_index(self.config.model), dtype=np.int8)
        return Routing(final=final, ran=one_hot(final, len(self.ctx.models)),
                       latency_s=v.latency_s[final[0]].astype(np.float64),
                       escalated=np.zeros(len(v), dtype=bool))
