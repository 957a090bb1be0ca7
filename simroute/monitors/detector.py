"""Alarms: a one-sided CUSUM per stratum against an in-control level set on a reference period, with a
threshold calibrated so the chance of any false alarm over the monitored window is the stated one.

Why parametric for counts (issue 15): resampling one no-drift run's 60-200 daily counts of a few events each
reproduces only the counts that happened, so the paths lack the binomial upper tail that drives the CUSUM's
maximum; thresholds came out low and 15% of no-drift runs alarmed against a stated 10%.

The same `increments` function serves the live run and the calibration's simulated in-control paths.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import stats
from ..scenario.monitors import Alarm

BOOTSTRAP_PATHS = 2000
BLOCK_DAYS = 7  # moving-block bootstrap: keeps a week of autocorrelation in the simulated in-control paths
MAX_P1 = 0.999
SLOPE_Z = 3.0  # a no-drift trend enters the calibration paths only beyond this many standard errors


def increments(n: np.ndarray, k: np.ndarray, ref: int, shift: float, distance: bool,
               odds: bool = False) -> np.ndarray:
    """CUSUM increments of the observations after the first `ref` ones (the reference), per path (rows).

    Binomial data: the log-likelihood ratio of a rate (1 + shift) x the reference rate, or, for a share
    (`odds`), of odds (1 + shift) x the reference odds. Distance data (n unused, k holds the values):
    standardised by the reference mean and sd, minus `shift`.
    """
    if distance:
        mu = k[..., :ref].mean(axis=-1, keepdims=True)
        sd = np.maximum(k[..., :ref].std(axis=-1, ddof=1, keepdims=True), 1e-12)
        return (k[..., ref:] - mu) / sd - shift
    trials = n[..., :ref].sum(axis=-1, keepdims=True)
    p0 = np.maximum(k[..., :ref].sum(axis=-1, keepdims=True), 0.5) / np.maximum(trials, 1)
    if odds:
        p0 = np.minimum(p0, MAX_P1)
        p1 = p0 * (1 + shift) / (p0 * (1 + shift) + 1 - p0)
    else:
        p0 = np.minimum(p0, MAX_P1 / (1 + shift))
        p1 = p0 * (1 + shift)
    return stats.bernoulli_llr(k[..., ref:], n[..., ref:], p0, p1)


def _trend(values: np.ndarray, weights: np.ndarray, binomial: bool) -> np.ndarray:
    """A no-drift run's slow in-control change (e.g. frustration building up after a rollout) as a weighted
    least-squares line, kept only when its slope is significant (|slope| > SLOPE_Z standard errors), so that
    simulated paths carry real trends but not a line fitted to noise. Weights are trials (binomial) or 1."""
    t = np.arange(len(values), dtype=float)
    w = weights / max(weights.sum(), 1e-12)
    tm, vm = (w * t).sum(), (w * values).sum()
    sxx = (weights * (t - tm) ** 2).sum()
    if sxx <= 0 or len(values) < 3:
        return np.full(len(values), vm)
    slope = (weights * (t - tm) * (values - vm)).sum() / sxx
    if binomial:
        var = vm * (1 - vm) / sxx
    else:
        resid = values - vm - slope * (t - tm)
        var = (resid ** 2).sum() / (len(values) - 2) / sxx
    if abs(slope) <= SLOPE_Z * np.sqrt(max(var, 0.0)):
        slope = 0.0
    return vm + slope * (t - tm)


def _blocks(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """BOOTSTRAP_PATHS series as long as `values`, made of randomly placed blocks of consecutive values."""
    t = len(values)
    b = min(BLOCK_DAYS, t)
    starts = rng.integers(0, t - b + 1, size=(BOOTSTRAP_PATHS, -(-t // b)))
    idx = (starts[:, :, None] + np.arange(b)[None, None, :]).reshape(BOOTSTRAP_PATHS, -1)[:, :t]
    return values[idx]


def overdispersion(n: np.ndarray, k: np.ndarray, p: np.ndarray) -> float:
    """Intra-day correlation rho of a beta-binomial by the method of moments: Var(k) = n p (1 - p) (1 + (n - 1)
    rho), from the mean Pearson dispersion of the days with trials; 0 when the counts are not overdispersed."""
    ok = (n > 1) & (p > 0) & (p < 1)
    if ok.sum() < 3:
        return 0.0
    phi = float(np.mean((k[ok] - n[ok] * p[ok]) ** 2 / (n[ok] * p[ok] * (1 - p[ok]))))
    return float(np.clip((phi - 1) / max(float(np.mean(n[ok])) - 1, 1.0), 0.0, 0.5))


def _beta_binomial_paths(n: np.ndarray, k: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """BOOTSTRAP_PATHS in-control count paths on the run's own daily trials: each day's rate from the run's
    (significant) trend, spread by the run's overdispersion (beta-binomial), counts drawn binomially — whole
    counts with binomial tails, which resampling a few dozen small daily counts would cut off."""
    n = n.astype(float)
    rate = k / np.maximum(n, 1)
    p = np.clip(_trend(rate, n, binomial=True), 1e-6, 1 - 1e-6)
    rho = overdispersion(n, k, p)
    sim_n = np.broadcast_to(n, (BOOTSTRAP_PATHS, len(n)))
    pp = np.broadcast_to(p, sim_n.shape)
    if rho > 0:
        a = pp * (1 / rho - 1)
        pp = rng.beta(a, (1 - pp) * (1 / rho - 1))
    return sim_n, rng.binomial(sim_n.astype(np.int64), pp).astype(float)


def calibrate(n: np.ndarray, k: np.ndarray, ref: int, alarm: Alarm, distance: bool, strata: int,
              rng: np.random.Generator, odds: bool = False) -> float:
    """Threshold from in-control data of one stratum (a no-drift run): simulate paths like it and take the
    quantile of the path maximum that gives the stated chance of any false alarm, split across strata.
    Counts: beta-binomial paths around the run's (significant) trend with its overdispersion (review samples
    and tier shares are near-independent day to day). Distances: the run's trend plus its residuals resampled
    in week-long blocks, which keeps their autocorrelation (a day's thumbs factor, frustration building up)."""
    if len(n) <= ref:
        return float("inf")
    if distance:
        trend = _trend(k, np.ones_like(k), binomial=False)
        sim_k = trend + _blocks(k - trend, rng)
        sim_n = np.zeros_like(sim_k)
    else:
        sim_n, sim_k = _beta_binomial_paths(n, k, rng)
    inc = increments(sim_n, sim_k, ref, alarm.shift, distance, odds)
    return stats.threshold_for_false_alarm(inc, alarm.false_alarm_probability / strata)


@dataclass
class Stratum:
    """One stratum's observations (day, trials, events-or-value)."""

    days: list[int] = field(default_factory=list)
    n: list[float] = field(default_factory=list)
    k: list[float] = field(default_factory=list)


@dataclass
class Detector:
    """Runs the CUSUM of every stratum of one monitor as observations arrive."""

    alarm: Alarm
    distance: bool
    start_day: int
    odds: bool = False
    thresholds: dict[str, float] = field(default_factory=dict)
    strata: dict[str, Stratum] = field(default_factory=dict)
    alarms: list[tuple[int, str]] = field(default_factory=list)
    statistic: list[tuple[int, str, float]] = field(default_factory=list)
    _reset: dict[str, int] = field(default_factory=dict)

    def reference_count(self, stratum: Stratum, origin: int) -> int:
        """How many of the stratum's observations from index `origin` on fall in the reference period that
        starts at the monitoring start (or, after an alarm, at the first observation after it)."""
        days = stratum.days[origin:]
        start = self.start_day if origin == 0 else days[0] if days else 0
        return sum(d < start + self.alarm.reference_days for d in days)

    def update(self, day: int, obs: dict) -> bool:
        """Add the day's observation; True when any stratum alarms today."""
        fired = False
        for name, value in obs.items():
            st = self.strata.setdefault(name, Stratum())
            n, k = (0.0, value) if self.distance else value
            st.days.append(day)
            st.n.append(n)
            st.k.append(k)
            fired |= self._check(day, name, st)
        return fired

    def _check(self, day: int, name: str, st: Stratum) -> bool:
        """CUSUM since the current in-control level; after an alarm the team re-baselines: the next
        `reference_days` of observations set a new level before testing resumes."""
        origin = self._reset.get(name, 0)
        ref = self.reference_count(st, origin)
        if len(st.days) - origin <= ref:
            return False
        h = self.thresholds.get(name, self.alarm.threshold if self.alarm.threshold is not None else np.inf)
        inc = increments(np.array(st.n[origin:]), np.array(st.k[origin:]), ref, self.alarm.shift,
                         self.distance, self.odds)
        s, _ = stats.cusum(inc[None, :], np.inf, reset=False)
        value = float(s[0, -1])
        self.statistic.append((day, name, value))
        if value > h:
            self.alarms.append((day, name))
            self._reset[name] = len(st.days)
            return True
        return False
