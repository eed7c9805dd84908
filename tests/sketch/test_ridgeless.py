"""Sketched ridgeless regression: simulated risks against the limits of Chen, Zeng, Yang and Sun
(ICML 2023), the optimal sketch size, the SNR estimate and the validation procedure."""

from __future__ import annotations

import numpy as np
import pytest

from sketch.errors import ShapeError
from sketch.ridgeless import (
    estimate_signal_noise,
    optimal_sketch_size,
    ridgeless_risk,
    sketched_ridgeless,
)

SIGNAL, NOISE = 1.0, 0.25


def _problem(n, p, seed, signal=SIGNAL, noise=NOISE):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    beta = rng.standard_normal(p)
    beta *= np.sqrt(signal) / np.linalg.norm(beta)
    return X, X @ beta + np.sqrt(noise) * rng.standard_normal(n), beta


def _simulated_risk(n, p, m, sketch, seeds):
    risks = []
    for s in range(seeds):
        X, y, beta = _problem(n, p, s)
        fit = sketched_ridgeless(X, y, m, sketch=sketch, seed=100 + s)
        risks.append(float(np.sum((fit.coef - beta) ** 2)))  # E(xᵀ(β̂−β))² for x ~ N(0, I)
    return float(np.mean(risks))


@pytest.mark.parametrize("n,p,m,sketch", [
    (800, 200, 500, "subsample"),     # underparameterized, orthogonal: σ²φ/(1−φ)
    (800, 300, 150, "subsample"),     # overparameterized: r²(1−1/φ) + σ²/(φ−1)
    (400, 100, 200, "orthogonal"),    # Haar rows
    (800, 100, 400, "gaussian"),      # i.i.d. sketch: Marchenko–Pastur reweighting
    (800, 300, 150, "gaussian"),      # overparameterized: the same limit as orthogonal
])
def test_simulated_risk_matches_the_limit(n, p, m, sketch):
    limit = ridgeless_risk(n, p, m, signal=SIGNAL, noise=NOISE, sketch=sketch)
    sim = _simulated_risk(n, p, m, sketch, seeds=16)
    # Finite-size bias ≈ p/(m−p−1) vs p/(m−p) (< 2%) plus Monte Carlo error over 16 seeds.
    assert sim == pytest.approx(limit, rel=0.06)


def test_gaussian_sketch_costs_variance_when_underparameterized():
    orth = ridgeless_risk(800, 100, 400, signal=1, noise=1)
    iid = ridgeless_risk(800, 100, 400, signal=1, noise=1, sketch="gaussian")
    assert iid > 1.4 * orth
    # with d ≡ 1 the leave-one-out formula reduces to φ/(1−φ): ratio m/n → 0 leaves no reweighting
    assert ridgeless_risk(100000, 10, 40, signal=1, noise=1, sketch="gaussian") == \
        pytest.approx(ridgeless_risk(100000, 10, 40, signal=1, noise=1), rel=0.02)


def test_optimal_size_closed_form_and_peak_removed():
    # SNR = 4: m* = p(1 − 1/√SNR), risk 2rσ − σ², far below the full sample near p = n.
    opt = optimal_sketch_size(n_samples=400, n_features=380, signal=4.0, noise=1.0)
    assert opt.size == 190 and opt.risk == pytest.approx(3.0)
    assert opt.full_risk > 5 * opt.risk
    # SNR < 1: the null estimator wins (m as small as possible)
    assert optimal_sketch_size(n_samples=400, n_features=380, signal=0.5, noise=1.0).size == 1
    # p ≪ n: no downsampling
    assert optimal_sketch_size(n_samples=400, n_features=40, signal=4.0, noise=1.0).size == 400


def test_optimally_sketched_risk_beats_full_sample_in_simulation():
    n, p = 300, 285
    opt = optimal_sketch_size(n_samples=n, n_features=p, signal=SIGNAL, noise=NOISE)
    sketched = _simulated_risk(n, p, opt.size, "subsample", seeds=8)
    full = _simulated_risk(n, p, n, "subsample", seeds=4)
    assert sketched == pytest.approx(opt.risk, rel=0.1)
    assert sketched < 0.5 * full


