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
        first = u.mau  # the initial users all joined on day 0: one boundary each, the joiners' by their join day
        for k in range(cdf.shape[1]):  # how many segment boundaries each draw passes, one boundary at a time
            self.segment[:first] += draw[:first] >= cdf[0, k]
            self.segment[first:] += draw[first:] >= np.take(cdf[:, k], join_day[first:])
        offset = rng.integers(0, self.cycle, size=n)
        offset[u.mau:] = join_day[u.mau:] % self.cycle
        self.billing_offset = offset.astype(np.int16)
        self.rollout_bucket = rng.random(n)
        # billing order: users grouped by billing offset, in join order within a group, so the users billed on
        # a day are one contiguous run of slots (join days only grow within a group: those joined are a prefix)
        self.order = np.argsort(self.billing_offset, kind="stable")  # slot -> user
        self.slot_of = np.empty(n, dtype=np.int32 if n < 2**31 else np.int64)  # user -> slot
        self.slot_of[self.order] = np.arange(n, dtype=self.slot_of.dtype)
        self.segment_by_slot = self.segment[self.order]
        self._join_day_by_slot = join_day[self.order]
        # where each billing offset's run of slots starts: the count of users with a smaller offset
        self._bounds = np.concatenate([[0], np.cumsum(np.bincount(self.billing_offset, minlength=self.cycle))])
        self._billed = (-1, slice(0, 0))  # the last day asked of billed_slots: every policy's world asks it

    def joined(self, day: int) -> int:
        """Users who have joined by the start of `day`."""
        return int(self.joined_by_day[min(day, len(self.joined_by_day) - 1)])

    def billed_slots(self, day: int) -> slice:
        """Slots (billing order) of the users whose billing cycle falls on `day` and who joined before it."""
        last, billed = self._billed
        if last != day:
            lo, hi = int(self._bounds[day % self.cycle]), int(self._bounds[day % self.cycle + 1])
            billed = slice(lo, lo + int(np.searchsorted(self._join_day_by_slot[lo:hi], day, side="left")))
            self._billed = (day, billed)
        return billed

    def billed_on(self, day: int) -> np.ndarray:
        """Ids of users whose billing cycle falls on `day` and who joined before it (ascending)."""
        return self.order[self.billed_slots(day)]


