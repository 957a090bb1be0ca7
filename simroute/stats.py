"""Statistics the monitors use: drift distances, calibration error, sequential (CUSUM) alarms, sample sizes."""
from __future__ import annotations

import numpy as np
from scipy.special import ndtri

EPS = 1e-6  # floor on bin shares so PSI stays finite on empty bins


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index between two histograms (counts or shares over the same bins)."""
    e = np.maximum(np.asarray(expected, float) / np.sum(expected), EPS)
    a = np.maximum(np.asarray(actual, float) / np.sum(actual), EPS)
    return float(np.sum((a - e) * np.log(a / e)))


def ks_hist(expected: np.ndarray, actual: np.ndarray) -> float:
    """Kolmogorov-Smirnov distance between two histograms over the same bins (max CDF gap at bin edges)."""
    e = np.cumsum(expected) / np.sum(expected)
    a = np.cumsum(actual) / np.sum(actual)
    return float(np.max(np.abs(a - e)))


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = 10):
    """Per equal-width confidence bin on [0, 1]: count, mean confidence, accuracy (empty bins: NaN)."""
    idx = np.minimum((np.asarray(confidence) * bins).astype(int), bins - 1)
    n = np.bincount(idx, minlength=bins)
    conf = np.bincount(idx, weights=confidence, minlength=bins)
    acc = np.bincount(idx, weights=np.asarray(correct, float), minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return n, conf / n, acc / n


def ece(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error with `bins` equal-width bins: sum_b (n_b/N) |accuracy_b - confidence_b|."""
    n, conf, acc = reliability(confidence, correct, bins)
    used = n > 0
    return float(np.sum(n[used] * np.abs(acc[used] - conf[used])) / n.sum()) if n.sum() else float("nan")


def brier(confidence: np.ndarray, correct: np.ndarray) -> float:
    """Mean squared error of the confidence as a probability of being correct."""
    return float(np.mean((np.asarray(confidence) - np.asarray(correct, float)) ** 2))


def bernoulli_llr(k: np.ndarray, n: np.ndarray, p0: float, p1: float) -> np.ndarray:
    """Log-likelihood ratio of k successes in n trials under p1 against p0 (the CUSUM increment)."""
    return k * np.log(p1 / p0) + (n - k) * np.log((1 - p1) / (1 - p0))


def cusum(increments: np.ndarray, threshold: float, reset: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """One-sided CUSUM S_t = max(0, S_{t-1} + x_t); alarm when S_t > threshold, then restart from 0.

    Works on the last axis, so many paths can be run at once. Returns (statistic, alarm flags).
    """
    x = np.asarray(increments, float)
    s = np.zeros(x.shape[:-1])
    stat = np.zeros_like(x)
    alarm = np.zeros(x.shape, dtype=bool)
    for t in range(x.shape[-1]):  # over days, not queries
        s = np.maximum(0.0, s + x[..., t])
        stat[..., t] = s
        fired = s > threshold
        alarm[..., t] = fired
        if reset:
            s = np.where(fired, 0.0, s)
    return stat, alarm


def threshold_for_false_alarm(paths_increments: np.ndarray, alpha: float) -> float:
    """The CUSUM threshold whose chance of any alarm over the path length is `alpha` (from simulated
    in-control paths, one per row): the (1 - alpha) quantile of each path's running maximum."""
    stat, _ = cusum(paths_increments, np.inf, reset=False)
    return float(np.quantile(stat.max(axis=-1), 1.0 - alpha))


def normal_cusum_arl0(k: float, h: float) -> float:
    """Siegmund's approximation of the in-control average run length of a CUSUM on N(0,1) data with
    reference value k and threshold h."""
    b = h + 1.166
    return float((np.exp(2 * k * b) - 2 * k * b - 1) / (2 * k * k))


def two_proportion_sample_size(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Per-group sample size for a two-sided two-proportion z-test to detect p1 vs p2 (pooled variance)."""
    za, zb = ndtri(1 - alpha / 2), ndtri(power)
    pbar = (p1 + p2) / 2
    num = (za * np.sqrt(2 * pbar * (1 - pbar)) + zb * np.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2
    return int(np.ceil(num / (p1 - p2) ** 2))
