"""`random`: each query goes to the cheap model with a fixed probability (the policy's own draws)."""
from __future__ import annotations

import numpy as np

from ..scenario.policies import PolicyKind
from .base import Routing, ThresholdRule, TwoTierRouter, one_hot, pick


class RandomRouter(TwoTierRouter):
    kind = PolicyKind.random
    draws_per_query = 1

    def decide(self, v, pos):
        to_cheap = self.u[0, pos] < self.config.cheap_share
        final = self.tiers(to_cheap)
        return Routing(final=final, ran=one_hot(final, len(self.ctx.models)),
                       latency_s=pick(v.latency_s, final).astype(np.float64),
                       escalated=np.zeros(len(v), dtype=bool), decision=1.0 - self.u[0, pos])

    @property
    def threshold_rule(self):
        """Cheap when 1 - u >= 1 - cheap_share: the rule's threshold t sends a share 1 - t cheap at random
        (RouteLLM's random-router reference: its APGR is 0.5)."""
        return ThresholdRule(self.cheap, self.capable, cheap_always_runs=False, key=f"random:{self.name}")

    def launch_tiers(self, q, o):
        """A random split has no per-query launch rule to test offline: the suite measures the baseline."""
        return self.baseline_tiers(len(q))
