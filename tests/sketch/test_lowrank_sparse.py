"""Block Krylov on the short side of a tall sparse A (sketch.lowrank.short_side)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse

from sketch import block_krylov_svd, randomized_svd
from sketch.lowrank.basis import draw_test_matrix, orth
from sketch.lowrank.operator import _Operator
from sketch.rng import as_key


def tall_sparse(m: int, n: int, sig: np.ndarray, seed: int = 0, dtype=np.float64):
    """A sparse m × n matrix (one entry per row and column) with singular values ``sig``."""
    rng = np.random.default_rng(seed)
    rows, cols = rng.permutation(m)[:n], rng.permutation(n)
    return scipy.sparse.csr_matrix((sig.astype(dtype), (rows, cols)), shape=(m, n))


def test_short_side_krylov_is_block_lanczos_on_the_normal_matrix():
    """Fixed depth q: Â = [AZ]_k Z^T for Z an orthonormal basis of [Π, (AᵀA)Π, …, (AᵀA)^qΠ]
    (Π the keyed range test matrix), in 2q + 1 passes, within Musco–Musco's (1+ε)."""
    m, n, k, b, q, eps = 500, 300, 8, 18, 2, 0.05
    sig = 1.0 / np.arange(1, n + 1)
    S = tall_sparse(m, n, sig)
    D = S.toarray()
    Pi = orth(draw_test_matrix(n, b, _Operator(S), as_key(3), "gaussian", "range"), np)
    blocks = [Pi]
    for _ in range(q):
        blocks.append(D.T @ (D @ blocks[-1]))
    Z = np.linalg.qr(np.hstack(blocks))[0]
    U, s, Vh = np.linalg.svd(D @ Z, full_matrices=False)
    ref = (U[:, :k] * s[:k]) @ (Z @ Vh[:k].T).T
    res = block_krylov_svd(S, k, krylov_iters=q, block=b, seed=3)
    assert res.passes == 2 * q + 1
    np.testing.assert_allclose(res.U * res.s @ res.Vh, ref, atol=1e-9)
    np.testing.assert_allclose(res.U.T @ res.U, np.eye(k), atol=1e-13)
    np.testing.assert_allclose(res.Vh @ res.Vh.T, np.eye(k), atol=1e-13)
    assert np.linalg.norm(D - res.U * res.s @ res.Vh, 2) <= (1 + eps) * sig[k]
    assert np.all(sig[:k] ** 2 - res.s**2 <= eps * sig[k] ** 2)
    assert res.error_estimate >= np.linalg.norm(D - res.U * res.s @ res.Vh, 2)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_short_side_accuracy_first_meets_one_plus_eps(dtype):
    m, n, k, eps = 700, 300, 15, 1e-2
    sig = np.arange(1, n + 1) ** -0.5
    S = tall_sparse(m, n, sig, seed=1, dtype=dtype)
    if dtype == np.complex128:
        S = S @ scipy.sparse.diags(np.exp(1j * np.arange(n)))  # complex, same singular values
    for fn, kw in ((block_krylov_svd, {}), (randomized_svd, {"method": "krylov"})):
        res = fn(S, k, accuracy=eps, seed=0, **kw)
        assert res.converged and res.accuracy_estimate <= eps and res.passes % 2 == 1
        assert res.U.dtype == res.Vh.dtype == dtype
        ratio = np.linalg.norm(S.toarray() - res.U * res.s @ res.Vh, 2) / sig[k]
        assert 1 - 1e-9 <= ratio <= 1 + eps


def test_short_side_exhausts_on_low_rank():
    sig = np.linspace(2, 1, 8)
    S = tall_sparse(400, 150, np.concatenate([sig, np.zeros(142)]), seed=2)
    S.eliminate_zeros()  # rank 8 < block 17: the second block has nothing new
    for fn, kw in ((block_krylov_svd, {}), (randomized_svd, {"method": "krylov"})):
        res = fn(S, 7, mixed_precision=False, seed=0, **kw)
        assert res.converged and res.accuracy_estimate <= 1e-20 and res.passes == 3
        np.testing.assert_allclose(res.s, sig[:7], rtol=1e-10)
        np.testing.assert_allclose(res.U.T @ res.U, np.eye(7), atol=1e-12)


