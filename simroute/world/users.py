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
        self.segment = np.zeros(n, dtype=np.int8)
        for k in range(cdf.shape[1]):  # how many segment boundaries each draw passes, one boundary at a time
            self.segment += draw >= cdf[join_day, k]
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
        self.p_unfrustrated = 1.0 - (1.0 - self.base_per_cycle) * np.exp(-0.0)  # bill()'s chance at no excess
        self.churned_total = 0

    def frustration_at(self, users: np.ndarray, t: float) -> np.ndarray:
        """Decayed frustration of `users` at time `t` (decayed only where it is not 0, which stays 0)."""
        f = self.frustration[users]
        nz = np.flatnonzero(f)
        out = np.zeros(len(f))
        out[nz] = f[nz].astype(np.float64) * np.exp(-(t - self.updated[users[nz]]) / self.tau)
        return out

    def add_frustration(self, users: np.ndarray, weights: np.ndarray, t: float) -> None:
        """Commit the day's bad experiences at time `t` (summing repeats of the same user)."""
        keep = weights > 0
        if not keep.any():
            return
        ids, inv = np.unique(users[keep], return_inverse=True)
        add = np.bincount(inv, weights=weights[keep])
        self.frustration[ids] = self.frustration_at(ids, t) + add
        self.updated[ids] = t

    def bill(self, day: int, uniforms: np.ndarray, ids: np.ndarray | None = None,
             seg: np.ndarray | None = None) -> np.ndarray:
        """Decide churn for the users billed on `day` (`ids` and their segments `seg`, computed once for all
        policies, or looked up); `uniforms` are aligned with them. Returns the ids that churned."""
        ids = self.pop.billed_on(day) if ids is None else ids
        seg = self.pop.segment[ids] if seg is None else seg
        # most users never were frustrated: their decayed frustration is exactly 0, so their churn chance is
        # the segment's base (the same expression as below with no excess); only the others need the decay
        gone = (uniforms < self.p_unfrustrated[seg]) & self.active[ids]
        fr = np.flatnonzero(self.frustration[ids] > 0)
        if len(fr):
            s = seg[fr]
            excess = self.hazard * self.sensitivity[s] * self.frustration_at(ids[fr], float(day))
            p = 1.0 - (1.0 - self.base_per_cycle[s]) * np.exp(-excess)
            gone[fr] = (uniforms[fr] < p) & self.active[ids[fr]]
        gone_ids = ids[gone]
        self.active[gone_ids] = False
        self.churned_total += len(gone_ids)
        return gone_ids
