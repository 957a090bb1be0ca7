"""The feedback side of a log fit: one factor on every outcome's thumbs-down probability so that the fitted
world's rate on the logged mix matches the logs', and the day-to-day log-sd of that rate (maximum likelihood on
daily counts, the day factor integrated out by Gauss-Hermite quadrature)."""
from __future__ import annotations

import math

import numpy as np
import polars as pl
from scipy.optimize import minimize
from scipy.special import gammaln, logsumexp

from ..rng import Streams
from ..scenario.loader import scenario_from_dict
from ..scenario.schema import Scenario
from ..world.drift import DriftSchedule
from ..world.outcomes import ModelBank
from ..world.traffic import SurfaceGeometry, TrafficModel
from .log_estimates import Estimate, Out, fmt_n, fmt_se, num, sig
from .scenario_writer import apply_records

OUTCOME_KEYS = ("correct", "wrong_hedged", "wrong_confident")
MIN_DAYS_FOR_SD = 7  # days of feedback needed to fit the thumbs-down day factor
THUMBS_DRAWS = 200_000  # queries drawn to find the fitted world's outcome mix for the thumbs-down scale
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(40)
_GH = (_GH_X, _GH_W / _GH_W.sum())  # standard-normal nodes and weights


def fit_thumbs(f: pl.DataFrame, base: Scenario, out: Out) -> None:
    """Scale every outcome's thumbs-down probability by one factor, so that the fitted world's thumbs-down
    rate on the logged model mix equals the logs'; the split by outcome stays the base scenario's."""
    t = f.filter(pl.col("thumbs_down").is_not_null())
    if t.height == 0:
        out.notes.append("feedback not logged: thumbs-down probabilities keep the base scenario's")
        return
    n = t.height
    rate = num(t["thumbs_down"].cast(pl.Float64).mean())
    per = t.group_by("date").agg(pl.len().alias("n"), pl.col("thumbs_down").cast(pl.Float64).sum().alias("k"))
    nd, kd = per["n"].to_numpy().astype(float), per["k"].to_numpy().astype(float)
    days = len(nd)
    se = (math.sqrt(float(((kd - rate * nd) ** 2).sum()) * days / max(days - 1, 1)) / n if days > 1
          else math.sqrt(rate * (1 - rate) / n))
    fit_thumbs_day_sd(nd, kd, rate, out)
    implied = _implied_thumbs(t, base, out)
    factor = rate / implied if implied > 0 else float("nan")
    out.estimates["thumbs_down_rate"] = Estimate(rate, se, n)
    if not np.isfinite(factor):
        out.notes.append("thumbs-down: the base scenario implies no thumbs-down; probabilities not fitted")
        return
    out.estimates["thumbs_down_factor"] = Estimate(factor, factor * se / rate if rate else math.nan, n)
    for key in OUTCOME_KEYS:
        p0 = getattr(base.reactions, key).thumbs_down_probability
        p = min(1.0, p0 * factor)
        out.add(f"reactions.{key}.thumbs_down_probability", sig(p, 4),
                f"fitted: x{factor:.3f} on {p0:g} so the world's thumbs-down rate matches the logs' "
                f"{1000 * rate:.2f}/1k (n={fmt_n(n)}, se {1000 * se:.2g}/1k); the split by outcome is an assumption")


def day_factor_nll(theta: np.ndarray, nd: np.ndarray, kd: np.ndarray) -> float:
    """Negative log-likelihood of daily counts k_d ~ Poisson(n_d p F_d), log F_d ~ N(-sd^2/2, sd^2), with the
    day factor integrated out by Gauss-Hermite quadrature; theta = (log p, log sd)."""
    p, sd = math.exp(theta[0]), math.exp(theta[1])
    z, w = _GH
    lam = nd[:, None] * p * np.exp(sd * z[None, :] - sd * sd / 2)
    logf = kd[:, None] * np.log(lam) - lam - gammaln(kd + 1)[:, None]
    return -float(logsumexp(logf, b=w[None, :], axis=1).sum())


def fit_thumbs_day_sd(nd: np.ndarray, kd: np.ndarray, rate: float, out: Out) -> None:
    """The day-to-day log-sd of thumbs-down probabilities (a mean-1 lognormal factor shared by a day's users),
    by maximum likelihood on daily counts; se from the curvature of the profile in log sd."""
    days = len(nd)
    if days < MIN_DAYS_FOR_SD or rate <= 0:
        out.notes.append(f"thumbs-down day factor: needs {MIN_DAYS_FOR_SD}+ days of feedback; not fitted")
        return
    start = np.array([math.log(rate), math.log(0.2)])
    res = minimize(day_factor_nll, start, args=(nd, kd), method="Nelder-Mead",
                   options={"xatol": 1e-6, "fatol": 1e-9, "maxiter": 2000})
    sd = math.exp(res.x[1])
    if sd < 1e-3:
        sd, se = 0.0, math.nan
    else:
        h = 1e-3
        f0, fp, fm = (day_factor_nll(res.x + np.array([0.0, d]), nd, kd) for d in (0.0, h, -h))
        curv = (fp - 2 * f0 + fm) / (h * h)
        se = sd / math.sqrt(curv) if curv > 0 else math.nan  # delta method from log sd
    sd = min(sd, 3.0)
    out.add("reactions.thumbs_down_daily_sd", sig(sd, 3),
            f"fitted: log-sd {sd:.3f} of a day factor shared by all users, maximum likelihood on daily "
            f"thumbs-down counts over {days} days (se {fmt_se(se)})", Estimate(sd, se, days))


def _implied_thumbs(t: pl.DataFrame, base: Scenario, out: Out) -> float:
    """Thumbs-down rate the base scenario's reactions give on the logged mix of models and intents, with the
    fitted traffic, before frustration skew and day factors (mean 1)."""
    world = scenario_from_dict(apply_records(base, out.records), source="<fitted>")
    streams = Streams(world.seed)
    traffic = TrafficModel(world, SurfaceGeometry(world, streams.generator("fit:taxonomy")))
    params = DriftSchedule(world).at(0.5)
    rng = streams.generator("fit:thumbs")
    q = traffic.draw(rng, THUMBS_DRAWS, params)
    o = ModelBank(world).draw(rng, q, params)
    probs = np.array([getattr(world.reactions, k).thumbs_down_probability for k in OUTCOME_KEYS])
    p = (o.correct * probs[0] + (~o.correct & ~o.confident) * probs[1] + (~o.correct & o.confident) * probs[2])
    names = [m.name for m in world.models]
    intents = [i.name for i in world.traffic.intents]
    k = len(intents)
    drawn = np.bincount(q.intent, minlength=k).astype(np.float64)
    sums = np.stack([np.bincount(q.intent, weights=p[m], minlength=k) for m in range(len(names))])
    cell = sums / np.maximum(drawn, 1.0)[None, :]  # P(thumbs) by model x intent
    by = ["model", "intent"] if t["intent"].null_count() < t.height else ["model"]
    calls = t.group_by(by).len()
    w = np.zeros((len(names), k))
    for row in calls.iter_rows(named=True):
        j = names.index(row["model"])
        if "intent" in row and row["intent"] in intents:
            w[j, intents.index(row["intent"])] += row["len"]
        else:
            w[j] += row["len"] * drawn / drawn.sum()
    return float((cell * w).sum() / w.sum())
