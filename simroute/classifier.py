"""Surface classifiers trained inside the run on a pre-drift historical sample with taxonomy labels.

Both variants see only the surface features; their calibration under drift is whatever the training left.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from .scenario.policies import Classifier as ClassifierConfig
from .scenario.policies import ClassifierMethod
from .scenario.world import SurfaceClass

ROW_BLOCK = 16_384  # rows scored at a time: every result is batch-size independent, so blocks change no value


def _by_blocks(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """`fn(x)` computed on blocks of rows (a day of 1M queries stays in cache instead of streaming through memory
    once per column operation); the same values, as every per-row result here is batch-size independent."""
    if len(x) <= ROW_BLOCK:
        return fn(x)
    return np.concatenate([fn(x[lo:lo + ROW_BLOCK]) for lo in range(0, len(x), ROW_BLOCK)])


def _columns(x: np.ndarray) -> np.ndarray:
    """The columns of `x` as contiguous float64 rows (one copy instead of a strided copy per column)."""
    return np.ascontiguousarray(x.T, dtype=np.float64)


def _linear_columns(cols: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """`_linear` on the columns `cols` of x (see `_columns`)."""
    out = np.full(cols.shape[1], b, dtype=np.float64)
    term = np.empty_like(out)  # one buffer for every column's product: the same sums, no temporary per column
    for j in range(len(cols)):
        out += np.multiply(cols[j], w[j], out=term)
    return out


def _linear(x: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """x @ w + b, summed column by column so each row's result never depends on the batch size."""
    return _linear_columns(_columns(x), w, b)


def _unit_columns(cols: np.ndarray) -> np.ndarray:
    """The columns of rows scaled to unit length, computed column by column (batch-size independent)."""
    sq = np.zeros(cols.shape[1], dtype=np.float64)
    for j in range(len(cols)):
        sq += cols[j] ** 2
    return cols / np.maximum(np.sqrt(sq), 1e-12)[None, :]


def _unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, computed column by column (batch-size independent)."""
    return np.ascontiguousarray(_unit_columns(_columns(x)).T)  # row-major, as the training means expect


def _cosine_margin(x: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """cos(x, simple centroid) - cos(x, complex centroid) as a one-column feature."""
    unit = _unit_columns(_columns(x))
    return (_linear_columns(unit, centroids[0], 0.0) - _linear_columns(unit, centroids[1], 0.0))[:, None]


def fit_logistic(x: np.ndarray, y: np.ndarray, ridge: float = 1e-3,
                 iterations: int = 25) -> tuple[np.ndarray, float]:
    """Ridge-regularised logistic regression by Newton-Raphson (IRLS); returns weights and intercept.

    Sums go through einsum (no BLAS), so the fit does not depend on the machine's thread count.
    """
    n, d = x.shape
    a = np.hstack([x.astype(np.float64), np.ones((n, 1))])
    beta = np.zeros(d + 1)
    for _ in range(iterations):
        p = expit(_linear(a, beta, 0.0))
        grad = np.einsum("ij,i->j", a, p - y) + ridge * n * np.r_[beta[:-1], 0.0]
        w = p * (1 - p)
        hess = np.einsum("ij,i,ik->jk", a, w, a) + ridge * n * np.diag(np.r_[np.ones(d), 0.0])
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta[:-1], float(beta[-1])


@dataclass(frozen=True)
class TrainedClassifier:
    """Scores P(simple) from surface features, and an out-of-distribution distance.

    `training_scores` (its scores on its own training sample) and `ood` are what a routing-confidence drift
    monitor and long-tail sampling compare production against.
    """

    method: ClassifierMethod
    weights: np.ndarray
    intercept: float
    centroids: np.ndarray | None
    mean: np.ndarray
    precision: np.ndarray
    training_scores: np.ndarray

    def score(self, x: np.ndarray) -> np.ndarray:
        """P(simple) for each row of `x`."""
        return _by_blocks(self._score, x)

    def _score(self, x: np.ndarray) -> np.ndarray:
        return expit(_linear(self._raw(x), self.weights, self.intercept)).astype(np.float32)

    def _raw(self, x: np.ndarray) -> np.ndarray:
        if self.method is ClassifierMethod.encoder:
            return x
        assert self.centroids is not None, "a centroid classifier keeps its centroids"
        return _cosine_margin(x, self.centroids)

    def ood(self, x: np.ndarray) -> np.ndarray:
        """Squared Mahalanobis distance from the training distribution (batch-size independent)."""
        return _by_blocks(self._ood, x)

    def _ood(self, x: np.ndarray) -> np.ndarray:
        d = _columns(x) - self.mean[:, None]
        out = np.zeros(len(x), dtype=np.float64)
        for j in range(len(d)):
            row = _linear_columns(d, self.precision[j], 0.0)
            out += np.multiply(d[j], row, out=row)
        return out.astype(np.float32)


def train(config: ClassifierConfig, x: np.ndarray, intent: np.ndarray, surface_class: list[SurfaceClass],
          rng: np.random.Generator) -> TrainedClassifier:
    """Fit a classifier to the taxonomy labels (with label noise) of a historical sample."""
    simple = np.array([c is SurfaceClass.simple for c in surface_class])[intent]
    flip = rng.random(len(simple)) < config.label_noise
    y = (simple ^ flip).astype(np.float64)
    centroids = None
    if config.method is ClassifierMethod.encoder:
        feats = x
    else:
        unit = _unit_rows(x)
        centroids = np.stack([unit[y == 1].mean(axis=0), unit[y == 0].mean(axis=0)])
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
        feats = _cosine_margin(x, centroids)
    w, b = fit_logistic(feats, y, config.ridge)
    mean = x.astype(np.float64).mean(axis=0)
    centred = x.astype(np.float64) - mean
    cov = np.einsum("ij,ik->jk", centred, centred) / (len(x) - 1)
    clf = TrainedClassifier(config.method, w, b, centroids, mean, np.linalg.inv(cov), np.empty(0))
    object.__setattr__(clf, "training_scores", clf.score(x))
    return clf
