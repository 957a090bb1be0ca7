"""Invariants over random small worlds: every query served once, ledger rows add up, deltas are consistent."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simroute
from simroute.ledger import CostCenter
from simroute.scenario.loader import scenario_from_dict

QUICK = yaml.safe_load((Path(__file__).resolve().parents[1] / "scenarios" / "quickstart.yaml").read_text())


def _world(seed, hidden, threshold, cascade_thr, share_faq, churn, hazard, frac):
    d = yaml.safe_load(yaml.safe_dump(QUICK))
    d.update(seed=seed, horizon_days=21)
    d["users"]["mau"] = 5000
    d["users"]["segments"][0]["baseline_churn_per_month"] = churn
    d["users"]["frustration"]["churn_hazard_per_unit"] = hazard
    intents = d["traffic"]["intents"]
    intents[0]["share"] = share_faq
    intents[1]["share"] = intents[2]["share"] = (1.0 - share_faq) / 2
    intents[1]["hidden_intent_rate"] = hidden
    d["drift"] = [{"kind": "hidden_intent_rate", "target": "billing", "start_day": 7, "ramp_days": 7, "to": hidden}]
    d["engine"] = {"batch_fraction_of_day": frac}
    d["monitors"] = []
    d["policies"] = [
        {"name": "single", "kind": "single", "model": "large"},
        {"name": "pre", "kind": "pre_route", "cheap_model": "small", "capable_model": "large",
         "threshold": threshold, "classifier": {"training_samples": 2000},
         "rollout": [{"day": 0, "share": 0.3}, {"day": 7, "share": 1.0}], "rollback": {"day": 18}},
        {"name": "casc", "kind": "cascade", "chain": ["small", "large"], "thresholds": [cascade_thr],
         "shadow": {"share": 0.1}},
        {"name": "soft", "kind": "soft_threshold", "cheap_model": "small", "capable_model": "large",
         "classifier": {"training_samples": 2000}, "verifier": {"true_positive_rate": 0.7,
                                                                "false_positive_rate": 0.1}},
        {"name": "orc", "kind": "oracle", "models": ["small", "large"]},
        {"name": "rnd", "kind": "random", "cheap_model": "small", "capable_model": "large"},
    ]
    return scenario_from_dict(d)


worlds = st.builds(_world, seed=st.integers(0, 2**32), hidden=st.floats(0, 0.6),
                   threshold=st.floats(0.05, 0.95), cascade_thr=st.floats(0.05, 0.99),
                   share_faq=st.floats(0.1, 0.8), churn=st.floats(0, 0.2), hazard=st.floats(0, 1),
                   frac=st.sampled_from([1.0, 0.5, 0.2]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds)
def test_invariants(scenario):
    r = simroute.run(scenario)
    out = r.output
    no_churn = all(g.baseline_churn_per_month == 0 for g in scenario.users.segments) \
        and scenario.users.frustration.churn_hazard_per_unit == 0
    for d in out.days.values():
        served = d.tier[:, :, 0].sum(axis=1)
        assert (served <= out.arrivals).all(), "a policy served more queries than arrived"
        if no_churn:
            assert (served == out.arrivals).all(), "every query is served exactly once"
        t = d.tier
        assert (t[:, :, 1] + t[:, :, 2] + t[:, :, 3] == t[:, :, 0]).all(), "each answer has one outcome"
        assert (t[:, :, 8] <= t[:, :, 7]).all() and (t[:, :, 7] <= t[:, :, 6]).all()
        assert (t[:, :, 5] <= t[:, :, 4]).all() and (t[:, :, 11] <= t[:, :, 0]).all()
        assert (d.day[:, 5] >= 0).all()
    # served counts agree across policies up to churn: same arrivals (common random numbers)
    assert len({int(d.tier[0, :, 0].sum()) for d in out.days.values()}) == 1
    _ledger_adds_up(r)


def _ledger_adds_up(r):
    daily, monthly = r.ledger_daily, r.ledger
    assert daily["usd"].sum() == pytest.approx(monthly["usd"].sum(), abs=0.005 * monthly.height)
    assert set(daily["cost_center"].unique()) <= {c.value for c in CostCenter}
    per_policy = daily.group_by("policy").agg(pl.col("usd").sum())
    per_center = daily.group_by(["policy", "cost_center"]).agg(pl.col("usd").sum()) \
        .group_by("policy").agg(pl.col("usd").sum())
    a = dict(per_policy.iter_rows())
    b = dict(per_center.iter_rows())
    for k in a:
        assert a[k] == pytest.approx(b[k], rel=1e-12, abs=1e-6)
    for p in r.policies.values():
        loss = p.invisible_loss_usd_per_month
        assert loss["total"] == pytest.approx(loss["support"] + loss["retention"] + loss["compliance"])
        assert p.net_value_usd_per_month == pytest.approx(p.savings_usd_per_month - loss["total"])
        assert 0.0 <= p.quality["overall"] <= 1.0
        assert sum(p.tier_share.values()) == pytest.approx(1.0)
    base = r.policies[r.baseline]
    assert base.savings_usd_per_month == 0 and base.invisible_loss_usd_per_month["total"] == 0
    assert base.trap_ratio is None


def test_inference_cost_matches_a_closed_form():
    """`single` pays tokens x price: the monthly bill is within Monte Carlo error of its expectation."""
    d = yaml.safe_load(yaml.safe_dump(QUICK))
    d["users"]["segments"][0]["baseline_churn_per_month"] = 0.0
    d["users"]["weekly_seasonality"] = [1.0] * 7
    d["policies"] = [{"name": "single", "kind": "single", "model": "large"}]
    d["monitors"] = []
    s = scenario_from_dict(d)
    r = simroute.run(s)
    m = s.models[1]
    sig_in = s.traffic.intents[0].tokens_in.sigma
    expected_per_query = 0.0
    for it in s.traffic.intents:
        e_in = it.tokens_in.median * np.exp(it.tokens_in.sigma ** 2 / 2)
        e_out = it.tokens_out.median * np.exp(it.tokens_out.sigma ** 2 / 2) * m.output_length_multiplier
        expected_per_query += it.share * (e_in * m.price_in_usd_per_1k_tokens
                                          + e_out * m.price_out_usd_per_1k_tokens) / 1000
    n = int(r.output.arrivals.sum())
    bill = r.ledger_daily.filter(pl.col("cost_center") == "ai_platform")["usd"].sum()
    expected = expected_per_query * n
    assert sig_in > 0
    assert bill == pytest.approx(expected, rel=0.02)
