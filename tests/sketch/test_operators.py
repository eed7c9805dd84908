"""Sketching operators: embedding property at the documented sizes, one interface
for dense/sparse/LinearOperator/transposed inputs, dtypes, blockwise generation,
the apply kernels' reproducibility across threads and block sizes, keyed
reproducibility, bad input and memory refusals, and agreement on every backend."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import aslinearoperator

import sketch.kernels as kernels
import sketch.operator_base as operator_base
import sketch.operators as ops
import sketch.srht_kernel as srht_kernel
from sketch import as_key, embedding_size, linf_sketch_size, make_operator, preconditioner_size
from sketch.backend import backend_name
from sketch.errors import (
    AccuracyWarning,
    BackendMismatchError,
    InsufficientMemoryError,
    NonFiniteError,
    ShapeError,
    ToleranceError,
)

KINDS = ["gaussian", "rademacher", "srht", "srht-dct", "countsketch", "sparse-sign"]


def _orthonormal(m: int, n: int, seed: int, coherent: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    if coherent:  # a few rows carry most of the energy: hard for sampling-like sketches
        A[:n] += 50 * np.eye(n)
    return np.linalg.qr(A)[0]


# -- the subspace-embedding property -----------------------------------------------

# (kind, ambient m): CountSketch's documented size (n²+n)/(δε²) needs a larger m.
EMBED = [("gaussian", 2048), ("rademacher", 2048), ("srht", 4096), ("srht-dct", 4000),
         ("countsketch", 16384), ("sparse-sign", 4096)]


@pytest.mark.parametrize("kind,m", EMBED)
def test_subspace_embedding_at_documented_size(kind, m):
    n, eps, delta = 10, 0.5, 0.05
    s = embedding_size(kind, n, eps=eps, delta=delta, m=m)
    assert n <= s < m
    for seed in range(4):
        U = _orthonormal(m, n, 100 + seed, coherent=seed % 2 == 1)
        sv = np.linalg.svd(make_operator(kind, s, m, seed=seed) @ U, compute_uv=False)
        assert 1 - eps <= sv.min() and sv.max() <= 1 + eps, (kind, seed, sv.min(), sv.max())


def test_embedding_many_seeds_gaussian_tail():
    # Davidson–Szarek: σ(SU) ⊂ 1 ± (√(n/s) + t) with failure ≤ 2exp(−st²/2). At the documented
    # size (s = 165 for n = 10, ε = 0.5, δ = 0.01) that is ≤ 1% per seed; the worst deviation
    # over 30 independent seeds must stay within ε.
    n, m = 10, 1024
    s = embedding_size("gaussian", n, eps=0.5, delta=0.01)
    U = _orthonormal(m, n, 7)
    worst = 0.0
    for seed in range(30):
        sv = np.linalg.svd(ops.Gaussian(s, m, seed=seed) @ U, compute_uv=False)
        worst = max(worst, abs(sv.max() - 1), abs(1 - sv.min()))
    assert worst <= 0.5


def test_too_small_sketch_is_not_an_embedding():
    # The property test must be able to fail: s = n rows give σ_min ≈ 0 (Edelman 1988).
    n, m = 10, 1024
    U = _orthonormal(m, n, 3)
    mins = [np.linalg.svd(ops.Gaussian(n, m, seed=k) @ U, compute_uv=False).min()
            for k in range(5)]
    assert min(mins) < 0.5


def test_embedding_size_warns_when_not_compressing():
    with pytest.warns(AccuracyWarning):
        embedding_size("countsketch", 50, eps=0.5, delta=0.01, m=1000)
    with pytest.raises(ValueError, match="pass m="):
        embedding_size("srht", 5)
    with pytest.raises(ValueError, match="eps"):
        embedding_size("gaussian", 5, eps=1.5)
    with pytest.raises(ValueError, match="unknown sketch"):
        embedding_size("fourier", 5)


@pytest.mark.parametrize("kind", ["gaussian", "srht", "countsketch", "sparse-sign"])
def test_sizes_beyond_memory_are_refused_by_name(kind):
    # eps² underflows and (x/eps)² overflows here: a ToleranceError naming eps, not
    # an OverflowError or ZeroDivisionError
    with pytest.raises(ToleranceError, match="eps=3.7e-187"):
        embedding_size(kind, 5, eps=3.7e-187, m=100)
    with pytest.raises(ToleranceError, match="delta=5e-324"):
        embedding_size(kind, 5, eps=0.5, delta=5e-324, m=100)
    with pytest.raises(ToleranceError, match="eps=1e-200"):
        linf_sketch_size(10**6, 5, eps=1e-200)


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda: embedding_size("gaussian", 5, m=0), ValueError, "m must be at least 1"),
        (lambda: embedding_size("gaussian", 5, m="9"), TypeError, "m must be an integer"),
        (lambda: embedding_size("gaussian", 5, eps="0.5"), TypeError, "eps must be a real"),
        (lambda: embedding_size("gaussian", 5, delta=np.array([0.1])), TypeError,
         "delta must be a real"),
        (lambda: embedding_size("gaussian", 5, eps=1j), TypeError, "eps must be a real"),
        (lambda: linf_sketch_size(100, 3, constant="1"), TypeError, "constant must be a real"),
        (lambda: linf_sketch_size(100, 3, constant=True), TypeError, "constant must be a real"),
        (lambda: linf_sketch_size(100, 3, constant=0.4), ToleranceError, r"constant=0\.4"),
        (lambda: preconditioner_size(3, 100, factor="4"), TypeError, "factor must be a real"),
        (lambda: preconditioner_size(3, 100, factor=1.0), ValueError, "factor must exceed 1"),
    ],
)
def test_sizing_arguments_are_refused_by_name(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_preconditioner_size_with_a_huge_factor_is_capped_at_m():
    assert preconditioner_size(3, 100, factor=1e308) == 100


# -- one interface for every kind of input -----------------------------------------


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((300, 7))
    A[rng.random(A.shape) < 0.6] = 0.0
    return A


@pytest.mark.parametrize("kind", KINDS)
def test_dense_sparse_operator_transposed_agree(kind, data):
    A = data
    S = make_operator(kind, 40, A.shape[0], seed=5)
    ref = S.to_dense() @ A
    np.testing.assert_allclose(S @ A, ref, atol=1e-12)
    for fmt in ("csr", "csc", "coo"):
        np.testing.assert_allclose(S @ sp.csr_matrix(A).asformat(fmt), ref, atol=1e-12)
    np.testing.assert_allclose(S @ aslinearoperator(A), ref, atol=1e-12)
    np.testing.assert_allclose(A.T @ S.T, ref.T, atol=1e-12)
    np.testing.assert_allclose(sp.csr_matrix(A.T) @ S.T, ref.T, atol=1e-12)
    np.testing.assert_allclose(S @ A[:, 0], ref[:, 0], atol=1e-12)
    np.testing.assert_allclose(A[:, 0] @ S.T, ref[:, 0], atol=1e-12)
    Y = np.random.default_rng(1).standard_normal((40, 3))
    np.testing.assert_allclose(S.T @ Y, S.to_dense().T @ Y, atol=1e-12)
    assert S.T.shape == (300, 40) and S.T.T is S


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float32, np.complex64, np.complex128])
def test_dtype_kept(kind, dtype, data):
    A = (data + (1j * data[::-1] if np.dtype(dtype).kind == "c" else 0)).astype(dtype)
    S = make_operator(kind, 40, A.shape[0], seed=2)
    out = S @ A
    assert out.dtype == dtype
    tol = 1e-4 if np.finfo(dtype).bits <= 32 else 1e-12
    np.testing.assert_allclose(out, S.to_dense() @ A.astype(np.complex128), atol=tol, rtol=tol)
    assert (S @ sp.csr_matrix(A)).dtype == dtype
    assert (A.T @ S.T).dtype == dtype


@pytest.mark.parametrize("kind", KINDS)
def test_blockwise_generation_equals_full_operator(kind, data, monkeypatch):
    A = data
    S = make_operator(kind, 40, A.shape[0], seed=9)
    full = S.to_dense()
    np.testing.assert_array_equal(S._columns(100, 180, np, np.dtype(np.float64)).toarray()
                                  if kind in ("countsketch", "sparse-sign")
                                  else S._columns(100, 180, np, np.dtype(np.float64)),
                                  full[:, 100:180])
    whole = S @ A
    monkeypatch.setattr(operator_base, "_BLOCK_ENTRIES", 97)  # many tiny blocks of S
    monkeypatch.setattr(type(S), "_block_rows", lambda self: 13)
    np.testing.assert_allclose(S @ A, whole, atol=1e-12)
    np.testing.assert_allclose(S.T @ np.eye(40), full.T, atol=1e-12)


# -- the apply kernels: same bits for any thread count; blocks change rounding at most ----


def _reference_operator(S) -> np.ndarray:
    """S built entry by entry from the keyed stream's public functions, without kernels."""
    s, m, key = S.s, S.m, S.key
    j = np.arange(m, dtype=np.uint64)
    if isinstance(S, ops.Gaussian | ops.Rademacher):
        counter = j[None, :] * np.uint64(s) + np.arange(s, dtype=np.uint64)[:, None]
        draw = key.normal if isinstance(S, ops.Gaussian) else key.signs
        return draw(counter) * (1.0 / np.sqrt(s))
    out = np.zeros((s, m))
    if isinstance(S, ops.CountSketch):
        out[key.child("rows").integers(j, s), np.arange(m)] = key.child("signs").signs(j)
        return out
    if isinstance(S, ops.SparseSign):
        bounds = (np.arange(S.k + 1) * s) // S.k
        for t in range(S.k):
            c = j * np.uint64(S.k) + np.uint64(t)
            rows = bounds[t] + key.child("rows").integers(c, int(bounds[t + 1] - bounds[t]))
            out[rows, np.arange(m)] = key.child("signs").signs(c) / np.sqrt(S.k)
        return out
    # SRHT (Hadamard): sampled rows of H D, H[r, j] = (-1)^popcount(r & j)
    words = key.child("rows").bits(np.arange(S.padded, dtype=np.uint64))
    rows = np.sort(np.argsort(words, kind="stable")[:s])
    parity = np.array([[bin(r & c).count("1") & 1 for c in range(m)] for r in rows])
    H = (1 - 2 * parity) * key.child("signs").signs(j)[None, :]
    return H * (1 / np.sqrt(S.padded)) * np.sqrt(S.padded / s)


