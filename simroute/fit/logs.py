"""Fit the traffic, user and operational side of a scenario from production logs.

Every estimate is a maximum-likelihood or least-squares fit under simroute's own world model (lognormal
tokens and latency, Poisson arrivals from uniformly drawn users, linear prices), so that logs drawn from a
scenario (`synth_logs`) give back its parameters. Each result is a `FittedValue` whose comment states the
estimate, its sample size and standard error. This module cuts calls into queries and runs the fits, which
live by subject: `log_traffic` (intents, arrivals, users), `log_tokens` (tokens, latency, prices) and
`log_feedback` (thumbs-down), on the shared `log_estimates`.
"""
from __future__ import annotations

import polars as pl

from ..scenario.schema import Scenario
from .log_estimates import Estimate, LogFit, LogFitError, Out, fmt_n, fmt_se, sig
from .log_feedback import fit_thumbs
from .log_tokens import fit_latency, fit_prices, fit_tokens
from .log_traffic import fit_arrivals, fit_intents
from .logset import LOG_SCHEMA, LogSet

REQUIRED = ("start_time", "model", "tokens_in", "tokens_out")
QUERY_GAP_S = 2.0  # a call starting this soon after the same user's previous call ended continues its query


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
    out = Out()
    models = [m.name for m in base.models]
    queries = _first_calls(frame, query_gap_s, out)
    intents = fit_intents(queries, base, out, logs.source)
    fit_arrivals(queries, base, out)
    fit_tokens(queries, frame, base, intents, models, reference_model, out)
    fit_latency(frame, models, out)
    fit_prices(frame, models, out)
    fit_thumbs(frame, base, out)
    return LogFit(tuple(out.records), out.estimates, tuple(out.notes))


def _first_calls(f: pl.DataFrame, gap_s: float, out: Out) -> pl.DataFrame:
    """The first call of every query: a call starts a new query unless the same user (else session) made a
    call that ended at most `gap_s` seconds before it started."""
    who = pl.coalesce(pl.col("user_id"), pl.col("session_id"))
    keyed = f.with_row_index("_row").with_columns(who.alias("_who"))
    if keyed["_who"].null_count() == keyed.height:
        return f
    s = keyed.select("_row", "_who", "start_time", "end_time").filter(pl.col("_who").is_not_null()).sort(
        ["_who", "start_time"])  # only the columns the chaining reads are sorted
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
    if f["model"].null_count():  # a copy only when some calls have no model
        f = f.filter(pl.col("model").is_not_null())
    return f.with_columns(pl.col("start_time").dt.date().alias("date"))


__all__ = ["QUERY_GAP_S", "Estimate", "LogFit", "LogFitError", "Out", "fit_logs", "fmt_n", "fmt_se", "sig"]
