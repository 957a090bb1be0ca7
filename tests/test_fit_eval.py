"""The eval fit: known answers of the likelihood, parameter recovery on simulated worlds, and the fitted world
reproducing the eval. Recovery tolerance: every fitted parameter within 4 standard errors of the truth."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy.special import expit, ndtri
from scipy.stats import multivariate_normal

from simroute.fit import NOT_IN_DATA, EvalSet, FitError, fit_eval, synth_eval
from simroute.fit.likelihood import Design, _factor, _pairs, negloglik, negloglik_grad
from simroute.scenario.loader import load_scenario
from simroute.scenario.measurable import tail_rule

QUICKSTART = "scenarios/quickstart.yaml"
TOL_SE = 4.0


def _point_design(counts, m=2, offsets=None):
    """One cell, difficulty fixed at 0 (a single tail node): the likelihood has a closed form."""
    c = len(counts)
    return Design(cell=np.arange(c), intent=np.full(c, -1), offset=np.zeros((c, m)) if offsets is None else offsets,
                  weight=np.ones(c), counts=np.asarray(counts, float), floor=np.zeros(m), ceiling=np.ones(m),
                  tail=np.array([0.0]), tail_w=np.ones(1), hidden=np.zeros(c, bool), regulatory=np.zeros(c, bool))


def test_likelihood_known_answer_on_a_tiny_table():
    counts = [[10, 3, 7, 30]]             # patterns: both wrong, only model 0, only model 1, both right
    skill, rho = np.array([1.0, 2.0]), 0.6
    p = expit(skill)
    both = multivariate_normal(cov=[[1, rho ** 2], [rho ** 2, 1]]).cdf(ndtri(p))
    probs = np.array([1 - p[0] - p[1] + both, p[0] - both, p[1] - both, both])
    expected = -(np.array(counts[0]) * np.log(probs)).sum()
    assert negloglik(_point_design(counts), skill, np.zeros(0), rho) == pytest.approx(expected, rel=1e-9)


def test_factor_quadrature_agrees_with_the_exact_pairs():
    t, w = tail_rule(2.5, 1.0)
    rng = np.random.default_rng(0)
    d = Design(cell=np.array([0, 0, 1]), intent=np.array([0, 0, 1]), offset=rng.normal(size=(3, 2)),
               weight=np.array([0.6, 0.4, 1.0]), counts=np.ones((2, 4)), floor=np.array([0.0, 0.2]),
               ceiling=np.array([1.0, 0.9]), tail=t, tail_w=w, hidden=np.zeros(3, bool), regulatory=np.zeros(3, bool))
    for rho in (0.0, 0.5, 0.9):
        a = _pairs(d, np.array([2.0, 3.0]), np.array([0.3, -0.4]), rho, False)
        b = _factor(d, np.array([2.0, 3.0]), np.array([0.3, -0.4]), rho, False)
        assert np.abs(a - b).max() < 1e-7
        assert np.allclose(a.sum(axis=1), 1.0)


@pytest.mark.parametrize("m", [2, 3])
def test_gradient_matches_finite_differences(m):
    t, w = tail_rule(1.8, 0.7)
    rng = np.random.default_rng(m)
    d = Design(cell=np.array([0, 0, 1]), intent=np.array([0, 0, 1]), offset=rng.normal(size=(3, m)),
               weight=np.array([0.7, 0.3, 1.0]), counts=rng.integers(1, 40, (2, 2 ** m)).astype(float),
               floor=np.zeros(m), ceiling=np.ones(m), tail=t, tail_w=w, hidden=np.zeros(3, bool),
               regulatory=np.zeros(3, bool))
    skill, diff, rho, h = rng.normal(1, 1, m), np.array([0.2, -0.3]), 0.55, 1e-6
    _, gs, gd, gr = negloglik_grad(d, skill, diff, rho)
    f = lambda s=skill, df=diff, r=rho: negloglik(d, s, df, r)  # noqa: E731
    for i in range(m):
        e = np.eye(m)[i] * h
        assert gs[i] == pytest.approx((f(s=skill + e) - f(s=skill - e)) / (2 * h), rel=1e-5, abs=1e-6)
    for k in range(2):
        e = np.eye(2)[k] * h
        assert gd[k] == pytest.approx((f(df=diff + e) - f(df=diff - e)) / (2 * h), rel=1e-5, abs=1e-6)
    assert gr == pytest.approx((f(r=rho + h) - f(r=rho - h)) / (2 * h), rel=1e-5)


def _graded_only(ev: EvalSet) -> EvalSet:
    """The eval without confidences (the calibration fit is tested on its own)."""
    return EvalSet(ev.frame.select(pl.exclude("^confidence:.*$")), ev.models, ev.source)


def _three_model_world():
    return load_scenario(QUICKSTART, overrides={
        "outcome_correlation": 0.8, "traffic.difficulty.tail_index": 3.0,
        "traffic.intents[1].hidden_intent_rate": 0.0,
        "models": [_model("small", 2.5, 0.1), _model("mid", 3.5, 0.0), _model("large", 4.5, 0.0)],
        "policies": [{"name": "single", "kind": "single", "model": "large"}], "monitors": [], "drift": []})


def _model(name, skill, floor):
    return {"name": name, "price_in_usd_per_1k_tokens": 0.001, "price_out_usd_per_1k_tokens": 0.002,
            "latency": {"median_s": 1.0}, "quality": {"skill": skill, "floor": floor},
            "failure": {"confident_share": 0.3}}


def _assert_recovered(fit, truth):
    """Every fitted skill, base_difficulty and the correlation within TOL_SE standard errors of the truth."""
    for m in truth.models:
        if m.name in fit.skill:
            assert abs(fit.skill[m.name] - m.quality.skill) <= TOL_SE * fit.skill_se[m.name], m.name
    for i in truth.traffic.intents:
        if i.name in fit.base_difficulty:
            assert abs(fit.base_difficulty[i.name] - i.base_difficulty) <= TOL_SE * fit.base_difficulty_se[i.name]
    assert fit.outcome_correlation_se is not None
    assert abs(fit.outcome_correlation - truth.outcome_correlation) <= TOL_SE * fit.outcome_correlation_se


@pytest.fixture(scope="module")
def quickstart_fit():
    truth = load_scenario(QUICKSTART, overrides={"outcome_correlation": 0.5})
    ev = synth_eval(truth, 20000, seed=11)
    return truth, ev, fit_eval(ev, truth, "small", "large")


def test_recovery_two_models_with_hidden_intents(quickstart_fit):
    truth, _, fit = quickstart_fit
    _assert_recovered(fit, truth)
    assert fit.skill_se["small"] < 0.2 and fit.outcome_correlation_se < 0.1


def test_recovery_three_models_high_correlation():
    truth = _three_model_world()
    fit = fit_eval(_graded_only(synth_eval(truth, 30000, seed=5)), truth, "small", "large")
    _assert_recovered(fit, truth)


def test_recovery_without_category_on_the_base_traffic():
    truth = load_scenario(QUICKSTART, overrides={"outcome_correlation": 0.3})
    ev = _graded_only(synth_eval(truth, 20000, seed=2))
    ev = EvalSet(ev.frame.with_columns(intent=pl.lit("all")).drop("regulatory"), ev.models, ev.source)
    fit = fit_eval(ev, truth, "small", "large")
    assert fit.intents == () and "no pin" in fit.pin
    _assert_recovered(fit, truth)


def test_calibration_recovered_when_confidences_are_recorded(quickstart_fit):
    truth, _, fit = quickstart_fit
    small = fit.calibration["small"].values
    # two-stage: the tolerance allows for the stage-one error in skill (about 0.1 logit)
    assert small["slope"] == pytest.approx(1.0, abs=0.1)
    assert small["bias"] == pytest.approx(0.0, abs=0.25)
    assert small["noise_sd"] == pytest.approx(0.5, abs=0.05)
    assert small["error_awareness"] == pytest.approx(2.0, abs=0.3)


def test_fitted_world_reproduces_the_eval_per_intent(quickstart_fit):
    truth, ev, fit = quickstart_fit
    again = synth_eval(fit.apply(truth), 40000, seed=99).frame
    for r in fit.accuracy.iter_rows(named=True):
        col = f"correct:{r['model']}"
        sim = again.filter(pl.col("intent") == r["intent"])[col]
        a = float(sim.mean())
        se_sim = np.sqrt(a * (1 - a) / len(sim))
        assert abs(a - r["accuracy"]) <= 3 * np.hypot(r["se"], se_sim), r


def test_records_are_placeable_and_assumptions_marked(quickstart_fit):
    truth, _, fit = quickstart_fit
    paths = {v.path for v in fit.values}
    assert {"models[0].quality.skill", "models[1].quality.skill", "outcome_correlation",
            "traffic.intents[0].base_difficulty"} <= paths
    skill = next(v for v in fit.values if v.path == "models[0].quality.skill")
    assert skill.comment.startswith("fitted: accuracy of small 0.") and "(n=20000, se " in skill.comment
    assert all(a.comment.startswith(NOT_IN_DATA) for a in fit.assumptions)
    assumed = {a.path for a in fit.assumptions}
    assert "models[0].quality.hidden_intent_penalty" in assumed and "traffic.difficulty.tail_index" in assumed
    assert not paths & assumed
    fitted = fit.apply(truth)
    assert fitted.models[0].quality.skill == pytest.approx(fit.skill["small"], abs=1e-4)


def test_fit_without_base_names_models_and_intents():
    truth = load_scenario(QUICKSTART)
    ev = _graded_only(synth_eval(truth, 3000, seed=1))
    ev = EvalSet(ev.frame.rename({"correct:small": "correct:org/small-1.0"}), ("org/small-1.0", "large"), "x")
    fit = fit_eval(ev, None, "org/small-1.0", "large")
    names = {v.path: v.value for v in fit.values}
    assert names["models[0].name"] == "small-1_0" and names["traffic.intents[0].name"] == "billing"
    assert sum(v.value for v in fit.values if v.path.endswith(".share")) == pytest.approx(1.0)


def test_errors_name_the_model_or_intent():
    truth = load_scenario(QUICKSTART)
    ev = synth_eval(truth, 500, seed=1)
    with pytest.raises(FitError, match="cheap model 'tiny' is not in the eval"):
        fit_eval(ev, truth, "tiny", "large")
    odd = EvalSet(ev.frame.with_columns(intent=pl.lit("weather")), ev.models, "e.csv")
    with pytest.raises(FitError, match="e.csv: intent 'weather' is not in the base scenario"):
        fit_eval(odd, truth, "small", "large")


def test_accuracy_at_the_floor_is_an_error_naming_the_intent():
    truth = load_scenario(QUICKSTART, overrides={"models[0].quality.floor": 0.3, "models[1].quality.floor": 0.3})
    rows = 200
    frame = pl.DataFrame({"query_id": [f"q{i}" for i in range(2 * rows)],
                          "intent": ["faq"] * rows + ["billing"] * rows,
                          "correct:small": [True] * rows + [i % 10 == 0 for i in range(rows)],
                          "correct:large": [True] * rows + [i % 7 == 0 for i in range(rows)]})
    with pytest.raises(FitError, match=r"e\.csv: intent 'billing' \(n=200\): base_difficulty .* is outside"):
        fit_eval(EvalSet(frame, ("small", "large"), "e.csv"), truth, "small", "large")
