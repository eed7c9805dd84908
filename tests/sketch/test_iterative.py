"""CG and randomized Kaczmarz against their published convergence guarantees."""

import math
import warnings

import numpy as np
import pytest
import scipy.sparse

from sketch.errors import ConvergenceWarning, NotHermitianError, ShapeError
from sketch.hhl import random_spd_system
from sketch.iterative import conjugate_gradient, randomized_kaczmarz


@pytest.mark.parametrize("kappa", [10.0, 100.0, 1000.0])
def test_cg_meets_the_chebyshev_bound(kappa):
    A, b = random_spd_system(120, kappa, seed=1)
    x = np.linalg.solve(A, b)
    rho = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    for k in (5, 15, 30):
        r = conjugate_gradient(A, b, tol=0.0, maxiter=k, warn=False)
        e, e0 = r.x - x, x
        err_A = math.sqrt(e @ A @ e)
        bound = 2 * rho**k * math.sqrt(e0 @ A @ e0)
        assert err_A <= bound * (1 + 1e-8)
    tol = 1e-10
    r = conjugate_gradient(A, b, tol=tol)
    # ‖r‖/‖b‖ ≤ √κ ‖e‖_A/‖e0‖_A, so the bound guarantees tol after this many steps:
    k_max = math.ceil(math.log(2 * math.sqrt(kappa) / tol) / math.log(1 / rho))
    assert r.converged and r.iterations <= k_max
    assert r.residual <= tol


def test_cg_sparse_and_operator_inputs():
    A, b = random_spd_system(50, 20.0, seed=2)
    S = scipy.sparse.csr_matrix(A)
    op = scipy.sparse.linalg.aslinearoperator(A)
    ref = np.linalg.solve(A, b)
    for M in (S, op):
        x = conjugate_gradient(M, b).x
        np.testing.assert_allclose(x, ref, rtol=0, atol=1e-7 * np.abs(ref).max())


def test_cg_refuses_indefinite_and_warns_when_short():
    with pytest.raises(NotHermitianError, match="positive definite"):
        conjugate_gradient(np.diag([1.0, -1.0]), np.ones(2))
    A, b = random_spd_system(50, 1000.0, seed=3)
    with pytest.warns(ConvergenceWarning, match="CG stopped"):
        r = conjugate_gradient(A, b, maxiter=3)
    assert not r.converged and r.iterations == 3


def _kaczmarz_problem():
    rng = np.random.default_rng(4)
    A = rng.normal(size=(60, 8))
    x = rng.normal(size=8)
    return A, A @ x, x


def test_kaczmarz_mean_square_error_within_strohmer_vershynin_bound():
    A, b, x = _kaczmarz_problem()
    s = np.linalg.svd(A, compute_uv=False)
    kf2 = (s**2).sum() / s[-1] ** 2  # κ_F² = ‖A‖_F² ‖A⁺‖²
    k = 150
    errs = [
        np.sum((randomized_kaczmarz(A, b, seed=sd, maxiter=k, check_every=k, tol=0.0,
                                    warn=False).x - x) ** 2)
        for sd in range(60)
    ]
    bound = (1 - 1 / kf2) ** k * np.sum(x**2)
    assert np.mean(errs) <= bound


def test_kaczmarz_converges_and_is_reproducible():
    A, b, x = _kaczmarz_problem()
    r1 = randomized_kaczmarz(A, b, seed=7)
    r2 = randomized_kaczmarz(A, b, seed=7)
    r3 = randomized_kaczmarz(A, b, seed=8, maxiter=50, check_every=50, warn=False)
    assert r1.converged and r1.residual <= 1e-8
    np.testing.assert_array_equal(r1.x, r2.x)
    assert not np.array_equal(r1.x[:3], r3.x[:3])
    np.testing.assert_allclose(r1.x, x, atol=1e-6)
    rs = randomized_kaczmarz(scipy.sparse.csr_matrix(A), b, seed=7)
    np.testing.assert_allclose(rs.x, r1.x, atol=1e-12)


def test_kaczmarz_inconsistent_system_warns():
    A = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    b = np.array([1.0, 2.0, 1.0])  # rows 1 and 2 contradict each other
    with pytest.warns(ConvergenceWarning, match="inconsistent"):
        r = randomized_kaczmarz(A, b, seed=0, maxiter=300)
    assert not r.converged


def test_iterative_bad_input():
    with pytest.raises(ShapeError):
        conjugate_gradient(np.eye(3), np.ones(2))
    with pytest.raises(ShapeError, match="zero"):
        randomized_kaczmarz(np.zeros((3, 2)), np.ones(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert conjugate_gradient(np.eye(2), np.zeros(2)).converged


@pytest.mark.gpu
def test_cupy_paths(cupy):
    A, b = random_spd_system(40, 10.0, seed=5)
    Ag, bg = cupy.asarray(A), cupy.asarray(b)
    r = conjugate_gradient(Ag, bg)
    assert isinstance(r.x, cupy.ndarray) and r.converged
    k_cpu = randomized_kaczmarz(A, b, seed=3, maxiter=400, warn=False)
    k_gpu = randomized_kaczmarz(Ag, bg, seed=3, maxiter=400, warn=False)
    np.testing.assert_allclose(cupy.asnumpy(k_gpu.x), k_cpu.x, atol=1e-10)  # same rows


def test_every_backend_iterates_like_numpy_on_its_device(backend):
    """CG (with x0) and Kaczmarz (the same keyed rows) equal NumPy's iterates, on b's device."""
    A, b = random_spd_system(40, 10.0, seed=5)
    At, bt = backend.asarray(A), backend.asarray(b)
    x0 = np.full(40, 0.1)
    r, ref = conjugate_gradient(At, bt, x0=x0), conjugate_gradient(A, b, x0=x0)
    assert backend.owns(r.x) and r.converged and r.iterations == ref.iterations
    np.testing.assert_allclose(backend.to_numpy(r.x), ref.x, rtol=1e-9)
    k = randomized_kaczmarz(At, bt, seed=3, maxiter=400, warn=False)
    k_ref = randomized_kaczmarz(A, b, seed=3, maxiter=400, warn=False)
    assert backend.owns(k.x)
    np.testing.assert_allclose(backend.to_numpy(k.x), k_ref.x, atol=1e-10)  # same rows


def test_cg_breakdown_on_singular_system_is_refused_not_nan():
    # PSD but singular, b outside the range: p^H A p reaches rounding level at step 2 and
    # the next step divided by it (x grew to 1e143, then NaN).
    A = np.diag([0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    b = np.array([1.8, 1.3, 0.36, -1.2, -0.0045, 0.66])
    with pytest.raises(NotHermitianError, match="singular with b outside its range"):
        conjugate_gradient(A, b)
    # consistent b on the same A: one step solves it
    res = conjugate_gradient(A, np.eye(6)[5])
    assert res.converged and np.allclose(res.x, np.eye(6)[5])
