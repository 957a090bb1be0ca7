"""The simulated world: traffic draws, model outcomes, the user population and per-policy churn/frustration.

Tolerances are 5 standard errors (derived per test) at fixed seeds.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy.stats import chisquare

from simroute.rng import Streams
from simroute.scenario.loader import scenario_from_dict
from simroute.world.drift import DayParams, DriftSchedule
from simroute.world.outcomes import NANO, ModelBank
from simroute.world.traffic import Queries, SurfaceGeometry, TrafficModel
from simroute.world.users import PolicyUsers, Population

FIXTURE = Path(__file__).parent / "fixtures" / "minimal.yaml"
Z = 5.0  # sigmas

INTENTS = [
    {"name": "faq", "share": 0.5, "surface_class": "simple", "base_difficulty": -1.0,
     "hidden_intent_rate": 0.02, "regulatory_share": 0.0,
     "tokens_in": {"median": 500, "sigma": 0.4}, "tokens_out": {"median": 120, "sigma": 0.3}},
    {"name": "billing", "share": 0.3, "surface_class": "simple", "base_difficulty": 0.0,
     "hidden_intent_rate": 0.2, "regulatory_share": 0.1,
     "tokens_in": {"median": 2000, "sigma": 0.8}, "tokens_out": {"median": 300, "sigma": 0.5}},
    {"name": "dispute", "share": 0.15, "surface_class": "complex", "base_difficulty": 1.5,
     "hidden_intent_rate": 0.0, "regulatory_share": 0.6,
     "tokens_in": {"median": 1200, "sigma": 0.6}, "tokens_out": {"median": 800, "sigma": 0.2}},
    {"name": "rare", "share": 0.05, "surface_class": "complex", "base_difficulty": 3.0,
     "hidden_intent_rate": 0.5, "regulatory_share": 0.3},
]


def _model(name: str, **kw) -> dict:
    m = {"name": name, "price_in_usd_per_1k_tokens": 0.001, "price_out_usd_per_1k_tokens": 0.004,
         "latency": {"median_s": 1.0, "sigma": 0.4}, "quality": {"skill": 2.0},
         "failure": {"confident_share": 0.5}}
    for key, value in kw.items():
        if isinstance(value, dict):
            m[key] = {**m.get(key, {}), **value}
        else:
            m[key] = value
    return m


def _data(**top) -> dict:
    data = yaml.safe_load(FIXTURE.read_text())
    data["horizon_days"] = 60
    data["traffic"] = {"intents": INTENTS, "difficulty": {"tail_index": 5.0, "scale": 0.8}}
    data["users"]["segments"] = [
        {"name": "smb", "share": 0.7, "arpu_usd_per_month": 10, "baseline_churn_per_month": 0.05},
        {"name": "ent", "share": 0.3, "arpu_usd_per_month": 100, "baseline_churn_per_month": 0.01,
         "churn_sensitivity": 1.5},
    ]
    data["policies"] = data["policies"][:1]
    for key, value in top.items():
        data[key] = value
    return data


@pytest.fixture(scope="module")
def scenario():
    return scenario_from_dict(_data())


@pytest.fixture(scope="module")
def traffic(scenario):
    return TrafficModel(scenario, SurfaceGeometry(scenario, np.random.default_rng(0)))


@pytest.fixture(scope="module")
def base_params(scenario):
    return DriftSchedule(scenario).at(0.5)


@pytest.fixture(scope="module")
def big_draw(traffic, base_params):
    return traffic.draw(np.random.default_rng(123), 200_000, base_params)


def _params(p: DayParams, **kw) -> DayParams:
    fields = {"intent_shares": p.intent_shares, "hidden_rates": p.hidden_rates,
              "difficulty_scale": p.difficulty_scale, "segment_shares": p.segment_shares,
              "skill_delta": p.skill_delta}
    fields.update(kw)
    return DayParams(**fields)


def _queries(n: int, difficulty: float = 0.0, hidden: bool = False, regulatory: bool = False,
             tokens_in: float = 1000.0, tokens_out: float = 200.0) -> Queries:
    return Queries(intent=np.zeros(n, dtype=np.int16), difficulty=np.full(n, float(difficulty)),
                   tail=np.zeros(n), hidden=np.full(n, hidden), regulatory=np.full(n, regulatory),
                   tokens_in=np.full(n, float(tokens_in)), tokens_out=np.full(n, float(tokens_out)),
                   surface=np.zeros((n, 2), dtype=np.float32))


def _bank(models: list[dict], rho: float = 0.7) -> ModelBank:
    policies = [{"name": "baseline", "kind": "single", "model": models[0]["name"]}]
    return ModelBank(scenario_from_dict(_data(models=models, outcome_correlation=rho, policies=policies)))


def _no_drift(m: int) -> DayParams:
    return DayParams(np.array([1.0]), np.array([0.0]), 1.0, np.array([1.0]), np.zeros(m))


# ---------------------------------------------------------------- traffic

def test_lomax_tail_mean_matches_scale_over_alpha_minus_one(big_draw):
    alpha, scale = 5.0, 0.8
    tail = big_draw.tail
    n = len(tail)
    assert np.all(tail >= 0)
    mean = scale / (alpha - 1)
    var = scale ** 2 * alpha / ((alpha - 1) ** 2 * (alpha - 2))  # Lomax variance (alpha > 2)
    assert abs(tail.mean() - mean) < Z * math.sqrt(var / n)
    # survival function P(T > x) = (1 + x / scale) ** -alpha at a couple of points
    for x in (0.2, 0.8, 2.0):
        p = (1 + x / scale) ** -alpha
        assert abs(np.mean(tail > x) - p) < Z * math.sqrt(p * (1 - p) / n)


def test_difficulty_is_base_plus_tail_and_scale_drift_multiplies_the_tail(traffic, base_params, big_draw):
    base = np.array([i["base_difficulty"] for i in INTENTS])
    np.testing.assert_allclose(big_draw.difficulty, base[big_draw.intent] + big_draw.tail)
    scaled = traffic.draw(np.random.default_rng(123), 200_000, _params(base_params, difficulty_scale=2.5))
    np.testing.assert_allclose(scaled.tail, 2.5 * big_draw.tail)  # same uniforms, scaled draw
    np.testing.assert_array_equal(scaled.intent, big_draw.intent)


def test_intent_frequencies_match_shares(traffic, base_params):
    n = 20_000
    q = traffic.draw(np.random.default_rng(7), n, base_params)
    shares = np.array([i["share"] for i in INTENTS])
    counts = np.bincount(q.intent, minlength=len(shares))
    assert chisquare(counts, shares * n).pvalue > 1e-3
    # drifted shares are followed too
    drifted = np.array([0.1, 0.2, 0.3, 0.4])
    q2 = traffic.draw(np.random.default_rng(8), n, _params(base_params, intent_shares=drifted))
    assert chisquare(np.bincount(q2.intent, minlength=4), drifted * n).pvalue > 1e-3


def test_zero_share_intent_is_never_drawn(traffic, base_params):
    q = traffic.draw(np.random.default_rng(9), 20_000, _params(base_params, intent_shares=np.array([0.5, 0, 0.5, 0])))
    assert set(np.unique(q.intent)) == {0, 2}


def test_hidden_and_regulatory_rates_per_intent(big_draw):
    for k, intent in enumerate(INTENTS):
        rows = big_draw.intent == k
        n = int(rows.sum())
        for col, rate in ((big_draw.hidden, intent.get("hidden_intent_rate", 0.0)),
                          (big_draw.regulatory, intent.get("regulatory_share", 0.0))):
            got = col[rows].mean()
            if rate == 0.0:
                assert got == 0.0
            else:
                assert abs(got - rate) < Z * math.sqrt(rate * (1 - rate) / n), (intent["name"], got, rate)


def test_hidden_rate_drift_is_followed(traffic, base_params):
    n = 50_000
    q = traffic.draw(np.random.default_rng(10), n, _params(base_params, hidden_rates=np.array([0.4, 0.4, 0.4, 0.4])))
    assert abs(q.hidden.mean() - 0.4) < Z * math.sqrt(0.24 / n)


def test_token_counts_are_lognormal_with_the_configured_medians(big_draw):
    for k, intent in enumerate(INTENTS):
        rows = big_draw.intent == k
        n = int(rows.sum())
        for col, key, default in ((big_draw.tokens_in, "tokens_in", (800, 0.5)),
                                  (big_draw.tokens_out, "tokens_out", (250, 0.5))):
            cfg = intent.get(key, {"median": default[0], "sigma": default[1]})
            logs = np.log(col[rows])
            # sample median of a normal: se = sigma * sqrt(pi / 2) / sqrt(n)
            se_median = cfg["sigma"] * math.sqrt(math.pi / 2 / n)
            assert abs(np.median(logs) - math.log(cfg["median"])) < Z * se_median, (intent["name"], key)
            assert logs.std() == pytest.approx(cfg["sigma"], rel=Z / math.sqrt(2 * n) + 1e-3)


def test_surface_features_shape_and_simple_axis(big_draw, scenario):
    assert big_draw.surface.dtype == np.float32
    assert big_draw.surface.shape == (len(big_draw), scenario.traffic.surface.dimensions)
    simple = np.isin(big_draw.intent, [0, 1])
    # simple intents sit at +separation/2 on axis 0, complex at -separation/2 (less the difficulty nudge)
    assert big_draw.surface[simple, 0].mean() > 1.0 > -1.0 > big_draw.surface[~simple, 0].mean()


def test_queries_take_selects_rows(big_draw):
    idx = np.array([5, 0, 17])
    sub = big_draw.take(idx)
    assert len(sub) == 3
    np.testing.assert_array_equal(sub.surface, big_draw.surface[idx])
    np.testing.assert_array_equal(sub.difficulty, big_draw.difficulty[idx])


# ---------------------------------------------------------------- model outcomes

def test_p_correct_known_answer():
    bank = _bank([_model("m", quality={"skill": 2.0, "hidden_intent_penalty": 1.5, "regulatory_penalty": 0.7,
                                       "ceiling": 0.95, "floor": 0.1})])
    q = Queries(intent=np.zeros(4, dtype=np.int16), difficulty=np.array([0.0, 1.0, 2.0, 0.5]), tail=np.zeros(4),
                hidden=np.array([False, True, False, True]), regulatory=np.array([False, False, True, True]),
                tokens_in=np.ones(4), tokens_out=np.ones(4), surface=np.zeros((4, 2), dtype=np.float32))
    got = bank.p_correct(q, np.array([0.5]))
    assert got.shape == (1, 4)
    sig = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    logits = [2.5 - 0.0, 2.5 - 1.0 - 1.5, 2.5 - 2.0 - 0.7, 2.5 - 0.5 - 1.5 - 0.7]
    want = [0.1 + 0.85 * sig(z) for z in logits]
    np.testing.assert_allclose(got[0], want, rtol=1e-12)


def test_p_correct_floor_and_ceiling_bound_the_extremes():
    bank = _bank([_model("m", quality={"skill": 0.0, "ceiling": 0.9, "floor": 0.2})])
    q = Queries(intent=np.zeros(2, dtype=np.int16), difficulty=np.array([-50.0, 50.0]), tail=np.zeros(2),
                hidden=np.zeros(2, bool), regulatory=np.zeros(2, bool), tokens_in=np.ones(2),
                tokens_out=np.ones(2), surface=np.zeros((2, 2), dtype=np.float32))
    np.testing.assert_allclose(bank.p_correct(q, np.zeros(1))[0], [0.9, 0.2], atol=1e-12)


def test_correct_frequency_matches_p_correct():
    bank = _bank([_model("a", quality={"skill": 1.0}), _model("b", quality={"skill": -0.5, "floor": 0.1})])
    n = 40_000
    q = _queries(n, difficulty=0.3)
    o = bank.draw(np.random.default_rng(1), q, _no_drift(2))
    p = bank.p_correct(q, np.zeros(2))[:, 0]
    for m in range(2):
        assert abs(o.correct[m].mean() - p[m]) < Z * math.sqrt(p[m] * (1 - p[m]) / n)


def test_skill_drift_shifts_p_correct():
    bank = _bank([_model("a", quality={"skill": 1.0})])
    q = _queries(1, difficulty=1.0)
    assert bank.p_correct(q, np.array([0.0]))[0, 0] == pytest.approx(0.5)
    assert bank.p_correct(q, np.array([-1.0]))[0, 0] == pytest.approx(1 / (1 + math.e))


def test_full_outcome_correlation_makes_identical_models_agree_on_every_query():
    bank = _bank([_model("a"), _model("b")], rho=1.0)
    q = _queries(5000, difficulty=2.0)  # P(correct) = 0.5: maximal room to disagree
    o = bank.draw(np.random.default_rng(3), q, _no_drift(2))
    assert 0.4 < o.correct[0].mean() < 0.6
    np.testing.assert_array_equal(o.correct[0], o.correct[1])
    # the failure style is one draw per query too, so wrong answers share it
    np.testing.assert_array_equal(o.confident[0], o.confident[1])


def test_zero_outcome_correlation_makes_models_independent():
    bank = _bank([_model("a"), _model("b")], rho=0.0)
    n = 40_000
    o = bank.draw(np.random.default_rng(4), _queries(n, difficulty=2.0), _no_drift(2))
    agree = np.mean(o.correct[0] == o.correct[1])
    assert abs(agree - 0.5) < Z * math.sqrt(0.25 / n)  # p^2 + (1-p)^2 at p = 0.5


def test_confident_share_of_wrong_answers():
    bank = _bank([_model("a", failure={"confident_share": 0.3, "confident_share_hidden": 0.9})])
    n = 40_000
    for hidden, share in ((False, 0.3), (True, 0.9)):
        o = bank.draw(np.random.default_rng(5), _queries(n, difficulty=2.0, hidden=hidden), _no_drift(1))
        wrong = ~o.correct[0]
        assert not np.any(o.confident[0] & o.correct[0])
        k = int(wrong.sum())
        assert abs(o.confident[0][wrong].mean() - share) < Z * math.sqrt(share * (1 - share) / k)


def _mean_gap(conf: np.ndarray, correct: np.ndarray) -> tuple[float, float]:
    """mean(confidence | correct) - mean(confidence | wrong), and its standard error."""
    a, b = conf[correct].astype(float), conf[~correct].astype(float)
    return a.mean() - b.mean(), math.sqrt(a.var() / len(a) + b.var() / len(b))


def test_confidence_is_lower_on_wrong_answers_with_error_awareness():
    common = {"hedge_drop": 0.0, "noise_sd": 0.5, "slope": 1.0, "bias": 0.0}
    bank = _bank([_model("aware", confidence={**common, "error_awareness": 2.0}),
                  _model("blind", confidence={**common, "error_awareness": 0.0})], rho=0.0)
    n = 20_000
    o = bank.draw(np.random.default_rng(6), _queries(n, difficulty=2.0), _no_drift(2))
    gap, se = _mean_gap(o.confidence[0], o.correct[0])
    assert gap > 0.3 and gap > Z * se
    # without error awareness (and no hedge drop) confidence carries no information about correctness
    gap0, se0 = _mean_gap(o.confidence[1], o.correct[1])
    assert abs(gap0) < Z * se0


def test_hedged_answers_drop_confidence_further():
    bank = _bank([_model("a", confidence={"hedge_drop": 3.0, "error_awareness": 0.0},
                         failure={"confident_share": 0.5})])
    o = bank.draw(np.random.default_rng(7), _queries(20_000, difficulty=2.0), _no_drift(1))
    wrong = ~o.correct[0]
    hedged = wrong & ~o.confident[0]
    conf = o.confidence[0].astype(float)
    assert conf[hedged].mean() < conf[o.confident[0]].mean() - 0.3
    diff = conf[o.confident[0]].mean() - conf[o.correct[0]].mean()
    se = math.sqrt(conf[o.confident[0]].var() / o.confident[0].sum() + conf[o.correct[0]].var() / o.correct[0].sum())
    assert abs(diff) < Z * se  # confident-wrong looks like correct when error_awareness = 0


def test_hidden_wrong_answers_are_not_less_confident_without_hidden_awareness():
    common = {"hedge_drop": 0.0, "error_awareness": 2.0}
    bank = _bank([_model("blind", quality={"hidden_intent_penalty": 2.0},
                         confidence={**common, "hidden_awareness": 0.0}),
                  _model("aware", quality={"hidden_intent_penalty": 2.0},
                         confidence={**common, "hidden_awareness": 1.0})], rho=0.0)
    n = 20_000
    o = bank.draw(np.random.default_rng(8), _queries(n, difficulty=0.0, hidden=True), _no_drift(2))
    gap, se = _mean_gap(o.confidence[0], o.correct[0])
    assert gap < Z * se  # wrong hidden answers are not less confident than right ones
    gap1, se1 = _mean_gap(o.confidence[1], o.correct[1])
    assert gap1 > 0.3 and gap1 > Z * se1
    # the blind model also does not perceive the penalty: it is more confident overall on hidden queries
    assert o.confidence[0].mean() > o.confidence[1].mean() + 0.2


def test_latency_is_lognormal_and_cost_is_priced_per_token():
    bank = _bank([_model("a", latency={"median_s": 1.7, "sigma": 0.5}, price_in_usd_per_1k_tokens=0.002,
                         price_out_usd_per_1k_tokens=0.01, output_length_multiplier=1.5)])
    n = 20_000
    q = _queries(n, tokens_in=1234.0, tokens_out=321.0)
    o = bank.draw(np.random.default_rng(9), q, _no_drift(1))
    logs = np.log(o.latency_s[0].astype(float))
    assert abs(np.median(logs) - math.log(1.7)) < Z * 0.5 * math.sqrt(math.pi / 2 / n)
    usd = (1234.0 * 0.002 + 321.0 * 1.5 * 0.01) / 1000
    assert o.cost_nano.dtype == np.int64
    assert np.all(o.cost_nano[0] == round(usd * NANO))


def test_outcome_draw_is_reproducible_and_take_selects_columns():
    bank = _bank([_model("a"), _model("b")])
    q = _queries(100, difficulty=1.0)
    o1 = bank.draw(np.random.default_rng(10), q, _no_drift(2))
    o2 = bank.draw(np.random.default_rng(10), q, _no_drift(2))
    np.testing.assert_array_equal(o1.confidence, o2.confidence)
    sub = o1.take(np.array([3, 1]))
    assert sub.correct.shape == (2, 2)
    np.testing.assert_array_equal(sub.latency_s, o1.latency_s[:, [3, 1]])


# ---------------------------------------------------------------- population and churn

def _population(**users) -> tuple[Population, object]:
    data = _data()
    data["users"].update(users)
    s = scenario_from_dict(data)
    return Population(s, DriftSchedule(s), Streams(s.seed).generator("users")), s


def test_joiners_per_day_replace_weighted_baseline_churn():
    pop, s = _population(mau=9000)
    jpd = 9000 * (0.7 * 0.05 + 0.3 * 0.01) / 30  # = 11.4 users a day
    assert jpd == pytest.approx(11.4)
    for day in (0, 1, 10, 30, 59, 60):
        assert pop.joined(day) == 9000 + math.floor(jpd * day)
    assert pop.joined(10_000) == pop.joined(60)  # clamps at the horizon
    assert pop.size == 9000 + math.floor(jpd * 60)
    # join days agree with the cumulative counts
    joins = np.bincount(pop.join_day, minlength=61)
    assert joins[0] == 9000
    np.testing.assert_array_equal(joins[1:], np.diff(pop.joined_by_day))


def test_segments_follow_shares_and_billing_offsets(scenario):
    pop, s = _population(mau=20_000)
    ent = pop.segment[:20_000] == 1
    assert abs(ent.mean() - 0.3) < Z * math.sqrt(0.21 / 20_000)
    assert pop.billing_offset.min() >= 0 and pop.billing_offset.max() < 30
    joiners = np.arange(20_000, pop.size)
    np.testing.assert_array_equal(pop.billing_offset[joiners], pop.join_day[joiners] % 30)
    for day in (1, 17, 30, 45):
        ids = pop.billed_on(day)
        assert np.all(pop.billing_offset[ids] == day % 30)
        assert np.all(pop.join_day[ids] < day)
    # across one cycle every initial user is billed exactly once
    billed = np.concatenate([pop.billed_on(d) for d in range(1, 31)])
    ids, counts = np.unique(billed, return_counts=True)
    assert np.all(counts == 1)
    assert set(range(20_000)) <= set(ids.tolist())


def test_joiner_segments_follow_the_drifted_segment_share():
    data = _data()
    data["users"]["mau"] = 30_000
    data["horizon_days"] = 300
    data["drift"] = [{"kind": "segment_share", "target": "ent", "start_day": 1, "to": 0.8}]
    s = scenario_from_dict(data)
    pop = Population(s, DriftSchedule(s), Streams(1).generator("users"))
    joiners = pop.segment[30_000:]
    n = len(joiners)
    assert n > 1000
    assert abs((joiners == 1).mean() - 0.8) < Z * math.sqrt(0.16 / n)


def test_bill_churns_the_baseline_rate_when_nobody_is_frustrated():
    pop, s = _population(mau=60_000)
    pu = PolicyUsers(pop, s)
    rng = np.random.default_rng(11)
    billed, gone = [], []
    for day in range(1, 31):
        ids = pop.billed_on(day)
        billed.append(ids)
        gone.append(pu.bill(day, rng.random(len(ids))))
    billed, gone = np.concatenate(billed), np.concatenate(gone)
    churn = np.array([0.05, 0.01])[pop.segment[billed]]
    expected, sd = churn.sum(), math.sqrt((churn * (1 - churn)).sum())
    assert abs(len(gone) - expected) < Z * sd
    assert pu.churned_total == len(gone)
    assert not pu.active[gone].any()
    # per segment
    for seg, rate in ((0, 0.05), (1, 0.01)):
        n = int((pop.segment[billed] == seg).sum())
        k = int((pop.segment[gone] == seg).sum())
        assert abs(k / n - rate) < Z * math.sqrt(rate * (1 - rate) / n)


def test_bill_converts_monthly_churn_to_the_billing_cycle():
    pop, s = _population(mau=60_000, billing_cycle_days=10)
    pu = PolicyUsers(pop, s)
    ids = pop.billed_on(5)
    gone = pu.bill(5, np.random.default_rng(12).random(len(ids)))
    per_cycle = 1 - (1 - np.array([0.05, 0.01])) ** (10 / 30)
    p = per_cycle[pop.segment[ids]]
    assert abs(len(gone) - p.sum()) < Z * math.sqrt((p * (1 - p)).sum())


def test_inactive_users_are_not_billed_again():
    pop, s = _population(mau=3000)
    pu = PolicyUsers(pop, s)
    ids = pop.billed_on(3)
    first = pu.bill(3, np.zeros(len(ids)))  # uniforms of 0 churn everybody billed
    np.testing.assert_array_equal(np.sort(first), np.sort(ids))
    again = pu.bill(33, np.zeros(len(pop.billed_on(33))))
    assert not np.isin(again, first).any()
    assert pu.churned_total == len(first) + len(again)


def test_frustration_raises_churn_by_the_hazard():
    pop, s = _population(mau=60_000, frustration={"decay_days": 10.0, "churn_hazard_per_unit": 0.5})
    pu = PolicyUsers(pop, s)
    day = 12
    ids = pop.billed_on(day)
    # frustration 2 committed one decay time before billing: 2/e left at billing
    pu.add_frustration(ids, np.full(len(ids), 2.0), float(day - 10))
    gone = pu.bill(day, np.random.default_rng(13).random(len(ids)))
    base = np.array([0.05, 0.01])[pop.segment[ids]]
    sens = np.array([1.0, 1.5])[pop.segment[ids]]
    p = 1 - (1 - base) * np.exp(-0.5 * sens * 2.0 / math.e)
    assert abs(len(gone) - p.sum()) < Z * math.sqrt((p * (1 - p)).sum())
    assert len(gone) > 5 * base.sum()


def test_mau_stays_steady_without_frustration():
    horizon, mau, churn = 360, 30_000, 0.03
    data = _data(horizon_days=horizon)
    data["users"]["mau"] = mau
    data["users"]["segments"] = [{"name": "all", "share": 1.0, "arpu_usd_per_month": 10,
                                  "baseline_churn_per_month": churn}]
    s = scenario_from_dict(data)
    pop = Population(s, DriftSchedule(s), Streams(2).generator("users"))
    pu = PolicyUsers(pop, s)
    rng = np.random.default_rng(14)
    active = []
    for day in range(1, horizon):
        pu.bill(day, rng.random(len(pop.billed_on(day))))
        active.append(pop.joined(day) - pu.churned_total)
    # churn per day ~ Binomial(mau / 30, churn): the random walk's sd after t days is sqrt(t * mau * churn / 30)
    sd = math.sqrt(horizon * mau * churn / 30)
    assert abs(active[-1] - mau) < Z * sd
    assert abs(np.mean(active) - mau) < Z * sd


def test_frustration_decays_with_e_folding_time_decay_days():
    pop, s = _population(mau=100, frustration={"decay_days": 20.0})
    pu = PolicyUsers(pop, s)
    users = np.array([0, 1, 1, 2, 3])
    pu.add_frustration(users, np.array([1.0, 0.5, 0.25, 0.0, 2.0]), 3.0)
    np.testing.assert_allclose(pu.frustration_at(np.array([0, 1, 2, 3]), 3.0), [1.0, 0.75, 0.0, 2.0])
    assert pu.updated[pop.slot_of[2]] == 0.0  # a zero weight is not an experience (state is kept by slot)
    np.testing.assert_allclose(pu.frustration_at(np.array([0, 1, 3]), 23.0), np.array([1.0, 0.75, 2.0]) / math.e)
    half = 3.0 + 20.0 * math.log(2)
    assert pu.frustration_at(np.array([3]), half)[0] == pytest.approx(1.0)
    # a later experience adds to the decayed remainder
    pu.add_frustration(np.array([0]), np.array([1.0]), 23.0)
    assert pu.frustration_at(np.array([0]), 23.0)[0] == pytest.approx(1.0 + 1 / math.e)
    assert pu.frustration_at(np.array([0]), 43.0)[0] == pytest.approx((1.0 + 1 / math.e) / math.e)


def test_add_frustration_with_no_positive_weights_is_a_no_op():
    pop, s = _population(mau=10)
    pu = PolicyUsers(pop, s)
    pu.add_frustration(np.array([1, 2]), np.array([0.0, 0.0]), 5.0)
    assert not pu.frustration.any() and not pu.updated.any()
