"""Maximum-likelihood fit of each model's skill, each intent's base_difficulty and the outcome correlation to a
graded eval: the per-intent joint outcome patterns of all models (which carry every model's per-intent accuracy
and the joint table), under the world's own outcome model with the power-law difficulty integrated out.

Identifiability: P(correct) depends on skill - base_difficulty only, so one shift of every skill and every
fitted base_difficulty leaves the likelihood unchanged. It is pinned by fixing the eval-weighted mean of the
fitted base_difficulty (weights: the intents' shares of eval rows) to its value in the base scenario (0 without
one). Skills therefore read as ability relative to the average eval query. When the eval has no category and a
base scenario is given, every base_difficulty stays as stated and the skills are identified without a pin.
Standard errors come from the observed information (analytic gradient, finite-differenced) restricted to the pin.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.linalg import null_space
from scipy.optimize import minimize

from ..scenario.measurable import SKILL_RANGE
from ..scenario.schema import Scenario
from .design import FitError, Layout, WorldParts, build_design, layout, world_parts
from .evalset import EvalSet
from .likelihood import Design, negloglik_grad, pattern_probs, rho_max

BOUND = 60.0
DIFFICULTY_RANGE = (-10.0, 20.0)   # the schema's range of base_difficulty
_EDGE = 1e-3
_H = 1e-4


@dataclass(frozen=True)
class Estimates:
    """Point estimates and standard errors (None where the estimate sits on a bound)."""

    skill: np.ndarray
    diff: np.ndarray
    rho: float
    skill_se: np.ndarray
    diff_se: np.ndarray
    rho_se: float | None
    covariance: np.ndarray       # over (skill, fitted base_difficulty, rho)
    negloglik: float
    anchor: float
    converged: bool


def _start(d: Design, lay: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Rough starting values from logit accuracies."""
    lg = lambda p: np.log(np.clip(p, 0.02, 0.98) / (1 - np.clip(p, 0.02, 0.98)))  # noqa: E731
    pats = (np.arange(d.counts.shape[1])[:, None] >> np.arange(d.n_models)) & 1
    right = d.counts @ pats                                       # (cells, M)
    n = d.counts.sum(axis=1)
    skill = lg(right.sum(axis=0) / n.sum()) + 1.0
    diff = np.zeros(d.n_intents)
    cell_intent = np.full(len(d.counts), -1)
    cell_intent[d.cell] = d.intent
    for k in range(d.n_intents):
        rows = cell_intent == k
        acc = right[rows].sum() / max(1.0, n[rows].sum() * d.n_models)
        diff[k] = lg(right.sum() / (n.sum() * d.n_models)) - lg(acc)
    return skill, diff


def _unpack(x: np.ndarray, m: int, k: int, pin: int | None, fit_rho: bool) -> tuple[np.ndarray, np.ndarray, float]:
    skill = x[:m - (pin is not None)]
    if pin is not None:
        skill = np.insert(skill, pin, 0.0)
    diff = x[len(skill) - (pin is not None):][:k]
    return skill, diff, float(x[-1]) if fit_rho else 0.0


def estimate(d: Design, lay: Layout, weights: np.ndarray, anchor: float) -> Estimates:
    """The maximum-likelihood estimates (pinned as the module says) and their covariance."""
    m, k = d.n_models, d.n_intents
    fit_rho = m >= 2
    pin = lay.cheap if k > 0 else None
    skill0, diff0 = _start(d, lay)
    if pin is not None:
        diff0, skill0 = diff0 - skill0[pin], skill0 - skill0[pin]
    x0 = np.concatenate([np.delete(skill0, pin) if pin is not None else skill0, diff0, [0.3] if fit_rho else []])
    bounds = [(-BOUND, BOUND)] * (len(x0) - fit_rho) + ([(0.0, rho_max(m))] if fit_rho else [])

    def f(x: np.ndarray):
        skill, diff, rho = _unpack(x, m, k, pin, fit_rho)
        nll, gs, gd, gr = negloglik_grad(d, skill, diff, rho)
        g = np.concatenate([np.delete(gs, pin) if pin is not None else gs, gd, [gr] if fit_rho else []])
        return nll, g

    res = minimize(f, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-7, "maxcor": 30})
    skill, diff, rho = _unpack(res.x, m, k, pin, fit_rho)
    if k:
        shift = anchor - float(weights @ diff)
        skill, diff = skill + shift, diff + shift
    cov, rho_free = _covariance(d, skill, diff, rho, weights, fit_rho)
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    return Estimates(skill, diff, rho, se[:m], se[m:m + k], float(se[-1]) if rho_free else None, cov,
                     float(res.fun), anchor, bool(res.success))


def _grad(d: Design, skill: np.ndarray, diff: np.ndarray, rho: float) -> np.ndarray:
    _, gs, gd, gr = negloglik_grad(d, skill, diff, rho)
    return np.concatenate([gs, gd, [gr]])