@pytest.mark.parametrize("kind", ["gaussian", "rademacher", "srht", "countsketch", "sparse-sign"])
def test_kernel_applies_the_operator_of_the_stream_bitwise(kind):
    # S @ I through the kernels is exactly the matrix drawn entry by entry from the stream.
    m = 300
    S = make_operator(kind, 24, m, seed=11)
    ref = _reference_operator(S)
    np.testing.assert_array_equal(S @ np.eye(m), ref)
    np.testing.assert_array_equal(np.eye(m) @ S.T, ref.T)
    np.testing.assert_array_equal(S.to_dense(), ref)


def _inputs(m: int, n: int):
    rng = np.random.default_rng(4)
    A = rng.standard_normal((m, n))
    As = sp.random(m, n, density=0.05, random_state=5, format="csr")
    yield "C", A
    yield "F", np.asfortranarray(A)
    yield "strided", np.repeat(A, 2, axis=1)[:, ::2]
    yield "float32", A.astype(np.float32)
    yield "complex", A + 1j * A[::-1]
    yield "csr", As
    yield "csc", As.tocsc()
    yield "csr-float32", As.astype(np.float32)


# What a block-size change may alter: nothing for the scatter kernels and the DCT (every sum
# keeps its order); the rounding of the GEMM-based kernels (BLAS blocks the sum over rows).
_BITWISE_OVER_BLOCKS = {"countsketch", "sparse-sign", "srht-dct"}


