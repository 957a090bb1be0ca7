"""Fitting from production logs: synthetic logs are the engine's own traffic, and a known world's parameters
come back from its logs (parameter recovery), written as a commented scenario that loads and runs."""
from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml
from conftest import python_calls

from simroute.api import run
from simroute.engine import simulate
from simroute.fit.log_feedback import day_factor_nll, fit_thumbs_day_sd
from simroute.fit.logs import LogFitError, Out, fit_logs
from simroute.fit.logset import LOG_SCHEMA, LogSet
from simroute.fit.records import FittedValue
from simroute.fit.scenario_writer import (
    apply_records,
    assumed_parameters,
    fit_header,
    save_scenario,
    write_scenario,
)
from simroute.fit.synth_logs import EPOCH, synth_logs
from simroute.scenario.loader import load_scenario, scenario_from_dict
from simroute.scenario.provenance import extract_provenance, missing_provenance

QUICKSTART = "scenarios/quickstart.yaml"
Z = 4.0  # recovery tolerance: every estimate within 4 standard errors of the truth
DAYS = 28
SEASON = (1.3, 1.15, 1.05, 1.0, 0.95, 0.7, 0.85)


def _world(**changes) -> Scenario:  # noqa: F821
    """The recovery world: quickstart with a steady population (no churn), a clear weekly pattern, distinct
    token distributions per intent, a terse cheap model, a day factor on thumbs and a random router."""
    d = load_scenario(QUICKSTART).model_dump(mode="json", exclude_none=True)
    d["users"].update(mau=20_000, queries_per_user_per_day=0.2, weekly_seasonality=list(SEASON))
    d["users"]["segments"][0]["baseline_churn_per_month"] = 0.0
    d["users"]["frustration"]["churn_hazard_per_unit"] = 0.0
    toks = [((3000, 0.4), (400, 0.5)), ((1500, 0.6), (250, 0.7)), ((2200, 0.5), (900, 0.3))]
    for it, (tin, tout) in zip(d["traffic"]["intents"], toks, strict=True):
        it["tokens_in"] = {"median": tin[0], "sigma": tin[1]}
        it["tokens_out"] = {"median": tout[0], "sigma": tout[1]}
    d["models"][0].update(output_length_multiplier=0.6, latency={"median_s": 0.8, "sigma": 0.3})
    d["models"][1]["latency"] = {"median_s": 2.5, "sigma": 0.5}
    d["reactions"].update(thumbs_down_frustration_skew=0.0, thumbs_down_daily_sd=0.3)
    d["drift"], d["monitors"] = [], []
    d["policies"].append({"name": "random", "kind": "random", "cheap_model": "small", "capable_model": "large",
                          "cheap_share": 0.5})
    d.update(changes)
    return scenario_from_dict(d)


@pytest.fixture(scope="module")
def world():
    return _world()


@pytest.fixture(scope="module")
def logs(world):
    return synth_logs(world, "random", DAYS)


@pytest.fixture(scope="module")
def fit(world, logs):
    return fit_logs(logs, world)


def _close(fit, path: str, truth: float) -> None:
    e = fit.estimates[path]
    assert abs(e.value - truth) <= Z * e.se + 1e-9, f"{path}: {e.value} vs truth {truth} (se {e.se})"


# --- synthetic logs -----------------------------------------------------------------------------------------

def test_synthetic_logs_are_the_engines_traffic():
    """Per policy, the logs' final calls and thumbs-downs are exactly the engine's served queries and
    thumbs-downs over the same days (same streams, same churn and frustration)."""
    d = load_scenario(QUICKSTART).model_dump(mode="json", exclude_none=True)
    d.update(monitors=[], horizon_days=35)
    s = scenario_from_dict(d)
    out = simulate(s)
    for name in ("single", "cascade"):
        f = synth_logs(s, name, 14).frame
        final = f.filter(pl.col("thumbs_down").is_not_null())
        days = slice(0, 14)
        assert final.height == int(out.days[name].tier_total("queries", days).sum())
        assert int(final["thumbs_down"].sum()) == int(out.days[name].tier_total("thumbs_down", days).sum())
        assert int(out.days[name].tier_total("escalated", days).sum()) == f.height - final.height


