"""Property-based checks that what a result CLAIMS is true, on valid but hostile input.

The bad-input suite (``test_hostile*.py``) checks that invalid input raises one of qla's
errors; this file checks the other half of the contract: on VALID input a routine either
answers correctly or raises a qla error, and never reports a false claim. The problems
come from families that break naive implementations — steep spectra (geometric decay to
1e-14), flat tails, exact rank deficiency (rank < k, rank 0), clustered singular values,
complex and single precision, tiny, wide and tall shapes, double precision scaled by
2^±500 (≈ 1e±150), sparse with empty rows — built
as ``U diag(σ) V^H`` so the truth (σ, the exact least-squares solution) is known.

Claims checked (ε = the ``accuracy`` asked for, u = unit roundoff of A's precision,
``ROUND = 30·√(m+n)·u·σ₁``, the rounding allowance of a backward-stable factorisation,
with u of ``pass_dtype`` where float64 A was multiplied in float32 because ε allowed it):

* low rank, when ``converged``: ``‖A − UΣV^H‖₂ ≤ (1+ε)σₖ₊₁ + ROUND``; U, V orthonormal to
  ``30·√(m+n)·u``; interlacing and ``σ̃ᵢ² ≥ σᵢ² − ε·σₖ₊₁² − ROUND·σ₁``
  (Musco and Musco 2015's per-value error, implied by the stopping rule), the upper one
  in squares too, ``σ̃ᵢ² ≤ σᵢ² + ROUND·σ₁`` (Gram matrices round there);
  ``error_estimate ≥ ‖A − UΣV^H‖₂ − ROUND`` (HMT 2011's posterior bound, failure
  probability ≤ 10^{-probes} — with fixed seeds a failure is a counterexample, not luck).
* least squares: the true normwise backward error of x (Waldén, Karlson and Sun 1995) is
  within a small factor of LAPACK's on the same problem, and ``forward_error_bound``
  (where given) bounds the true forward error against the known solution.

``QLA_HYPOTHESIS=long`` runs the campaign profile (see conftest.py).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse
from hypothesis import example, given, settings
from hypothesis import strategies as st

import sketch
from sketch.lowrank import block_krylov_svd, nystrom, randomized_eigh, randomized_svd

EPS = 1e-2  # the accuracy every low-rank call asks for (the library's default)
# a third of the profile's examples per property keeps the file near 30 s in CI ("ci": 8);
# QLA_HYPOTHESIS=long gives each 333
FEW = settings(max_examples=max(4, settings().max_examples // 3))
FAMILIES = ("geom14", "fast", "half", "flat", "rankdef", "zero", "cluster", "slow")
DTYPES = (np.float64, np.float32, np.complex128, np.complex64)


def spectrum(family: str, r: int, k: int) -> np.ndarray:
    """r singular values, decreasing, of one hostile-but-legal family."""
    i = np.arange(r, dtype=float)
    return {
        "geom14": 10.0 ** (-14 * i / max(r - 1, 1)),  # steep: down to 1e-14
        "fast": 0.5**i,
        "half": 10.0 ** (-i / 2),  # the d38bd14 family
        "flat": np.where(i < k, 1.0, 1e-3),  # gap, then a flat tail
        "rankdef": np.where(i < max(k // 2, 1), 1.0, 0.0),  # rank < k
        "zero": np.zeros(r),  # rank 0
        "cluster": np.where(i < k + 2, 1.0 - 1e-9 * i, 0.5 ** (i - k - 1)),  # σ_k ≈ σ_{k+1}
        "slow": 1.0 / (i + 1),
    }[family]


def haar(m: int, r: int, rng: np.random.Generator, dtype) -> np.ndarray:
    X = rng.standard_normal((m, r))
    if np.dtype(dtype).kind == "c":
        X = X + 1j * rng.standard_normal((m, r))
    return np.linalg.qr(X)[0]


def build(m: int, n: int, k: int, family: str, dtype, seed: int, square: bool = False):
    """(A, σ in float64, k, seed) with A = U diag(σ) V^H (V = U if ``square``)."""
    rng = np.random.default_rng(seed)
    s = spectrum(family, min(m, n), k)
    U = haar(m, min(m, n), rng, dtype)
    V = U if square else haar(n, min(m, n), rng, dtype)
    return ((U * s) @ V.conj().T).astype(dtype), s, k, seed


@st.composite
def lowrank_problems(draw, square: bool = False):
    """A problem of :func:`build` in a drawn family, dtype and shape."""
    shape = draw(st.sampled_from(["small", "small", "tall", "wide"]))
    m = draw(st.integers(2, 40) if shape != "tall" else st.integers(60, 300))
    n = m if square else draw(st.integers(2, 40) if shape != "wide" else st.integers(60, 300))
    r = min(m, n)
    k = draw(st.integers(1, r - 1)) if r > 1 else 1
    family = draw(st.sampled_from(FAMILIES))
    dtype = draw(st.sampled_from(DTYPES))
    A, s, k, seed = build(m, n, k, family, dtype, draw(st.integers(0, 2**16)), square)
    # double precision far from 1: over/underflow of squares (powers of two: σ stays exact)
    scale = draw(st.sampled_from([1.0, 1.0, 2.0**500, 2.0**-500])) if A.itemsize * (
        2 if A.dtype.kind == "f" else 1) == 16 else 1.0
    return A * scale, s * scale, k, seed


def _allowance(A: np.ndarray, s: np.ndarray, pass_dtype: str = "") -> tuple[float, float]:
    """(orthonormality allowance in A's precision, ROUND in the passes' precision)."""
    c = 30 * np.sqrt(sum(A.shape))
    u = float(np.finfo(A.dtype).eps)
    u_pass = float(np.finfo(pass_dtype).eps) if pass_dtype else u
    tiny = float(np.finfo(A.dtype).tiny)  # results of A = 0 may round to subnormals
    return c * u, c * max(u, u_pass) * float(s[0]) + c * tiny


def check_svd_claims(A: np.ndarray, s: np.ndarray, k: int, res) -> None:
    """The claims of an SVDResult/EighResult against the known spectrum ``s``."""
    c, rnd = _allowance(A, s, getattr(res, "pass_dtype", ""))
    U, S, Vh = (np.asarray(x) for x in res)
    assert U.dtype == A.dtype and Vh.dtype == A.dtype  # the input's precision is kept
    wide = np.promote_types(A.dtype, np.float64)
    Ad, Ud, Vd = A.astype(wide), U.astype(wide), Vh.astype(wide)
    err = float(np.linalg.norm(Ad - (Ud * S.astype(float)) @ Vd, 2))
    sk1 = float(s[k]) if k < len(s) else 0.0
    for name, F in (("U", Ud), ("V", Vd.conj().T)):
        loss = float(np.linalg.norm(F.conj().T @ F - np.eye(F.shape[1]), 2))
        assert loss <= c, f"{name} not orthonormal: ||{name}^H {name} - I|| = {loss:.3g}"
    St = np.asarray(S, float)
    # interlacing, with rounding in the squares (Ritz values from Gram matrices, as the Dask
    # path forms them, carry u·σ₁² there: σ̃₉ = 1e-4 + 1e-13 at σ₁ = 1)
    assert np.all(St**2 <= s[: len(St)] ** 2 + rnd * float(s[0])), (
        f"σ̃ above σ: {St - s[:len(St)]}")
    if res.converged:
        assert err <= (1 + EPS) * sk1 + rnd, (
            f"converged=True but ||A - UΣV^H|| = {err:.3g} = {err / max(sk1, 1e-300):.3g}·σ_k+1"
            f" (σ_k+1 = {sk1:.3g}, σ_1 = {s[0]:.3g}, allowance {rnd:.2g})")
        low = s[: len(St)] ** 2 - EPS * sk1**2 - rnd * float(s[0])
        assert np.all(St**2 >= low), f"σ̃ below the per-value error: {St} vs {s[:len(St)]}"
    assert res.error_estimate >= err - rnd, (
        f"error_estimate {res.error_estimate:.3g} below the true error {err:.3g}")


def _quiet(f, *a, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: converged=False is then checked
        return f(*a, **kw)


@given(lowrank_problems(), st.sampled_from(["auto", "subspace", "krylov-direct"]))
# found here, fixed in _inverse_cholesky: a rank-1 2 x 2 A gave σ̃₁ = 1.019, error 0.196
# (σ₂ = 0) with converged=True; σ = (1, 1e-14) gave 1.9e-8 = 1.9e6·σ₂, converged=True
@example(build(2, 2, 1, "rankdef", np.float64, 10), "subspace")
@example(build(2, 2, 1, "geom14", np.float64, 10), "subspace")
# found by the long profile, fixed in _ritz_step: A = 0 in float32 raised numpy's LinAlgError
@example(build(2, 3, 1, "zero", np.float32, 0), "subspace")
# found here, fixed in single_precision_allows: numpy's LinAlgError at 1e150 (A cast to inf
# in float32 passes)
@example((lambda A, s, k, seed: (A * 2.0**500, s * 2.0**500, k, seed))(
    *build(30, 20, 5, "slow", np.float64, 0)), "auto")
# found here, fixed in certificates.column_norms: error_estimate = 0 (squares underflowed)
# while ‖A − UΣV^H‖₂ = σ₄₁ ≈ 2.8e-163
@example((lambda A, s, k, seed: (A * 2.0**-500, s * 2.0**-500, k, seed))(
    *build(56, 75, 40, "fast", np.float64, 0)), "auto")
@FEW
def test_randomized_svd_claims(problem, how):
    A, s, k, seed = problem
    if how == "krylov-direct":
        res = _quiet(block_krylov_svd, A, k, seed=seed)
    else:
        res = _quiet(randomized_svd, A, k, method=how, seed=seed)
    check_svd_claims(A, s, k, res)


def test_mixed_precision_factors_are_orthonormal_in_full_precision():
    """Regression (found here): float64 A, float32 passes (``pass_dtype="float32"``) gave
    ``U^H U − I`` of 1.6e-7 and ``V^H V − I`` of 2.5e-7: the float32 basis was upcast
    without re-orthonormalising, so the float64 factors were orthonormal only in float32."""
    rng = np.random.default_rng(0)
    s = 10.0 ** (-np.arange(12) / 2)
    A = (haar(40, 12, rng, np.float64) * s) @ haar(12, 12, rng, np.float64).T
    res = randomized_svd(A, 1, seed=1)
    assert res.pass_dtype == "float32"
    check_svd_claims(A, s, 1, res)


@given(lowrank_problems(), st.booleans(), st.sampled_from(["auto", "subspace"]))
@FEW
def test_sparse_svd_claims(problem, empty_lines, method):
    """Sparse input (the default: block Krylov on the short side, wide A through A^H; and
    subspace iteration), with empty rows and columns."""
    A, s, k, seed = problem
    if empty_lines:  # pad with an empty row and column: same spectrum plus a zero
        A = np.pad(A, ((1, 0), (0, 1)))
        s = np.append(s, 0.0)
        if k >= min(A.shape):
            return
    res = _quiet(randomized_svd, scipy.sparse.csr_matrix(A), k, method=method, seed=seed)
    check_svd_claims(A, s, k, res)


@st.composite
def hermitian_problems(draw, psd: bool):
    A, s, k, seed = draw(lowrank_problems(square=True))
    if psd:
        return A, s, k, seed
    # indefinite: flip the sign of every other eigenvalue (|w| keeps the family's order)
    rng = np.random.default_rng(seed + 1)
    n = A.shape[0]
    V = haar(n, n, rng, A.dtype)
    w = s * (-1.0) ** np.arange(n)
    return ((V * w) @ V.conj().T).astype(A.dtype), s, k, seed


class _EighAsSVD:
    """An EighResult read as an SVD, ``A ≈ (V sign(w)) |w| V^H``."""

    def __init__(self, res):
        w, V = (np.asarray(x) for x in res)
        sign = np.where(w < 0, -1.0, 1.0).astype(V.dtype)  # sign(0) = 1: V stays a basis
        self._f = (V * sign, np.abs(w), V.conj().T)
        self.converged, self.error_estimate = res.converged, res.error_estimate

    def __iter__(self):
        return iter(self._f)


@given(hermitian_problems(psd=False))
@FEW
def test_randomized_eigh_claims(problem):
    A, s, k, seed = problem
    A = (A + A.conj().T) / 2  # Hermitian to the last bit
    check_svd_claims(A, s, k, _EighAsSVD(_quiet(randomized_eigh, A, k, seed=seed)))


@given(hermitian_problems(psd=True))
# found here: NotPositiveSemidefiniteError on a PSD float32 A (eigenvalue -1.2e-8 of the
# compression, below float32's rounding); psd_rtol now starts at 10·√n·u
@example(build(4, 4, 1, "geom14", np.float32, 0, square=True))
@example(build(2, 2, 1, "zero", np.float64, 0, square=True))  # A = 0 raised not-PSD
@example(build(8, 8, 2, "zero", np.complex128, 0, square=True))  # error_estimate was NaN
@FEW
def test_nystrom_claims(problem):
    A, s, k, seed = problem
    A = (A + A.conj().T) / 2
    res = _quiet(nystrom, A, k, seed=seed)
    assert np.all(np.asarray(res.w) >= 0)
    check_svd_claims(A, s, k, _EighAsSVD(res))


@given(lowrank_problems())
@FEW
def test_randomized_svd_torch_matches_claims(problem):
    """torch CPU tensors in: the same claims, and a tensor out."""
    torch = pytest.importorskip("torch")
    A, s, k, seed = problem
    res = _quiet(randomized_svd, torch.from_numpy(A), k, seed=seed)
    assert all(isinstance(x, torch.Tensor) for x in res)
    U, S, Vh = (x.resolve_conj().numpy() for x in res)
    res.U, res.s, res.Vh = U, S, Vh
    check_svd_claims(A, s, k, res)


# ---------------------------------------------------------------- least squares


def true_backward_error(A: np.ndarray, b: np.ndarray, x: np.ndarray) -> float:
    """Exact min{‖ΔA‖_F : x solves min ‖(A+ΔA)x − b‖} / ‖A‖_F (Waldén, Karlson, Sun 1995).

    η = min(μ, σ_min([A, μ(I − q qᴴ)])), μ = ‖r‖/‖x‖, q = r/‖r‖. An SVD of that m × (m + n)
    matrix has absolute error u·max(‖A‖, μ): for an augmented ridge system (μ ≥ √α, α = 1e3)
    it reported 2e-11 at the exact solution. Evaluated instead in the basis [q, W] of Cᵐ:
    with a = Aᴴq and C = WᴴA (so ‖a‖ is the only small quantity, and it is computed from a
    residual in extended precision), λ = σ_min² < μ² is the root of the secular equation
    λ = (μ² − λ) aᴴ(CᴴC + (μ² − λ) I)⁻¹ a (a Schur complement), whose right side decreases
    in λ: bisection, with the SVD of C.
    """
    wide = np.clongdouble if np.iscomplexobj(A) or np.iscomplexobj(x) else np.longdouble
    r_wide = b.astype(wide) - A.astype(wide) @ x.astype(wide)
    r = r_wide.astype(np.result_type(A, x, b))
    nx, nr = np.linalg.norm(x), float(np.sqrt(np.sum(np.abs(r_wide) ** 2)))
    if nx == 0:
        return float(np.linalg.norm(A.conj().T @ b) > 0)
    if nr == 0:
        return 0.0
    mu2 = (nr / nx) ** 2
    a = (A.conj().T.astype(wide) @ r_wide / nr).astype(r.dtype)
    W = np.linalg.qr(r[:, None] / nr, mode="complete")[0][:, 1:]
    _, s, Vh = np.linalg.svd(W.conj().T @ A)
    d = np.zeros(A.shape[1])
    d[: len(s)] = s**2
    z2 = np.abs(Vh @ a) ** 2

    def excess(lam: float) -> float:  # right side minus λ: decreasing, root = σ_min²
        tau = mu2 - lam
        return float(np.sum(z2 * tau / (d + tau)) if tau > 0 else np.sum(z2[d == 0])) - lam

    if excess(mu2) >= 0:  # no singular value below μ
        return float(np.sqrt(mu2) / np.linalg.norm(A))
    lo, hi = 0.0, min(mu2, float(np.sum(z2)))
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if excess(mid) > 0 else (lo, mid)
    return float(np.sqrt(hi) / np.linalg.norm(A))


@st.composite
def lstsq_problems(draw):
    """(A, b, x*, dtype): full column rank, κ up to 1e8, a residual orthogonal to range(A)."""
    n = draw(st.integers(1, 12))
    m = draw(st.integers(n + 1, 200))
    cond = draw(st.sampled_from([1.0, 1e2, 1e5, 1e8]))
    dtype = draw(st.sampled_from([np.float64, np.complex128]))
    resid = draw(st.sampled_from([0.0, 1e-6, 1.0]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    Q = haar(m, n + 1, rng, dtype)
    s = np.geomspace(1, 1 / cond, n)
    A = (Q[:, :n] * s) @ haar(n, n, rng, dtype).conj().T
    x = haar(n, 1, rng, dtype)[:, 0] * draw(st.sampled_from([1.0, 1e3]))
    b = A @ x + resid * Q[:, n]  # Q[:, n] ⟂ range(A): x is the exact LS solution
    return A.astype(dtype), b.astype(dtype), x, seed


@given(lstsq_problems())
@FEW
def test_lstsq_backward_error_matches_lapack(problem):
    A, b, x_true, seed = problem
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = sketch.lstsq(A, b, seed=seed)
    if not res.converged:  # stopping early is allowed if said, loudly
        assert any(issubclass(w.category, sketch.errors.ConvergenceWarning) for w in caught)
        return
    x = np.asarray(res.x)
    ref = scipy.linalg.lstsq(A, b)[0]
    u = float(np.finfo(A.dtype).eps)
    ours, lapack = true_backward_error(A, b, x), true_backward_error(A, b, ref)
    assert ours <= 10 * lapack + 10 * u * np.sqrt(A.shape[1]), (
        f"backward error {ours:.3g} vs LAPACK's {lapack:.3g}")


@pytest.mark.parametrize("case", ["bound-zero", "stalled"])
def test_lstsq_forward_error_bound_counterexample(case):
    """Found by the property below (both fixed in sketch/lstsq_solvers.py: the bound's floor
    at the residual's rounding, and A's own factor where the sketch would be as tall as A).
    "bound-zero": κ(A) = 1e5, b = A x exactly; the result
    claimed backward_error = forward_error_bound = 0 while ‖x̂ − x‖/‖x‖ = 8.0e-13.
    "stalled" (long profile): κ(A) = 100, a 3 x 2 problem whose FOSSILS run stops
    (converged=False, warned "stalled at the rounding floor" at backward error 7e-3: the
    3 x 3 sparse sign had made SA rank 1) with forward_error_bound = 0.577 while the true
    forward error was 0.995 (LAPACK: 3.7e-8)."""
    if case == "bound-zero":
        A = np.array([[0.11283469, 0.2097091], [-0.42545329, -0.79080605],
                      [-0.17530217, -0.32584485]])
        x = np.array([-320.12205503, -947.37630849])
        b, seed = A @ x, 1
    else:
        A = np.array([[0.16506803, -0.87444285], [0.08196312, -0.4421617],
                      [0.02394231, -0.07351254]])
        b, seed = np.array([-0.08515104, -0.04155931, -0.01718245]), 153
        x = scipy.linalg.lstsq(A, b)[0]  # within 3.7e-8 of the generator's solution
    res = _quiet(sketch.lstsq, A, b, "fossils", seed=seed)
    fwd = float(np.linalg.norm(res.x - x) / np.linalg.norm(x))
    assert fwd <= 1.01 * float(res.forward_error_bound) + 1e-15, (fwd, res.forward_error_bound)
    assert res.converged and res.rank == 2 and fwd <= 1e-6


@given(lstsq_problems())
@FEW
def test_lstsq_forward_error_bound_bounds(problem):
    A, b, x_true, seed = problem
    res = sketch.lstsq(A, b, seed=seed)
    fwd = float(np.linalg.norm(np.asarray(res.x) - x_true) / np.linalg.norm(x_true))
    u = float(np.finfo(A.dtype).eps)
    if res.forward_error_bound is not None:
        # a first-order bound: only the second-order term's O(u) slack is allowed
        bound = float(res.forward_error_bound)
        assert fwd <= bound * 1.01 + 10 * u, (
            f"forward_error_bound {bound:.3g} below the true forward error {fwd:.3g}")


# ---------------------------------------------------------------- approximate matrix products


@st.composite
def product_problems(draw):
    """(A, B, seed): Gaussian, half-zero columns of A, rank one, complex, or scaled 2^±500."""
    m, n, p = (draw(st.integers(1, 30)) for _ in range(3))
    kind = draw(st.sampled_from(["gauss", "zero-cols", "rank1", "complex", "scaled"]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    A, B = rng.standard_normal((m, n)), rng.standard_normal((n, p))
    if kind == "zero-cols":
        A[:, ::2] = 0
    elif kind == "rank1":
        A, B = np.outer(rng.standard_normal(m), rng.standard_normal(n)), np.outer(
            rng.standard_normal(n), rng.standard_normal(p))
    elif kind == "complex":
        A = A + 1j * rng.standard_normal((m, n))
    elif kind == "scaled":
        A, B = A * 2.0**500, B * 2.0**-500
    return A, B, seed


@given(product_problems(), st.sampled_from(["dkm", "sketched"]))
@FEW
def test_matmul_meets_its_eps_guarantee(problem, how):
    """‖C − AB‖_F ≤ ε‖A‖_F‖B‖_F with probability ≥ 1 − δ at the sizes chosen from (ε, δ)
    (Drineas, Kannan and Mahoney 2006; Sarlós 2006); δ = 1e-6, so a failure under a fixed
    seed is a counterexample, not bad luck."""
    A, B, seed = problem
    f = sketch.dkm_matmul if how == "dkm" else sketch.sketched_matmul
    res = f(A, B, eps=0.5, delta=1e-6, seed=seed)
    err = float(np.linalg.norm(np.asarray(res.value) - A @ B))
    assert err <= 0.5 * np.linalg.norm(A) * np.linalg.norm(B) * (1 + 1e-12) + 1e-300


# ---------------------------------------------------------------- Dask (row-chunked, tall)


@st.composite
def tall_problems(draw):
    m, n = draw(st.integers(40, 120)), draw(st.integers(3, 25))
    k = draw(st.integers(1, n - 1))
    family = draw(st.sampled_from(FAMILIES))
    dtype = draw(st.sampled_from([np.float64, np.complex128]))
    return build(m, n, k, family, dtype, draw(st.integers(0, 2**16))), draw(st.integers(7, 50))


def _dask_sync(f, *a, **kw):
    dask = pytest.importorskip("dask")
    with dask.config.set(scheduler="synchronous"):
        out = _quiet(f, *a, **kw)
    return out


@given(tall_problems())
@settings(max_examples=max(3, settings().max_examples // 6))
def test_dask_svd_claims(problem_rows):
    """Row-chunked Dask A (the sketch.distributed Krylov path): the same claims."""
    da = pytest.importorskip("dask.array")
    (A, s, k, seed), rows = problem_rows
    res = _dask_sync(randomized_svd, da.from_array(A, chunks=(rows, A.shape[1])), k, seed=seed)
    U, S, Vh = (np.asarray(x.compute() if hasattr(x, "compute") else x) for x in res)
    res.U, res.s, res.Vh = U, S, Vh
    check_svd_claims(A, s, k, res)


@given(lstsq_problems(), st.integers(7, 50))
@settings(max_examples=max(3, settings().max_examples // 6))
def test_dask_lstsq_backward_error(problem, rows):
    da = pytest.importorskip("dask.array")
    A, b, x_true, seed = problem
    res = _dask_sync(sketch.lstsq, da.from_array(A, chunks=(rows, A.shape[1])),
                     da.from_array(b, chunks=rows), seed=seed)
    if not res.converged:
        return  # said so (ConvergenceWarning); the in-memory test checks that it warns
    x = np.asarray(res.x.compute() if hasattr(res.x, "compute") else res.x)
    ref = scipy.linalg.lstsq(A, b)[0]
    u = float(np.finfo(A.dtype).eps)
    ours, lapack = true_backward_error(A, b, x), true_backward_error(A, b, ref)
    assert ours <= 10 * lapack + 10 * u * np.sqrt(A.shape[1]), (
        f"Dask: backward error {ours:.3g} vs LAPACK's {lapack:.3g}")
