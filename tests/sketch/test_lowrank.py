"""Randomized low-rank approximation against the Halko–Martinsson–Tropp and Musco–Musco bounds."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg as sla

from sketch import (
    adaptive_qb,
    adaptive_svd,
    block_krylov_svd,
    hermitian_extreme_eigenvalues,
    nystrom,
    randomized_eigh,
    randomized_svd,
    range_finder,
    residual_norm,
    spectral_norm,
)
from sketch.errors import (
    ConvergenceWarning,
    NotHermitianError,
    NotPositiveSemidefiniteError,
    ToleranceError,
)


def with_spectrum(m: int, n: int, sig: np.ndarray, seed: int = 0, dtype=np.float64) -> np.ndarray:
    """U diag(sig) Vᵀ with Haar-ish U, V: the singular values are known exactly."""
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((m, len(sig))))
    V, _ = np.linalg.qr(rng.standard_normal((n, len(sig))))
    return ((U * sig) @ V.T).astype(dtype)


M, N = 400, 300
SIG = 1.0 / np.arange(1, N + 1)  # slow (harmonic) decay: the hard case for q = 0
A = with_spectrum(M, N, SIG)


def hmt_bound(k: int, p: int, sig: np.ndarray) -> float:
    """HMT (2011) Cor. 10.9 with t = e, u = √(2p): failure probability ≤ 6e^{-p}."""
    tail = math.sqrt(float(np.sum(sig[k:] ** 2)))
    return (1 + 17 * math.sqrt(1 + k / p)) * sig[k] + 8 * math.sqrt(k + p) / (p + 1) * tail


@pytest.mark.parametrize("seed", range(4))
def test_randomized_svd_meets_hmt_bound_without_power_iterations(seed):
    k, p = 10, 10
    U, s, Vh = randomized_svd(A, k, oversample=p, power_iters=0, seed=seed)
    err = np.linalg.norm(A - U * s @ Vh, 2)
    # Truncating QB to rank k adds at most σ_{k+1} (HMT Thm 9.3 / Gu 2015).
    assert err <= SIG[k] + hmt_bound(k, p, SIG)
    assert err >= SIG[k] * (1 - 1e-12)  # never better than optimal (Eckart–Young)


def test_power_iterations_drive_error_to_optimal():
    k, p = 10, 10
    errs = []
    for q in range(4):
        U, s, Vh = randomized_svd(A, k, oversample=p, power_iters=q, seed=7)
        errs.append(np.linalg.norm(A - U * s @ Vh, 2) / SIG[k])
    # HMT Cor. 10.10: the range error is ≤ C^{1/(2q+1)} σ_{k+1} (C the q = 0 constant).
    C = hmt_bound(k, p, SIG) / SIG[k]
    for q, e in enumerate(errs):
        assert e <= 1 + C ** (1 / (2 * q + 1))
    assert errs[2] < 1.01 and errs[3] < 1.001
    assert errs[3] <= errs[1] <= errs[0]


def test_singular_values_accuracy_and_orthonormality():
    res = randomized_svd(A, 8, power_iters=3, seed=0)
    assert res.rank == 8 and res.passes == 2 * 3 + 2
    # σ_j ≥ σ̂_j ≥ σ_j − ‖A − QQᵀA‖ (interlacing); with q = 3 the gap closes.
    assert np.all(res.s <= SIG[:8] * (1 + 1e-12))
    np.testing.assert_allclose(res.s, SIG[:8], rtol=1e-3)
    np.testing.assert_allclose(res.U.T @ res.U, np.eye(8), atol=1e-12)
    np.testing.assert_allclose(res.Vh @ res.Vh.T, np.eye(8), atol=1e-12)


def test_estimated_error_bounds_and_tracks_true_error():
    for q in (0, 2):
        res = randomized_svd(A, 10, power_iters=q, probes=5, seed=3)
        U, s, Vh = res
        R = A - U * s @ Vh
        spec, fro = np.linalg.norm(R, 2), np.linalg.norm(R)
        # HMT §4.3: an upper bound w.p. ≥ 1 − 10⁻⁵; never more than 10√(2/π)·max‖Rω‖.
        assert spec <= res.error_estimate <= 10 * math.sqrt(2 / math.pi) * 3 * fro
        # E‖Rω‖² = ‖R‖_F²: with 5 probes and a spread-out residual the estimate is within 50 %.
        assert 0.5 < res.frobenius_estimate / fro < 1.5
        # The sharp estimate: block power iteration on the residual operator.
        sharp = residual_norm(A, U, s, Vh, iters=30, seed=0)
        assert spec * (1 - 1e-3) <= sharp <= spec * (1 + 1e-12)


def test_spectral_norm_estimate():
    assert spectral_norm(A, seed=0) == pytest.approx(SIG[0], rel=1e-8)
    S = scipy.sparse.random(300, 200, density=0.05, random_state=0, format="csr")
    est = spectral_norm(S, iters=40, seed=1)
    assert est == pytest.approx(np.linalg.norm(S.toarray(), 2), rel=1e-6)


def test_block_krylov_meets_musco_musco_guarantee():
    k, eps = 10, 0.05
    for q in (2, 3):
        res = block_krylov_svd(A, k, krylov_iters=q, seed=2)
        U, s, Vh = res
        # (1+ε) spectral norm error and per-vector |σ̂ᵢ² − σᵢ²| ≤ ε σ_{k+1}² (Musco–Musco 2015).
        assert np.linalg.norm(A - U * s @ Vh, 2) <= (1 + eps) * SIG[k]
        assert np.all(np.abs(s**2 - SIG[:k] ** 2) <= eps * SIG[k] ** 2)
        assert res.passes == 2 * q + 2


def test_range_finder_exact_on_low_rank_and_bounded_otherwise():
    B = with_spectrum(200, 150, np.linspace(2, 1, 12), seed=5)
    Q = range_finder(B, 12, power_iters=0, seed=0)
    np.testing.assert_allclose(Q @ (Q.T @ B), B, atol=1e-12)
    Q = range_finder(A, 20, power_iters=1, seed=0)
    err = np.linalg.norm(A - Q @ (Q.T @ A), 2)
    assert err <= (hmt_bound(10, 10, SIG) / SIG[10]) ** (1 / 3) * SIG[10]


@pytest.mark.parametrize("kind", ["sparse", "operator"])
def test_sparse_and_linear_operator_inputs_match_dense(kind):
    B = scipy.sparse.csr_matrix(A) if kind == "sparse" else sla.aslinearoperator(A)
    same = {"mixed_precision": False}  # dense A would otherwise pass in float32
    for fn, kw in ((randomized_svd, {"method": "krylov", **same}), (block_krylov_svd, same),
                   (randomized_svd, {"power_iters": 2})):
        if kind == "sparse" and "power_iters" not in kw:
            # sparse A grows its Krylov basis on the short side (test_lowrank_sparse.py); a
            # wide one runs the same computation on A^H: the transposed factors
            r1, r2 = fn(B, 6, seed=11, **kw), fn(B.T.tocsr(), 6, seed=11, **kw)
            np.testing.assert_allclose(r2.s, r1.s, rtol=1e-10)
            np.testing.assert_allclose(r2.U * r2.s @ r2.Vh, (r1.U * r1.s @ r1.Vh).T, atol=1e-10)
            assert (r2.passes, r2.pass_dtype) == (r1.passes, r1.pass_dtype)
        else:
            r1, r2 = fn(A, 6, seed=11, **kw), fn(B, 6, seed=11, **kw)
            np.testing.assert_allclose(r2.s, r1.s, rtol=1e-10)
            np.testing.assert_allclose(r2.U * r2.s @ r2.Vh, r1.U * r1.s @ r1.Vh, atol=1e-10)
        assert r2.error_estimate == pytest.approx(r1.error_estimate, rel=1e-8)
    sharp = residual_norm(B, r1.U, r1.s, r1.Vh, seed=0)
    assert sharp == pytest.approx(np.linalg.norm(A - r1.U * r1.s @ r1.Vh, 2), rel=1e-3)


def test_dtypes_kept_and_complex_input():
    r = randomized_svd(A.astype(np.float32), 5, seed=0)
    assert r.U.dtype == np.float32 and r.s.dtype == np.float32 and r.Vh.dtype == np.float32
    np.testing.assert_allclose(r.s, SIG[:5], rtol=1e-3)
    rng = np.random.default_rng(0)
    Z = (rng.standard_normal((120, 6)) + 1j * rng.standard_normal((120, 6))) @ (
        rng.standard_normal((6, 90)) + 1j * rng.standard_normal((6, 90)))
    U, s, Vh = randomized_svd(Z, 6, seed=0)
    assert U.dtype == np.complex128 and s.dtype == np.float64
    np.testing.assert_allclose(U * s @ Vh, Z, atol=1e-10)
    np.testing.assert_allclose(U.conj().T @ U, np.eye(6), atol=1e-12)


def test_reproducible_with_seed():
    r1, r2 = randomized_svd(A, 5, seed=42), randomized_svd(A, 5, seed=42)
    np.testing.assert_array_equal(r1.U, r2.U)
    r3 = randomized_svd(A, 5, seed=43)
    assert not np.array_equal(r1.U, r3.U)


# --------------------------------------------------------------------------- Hermitian
def test_randomized_eigh_indefinite():
    rng = np.random.default_rng(1)
    Qm, _ = np.linalg.qr(rng.standard_normal((200, 200)))
    w = np.concatenate([[5.0, -4.0, 3.0, -2.5], 0.01 * rng.standard_normal(196)])
    H = (Qm * w) @ Qm.T
    res = randomized_eigh(H, 4, seed=0)
    np.testing.assert_allclose(res.w, [5.0, -4.0, 3.0, -2.5], atol=1e-3)
    err = np.linalg.norm(H - res.V * res.w @ res.V.T, 2)
    assert err <= 1.05 * np.sort(np.abs(w))[-5] and err <= res.error_estimate
    with pytest.raises(NotHermitianError):
        randomized_eigh(H + np.triu(np.ones((200, 200)), 1), 4, seed=0)


def test_nystrom_on_psd_matches_range_finder_bound():
    sig = 0.7 ** np.arange(150)
    rng = np.random.default_rng(2)
    Qm, _ = np.linalg.qr(rng.standard_normal((150, 150)))
    P = (Qm * sig) @ Qm.T
    k = 10
    res = nystrom(P, k, oversample=10, seed=0)
    assert np.all(res.w >= 0) and np.all(np.diff(res.w) <= 0)
    err = np.linalg.norm(P - res.V * res.w @ res.V.T, 2)
    # Nyström error ≤ range-finder error with the same test matrix (Gittens–Mahoney 2016),
    # bounded by HMT; the fast decay makes it near optimal.
    assert err <= sig[k] + hmt_bound(k, 10, sig)
    assert err <= 2 * sig[k]
    assert err <= res.error_estimate
    # Exact on a low-rank PSD matrix, also through a LinearOperator.
    X = rng.standard_normal((150, 6))
    G = X @ X.T
    for B in (G, sla.aslinearoperator(G)):
        lam, V = nystrom(B, 6, seed=1)
        np.testing.assert_allclose(V * lam @ V.T, G, atol=1e-8)


def test_nystrom_rejects_non_psd_and_non_hermitian():
    H = np.diag(np.concatenate([np.linspace(1, 2, 20), [-1.0] * 20]))
    with pytest.raises(NotPositiveSemidefiniteError, match="not positive semidefinite"):
        nystrom(H, 5, seed=0)
    assert issubclass(NotPositiveSemidefiniteError, ValueError)
    with pytest.raises(NotHermitianError):
        nystrom(np.triu(np.ones((30, 30))), 5, seed=0)
    # slightly indefinite: passes the psd_rtol test on Ω^H A Ω, then fails the Cholesky factor
    with pytest.raises(NotPositiveSemidefiniteError, match="no Cholesky factor"):
        nystrom(np.diag([1.0, -1e-10, 0.5, 0.2, 0.1, 0.05]), 2, seed=0)


def test_iteration_counts_and_factors_are_validated_by_name():
    A = np.random.default_rng(0).standard_normal((30, 20))
    U, s, Vh = np.linalg.svd(A, full_matrices=False)
    for call in (lambda: range_finder(A, 3, power_iters=101, seed=0),
                 lambda: randomized_svd(A, 3, power_iters=10**6, seed=0),
                 lambda: adaptive_qb(A, 0.1, power_iters=10**6, seed=0)):
        with pytest.raises(ValueError, match="power_iters must be at most 100"):
            call()
    for call in (lambda: spectral_norm(A, iters=10**6), lambda: residual_norm(A, U, s, Vh,
                                                                             iters=1001)):
        with pytest.raises(ValueError, match="iters must be at most 1000"):
            call()
    with pytest.raises(TypeError, match="U"):
        residual_norm(A, None, s, Vh)
    with pytest.raises(ValueError, match="s holds NaN"):
        residual_norm(A, U, np.full_like(s, np.nan), Vh)
    with pytest.raises(ValueError, match="Vh must be a 2-D"):
        residual_norm(A, U, s, s)
    with pytest.raises(ValueError, match="do not match"):
        residual_norm(A, U[:, :3], s[:3], Vh[:4])
    for f in (lambda t: adaptive_qb(A, t), lambda t: hermitian_extreme_eigenvalues(A.T @ A, tol=t)):
        for bad in (True, 1j, "0.1", np.ones(2)):
            with pytest.raises(TypeError, match="tol must be a real number"):
                f(bad)
        with pytest.raises(ValueError, match="tol must be a positive number"):
            f(0.0)


def test_extreme_eigenvalues():
    w = np.linspace(0.5, 50.0, 120)
    rng = np.random.default_rng(3)
    Qm, _ = np.linalg.qr(rng.standard_normal((120, 120)))
    H = (Qm * w) @ Qm.T
    ev = hermitian_extreme_eigenvalues(H, seed=0)
    assert ev.converged
    assert ev.lambda_min >= 0.5 - 1e-12 and ev.lambda_max <= 50 + 1e-9
    assert ev.lambda_min == pytest.approx(0.5, rel=1e-5)
    assert ev.lambda_max == pytest.approx(50, rel=1e-6)
    assert ev.condition_estimate == pytest.approx(100, rel=1e-4)
    ind = hermitian_extreme_eigenvalues(np.diag([-3.0, -1.0, 0.2, 1.0, 4.0]), seed=0)
    assert ind.abs_min == pytest.approx(0.2, rel=1e-6)


# --------------------------------------------------------------------------- adaptive
def test_adaptive_qb_stops_at_tolerance_with_exact_indicator():
    normA = np.linalg.norm(A)
    # tail[r] = optimal relative Frobenius error at rank r (Eckart–Young).
    tail = np.sqrt(np.cumsum(SIG[::-1] ** 2)[::-1]) / normA
    for tol in (0.1, 0.03):
        res = adaptive_qb(A, tol, block=8, seed=0)
        true = np.linalg.norm(A - res.Q @ res.B)
        assert res.converged and res.error_estimate <= tol * normA
        assert true == pytest.approx(res.error_estimate, rel=1e-6)  # ‖A‖²−‖B‖² is exact
        # Stops within one block of the first block boundary that meets tol, and never
        # below the optimal (Eckart–Young) rank for tol.
        r_opt = int(np.argmax(tail <= tol))
        assert r_opt <= res.rank
        assert res.history[-2] > tol * normA  # it did not overshoot by a block
        assert np.all(np.diff(res.history) <= 1e-12 * normA)
        np.testing.assert_allclose(res.Q.T @ res.Q, np.eye(res.rank), atol=1e-10)


def test_adaptive_qb_on_linear_operator_estimates_error():
    op = sla.aslinearoperator(A)
    res = adaptive_qb(op, 0.1, block=10, seed=1)
    assert res.converged and res.norm_estimate == pytest.approx(np.linalg.norm(A), rel=0.3)
    true = np.linalg.norm(A - res.Q @ res.B) / np.linalg.norm(A)
    # The sampled estimator (10 Gaussian vectors) is within ~√(2/10) relative of the truth.
    assert true <= 0.1 * 1.5


def test_adaptive_qb_max_rank_warns_and_tolerance_floor():
    with pytest.warns(ConvergenceWarning, match="max_rank"):
        res = adaptive_qb(A, 1e-3, block=8, max_rank=24, seed=0)
    assert not res.converged and res.rank == 24
    with pytest.raises(ToleranceError):
        adaptive_qb(A.astype(np.float32), 1e-5, seed=0)
    with pytest.raises(ValueError, match="positive"):
        adaptive_qb(A, -0.1)


def test_adaptive_svd():
    B = np.diag(2.0 ** -np.arange(80))
    res = adaptive_svd(B, 1e-4, block=5, seed=0)
    assert res.converged
    true = np.linalg.norm(B - res.U * res.s @ res.Vh)
    assert true <= 1e-4 * np.linalg.norm(B) and true == pytest.approx(res.error_estimate, rel=1e-4)
    np.testing.assert_allclose(res.s[:10], 2.0 ** -np.arange(10), rtol=1e-8)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("fn", [randomized_svd, block_krylov_svd, range_finder])
def test_rank_must_be_below_min_dimension(fn):
    with pytest.raises(ValueError, match="smaller than min"):
        fn(A, N, seed=0)
    with pytest.raises(ValueError, match="smaller than min"):
        fn(A, N + 5, seed=0)
    with pytest.raises(ValueError):
        fn(A, 0, seed=0)


def test_rank_check_hermitian():
    P = np.eye(20)
    for fn in (randomized_eigh, nystrom):
        with pytest.raises(ValueError, match="smaller than min"):
            fn(P, 20, seed=0)


def test_nonfinite_input_rejected():
    B = A.copy()
    B[0, 0] = np.nan
    with pytest.raises(ValueError):
        randomized_svd(B, 5, seed=0)


def test_no_probes_gives_nan_estimate():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = randomized_svd(A, 5, probes=0, seed=0)
    assert math.isnan(res.error_estimate)


# --------------------------------------------------------------------------- GPU
@pytest.mark.gpu
def test_cupy_matches_numpy(cupy):
    Ad = cupy.asarray(A)
    for fn in (randomized_svd, block_krylov_svd):
        rg, rc = fn(Ad, 6, seed=5), fn(A, 6, seed=5)
        assert isinstance(rg.U, cupy.ndarray)
        np.testing.assert_allclose(cupy.asnumpy(rg.s), rc.s, rtol=1e-8)
    qb = adaptive_qb(Ad, 0.1, block=8, seed=0)
    assert isinstance(qb.Q, cupy.ndarray) and qb.converged
    P = cupy.asarray(A.T @ A)
    lam, V = nystrom(P, 5, seed=0)
    assert isinstance(V, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(lam), SIG[:5] ** 2, rtol=1e-3)
    assert residual_norm(Ad, rg.U, rg.s, rg.Vh, seed=0) > 0


def test_lu_and_qr_normalizers_agree():
    r_lu = randomized_svd(A, 10, power_iters=3, normalizer="lu", seed=9)
    r_qr = randomized_svd(A, 10, power_iters=3, normalizer="qr", seed=9)
    # Same Krylov-like subspace in exact arithmetic: same approximation up to round-off.
    np.testing.assert_allclose(r_lu.s, r_qr.s, rtol=1e-10)
    np.testing.assert_allclose(r_lu.U * r_lu.s @ r_lu.Vh, r_qr.U * r_qr.s @ r_qr.Vh, atol=1e-10)
    Q = range_finder(A, 12, power_iters=2, normalizer="qr", seed=0)
    np.testing.assert_allclose(Q.T @ Q, np.eye(12), atol=1e-12)
    with pytest.raises(ValueError, match="normalizer"):
        randomized_svd(A, 5, normalizer="cholesky")


# --------------------------------------------------------------------------- accuracy first
def _spectra(n: int, k: int) -> dict[str, np.ndarray]:
    i = np.arange(1, n + 1)
    return {
        "fast": 10.0 ** (-i / 10),  # σᵢ = 10^{-i/10}
        "slow": i**-0.5,  # σᵢ = i^{-1/2}: σ_k/σ_{k+1} ≈ 1 + 1/(2k)
        "gap-flat": np.where(i <= k, np.exp(-i / 10), 0.3 * np.exp(-k / 10)) * (1 + 1e-3 / i),
    }


@pytest.mark.parametrize("spectrum", ["fast", "slow", "gap-flat"])
@pytest.mark.parametrize("method", ["krylov", "subspace"])
def test_accuracy_first_reaches_one_plus_eps_of_optimal(spectrum, method):
    from sklearn.utils.extmath import randomized_svd as sk_rsvd

    m, n, k, eps = 500, 300, 20, 1e-2
    sig = _spectra(n, k)[spectrum]
    B = with_spectrum(m, n, sig, seed=4)
    res = randomized_svd(B, k, accuracy=eps, method=method, seed=0)
    ratio = np.linalg.norm(B - res.U * res.s @ res.Vh, 2) / sig[k]
    # The request ‖A − Â‖₂ ≤ (1+ε)σ_{k+1}; the stopping rule's estimate met ε.
    assert res.converged and res.accuracy_estimate <= eps
    assert 1 - 1e-12 <= ratio <= 1 + eps
    # never less accurate than scikit-learn's default (16 passes here), to within ε/10
    U, s, Vh = sk_rsvd(B, k, random_state=0)
    assert ratio <= np.linalg.norm(B - U * s @ Vh, 2) / sig[k] + eps / 10
    # per-value accuracy of Musco–Musco: |σ̃ᵢ² − σᵢ²| ≤ ε σ_{k+1}²
    assert np.all(np.abs(res.s**2 - sig[:k] ** 2) <= eps * sig[k] ** 2)
    assert res.passes <= 16
    if spectrum == "fast" and method == "krylov":  # proved by the probes after two blocks
        assert res.passes == 4  # (k = 20: a top-up would need more than half a block)
    # float32 passes only where float32 resolves ε: σ₁/σ₂₁ = 4.6 (slow) yes, 100 (fast) no
    assert res.pass_dtype == {"slow": "float32", "fast": "float64"}.get(spectrum, res.pass_dtype)
    assert res.U.dtype == res.s.dtype == np.float64


def test_posterior_certificate_bounds_per_value_and_spectral_error():
    """ε̄ of posterior_accuracy bounds (σᵢ² − σ̃ᵢ²)/σₖ₊₁² and ‖A − Q[QᵀA]_k‖₂²/σₖ₊₁² − 1."""
    from sketch.lowrank.basis import first_pass, orth
    from sketch.lowrank.certificates import posterior_accuracy, ritz_squares
    from sketch.lowrank.operator import _Operator
    from sketch.rng import as_key

    m, n, k = 300, 200, 10
    sig = 10.0 ** (-np.arange(1, n + 1) / 8)
    B = with_spectrum(m, n, sig, seed=2)
    certified = 0
    for seed in range(20):
        for l, q in ((k + 5, 0), (k + 10, 1), (k + 20, 1)):
            op = _Operator(B)
            _, Y, P = first_pass(op, l, 5, as_key(seed), "gaussian")
            Q = orth(Y, np)
            for _ in range(q):
                Q = orth(B @ (B.T @ Q), np)
            now = ritz_squares((B.T @ Q).T @ (B.T @ Q), k + 1)
            bound = posterior_accuracy(P, Q, now, k, np)
            U, s, Vh = np.linalg.svd(Q.T @ B, full_matrices=False)
            err = np.linalg.norm(B - (Q @ U[:, :k]) * s[:k] @ Vh[:k], 2)
            assert err**2 <= (1 + bound) * sig[k] ** 2 * (1 + 1e-12)
            assert np.all(sig[: k + 1] ** 2 - now <= bound * sig[k] ** 2 + 1e-14)
            certified += bound <= 1e-2
    assert certified >= 15  # tight enough to stop on, once σ_(l+1) ≪ σ_(k+1)
    assert posterior_accuracy(None, Q, now, k, np) == np.inf


def test_top_up_widens_only_geometric_tails_and_the_probes_still_decide():
    """A fast tail gets a narrow extra pass and is proved at once on every seed; slow
    and flat tails get none (their Krylov steps are what converges)."""
    from sketch.lowrank.krylov import top_up_width

    m, n, k = 400, 200, 50
    spectra = _spectra(n, k)
    for name in ("slow", "gap-flat"):
        assert top_up_width(spectra[name][: k + 10] ** 2, k, 1e-2, n) == 0
    w = (10.0 ** (-np.arange(k + 10) / 10)) ** 2
    assert 0 < top_up_width(w, k, 1e-2, n) <= 30  # at most half a block
    assert top_up_width(w, k, 1e-2, k + 12) == 1  # at most min(m, n) − 1 columns
    assert top_up_width((0.85 ** np.arange(k + 10)) ** 2, k, 1e-2, n) == 0  # > half a block
    B = with_spectrum(m, n, spectra["fast"], seed=3)
    for seed in range(4):
        res = randomized_svd(B, k, seed=seed)
        err = np.linalg.norm(B - res.U * res.s @ res.Vh, 2) / spectra["fast"][k]
        assert res.converged and res.passes == 3 and err <= 1.01


def test_subspace_iteration_extrapolates_its_rises():
    from sketch.lowrank.certificates import geometric_tail

    assert geometric_tail(1e-3, None) == np.inf  # one rise says nothing about the rate
    assert geometric_tail(5e-3, 1e-2) == pytest.approx(5e-3)  # ρ = 1/2: the tail ≤ the rise
    assert geometric_tail(9e-3, 1e-2) == pytest.approx(8.1e-2)  # ρ = 0.9: 9 more such steps
    assert geometric_tail(2e-2, 1e-2) == np.inf
    assert geometric_tail(0.0, 0.0) == 0.0


@pytest.mark.parametrize("spectrum", ["fast", "slow", "gap-flat"])
def test_accuracy_first_eigh_and_nystrom(spectrum):
    n, k, eps = 300, 20, 1e-2
    sig = _spectra(n, k)[spectrum]
    V = np.linalg.qr(np.random.default_rng(5).standard_normal((n, n)))[0]
    S = (V * sig) @ V.T
    signs = np.where(np.arange(n) % 3 == 1, -1.0, 1.0)  # indefinite, same |λ|
    for fn, M in ((randomized_eigh, (V * (sig * signs)) @ V.T), (nystrom, S)):
        res = fn(M, k, accuracy=eps, seed=1)
        ratio = np.linalg.norm(M - res.V * res.w @ res.V.T, 2) / sig[k]
        assert res.converged and res.accuracy_estimate <= eps
        assert ratio <= 1 + eps, fn.__name__
    one = nystrom(S, k, accuracy=None, seed=1)
    assert one.passes == 1


def test_accuracy_first_cap_warns_and_bad_requests():
    B = with_spectrum(300, 200, np.arange(1, 201) ** -0.5)
    with pytest.warns(ConvergenceWarning, match="max_passes=4"):
        res = randomized_svd(B, 20, accuracy=1e-6, max_passes=4, seed=0)
    assert not res.converged and res.passes == 4 and res.accuracy_estimate > 1e-6
    for bad in (0.0, 1.0, -1e-2, float("nan")):
        with pytest.raises(ValueError, match="accuracy"):
            randomized_svd(B, 5, accuracy=bad)
    with pytest.raises(ToleranceError, match="float32"):
        randomized_svd(B.astype(np.float32), 5, accuracy=1e-6)
    with pytest.raises(ValueError, match="method"):
        randomized_svd(B, 5, method="lanczos")


def test_krylov_exhausts_on_low_rank_and_falls_back_on_rank_deficient_blocks():
    B = with_spectrum(200, 150, np.linspace(2, 1, 8), seed=5)  # rank 8 < block 17
    for fn in (block_krylov_svd, randomized_svd):
        res = fn(B, 7, mixed_precision=False, seed=0)
        assert res.converged
        np.testing.assert_allclose(res.s, np.linspace(2, 1, 8)[:7], rtol=1e-10)
        np.testing.assert_allclose(res.U.T @ res.U, np.eye(7), atol=1e-12)
    res = randomized_eigh(B @ B.T, 7, seed=0)
    np.testing.assert_allclose(res.w, np.linspace(2, 1, 8)[:7] ** 2, rtol=1e-10)


def test_torch_tensors_match_numpy_for_the_same_seed():
    """Tensor in, tensor out, and the same factorisation as NumPy's (same keyed test matrices)."""
    torch = pytest.importorskip("torch")
    B = with_spectrum(200, 120, np.arange(1, 121) ** -1.0, seed=3)
    S = B.T @ B
    Bt, St = torch.from_numpy(B), torch.from_numpy(S)
    runs = [
        (lambda A: randomized_svd(A, 8, seed=1), B, Bt),
        (lambda A: randomized_svd(A, 8, method="subspace", seed=1), B, Bt),
        (lambda A: randomized_svd(A, 8, power_iters=2, seed=1), B, Bt),
        (lambda A: block_krylov_svd(A, 8, mixed_precision=False, seed=1), B, Bt),
        (lambda A: randomized_eigh(A, 8, seed=1), S, St),
        (lambda A: nystrom(A, 8, seed=1), S, St),
    ]
    for fn, A, At in runs:
        ref, got = fn(A), fn(At)
        assert got.passes == ref.passes
        assert all(isinstance(x, torch.Tensor) and x.dtype == torch.float64 for x in got)
        vals, X = (("s", "U") if hasattr(ref, "s") else ("w", "V"))
        single = getattr(ref, "pass_dtype", "") == "float32"  # two BLAS' float32 GEMMs
        assert getattr(got, "pass_dtype", "") == getattr(ref, "pass_dtype", "")
        # float32 passes: each side's values carry ~10 u₃₂·σ₁ of its own BLAS' rounding
        np.testing.assert_allclose(getattr(got, vals).numpy(), getattr(ref, vals),
                                   rtol=30 * np.finfo(np.float32).eps if single else 1e-9)
        Xr, Xg = getattr(ref, X), getattr(got, X).numpy()  # the same space, up to signs
        np.testing.assert_allclose(Xg @ Xg.T, Xr @ Xr.T, atol=1e-5 if single else 1e-7)


