"""sketch.backend: the dispatch functions give the same answers on every backend."""

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse

from sketch import backend as B
from sketch.errors import BackendMismatchError


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_namespace_and_predicates(backend, rng):
    x = backend.asarray(rng.standard_normal((4, 3)))
    assert backend.owns(x)
    xp = B.array_module(x)
    assert B.backend_name(x) == B.backend_name(xp) == backend.name.split("-")[0]
    assert B.is_torch(x) == backend.name.startswith("torch")
    assert B.is_cupy(x) == (backend.name == "cupy")
    assert B.device_of(x) == ("gpu" if backend.name in ("cupy", "torch-cuda") else "cpu")
    assert np.array_equal(backend.to_numpy(x), B.to_numpy(x))
    y = xp.asarray(x)  # the namespace creates arrays its own code can use
    assert backend.owns(y)


def test_qr_modes_and_triangular_solves(backend, rng):
    A = rng.standard_normal((8, 3)) + 1j * rng.standard_normal((8, 3))
    Q, R = B.qr(backend.asarray(A))
    assert backend.owns(Q) and backend.owns(R)
    np.testing.assert_allclose(backend.to_numpy(Q @ R), A, atol=1e-12)
    Rr = B.qr(backend.asarray(A), mode="r")
    np.testing.assert_allclose(np.abs(backend.to_numpy(Rr)), np.abs(backend.to_numpy(R)),
                               atol=1e-12)
    Qc, _ = B.qr(backend.asarray(A), mode="complete")
    assert tuple(Qc.shape) == (8, 8)
    Rn, b = np.triu(rng.standard_normal((3, 3))) + 3 * np.eye(3), rng.standard_normal(3)
    for trans in (0, "T", "C"):
        for lower in (False, True):
            M = Rn.T if lower else Rn
            x = B.solve_triangular(backend.asarray(M), backend.asarray(b), lower=lower, trans=trans)
            assert backend.owns(x) and tuple(x.shape) == (3,)
            ref = scipy.linalg.solve_triangular(M, b, lower=lower, trans=trans)
            np.testing.assert_allclose(backend.to_numpy(x), ref, rtol=1e-12)
    L = B.cholesky(backend.asarray(Rn.T @ Rn))
    np.testing.assert_allclose(backend.to_numpy(L @ L.T), Rn.T @ Rn, rtol=1e-12)


def test_lu_family(backend, rng):
    A = rng.standard_normal((5, 5))
    PL, U = B.lu(backend.asarray(A), permute_l=True)
    np.testing.assert_allclose(backend.to_numpy(PL @ U), A, atol=1e-12)
    P, L, U = B.lu(backend.asarray(A))
    np.testing.assert_allclose(backend.to_numpy(P @ L @ U), A, atol=1e-12)
    f = B.lu_factor(backend.asarray(A))
    b = rng.standard_normal(5)
    for trans, M in ((0, A), (1, A.T), (2, A.conj().T)):
        x = B.lu_solve(f, backend.asarray(b), trans=trans)
        assert backend.owns(x)
        np.testing.assert_allclose(M @ backend.to_numpy(x), b, atol=1e-10)


@pytest.mark.parametrize("n", [1, 2, 7, 8])
def test_dct_and_fwht_match_scipy(backend, rng, n):
    X = rng.standard_normal((n, 3))
    Y = B.dct(backend.asarray(X))
    assert backend.owns(Y)
    np.testing.assert_allclose(backend.to_numpy(Y), scipy.fft.dct(X, norm="ortho", axis=0),
                               atol=1e-12)
    np.testing.assert_allclose(backend.to_numpy(B.idct(Y)), X, atol=1e-12)
    Z = X + 1j * rng.standard_normal((n, 3))
    np.testing.assert_allclose(backend.to_numpy(B.dct(backend.asarray(Z.T), axis=1)),
                               scipy.fft.dct(Z.T, norm="ortho", axis=1), atol=1e-12)
    if n & (n - 1) == 0:
        H = scipy.linalg.hadamard(n) / np.sqrt(n)
        np.testing.assert_allclose(backend.to_numpy(B.fwht(backend.asarray(X))), H @ X,
                                   atol=1e-12)


def test_scatter_and_sparse(backend):
    idx = backend.asarray(np.array([0, 0, 3, 1, 3]))
    vals = backend.asarray(np.arange(5.0))
    acc = B.index_add(backend.asarray(np.zeros(4)), idx, vals)
    assert backend.owns(acc)
    np.testing.assert_array_equal(backend.to_numpy(acc), [1.0, 3.0, 0.0, 6.0])
    np.testing.assert_array_equal(backend.to_numpy(B.bincount(idx, minlength=5)), [2, 1, 0, 2, 0])
    S = B.sparse_coo(vals, idx, backend.asarray(np.array([0, 1, 1, 2, 2])), (4, 3))
    dense = np.zeros((4, 3))
    np.add.at(dense, ([0, 0, 3, 1, 3], [0, 1, 1, 2, 2]), np.arange(5.0))
    np.testing.assert_array_equal(backend.to_numpy(B.to_dense(S)), dense)
    A = np.arange(6.0).reshape(3, 2)
    out = B.spmm(S, backend.asarray(A))
    assert backend.owns(out) and not B.is_sparse(out)
    np.testing.assert_allclose(backend.to_numpy(out), dense @ A)
    csc = scipy.sparse.csc_matrix(dense)
    S2 = B.sparse_from_csc(backend.asarray(csc.data), backend.asarray(csc.indices),
                           backend.asarray(csc.indptr), (4, 3))
    np.testing.assert_array_equal(backend.to_numpy(B.to_dense(S2)), dense)


