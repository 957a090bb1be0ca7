"""The held-out comparison: the fitted world simulated (a synthetic eval, synthetic logs) against the data the
fit did not see, one row per compared quantity, each with a pass/flag against its stated tolerance.

Rules (also written in every check's `rule`):
- accuracy per model and intent, and confidence reliability per model and confidence bin: the difference
  observed - simulated must lie within 1.96 se, se^2 = p(1 - p)(1/n_held + 1/n_sim + 1/n_cal) with p the
  simulated accuracy; the 1/n_cal term is the fitted world's own sampling error (its per-intent parameters
  rest on the calibration rows), approximated by the calibration part's binomial variance.
- joint outcome table per intent (both right / only cheap / only capable / both wrong): Pearson X^2 of the
  held-out counts against the simulated shares, p-value by parametric bootstrap (shares redrawn from a
  Dirichlet with n_eff = 1/(1/n_sim + 1/n_cal) for the prediction's error, then held-out tables drawn from
  the multinomial), so small subjects need no chi-square approximation; pass when p >= 0.05.
- tokens (input per intent, output per intent and model) and latency per model: two-sample KS statistic D
  (the same on the log scale); pass when D <= max(5% critical value, 0.05).
- arrivals per weekday: held-out queries against fitted rate x seasonality x days, within 1.96 sd with the
  variance of the count (Poisson, or the calibration days' own day-to-day variance when larger) plus that
  of the fitted weekday mean.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl
from scipy.stats import ks_2samp

from ..rng import Streams
from ..scenario.schema import Scenario
from .evals import JOINT, EvalFit
from .evalset import EvalSet, correct_col
from .logs import QUERY_GAP_S, LogFit, Out, _checked, _first_calls
from .logset import LogSet
from .synth import synth_eval
from .synth_logs import synth_logs

Z95 = 1.959964
KS_FLOOR = 0.05          # a gap of at most 5 percentile points between the CDFs passes whatever the sample size
KS_C95 = 1.358           # two-sample KS critical constant at 5%
P_JOINT = 0.05
JOINT_DRAWS = 4000
MIN_ROWS = 20            # fewer held-out (or simulated) rows than this: the row is not compared
SIM_EVAL_FACTOR, SIM_EVAL_CAP, SIM_EVAL_MIN = 20, 200_000, 2_000
SIM_LOG_DAYS_CAP = 56
CONFIDENCE_BINS = 10
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

ACC_RULE = ("|observed - simulated| <= 1.96 se, se^2 = p(1-p)(1/n_held + 1/n_sim + 1/n_cal), p simulated "
            "(n_cal: the fitted parameters' own sampling error)")
JOINT_RULE = ("Pearson X^2 of the held-out table against the simulated shares, p-value by parametric bootstrap "
              f"({JOINT_DRAWS} tables; shares redrawn with n_eff = 1/(1/n_sim + 1/n_cal)); pass when p >= {P_JOINT}")
KS_RULE = f"two-sample KS statistic D <= max(5% critical value, {KS_FLOOR})"
ARRIVAL_RULE = ("held-out queries within expected +- 1.96 sd; expected = fitted queries/day x seasonality x days, "
                "variance = count (Poisson or the calibration days' spread, whichever larger) + fitted mean's")


@dataclass(frozen=True)
class Check:
    """One kind of held-out comparison: its rule and a table with one row per compared quantity (`pass`)."""

    key: str
    title: str
    rule: str
    table: pl.DataFrame

    @property
    def passed(self) -> int:
        return int(self.table["pass"].sum()) if self.table.height else 0

    @property
    def total(self) -> int:
        return self.table.height


@dataclass(frozen=True)
class Comparison:
    """Every check of the held-out part, the assumed parameters, notes, and ECDF curves for the plots
    (quantiles of the held-out and simulated samples, keyed e.g. `latency:small`)."""

    checks: tuple[Check, ...]
    assumed: tuple[str, ...]
    notes: tuple[str, ...]
    sim: dict[str, int]
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    def check(self, key: str) -> Check | None:
        return next((c for c in self.checks if c.key == key), None)

    @property
    def passed(self) -> int:
        return sum(c.passed for c in self.checks)

    @property
    def total(self) -> int:
        return sum(c.total for c in self.checks)

    def headline(self) -> str:
        """One sentence: how many held-out checks pass, by kind."""
        if self.total == 0:
            return "No held-out checks: the held-out part has nothing to compare."
        parts = ", ".join(f"{c.title.lower()} {c.passed}/{c.total}" for c in self.checks if c.total)
        return (f"{self.passed} of {self.total} held-out checks pass ({self.passed / self.total:.0%}): {parts}; "
                f"{len(self.assumed)} parameters are assumed, not fitted.")


def _seed(seed: int, what: str) -> int:
    """A simulation seed of its own, so the simulated world shares no draws with data made from `seed`."""
    return int(Streams(seed).generator(f"fit:simulate:{what}").integers(0, 2 ** 31 - 1))


def compare(fitted: Scenario, eval_fit: EvalFit | None, ev_cal: EvalSet | None, ev_held: EvalSet | None,
            log_fit: LogFit | None, logs_cal: LogSet | None, logs_held: LogSet | None, *, seed: int,
            policy: str | None, assumed: tuple[str, ...], cheap: str | None = None,
            capable: str | None = None) -> Comparison:
    """Simulate the fitted world and compare it with the held-out eval and logs."""
    checks: list[Check] = []
    notes: list[str] = []
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    sim: dict[str, int] = {}
    if eval_fit is not None and ev_cal is not None and ev_held is not None and ev_held.frame.height:
        names = dict(zip(ev_held.models, eval_fit.models, strict=True))
        held, cal = _renamed(ev_held, names), _renamed(ev_cal, names)
        n_sim = min(SIM_EVAL_CAP, max(SIM_EVAL_FACTOR * held.height, SIM_EVAL_MIN))
        sim["eval_queries"] = n_sim
        simulated = synth_eval(fitted, n_sim, _seed(seed, "eval")).frame
        models = list(eval_fit.models)
        checks.append(Check("accuracy", "Accuracy", ACC_RULE, _accuracy(held, simulated, cal, models)))
        c, k = cheap or models[0], capable or models[-1]
        checks.append(Check("joint", "Joint outcomes", JOINT_RULE, _joint(held, simulated, cal, c, k, seed)))
        rel = _reliability(held, simulated, cal, [m for m in models if f"confidence:{m}" in held.columns])
        if rel is not None:
            checks.append(Check("reliability", "Confidence reliability", ACC_RULE, rel))
    if log_fit is not None and logs_held is not None and logs_held.frame.height:
        held_days = sorted(set(logs_held.frame["start_time"].dt.date().to_list()))
        days = min(SIM_LOG_DAYS_CAP, max(7, 2 * len(held_days)))
        name = policy or fitted.baseline.name
        sim["log_days"] = days
        simulated_logs = synth_logs(fitted, name, days, _seed(seed, "logs"))
        h, s = _checked(logs_held, fitted), _checked(simulated_logs, fitted)
        hq, sq = _first_calls(h, QUERY_GAP_S, Out()), _first_calls(s, QUERY_GAP_S, Out())
        tokens, tok_curves = _tokens(h, s, hq, sq)
        latency, lat_curves = _latency(h, s)
        curves.update(tok_curves)
        curves.update(lat_curves)
        checks.append(Check("tokens", "Tokens", KS_RULE, tokens))
        checks.append(Check("latency", "Latency", KS_RULE, latency))
        checks.append(Check("arrivals", "Arrivals by weekday", ARRIVAL_RULE,
                            _arrivals(hq, held_days, fitted, log_fit)))
        notes.append(f"logs simulated with policy '{name}' over {days} days")
    return Comparison(tuple(checks), assumed, tuple(notes), sim, curves)


# --- eval checks ---------------------------------------------------------------------------------------------

def _renamed(ev: EvalSet, names: dict[str, str]) -> pl.DataFrame:
    """The eval frame with per-model columns under the scenario's model names."""
    ren = {}
    for eid, name in names.items():
        for prefix in ("correct", "confidence"):
            if f"{prefix}:{eid}" in ev.frame.columns:
                ren[f"{prefix}:{eid}"] = f"{prefix}:{name}"
    return ev.frame.rename(ren)