def test_synthetic_logs_schema_epoch_and_determinism(world, logs):
    f = logs.frame
    assert dict(f.schema) == LOG_SCHEMA
    assert f["start_time"].min() >= EPOCH and EPOCH.weekday() == 0
    assert (f["end_time"] > f["start_time"]).all()
    assert f["start_time"].is_sorted()
    again = synth_logs(world, "random", 3).frame
    assert again.equals(f.filter(pl.col("start_time") < EPOCH + timedelta(days=3)))
    other = synth_logs(world, "random", 3, seed=world.seed + 1).frame
    assert not other.equals(again)


def test_cascade_logs_chain_calls():
    """An escalated query is two calls: cheap first, capable starting when cheap ends; feedback on the last."""
    s = _world()
    f = synth_logs(s, "cascade", 2).frame
    firsts = f.filter(pl.col("thumbs_down").is_null())
    assert firsts.height > 0 and set(firsts["model"].unique()) == {"small"}
    joined = firsts.join(f.filter(pl.col("thumbs_down").is_not_null()), left_on="end_time",
                         right_on="start_time", suffix="_next")
    assert joined.height == firsts.height and set(joined["model_next"].unique()) == {"large"}


def test_unknown_policy_is_an_error(world):
    with pytest.raises(Exception, match="policy 'nope'"):
        synth_logs(world, "nope", 1)


# --- parameter recovery -----------------------------------------------------------------------------------

def test_recovers_users_and_arrivals(world, fit):
    _close(fit, "users.mau", world.users.mau)
    _close(fit, "users.queries_per_user_per_day", world.users.queries_per_user_per_day)
    truth = np.array(SEASON) / np.mean(SEASON)
    for i in range(7):
        _close(fit, f"users.weekly_seasonality[{i}]", truth[i])


def test_recovers_intent_shares_and_tokens(world, fit):
    for i, it in enumerate(world.traffic.intents):
        _close(fit, f"traffic.intents[{i}].share", it.share)
        for leaf in ("tokens_in", "tokens_out"):
            dist = getattr(it, leaf)
            _close(fit, f"traffic.intents[{i}].{leaf}.median", dist.median)
            _close(fit, f"traffic.intents[{i}].{leaf}.sigma", dist.sigma)


def test_recovers_models(world, fit):
    _close(fit, "models[0].output_length_multiplier", 0.6)
    for j, m in enumerate(world.models):
        _close(fit, f"models[{j}].latency.median_s", m.latency.median_s)
        _close(fit, f"models[{j}].latency.sigma", m.latency.sigma)
        _close(fit, f"models[{j}].price_in_usd_per_1k_tokens", m.price_in_usd_per_1k_tokens)
        _close(fit, f"models[{j}].price_out_usd_per_1k_tokens", m.price_out_usd_per_1k_tokens)


def test_recovers_thumbs_down(fit):
    """The truth's reactions are the base's, so the fitted scale on them is 1 within its se."""
    _close(fit, "thumbs_down_factor", 1.0)
    _close(fit, "reactions.thumbs_down_daily_sd", 0.3)


def test_partial_edge_days_are_left_out(world, logs):
    """Logs exported from mid-morning of the first day to mid-afternoon of the last: the two partial days are
    dropped, so arrivals and seasonality are as from whole days."""
    start, end = EPOCH + timedelta(hours=9, minutes=17), EPOCH + timedelta(days=DAYS - 1, hours=15)
    cut = LogSet(logs.frame.filter(pl.col("start_time").is_between(start, end)), "cut.parquet")
    f = fit_logs(cut, world)
    assert "from 26 days" in next(r.comment for r in f.records if r.path == "users.weekly_seasonality")
    _close(f, "users.queries_per_user_per_day", world.users.queries_per_user_per_day)
    truth = np.array(SEASON) / np.mean(SEASON)
    for i in range(7):
        _close(f, f"users.weekly_seasonality[{i}]", truth[i])


