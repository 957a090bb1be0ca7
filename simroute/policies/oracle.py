"""`oracle`: the cheapest model whose answer is correct, else the last; pays only for that model."""
from __future__ import annotations

import numpy as np

from ..scenario.policies import PolicyKind
from .base import Policy, Routing, one_hot, pick


class Oracle(Policy):
    kind = PolicyKind.oracle
    sees_truth = True
    config_determined = True

    def __init__(self, config, ctx):
        super().__init__(config, ctx)
        self.order = np.array([ctx.scenario.model_index(m) for m in config.models])

    def decide(self, v, pos):
        ok = v.correct[self.order]
        first = np.where(ok.any(axis=0), ok.argmax(axis=0), len(self.order) - 1)
        final = self.order[first].astype(np.int8)
        return Routing(final=final, ran=one_hot(final, len(self.ctx.models)),
                       latency_s=pick(v.latency_s, final).astype(np.float64),
                       escalated=np.zeros(len(v), dtype=bool))

    def launch_tiers(self, q, o):
        """A reference router cannot be launched (it reads the truth): the suite measures the baseline."""
        return self.baseline_tiers(len(q))
