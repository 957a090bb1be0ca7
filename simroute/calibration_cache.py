"""The calibration pass's thresholds, memoised in the process by everything the pass depends on.

The pass is a pure function of its calibration scenario (drift off, its own seed: the canonical JSON holds
every parameter the engine reads), the run's root seed and replicate (the `calibrate:` streams of the
threshold search), the policies it simulates, the replay eval file's version (size and modification time,
as the eval reader's own cache), and the package version; two runs agreeing on all of them get the same
thresholds, so sweep points that only move drift share one pass. SIMROUTE_CALIBRATION_CACHE=0 turns it off.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
from collections import OrderedDict
from collections.abc import Collection

from .scenario.replay import eval_stamp
from .scenario.schema import Scenario
from .version import __version__

SWITCH = "SIMROUTE_CALIBRATION_CACHE"  # "0": every calibration pass runs
MAX_ENTRIES = 256  # thresholds are small (a float per monitor stratum); the oldest go first
Thresholds = dict[str, dict[str, float]]
_cache: OrderedDict[str, Thresholds] = OrderedDict()
stats = {"hits": 0, "misses": 0}  # for tests and benchmarks: how often a pass was saved


def enabled() -> bool:
    """Whether the cache is in use (the environment switch is read on every call)."""
    return os.environ.get(SWITCH, "1") != "0"


def key(calib: Scenario, seed: int, replicate: int | None, policies: Collection[str]) -> str:
    """The SHA-256 of what the calibration pass depends on (see the module docstring)."""
    replay = calib.traffic.replay
    parts = {"scenario": calib.model_dump(mode="json"), "seed": seed, "replicate": replicate,
             "policies": sorted(policies), "version": __version__,
             "replay": None if replay is None else [str(replay.path.resolve()), *eval_stamp(replay)]}
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def get(k: str) -> Thresholds | None:
    """A copy of the thresholds stored under `k` (None: not stored, or the cache is off)."""
    if not enabled():
        return None
    if k not in _cache:
        stats["misses"] += 1
        return None
    stats["hits"] += 1
    _cache.move_to_end(k)
    return copy.deepcopy(_cache[k])


def put(k: str, thresholds: Thresholds) -> None:
    """Store a copy of a pass's thresholds under `k` (nothing when the cache is off)."""
    if not enabled():
        return
    _cache[k] = copy.deepcopy(thresholds)
    while len(_cache) > MAX_ENTRIES:
        _cache.popitem(last=False)


def clear() -> None:
    """Forget every stored pass (tests)."""
    _cache.clear()
    stats.update(hits=0, misses=0)
