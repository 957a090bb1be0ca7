"""Model quality and confidence in measurable units: the quality function integrated over a scenario's own
traffic at day 0 (deterministic quadrature over the power-law difficulty), and the solves from a stated
accuracy / confidence figure to the latent logit-unit parameters.

The same quadrature serves `simroute.fit`, so a fitted or stated accuracy means the same number the engine
simulates (tests compare both with Monte Carlo draws of the world).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import expit, logit, ndtr

if TYPE_CHECKING:
    from .tiers import Model, Quality
    from .world import Traffic

SKILL_RANGE = (-20.0, 30.0)       # the schema's range of `skill`
AWARENESS_RANGE = (0.0, 30.0)     # searched for `error_awareness`
BIAS_RANGE = (-10.0, 10.0)        # the schema's range of `bias`
_TAIL_PANEL_T = 1.0               # panel width in difficulty units: resolves the unit-scale sigmoid
_TAIL_T_MAX = 48.0                # beyond this the quality function is flat for any schema skill
_TAIL_Y_MAX = 36.0                # exp(-36) of the probability mass is left out
_GL_POINTS = 4
_GH_POINTS = 20


def quality_curve(logit_: np.ndarray, floor: Any, ceiling: Any) -> np.ndarray:
    """P(correct) from the quality logit: floor + (ceiling - floor) * sigmoid(logit). The one definition."""
    return floor + (ceiling - floor) * expit(logit_)


@lru_cache(maxsize=64)
def tail_rule(tail_index: float, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes (difficulty tail, logit units) and weights integrating E[g(T)] for the Lomax tail
    T = scale * (U**(-1/alpha) - 1): composite Gauss-Legendre in y = alpha*log(1 + T/scale) ~ Exp(1), with panel
    edges at every unit of y and every unit of T, so both the density and the quality sigmoid are resolved."""
    ya = np.arange(0.0, _TAIL_Y_MAX + 1e-9, 1.0)
    yb = tail_index * np.log1p(np.arange(0.0, _TAIL_T_MAX + 1e-9, _TAIL_PANEL_T) / scale)
    edges = np.unique(np.concatenate([ya, yb[yb < _TAIL_Y_MAX]]))
    edges = edges[np.concatenate([[True], np.diff(edges) > 1e-6])]
    g, w = np.polynomial.legendre.leggauss(_GL_POINTS)
    a, b = edges[:-1, None], edges[1:, None]
    y = ((a + b) / 2 + (b - a) / 2 * g[None, :]).ravel()
    wy = ((b - a) / 2 * w[None, :]).ravel() * np.exp(-y)
    return scale * np.expm1(y / tail_index), wy / wy.sum()


