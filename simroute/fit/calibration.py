"""Confidence calibration from an eval's recorded self-reported confidences: slope, bias, noise_sd and
error_awareness of each model by maximum likelihood of (correct, logit confidence), with the model's fitted
skill and intent difficulties held fixed (two-stage; standard errors are conditional on stage one).

The confidences are binned on the logit scale (fixed edges, so the fit is deterministic and its cost does not
grow with the rows); a bin's probability is a normal interval probability integrated over the difficulty.
The failure style (confident_share, hedge_drop) and hidden_awareness stay as stated: without labels of hedged
answers the eval cannot tell them apart from error_awareness.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import logit, ndtr

from ..scenario.measurable import quality_curve
from ..scenario.tiers import Confidence, FailureStyle, Quality
from .likelihood import Design

NAMES = ("slope", "bias", "noise_sd", "error_awareness")
EDGES = np.concatenate([[-np.inf], np.linspace(-8.0, 8.0, 41), [np.inf]])
_CLIP = 1e-4
BOUNDS = ((0.0, 20.0), (-10.0, 10.0), (0.02, 10.0), (0.0, 30.0))


@dataclass(frozen=True)
class Calibration:
    """Fitted confidence parameters of one model, their standard errors (nan on a bound), the rows used."""

    values: dict[str, float]
    se: dict[str, float]
    n: int


def fit_calibration(d: Design, m: int, cell_of_row: np.ndarray, correct: np.ndarray, confidence: np.ndarray,
                    skill: float, diff: np.ndarray, quality: Quality, failure: FailureStyle,
                    prior: Confidence) -> Calibration:
    """Maximise the binned likelihood of (correct, logit confidence) of model `m`'s rows."""
    ell = logit(np.clip(confidence, _CLIP, 1 - _CLIP))
    bins = np.clip(np.searchsorted(EDGES, ell, side="right") - 1, 0, len(EDGES) - 2)
    nb = len(EDGES) - 1
    counts = np.zeros((len(d.counts), 2, nb))
    np.add.at(counts, (cell_of_row, correct.astype(int), bins), 1.0)
    b = np.where(d.intent >= 0, diff[np.maximum(d.intent, 0)] if len(diff) else 0.0, 0.0)
    eta = skill - (b + d.offset[:, m])[:, None] - d.tail[None, :]                     # (C, T)
    perceived = eta + quality.hidden_intent_penalty * (1 - prior.hidden_awareness) * d.hidden[:, None]
    p = quality_curve(eta, quality.floor, quality.ceiling)
    cs_h = failure.confident_share if failure.confident_share_hidden is None else failure.confident_share_hidden
    cs = np.where(d.hidden, cs_h, failure.confident_share)[:, None, None]
    aware = np.where(d.hidden, prior.hidden_awareness, 1.0)[:, None, None]
    wp = (d.weight[:, None] * d.tail_w[None, :] * p)[:, :, None]                     # (C, T, 1)
    wq = (d.weight[:, None] * d.tail_w[None, :] * (1 - p))[:, :, None]

    def nll(x: np.ndarray) -> float:
        slope, bias, sd, aw = x
        mu = (slope * perceived + bias)[:, :, None]                                      # (C, T, 1)
        cdf = lambda mean: ndtr((EDGES[None, None, :] - mean) / sd)  # noqa: E731
        interval = lambda mean: np.diff(cdf(mean), axis=2)  # noqa: E731
        right = (wp * interval(mu)).sum(axis=1)                                          # (C, bins)
        mw = mu - aw * aware
        wrong = (wq * (cs * interval(mw) + (1 - cs) * interval(mw - prior.hedge_drop))).sum(axis=1)
        probs = np.zeros((len(d.counts), 2, nb))
        np.add.at(probs, d.cell, np.stack([wrong, right], axis=1))
        return float(-(counts * np.log(np.maximum(probs, 1e-300))).sum())

    x0 = np.array([max(prior.slope, 0.2), prior.bias, max(prior.noise_sd, 0.3), prior.error_awareness])
    res = minimize(nll, x0, method="L-BFGS-B", bounds=BOUNDS, options={"maxiter": 500, "ftol": 1e-13})
    se = _se(nll, res.x)
    return Calibration(dict(zip(NAMES, map(float, res.x), strict=True)), dict(zip(NAMES, se, strict=True)),
                       int(len(ell)))


def _se(f, x: np.ndarray, h: float = 1e-4) -> list[float]:
    """Standard errors from a finite-difference Hessian (nan for a parameter on its bound)."""
    k = len(x)
    free = [i for i, (lo, hi) in enumerate(BOUNDS) if lo + 1e-6 < x[i] < hi - 1e-6]
    hess = np.zeros((len(free), len(free)))
    for a, i in enumerate(free):
        for c, j in enumerate(free[a:], start=a):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            hess[a, c] = hess[c, a] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h * h)
    se = [float("nan")] * k
    if free:
        cov = np.linalg.pinv(hess)
        for a, i in enumerate(free):
            se[i] = float(np.sqrt(max(cov[a, a], 0.0)))
    return se
