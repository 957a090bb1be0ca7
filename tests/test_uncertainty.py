"""Replicates and intervals: seeds are spawned children of the root seed, runs are identical serially and in
parallel, the t-interval has the textbook half-width, and the nominal 95% interval covers a closed-form
expectation in about 95% of repeated experiments."""
from __future__ import annotations

import math
import zlib

import numpy as np
import polars as pl
import pytest
import yaml
from conftest import SCENARIOS

from simroute.errors import SimrouteError
from simroute.executors import ExecutorKind, LocalExecutor, make_executor
from simroute.replicates import run_replicates
from simroute.rng import Streams
from simroute.scenario.loader import scenario_from_dict
from simroute.uncertainty import interval


def tiny(**changes) -> dict:
    """The quickstart world cut down to a month of ~500 queries a day."""
    data = yaml.safe_load((SCENARIOS / "quickstart.yaml").read_text())
    data.update(horizon_days=30, monitors=[], drift=[])
    data["users"]["mau"] = 5000
    data["users"]["queries_per_user_per_day"] = 0.1
    data.update(changes)
    return data


def test_replicate_streams_are_spawned_children_of_the_root_seed():
    for k in (0, 3):
        child = np.random.SeedSequence(123).spawn(k + 1)[k]
        seq = Streams(123, replicate=k).sequence("arrivals", 7)
        assert seq.spawn_key == (*child.spawn_key, zlib.crc32(b"arrivals"), 7)
        assert seq.entropy == child.entropy
    assert Streams(123).sequence("arrivals", 7).spawn_key == (zlib.crc32(b"arrivals"), 7)


def test_interval_known_answer():
    iv = interval([1.0, 2.0, 3.0, 4.0, 5.0])
    half = 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5)  # t(0.975, 4) * sd / sqrt(n)
    assert iv.mean == 3.0 and iv.n == 5 and iv.sd == pytest.approx(math.sqrt(2.5))
    assert (iv.low, iv.high) == pytest.approx((3.0 - half, 3.0 + half))


def test_interval_skips_undefined_values_and_needs_two():
    iv = interval([1.0, float("nan"), 3.0])
    assert (iv.n, iv.replicates, iv.mean) == (2, 3, 2.0)
    one = interval([4.0, float("nan")])
    assert one.mean == 4.0 and math.isnan(one.low)
    assert interval([]).n == 0


def test_replicates_are_identical_serially_and_in_parallel():
    sc = scenario_from_dict(tiny())
    serial = run_replicates(sc, 3, LocalExecutor(1))
    parallel = run_replicates(sc, 3, LocalExecutor(2))
    assert serial.table.equals(parallel.table)
    values = serial.table.filter((pl.col("subject") == "pre_route") & (pl.col("metric") == "net_value_usd_per_month"))
    assert values["value"].n_unique() == 3  # independent seeds really differ


def test_replicates_keep_policies_paired():
    """Inside a replicate every policy sees the same arrivals and answers: dropping a policy changes nothing
    for the others, and the replicate's world differs from the seed's own."""
    from simroute.api import run_resolved
    data = tiny()
    both = run_resolved(scenario_from_dict(data), replicate=1)
    data["policies"] = [p for p in data["policies"] if p["name"] != "pre_route"]
    fewer = run_resolved(scenario_from_dict(data), replicate=1)
    assert (both.output.arrivals == fewer.output.arrivals).all()
    assert both.policies["cascade"] == fewer.policies["cascade"]
    own = run_resolved(scenario_from_dict(data))
    assert not (own.output.arrivals == fewer.output.arrivals).all()


def test_replicate_count_is_checked():
    with pytest.raises(SimrouteError, match="--replicates: expected an integer from 2"):
        run_replicates(scenario_from_dict(tiny()), 1, LocalExecutor(1))


def test_every_executor_kind_is_handled():
    for kind in ExecutorKind:
        if kind is ExecutorKind.dask:
            with pytest.raises(SimrouteError, match="--scheduler"):
                make_executor(kind)
        else:
            assert make_executor(kind).kind is kind


def _expected_monthly_inference_usd(sc) -> float:
    """Closed form for `single`: 30 days x E[queries/day] x E[cost/query], lognormal tokens (mean = median
    e^(sigma^2/2)), no churn, flat week, no drift."""
    m = sc.models[sc.model_index(sc.baseline.model)]
    per_query = sum(i.share * (i.tokens_in.median * math.exp(i.tokens_in.sigma ** 2 / 2) * m.price_in_usd_per_1k_tokens
                               + i.tokens_out.median * math.exp(i.tokens_out.sigma ** 2 / 2)
                               * m.output_length_multiplier * m.price_out_usd_per_1k_tokens) / 1000.0
                    for i in sc.traffic.intents)
    return 30 * sc.users.mau * sc.users.queries_per_user_per_day * per_query


@pytest.mark.slow
def test_nominal_95_interval_covers_the_closed_form_about_95_percent():
    """1,000 replicates grouped into 250 experiments of 4: each experiment's 95% interval on the monthly
    inference cost of `single` should cover the closed-form expectation in 230-246 of 250 (binomial(250,
    0.95) lands there 99% of the time); too narrow or too wide intervals both fail."""
    data = tiny(policies=[{"name": "single", "kind": "single", "model": "large"}],
                report={"steady_state": {"start_day": 0, "end_day": 30}})
    data["users"]["segments"] = [{"name": "everyone", "share": 1.0, "arpu_usd_per_month": 20,
                                  "baseline_churn_per_month": 0.0}]
    data["users"]["frustration"] = {"churn_hazard_per_unit": 0.0}
    sc = scenario_from_dict(data)
    truth = _expected_monthly_inference_usd(sc)
    reps = run_replicates(sc, 1000, LocalExecutor(2))
    cost = (reps.table.filter((pl.col("subject") == "single") & (pl.col("metric") == "ai_platform_usd_per_month"))
            .sort("replicate")["value"].to_numpy())
    assert len(cost) == 1000
    assert abs(cost.mean() - truth) < 4 * cost.std(ddof=1) / math.sqrt(1000)  # the estimator is unbiased
    covered = sum(iv.low <= truth <= iv.high for iv in (interval(g) for g in cost.reshape(250, 4)))
    assert 230 <= covered <= 246
