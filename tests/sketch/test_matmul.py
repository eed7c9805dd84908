"""Approximate matrix multiplication: unbiasedness, guarantees, error estimates, bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from sketch.errors import AccuracyWarning, ShapeError, ToleranceError
from sketch.matmul import (
    chain_matmul,
    dkm_matmul,
    matmul_sample_size,
    random_walk_matmul,
    sketched_matmul,
)


@pytest.fixture(scope="module")
def AB():
    rng = np.random.default_rng(0)
    # Non-uniform column norms, so that importance sampling matters.
    A = rng.standard_normal((30, 500)) * rng.exponential(size=500)
    B = rng.standard_normal((500, 20)) + 0.3
    return A, B


def rel(value, M, *mats):
    return np.linalg.norm(value - M) / math.prod(np.linalg.norm(X) for X in mats)


def test_dkm_high_probability_bound(AB):
    """DKM Thm 1: ‖err‖_F ≤ η‖A‖_F‖B‖_F/√c w.p. 1 − δ, η = 1 + √(8 ln 1/δ); δ = 1e-3."""
    A, B = AB
    c = 200
    eta = 1 + math.sqrt(8 * math.log(1e3))
    for seed in range(5):
        res = dkm_matmul(A, B, c, seed=seed)
        assert rel(res.value, A @ B, A, B) <= eta / math.sqrt(c)
        assert res.samples == c and res.method == "dkm"


@pytest.mark.parametrize("kind", ["dkm", "chain2", "chain3", "walk"])
def test_unbiased_and_error_estimate_calibrated(kind, AB):
    A, B = AB
    if kind == "walk":
        A, B = np.abs(A[:, :200]), np.abs(B[:200])
    C = np.random.default_rng(1).standard_normal((20, 15))
    M = A @ B @ C if kind == "chain3" else A @ B
    runs, errs2, ests2 = [], [], []
    for seed in range(200):
        if kind == "dkm":
            res = dkm_matmul(A, B, 50, seed=seed)
        elif kind == "chain2":
            res = chain_matmul(A, B, samples=50, seed=seed)
        elif kind == "chain3":
            res = chain_matmul(A, B, C, samples=50, seed=seed)
        else:
            res = random_walk_matmul(A, B, 3000, seed=seed)
        runs.append(res.value)
        errs2.append(np.linalg.norm(res.value - M) ** 2)
        ests2.append(res.error_estimate**2)
    runs = np.array(runs)
    # The Frobenius norm of the mean's error, against its standard error from the theory.
    mean_err = np.linalg.norm(runs.mean(axis=0) - M)
    assert mean_err < 3 * math.sqrt(np.mean(errs2) / len(runs))
    assert 0.75 < np.mean(ests2) / np.mean(errs2) < 1.33


def test_chain_bound_z_at_most_product_of_norms(AB):
    A, B = AB
    C = np.random.default_rng(2).standard_normal((20, 10))
    c = 400
    for seed in range(3):
        res = chain_matmul(A, B, C, samples=c, seed=seed)
        # Chebyshev on E‖err‖² ≤ ∏‖A_l‖²/c with δ = 0.01.
        assert rel(res.value, A @ B @ C, A, B, C) < 1 / math.sqrt(0.01 * c)
        assert res.scale == pytest.approx(math.prod(np.linalg.norm(X) for X in (A, B, C)))


@pytest.mark.parametrize("sketch", ["gaussian", "rademacher", "countsketch", "sparse-sign", "srht"])
def test_sarlos_bound(sketch, AB):
    """E‖err‖² ≤ 2‖A‖²‖B‖²/s (JL moment property); Chebyshev with δ = 0.01."""
    A, B = AB
    s = 200
    for seed in range(3):
        res = sketched_matmul(A, B, s, sketch=sketch, seed=seed)
        assert rel(res.value, A @ B, A, B) < math.sqrt(2 / (0.01 * s))
        assert res.error_estimate > 0


def test_sample_size_rules_meet_target(AB):
    A, B = AB
    eps, delta = 0.15, 0.1
    for seed in range(3):
        assert rel(dkm_matmul(A, B, eps=eps, delta=delta, seed=seed).value, A @ B, A, B) <= eps
        assert rel(sketched_matmul(A, B, eps=eps, delta=delta, seed=seed).value,
                   A @ B, A, B) <= eps
        assert rel(chain_matmul(A, B, eps=eps, delta=delta, seed=seed).value,
                   A @ B, A, B) <= eps
    assert matmul_sample_size(0.1, 0.1, "chain", mats=(A, B)) <= matmul_sample_size(0.1, 0.1,
                                                                                   "chain")
    An, Bn = np.abs(A), np.abs(B)
    c = matmul_sample_size(0.2, 0.2, "random-walk", mats=(An, Bn))
    assert rel(random_walk_matmul(An, Bn, c, seed=0).value, An @ Bn, An, Bn) <= 0.2


def test_too_few_samples_warn(AB):
    A, B = AB
    with pytest.warns(AccuracyWarning, match="fewer"):
        dkm_matmul(A, B, 10, eps=0.01, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dkm_matmul(A, B, 10_000, eps=0.1, seed=0)


def test_sparse_inputs_and_random_walk_finds_large_entries():
    A = sp.random(60, 300, density=0.05, format="csr", random_state=1)
    B = sp.random(300, 40, density=0.05, format="csr", random_state=2)
    M = (A @ B).toarray()
    for res in (dkm_matmul(A, B, 3000, seed=0), sketched_matmul(A, B, 300, seed=0),
                chain_matmul(A, B, sp.eye(40, format="csr"), samples=3000, seed=0),
                random_walk_matmul(A, B, 20000, seed=0)):
        assert res.value.shape == M.shape
        assert np.linalg.norm(res.value - M) < 4 * res.error_estimate + 1e-12
    big = np.unravel_index(np.argmax(M), M.shape)
    walk = random_walk_matmul(A, B, 20000, seed=1).value
    assert walk[big] > 0.5 * M[big]


def test_dtypes_kept(AB):
    A, B = AB
    A32, B32 = A.astype(np.float32), B.astype(np.float32)
    assert dkm_matmul(A32, B32, 20, seed=0).value.dtype == np.float32
    assert chain_matmul(A32, B32, samples=20, seed=0).value.dtype == np.float32
    assert sketched_matmul(A32, B32, 20, seed=0).value.dtype == np.float32
    Ac = A + 1j * A
    res = chain_matmul(Ac, B, samples=2000, seed=0)
    assert res.value.dtype == np.complex128
    assert rel(res.value, Ac @ B, Ac, B) < 1 / math.sqrt(0.01 * 2000)


def test_zero_matrix(AB):
    A, B = AB
    Z = np.zeros_like(A)
    for res in (dkm_matmul(Z, B, 5, seed=0), chain_matmul(Z, B, samples=5, seed=0),
                random_walk_matmul(np.abs(Z), np.abs(B), 5, seed=0)):
        assert not res.value.any() and res.error_estimate == 0


def test_bad_input(AB):
    A, B = AB
    with pytest.raises(ShapeError):
        dkm_matmul(A, B[:10], 5, seed=0)
    with pytest.raises(ShapeError):
        chain_matmul(A, B, B, samples=5, seed=0)
    with pytest.raises(ValueError, match="at least two"):
        chain_matmul(A, samples=5)
    with pytest.raises(ValueError, match="negative"):
        random_walk_matmul(A, B, 5, seed=0)
    with pytest.raises(ValueError, match="samples"):
        dkm_matmul(A, B)
    with pytest.raises(ValueError, match="at least 1"):
        dkm_matmul(A, B, 0)
    with pytest.raises(ToleranceError):
        matmul_sample_size(0.0, 0.1)
    with pytest.raises(ValueError, match="delta"):
        matmul_sample_size(0.1, 1.5)
    with pytest.raises(ValueError, match="unknown"):
        matmul_sample_size(0.1, 0.1, "magic")
    with pytest.raises(ValueError, match="mats"):
        matmul_sample_size(0.1, 0.1, "random-walk")


@pytest.mark.gpu
def test_cupy_stays_on_gpu(cupy, AB):
    A, B = (cupy.asarray(X) for X in AB)
    for res in (dkm_matmul(A, B, 50, seed=0), sketched_matmul(A, B, 50, seed=0),
                chain_matmul(A, B, B.T, samples=50, seed=0),
                random_walk_matmul(abs(A), abs(B), 500, seed=0)):
        assert isinstance(res.value, cupy.ndarray)
    # Sampling decisions are bitwise identical across backends.
    ref = dkm_matmul(*AB, 50, seed=0).value
    np.testing.assert_allclose(cupy.asnumpy(dkm_matmul(A, B, 50, seed=0).value), ref, rtol=1e-10)


def test_sampled_products_on_every_backend(backend, AB):
    """Same samples (bitwise-identical draws) and values on every backend, on its device.

    sketched_matmul applies a sketching operator: it joins this test once the operators
    run on torch.
    """
    A, B = AB
    At, Bt = backend.asarray(A), backend.asarray(B)
    cases = [
        (dkm_matmul(At, Bt, 50, seed=0), dkm_matmul(A, B, 50, seed=0)),
        (chain_matmul(At, Bt, Bt.T, samples=50, seed=0), chain_matmul(A, B, B.T, samples=50,
                                                                      seed=0)),
        (random_walk_matmul(abs(At), abs(Bt), 500, seed=0),
         random_walk_matmul(abs(A), abs(B), 500, seed=0)),
    ]
    for got, ref in cases:
        assert backend.owns(got.value)
        np.testing.assert_allclose(backend.to_numpy(got.value), ref.value, rtol=1e-10,
                                   atol=1e-12)
        assert got.error_estimate == pytest.approx(ref.error_estimate, rel=1e-8)