def test_torch_rank_adaptive_and_norms_match_numpy():
    """adaptive_qb/svd, the power-iteration norms and Lanczos bounds take tensors: same keyed
    draws as NumPy, so the same rank and values to rounding."""
    torch = pytest.importorskip("torch")
    B = with_spectrum(150, 60, 0.7 ** np.arange(60), seed=4)
    Bt = torch.from_numpy(B)
    ref, got = adaptive_svd(B, 1e-3, block=4, seed=2), adaptive_svd(Bt, 1e-3, block=4, seed=2)
    assert isinstance(got.U, torch.Tensor) and got.s.shape == ref.s.shape
    np.testing.assert_allclose(got.s.numpy(), ref.s, rtol=1e-10)
    U, s, Vh = np.linalg.svd(B, full_matrices=False)
    factors = (U[:, :3], s[:3], Vh[:3])
    assert math.isclose(residual_norm(Bt, *map(torch.from_numpy, factors), seed=1),
                        residual_norm(B, *factors, seed=1), rel_tol=1e-10)
    assert math.isclose(spectral_norm(Bt, seed=1), spectral_norm(B, seed=1), rel_tol=1e-10)
    ev, ev_ref = (hermitian_extreme_eigenvalues(X.T @ X, seed=1) for X in (Bt, B))
    assert math.isclose(ev.lambda_max, ev_ref.lambda_max, rel_tol=1e-10)
    assert math.isclose(ev.lambda_min, ev_ref.lambda_min, rel_tol=1e-6)


