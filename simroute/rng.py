"""Per-run random streams: one root seed, child streams named by purpose and keyed by day.

Streams are keyed by *name* (not spawn order), so adding or removing a policy never shifts the draws of
another; keyed by *day*, so a day's numbers do not depend on how the day is batched. Replicate k of a run
draws from `SeedSequence(seed).spawn(N)[k]` (spawn key `(k,)`), so it is a pure function of (seed, k):
the same whichever worker runs it, in whatever order.
"""
from __future__ import annotations

import zlib

import numpy as np

ARRIVALS = "arrivals"
OUTCOMES = "outcomes"
REACTIONS = "reactions"
USERS = "users"
HISTORY = "history"
TAXONOMY = "taxonomy"


def _key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Factory of independent generators derived from one root seed via SeedSequence spawn keys."""

    def __init__(self, seed: int, replicate: int | None = None):
        self.seed = int(seed)
        self._prefix = () if replicate is None else (int(replicate),)

    def sequence(self, name: str, *index: int) -> np.random.SeedSequence:
        """The seed sequence of stream `name` (optionally per day / replicate index)."""
        return np.random.SeedSequence(self.seed, spawn_key=(*self._prefix, _key(name), *map(int, index)))

    def generator(self, name: str, *index: int) -> np.random.Generator:
        """A fresh PCG64 generator for stream `name` at `index`."""
        return np.random.Generator(np.random.PCG64(self.sequence(name, *index)))

    def policy(self, policy_name: str, *index: int) -> np.random.Generator:
        """A policy's own draws (exploration, random routing, verifier, review samples)."""
        return self.generator(f"policy:{policy_name}", *index)
