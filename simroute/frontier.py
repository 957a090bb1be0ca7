"""Routing-curve metrics of peers: PGR, APGR and CPT from RouteLLM (Ong et al., 2024, "RouteLLM: Learning
to Route LLMs with Preference Data"), the non-decreasing convex hull and AIQ from RouterBench (Hu et al.,
2024, "RouterBench: A Benchmark for Multi-LLM Routing System"), and Pareto fronts of cost vs quality.
Pure numpy functions; formulas and pitfalls in the README, "Curve metrics"."""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def _points(x: ArrayLike, y: ArrayLike, xname: str, yname: str) -> tuple[np.ndarray, np.ndarray]:
    """Two equal-length, non-empty, finite 1-D float arrays (ValueError naming the bad input otherwise)."""
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    if x.size != y.size:
        raise ValueError(f"{xname} and {yname} must have the same length ({x.size} != {y.size})")
    if x.size == 0:
        raise ValueError(f"{xname} and {yname} are empty: a curve needs at least one point")
    for name, a in ((xname, x), (yname, y)):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} contains NaN or infinite values")
    return x, y


def _trapezoid_mean(x: np.ndarray, y: np.ndarray) -> float:
    """Trapezoid-rule integral of y over x (sorted), divided by the span of x."""
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1])) / 2.0 / (x[-1] - x[0]))


def pgr(quality: ArrayLike, q_weak: float, q_strong: float) -> np.ndarray:
    """Performance gap recovered, (q - q_weak) / (q_strong - q_weak), as in RouteLLM (Ong et al., 2024):
    0 at the weak model's quality, 1 at the strong model's; all NaN when the two qualities are equal."""
    q = np.asarray(quality, dtype=np.float64)
    gap = float(q_strong) - float(q_weak)
    if gap == 0.0:
        return np.full(q.shape, np.nan)
    return (q - float(q_weak)) / gap


def _pgr_curve(strong_share, quality, q_weak, q_strong) -> tuple[np.ndarray, np.ndarray]:
    """PGR at each distinct strong-call share on [0, 1], sorted by share (duplicate shares averaged), with
    the all-weak (0, q_weak) and all-strong (1, q_strong) points added where the curve lacks them."""
    c, q = _points(strong_share, quality, "strong_share", "quality")
    if c.min() < 0.0 or c.max() > 1.0:
        raise ValueError("strong_share must lie in [0, 1] (share of queries answered by the strong model)")
    c, inv = np.unique(c, return_inverse=True)
    q = np.bincount(inv, weights=q) / np.bincount(inv)
    if q_weak is None:
        if c[0] != 0.0:
            raise ValueError(f"q_weak is missing: the curve has no point at strong_share = 0 (all-weak; its "
                             f"smallest share is {c[0]:g}); pass q_weak, the weak model's quality alone")
        q_weak = q[0]
    if q_strong is None:
        if c[-1] != 1.0:
            raise ValueError(f"q_strong is missing: the curve has no point at strong_share = 1 (all-strong; "
                             f"its largest share is {c[-1]:g}); pass q_strong, the strong model's quality alone")
        q_strong = q[-1]
    if c[0] > 0.0:
        c, q = np.concatenate([[0.0], c]), np.concatenate([[q_weak], q])
    if c[-1] < 1.0:
        c, q = np.concatenate([c, [1.0]]), np.concatenate([q, [q_strong]])
    return c, pgr(q, q_weak, q_strong)


def apgr(strong_share: ArrayLike, quality: ArrayLike, q_weak: float | None = None,
         q_strong: float | None = None, grid: int | None = None) -> float:
    """Average performance gap recovered, the integral of PGR(c) over strong-call share c in [0, 1], from
    RouteLLM (Ong et al., 2024): trapezoid rule over the points, or over c = 0, 1/grid, ..., 1 if grid is set
    (RouteLLM's evaluation uses grid=10). 0.5 for a random router, near 1 for a perfect one."""
    c, p = _pgr_curve(strong_share, quality, q_weak, q_strong)
    if grid is not None:
        if int(grid) < 1:
            raise ValueError(f"grid must be a positive number of intervals, got {grid}")
        c_grid = np.linspace(0.0, 1.0, int(grid) + 1)
        c, p = c_grid, np.interp(c_grid, c, p)
    return _trapezoid_mean(c, p)