def test_ritz_normalised_power_step_spans_AAtQ_and_is_well_conditioned():
    """Subspace iteration's next block A·C·V·Λ⁻¹ (C = AᵀQ, CᵀC = VΛVᵀ) spans A Aᵀ Q, with
    columns ≈ the Ritz directions: κ ≈ 1 where the unnormalised A Aᵀ Q has κ ≈ 10⁹."""
    from sketch.lowrank.basis import orth
    from sketch.lowrank.svd import _ritz_step

    m, n, k = 400, 300, 10
    B = with_spectrum(m, n, 10.0 ** (-np.arange(n) / 4), seed=1)
    for seed in range(3):
        Q = orth(B @ np.random.default_rng(seed).standard_normal((n, k + 10)), np)
        C = B.T @ Q
        now, S = _ritz_step(C, k, np)
        np.testing.assert_allclose(now, np.sort(np.linalg.eigvalsh(C.T @ C))[::-1][: k + 1],
                                   rtol=1e-12, atol=1e-15 * now[0])
        Z, raw = B @ (C @ S), B @ C
        assert np.linalg.cond(Z) < 3 and np.linalg.cond(raw) > 1e8
        P, R = orth(Z, np), np.linalg.qr(raw)[0]
        assert np.linalg.norm(P @ P.T - R @ R.T, 2) < 1e-8