def normal_rule(points: int = _GH_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Hermite nodes and weights for E[g(Z)], Z standard normal."""
    z, w = np.polynomial.hermite_e.hermegauss(points)
    return z, w / w.sum()


@dataclass(frozen=True)
class Mixture:
    """The day-0 query mix as weighted components: intent x hidden x regulatory (zero weights dropped)."""

    intent: np.ndarray       # int
    hidden: np.ndarray       # bool
    regulatory: np.ndarray   # bool
    weight: np.ndarray       # float, sums to 1 within the mixture


def traffic_mixture(traffic: Traffic, shares: np.ndarray | None = None) -> Mixture:
    """Components of the traffic (shares default to the intents' day-0 shares, before any drift)."""
    s = np.array([i.share for i in traffic.intents]) if shares is None else np.asarray(shares, float)
    hr = np.array([i.hidden_intent_rate for i in traffic.intents])
    rs = np.array([i.regulatory_share for i in traffic.intents])
    k, h, r = (a.ravel() for a in np.meshgrid(np.arange(len(s)), [False, True], [False, True], indexing="ij"))
    w = s[k] * np.where(h, hr[k], 1 - hr[k]) * np.where(r, rs[k], 1 - rs[k])
    keep = w > 0
    return Mixture(k[keep], h[keep], r[keep], w[keep] / w[keep].sum())


def _logits(skill: float, q: Quality, traffic: Traffic, mix: Mixture, hidden_scale: float = 1.0) -> np.ndarray:
    """(components, tail nodes) quality logit skill - difficulty - penalties."""
    t, _ = tail_rule(traffic.difficulty.tail_index, traffic.difficulty.scale)
    base = np.array([i.base_difficulty for i in traffic.intents])[mix.intent]
    pen = q.hidden_intent_penalty * hidden_scale * mix.hidden + q.regulatory_penalty * mix.regulatory
    return skill - (base + pen)[:, None] - t[None, :]


def expected_accuracy(skill: float, q: Quality, traffic: Traffic, mix: Mixture | None = None) -> float:
    """Mean P(correct) of a model with `skill` and quality `q` on the traffic mix."""
    mix = traffic_mixture(traffic) if mix is None else mix
    _, wt = tail_rule(traffic.difficulty.tail_index, traffic.difficulty.scale)
    p = quality_curve(_logits(skill, q, traffic, mix), q.floor, q.ceiling)
    return float(mix.weight @ (p @ wt))


def _solve(f, lo: float, hi: float, target: float, what: str, unit: str) -> float:
    """The root of the monotone f(x) = target in [lo, hi], or a ValueError saying what is reachable."""
    flo, fhi = f(lo), f(hi)
    if not min(flo, fhi) < target < max(flo, fhi):
        raise ValueError(f"{what}: {target:g} is not reachable (between {min(flo, fhi):.4g} and "
                         f"{max(flo, fhi):.4g} for {unit} in [{lo:g}, {hi:g}])")
    return _illinois(lambda x: f(x) - target, lo, hi, flo - target, fhi - target)


def _illinois(g, a: float, b: float, ga: float, gb: float, tol: float = 1e-11) -> float:
    """A root of g in [a, b] (g(a), g(b) of opposite signs) by the Illinois variant of regula falsi, with a
    bisection step whenever it stalls; deterministic and free of scipy.optimize's import time."""
    side = 0
    for _ in range(200):
        x = b - gb * (b - a) / (gb - ga)
        if not min(a, b) < x < max(a, b):
            x = 0.5 * (a + b)
        gx = g(x)
        if gx == 0.0 or abs(b - a) < tol:
            return float(x)
        if (gx > 0) == (gb > 0):
            b, gb = x, gx
            if side == -1:
                ga *= 0.5
            side = -1
        else:
            a, ga = x, gx
            if side == 1:
                gb *= 0.5
            side = 1
        if abs(b - a) < tol:
            break
    return float(0.5 * (a + b))


def solve_skill(accuracy: float, q: Quality, traffic: Traffic, path: str) -> float:
    """The skill whose expected accuracy on the traffic is `accuracy`."""
    mix = traffic_mixture(traffic)
    return _solve(lambda x: expected_accuracy(x, q, traffic, mix), *SKILL_RANGE, accuracy,
                  f"{path}.accuracy", "skill")


class _ConfidenceTerms:
    """A model's confidence over the traffic, precomputed for the solves: P(correct) and the confidence logits
    of correct, confident-wrong and hedged-wrong answers before bias and error awareness."""

    def __init__(self, m: Model, skill: float, traffic: Traffic):
        mix = traffic_mixture(traffic)
        _, wt = tail_rule(traffic.difficulty.tail_index, traffic.difficulty.scale)
        c, q, f = m.confidence, m.quality, m.failure
        self.w = mix.weight[:, None] * wt[None, :]
        self.p = quality_curve(_logits(skill, q, traffic, mix), q.floor, q.ceiling)
        self.mu = c.slope * _logits(skill, q, traffic, mix, c.hidden_awareness)
        self.aware = np.where(mix.hidden, c.hidden_awareness, 1.0)[:, None]
        cs_hidden = f.confident_share if f.confident_share_hidden is None else f.confident_share_hidden
        self.cs = np.where(mix.hidden, cs_hidden, f.confident_share)[:, None]
        self.hedge, self.sd = c.hedge_drop, c.noise_sd
        self.z, self.wz = normal_rule()

    def _wrong(self, bias: float, awareness: float) -> tuple[np.ndarray, np.ndarray]:
        mc = self.mu + bias - awareness * self.aware
        return mc, mc - self.hedge

    def share_below(self, bias: float, awareness: float, confidence: float) -> float:
        """Share of wrong answers whose confidence is below `confidence`."""
        mc, mh = self._wrong(bias, awareness)
        cut = float(logit(confidence))
        below = lambda mu: ndtr((cut - mu) / self.sd) if self.sd > 0 else (mu < cut).astype(float)  # noqa: E731
        share = self.cs * below(mc) + (1 - self.cs) * below(mh)
        wrong = self.w * (1 - self.p)
        return float((wrong * share).sum() / wrong.sum())

    def mean(self, bias: float, awareness: float) -> float:
        """Mean self-reported confidence."""
        mc, mh = self._wrong(bias, awareness)
        e = lambda x: expit(x[..., None] + self.sd * self.z) @ self.wz  # noqa: E731
        right = self.p * e(self.mu + bias)
        wrong = (1 - self.p) * (self.cs * e(mc) + (1 - self.cs) * e(mh))
        return float((self.w * (right + wrong)).sum())


def wrong_share_below(m: Model, skill: float, traffic: Traffic, bias: float, awareness: float,
                      confidence: float) -> float:
    """Share of the model's wrong answers whose self-reported confidence is below `confidence`."""
    return _ConfidenceTerms(m, skill, traffic).share_below(bias, awareness, confidence)


def mean_confidence(m: Model, skill: float, traffic: Traffic, bias: float, awareness: float) -> float:
    """Mean self-reported confidence of the model over the traffic."""
    return _ConfidenceTerms(m, skill, traffic).mean(bias, awareness)


def solve_confidence(m: Model, skill: float, traffic: Traffic, path: str) -> dict[str, float]:
    """`bias` from `mean_confidence` and/or `error_awareness` from `wrong_below`, jointly when both are given
    (the awareness is searched with the bias re-solved at each step)."""
    c = m.confidence
    if c.mean_confidence is None and c.wrong_below is None:
        return {}
    where = f"{path}.confidence"
    terms = _ConfidenceTerms(m, skill, traffic)

    def bias_for(aw: float) -> float:
        if c.mean_confidence is None:
            return c.bias
        return _solve(lambda b: terms.mean(b, aw), *BIAS_RANGE, c.mean_confidence,
                      f"{where}.mean_confidence", "bias")

    out: dict[str, float] = {}
    aw = c.error_awareness
    if c.wrong_below is not None:
        wb = c.wrong_below
        aw = out["error_awareness"] = _solve(lambda a: terms.share_below(bias_for(a), a, wb.confidence),
                                             *AWARENESS_RANGE, wb.share, f"{where}.wrong_below.share",
                                             "error_awareness")
    if c.mean_confidence is not None:
        out["bias"] = bias_for(aw)
    return out


def needs_resolution(models: tuple[Model, ...]) -> bool:
    """Whether any model states quality or confidence in measurable units."""
    return any(m.quality.accuracy is not None or m.confidence.mean_confidence is not None
               or m.confidence.wrong_below is not None for m in models)


def resolved_models(models: tuple[Model, ...], traffic: Traffic) -> list[dict]:
    """Every model as data with the measurable figures replaced by the solved logit-unit parameters; all
    problems are raised together, one line each, named by YAML path."""
    out, errors = [], []
    for i, m in enumerate(models):
        path = f"models[{i}]"
        data = m.model_dump(mode="json")
        try:
            skill = m.quality.skill
            if m.quality.accuracy is not None:
                skill = solve_skill(m.quality.accuracy, m.quality, traffic, f"{path}.quality")
                data["quality"]["skill"] = skill
            assert skill is not None  # guaranteed by Quality's validator
            data["confidence"].update(solve_confidence(m, skill, traffic, path))
        except ValueError as e:
            errors.append(str(e))
        out.append(data)
    if errors:
        raise ValueError("\n".join(errors))
    return out