class PolicyUsers:
    """One policy's world: which users are still active and how frustrated each one is."""

    def __init__(self, population: Population, scenario: Scenario):
        u = scenario.users
        n = population.size
        self.pop = population
        self.active = np.ones(n, dtype=bool)  # by user id
        self.live = np.ones(n, dtype=bool)  # the same by slot (billing order), kept in step with `active`
        # by slot, side by side so that one look-up touches one cache line: frustration (the real part) and the
        # day of its last update (the imaginary part, exact in float32); read through `frustration` and `updated`
        self.cells = np.zeros(n, dtype=np.complex64)
        # the same two facts as bitsets by slot (`live`, `frustration != 0`): 1/8 of `live`'s bytes, 1/32 of
        # `frustration`'s, so the day's random look-ups hit the cache (12 policies' arrays do not fit in it)
        self.live_bits = np.packbits(self.live, bitorder="little")
        self.frustrated_bits = np.zeros_like(self.live_bits)
        self.tau = u.frustration.decay_days
        self.hazard = u.frustration.churn_hazard_per_unit
        self.base_churn = np.array([g.baseline_churn_per_month for g in u.segments])
        self.sensitivity = np.array([g.churn_sensitivity for g in u.segments])
        self.cycle_months = u.billing_cycle_days / 30.0
        self.base_per_cycle = 1.0 - (1.0 - self.base_churn) ** self.cycle_months  # per segment
        self.p_unfrustrated = 1.0 - (1.0 - self.base_per_cycle) * np.exp(-0.0)  # bill()'s chance at no excess
        self.churned_total = 0

    @property
    def frustration(self) -> np.ndarray:
        """Frustration by slot, as last updated (a view of `cells`)."""
        return self.cells.real

    @property
    def updated(self) -> np.ndarray:
        """The day each slot's frustration was last updated (a view of `cells`)."""
        return self.cells.imag

    def frustration_at(self, users: np.ndarray, t: float) -> np.ndarray:
        """Decayed frustration of `users` at time `t`."""
        return self.decayed(self.pop.slot_of[users], t)

    def is_live(self, slots: np.ndarray) -> np.ndarray:
        """`live[slots]`, read from the bitset."""
        return bits_at(self.live_bits, slots)

    def decayed(self, slots: np.ndarray, t: float) -> np.ndarray:
        """Decayed frustration of the users in `slots` at time `t` (decayed only where it is not 0: 0 stays 0)."""
        nz = np.flatnonzero(bits_at(self.frustrated_bits, slots))  # where frustration != 0
        out = np.zeros(len(slots))
        if len(nz):
            cell = np.take(self.cells, np.take(slots, nz))
            out[nz] = cell.real.astype(np.float64) * np.exp(-(t - cell.imag) / self.tau)
        return out

    def add_frustration(self, users: np.ndarray, weights: np.ndarray, t: float) -> None:
        """Commit the day's bad experiences at time `t` (summing repeats of the same user)."""
        self.add_frustration_slots(self.pop.slot_of[users], weights, t)

    def add_frustration_slots(self, slots: np.ndarray, weights: np.ndarray, t: float) -> None:
        """`add_frustration` for users given by slot."""
        keep = np.flatnonzero(weights > 0)
        if not len(keep):
            return
        ids, inv = np.unique(np.take(slots, keep), return_inverse=True)
        add = np.bincount(inv, weights=np.take(weights, keep))
        level = (self.decayed(ids, t) + add).astype(np.float32)
        cell = np.empty(len(ids), dtype=np.complex64)
        cell.real, cell.imag = level, t
        self.cells.view(np.uint64)[ids] = cell.view(np.uint64)  # the same bytes: 3x faster than complex64's setitem
        set_bits(self.frustrated_bits, ids[level != 0])

    def unfrustrated_churn(self, day: int, uniforms: np.ndarray) -> np.ndarray:
        """Which users billed on `day` churn at their segment's base chance (no frustration), live or not: the
        same in every policy's world, so the engine computes it once a day for all of them (see `bill`)."""
        seg = self.pop.segment_by_slot[self.pop.billed_slots(day)]
        return uniforms < np.take(self.p_unfrustrated, seg)  # np.take: the same values as indexing

    def bill(self, day: int, uniforms: np.ndarray, ids: np.ndarray | None = None,
             unfrustrated: np.ndarray | None = None) -> np.ndarray:
        """Decide churn for the users billed on `day` (`uniforms` aligned with `Population.billed_on(day)`, whose
        result `ids` is, if given; `unfrustrated`: `unfrustrated_churn(day, uniforms)`, if known). Returns the
        ids that churned, ascending."""
        billed = self.pop.billed_slots(day)
        assert ids is None or len(ids) == len(uniforms) == billed.stop - billed.start
        seg = self.pop.segment_by_slot[billed]
        # most users never were frustrated: their decayed frustration is exactly 0, so their churn chance is
        # the segment's base (the same expression as below with no excess); only the others need the decay
        live = self.live[billed]
        gone = (self.unfrustrated_churn(day, uniforms) if unfrustrated is None else unfrustrated) & live
        fr = np.flatnonzero(bits_in(self.frustrated_bits, billed.start, billed.stop))  # frustration > 0 (never < 0)
        if len(fr):
            s = np.take(seg, fr)
            excess = self.hazard * np.take(self.sensitivity, s) * self.decayed(fr + billed.start, float(day))
            p = 1.0 - (1.0 - np.take(self.base_per_cycle, s)) * np.exp(-excess)
            gone[fr] = (np.take(uniforms, fr) < p) & np.take(live, fr)
        gone_slots = np.flatnonzero(gone) + billed.start
        self.live[gone_slots] = False
        if len(gone_slots):  # repack the bytes that hold the churned slots
            lo, hi = int(gone_slots[0]) // 8, int(gone_slots[-1]) // 8 + 1
            self.live_bits[lo:hi] = np.packbits(self.live[8 * lo:8 * hi], bitorder="little")
        gone_ids = self.pop.order[gone_slots]
        self.active[gone_ids] = False
        self.churned_total += len(gone_ids)
        return gone_ids


def bits_at(bits: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Bits `idx` of a little-endian packed bitset (np.packbits(..., bitorder="little")), as bools."""
    byte = np.take(bits, idx >> 3)
    byte >>= (idx & 7).astype(np.uint8)
    byte &= np.uint8(1)
    return byte.view(np.bool_)


def bits_in(bits: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Bits [lo, hi) of a little-endian packed bitset, as bools."""
    first = lo >> 3
    return np.unpackbits(bits[first:(hi + 7) >> 3], bitorder="little")[lo - 8 * first:hi - 8 * first].view(np.bool_)


def set_bits(bits: np.ndarray, idx: np.ndarray) -> None:
    """Set bits `idx` of a little-endian packed bitset (repeats and shared bytes allowed)."""
    np.bitwise_or.at(bits, idx >> 3, np.left_shift(np.uint8(1), (idx & 7).astype(np.uint8)))