def test_sparse_input_passes_in_float32_where_it_resolves_the_accuracy():
    """A sparse float64 A with σ₁/σₖ₊₁ = 4.6 runs its passes on a float32 copy and still
    meets ‖A − Â‖₂ ≤ (1+ε)σₖ₊₁; A itself is untouched and the factors are float64."""
    m, n, k, eps = 600, 400, 20, 1e-2
    sig = np.arange(1, n + 1) ** -0.5
    rng = np.random.default_rng(0)
    rows, cols = rng.permutation(m)[:n], rng.permutation(n)
    A = scipy.sparse.csr_matrix((sig, (rows, cols)), shape=(m, n))  # singular values: sig
    dense = A.toarray()
    for method in ("auto", "krylov"):
        res = randomized_svd(A, k, accuracy=eps, method=method, seed=0)
        assert res.pass_dtype == "float32" and res.converged
        assert res.U.dtype == res.s.dtype == res.Vh.dtype == np.float64 and A.dtype == np.float64
        ratio = np.linalg.norm(dense - res.U * res.s @ res.Vh, 2) / sig[k]
        assert 1 - 1e-9 <= ratio <= 1 + eps
    full = randomized_svd(A, k, accuracy=eps, mixed_precision=False, seed=0)
    assert full.pass_dtype == "float64"
    assert np.linalg.norm(dense - full.U * full.s @ full.Vh, 2) / sig[k] <= 1 + eps


