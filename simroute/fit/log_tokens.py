"""The per-call side of a log fit: token distributions (lognormal MLE per intent; output tokens by a two-way
model on log tokens, intent + model, for the output-length multipliers), latency per model (lognormal MLE of
end - start) and prices per model (non-negative least squares of cost on tokens)."""
from __future__ import annotations

import math

import numpy as np
import polars as pl
from scipy.optimize import nnls

from ..scenario.schema import Scenario
from .log_estimates import Estimate, LogFitError, Out, fmt_n, fmt_se, sig

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


def _token_records(out: Out, path: str, what: str, med: float, s: float, se_med: float, se_s: float,
                   n: int) -> None:
    if s > 3.0:
        out.notes.append(f"{path}.sigma: fitted {s:.3g} is above the schema's 3; written as 3")
    out.add(f"{path}.median", max(1.0, sig(med, 4)),
            f"fitted: median {what} {med:,.1f} from logs (n={fmt_n(n)}, se {fmt_se(se_med)})", Estimate(med, se_med, n))
    out.add(f"{path}.sigma", min(3.0, sig(s, 3)),
            f"fitted: log-sd of {what} {s:.3f} from logs (n={fmt_n(n)}, se {fmt_se(se_s)})", Estimate(s, se_s, n))


def fit_tokens(queries: pl.DataFrame, f: pl.DataFrame, base: Scenario, intents: list[str] | None,
                models: list[str], reference: str | None, out: Out) -> None:
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
                reference: str | None, out: Out) -> None:
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

def fit_latency(f: pl.DataFrame, models: list[str], out: Out) -> None:
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


def fit_prices(f: pl.DataFrame, models: list[str], out: Out) -> None:
    """Per model, non-negative least squares of cost on input and output thousands of tokens (no intercept)."""
    c = f.filter(pl.col("cost_usd").is_not_null())
    if c.height == 0:
        out.notes.append("cost not logged: prices keep the base scenario's")
        return
    c = c.select("model", (pl.col("tokens_in") / 1000.0).alias("xi"), (pl.col("tokens_out") / 1000.0).alias("xo"),
                 pl.col("cost_usd").alias("y"))
    for j, name in enumerate(models):
        # numpy's pairwise sums in row order (a parallel group-by summed in an order that varied run to run) and
        # the residual sum of squares from the residuals (exact prices give se ~0, not the cancellation's noise)
        m = c.filter(pl.col("model") == name)
        n = m.height
        if n < 3:
            continue
        xi, xo, y = (m[k].to_numpy() for k in ("xi", "xo", "y"))
        xtx = np.array([[np.sum(xi * xi), np.sum(xi * xo)], [np.sum(xi * xo), np.sum(xo * xo)]])
        xty = np.array([np.sum(xi * y), np.sum(xo * y)])
        if np.linalg.cond(xtx) > 1e12:
            out.notes.append(f"{name}: input and output tokens move together; prices not separable, not fitted")
            continue
        r = np.linalg.cholesky(xtx).T  # ||R b - R^-T X'y||^2 = ||X b - y||^2 - const
        beta = nnls(r, np.linalg.solve(r.T, xty))[0]
        rss = float(np.sum((y - beta[0] * xi - beta[1] * xo) ** 2))
        se = np.sqrt(np.diag(rss / max(n - 2, 1) * np.linalg.inv(xtx)))
        for k, (leaf, what) in enumerate((("price_in_usd_per_1k_tokens", "input"),
                                          ("price_out_usd_per_1k_tokens", "output"))):
            out.add(f"models[{j}].{leaf}", sig(float(beta[k]), 6),
                    f"fitted: {what} price of {name} ${beta[k]:.6g}/1k tokens, least squares of cost on tokens "
                    f"(n={fmt_n(n)}, se {fmt_se(se[k])})", Estimate(float(beta[k]), float(se[k]), n))
