"""Known answers for the monitors' statistics."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from simroute import stats


def test_psi_hand_computed():
    e, a = np.array([0.5, 0.5]), np.array([0.25, 0.75])
    want = (0.25 - 0.5) * np.log(0.25 / 0.5) + (0.75 - 0.5) * np.log(0.75 / 0.5)
    assert stats.psi(e, a) == pytest.approx(want)
    assert stats.psi(e * 100, a * 40) == pytest.approx(want)  # counts or shares
    assert stats.psi(e, e) == 0.0


def test_ks_matches_scipy_on_binned_data():
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 20, 5000), rng.integers(2, 20, 4000)
    hx, hy = np.bincount(x, minlength=20), np.bincount(y, minlength=20)
    assert stats.ks_hist(hx, hy) == pytest.approx(sps.ks_2samp(x, y).statistic)


def test_ece_constant_confidence():
    conf = np.full(1000, 0.9)
    correct = np.arange(1000) < 700
    assert stats.ece(conf, correct) == pytest.approx(0.2)
    assert stats.brier(conf, correct) == pytest.approx(0.7 * 0.01 + 0.3 * 0.81)


def test_ece_is_zero_when_calibrated_per_bin():
    conf = np.repeat([0.15, 0.55, 0.95], 100)
    correct = np.concatenate([np.arange(100) < 15, np.arange(100) < 55, np.arange(100) < 95])
    assert stats.ece(conf, correct) == pytest.approx(0.0, abs=1e-12)


def test_cusum_in_control_run_length_matches_siegmund():
    """Normal CUSUM with k=0.5, h=4: ARL0 ~ 336 by Siegmund's approximation (simulated within 10%)."""
    k, h = 0.5, 4.0
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2000, 3000)) - k
    _, alarm = stats.cusum(x, h)
    first = np.where(alarm.any(axis=1), alarm.argmax(axis=1) + 1, np.nan)
    assert np.isnan(first).mean() < 0.01
    assert np.nanmean(first) == pytest.approx(stats.normal_cusum_arl0(k, h), rel=0.1)


def test_threshold_for_false_alarm_controls_the_chance_of_any_alarm():
    rng = np.random.default_rng(3)
    calib = rng.standard_normal((4000, 100)) - 0.5
    h = stats.threshold_for_false_alarm(calib, alpha=0.1)
    fresh = rng.standard_normal((4000, 100)) - 0.5
    _, alarm = stats.cusum(fresh, h)
    assert alarm.any(axis=1).mean() == pytest.approx(0.1, abs=0.02)


def test_bernoulli_llr_signs():
    assert stats.bernoulli_llr(np.array(0), np.array(100), 0.05, 0.1) < 0
    assert stats.bernoulli_llr(np.array(20), np.array(100), 0.05, 0.1) > 0


def test_two_proportion_sample_size_standard_formula():
    """p1=0.05 vs p2=0.10, alpha 0.05 two-sided, power 0.8: the textbook answer is 435 per group."""
    assert stats.two_proportion_sample_size(0.05, 0.10) == 435
