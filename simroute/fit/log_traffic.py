"""The traffic side of a log fit: intent shares (multinomial MLE), arrivals per day and weekly seasonality
(per-weekday means over whole days), the user population (occupancy MLE on distinct user ids) and queries per
user per day."""
from __future__ import annotations

import math
from datetime import date
from typing import cast

import numpy as np
import polars as pl
from scipy.optimize import brentq

from ..scenario.schema import Scenario
from .log_estimates import Estimate, Out, fmt_n, fmt_se, num, sig

EDGE_GAPS = 8.0  # an edge day whose first/last query is further from midnight than this many mean gaps is partial


# --- intents ---------------------------------------------------------------------------------------------

def fit_intents(f: pl.DataFrame, base: Scenario, out: Out, src: str) -> list[str] | None:
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


def fit_arrivals(f: pl.DataFrame, base: Scenario, out: Out) -> None:
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
        per_day = num(days["len"].mean())
        se_day = math.sqrt(max(num(days["len"].var()), per_day) / t)
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


def _fit_users(w: pl.DataFrame, base: Scenario, per_day: float, se_day: float, t: int, out: Out) -> None:
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
    dau = num(ids.group_by("date").agg(pl.col("user_id").n_unique())["user_id"].mean())
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