def test_signal_noise_estimate_and_plug_in_size():
    X, y, _ = _problem(1500, 1200, 3, signal=2.0, noise=0.5)
    r2, s2 = estimate_signal_noise(X, y)
    assert r2 == pytest.approx(2.0, rel=0.15) and s2 == pytest.approx(0.5, rel=0.3)
    est = optimal_sketch_size(X, y)
    exact = optimal_sketch_size(n_samples=1500, n_features=1200, signal=2.0, noise=0.5)
    assert abs(est.size - exact.size) <= 0.1 * exact.size


def test_validation_procedure_finds_a_size_near_the_optimum():
    n, p = 300, 240
    X, y, beta = _problem(n, p, 5)
    Xv, yv, _ = _problem(1000, p, 6)
    yv = Xv @ beta + np.sqrt(NOISE) * np.random.default_rng(7).standard_normal(1000)
    sel = optimal_sketch_size(X, y, method="validation", validation=(Xv, yv), sketch="subsample",
                              seed=0, repeats=2)
    best = optimal_sketch_size(n_samples=n, n_features=p, signal=SIGNAL, noise=NOISE)
    # The validation curve is flat near the optimum; its pick must have near-optimal risk.
    picked = ridgeless_risk(n, p, sel.size, signal=SIGNAL, noise=NOISE)
    assert picked <= 1.3 * best.risk < best.full_risk


def test_same_seed_same_fit_and_errors():
    X, y, _ = _problem(60, 20, 0)
    a = sketched_ridgeless(X, y, 30, sketch="orthogonal", seed=4)
    b = sketched_ridgeless(X, y, 30, sketch="orthogonal", seed=4)
    np.testing.assert_array_equal(a.coef, b.coef)
    assert sketched_ridgeless(X, y, 30, sketch="srht", seed=0).rank == 20
    with pytest.raises(ShapeError, match="sketch_size=61"):
        sketched_ridgeless(X, y, 61)
    with pytest.raises(ValueError, match="validation"):
        optimal_sketch_size(n_samples=10, n_features=5, signal=1, noise=1, sketch="srht")
    with pytest.raises(ValueError, match="signal and noise are unknown"):
        optimal_sketch_size(n_samples=10, n_features=5)
    assert ridgeless_risk(100, 50, 50, signal=1, noise=1) == np.inf


@pytest.mark.parametrize("sketch", ["orthogonal", "subsample", "gaussian", "srht"])
def test_every_backend_gives_numpys_fit_on_its_device(backend, sketch):
    """Same seed, same sketch: the coefficients equal NumPy's to rounding, on X's device."""
    X, y, _ = _problem(60, 20, 3)
    ref = sketched_ridgeless(X, y, 40, sketch=sketch, seed=5)
    got = sketched_ridgeless(backend.asarray(X), backend.asarray(y), 40, sketch=sketch, seed=5)
    assert backend.owns(got.coef) and got.rank == ref.rank
    np.testing.assert_allclose(backend.to_numpy(got.coef), ref.coef, rtol=1e-9, atol=1e-12)


def test_complex_features_use_the_conjugate_transpose():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 8)) + 1j * rng.standard_normal((30, 8))
    beta = rng.standard_normal(8) + 1j * rng.standard_normal(8)
    fit = sketched_ridgeless(X, X @ beta)  # the full sample: X⁺y = β exactly
    np.testing.assert_allclose(fit.coef, beta, atol=1e-12)


def test_validation_size_on_every_backend(backend):
    X, y, _ = _problem(80, 30, 4)
    ref = optimal_sketch_size(X, y, method="validation", grid=[20, 40, 64], seed=2)
    got = optimal_sketch_size(backend.asarray(X), backend.asarray(y), method="validation",
                              grid=[20, 40, 64], seed=2)
    assert got.size == ref.size
    np.testing.assert_allclose(got.curve, ref.curve, rtol=1e-8)