@pytest.mark.parametrize("kind", KINDS)
def test_kernels_same_bits_for_any_thread_count_and_block_size(kind, monkeypatch):
    m, n, s = 700, 19, 64
    S = make_operator(kind, s, m, seed=21)
    dense = S.to_dense()
    for name, A in _inputs(m, n):
        ref = S @ A
        exact = dense @ (A.toarray() if sp.issparse(A) else A).astype(np.complex128)
        tol = 1e-4 if "float32" in name else 1e-12
        np.testing.assert_allclose(ref, exact, rtol=tol, atol=tol, err_msg=name)
        for threads in (2, 3):
            monkeypatch.setattr(kernels, "_threads", threads)
            np.testing.assert_array_equal(make_operator(kind, s, m, seed=21) @ A, ref,
                                          err_msg=f"{name}, {threads} threads")
            np.testing.assert_array_equal(A.T @ S.T, ref.T, err_msg=f"{name}, A @ S.T")
        # tiny blocks everywhere: generation chunks, GEMM row chunks, copies, SRHT columns
        monkeypatch.setattr(kernels, "GENERATE_CHUNK", 50)
        monkeypatch.setattr(kernels, "GEMM_ROWS", 7)
        monkeypatch.setattr(kernels, "COPY_BYTES", 3000)
        monkeypatch.setattr(srht_kernel, "SRHT_BLOCK_ENTRIES", 9000)
        monkeypatch.setattr(srht_kernel, "DCT_BLOCK_ENTRIES", 3000)
        monkeypatch.setattr(operator_base, "_BLOCK_ENTRIES", 1000)
        small = make_operator(kind, s, m, seed=21) @ A
        if kind in _BITWISE_OVER_BLOCKS:
            np.testing.assert_array_equal(small, ref, err_msg=f"{name}, small blocks")
        else:
            np.testing.assert_allclose(small, ref, rtol=tol, atol=tol, err_msg=name)
        monkeypatch.undo()


