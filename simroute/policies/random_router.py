"""`random`: each query goes to the cheap model with a fixed probability (the policy's own draws)."""
from __future__ import annotations

import numpy as np

from ..scenario.policies import PolicyKind
from .base import Policy, Routing, ThresholdRule, one_hot, pick


class RandomRouter(Policy):
    kind = PolicyKind.random
    draws_per_query = 1

    def __init__(self, config, ctx):
        super().__init__(config, ctx)
        self.cheap = ctx.scenario.model_index(config.cheap_model)
        self.capable = ctx.scenario.model_index(config.capable_model)

    def decide(self, v, pos):
        to_cheap = self.u[0, pos] < self.config.cheap_share
        final = np.where(to_cheap, self.cheap, self.capable).astype(np.int8)
        return Routing(final=final, ran=one_hot(final, len(self.ctx.models)),
                       latency_s=pick(v.latency_s, final).astype(np.float64),
                       escalated=np.zeros(len(v), dtype=bool), decision=1.0 - self.u[0, pos])

    @property
    def threshold_rule(self):
        """Cheap when 1 - u >= 1 - cheap_share: the rule's threshold t sends a share 1 - t cheap at random
        (RouteLLM's random-router reference: its APGR is 0.5)."""
        return ThresholdRule(self.cheap, self.capable, cheap_always_runs=False, key=f"random:{self.name}")