def test_cascade_calls_group_into_queries(world):
    """A cascade logs two calls for an escalated query; the fit counts queries, so users, arrivals and intent
    shares come back as from one call per query."""
    logs = synth_logs(world, "cascade", 14)
    f = fit_logs(logs, world)
    queries = logs.frame["thumbs_down"].is_not_null().sum()
    assert logs.frame.height > queries
    n = f.estimates["traffic.intents[0].share"].n  # two queries of one user within 2 s are rare, not impossible
    assert queries - 3 <= n <= queries
    _close(f, "users.mau", world.users.mau)
    _close(f, "users.queries_per_user_per_day", world.users.queries_per_user_per_day)
    for i, it in enumerate(world.traffic.intents):
        _close(f, f"traffic.intents[{i}].share", it.share)
        _close(f, f"traffic.intents[{i}].tokens_in.median", it.tokens_in.median)
    _close(f, "models[0].output_length_multiplier", 0.6)


def test_output_multiplier_controls_for_intent_mix():
    """Under pre-routing the cheap model serves the short-answer intents; the naive ratio of geometric means
    is biased, the within-intent ratio is not."""
    s = _world()
    d = s.model_dump(mode="json", exclude_none=True)
    d["policies"][1]["classifier"] = {"training_samples": 5000}
    s = scenario_from_dict(d)
    logs = synth_logs(s, "pre_route", 7)
    f = fit_logs(logs, s)
    _close(f, "models[0].output_length_multiplier", 0.6)
    g = logs.frame.group_by("model").agg(pl.col("tokens_out").log().mean()).sort("model")
    naive = math.exp(g["tokens_out"][1] - g["tokens_out"][0])  # small vs large
    e = f.estimates["models[0].output_length_multiplier"]
    assert abs(naive - 0.6) > 10 * e.se


def test_day_factor_mle_known_answer():
    """Daily counts drawn straight from the model (Poisson with a mean-1 lognormal day factor, sd 0.5)."""
    rng = np.random.default_rng(5)
    nd = rng.integers(2000, 6000, size=300).astype(float)
    factor = np.exp(0.5 * rng.standard_normal(300) - 0.125)
    kd = rng.poisson(nd * 0.004 * factor).astype(float)
    out = Out()
    fit_thumbs_day_sd(nd, kd, float(kd.sum() / nd.sum()), out)
    e = out.estimates["reactions.thumbs_down_daily_sd"]
    assert abs(e.value - 0.5) <= Z * e.se
    assert day_factor_nll(np.array([np.log(0.004), np.log(0.5)]), nd, kd) < \
        day_factor_nll(np.array([np.log(0.004), np.log(0.05)]), nd, kd)


def test_intents_new_to_the_base_are_added_as_assumptions(world, logs):
    renamed = logs.frame.head(30_000).with_columns(
        pl.when(pl.col("intent") == "faq").then(pl.lit("onboarding")).otherwise(pl.col("intent")).alias("intent"))
    f = fit_logs(LogSet(renamed, "langfuse.csv"), world)
    text = write_scenario(world, f.records)
    s = scenario_from_dict(yaml.safe_load(text))
    assert [i.name for i in s.traffic.intents] == ["billing", "troubleshooting", "onboarding"]
    assert s.traffic.intents[2].surface_class.value == "simple"
    assert extract_provenance(text)["traffic.intents[2].surface_class"] == "assumption: not in the data"
    assert any("onboarding" in n for n in f.notes) and any("dropped: faq" in n for n in f.notes)


# --- the written scenario ------------------------------------------------------------------------------------

def test_written_scenario_loads_runs_and_credits_every_fitted_key(tmp_path, world, fit):
    text = write_scenario(world, fit.records, header=fit_header("fitted", [world.name], fit.notes))
    path = save_scenario(tmp_path / "fitted.yaml", text)
    s = load_scenario(path)
    prov = extract_provenance(text)
    for r in fit.records:
        assert prov[r.path] == " ".join(r.comment.split()), r.path
    assert missing_provenance(text) == []
    assert s.users.mau == fit.estimates["users.mau"].value.__round__()
    assert all(c.startswith(("fitted:", "assumption: not in the data")) for c in prov.values())
    assumed = assumed_parameters(text)
    assert "models[0].quality.skill" in assumed and "users.mau" not in assumed
    assert not set(assumed) & {r.path for r in fit.records}
    short = run(path, overrides={"horizon_days": 7})
    assert set(short.policies) >= {"single", "random"}