def test_mixing_libraries_is_a_clear_error():
    torch = pytest.importorskip("torch")
    with pytest.raises(BackendMismatchError, match="torch.*numpy|numpy.*torch"):
        B.array_module(np.ones(2), torch.ones(2))
    with pytest.raises(TypeError, match="not a supported"):
        B.backend_name(pytest)
    with pytest.raises(TypeError, match="LinearOperator"):
        B.array_module([1, 2])
    with pytest.raises(ValueError, match="torch:cuda"):
        B.module_for_device("tpu")


def test_linalg_modules_refuse_torch_with_the_function_to_use():
    pytest.importorskip("torch")
    xt = B.module_for_device("torch")
    with pytest.raises(TypeError, match="solve_triangular"):
        B.linalg(xt)
    with pytest.raises(TypeError, match="sparse_coo"):
        B.sparse(xt)
    assert B.fft(xt).__name__ == "torch.fft"
    assert B.native_device("torch:cpu").type == "cpu"
    assert B.available_bytes(xt) is None or B.available_bytes(xt) > 0


@pytest.fixture
def small_cuda(monkeypatch):
    """A stand-in CUDA device with 1 MiB free: torch.cuda.mem_get_info is the only probe."""
    torch = pytest.importorskip("torch")
    asked = []

    def mem_get_info(dev=None):
        asked.append(torch.device(dev))
        return (2**20, 2**30)

    monkeypatch.setattr(torch.cuda, "mem_get_info", mem_get_info)
    return asked


def test_allocation_on_a_torch_cuda_device_is_checked_against_that_device(small_cuda):
    import torch

    from sketch.budgets import check_allocation
    from sketch.errors import InsufficientMemoryError

    xt, cuda = B.module_for_device("torch"), torch.device("cuda", 0)
    check_allocation(2**19, "half a MiB", xp=xt, device=cuda)  # fits the stand-in's 1 MiB
    with pytest.raises(InsufficientMemoryError, match="two MiB needs .* on the device cuda:0"):
        check_allocation(2**21, "two MiB", xp=xt, device=cuda)
    assert small_cuda == [cuda, cuda]
    # The same request for a CPU tensor (or no device) asks the host, not the GPU.
    check_allocation(2**21, "two MiB", xp=xt, device=torch.device("cpu"))
    check_allocation(2**21, "two MiB", xp=xt)
    assert len(small_cuda) == 2


def test_haar_on_a_torch_cuda_device_is_refused_by_that_devices_memory(small_cuda):
    import torch

    from sketch import haar_unitary
    from sketch.errors import InsufficientMemoryError

    # 64 × 64 × 100 complex128 needs ~30 MiB: refused before touching CUDA (none is needed).
    with pytest.raises(InsufficientMemoryError, match="on the device cuda"):
        haar_unitary(64, batch=100, seed=0, device=torch.device("cuda"))
    assert small_cuda == [torch.device("cuda")]


@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
def test_r_factor_of_wide_enough_numpy_matrices_is_householders(dtype):
    # mode="r" on NumPy takes LAPACK geqrt from 256 columns on: the same R as geqrf
    # (numpy.linalg.qr), whose rows may differ in sign, and RᴴR = AᴴA.
    rng = np.random.default_rng(0)
    A = rng.standard_normal((700, 300)).astype(dtype)
    if np.dtype(dtype).kind == "c":
        A = A + 1j * rng.standard_normal((700, 300))
    R, R0 = B.qr(A, mode="r"), np.linalg.qr(A, mode="r")
    tol = 50 * np.finfo(dtype).eps
    assert R.dtype == A.dtype and R.shape == (300, 300) and np.allclose(R, np.triu(R))
    assert np.abs(np.abs(R) - np.abs(R0)).max() <= tol * np.abs(R0).max()
    G = A.conj().T @ A
    assert np.abs(R.conj().T @ R - G).max() <= tol * np.abs(G).max()
    assert B.qr(A.T.copy(), mode="r").shape == (300, 700)


def test_svd_solve_of_dense_lstsq_on_gpus_matches_gelsd_on_rank_deficient_input():
    # torch on a GPU has no rank-revealing lstsq driver: dense_lstsq takes the SVD solve
    # there, whose rank rule and answer must be numpy's gelsd's (checked on the host).
    from sketch.backend.factorizations import _svd_lstsq

    rng = np.random.default_rng(3)
    A = rng.standard_normal((40, 3)) @ rng.standard_normal((3, 6))  # rank 3 of 6
    b = rng.standard_normal(40)
    x_ref, _, rank_ref, _ = np.linalg.lstsq(A, b, rcond=None)
    for rcond in (None, 1e-8):
        x, rank, s = _svd_lstsq(A, b, rcond)
        assert rank == rank_ref == 3 and s.shape == (6,)
        np.testing.assert_allclose(x, x_ref, atol=1e-10)
