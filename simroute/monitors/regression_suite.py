"""A static offline regression suite: a labelled set drawn once before drift, run every N days."""
from __future__ import annotations

from ..scenario.monitors import MonitorKind, Scope
from .base import Monitor


class RegressionSuite(Monitor):
    kind = MonitorKind.regression_suite

    def observe(self, day, log):
        c = self.config
        if (day - self.start_day) % c.every_days:
            return None
        run_suite = self.ctx.suite_runner
        assert run_suite is not None, "the monitor board gives every monitor the suite runner"
        tier, correct = run_suite(day, c.size, self.name)
        if c.scope is Scope.pooled:
            return {"all": (len(correct), int((~correct).sum()))}
        return self.per_tier(tier, ~correct)