def _counts(frame: pl.DataFrame, models: list[str], by: str = "intent") -> pl.DataFrame:
    """Per (by, model): rows graded and rows right."""
    long = (frame.select(by, *[pl.col(correct_col(m)).alias(m) for m in models])
            .unpivot(index=by, variable_name="model", value_name="c").drop_nulls("c"))
    return long.group_by(by, "model").agg(pl.len().alias("n"), pl.col("c").cast(pl.Int64).sum().alias("k"))


def _binomial_rows(held: pl.DataFrame, sim: pl.DataFrame, cal: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    """Join held/sim/cal counts on `on` and apply the accuracy rule."""
    t = (held.rename({"n": "n_held", "k": "k_held"})
         .join(sim.rename({"n": "n_sim", "k": "k_sim"}), on=on, how="left")
         .join(cal.rename({"n": "n_cal", "k": "k_cal"}), on=on, how="left")
         .with_columns(pl.col("n_sim", "k_sim", "n_cal", "k_cal").fill_null(0))
         .filter((pl.col("n_held") >= 1) & (pl.col("n_sim") >= MIN_ROWS)))
    p = (pl.col("k_sim") + 0.5) / (pl.col("n_sim") + 1)
    inv = 1 / pl.col("n_held") + 1 / pl.col("n_sim") + 1 / pl.max_horizontal(pl.col("n_cal"), 1)
    t = t.with_columns(observed=pl.col("k_held") / pl.col("n_held"), simulated=pl.col("k_sim") / pl.col("n_sim"),
                       se=(p * (1 - p) * inv).sqrt())
    t = t.with_columns(diff=pl.col("observed") - pl.col("simulated"))
    t = t.with_columns(lo=pl.col("diff") - Z95 * pl.col("se"), hi=pl.col("diff") + Z95 * pl.col("se"),
                       **{"pass": pl.col("diff").abs() <= Z95 * pl.col("se")})
    return t.sort(on).select(*on, "n_held", "observed", "n_sim", "simulated", "n_cal", "diff", "se", "lo", "hi",
                             "pass")


def _accuracy(held: pl.DataFrame, sim: pl.DataFrame, cal: pl.DataFrame, models: list[str]) -> pl.DataFrame:
    return _binomial_rows(_counts(held, models), _counts(sim, models), _counts(cal, models), ["intent", "model"])


def _joint_counts(frame: pl.DataFrame, cheap: str, capable: str) -> pl.DataFrame:
    c, k = pl.col(correct_col(cheap)), pl.col(correct_col(capable))
    cells = [c & k, c & ~k, ~c & k, ~c & ~k]
    return (frame.filter(c.is_not_null() & k.is_not_null())
            .group_by("intent").agg(pl.len().alias("n"),
                                    *[e.cast(pl.Int64).sum().alias(j) for e, j in zip(cells, JOINT, strict=True)]))


def _joint(held: pl.DataFrame, sim: pl.DataFrame, cal: pl.DataFrame, cheap: str, capable: str,
           seed: int) -> pl.DataFrame:
    """Per intent: held-out counts, simulated shares, X^2 and its bootstrap p-value."""
    h = _joint_counts(held, cheap, capable)
    s = _joint_counts(sim, cheap, capable).rename({"n": "n_sim", **{j: f"sim_{j}" for j in JOINT}})
    c = _joint_counts(cal, cheap, capable).select("intent", pl.col("n").alias("n_cal"))
    t = (h.join(s, on="intent", how="inner").join(c, on="intent", how="left").with_columns(pl.col("n_cal").fill_null(0))
         .filter(pl.col("n_sim") >= MIN_ROWS).sort("intent"))
    if t.height == 0:
        return pl.DataFrame(schema={"intent": pl.Utf8, "n_held": pl.Int64, "p_value": pl.Float64, "pass": pl.Boolean})
    obs = t.select(JOINT).to_numpy().astype(float)
    n = obs.sum(axis=1)
    sim_counts = t.select([f"sim_{j}" for j in JOINT]).to_numpy().astype(float)
    p = (sim_counts + 0.5) / (t["n_sim"].to_numpy()[:, None] + 2.0)
    n_eff = 1.0 / (1.0 / t["n_sim"].to_numpy() + 1.0 / np.maximum(t["n_cal"].to_numpy(), 1))
    stat = (((obs - n[:, None] * p) ** 2) / (n[:, None] * p)).sum(axis=1)
    rng = Streams(seed).generator("fit:checks:joint")
    g = rng.gamma(np.broadcast_to(n_eff[:, None] * p, (JOINT_DRAWS, *p.shape)))
    p_star = g / g.sum(axis=2, keepdims=True)
    tables = rng.multinomial(n.astype(np.int64)[None, :], p_star).astype(float)
    null = (((tables - n[None, :, None] * p[None]) ** 2) / (n[None, :, None] * p[None])).sum(axis=2)
    pval = (1.0 + (null >= stat[None, :] - 1e-9).sum(axis=0)) / (JOINT_DRAWS + 1.0)
    shares = {f"observed_{j}": obs[:, i] / n for i, j in enumerate(JOINT)}
    sims = {f"simulated_{j}": sim_counts[:, i] / t["n_sim"].to_numpy() for i, j in enumerate(JOINT)}
    return pl.DataFrame({"intent": t["intent"], "n_held": n.astype(np.int64), **shares, **sims,
                         "n_sim": t["n_sim"], "n_cal": t["n_cal"], "chi2": stat, "p_value": pval,
                         "pass": pval >= P_JOINT})


def _reliability(held: pl.DataFrame, sim: pl.DataFrame, cal: pl.DataFrame, models: list[str]) -> pl.DataFrame | None:
    """Per model and confidence bin: held-out accuracy against the simulated accuracy in the same bin."""
    if not models:
        return None

    def binned(frame: pl.DataFrame) -> pl.DataFrame:
        parts = []
        for m in models:
            b = (pl.col(f"confidence:{m}") * CONFIDENCE_BINS).floor().clip(0, CONFIDENCE_BINS - 1).cast(pl.Int64)
            parts.append(frame.filter(pl.col(f"confidence:{m}").is_not_null() & pl.col(correct_col(m)).is_not_null())
                         .group_by(b.alias("bin")).agg(pl.len().alias("n"),
                                                       pl.col(correct_col(m)).cast(pl.Int64).sum().alias("k"))
                         .with_columns(model=pl.lit(m)))
        return pl.concat(parts).select("model", "bin", "n", "k")

    t = _binomial_rows(binned(held), binned(sim), binned(cal), ["model", "bin"])
    t = t.filter(pl.col("n_held") >= MIN_ROWS)
    edges = pl.col("bin") / CONFIDENCE_BINS
    return t.with_columns(confidence=pl.format("{}-{}", edges.round(1), (edges + 1 / CONFIDENCE_BINS).round(1)))


# --- log checks ----------------------------------------------------------------------------------------------

def _quantiles(x: np.ndarray) -> np.ndarray:
    return np.quantile(x, np.linspace(0.0, 1.0, 101))


def _ks_row(a: np.ndarray, b: np.ndarray) -> dict:
    n, m = len(a), len(b)
    d = float(ks_2samp(a, b).statistic)
    tol = max(KS_C95 * math.sqrt((n + m) / (n * m)), KS_FLOOR)
    return {"n_held": n, "n_sim": m, "median_held": float(np.median(a)), "median_sim": float(np.median(b)),
            "ks": d, "tolerance": tol, "pass": d <= tol}


def _groups(f: pl.DataFrame, by: list[str], value: pl.Expr) -> dict[tuple, np.ndarray]:
    """Positive values of `value` per group of `by` (a missing key reads `*`)."""
    g = f.with_columns(value.alias("_v"), *[pl.col(c).fill_null("*") for c in by])
    agg = g.filter(pl.col("_v").is_not_null() & (pl.col("_v") > 0)).group_by(by).agg(pl.col("_v")).sort(by)
    return {tuple(r[c] for c in by): np.sort(np.asarray(r["_v"], dtype=float)) for r in agg.iter_rows(named=True)}


def _tokens(h: pl.DataFrame, s: pl.DataFrame, hq: pl.DataFrame, sq: pl.DataFrame) -> tuple[pl.DataFrame, dict]:
    """Input tokens per intent (first call of each query) and output tokens per intent and model (every call)."""
    rows, curves = [], {}
    for kind, by, fh, fs in (("input", ["intent"], hq, sq), ("output", ["intent", "model"], h, s)):
        col = pl.col("tokens_in" if kind == "input" else "tokens_out").cast(pl.Float64)
        gh, gs = _groups(fh, by, col), _groups(fs, by, col)
        for key in sorted(gh):
            a, b = gh[key], gs.get(key)
            if b is None or len(a) < MIN_ROWS or len(b) < MIN_ROWS:
                continue
            rows.append({"tokens": kind, "intent": key[0], "model": key[1] if len(key) > 1 else "", **_ks_row(a, b)})
            curves[f"tokens_{kind}:{':'.join(key)}"] = (_quantiles(a), _quantiles(b))
    schema = {"tokens": pl.Utf8, "intent": pl.Utf8, "model": pl.Utf8, "n_held": pl.Int64, "n_sim": pl.Int64,
              "median_held": pl.Float64, "median_sim": pl.Float64, "ks": pl.Float64, "tolerance": pl.Float64,
              "pass": pl.Boolean}
    return pl.DataFrame(rows, schema=schema), curves


def _latency(h: pl.DataFrame, s: pl.DataFrame) -> tuple[pl.DataFrame, dict]:
    seconds = (pl.col("end_time") - pl.col("start_time")).dt.total_microseconds().cast(pl.Float64) / 1e6
    gh, gs = _groups(h, ["model"], seconds), _groups(s, ["model"], seconds)
    rows, curves = [], {}
    for key in sorted(gh):
        a, b = gh[key], gs.get(key)
        if b is None or len(a) < MIN_ROWS or len(b) < MIN_ROWS:
            continue
        rows.append({"model": key[0], **_ks_row(a, b)})
        curves[f"latency:{key[0]}"] = (_quantiles(a), _quantiles(b))
    schema = {"model": pl.Utf8, "n_held": pl.Int64, "n_sim": pl.Int64, "median_held": pl.Float64,
              "median_sim": pl.Float64, "ks": pl.Float64, "tolerance": pl.Float64, "pass": pl.Boolean}
    return pl.DataFrame(rows, schema=schema), curves


def _arrivals(hq: pl.DataFrame, held_days: list[date], fitted: Scenario, fit: LogFit) -> pl.DataFrame:
    """Held-out queries per weekday against the fitted rate x seasonality."""
    per = dict(hq.group_by("date").len().iter_rows())
    season = np.array(fitted.users.weekly_seasonality, dtype=float)
    season = season / season.mean()
    per_day = fitted.users.mau * fitted.users.queries_per_user_per_day
    rows = []
    for w in range(7):
        ds = [d for d in held_days if d.weekday() == w]
        if not ds:
            continue
        observed = float(sum(per.get(d, 0) for d in ds))
        day_mean = per_day * season[w]
        est = fit.estimates.get(f"users.weekly_seasonality[{w}]")
        if est is not None and est.value > 0:
            se_mean = est.se * day_mean / est.value
            var_day = max(day_mean, se_mean ** 2 * est.n)
        else:
            q = fit.estimates.get("users.queries_per_user_per_day")
            se_mean = day_mean * (q.se / q.value) if q is not None and q.value > 0 else 0.0
            var_day = day_mean
        expected = day_mean * len(ds)
        sd = math.sqrt(len(ds) * var_day + (len(ds) * se_mean) ** 2)
        rows.append({"weekday": WEEKDAYS[w], "days": len(ds), "observed": observed, "expected": expected,
                     "lo": expected - Z95 * sd, "hi": expected + Z95 * sd,
                     "pass": abs(observed - expected) <= Z95 * sd})
    schema = {"weekday": pl.Utf8, "days": pl.Int64, "observed": pl.Float64, "expected": pl.Float64,
              "lo": pl.Float64, "hi": pl.Float64, "pass": pl.Boolean}
    return pl.DataFrame(rows, schema=schema)


__all__ = ["Check", "Comparison", "compare"]
