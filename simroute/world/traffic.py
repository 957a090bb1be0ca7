"""Query draws: intent, power-law difficulty, hidden intent, regulatory weight, tokens, surface features."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from ..scenario.schema import Scenario
from ..scenario.world import SurfaceClass, TokenDist
from .drift import DayParams


def gather(a: np.ndarray, idx: np.ndarray | slice, axis: int = 0) -> np.ndarray:
    """`a` indexed by `idx` along `axis`: a view for a slice, else a copy; `np.take` for integer positions is
    the same result as fancy indexing at a fraction of its cost on the engine's (models, queries) blocks."""
    if isinstance(idx, slice) or idx.dtype == np.bool_:
        return a[(slice(None),) * axis + (idx,)]
    return np.take(a, idx, axis=axis)


@dataclass
class Queries:
    """Column arrays of a batch of queries (one row per query)."""

    intent: np.ndarray        # int16, index into the taxonomy
    difficulty: np.ndarray    # float64, logit units
    tail: np.ndarray          # float64, the power-law part of the difficulty
    hidden: np.ndarray        # bool, hides a deeper intent than its surface
    regulatory: np.ndarray    # bool, an error is a compliance event
    tokens_in: np.ndarray     # float64
    tokens_out: np.ndarray    # float64, before the model's output-length multiplier
    surface: np.ndarray       # float32 (n, D), what a classifier sees

    def __len__(self) -> int:
        return len(self.intent)

    def take(self, idx: np.ndarray | slice) -> Queries:
        """Rows `idx` as a new batch (each column gathered when first read: most policies never read most)."""
        return _QueryRows(self, idx)


_QUERY_COLUMNS = frozenset(f.name for f in fields(Queries))


class _QueryRows(Queries):
    """Rows `idx` of `parent`: a column is the same `gather` the eager copy made, done on its first read."""

    def __init__(self, parent: Queries, idx: np.ndarray | slice):  # no dataclass __init__: columns come lazily
        self._parent, self._idx = parent, idx

    def __getattr__(self, name: str) -> np.ndarray:
        if name not in _QUERY_COLUMNS:  # only missing attributes get here
            raise AttributeError(name)
        value = gather(getattr(self._parent, name), self._idx)
        setattr(self, name, value)
        return value

    def __len__(self) -> int:
        idx = self._idx
        if isinstance(idx, slice):
            return len(range(*idx.indices(len(self._parent))))
        return int(np.count_nonzero(idx)) if idx.dtype == np.bool_ else len(idx)


def token_table(dists: Sequence[TokenDist]) -> np.ndarray:
    """(2, k): the medians and the sigmas of k token-count distributions."""
    return np.array([[d.median for d in dists], [d.sigma for d in dists]])


def lognormal_tokens(table: np.ndarray, kind: np.ndarray, z: np.ndarray) -> np.ndarray:
    """median * exp(sigma * z) per query of distribution `kind` (a `token_table`), computed in `z` in place."""
    z *= np.take(table[1], kind)
    np.exp(z, out=z)
    z *= np.take(table[0], kind)
    return z


class SurfaceGeometry:
    """Intent centroids in the surface space; axis 0 is 'looks simple', the last axis is off-distribution."""

    def __init__(self, scenario: Scenario, rng: np.random.Generator):
        sf = scenario.traffic.surface
        intents = scenario.traffic.intents
        d = sf.dimensions
        self.dimensions = d
        self.centroids = np.zeros((len(intents), d))
        half = sf.separation / 2.0
        for i, it in enumerate(intents):
            default = half if it.surface_class is SurfaceClass.simple else -half
            self.centroids[i, 0] = default if it.surface_position is None else it.surface_position
        if d > 2:
            self.centroids[:, 1:d - 1] = rng.normal(0.0, sf.intent_spread, size=(len(intents), d - 2))
        self.difficulty_visibility = sf.difficulty_visibility
        on = sf.hidden_on_axis_share
        self.hidden_shift = np.zeros(d)
        self.hidden_shift[0] = -sf.hidden_visibility * on
        self.hidden_shift[d - 1] = sf.hidden_visibility * float(np.sqrt(max(0.0, 1.0 - on * on)))

    def features(self, rng: np.random.Generator, intent: np.ndarray, tail: np.ndarray,
                 hidden: np.ndarray) -> np.ndarray:
        """Surface embedding: centroid + unit noise, nudged toward 'complex' by difficulty and by hidden intent."""
        x = rng.standard_normal((len(intent), self.dimensions))
        x += np.take(self.centroids, intent, axis=0)  # np.take: the same rows as indexing, without its overhead
        x[:, 0] -= self.difficulty_visibility * tail
        x[hidden] += self.hidden_shift  # only hidden rows move (adding the others' zero shift changed nothing)
        return x.astype(np.float32)


class TrafficModel:
    """Draws queries from the (drifted) intent mix."""

    def __init__(self, scenario: Scenario, geometry: SurfaceGeometry):
        t = scenario.traffic
        self.geometry = geometry
        self.base_difficulty = np.array([i.base_difficulty for i in t.intents])
        self.reg_share = np.array([i.regulatory_share for i in t.intents])
        self.tin = token_table([i.tokens_in for i in t.intents])
        self.tout = token_table([i.tokens_out for i in t.intents])
        self.alpha = t.difficulty.tail_index
        self.scale = t.difficulty.scale

    def draw(self, rng: np.random.Generator, n: int, params: DayParams) -> Queries:
        """`n` queries under the day's parameters; every column comes from `rng` in a fixed order."""
        q = self.draw_unseen(rng, n, params)
        q.surface = self.surface(rng, q)
        return q

    def surface(self, rng: np.random.Generator, q: Queries) -> np.ndarray:
        """The surface features of `q`: the last draw of `draw` from its `rng` (so another thread may make it, while
        nothing else uses that generator)."""
        return self.geometry.features(rng, q.intent, q.tail, q.hidden)

    def draw_unseen(self, rng: np.random.Generator, n: int, params: DayParams) -> Queries:
        """`draw` but for the surface features: every other column, with `surface` left empty for `surface`."""
        cdf = np.cumsum(params.intent_shares)
        cdf[-1] = 1.0
        intent = np.searchsorted(cdf, rng.random(n), side="right").astype(np.int16)
        # scale * (u ** (-1 / alpha) - 1) evaluated in place, in the same order: the same bytes
        tail = rng.random(n) ** (-1.0 / self.alpha)
        tail -= 1.0
        tail *= self.scale * params.difficulty_scale
        difficulty = np.take(self.base_difficulty, intent)
        difficulty += tail
        hidden = rng.random(n) < np.take(params.hidden_rates, intent)
        regulatory = rng.random(n) < np.take(self.reg_share, intent)
        z = rng.standard_normal((2, n))
        tokens_in, tokens_out = lognormal_tokens(self.tin, intent, z[0]), lognormal_tokens(self.tout, intent, z[1])
        unseen = np.empty((0, self.geometry.dimensions), dtype=np.float32)
        return Queries(intent, difficulty, tail, hidden, regulatory, tokens_in, tokens_out, unseen)
