"""Surface classifiers: the IRLS fit, training on simulated traffic, batch-independent scores, OOD distance."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy.special import expit
from scipy.stats import mannwhitneyu

from simroute.classifier import TrainedClassifier, fit_logistic, train
from simroute.engine import World
from simroute.rng import Streams
from simroute.scenario.loader import scenario_from_dict
from simroute.scenario.policies import Classifier, ClassifierMethod
from simroute.scenario.world import SurfaceClass

RIDGE = 1e-3  # fit_logistic's default ridge

FIXTURE = Path(__file__).parent / "fixtures" / "minimal.yaml"


@pytest.fixture(scope="module")
def world() -> World:
    data = yaml.safe_load(FIXTURE.read_text())
    data["traffic"]["intents"] = [
        {"name": "faq", "share": 0.35, "surface_class": "simple"},
        {"name": "billing", "share": 0.25, "surface_class": "simple", "hidden_intent_rate": 0.05},
        {"name": "refund", "share": 0.2, "surface_class": "complex", "base_difficulty": 1.0},
        {"name": "outage", "share": 0.2, "surface_class": "complex", "base_difficulty": 2.0},
    ]
    data["policies"] = data["policies"][:1]
    s = scenario_from_dict(data)
    return World(s, Streams(s.seed))


def _simple_labels(world: World, intent: np.ndarray) -> np.ndarray:
    simple = np.array([i.surface_class is SurfaceClass.simple for i in world.scenario.traffic.intents])
    return simple[intent]


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    u = mannwhitneyu(pos, neg, alternative="two-sided").statistic
    return float(u) / (len(pos) * len(neg))


# ---------------------------------------------------------------- fit_logistic

def test_fit_logistic_recovers_known_coefficients():
    rng = np.random.default_rng(2024)
    n, beta, b0 = 40_000, np.array([1.2, -0.7, 0.3]), -0.4
    x = rng.standard_normal((n, 3))
    y = (rng.random(n) < expit(x @ beta + b0)).astype(float)
    w, b = fit_logistic(x, y)
    # standard errors from the inverse Fisher information at the truth
    a = np.hstack([x, np.ones((n, 1))])
    p = expit(a @ np.r_[beta, b0])
    cov = np.linalg.inv((a * (p * (1 - p))[:, None]).T @ a)
    se = np.sqrt(np.diag(cov))
    # the ridge term (RIDGE * n) shrinks the weights by about RIDGE / E[p(1-p)] in relative terms, far below 1 se
    assert np.all(np.abs(np.r_[w, b] - np.r_[beta, b0]) < 5 * se), (w, b, se)
    assert se.max() < 0.03  # the test has power: 5 se is a tight band


def test_fit_logistic_is_a_stationary_point_of_the_penalised_likelihood():
    rng = np.random.default_rng(1)
    n = 5_000
    x = rng.standard_normal((n, 2))
    y = (rng.random(n) < expit(2 * x[:, 0] - x[:, 1] + 0.5)).astype(float)
    w, b = fit_logistic(x, y)
    a = np.hstack([x, np.ones((n, 1))])
    grad = a.T @ (expit(a @ np.r_[w, b]) - y) + RIDGE * n * np.r_[w, 0.0]
    assert np.max(np.abs(grad)) < 1e-6 * n


def test_fit_logistic_without_signal_gives_zero_weights_and_the_base_rate():
    rng = np.random.default_rng(5)
    n = 20_000
    x = rng.standard_normal((n, 2))
    y = (rng.random(n) < 0.3).astype(float)
    w, b = fit_logistic(x, y)
    se = 1 / np.sqrt(n * 0.21)
    assert np.all(np.abs(w) < 5 * se)
    assert expit(b) == pytest.approx(y.mean(), abs=5 * np.sqrt(0.21 / n))


def test_fit_logistic_converges_on_separable_data():
    rng = np.random.default_rng(3)
    n = 2_000
    x = rng.standard_normal((n, 2))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(float)  # perfectly separable
    w, b = fit_logistic(x, y)
    assert np.all(np.isfinite(w)) and np.isfinite(b)
    # the ridge keeps the solution finite; it is a stationary point and classifies the data
    a = np.hstack([x, np.ones((n, 1))])
    grad = a.T @ (expit(a @ np.r_[w, b]) - y) + RIDGE * n * np.r_[w, 0.0]
    assert np.max(np.abs(grad)) < 1e-6 * n
    assert w[0] > 0 and w[1] > 0
    assert w[1] / w[0] == pytest.approx(0.5, abs=0.15)
    assert np.mean((x @ w + b > 0) == (y == 1)) > 0.99


# ---------------------------------------------------------------- trained classifiers

@pytest.mark.parametrize("method", [ClassifierMethod.encoder, ClassifierMethod.embedding])
def test_trained_classifier_separates_simple_from_complex(world, method):
    clf = world.classifier(Classifier(method=method, training_samples=4000))
    q = world.traffic.draw(np.random.default_rng(11), 3000, world.drift.at(0.5))
    score = clf.score(q.surface)
    assert score.dtype == np.float32
    assert np.all((score >= 0) & (score <= 1))
    simple = _simple_labels(world, q.intent)
    auc = _auc(score[simple], score[~simple])
    assert auc > 0.9, auc
    assert score[simple].mean() > 0.7 > 0.3 > score[~simple].mean()


@pytest.mark.parametrize("method", [ClassifierMethod.encoder, ClassifierMethod.embedding])
def test_score_of_a_row_does_not_depend_on_its_batch(world, method):
    # (the embedding variant used `unit @ centroids.T`, whose BLAS rounding differed between one row and many)
    clf = world.classifier(Classifier(method=method, training_samples=4000))
    x = world.traffic.draw(np.random.default_rng(12), 400, world.drift.at(0.5)).surface
    full = clf.score(x)
    for i in range(len(x)):
        assert clf.score(x[i:i + 1])[0] == full[i], i
    for lo, hi in ((0, 7), (13, 200), (399, 400)):
        np.testing.assert_array_equal(clf.score(x[lo:hi]), full[lo:hi])


def test_ood_of_a_row_does_not_depend_on_its_batch(world):
    clf = world.classifier(Classifier(training_samples=4000))
    x = world.traffic.draw(np.random.default_rng(13), 300, world.drift.at(0.5)).surface
    full = clf.ood(x)
    for i in range(len(x)):
        assert clf.ood(x[i:i + 1])[0] == full[i], i


def test_training_is_deterministic_and_cached_per_config(world):
    cfg = Classifier(training_samples=3000)
    a = world.classifier(cfg)
    assert world.classifier(Classifier(training_samples=3000)) is a
    fresh = World(world.scenario, Streams(world.scenario.seed))
    b = fresh.classifier(cfg)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert a.intercept == b.intercept
    # a different config trains on a different historical sample
    c = world.classifier(Classifier(training_samples=3001))
    assert not np.array_equal(a.weights, c.weights)


def test_training_scores_are_the_scores_of_the_training_sample():
    rng = np.random.default_rng(8)
    n, d = 3000, 4
    intent = rng.integers(0, 2, n)
    x = (rng.standard_normal((n, d)) + np.where(intent == 0, 1.5, -1.5)[:, None] * np.eye(d)[0]).astype(np.float32)
    classes = [SurfaceClass.simple, SurfaceClass.complex]
    clf = train(Classifier(label_noise=0.0), x, intent, classes, np.random.default_rng(0))
    np.testing.assert_array_equal(clf.training_scores, clf.score(x))
    # only axis 0 carries the label
    assert clf.weights[0] > 1.0
    assert np.all(np.abs(clf.weights[1:]) < 0.2)


def test_label_noise_flattens_the_scores():
    rng = np.random.default_rng(9)
    n = 6000
    intent = rng.integers(0, 2, n)
    x = (rng.standard_normal((n, 3)) + np.where(intent == 0, 1.5, -1.5)[:, None] * np.eye(3)[0]).astype(np.float32)
    classes = [SurfaceClass.simple, SurfaceClass.complex]
    clean = train(Classifier(label_noise=0.0), x, intent, classes, np.random.default_rng(0))
    noisy = train(Classifier(label_noise=0.3), x, intent, classes, np.random.default_rng(0))
    assert 0 < noisy.weights[0] < 0.7 * clean.weights[0]


# ---------------------------------------------------------------- OOD distance

def test_ood_is_a_squared_mahalanobis_distance(world):
    clf = world.classifier(Classifier(training_samples=4000))
    d = len(clf.mean)
    assert clf.ood(clf.mean[None, :].astype(np.float32))[0] == pytest.approx(0.0, abs=1e-4)
    rng = np.random.default_rng(4)
    for _ in range(3):
        v = rng.standard_normal(d)
        quad = float(v @ clf.precision @ v)
        ts = np.array([0.5, 1.0, 2.0, 4.0, 8.0])
        x = (clf.mean[None, :] + ts[:, None] * v[None, :])
        got = clf.ood(x)
        assert np.all(np.diff(got) > 0)  # grows with distance from the training mean
        # exact quadratic growth, up to the float32 of the inputs and result
        np.testing.assert_allclose(got, ts ** 2 * quad, rtol=1e-4, atol=1e-3)


def test_ood_averages_to_the_dimension_on_the_training_sample():
    """sum_i d_i' S^-1 d_i = trace(S^-1 * (n-1) S) = (n-1) * D for the sample covariance S."""
    rng = np.random.default_rng(6)
    n, d = 5000, 5
    intent = rng.integers(0, 2, n)
    x = (rng.standard_normal((n, d)) * [1, 2, 0.5, 1, 3] + np.where(intent == 0, 1.0, -1.0)[:, None]).astype(np.float32)
    clf = train(Classifier(), x, intent, [SurfaceClass.simple, SurfaceClass.complex], np.random.default_rng(0))
    assert float(clf.ood(x).astype(np.float64).mean()) == pytest.approx(d * (n - 1) / n, rel=1e-4)


def test_ood_is_higher_for_off_distribution_queries(world):
    clf = world.classifier(Classifier(training_samples=4000))
    q = world.traffic.draw(np.random.default_rng(21), 2000, world.drift.at(0.5))
    shifted = q.surface.copy()
    shifted[:, -1] += 3.0  # the off-distribution axis
    assert np.median(clf.ood(shifted)) > np.median(clf.ood(q.surface)) + 5


def test_trained_classifier_is_frozen(world):
    clf = world.classifier(Classifier(training_samples=4000))
    assert isinstance(clf, TrainedClassifier)
    with pytest.raises(dataclasses.FrozenInstanceError):
        clf.intercept = 0.0  # type: ignore[misc]
