"""The user population (shared by every policy) and each policy's view of it (churn, frustration)."""
from __future__ import annotations

import numpy as np

from ..scenario.schema import Scenario
from .drift import DriftSchedule


class Population:
    """Users in join order: the initial MAU plus joiners that replace baseline churn, so MAU is steady.

    Segment, billing offset and rollout bucket are drawn once from the users stream; they do not depend on
    any policy.
    """

    def __init__(self, scenario: Scenario, drift: DriftSchedule, rng: np.random.Generator):
        u = scenario.users
        horizon = scenario.horizon_days
        self.cycle = u.billing_cycle_days
        seg_share = np.array([g.share for g in u.segments])
        base_churn = np.array([g.baseline_churn_per_month for g in u.segments])
        joins_per_day = u.mau * float(seg_share @ base_churn) / 30.0
        self.joined_by_day = u.mau + np.floor(joins_per_day * np.arange(horizon + 1)).astype(np.int64)
        n = int(self.joined_by_day[-1])
        self.size = n
        join_day = np.zeros(n, dtype=np.int32)
        join_day[u.mau:] = np.searchsorted(self.joined_by_day, np.arange(u.mau, n), side="right")
        self.join_day = join_day
        shares = np.stack([drift.at(d + 0.5).segment_shares for d in range(horizon + 1)])
        cdf = np.cumsum(shares, axis=1)
        cdf[:, -1] = 1.0
        draw = rng.random(n)
        self.segment = (draw[:, None] >= cdf[join_day]).sum(axis=1).astype(np.int8)
        offset = rng.integers(0, self.cycle, size=n)
        offset[u.mau:] = join_day[u.mau:] % self.cycle
        self.billing_offset = offset.astype(np.int16)
        self.rollout_bucket = rng.random(n)
        order = np.argsort(self.billing_offset, kind="stable")
        bounds = np.searchsorted(self.billing_offset[order], np.arange(self.cycle + 1))
        self._billed = [order[bounds[k]:bounds[k + 1]] for k in range(self.cycle)]

    def joined(self, day: int) -> int:
        """Users who have joined by the start of `day`."""
        return int(self.joined_by_day[min(day, len(self.joined_by_day) - 1)])

    def billed_on(self, day: int) -> np.ndarray:
        """Ids of users whose billing cycle falls on `day` and who joined before it."""
        ids = self._billed[day % self.cycle]
        return ids[self.join_day[ids] < day]


class PolicyUsers:
    """One policy's world: which users are still active and how frustrated each one is."""

    def __init__(self, population: Population, scenario: Scenario):
        u = scenario.users
        n = population.size
        self.pop = population
        self.active = np.ones(n, dtype=bool)
        self.frustration = np.zeros(n, dtype=np.float32)
        self.updated = np.zeros(n, dtype=np.float32)  # day of the last update (exact in float32)
        self.tau = u.frustration.decay_days
        self.hazard = u.frustration.churn_hazard_per_unit
        self.base_churn = np.array([g.baseline_churn_per_month for g in u.segments])
        self.sensitivity = np.array([g.churn_sensitivity for g in u.segments])
        self.cycle_months = u.billing_cycle_days / 30.0
        self.base_per_cycle = 1.0 - (1.0 - self.base_churn) ** self.cycle_months  # per segment
        self.churned_total = 0

    def frustration_at(self, users: np.ndarray, t: float) -> np.ndarray:
        """Decayed frustration of `users` at time `t`."""
        return self.frustration[users].astype(np.float64) * np.exp(-(t - self.updated[users]) / self.tau)

    def add_frustration(self, users: np.ndarray, weights: np.ndarray, t: float) -> None:
        """Commit the day's bad experiences at time `t` (summing repeats of the same user)."""
        keep = weights > 0
        if not keep.any():
            return
        ids, inv = np.unique(users[keep], return_inverse=True)
        add = np.bincount(inv, weights=weights[keep])
        self.frustration[ids] = self.frustration_at(ids, t) + add
        self.updated[ids] = t

    def bill(self, day: int, uniforms: np.ndarray, ids: np.ndarray | None = None) -> np.ndarray:
        """Decide churn for the users billed on `day` (`ids`, computed once for all policies, or looked up);
        `uniforms` are aligned with them. Returns the ids that churned."""
        ids = self.pop.billed_on(day) if ids is None else ids
        live = self.active[ids]
        ids, u = ids[live], uniforms[live]
        seg = self.pop.segment[ids]
        base = self.base_per_cycle[seg]
        frustrated = self.frustration[ids] > 0  # most users never were: their decayed frustration is exactly 0
        level = np.zeros(len(ids))
        level[frustrated] = self.frustration_at(ids[frustrated], float(day))
        excess = self.hazard * self.sensitivity[seg] * level
        p = 1.0 - (1.0 - base) * np.exp(-excess)
        gone = ids[u < p]
        self.active[gone] = False
        self.churned_total += len(gone)
        return gone