def test_writer_restructures_intents_and_drops_their_drift():
    base = load_scenario(QUICKSTART)
    recs = [FittedValue("traffic.intents", ["billing", "new_one"], "fitted: intents"),
            FittedValue("traffic.intents[0].share", 0.75, "fitted: a"),
            FittedValue("traffic.intents[1].share", 0.25, "fitted: b")]
    text = write_scenario(base, recs, base_provenance=extract_provenance(Path(QUICKSTART).read_text()))
    s = scenario_from_dict(yaml.safe_load(text))
    assert [i.name for i in s.traffic.intents] == ["billing", "new_one"]
    assert s.traffic.intents[0].base_difficulty == base.traffic.intents[1].base_difficulty
    assert [d.target for d in s.drift] == ["billing"]
    prov = extract_provenance(text)
    assert prov["traffic.intents[0].base_difficulty"].startswith("assumption: not in the data")
    assert prov["traffic.intents[1].surface_class"] == "assumption: not in the data"
    assert apply_records(base, recs)["traffic"]["intents"][1]["share"] == 0.25


def test_shares_written_sum_to_one(fit):
    shares = [r.value for r in fit.records if r.path.endswith(".share") and r.path.startswith("traffic")]
    assert sum(shares) == pytest.approx(1.0, abs=1e-12)


# --- what the logs cannot say, and bad logs -----------------------------------------------------------------

def test_missing_optional_columns_keep_the_base(world, logs):
    bare = LogSet(logs.frame.select("start_time", "model", "tokens_in", "tokens_out").head(20_000), "bare.csv")
    f = fit_logs(bare, world)
    paths = {r.path for r in f.records}
    assert "users.mau" not in paths and "traffic.intents" not in paths
    assert not any("price" in p or "latency" in p or "thumbs" in p for p in paths)
    assert "traffic.intents[2].tokens_in.median" in paths  # pooled fit goes to every base intent
    assert any("user_id not logged" in n for n in f.notes)
    scenario_from_dict(yaml.safe_load(write_scenario(world, f.records)))


@pytest.mark.parametrize("frame, message", [
    (pl.DataFrame({"model": ["small"], "tokens_in": [1], "tokens_out": [1]}), "missing column"),
    (pl.DataFrame(schema=LOG_SCHEMA), "no rows"),
])
def test_bad_logs(world, frame, message):
    with pytest.raises(LogFitError, match=message) as e:
        fit_logs(LogSet(frame, "spend.csv"), world)
    assert str(e.value).startswith("spend.csv:")


def test_unknown_model_is_named(world, logs):
    bad = logs.frame.head(100).with_columns(pl.lit("gpt-9").alias("model"))
    with pytest.raises(LogFitError, match="unknown model.*'gpt-9'.*large, small"):
        fit_logs(LogSet(bad, "otel.jsonl"), world)


def _python_calls(fn) -> int:
    return python_calls(fn)[0]


def test_synthesis_and_fit_are_vectorised():
    """Ten times the queries must not mean ten times the Python function calls (no per-query loop)."""
    small, large = (_world(users={**_world().model_dump(mode="json")["users"], "mau": m}) for m in (1_000, 10_000))
    _python_calls(lambda: fit_logs(synth_logs(small, "cascade", 3), small))  # warm-up
    counts = []
    for s in (small, large):
        logs = synth_logs(s, "cascade", 7)
        counts.append((_python_calls(lambda s=s: synth_logs(s, "cascade", 7)),
                       _python_calls(lambda s=s, logs=logs: fit_logs(logs, s)), logs.frame.height))
    (synth_small, fit_small, n_small), (synth_large, fit_large, n_large) = counts
    assert n_large > 8 * n_small
    assert synth_large < 1.5 * synth_small and fit_large < 1.5 * fit_small