def test_float32_passes_refused_where_their_rounding_breaks_the_per_value_error(monkeypatch):
    """σ₁/σₖ₊₁ = 450 (a gap, then a flat tail): float32 passes would keep the spectral error
    at σₖ₊₁ but put σ̃₁² off by about u₃₂σ₁² = 0.024σₖ₊₁² (0.09 measured), beyond the
    per-value error ``σᵢ² − σ̃ᵢ² ≤ ε·σₖ₊₁²`` the docstrings promise; so the rule
    (:func:`~sketch.lowrank.certificates.single_precision_allows`) keeps them in float64.
    Forcing float32 shows that the check can fail."""
    import sketch.lowrank.krylov as krylov

    m, n, k, eps = 600, 300, 20, 1e-2
    i = np.arange(n)
    sig = np.where(i < k, 450.0 ** (-i / k), 1 / 450)
    A = with_spectrum(m, n, sig, seed=0)

    def per_value(res):
        return float(np.max((sig[:k] ** 2 - res.s**2) / sig[k] ** 2))

    res = randomized_svd(A, k, accuracy=eps, seed=0)
    assert res.pass_dtype == "float64" and res.converged
    assert per_value(res) <= eps
    assert np.linalg.norm(A - res.U * res.s @ res.Vh, 2) / sig[k] <= 1 + eps
    monkeypatch.setattr(krylov, "single_precision_allows", lambda now, k, eps: True)
    forced = randomized_svd(A, k, accuracy=eps, seed=0)
    assert forced.pass_dtype == "float32" and per_value(forced) > 3 * eps


