"""Fit the traffic, user and operational side of a scenario from production logs.

Every estimate is a maximum-likelihood or least-squares fit under simroute's own world model (lognormal
tokens and latency, Poisson arrivals from uniformly drawn users, linear prices), so that logs drawn from a
scenario (`synth_logs`) give back its parameters. Each result is a `FittedValue` whose comment states the
estimate, its sample size and standard error.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

import numpy as np
import polars as pl
from scipy.optimize import brentq, minimize, nnls
from scipy.special import gammaln, logsumexp

from ..errors import SimrouteError
from ..rng import Streams
from ..scenario.loader import scenario_from_dict
from ..scenario.schema import Scenario
from ..world.drift import DriftSchedule
from ..world.outcomes import ModelBank
from ..world.traffic import SurfaceGeometry, TrafficModel
from .logset import LOG_SCHEMA, LogSet
from .records import FittedValue
from .scenario_writer import apply_records

REQUIRED = ("start_time", "model", "tokens_in", "tokens_out")
QUERY_GAP_S = 2.0  # a call starting this soon after the same user's previous call ended continues its query
EDGE_GAPS = 8.0  # an edge day whose first/last query is further from midnight than this many mean gaps is partial
OUTCOME_KEYS = ("correct", "wrong_hedged", "wrong_confident")
MIN_DAYS_FOR_SD = 7  # days of feedback needed to fit the thumbs-down day factor
THUMBS_DRAWS = 200_000  # queries drawn to find the fitted world's outcome mix for the thumbs-down scale
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(40)
_GH = (_GH_X, _GH_W / _GH_W.sum())  # standard-normal nodes and weights


class LogFitError(SimrouteError):
    """Logs that cannot be fitted (missing columns, no rows, models the base scenario does not have)."""


@dataclass(frozen=True)
class Estimate:
    """A fitted number with its standard error and sample size (kept unrounded, for checks and reports)."""

    value: float
    se: float
    n: int


@dataclass(frozen=True)
class LogFit:
    """What the logs say: records for the scenario writer, the raw estimates by YAML path, and notes on what
    could not be fitted and why."""

    records: tuple[FittedValue, ...]
    estimates: dict[str, Estimate]
    notes: tuple[str, ...] = ()


@dataclass
class _Out:
    records: list[FittedValue] = field(default_factory=list)
    estimates: dict[str, Estimate] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, path: str, value, comment: str, est: Estimate | None = None) -> None:
        self.records.append(FittedValue(path, value, comment))
        if est is not None:
            self.estimates[path] = est


def _num(x: Any) -> float:
    """A polars scalar aggregate as a float (0 for an empty column)."""
    return 0.0 if x is None else float(x)


def fmt_n(n: int) -> str:
    """12,345."""
    return f"{int(n):,}"


def fmt_se(se: float) -> str:
    """A standard error to two significant digits."""
    if not np.isfinite(se):
        return "n/a"
    return "0" if se == 0 else f"{se:.2g}"


def sig(x: float, digits: int = 4) -> float:
    """`x` rounded to `digits` significant digits (what the scenario file shows)."""
    if x == 0 or not np.isfinite(x):
        return float(x)
    return float(round(x, digits - 1 - math.floor(math.log10(abs(x)))))


def fit_logs(logs: LogSet, base: Scenario, *, reference_model: str | None = None,
             query_gap_s: float = QUERY_GAP_S) -> LogFit:
    """Fit arrivals, seasonality, users, intent shares, tokens, output lengths, latency, prices and the
    thumbs-down rate from `logs`; `base` supplies the models (by name) and everything the logs cannot say.

    Calls of one user (or session) that start within `query_gap_s` seconds of the previous call's end are one
    query (a cascade's escalation, an agent's chain): arrivals, users, intent shares and input tokens count
    queries; output tokens, latency and prices count calls.

    `reference_model` keeps its output-length multiplier from `base` and the other models' multipliers are
    fitted relative to it (default: the baseline policy's model when logged, else the most-called model).
    """
    frame = _checked(logs, base)
    out = _Out()
    models = [m.name for m in base.models]
    queries = _first_calls(frame, query_gap_s, out)
    intents = _fit_intents(queries, base, out, logs.source)
    _fit_arrivals(queries, base, out)
    _fit_tokens(queries, frame, base, intents, models, reference_model, out)
    _fit_latency(frame, models, out)
    _fit_prices(frame, models, out)
    _fit_thumbs(frame, base, out)
    return LogFit(tuple(out.records), out.estimates, tuple(out.notes))


def _first_calls(f: pl.DataFrame, gap_s: float, out: _Out) -> pl.DataFrame:
    """The first call of every query: a call starts a new query unless the same user (else session) made a
    call that ended at most `gap_s` seconds before it started."""
    who = pl.coalesce(pl.col("user_id"), pl.col("session_id"))
    keyed = f.with_row_index("_row").with_columns(who.alias("_who"))
    if keyed["_who"].null_count() == keyed.height:
        return f
    s = keyed.filter(pl.col("_who").is_not_null()).sort(["_who", "start_time"])
    prev_end = pl.coalesce(pl.col("end_time"), pl.col("start_time")).shift(1)
    chained = ((pl.col("_who") == pl.col("_who").shift(1))
               & (pl.col("start_time") <= prev_end + pl.duration(microseconds=int(gap_s * 1e6))))
    later = s.filter(chained.fill_null(False))["_row"]
    if later.len():
        out.notes.append(f"{later.len():,} calls chained to an earlier call of the same user within {gap_s:g} s "
                         f"count as one query with it (cascade escalations, agent steps)")
    return keyed.filter(~pl.col("_row").is_in(later.implode())).drop("_row", "_who")


def _checked(logs: LogSet, base: Scenario) -> pl.DataFrame:
    """The frame with every schema column present (missing optional ones as nulls), or a LogFitError."""
    f = logs.frame
    missing = [c for c in REQUIRED if c not in f.columns]
    if missing:
        raise LogFitError(f"{logs.source}: missing column(s) {', '.join(missing)} (required: {', '.join(REQUIRED)})")
    if f.height == 0:
        raise LogFitError(f"{logs.source}: no rows to fit")
    extra = [pl.lit(None, dtype=t).alias(c) for c, t in LOG_SCHEMA.items() if c not in f.columns]
    f = f.with_columns(extra).select(list(LOG_SCHEMA))
    known = {m.name for m in base.models}
    unknown = sorted(set(f["model"].drop_nulls().unique().to_list()) - known)
    if unknown:
        raise LogFitError(f"{logs.source}: column model: unknown model(s) {', '.join(map(repr, unknown))} "
                          f"(the base scenario's models: {', '.join(sorted(known))})")
    return f.filter(pl.col("model").is_not_null()).with_columns(pl.col("start_time").dt.date().alias("date"))


# --- intents ---------------------------------------------------------------------------------------------

def _fit_intents(f: pl.DataFrame, base: Scenario, out: _Out, src: str) -> list[str] | None:
    """Intent shares (multinomial MLE) when intents are logged; the fitted intent list, or None."""
    labelled = f.filter(pl.col("intent").is_not_null())
    if labelled.height == 0:
        out.notes.append("intent not logged: intents, shares and per-intent tokens keep the base scenario's")
        return None
    if labelled.height < f.height:
        out.notes.append(f"{f.height - labelled.height} calls without an intent are left out of the shares")
    counts = labelled.group_by("intent").len().sort(["len", "intent"], descending=[True, False])
    by_name = dict(zip(counts["intent"].to_list(), counts["len"].to_list(), strict=True))
    known = [i.name for i in base.traffic.intents if i.name in by_name]
    names = known + [n for n in counts["intent"].to_list() if n not in known]
    n = labelled.height
    shares = [by_name[k] / n for k in names]
    out.add("traffic.intents", names, f"fitted: the {len(names)} intents logged in {src}")
    for i, (name, p, r) in enumerate(zip(names, shares, _rounded_shares(shares), strict=True)):
        se = math.sqrt(p * (1 - p) / n)
        out.add(f"traffic.intents[{i}].share", r,
                f"fitted: share of {name} {p:.4f} from logs (n={fmt_n(n)}, se {fmt_se(se)})", Estimate(p, se, n))
    new = [n for n in names if n not in known]
    if new:
        out.notes.append(f"intents new to the base scenario: {', '.join(new)} (surface_class simple, difficulty and "
                         f"hidden-intent rate at defaults: assumptions)")
    dropped = [i.name for i in base.traffic.intents if i.name not in by_name]
    if dropped:
        out.notes.append(f"base intents not in the logs, dropped: {', '.join(dropped)}")
    return names


def _rounded_shares(shares: list[float], decimals: int = 4) -> list[float]:
    """Shares rounded to `decimals` that still sum to exactly 1 (largest remainders get the last units)."""
    unit = 10 ** decimals
    raw = np.asarray(shares) * unit
    floor = np.floor(raw).astype(np.int64)
    short = unit - int(floor.sum())
    order = np.argsort(-(raw - floor), kind="stable")
    floor[order[:short]] += 1
    return [float(x) / unit for x in floor]


# --- arrivals and users -------------------------------------------------------------------------------------

def _daily(f: pl.DataFrame) -> pl.DataFrame:
    """Queries per UTC date over the full span (days without any count 0), without partial edge days.

    The first (last) date counts only when its first (last) query falls within EDGE_GAPS mean gaps of that
    day's rate of midnight, as on a day the logs cover whole; otherwise the export began (ended) mid-day.
    """
    seconds = (pl.col("start_time") - pl.col("start_time").dt.truncate("1d")).dt.total_microseconds() / 1e6
    per = f.group_by("date").agg(pl.len(), seconds.min().alias("first_s"), seconds.max().alias("last_s"))
    lo, hi = cast(date, per["date"].min()), cast(date, per["date"].max())
    span = pl.DataFrame({"date": pl.date_range(lo, hi, "1d", eager=True)})
    days = span.join(per, on="date", how="left").with_columns(pl.col("len").fill_null(0)).sort("date")
    keep = np.ones(days.height, dtype=bool)
    if days.height > 2:
        for k, gap in ((0, days["first_s"][0]), (-1, 86_400.0 - days["last_s"][-1])):
            keep[k] = gap <= EDGE_GAPS * 86_400.0 / days["len"][k]
    return days.filter(pl.Series(keep)).with_columns(pl.col("date").dt.weekday().alias("weekday"))


def _fit_arrivals(f: pl.DataFrame, base: Scenario, out: _Out) -> None:
    """Weekly seasonality, arrivals per day, and (from user ids) the user population and queries per user."""
    days = _daily(f)
    t = days.height
    wk = days.group_by("weekday").agg(pl.col("len").mean().alias("m"), pl.col("len").var().alias("v"),
                                      pl.len().alias("k")).sort("weekday")
    if wk.height == 7:
        m = wk["m"].to_numpy().astype(float)
        var = np.nan_to_num(wk["v"].to_numpy().astype(float), nan=0.0)
        se_m = np.sqrt(np.maximum(var, m) / wk["k"].to_numpy())
        per_day = float(m.mean())
        mult, se = m / per_day, se_m / per_day
        rounded = [sig(x, 4) for x in mult]
        out.add("users.weekly_seasonality", rounded,
                f"fitted: mean calls per weekday / mean over the week, Monday..Sunday, from {t} days of logs "
                f"(se {'/'.join(fmt_se(s) for s in se)})")
        for i in range(7):
            out.estimates[f"users.weekly_seasonality[{i}]"] = Estimate(float(mult[i]), float(se[i]), int(wk["k"][i]))
        se_day = float(np.sqrt((se_m ** 2).sum()) / 7)
    else:
        per_day = _num(days["len"].mean())
        se_day = math.sqrt(max(_num(days["len"].var()), per_day) / t)
        out.notes.append(f"logs cover {wk.height} weekdays only: weekly seasonality keeps the base scenario's")
    lo, hi = days["date"].min(), days["date"].max()
    window = f.filter(pl.col("date").is_between(lo, hi))
    _fit_users(window, base, per_day, se_day, t, out)


def _population(q: int, d: int) -> float:
    """Users N whose uniform draws of `q` queries leave `d` distinct users: N (1 - (1 - 1/N)^q) = d."""
    if d >= q:
        return math.inf
    if d <= 1:
        return 1.0
    def fn(n: float) -> float:
        return n * -math.expm1(q * math.log1p(-1.0 / n)) - d

    hi = 2.0 * d
    while fn(hi) < 0:
        hi *= 2.0
    return float(brentq(fn, max(float(d), 1.0 + 1e-9), hi, xtol=1e-6, rtol=1e-12))


def _fit_users(w: pl.DataFrame, base: Scenario, per_day: float, se_day: float, t: int, out: _Out) -> None:
    """Population (occupancy MLE on distinct user ids) and queries per user per day = arrivals / population."""
    ids = w.filter(pl.col("user_id").is_not_null())
    q, d = ids.height, int(ids["user_id"].n_unique()) if ids.height else 0
    if q == 0 or d >= q:
        mau = base.users.mau
        why = "user_id not logged" if q == 0 else "no user repeats in the logs"
        out.notes.append(f"{why}: users.mau keeps the base scenario's {fmt_n(mau)}")
        qpu = per_day / mau
        se_q = se_day / mau
        out.add("users.queries_per_user_per_day", sig(qpu, 4),
                f"fitted: {per_day:,.1f} calls/day from {t} days of logs / mau {fmt_n(mau)} (assumption) "
                f"(se {fmt_se(se_q)})", Estimate(qpu, se_q, t))
        return
    n = _population(q, d)
    lam = q / n
    var_d = n * math.exp(-lam) * (1.0 - (1.0 + lam) * math.exp(-lam))
    se_n = math.sqrt(max(var_d, 0.0)) / max(1.0 - (1.0 + lam) * math.exp(-lam), 1e-12)
    dau = _num(ids.group_by("date").agg(pl.col("user_id").n_unique())["user_id"].mean())
    out.add("users.mau", round(n),
            f"fitted: {fmt_n(round(n))} users (se {fmt_n(round(se_n))}) whose uniform draws leave the "
            f"{fmt_n(d)} distinct user ids of {fmt_n(q)} calls in {t} days of logs; {dau:,.0f} distinct users/day",
            Estimate(n, se_n, d))
    if q < w.height:
        out.notes.append(f"{w.height - q} calls without a user id are counted in arrivals, not in users")
    qpu = per_day / n
    se_q = qpu * math.hypot(se_day / per_day, se_n / n)
    out.add("users.queries_per_user_per_day", sig(qpu, 4),
            f"fitted: {per_day:,.1f} calls/day over {t} days / {fmt_n(round(n))} users (se {fmt_se(se_q)})",
            Estimate(qpu, se_q, t))


# --- tokens ------------------------------------------------------------------------------------------------

def _lognormal_by(f: pl.DataFrame, by: str, value: pl.Expr) -> dict[str, tuple[float, float, float, float, int]]:
    """Per group of `by`: MLE (median, sigma) of a lognormal `value` (> 0), their standard errors, and n."""
    g = (f.with_columns(value.alias("_v")).filter(pl.col("_v") > 0)
         .group_by(by).agg(pl.len().alias("n"), pl.col("_v").log().mean().alias("mu"),
                           pl.col("_v").log().std(ddof=0).alias("s")))
    out = {}
    for key, n, mu, s in g.select(by, "n", "mu", "s").iter_rows():
        if n >= 2:
            med = math.exp(mu)
            out[key] = (med, float(s), med * s / math.sqrt(n), s / math.sqrt(2 * n), int(n))
    return out


def _token_records(out: _Out, path: str, what: str, med: float, s: float, se_med: float, se_s: float,
                   n: int) -> None:
    if s > 3.0:
        out.notes.append(f"{path}.sigma: fitted {s:.3g} is above the schema's 3; written as 3")
    out.add(f"{path}.median", max(1.0, sig(med, 4)),
            f"fitted: median {what} {med:,.1f} from logs (n={fmt_n(n)}, se {fmt_se(se_med)})", Estimate(med, se_med, n))
    out.add(f"{path}.sigma", min(3.0, sig(s, 3)),
            f"fitted: log-sd of {what} {s:.3f} from logs (n={fmt_n(n)}, se {fmt_se(se_s)})", Estimate(s, se_s, n))


def _fit_tokens(queries: pl.DataFrame, f: pl.DataFrame, base: Scenario, intents: list[str] | None,
                models: list[str], reference: str | None, out: _Out) -> None:
    """Input tokens per intent (lognormal MLE); output tokens by a two-way model on log tokens, intent + model,
    which gives each intent's distribution at the reference model and every other model's multiplier."""
    key = pl.col("intent") if intents is not None else pl.lit("*")

    def keyed(frame: pl.DataFrame) -> pl.DataFrame:
        frame = frame.with_columns(key.alias("_intent"))
        return frame.filter(pl.col("intent").is_not_null()) if intents is not None else frame

    g = keyed(f)
    targets = intents if intents is not None else ["*"]
    paths = ({n: f"traffic.intents[{i}]" for i, n in enumerate(intents)} if intents is not None else
             {"*": None})
    fits = _lognormal_by(keyed(queries), "_intent", pl.col("tokens_in").cast(pl.Float64))
    for name in targets:
        if name not in fits:
            out.notes.append(f"intent {name}: fewer than 2 calls with input tokens; tokens_in not fitted")
            continue
        med, s, se_med, se_s, n = fits[name]
        for path in _intent_paths(paths[name], base, "tokens_in"):
            what = f"input tokens of {name}" if name != "*" else "input tokens (all intents; intent not logged)"
            _token_records(out, path, what, med, s, se_med, se_s, n=n)
    _fit_output(g.filter(pl.col("tokens_out") > 0), base, targets, paths, models, reference, out)


def _intent_paths(path: str | None, base: Scenario, leaf: str) -> list[str]:
    """The YAML paths a per-intent fit goes to: its own intent, or every base intent when intent is not logged."""
    if path is not None:
        return [f"{path}.{leaf}"]
    return [f"traffic.intents[{i}].{leaf}" for i in range(len(base.traffic.intents))]


def _pick_reference(f: pl.DataFrame, base: Scenario, reference: str | None) -> str:
    logged = f.group_by("model").len().sort(["len", "model"], descending=[True, False])["model"].to_list()
    if reference is not None:
        if reference not in logged:
            raise LogFitError(f"reference model '{reference}' has no calls with output tokens in the logs")
        return reference
    return base.baseline.model if base.baseline.model in logged else logged[0]


def _fit_output(g: pl.DataFrame, base: Scenario, intents: list[str], paths: dict, models: list[str],
                reference: str | None, out: _Out) -> None:
    if g.height < 2:
        out.notes.append("fewer than 2 calls with output tokens: tokens_out not fitted")
        return
    ref = _pick_reference(g, base, reference)
    cells = (g.with_columns(pl.col("tokens_out").cast(pl.Float64).log().alias("y"))
             .group_by(["_intent", "model"])
             .agg(pl.len().alias("n"), pl.col("y").sum().alias("s1"), (pl.col("y") ** 2).sum().alias("s2"))
             .sort(["_intent", "model"]))
    seen_intents = [i for i in intents if i in set(cells["_intent"].to_list())]
    seen_models = [ref] + sorted(set(cells["model"].to_list()) - {ref}, key=models.index)
    ci = {n: k for k, n in enumerate(seen_intents)}
    cm = {n: k for k, n in enumerate(seen_models)}
    n_c = cells["n"].to_numpy().astype(float)
    ybar = cells["s1"].to_numpy() / n_c
    within = cells["s2"].to_numpy() - n_c * ybar ** 2
    k_i, k_m = len(seen_intents), len(seen_models) - 1
    x = np.zeros((cells.height, k_i + k_m))
    for r, (it, mo) in enumerate(zip(cells["_intent"].to_list(), cells["model"].to_list(), strict=True)):
        x[r, ci[it]] = 1.0
        if cm[mo] > 0:
            x[r, k_i + cm[mo] - 1] = 1.0
    w = np.sqrt(n_c)
    xtwx = (x * n_c[:, None]).T @ x
    if np.linalg.matrix_rank(xtwx) < xtwx.shape[0]:
        out.notes.append("output tokens: models and intents do not overlap enough to separate model from "
                         "intent; tokens_out and output_length_multiplier not fitted")
        return
    coef = np.linalg.lstsq(x * w[:, None], ybar * w, rcond=None)[0]
    resid_cell = n_c * (ybar - x @ coef) ** 2 + np.maximum(within, 0.0)
    n_tot = int(n_c.sum())
    s2 = float(resid_cell.sum()) / max(n_tot - len(coef), 1)
    cov = s2 * np.linalg.inv(xtwx)
    se = np.sqrt(np.diag(cov))
    m_ref = base.models[models.index(ref)].output_length_multiplier
    by_intent = cells["_intent"].to_list()
    for name in seen_intents:
        rows = [r for r, it in enumerate(by_intent) if it == name]
        n_i = int(n_c[rows].sum())
        s_i = math.sqrt(float(resid_cell[rows].sum()) / n_i)
        med = math.exp(coef[ci[name]]) / m_ref
        what = (f"output tokens of {name} at {ref}'s length" if name != "*"
                else f"output tokens (all intents) at {ref}'s length")
        for path in _intent_paths(paths[name], base, "tokens_out"):
            _token_records(out, path, what, med, s_i, med * se[ci[name]], s_i / math.sqrt(2 * n_i), n_i)
    counts = dict(zip(*g.group_by("model").len().to_dict(as_series=False).values(), strict=True))
    for mo in seen_models[1:]:
        j = k_i + cm[mo] - 1
        mult = m_ref * math.exp(coef[j])
        out.add(f"models[{models.index(mo)}].output_length_multiplier", sig(mult, 4),
                f"fitted: output tokens of {mo} relative to {ref} x{mult:.3f} within intents, "
                f"geometric means, from logs (n={fmt_n(counts[mo])}, se {fmt_se(mult * se[j])})",
                Estimate(mult, mult * se[j], int(counts[mo])))
    out.notes.append(f"output_length_multiplier of {ref} is the reference for output lengths and keeps the base "
                     f"value {m_ref:g} (the logs fix only ratios between models)")


# --- latency and prices ----------------------------------------------------------------------------------

def _fit_latency(f: pl.DataFrame, models: list[str], out: _Out) -> None:
    """Lognormal MLE of end - start per model."""
    seconds = (pl.col("end_time") - pl.col("start_time")).dt.total_microseconds() / 1e6
    fits = _lognormal_by(f.filter(pl.col("end_time").is_not_null()), "model", seconds)
    for j, name in enumerate(models):
        if name not in fits:
            continue
        med, s, se_med, se_s, n = fits[name]
        out.add(f"models[{j}].latency.median_s", sig(med, 4),
                f"fitted: median latency of {name} {med:.3f} s from end - start (n={fmt_n(n)}, se {fmt_se(se_med)})",
                Estimate(med, se_med, n))
        out.add(f"models[{j}].latency.sigma", min(3.0, sig(s, 3)),
                f"fitted: log-sd of latency of {name} {s:.3f} (n={fmt_n(n)}, se {fmt_se(se_s)})", Estimate(s, se_s, n))


def _fit_prices(f: pl.DataFrame, models: list[str], out: _Out) -> None:
    """Per model, non-negative least squares of cost on input and output thousands of tokens (no intercept)."""
    c = f.filter(pl.col("cost_usd").is_not_null())
    if c.height == 0:
        out.notes.append("cost not logged: prices keep the base scenario's")
        return
    xi, xo, y = pl.col("tokens_in") / 1000.0, pl.col("tokens_out") / 1000.0, pl.col("cost_usd")
    sums = c.group_by("model").agg(pl.len().alias("n"), (xi * xi).sum().alias("ii"), (xi * xo).sum().alias("io"),
                                   (xo * xo).sum().alias("oo"), (xi * y).sum().alias("iy"),
                                   (xo * y).sum().alias("oy"), (y * y).sum().alias("yy"))
    by_model = {row["model"]: row for row in sums.iter_rows(named=True)}
    for j, name in enumerate(models):
        row = by_model.get(name)
        if row is None or row["n"] < 3:
            continue
        n = int(row["n"])
        xtx = np.array([[row["ii"], row["io"]], [row["io"], row["oo"]]], dtype=float)
        xty = np.array([row["iy"], row["oy"]], dtype=float)
        if np.linalg.cond(xtx) > 1e12:
            out.notes.append(f"{name}: input and output tokens move together; prices not separable, not fitted")
            continue
        r = np.linalg.cholesky(xtx).T  # ||R b - R^-T X'y||^2 = ||X b - y||^2 - const
        beta = nnls(r, np.linalg.solve(r.T, xty))[0]
        rss = max(0.0, float(row["yy"] - 2 * beta @ xty + beta @ xtx @ beta))
        se = np.sqrt(np.diag(rss / max(n - 2, 1) * np.linalg.inv(xtx)))
        for k, (leaf, what) in enumerate((("price_in_usd_per_1k_tokens", "input"),
                                          ("price_out_usd_per_1k_tokens", "output"))):
            out.add(f"models[{j}].{leaf}", sig(float(beta[k]), 6),
                    f"fitted: {what} price of {name} ${beta[k]:.6g}/1k tokens, least squares of cost on tokens "
                    f"(n={fmt_n(n)}, se {fmt_se(se[k])})", Estimate(float(beta[k]), float(se[k]), n))


# --- thumbs-down ---------------------------------------------------------------------------------------------

def _fit_thumbs(f: pl.DataFrame, base: Scenario, out: _Out) -> None:
    """Scale every outcome's thumbs-down probability by one factor, so that the fitted world's thumbs-down
    rate on the logged model mix equals the logs'; the split by outcome stays the base scenario's."""
    t = f.filter(pl.col("thumbs_down").is_not_null())
    if t.height == 0:
        out.notes.append("feedback not logged: thumbs-down probabilities keep the base scenario's")
        return
    n = t.height
    rate = _num(t["thumbs_down"].cast(pl.Float64).mean())
    per = t.group_by("date").agg(pl.len().alias("n"), pl.col("thumbs_down").cast(pl.Float64).sum().alias("k"))
    nd, kd = per["n"].to_numpy().astype(float), per["k"].to_numpy().astype(float)
    days = len(nd)
    se = (math.sqrt(float(((kd - rate * nd) ** 2).sum()) * days / max(days - 1, 1)) / n if days > 1
          else math.sqrt(rate * (1 - rate) / n))
    _fit_thumbs_day_sd(nd, kd, rate, out)
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


def _day_factor_nll(theta: np.ndarray, nd: np.ndarray, kd: np.ndarray) -> float:
    """Negative log-likelihood of daily counts k_d ~ Poisson(n_d p F_d), log F_d ~ N(-sd^2/2, sd^2), with the
    day factor integrated out by Gauss-Hermite quadrature; theta = (log p, log sd)."""
    p, sd = math.exp(theta[0]), math.exp(theta[1])
    z, w = _GH
    lam = nd[:, None] * p * np.exp(sd * z[None, :] - sd * sd / 2)
    logf = kd[:, None] * np.log(lam) - lam - gammaln(kd + 1)[:, None]
    return -float(logsumexp(logf, b=w[None, :], axis=1).sum())


def _fit_thumbs_day_sd(nd: np.ndarray, kd: np.ndarray, rate: float, out: _Out) -> None:
    """The day-to-day log-sd of thumbs-down probabilities (a mean-1 lognormal factor shared by a day's users),
    by maximum likelihood on daily counts; se from the curvature of the profile in log sd."""
    days = len(nd)
    if days < MIN_DAYS_FOR_SD or rate <= 0:
        out.notes.append(f"thumbs-down day factor: needs {MIN_DAYS_FOR_SD}+ days of feedback; not fitted")
        return
    start = np.array([math.log(rate), math.log(0.2)])
    res = minimize(_day_factor_nll, start, args=(nd, kd), method="Nelder-Mead",
                   options={"xatol": 1e-6, "fatol": 1e-9, "maxiter": 2000})
    sd = math.exp(res.x[1])
    if sd < 1e-3:
        sd, se = 0.0, math.nan
    else:
        h = 1e-3
        f0, fp, fm = (_day_factor_nll(res.x + np.array([0.0, d]), nd, kd) for d in (0.0, h, -h))
        curv = (fp - 2 * f0 + fm) / (h * h)
        se = sd / math.sqrt(curv) if curv > 0 else math.nan  # delta method from log sd
    sd = min(sd, 3.0)
    out.add("reactions.thumbs_down_daily_sd", sig(sd, 3),
            f"fitted: log-sd {sd:.3f} of a day factor shared by all users, maximum likelihood on daily "
            f"thumbs-down counts over {days} days (se {fmt_se(se)})", Estimate(sd, se, days))


def _implied_thumbs(t: pl.DataFrame, base: Scenario, out: _Out) -> float:
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
