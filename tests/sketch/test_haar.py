"""Tests of the batched Haar sampler against the Haar measure's known moments."""

import math

import numpy as np
import pytest

from sketch.haar import complex_ginibre, haar_isometry, haar_orthogonal, haar_state, haar_unitary
from sketch.rng import as_key

Z = 5.0  # z-score bound for the statistical checks (two-sided p ~ 6e-7 each)


def _z(x, ref):
    x = np.asarray(x).ravel()
    return abs(x.mean() - ref) / (x.std(ddof=1) / math.sqrt(x.size))


@pytest.mark.parametrize("d", [1, 2, 5, 16])
def test_unitary_batch_is_unitary(d):
    U = haar_unitary(d, batch=(3, 4), seed=d)
    assert U.shape == (3, 4, d, d) and U.dtype == np.complex128
    eye = np.eye(d)
    assert np.allclose(U @ np.conj(np.swapaxes(U, -1, -2)), eye, atol=1e-12)
    assert np.allclose(np.conj(np.swapaxes(U, -1, -2)) @ U, eye, atol=1e-12)


def test_single_and_complex64():
    U = haar_unitary(6, seed=0)
    assert U.shape == (6, 6)
    V = haar_unitary(6, batch=2, seed=0, dtype=np.complex64)
    assert V.dtype == np.complex64
    assert np.allclose(V[0], U, atol=1e-6)


def test_entry_moments():
    d = 4
    U = haar_unitary(d, batch=20000, seed=11)
    a = np.abs(U) ** 2
    assert _z(a, 1 / d) < Z  # E|U_ij|^2 = 1/d
    assert _z(a**2, 2 / (d * (d + 1))) < Z  # E|U_ij|^4 = 2/(d(d+1))
    # Mezzadri's phase fix: without it LAPACK's Q has a biased diagonal (E U_11 != 0).
    assert _z(U[:, 0, 0].real, 0.0) < Z and _z(U[:, 0, 0].imag, 0.0) < Z
    # The second moment must be able to fail: 1/(d+1) is well outside the interval.
    assert _z(a, 1 / (d + 1)) > 3 * Z


def test_trace_moments_k_factorial_and_beyond_d():
    U = haar_unitary(4, batch=20000, seed=3)
    tr2 = np.abs(np.trace(U, axis1=1, axis2=2)) ** 2
    for k in (1, 2, 3):
        assert _z(tr2**k, math.factorial(k)) < Z
    # k > d: E|Tr U|^6 for U(2) is 5 (permutations avoiding 123), not 3! = 6.
    U2 = haar_unitary(2, batch=20000, seed=4)
    t6 = np.abs(np.trace(U2, axis1=1, axis2=2)) ** 6
    assert _z(t6, 5.0) < Z
    assert _z(t6, 6.0) > 2 * Z


def test_seeded_reproducibility_and_prefix():
    a = haar_unitary(5, batch=7, seed=42)
    b = haar_unitary(5, batch=7, seed=42)
    assert np.array_equal(a, b)
    assert np.allclose(haar_unitary(5, batch=3, seed=42), a[:3])
    assert not np.allclose(haar_unitary(5, batch=7, seed=43), a)
    assert np.array_equal(haar_unitary(3, seed=as_key(9)), haar_unitary(3, seed=as_key(9)))
    # consecutive samples of one batch are distinct
    assert not np.allclose(a[0], a[1])


def test_ginibre_normalisation():
    z = complex_ginibre(as_key(5), 0, 40000)
    assert _z(np.abs(z) ** 2, 1.0) < Z
    assert _z(z.real, 0.0) < Z and _z(z.real**2, 0.5) < Z


def test_orthogonal():
    O = haar_orthogonal(3, batch=4000, seed=1)
    assert O.dtype == np.float64 and O.shape == (4000, 3, 3)
    assert np.allclose(np.swapaxes(O, -1, -2) @ O, np.eye(3), atol=1e-12)
    det = np.linalg.det(O)
    assert np.allclose(np.abs(det), 1)
    assert 0.45 < np.mean(det > 0) < 0.55  # O(d), not SO(d): both components equally
    # Haar O(d): E O_ij^2 = 1/d, E O_ij^4 = 3/(d(d+2))
    assert _z(O**2, 1 / 3) < Z and _z(O**4, 3 / 15) < Z
    assert haar_orthogonal(4, seed=0, dtype=np.float32).dtype == np.float32