@pytest.mark.parametrize("power_iters", [0, 1, 2])
def test_adaptive_factorisations_count_their_passes(power_iters):
    """Each block reads A once for its sketch, 2q times for power steps and once for B
    (adaptive_svd reported 0)."""
    A = np.diag(2.0 ** -np.arange(60))
    qb = adaptive_qb(A, 1e-3, block=4, power_iters=power_iters, seed=0)
    assert qb.passes == qb.iterations * (2 + 2 * power_iters)
    res = adaptive_svd(A, 1e-3, block=4, power_iters=power_iters, seed=0)
    assert res.passes == qb.passes


@pytest.mark.parametrize("kappa", [1.0, 1e4, 1e7, 1e9, 1e13])
def test_orth_orthonormal_for_any_condition(kappa):
    """CholeskyQR2 where the first factor bounds κ(Y) low enough, shifted CholeskyQR3 (or
    Householder) otherwise: orthonormal to rounding and spanning range(Y) either way."""
    from sketch.lowrank.basis import orth

    rng = np.random.default_rng(0)
    U = np.linalg.qr(rng.standard_normal((3000, 20)))[0]
    V = np.linalg.qr(rng.standard_normal((20, 20)))[0]
    Y = (U * np.geomspace(1, 1 / kappa, 20)) @ V.T
    Q = orth(Y, np)
    assert np.linalg.norm(Q.T @ Q - np.eye(20)) <= 1e-13
    assert np.linalg.norm(Y - Q @ (Q.T @ Y)) <= 1e-13 * np.linalg.norm(Y)