def test_short_side_steep_spectrum():
    """σᵢ = 10^(−i/2), k = 20: σₖ₊₁² is below the Gram matrix's rounding u·σ₁², so the
    rank-k factor comes from the SVD of AZ itself (from G's eigenvectors it was 89·σₖ₊₁)."""
    sig = 10.0 ** (-np.arange(1, 201) / 2)
    S = tall_sparse(4000, 200, sig, seed=0)
    res = block_krylov_svd(S, 20, seed=1)
    D = S.toarray()
    assert np.linalg.norm(D - (res.U * res.s) @ res.Vh, 2) <= 1.01 * sig[20]
    np.testing.assert_allclose(res.s, sig[:20], rtol=1e-6)


@pytest.mark.parametrize("shape", [(400, 120), (120, 400), (200, 200)])
def test_steep_spectrum_certificate_holds_on_small_sparse(shape):
    """σᵢ = 10^(−i/2), k = 20 (σₖ₊₁ = 1e-10·σ₁), CSR and CSC, the defaults: a run that says
    converged is within 1.01·σₖ₊₁. Whitening the block after the Aᴴ pass (by the inverse
    Cholesky factor of an ill-conditioned AZ) once gave 9-18·σₖ₊₁ here, reported converged."""
    m, n = shape
    sig = 10.0 ** (-np.arange(min(m, n)) / 2)
    rng = np.random.default_rng(0)
    U, _ = np.linalg.qr(rng.standard_normal((m, min(m, n))))
    V, _ = np.linalg.qr(rng.standard_normal((n, min(m, n))))
    D = (U * sig) @ V.T
    for S in (scipy.sparse.csr_matrix(D), scipy.sparse.csc_matrix(D)):
        for fn in (randomized_svd, block_krylov_svd):
            res = fn(S, 20, seed=1)
            assert res.converged
            assert np.linalg.norm(D - (res.U * res.s) @ res.Vh, 2) <= 1.01 * sig[20]


def _unsorted(S):
    """``S`` as a CSR matrix whose column indices run backwards in every row."""
    S = S.tocsr()
    S.sort_indices()
    order = np.concatenate([np.arange(a, b)[::-1] for a, b in zip(S.indptr[:-1], S.indptr[1:])])
    return scipy.sparse.csr_matrix((S.data[order], S.indices[order], S.indptr), shape=S.shape)


@pytest.mark.parametrize("layout", ["csr-unsorted", "csc", "wide-csr"])
def test_float32_passes_share_the_indices_and_leave_a_alone(layout):
    """The float32 copy of a CSR/CSC A casts the values only (the index arrays shared, A
    untouched: SciPy's astype sorted A's indices in place) and gives the dense answer."""
    m, n, k, eps = 900, 250, 10, 1e-2
    rng = np.random.default_rng(4)
    S = tall_sparse(m, n, np.arange(1, n + 1) ** -0.5, seed=3)
    S = _unsorted(S + scipy.sparse.random(m, n, density=0.02, random_state=rng) * 0.05)
    assert not S.has_sorted_indices
    S = {"csr-unsorted": S, "csc": S.tocsc(), "wide-csr": S.T.tocsr()}[layout]
    indices, data = S.indices.copy(), S.data.copy()
    op = _Operator(S)
    assert op.lower_precision() and op.work.dtype == np.float32
    assert np.shares_memory(op.work.indices, S.indices)
    np.testing.assert_array_equal(op.work @ np.eye(S.shape[1], 3, dtype=np.float32),
                                  (S @ np.eye(S.shape[1], 3)).astype(np.float32))
    D = S.toarray()
    sig = np.linalg.svd(D, compute_uv=False)
    res = randomized_svd(S, k, accuracy=eps, seed=0)
    assert res.pass_dtype == "float32" and res.converged and res.U.dtype == np.float64
    ratio = np.linalg.norm(D - res.U * res.s @ res.Vh, 2) / sig[k]
    assert 1 - 1e-9 <= ratio <= 1 + eps
    np.testing.assert_allclose(res.U.T @ res.U, np.eye(k), atol=1e-13)
    np.testing.assert_array_equal(S.indices, indices)
    np.testing.assert_array_equal(S.data, data)