def cpt(strong_share: ArrayLike, quality: ArrayLike, target: float, q_weak: float | None = None,
        q_strong: float | None = None) -> float:
    """Call-performance threshold CPT(target) from RouteLLM (Ong et al., 2024): the smallest strong-call share
    at which the linearly interpolated PGR first reaches target (0.5 for CPT(50%)); NaN if it never does."""
    c, p = _pgr_curve(strong_share, quality, q_weak, q_strong)
    reached = p >= target  # all False when PGR is NaN
    if not reached.any():
        return float("nan")
    i = int(np.argmax(reached))
    if i == 0:
        return float(c[0])
    return float(c[i - 1] + (target - p[i - 1]) / (p[i] - p[i - 1]) * (c[i] - c[i - 1]))


def pareto_front(cost: ArrayLike, quality: ArrayLike) -> np.ndarray:
    """Indices of the non-dominated points (cheaper and better is better; of tied points one is kept),
    sorted by cost: the cost-quality frontier of policies across sweep points."""
    c, q = _points(cost, quality, "cost", "quality")
    order = np.lexsort((-q, c))  # by cost, best quality first among equal costs; stable for exact ties
    q_sorted = q[order]
    best_before = np.concatenate([[-np.inf], np.maximum.accumulate(q_sorted)[:-1]])
    return order[q_sorted > best_before]


def nondecreasing_hull(cost: ArrayLike, quality: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (x, y) of RouterBench's non-decreasing convex hull (Hu et al., 2024): the upper concave
    envelope of the (cost, quality) points, flat from the best-quality point to the largest cost."""
    c, q = _points(cost, quality, "cost", "quality")
    front = pareto_front(c, q)  # the rising part of the upper envelope has only non-dominated vertices
    fx, fy = c[front], q[front]
    hull: list[int] = []
    for k in range(fx.size):  # monotone chain (upper hull) over the front: at most a few hundred points
        while len(hull) >= 2:
            i, j = hull[-2], hull[-1]
            if (fx[j] - fx[i]) * (fy[k] - fy[i]) - (fy[j] - fy[i]) * (fx[k] - fx[i]) >= 0:
                hull.pop()  # j lies on or below the chord from i to k
            else:
                break
        hull.append(k)
    x, y = fx[hull], fy[hull]
    if c.max() > x[-1]:
        x, y = np.append(x, c.max()), np.append(y, y[-1])
    return x, y


def aiq(cost: ArrayLike, quality: ArrayLike, cost_range: tuple[float, float] | None = None) -> float:
    """Average improvement in quality from RouterBench (Hu et al., 2024): the mean height of the
    non-decreasing convex hull over a cost range (default: the points' cheapest to dearest cost)."""
    x, y = nondecreasing_hull(cost, quality)
    lo, hi = (x[0], x[-1]) if cost_range is None else (float(cost_range[0]), float(cost_range[1]))
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi < lo:
        raise ValueError(f"cost_range must be finite with start <= end, got {cost_range}")
    if lo < x[0]:
        raise ValueError(f"cost_range starts at {lo:g}, below the cheapest point ({x[0]:g}), where the hull "
                         f"is undefined")
    if hi == lo:
        return float(np.interp(lo, x, y))
    inner = x[(x > lo) & (x < hi)]
    xs = np.concatenate([[lo], inner, [hi]])
    return _trapezoid_mean(xs, np.interp(xs, x, y))  # np.interp holds the last value flat to the right


def curve_metrics(strong_share: ArrayLike, quality: ArrayLike, cost: ArrayLike) -> dict[str, float]:
    """APGR, CPT(50%), CPT(80%) (RouteLLM, Ong et al., 2024) and AIQ (RouterBench, Hu et al., 2024) of one
    router curve; weak/strong qualities come from the curve's endpoints, AIQ is NaN if any cost is missing."""
    cost = np.asarray(cost, dtype=np.float64)
    return {"apgr": apgr(strong_share, quality),
            "cpt50": cpt(strong_share, quality, 0.5),
            "cpt80": cpt(strong_share, quality, 0.8),
            "aiq": aiq(cost, quality) if np.all(np.isfinite(cost)) else float("nan")}
