"""The likelihood of a graded eval under the world's own outcome model, with its analytic gradient.

Model m is right on a query when rho*z0 + sqrt(1-rho^2)*z_m < Phi^-1(p_m), p_m = quality_curve(skill_m -
difficulty - penalties) (world.outcomes.ModelBank.draw); given the shared z0 and the difficulty the models are
independent. So the probability of every joint outcome pattern (2^M of them) of a group of queries is a
deterministic double quadrature: over the Lomax difficulty tail (scenario.measurable.tail_rule) and over z0
(Gauss-Hermite). Rows are grouped into cells (intent, and regulatory flag when recorded); a cell is a mixture
of components (hidden intent or not, regulatory or not) with fixed weights.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, ndtr, ndtri, owens_t

from ..scenario.measurable import normal_rule, quality_curve

MAX_MODELS = 6          # 2^6 joint outcome patterns
RHO_MAX_PAIRS = 0.99    # two models: exact bivariate normal
RHO_MAX_FACTOR = 0.95   # more: Gauss-Hermite over z0, pattern probabilities within 2e-5 at this bound
_P_CLIP = 1e-15
_FACTOR_POINTS = 64


@dataclass(frozen=True)
class Design:
    """The fixed part of the likelihood: components of the cells and the observed pattern counts.

    Pattern j has model m right when bit m of j is set."""

    cell: np.ndarray        # int (C,): the cell of each component
    intent: np.ndarray      # int (C,): index into the fitted base_difficulty vector, -1 when fixed
    offset: np.ndarray      # float (C, M): fixed part of the difficulty (fixed base difficulty, penalties)
    weight: np.ndarray      # float (C,): mixture weight within the cell
    counts: np.ndarray      # float (cells, 2^M)
    floor: np.ndarray       # (M,)
    ceiling: np.ndarray     # (M,)
    tail: np.ndarray        # (T,) difficulty tail nodes
    tail_w: np.ndarray      # (T,)
    hidden: np.ndarray      # bool (C,): a hidden-intent component
    regulatory: np.ndarray  # bool (C,): a regulatory-weight component

    @property
    def n_models(self) -> int:
        return self.offset.shape[1]

    @property
    def n_intents(self) -> int:
        return int(self.intent.max()) + 1 if (self.intent >= 0).any() else 0


def rho_max(n_models: int) -> float:
    """Largest outcome correlation the likelihood evaluates accurately."""
    return RHO_MAX_PAIRS if n_models == 2 else RHO_MAX_FACTOR


def patterns(n_models: int) -> np.ndarray:
    """(2^M, M) bool: which models are right in each pattern."""
    j = np.arange(2 ** n_models)
    return ((j[:, None] >> np.arange(n_models)[None, :]) & 1).astype(bool)


def _eta(d: Design, skill: np.ndarray, diff: np.ndarray) -> np.ndarray:
    """(C, M, T) quality logits."""
    b = np.where(d.intent >= 0, diff[np.maximum(d.intent, 0)] if len(diff) else 0.0, 0.0)
    return skill[None, :, None] - (b[:, None] + d.offset)[:, :, None] - d.tail[None, None, :]


def bivariate_normal_cdf(h: np.ndarray, k: np.ndarray, r: float) -> np.ndarray:
    """P(X < h, Y < k) for standard normals with correlation r in [0, 1) (Owen's T function; exact)."""
    h = np.where(np.abs(h) < 1e-12, 1e-12, h)
    k = np.where(np.abs(k) < 1e-12, 1e-12, k)
    sr = np.sqrt(1.0 - r * r)
    beta = np.where(h * k < 0, 0.5, 0.0)
    return 0.5 * (ndtr(h) + ndtr(k)) - owens_t(h, (k - r * h) / (h * sr)) - owens_t(k, (h - r * k) / (k * sr)) - beta


def pattern_probs(d: Design, skill: np.ndarray, diff: np.ndarray, rho: float, grad: bool = False):
    """Per cell the probability of each pattern (cells, 2^M); with grad, also dP/d(skill) (cells, 2^M, M),
    dP/d(base difficulty) per component (C, 2^M) and dP/d(rho) (cells, 2^M)."""
    if d.n_models == 2:
        return _pairs(d, skill, diff, rho, grad)
    return _factor(d, skill, diff, rho, grad)


def _collect(d: Design, comp: np.ndarray) -> np.ndarray:
    """Sum per-component arrays (C, ...) into their cells."""
    out = np.zeros((len(d.counts),) + comp.shape[1:])
    np.add.at(out, d.cell, comp)
    return out


def _pairs(d: Design, skill: np.ndarray, diff: np.ndarray, rho: float, grad: bool):
    """Two models: the latent normals have correlation rho^2, so P(both right) is a bivariate normal CDF."""
    r = rho * rho
    eta = _eta(d, skill, diff)
    p = np.clip(quality_curve(eta, d.floor[None, :, None], d.ceiling[None, :, None]), _P_CLIP, 1 - _P_CLIP)
    a = ndtri(p)
    both = bivariate_normal_cdf(a[:, 0], a[:, 1], r)             # (C, T)
    cells = np.stack([1 - p[:, 0] - p[:, 1] + both, p[:, 0] - both, p[:, 1] - both, both], axis=1)
    w = d.weight[:, None] * d.tail_w[None, :]                    # (C, T)
    prob = _collect(d, np.einsum("cjt,ct->cj", cells, w))
    if not grad:
        return prob
    sig = expit(eta)
    dp = (d.ceiling - d.floor)[None, :, None] * sig * (1 - sig)  # (C, M, T)
    sr = np.sqrt(1.0 - r * r)
    cond0 = ndtr((a[:, 1] - r * a[:, 0]) / sr)                    # P(model 1 right | model 0 at its edge)
    cond1 = ndtr((a[:, 0] - r * a[:, 1]) / sr)
    db0, db1 = dp[:, 0] * cond0, dp[:, 1] * cond1                 # d both / d eta_m
    d_eta = np.stack([np.stack([-dp[:, 0] + db0, dp[:, 0] - db0, -db0, db0], axis=1),
                      np.stack([-dp[:, 1] + db1, -db1, dp[:, 1] - db1, db1], axis=1)], axis=2)  # (C, J, M, T)
    d_skill = np.einsum("cjmt,ct->cjm", d_eta, w)
    dens = np.exp(-(a[:, 0] ** 2 - 2 * r * a[:, 0] * a[:, 1] + a[:, 1] ** 2) / (2 * sr * sr)) / (2 * np.pi * sr)
    d_both = np.einsum("ct,ct->c", dens, w) * 2 * rho
    d_rho = _collect(d, d_both[:, None] * np.array([1.0, -1.0, -1.0, 1.0])[None, :])
    return prob, _collect(d, d_skill), -d_skill.sum(axis=2), d_rho


def _factor(d: Design, skill: np.ndarray, diff: np.ndarray, rho: float, grad: bool):
    """Any number of models: condition on the shared normal z0 (Gauss-Hermite), then models are independent."""
    z, wz = normal_rule(_FACTOR_POINTS)
    s = np.sqrt(1.0 - rho * rho)
    eta = _eta(d, skill, diff)
    sig = expit(eta)
    p = np.clip(quality_curve(eta, d.floor[None, :, None], d.ceiling[None, :, None]), _P_CLIP, 1 - _P_CLIP)
    a = ndtri(p)
    x = (a[..., None] - rho * z) / s                           # (C, M, T, W)
    q = ndtr(x)
    pats = patterns(d.n_models)
    w = d.weight[:, None, None] * d.tail_w[None, :, None] * wz[None, None, :]   # (C, T, W)
    factors = [np.where(bit, q[:, m], 1.0 - q[:, m]) for m in range(d.n_models) for bit in (False, True)]
    fac = lambda m, bit: factors[2 * m + int(bit)]  # noqa: E731
    prods = np.stack([np.prod([fac(m, pats[j, m]) for m in range(d.n_models)], axis=0)
                      for j in range(len(pats))], axis=1)        # (C, J, T, W)
    comp = np.einsum("cjtw,ctw->cj", prods, w)
    cells = len(d.counts)
    prob = np.zeros((cells, len(pats)))
    np.add.at(prob, d.cell, comp)
    if not grad:
        return prob
    phi_x = np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)
    dp_deta = (d.ceiling - d.floor)[None, :, None] * sig * (1 - sig)
    da_deta = np.where((p > _P_CLIP) & (p < 1 - _P_CLIP), dp_deta / (np.exp(-0.5 * a * a) / np.sqrt(2 * np.pi)), 0.0)
    dq_deta = phi_x / s * da_deta[..., None]                    # (C, M, T, W)
    dq_drho = phi_x * (a[..., None] * rho - z) / s ** 3
    d_skill = np.zeros((len(d.cell), len(pats), d.n_models))
    d_rho = np.zeros((len(d.cell), len(pats)))
    for j in range(len(pats)):
        for m in range(d.n_models):
            others = np.prod([fac(k, pats[j, k]) for k in range(d.n_models) if k != m], axis=0) \
                if d.n_models > 1 else 1.0
            sign = 1.0 if pats[j, m] else -1.0
            d_skill[:, j, m] = np.einsum("ctw,ctw->c", sign * others * dq_deta[:, m], w)
            d_rho[:, j] += np.einsum("ctw,ctw->c", sign * others * dq_drho[:, m], w)
    d_diff = -d_skill.sum(axis=2)                                # per component
    g_skill = np.zeros((cells, len(pats), d.n_models))
    g_rho = np.zeros((cells, len(pats)))
    np.add.at(g_skill, d.cell, d_skill)
    np.add.at(g_rho, d.cell, d_rho)
    return prob, g_skill, d_diff, g_rho


def negloglik(d: Design, skill: np.ndarray, diff: np.ndarray, rho: float) -> float:
    """-log L of the pattern counts (multinomial within each cell, without the constant)."""
    prob = pattern_probs(d, skill, diff, rho)
    return float(-(d.counts * np.log(np.maximum(prob, 1e-300))).sum())


def negloglik_grad(d: Design, skill: np.ndarray, diff: np.ndarray, rho: float):
    """-log L and its gradient in (skill (M,), base difficulty (K,), rho)."""
    prob, g_skill, d_diff, g_rho = pattern_probs(d, skill, diff, rho, grad=True)
    r = d.counts / np.maximum(prob, 1e-300)                      # (cells, J)
    nll = float(-(d.counts * np.log(np.maximum(prob, 1e-300))).sum())
    gs = -np.einsum("cj,cjm->m", r, g_skill)
    per_comp = -(r[d.cell] * d_diff).sum(axis=1)
    gd = np.zeros(len(diff))
    fitted = d.intent >= 0
    np.add.at(gd, d.intent[fitted], per_comp[fitted])
    gr = float(-(r * g_rho).sum())
    return nll, gs, gd, gr
