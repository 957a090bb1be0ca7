"""The round trip a team's data takes: a known world's logs and eval written in every supported format, read back
by the importers and fitted, give the same fit as the in-memory tables (whose recovery of the truth
tests/test_fit_logs.py and tests/test_fit_pipeline.py check); and the refitted world's headline figures fall within
the Monte Carlo prediction interval of the original world's."""
from __future__ import annotations

import math

import pytest
from scipy.stats import t as student_t

from simroute.fit.logs import fit_logs
from simroute.fit.pipeline import fit_world
from simroute.fit.synth import synth_eval
from simroute.fit.synth_logs import synth_logs
from simroute.importers import EVAL_FORMATS, LOG_FORMATS, read_eval, read_logs, write_eval, write_logs
from simroute.replicates import run_replicates
from simroute.runner import run_resolved
from simroute.scenario.loader import load_scenario, scenario_from_dict

SUFFIX = {"otel_jsonl": ".jsonl", "litellm_csv": ".csv", "langfuse": ".csv", "generic_csv": ".csv",
          "generic_parquet": ".parquet", "eval_csv": ".csv", "eval_parquet": ".parquet", "eval_jsonl": ".jsonl"}
REPLICATES = 6


def _world():
    """quickstart without drift or monitors, a weekly pattern and steady users: a world the fit can recover."""
    d = load_scenario("scenarios/quickstart.yaml").model_dump(mode="json", exclude_none=True)
    d["users"].update(mau=5_000, queries_per_user_per_day=0.2, weekly_seasonality=[1.3, 1.15, 1.05, 1, 0.95, 0.7, 0.85])
    d["outcome_correlation"] = 0.5
    d["drift"], d["monitors"] = [], []
    return scenario_from_dict(d)


@pytest.fixture(scope="module")
def world():
    return _world()


@pytest.fixture(scope="module")
def logs(world):
    return synth_logs(world, "pre_route", 28, seed=5)


@pytest.mark.parametrize("fmt", [f.value for f in LOG_FORMATS])
def test_every_log_format_fits_like_the_table(tmp_path, world, logs, fmt):
    written = write_logs(logs, tmp_path / f"logs{SUFFIX[fmt]}", fmt)
    back = read_logs(written, fmt)
    want, got = fit_logs(logs, world).estimates, fit_logs(back, world).estimates
    assert set(got) == set(want)
    for path, est in want.items():
        assert got[path].value == pytest.approx(est.value, rel=1e-6, abs=1e-9), path


@pytest.mark.parametrize("fmt", [f.value for f in EVAL_FORMATS])
def test_every_eval_format_reads_back_the_same_eval(tmp_path, world, fmt):
    ev = synth_eval(world, 2000, seed=6)
    back = read_eval(write_eval(ev, tmp_path / f"eval{SUFFIX[fmt]}", fmt))
    assert back.models == ev.models
    assert back.frame.select(sorted(ev.frame.columns)).equals(ev.frame.select(sorted(ev.frame.columns)))


@pytest.mark.slow
def test_refitted_world_headline_figures_within_the_prediction_interval(world):
    """A single run of the refitted world against the original's replicates: the refit must land where one more
    replicate of the original would (mean ± t·sd·√(1 + 1/n)), widened for a quality figure by the binomial error
    of the eval rows the fit saw for it (the refit is an estimate: its own sampling error is not Monte Carlo
    noise of the simulation). Figures: the bill, quality overall and per tier, and the trap ratio of pre_route."""
    n_eval = 60_000
    ev = synth_eval(world, n_eval, seed=7)
    fitted = fit_world(ev, synth_logs(world, "single", 28, seed=8), world, cheap="small", capable="large",
                       seed=1).scenario
    reps = run_replicates(world, REPLICATES)
    refit = run_resolved(fitted).policies["pre_route"]
    rows = 0.8 * n_eval  # the calibration split
    shares = {"quality": 1.0, **{f"quality_{k}": v for k, v in refit.tier_share.items()}}
    figures = {"bill_pct_of_baseline": refit.bill_pct_of_baseline, "trap_ratio": refit.trap_ratio,
               **{"quality" if k == "overall" else f"quality_{k}": v for k, v in refit.quality.items()}}
    factor = float(student_t.ppf(0.975, REPLICATES - 1))
    for name, value in figures.items():
        iv = reps.intervals["pre_route"][name]
        fit_se = math.sqrt(value * (1 - value) / (rows * shares[name])) if name in shares else 0.0
        bound = factor * math.sqrt(iv.sd ** 2 * (1 + 1 / REPLICATES) + fit_se ** 2)
        assert value is not None and abs(value - iv.mean) <= bound, (name, value, iv, bound)