def _covariance(d: Design, skill: np.ndarray, diff: np.ndarray, rho: float, weights: np.ndarray,
                fit_rho: bool) -> tuple[np.ndarray, bool]:
    """Inverse observed information over (skill, fitted base_difficulty, rho), restricted to the pin. Every cell
    holds one fitted intent, so the base_difficulty block is diagonal: the globals are differenced one at a
    time and all base_difficulties at once (2 * (M + 2) gradients)."""
    m, k = len(skill), len(diff)
    p = m + k + 1
    x = np.concatenate([skill, diff, [rho]])
    rho_free = fit_rho and _EDGE < rho < rho_max(m) - _EDGE
    g = lambda v: _grad(d, v[:m], v[m:m + k], float(v[-1]))  # noqa: E731
    hess = np.zeros((p, p))
    for i in list(range(m)) + ([p - 1] if rho_free else []):
        e = np.zeros(p)
        e[i] = _H
        hess[:, i] = (g(x + e) - g(x - e)) / (2 * _H)
    if k:
        e = np.zeros(p)
        e[m:m + k] = _H
        diag = (g(x + e) - g(x - e)) / (2 * _H)
        hess[m:m + k, m:m + k] = np.diag(diag[m:m + k])
        hess[:m, m:m + k] = hess[m:m + k, :m].T
        hess[p - 1, m:m + k] = hess[m:m + k, p - 1]
    free = [i for i in range(p) if i < m + k or rho_free]
    hs = 0.5 * (hess + hess.T)[np.ix_(free, free)]
    basis = np.eye(len(free))
    if k:
        c = np.zeros(len(free))
        c[m:m + k] = weights
        basis = null_space(c[None, :])
    inner = basis.T @ hs @ basis
    cov_free = basis @ np.linalg.pinv(inner) @ basis.T
    cov = np.zeros((p, p))
    cov[np.ix_(free, free)] = cov_free
    return cov, rho_free


def model_tables(d: Design, est: Estimates) -> np.ndarray:
    """Model-implied pattern probabilities per cell at the estimates (cells, 2^M)."""
    return pattern_probs(d, est.skill, est.diff, est.rho)


def fit_parts(ev: EvalSet, base: Scenario | None, cheap: str, capable: str,
              names: Mapping[str, str] | None = None) -> tuple[Layout, WorldParts, Design, Estimates]:
    """Layout, fixed world parts, design and estimates of one eval."""
    lay = layout(ev, base, cheap, capable, names)
    parts = world_parts(lay, base)
    d = build_design(lay, parts, base)
    n_by_intent = lay.cells.group_by("intent").agg(pl.col("n").sum())
    n_of = dict(zip(n_by_intent["intent"].to_list(), n_by_intent["n"].to_list(), strict=True))
    weights = np.array([n_of.get(i, 0) for i in lay.fitted], dtype=float)
    weights = weights / weights.sum() if len(weights) else weights
    anchor = float(weights @ np.array([parts.base_difficulty[i] for i in lay.fitted])) if base is not None \
        and len(weights) else 0.0
    est = estimate(d, lay, weights, anchor)
    if not est.converged:
        raise FitError(f"{ev.source}: the likelihood did not converge")
    _check_ranges(ev, lay, parts, est)
    return lay, parts, d, est


def _check_ranges(ev: EvalSet, lay: Layout, parts: WorldParts, est: Estimates) -> None:
    """An estimate outside the schema's range means the eval is at the edge of what floor and ceiling allow."""
    lo, hi = DIFFICULTY_RANGE
    for name, b in zip(lay.fitted, est.diff, strict=True):
        if not lo <= b <= hi:
            rows = lay.cells.filter(pl.col("intent") == name)
            n = int(rows["n"].sum())
            accs = ", ".join(f"{m} {_accuracy(rows, i, n):.3f} (floor {q.floor:g}, ceiling {q.ceiling:g})"
                             for i, (m, q) in enumerate(zip(lay.models, parts.quality, strict=True)))
            raise FitError(f"{ev.source}: intent {name!r} (n={n}): base_difficulty {b:.1f} is outside "
                           f"[{lo:g}, {hi:g}]; its accuracies {accs} are at the edge of what the stated floor "
                           "and ceiling allow")
    lo, hi = SKILL_RANGE
    for name, sk in zip(lay.models, est.skill, strict=True):
        if not lo <= sk <= hi:
            raise FitError(f"{ev.source}: model {name!r}: skill {sk:.1f} is outside [{lo:g}, {hi:g}]")


def _accuracy(rows: pl.DataFrame, m: int, n: int) -> float:
    right = sum(int(rows[c].sum()) for c in rows.columns if c.isdigit() and (int(c) >> m) & 1)
    return right / max(n, 1)


__all__ = ["Estimates", "FitError", "estimate", "fit_parts", "model_tables"]