def test_state_and_isometry():
    d = 8
    psi = haar_state(d, batch=(5000,), seed=2)
    assert psi.shape == (5000, d)
    assert np.allclose(np.linalg.norm(psi, axis=-1), 1)
    assert _z(np.abs(psi) ** 4, 2 / (d * (d + 1))) < Z
    assert haar_state(d, seed=2).shape == (d,)
    V = haar_isometry(8, 3, batch=2, seed=0)
    assert V.shape == (2, 8, 3)
    assert np.allclose(np.conj(np.swapaxes(V, -1, -2)) @ V, np.eye(3), atol=1e-12)


@pytest.mark.parametrize("bad", [2.5, 3.0, "4", True, None])
def test_non_integer_size(bad):
    with pytest.raises(TypeError, match="integer"):
        haar_unitary(bad)


@pytest.mark.parametrize("bad", [0, -3])
def test_negative_size(bad):
    with pytest.raises(ValueError, match="at least 1"):
        haar_unitary(bad)
    with pytest.raises(ValueError):
        haar_state(bad)


def test_bad_batch_dtype_isometry():
    with pytest.raises(ValueError):
        haar_unitary(3, batch=-1)
    with pytest.raises(TypeError):
        haar_unitary(3, batch=2.0)
    with pytest.raises(TypeError, match="complex"):
        haar_unitary(3, dtype=np.float64)
    with pytest.raises(TypeError, match="float"):
        haar_orthogonal(3, dtype=np.complex128)
    with pytest.raises(ValueError, match="k <= d"):
        haar_isometry(3, 4)


def test_too_large_for_memory_said_before_allocating():
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(MemoryError, match="GiB"):
            haar_unitary(10**6, batch=1000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2**20  # refused before allocating anything large


@pytest.mark.parametrize("d", [3, 40])  # Gram-Schmidt path and batched-QR path
def test_every_backend_draws_the_same_matrices_on_its_device(backend, d):
    U = haar_unitary(d, batch=4, seed=8, device=backend.sample_device)
    assert backend.owns(U) and tuple(U.shape) == (4, d, d)
    np.testing.assert_allclose(backend.to_numpy(U), haar_unitary(d, batch=4, seed=8), atol=1e-10)
    O = haar_orthogonal(5, batch=3, seed=1, device=backend.sample_device, dtype=np.float32)
    assert backend.owns(O) and backend.to_numpy(O).dtype == np.float32
    np.testing.assert_allclose(backend.to_numpy(O), haar_orthogonal(5, batch=3, seed=1),
                               atol=1e-6)
    psi = haar_state(d, batch=2, seed=2, device=backend.sample_device)
    assert backend.owns(psi)
    np.testing.assert_allclose(backend.to_numpy(psi), haar_state(d, batch=2, seed=2), atol=1e-12)
    V = haar_isometry(d, 2, seed=0, device=backend.sample_device)
    assert backend.owns(V)
    np.testing.assert_allclose(backend.to_numpy(V), haar_isometry(d, 2, seed=0), atol=1e-10)


def test_torch_dtypes_accepted():
    torch = pytest.importorskip("torch")
    U = haar_unitary(3, seed=0, device=torch.device("cpu"), dtype=torch.complex64)
    assert U.dtype == torch.complex64
    np.testing.assert_allclose(U.numpy(), haar_unitary(3, seed=0), atol=1e-6)


@pytest.mark.parametrize("d, k", [(2, 2), (4, 4), (4, 2), (6, 6), (9, 3)])
def test_gram_schmidt_path_equals_phase_fixed_lapack_qr(d, k):
    # Both return the unique QR factor with a positive real diagonal R, so the host
    # sampler gives the same matrices whichever path a size takes.
    from sketch.haar import _gram_schmidt

    Zs = complex_ginibre(as_key(3), 0, 50 * d * k).reshape(50, d, k)
    Q, R = np.linalg.qr(Zs)
    diag = np.diagonal(R, axis1=-2, axis2=-1)
    assert np.allclose(_gram_schmidt(Zs, np), Q * (diag / abs(diag))[:, None, :], atol=1e-12)


@pytest.mark.parametrize("d, k, real", [(32, 32, False), (40, 5, False), (33, 33, True)])
def test_lapack_loop_path_equals_phase_fixed_stacked_qr(d, k, real):
    from sketch.haar import _lapack_loop

    Zs = complex_ginibre(as_key(4), 0, 6 * d * k).reshape(6, d, k)
    Zs = np.ascontiguousarray(Zs.real) if real else Zs
    Q, R = np.linalg.qr(Zs)
    diag = np.diagonal(R, axis1=-2, axis2=-1)
    np.testing.assert_allclose(_lapack_loop(Zs), Q * (diag / abs(diag))[:, None, :], atol=1e-12)