def test_srht_plan_memory_is_bounded(monkeypatch):
    m = 1000
    S = ops.SRHT(40, m, seed=2)
    A = np.random.default_rng(0).standard_normal((m, 9))
    ref = S @ A
    monkeypatch.setattr(srht_kernel, "SRHT_PLAN_ENTRIES", 40 * 32)  # b grows from 16 to 32
    assert srht_kernel.srht_inner_size(40, m, 1024) == 32
    np.testing.assert_allclose(ops.SRHT(40, m, seed=2) @ A, ref, atol=1e-12)
    monkeypatch.setattr(srht_kernel, "SRHT_MAX_INNER", 16)  # then too large: plain transform
    monkeypatch.setattr(srht_kernel, "SRHT_PLAIN_BLOCK_ENTRIES", 4 * 1024)  # 4 columns a block
    assert ops.SRHT(40, m, seed=2)._inner() is None
    np.testing.assert_allclose(ops.SRHT(40, m, seed=2) @ A, ref, atol=1e-12)
    np.testing.assert_allclose(A.T @ ops.SRHT(40, m, seed=2).T, ref.T, atol=1e-12)


def test_srht_blocks_per_thread_same_bits_for_any_thread_count(monkeypatch):
    # Several column blocks per thread (each thread reuses its buffers over its run of
    # blocks): the thread count changes no bits; another block width agrees to rounding.
    m, n, s = 700, 19, 40
    A = np.random.default_rng(3).standard_normal((m, n))
    monkeypatch.setattr(srht_kernel, "SRHT_BLOCK_ENTRIES", 3 * 1024)  # 3 columns a block
    monkeypatch.setattr(kernels, "_threads", 1)
    ref = ops.SRHT(s, m, seed=4) @ A
    np.testing.assert_allclose(ref, _reference_operator(ops.SRHT(s, m, seed=4)) @ A,
                               rtol=1e-12, atol=1e-12)
    for threads in (2, 3, 7):
        monkeypatch.setattr(kernels, "_threads", threads)
        np.testing.assert_array_equal(ops.SRHT(s, m, seed=4) @ A, ref, err_msg=f"{threads}")
        np.testing.assert_array_equal(A.T @ ops.SRHT(s, m, seed=4).T, ref.T)
    monkeypatch.setattr(srht_kernel, "SRHT_FACTOR_ENTRIES", 0)  # factors made chunk by chunk
    assert ops.SRHT(s, m, seed=4)._plan(A.dtype).HD is None
    np.testing.assert_array_equal(ops.SRHT(s, m, seed=4) @ A, ref)
    monkeypatch.setattr(srht_kernel, "SRHT_BLOCK_ENTRIES", 5 * 1024)
    np.testing.assert_allclose(ops.SRHT(s, m, seed=4) @ A, ref, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("kind", ["countsketch", "sparse-sign"])
def test_scatter_kernels_equal_one_sparse_product(kind):
    # The scatter kernels sum each output row over ascending j, exactly like SciPy's CSC
    # product that qla used before them: bitwise the same result.
    m = 2000
    S = make_operator(kind, 50, m, seed=3)
    A = np.random.default_rng(0).standard_normal((m, 30))
    for dtype in (np.float64, np.float32):
        Sc = S._columns(0, m, np, np.dtype(dtype))
        np.testing.assert_array_equal(S @ A.astype(dtype), Sc @ A.astype(dtype))
        As = sp.random(m, 30, density=0.02, random_state=1, format="csr", dtype=dtype)
        np.testing.assert_array_equal(S @ As, (Sc @ As).toarray())


@pytest.mark.parametrize("kind", ["countsketch", "sparse-sign"])
def test_scatter_dense_same_bits_for_any_row_groups(kind, monkeypatch):
    # Any split of S's rows into thread tasks (aligned with the sparse sign's row blocks or
    # not, single rows) and any column-block width on non-contiguous A gives the bits of one
    # CSC product: each output row is summed over ascending j in every split.
    m, s, n = 900, 40, 23
    S = make_operator(kind, s, m, seed=5)
    A = np.random.default_rng(2).standard_normal((m, n))
    splits = [[(0, s)], [(0, 1), (1, 39), (39, 40)], kernels._ranges(s, 3),
              [(i, i + 1) for i in range(s)]]
    for dtype in (np.float64, np.float32):
        Sc = S._columns(0, m, np, np.dtype(dtype))
        for name, X in (("C", A.astype(dtype)), ("F", np.asfortranarray(A.astype(dtype)))):
            ref = Sc @ np.ascontiguousarray(X)
            for groups in splits:
                for copy_bytes in (kernels.COPY_BYTES, 5 * m * X.itemsize):
                    monkeypatch.setattr(kernels, "COPY_BYTES", copy_bytes)
                    np.testing.assert_array_equal(kernels.scatter_dense(Sc, X, groups), ref,
                                                  err_msg=f"{name} {dtype.__name__} {groups[:2]}")


def test_set_threads():
    previous = kernels.set_threads(1)
    try:
        assert kernels.threads() == 1
        with pytest.raises(ValueError, match="positive integer"):
            kernels.set_threads(0)
    finally:
        kernels.set_threads(previous)


@pytest.mark.parametrize("kind", KINDS)
def test_on_every_backend(kind, backend):
    # torch tensors (and CuPy arrays) in, the same library and device out; same operator.
    m = 257
    S = make_operator(kind, 32, m, seed=8)
    rng = np.random.default_rng(2)
    A = rng.standard_normal((m, 5))
    Y = rng.standard_normal((32, 3))
    for dtype, tol in ((np.float64, 1e-10), (np.float32, 1e-4), (np.complex128, 1e-10)):
        Ad = (A + 1j * A[::-1] if dtype is np.complex128 else A).astype(dtype)
        out = S @ backend.asarray(Ad)
        assert backend.owns(out)
        np.testing.assert_allclose(backend.to_numpy(out), S @ Ad, rtol=tol, atol=tol)
        outT = backend.asarray(Ad.T) @ S.T
        assert backend.owns(outT)
        np.testing.assert_allclose(backend.to_numpy(outT), (S @ Ad).T, rtol=tol, atol=tol)
    adj = S.T @ backend.asarray(Y)
    assert backend.owns(adj)
    np.testing.assert_allclose(backend.to_numpy(adj), S.to_dense().T @ Y, atol=1e-10)
    vec = S @ backend.asarray(A[:, 0])
    np.testing.assert_allclose(backend.to_numpy(vec), S @ A[:, 0], atol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_keyed_reproducibility(kind):
    m = 64
    a = make_operator(kind, 16, m, seed=123).to_dense()
    np.testing.assert_array_equal(a, make_operator(kind, 16, m, seed=123).to_dense())
    np.testing.assert_array_equal(a, make_operator(kind, 16, m, seed=as_key(123)).to_dense())
    assert not np.array_equal(a, make_operator(kind, 16, m, seed=124).to_dense())
    g1 = make_operator(kind, 16, m, seed=np.random.default_rng(5)).to_dense()
    g2 = make_operator(kind, 16, m, seed=np.random.default_rng(5)).to_dense()
    np.testing.assert_array_equal(g1, g2)
    assert make_operator(kind, 16, m, seed=1).fingerprint != make_operator(kind, 16, m,
                                                                            seed=2).fingerprint


def test_operator_entries_have_their_laws():
    m, s = 4000, 50
    G = ops.Gaussian(s, m, seed=0).to_dense() * np.sqrt(s)
    assert abs(G.mean()) < 0.01 and abs(G.var() - 1) < 0.02  # 2e5 entries: sd ≈ 0.002, 0.003
    R = ops.Rademacher(s, m, seed=0).to_dense() * np.sqrt(s)
    assert set(np.unique(R)) == {-1.0, 1.0} and abs(R.mean()) < 0.01
    C = ops.CountSketch(s, m, seed=0).to_dense()
    counts = np.count_nonzero(C, axis=1)  # rows hashed uniformly: ~80 ± 9 per bucket
    assert counts.sum() == m and counts.min() > 40 and counts.max() < 130
    K = ops.SparseSign(s, m, seed=0, k=4).to_dense()
    assert np.allclose(np.abs(K[K != 0]), 0.5) and (np.count_nonzero(K, axis=0) == 4).all()
    H = ops.SRHT(s, 1024, seed=0).to_dense()  # orthogonal rows scaled by √(m'/s)
    np.testing.assert_allclose(H @ H.T, (1024 / s) * np.eye(s), atol=1e-10)
    D = ops.SRHT(s, 1000, seed=0, transform="dct").to_dense()
    np.testing.assert_allclose(D @ D.T, (1000 / s) * np.eye(s), atol=1e-10)


# -- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_bad_input(kind):
    S = make_operator(kind, 8, 50, seed=0)
    A = np.ones((50, 3))
    bad = A.copy()
    bad[3, 1] = np.nan
    with pytest.raises(NonFiniteError, match="NaN or infinity"):
        S @ bad
    bad[3, 1] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        S @ sp.csr_matrix(bad)
    with pytest.raises(ShapeError, match="m=50 but the matrix has 49 rows"):
        S @ np.ones((49, 3))
    with pytest.raises(ShapeError, match="columns"):
        np.ones((3, 49)) @ S.T
    with pytest.raises(ShapeError, match="empty"):
        S @ np.ones((50, 0))
    for zero_rows in (np.ones((0, 3)), np.ones(0), sp.csr_matrix((0, 3))):
        with pytest.raises(ShapeError, match="empty") as err:
            S @ zero_rows
        assert "m=0" not in str(err.value)  # m = 0 is refused: do not suggest it
    with pytest.raises(ShapeError, match="empty") as err:
        np.ones((3, 0)) @ S.T
    assert "m=0" not in str(err.value)
    with pytest.raises(ShapeError, match="1-D or 2-D"):
        S @ np.ones((50, 2, 2))
    for apply in (lambda X: S @ X, lambda X: X @ S.T, lambda X: S.T @ X):
        with pytest.raises(TypeError, match="must be an array"):
            apply(None)
        with pytest.raises(ShapeError, match="1-D or 2-D arrays, but .* has shape \\(\\)"):
            apply(np.array(1.0))
    with pytest.raises(TypeError, match="dtype int64"):
        S @ np.ones((50, 3), dtype=np.int64)
    with pytest.raises(ShapeError, match="s=8 rows"):
        S.T @ np.ones((7, 2))
    with pytest.raises(TypeError):
        make_operator(kind, 2.5, 50)
    with pytest.raises(ValueError, match="at least 1"):
        make_operator(kind, 0, 50)


@pytest.mark.parametrize("kind", ["gaussian", "rademacher", "countsketch", "sparse-sign"])
def test_huge_sketch_refused_before_allocating(kind):
    S = make_operator(kind, 10**12, 50, seed=0)
    with pytest.raises(InsufficientMemoryError, match=r"s=1000000000000.*smaller sketch size"):
        S @ np.ones((50, 3))
    with pytest.raises(MemoryError):
        np.ones((3, 50)) @ S.T
    with pytest.raises(MemoryError):
        S @ sp.eye(50, format="csr")
    with pytest.raises(MemoryError):
        S.to_dense()


def test_bad_operator_options():
    with pytest.raises(ValueError, match="cannot exceed"):
        ops.SRHT(300, 200)
    with pytest.raises(ValueError, match="exceeds the sketch size"):
        ops.SparseSign(4, 100, k=8)
    with pytest.raises(ValueError, match="transform"):
        ops.SRHT(4, 100, transform="fft")
    with pytest.raises(ValueError, match="unknown sketch"):
        make_operator("fourier", 4, 100)
    with pytest.raises(ShapeError, match="m=100"):
        make_operator(ops.Gaussian(4, 100), 4, 90)
    with pytest.raises(TypeError, match="seed"):
        ops.Gaussian(4, 100, seed="zero")


# -- CuPy: same seed, same operator; no mixing ------------------------------------------


@pytest.mark.gpu
@pytest.mark.parametrize("kind", KINDS)
def test_same_operator_on_cupy(kind, cupy):
    m = 700
    S = make_operator(kind, 64, m, seed=31)
    host = S.to_dense()
    dev = cupy.asnumpy(S.to_dense(cupy))
    if kind == "gaussian":
        np.testing.assert_allclose(dev, host, rtol=1e-12, atol=1e-14)  # log/cos rounding
    elif kind == "srht-dct":
        np.testing.assert_allclose(dev, host, atol=1e-12)  # cuFFT vs pocketfft rounding
    elif kind == "srht":
        np.testing.assert_allclose(dev, host, atol=1e-12)  # ±1/√m' sums: exact up to scaling
        np.testing.assert_array_equal(np.sign(dev), np.sign(host))
    else:
        np.testing.assert_array_equal(dev, host)  # signs and hashes are bitwise identical
    A = np.random.default_rng(0).standard_normal((m, 5))
    out = S @ cupy.asarray(A)
    assert isinstance(out, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(out), S @ A, atol=1e-10)
    import cupyx.scipy.sparse as cusp

    out_sp = S @ cusp.csr_matrix(cupy.asarray(A))
    np.testing.assert_allclose(cupy.asnumpy(out_sp), S @ A, atol=1e-10)


@pytest.mark.gpu
def test_mixing_numpy_and_cupy_is_refused(cupy):
    from sketch import lstsq

    A = cupy.asarray(np.random.default_rng(0).standard_normal((100, 3)))
    with pytest.raises(BackendMismatchError, match="mixed"):
        lstsq(A, np.ones(100))
    with pytest.raises(TypeError, match="mixed"):
        lstsq(cupy.asnumpy(A), cupy.ones(100))


@pytest.mark.parametrize("kind", ["gaussian", "rademacher", "countsketch", "sparse-sign"])
def test_torch_blocks_are_generated_on_the_tensors_device(kind, monkeypatch):
    # On a GPU, blocks of S are drawn by torch on the tensor's device (no host array moved
    # over) and are the NumPy operator's blocks: bitwise for signs and hashes, to rounding for
    # the Gaussian (Box–Muller's log1p/tan are each library's own). On the CPU NumPy draws
    # them (shared, not copied): bitwise NumPy's. Both paths run here on torch-CPU.
    torch = pytest.importorskip("torch")
    m = 300
    S = make_operator(kind, 24, m, seed=5)
    A = np.random.default_rng(0).standard_normal((m, 7))
    At = torch.as_tensor(A)
    ref = S.to_dense(dtype=np.float32)[:, 40:90]
    np.testing.assert_array_equal(S._block(40, 90, At, np.dtype(np.float32)).numpy(), ref)

    def no_host_copies(*args, **kwargs):
        raise AssertionError("a block of S was made on the host and copied")

    monkeypatch.setattr(operator_base, "_draws_on_host", lambda like: False)
    monkeypatch.setattr(ops, "_draws_on_host", lambda like: False)
    monkeypatch.setattr(ops, "asarray", no_host_copies)
    monkeypatch.setattr(operator_base, "asarray", no_host_copies)
    made_by = []
    columns = type(S)._columns

    def spy(self, j0, j1, xp, dtype, device=None):
        made_by.append(backend_name(xp))
        return columns(self, j0, j1, xp, dtype, device)

    monkeypatch.setattr(type(S), "_columns", spy)
    block = S._block(40, 90, At, np.dtype(np.float32))
    assert made_by == ["torch"]
    assert isinstance(block, torch.Tensor) and block.device == At.device
    assert block.dtype == torch.float32
    if kind == "gaussian":
        np.testing.assert_allclose(block.numpy(), ref, rtol=1e-6)
    else:
        np.testing.assert_array_equal(block.numpy(), ref)
    for B in (At, At.to(torch.float32)):
        out = S @ B
        assert out.dtype == B.dtype and out.device == B.device
        tol = 1e-5 if B.dtype == torch.float32 else 1e-12
        np.testing.assert_allclose(out.numpy(), S @ B.numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose((B.T @ S.T).numpy(), (S @ B.numpy()).T, rtol=tol, atol=tol)
    np.testing.assert_allclose((S.T @ torch.ones(24, 2, dtype=torch.float64)).numpy(),
                               S.to_dense().T @ np.ones((24, 2)), atol=1e-12)


@pytest.mark.parametrize("s, m", [(1, 1), (3, 5), (20, 100), (40, 700), (64, 5000)])
def test_srht_chunks_do_not_change_bits(s, m, monkeypatch):
    # The Hadamard kernel's inner stages run chunk by chunk of outer indices, in cache: every
    # entry's sums are the same, so the bits are (column blocks may change BLAS's rounding:
    # one column is a GEMV).
    S = ops.SRHT(s, m, seed=5)
    rng = np.random.default_rng(1)
    A = rng.standard_normal((m, 13))
    inputs = [A, np.asfortranarray(A), A.astype(np.float32),
              sp.random(m, 13, density=0.1, random_state=2, format="csc")]
    refs = [S @ X for X in inputs]
    dense = _reference_operator(S)
    np.testing.assert_allclose(refs[0], dense @ A, rtol=1e-12, atol=1e-12)
    monkeypatch.setattr(srht_kernel, "SRHT_CHUNK_ENTRIES", 1)  # one outer index per chunk
    for X, ref in zip(inputs, refs, strict=True):
        np.testing.assert_array_equal(ops.SRHT(s, m, seed=5) @ X, ref)
