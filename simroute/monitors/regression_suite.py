"""A static offline regression suite: a labelled set drawn once before drift, run every N days."""
from __future__ import annotations

from ..scenario.monitors import MonitorKind, Scope
from .base import Monitor


class RegressionSuite(Monitor):
    kind = MonitorKind.regression_suite
    _ran: tuple[int, dict] | None = None  # the last run's (day, observation)

    def observe(self, day, log):
        c = self.config
        if (day - self.start_day) % c.every_days:
            return None
        run_suite = self.ctx.suite_runner
        assert run_suite is not None, "the monitor board gives every monitor the suite runner"
        tier, correct = run_suite(day, c.size, self.name)
        pooled = c.scope is Scope.pooled
        obs = {"all": (len(correct), int((~correct).sum()))} if pooled else self.per_tier(tier, ~correct)
        self._ran = (day, obs)
        return obs

    def truth(self, day, log):
        """The suite is a census of its fixed items with no reviewer: its error rate on a run day is the truth."""
        ran = self._ran
        if ran is None or ran[0] != day:
            return None
        return {s: k / n for s, (n, k) in ran[1].items() if n}
