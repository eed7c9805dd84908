"""Coordinated sampling sketches: estimates against AᵀB, guarantees, merge, files, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from sketch.coordinated import (
    LinearSketch,
    SampledSketch,
    attention_scores,
    coordinated_sketch,
    countsketch_sketch,
    estimate_inner,
    estimate_product,
    jl_sketch,
    load_sketch,
    priority_sample,
    threshold_sample,
)
from sketch.errors import NonFiniteError, SeedMismatchError, ShapeError
from sketch.joins import (
    correlation_sketch,
    join_correlation,
    join_regression,
    regression_feature_sketch,
    regression_target_sketch,
)

ALL = ["priority", "threshold", "jl", "countsketch"]


def sparse_rows(n, d, s, seed):
    """n × d CSR with exactly s nonzeros per row (normal values)."""
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(n), s)
    cols = np.concatenate([rng.choice(d, s, replace=False) for _ in range(n)])
    return sp.csr_matrix((rng.standard_normal(n * s), (rows, cols)), shape=(n, d))


def rel_err(est, A, B):
    exact = (A.T @ B).toarray() if sp.issparse(A) else A.T @ B
    nA = sp.linalg.norm(A) if sp.issparse(A) else np.linalg.norm(A)
    nB = sp.linalg.norm(B) if sp.issparse(B) else np.linalg.norm(B)
    return np.linalg.norm(est - exact) / (nA * nB)


@pytest.fixture(scope="module")
def AB():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((400, 3)) * rng.exponential(size=(400, 1))
    B = A @ rng.standard_normal((3, 2)) + rng.standard_normal((400, 2))
    return A, B


# -- correctness ------------------------------------------------------------------
@pytest.mark.parametrize("method", ["priority", "threshold"])
def test_full_budget_is_exact(method, AB):
    A, B = AB
    if method == "priority":
        SA, SB = priority_sample(A, 400, seed=1), priority_sample(B, 400, seed=1)
    else:  # τ = W/k ≤ min wᵢ keeps every row with probability one
        k = math.ceil(float((A**2).sum()) / float((A**2).sum(1).min())) + 1
        k = max(k, math.ceil(float((B**2).sum()) / float((B**2).sum(1).min())) + 1)
        SA, SB = threshold_sample(A, k, seed=1), threshold_sample(B, k, seed=1)
    est = estimate_product(SA, SB)
    np.testing.assert_allclose(est.value, A.T @ B, rtol=1e-12, atol=1e-10)
    assert est.frobenius_variance == pytest.approx(0.0, abs=1e-12)
    assert est.matched == 400


@pytest.mark.parametrize("method", ALL)
def test_unbiased_and_variance_calibrated(method, AB):
    """Mean over 300 seeds within 5 standard errors; mean variance estimate ≈ mean squared error."""
    A, B = AB
    size = 40 if method in ("priority", "threshold") else 12
    exact = A.T @ B
    ests, errs2, vars_ = [], [], []
    for seed in range(300):
        e = estimate_product(coordinated_sketch(A, method, size, seed),
                             coordinated_sketch(B, method, size, seed))
        ests.append(e.value)
        errs2.append(np.linalg.norm(e.value - exact) ** 2)
        vars_.append(e.frobenius_variance)
    ests = np.array(ests)
    se = ests.std(axis=0, ddof=1) / math.sqrt(len(ests))
    assert np.all(np.abs(ests.mean(axis=0) - exact) <= 5 * se + 1e-12)
    # The plug-in linear variance is an upper bound for CountSketch.
    lo, hi = (0.7, 1.4) if method != "countsketch" else (0.7, 2.5)
    assert lo < np.mean(vars_) / np.mean(errs2) < hi


@pytest.mark.parametrize("method", ["priority", "threshold"])
def test_frobenius_guarantee_fixed_seeds(method):
    """E‖W − AᵀB‖² ≤ 2‖A‖²‖B‖²/(k−1); Chebyshev with δ = 0.01 on each of 5 seeds."""
    A = sparse_rows(3000, 60, 3, 1)
    B = sparse_rows(3000, 50, 3, 2)
    k = 300
    bound = math.sqrt(2 / ((k - 1) * 0.01))
    for seed in range(5):
        est = estimate_product(coordinated_sketch(A, method, k, seed),
                               coordinated_sketch(B, method, k, seed))
        assert rel_err(est.value, A, B) < bound


def test_sparse_data_beats_linear_at_equal_storage():
    """Rows with s = 2 ≪ d = 120 nonzeros: coordinated sampling wins by a wide margin."""
    A, B = sparse_rows(8000, 120, 2, 3), sparse_rows(8000, 120, 2, 4)
    pri = [rel_err(estimate_product(priority_sample(A, 400, seed=s),
                                    priority_sample(B, 400, seed=s)).value, A, B)
           for s in range(3)]
    words = priority_sample(A, 400, seed=0).storage_words
    r = int(words // 120)
    jl = [rel_err(estimate_product(jl_sketch(A, r, seed=s), jl_sketch(B, r, seed=s)).value, A, B)
          for s in range(3)]
    assert np.median(jl) / np.median(pri) > 2.5  # theory √(d/(1.5 s + 1.5)) ≈ 5.7


def test_sparse_and_dense_inputs_agree(AB):
    A, B = AB
    S1 = priority_sample(sp.csr_matrix(A), 50, seed=4)
    S2 = priority_sample(A, 50, seed=4)
    np.testing.assert_array_equal(S1.keys, S2.keys)
    e1 = estimate_product(S1, priority_sample(sp.csr_matrix(B), 50, seed=4))
    e2 = estimate_product(S2, priority_sample(B, 50, seed=4))
    np.testing.assert_allclose(e1.value, e2.value, rtol=1e-12)
    np.testing.assert_allclose(e1.variance, e2.variance, rtol=1e-10, atol=1e-12)


def test_sampling_depends_only_on_key_and_seed(AB):
    """Shuffling the rows (with their keys) gives the same sketch: coordination."""
    A, _ = AB
    keys = np.arange(1000, 1400)
    perm = np.random.default_rng(5).permutation(400)
    S1 = threshold_sample(A, 60, seed=8, keys=keys)
    S2 = threshold_sample(A[perm], 60, seed=8, keys=keys[perm])
    np.testing.assert_array_equal(S1.keys, S2.keys)
    np.testing.assert_array_equal(S1.rows, S2.rows)


def test_join_by_keys_matches_joined_product():
    rng = np.random.default_rng(6)
    kA, kB = rng.permutation(5000)[:1500], rng.permutation(5000)[:1500]
    A, B = rng.standard_normal((1500, 3)), rng.standard_normal((1500, 2))
    common, ia, ib = np.intersect1d(kA, kB, return_indices=True)
    exact = A[ia].T @ B[ib]
    est = estimate_product(priority_sample(A, 1500, seed=1, keys=kA),
                           priority_sample(B, 1500, seed=1, keys=kB))
    np.testing.assert_allclose(est.value, exact, atol=1e-10)
    assert est.matched == len(common)


def test_inner_product_and_vectors():
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal(2000), rng.standard_normal(2000)
    b[:1000] += a[:1000]
    est = estimate_inner(priority_sample(a, 300, seed=2), priority_sample(b, 300, seed=2))
    assert np.ndim(est.value) == 0
    assert abs(float(est.value) - a @ b) < 4 * est.std_error + 1e-9
    exact = estimate_inner(priority_sample(a, 2000, seed=2), priority_sample(b, 2000, seed=2))
    assert float(exact.value) == pytest.approx(a @ b, rel=1e-12)
    with pytest.raises(ShapeError):
        estimate_inner(priority_sample(rng.standard_normal((10, 2)), 3, seed=0),
                       priority_sample(rng.standard_normal((10, 2)), 3, seed=0))


def test_linear_sketches_match_operators(AB):
    from sketch.operators import CountSketch, Gaussian

    A, _ = AB
    np.testing.assert_allclose(jl_sketch(A, 16, seed=3).data, Gaussian(16, 400, seed=3) @ A)
    np.testing.assert_allclose(countsketch_sketch(A, 16, seed=3).data,
                               CountSketch(16, 400, seed=3) @ A)


def test_dtype_kept():
    A = np.random.default_rng(0).standard_normal((100, 3)).astype(np.float32)
    for method in ALL:
        S = coordinated_sketch(A, method, 10, seed=0)
        assert estimate_product(S, S).value.dtype == np.float32


# -- storage --------------------------------------------------------------------
def test_storage_accounting():
    A = np.random.default_rng(0).standard_normal((100, 8))
    assert priority_sample(A, 10, seed=0).storage_words == 10 * (8 + 1)
    As = sparse_rows(100, 50, 3, 0)
    S = priority_sample(As, 10, seed=0)
    assert S.storage_words == 1.5 * 30 + 1.5 * 10
    assert jl_sketch(A, 7, seed=0).storage_words == 7 * 8


# -- merge --------------------------------------------------------------------------
@pytest.mark.parametrize("method", ALL)
def test_merge_of_partitions_equals_whole(method, AB):
    A, _ = AB
    keys = np.random.default_rng(1).permutation(10_000)[:400]
    whole = coordinated_sketch(A, method, 30, seed=9, keys=keys)
    parts = [coordinated_sketch(A[i:i + 100], method, 30, seed=9, keys=keys[i:i + 100])
             for i in range(0, 400, 100)]
    merged = parts[0].merge(parts[1]).merge(parts[2].merge(parts[3]))
    if method in ("jl", "countsketch"):
        np.testing.assert_allclose(merged.data, whole.data, atol=1e-12)
    else:
        np.testing.assert_array_equal(merged.keys, whole.keys)
        np.testing.assert_allclose(merged.rows, whole.rows)
        assert merged.tau == pytest.approx(whole.tau, rel=1e-12)


def test_merge_refuses_overlap_and_other_seed(AB):
    A, _ = AB
    S = priority_sample(A, 20, seed=1)
    with pytest.raises(ValueError, match="share keys"):
        S.merge(priority_sample(A, 20, seed=1))
    with pytest.raises(SeedMismatchError):
        S.merge(priority_sample(A, 20, seed=2, keys=np.arange(400, 800)))
    with pytest.raises(SeedMismatchError):
        jl_sketch(A, 5, seed=1).merge(jl_sketch(A, 5, seed=2))


# -- files ---------------------------------------------------------------------------
@pytest.mark.parametrize("method", ALL)
@pytest.mark.parametrize("sparse_input", [False, True])
def test_save_load_roundtrip(tmp_path, method, sparse_input, AB):
    A, B = AB
    if sparse_input:
        A, B = sp.csr_matrix(A), sp.csr_matrix(B)
    SA, SB = coordinated_sketch(A, method, 30, seed=3), coordinated_sketch(B, method, 30, seed=3)
    SA.save(tmp_path / "a.npz")
    SB.save(tmp_path / "b.npz")
    with np.load(tmp_path / "a.npz", allow_pickle=False) as f:  # no object arrays inside
        assert all(f[name].dtype != object for name in f.files)
    LA, LB = load_sketch(tmp_path / "a.npz"), load_sketch(tmp_path / "b.npz")
    assert type(LA) is type(SA) and LA.fingerprint == SA.fingerprint
    np.testing.assert_allclose(estimate_product(LA, LB).value, estimate_product(SA, SB).value)
    cls = SampledSketch if method in ("priority", "threshold") else LinearSketch
    assert isinstance(cls.load(tmp_path / "a.npz"), cls)
    other = LinearSketch if cls is SampledSketch else SampledSketch
    with pytest.raises(TypeError, match=f"path .* holds a {cls.__name__}, not a {other.__name__}"):
        other.load(tmp_path / "a.npz")


def test_loaded_sketch_merges_after_attaching_seed(tmp_path, AB):
    A, _ = AB
    priority_sample(A[:200], 20, seed=5).save(tmp_path / "p.npz")
    other = priority_sample(A[200:], 20, seed=5, keys=np.arange(200, 400))
    loaded = load_sketch(tmp_path / "p.npz")
    with pytest.raises(ValueError, match="attach_seed"):
        loaded.merge(other)
    with pytest.raises(SeedMismatchError):
        loaded.attach_seed(6)
    merged = loaded.attach_seed(5).merge(other)
    whole = priority_sample(A, 20, seed=5)
    np.testing.assert_array_equal(merged.keys, whole.keys)


# -- applications --------------------------------------------------------------------
def test_join_regression_recovers_coefficients():
    rng = np.random.default_rng(2)
    k1 = rng.permutation(40_000)[:6000]
    k2 = np.concatenate([k1[:4000], 50_000 + np.arange(3000)])
    X = np.column_stack([np.ones(6000), rng.standard_normal((6000, 2))])
    beta = np.array([0.5, 1.0, -2.0])
    y_joined = X[:4000] @ beta + 0.1 * rng.standard_normal(4000)
    y = np.concatenate([y_joined, rng.standard_normal(3000)])
    exact = np.linalg.lstsq(X[:4000], y_joined, rcond=None)[0]
    SF = regression_feature_sketch(X, 1200, keys=k1, seed=4)
    ST = regression_target_sketch(y, 1200, keys=k2, seed=4)
    b, XtX, _ = join_regression(SF, ST, 3)
    np.testing.assert_allclose(b, exact, atol=0.15)
    # Chebyshev on E‖err‖² ≤ 2‖F‖²‖T‖²/(k−1), δ = 0.01, F and T the sketched matrices.
    F = np.column_stack([X, X[:, [0, 0, 0, 1, 1, 2]] * X[:, [0, 1, 2, 1, 2, 2]]])
    T = np.column_stack([y, np.ones_like(y)])
    bound = math.sqrt(2 / (1199 * 0.01)) * np.linalg.norm(F) * np.linalg.norm(T)
    assert np.linalg.norm(XtX - X[:4000].T @ X[:4000]) < bound
    with pytest.raises(ShapeError):
        join_regression(SF, ST, 4)


def test_join_correlation():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(4000)
    y = np.concatenate([x[1000:] + 0.5 * rng.standard_normal(3000), rng.standard_normal(500)])
    kx, ky = np.arange(4000), np.arange(1000, 4500)
    exact = np.corrcoef(x[1000:], y[:3000])[0, 1]
    got = join_correlation(correlation_sketch(x, 1500, keys=kx, seed=1),
                           correlation_sketch(y, 1500, keys=ky, seed=1))
    assert abs(got - exact) < 0.05


def test_attention_scores():
    rng = np.random.default_rng(4)
    # Heavy feature dimensions, as in trained attention heads (outlier features).
    scale = np.where(np.arange(128) < 8, 10.0, 0.5)
    Q, K = rng.standard_normal((20, 128)) * scale, rng.standard_normal((30, 128)) * scale
    est = attention_scores(Q, K, 40, seed=0)
    assert est.value.shape == (20, 30)
    rel = np.linalg.norm(est.value - Q @ K.T) / (np.linalg.norm(Q) * np.linalg.norm(K))
    assert rel < math.sqrt(2 / (39 * 0.01))
    with pytest.raises(ShapeError):
        attention_scores(Q, K[:, :10], 5, seed=0)


# -- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize("method", ALL)
def test_different_seeds_refused(method, AB):
    A, B = AB
    with pytest.raises(SeedMismatchError, match="different seeds"):
        estimate_product(coordinated_sketch(A, method, 10, seed=1),
                         coordinated_sketch(B, method, 10, seed=2))


@pytest.mark.parametrize("method", ALL)
def test_bad_keys(method, AB):
    A, _ = AB
    with pytest.raises(TypeError, match="integers"):
        coordinated_sketch(A, method, 10, seed=0, keys=np.arange(400) + 0.5)
    dup = np.arange(400)
    dup[7] = 3
    with pytest.raises(ValueError, match="repeat"):
        coordinated_sketch(A, method, 10, seed=0, keys=dup)
    with pytest.raises(ShapeError):
        coordinated_sketch(A, method, 10, seed=0, keys=np.arange(399))


@pytest.mark.parametrize("method", ALL)
def test_mismatched_rows_and_zero_budget(method, AB):
    A, B = AB
    with pytest.raises(ShapeError, match="rows"):
        estimate_product(coordinated_sketch(A, method, 10, seed=0),
                         coordinated_sketch(B[:300], method, 10, seed=0))
    with pytest.raises(ValueError, match="at least 1"):
        coordinated_sketch(A, method, 0, seed=0)
    with pytest.raises(TypeError):
        coordinated_sketch(A, method, 2.5, seed=0)


def test_other_bad_input(AB):
    A, B = AB
    with pytest.raises(ValueError, match="same method"):
        estimate_product(priority_sample(A, 10, seed=0), threshold_sample(B, 10, seed=0))
    with pytest.raises(TypeError):
        estimate_product(priority_sample(A, 10, seed=0), jl_sketch(B, 10, seed=0))
    with pytest.raises(ValueError, match="unknown method"):
        coordinated_sketch(A, "uniform", 10, seed=0)
    bad = A.copy()
    bad[0, 0] = np.nan
    with pytest.raises(NonFiniteError):
        priority_sample(bad, 10, seed=0)
    with pytest.raises(ValueError, match="same sketch size"):
        estimate_product(jl_sketch(A, 10, seed=0), jl_sketch(B, 11, seed=0))


# -- every backend (CuPy and torch-CUDA are gpu-marked) -------------------------------------
@pytest.mark.parametrize("method", ALL)
def test_every_backend_stays_on_its_device_and_matches_numpy(backend, method, AB):
    A, B = AB
    SA = coordinated_sketch(backend.asarray(A), method, 30, seed=1)
    SB = coordinated_sketch(backend.asarray(B), method, 30, seed=1)
    est = estimate_product(SA, SB)
    assert backend.owns(est.value) and backend.owns(est.variance)
    ref_a = coordinated_sketch(A, method, 30, seed=1)
    ref = estimate_product(ref_a, coordinated_sketch(B, method, 30, seed=1))
    if method in ("priority", "threshold"):  # sampling decisions are bitwise equal across backends
        assert backend.owns(SA.keys) and backend.owns(SA.rows)
        np.testing.assert_array_equal(backend.to_numpy(SA.keys), ref_a.keys)
        merged = SA.merge(coordinated_sketch(backend.asarray(B[:, :1] @ np.ones((1, 3))), method,
                                             30, seed=1, keys=np.arange(400, 800)))
        assert backend.owns(merged.keys)
    np.testing.assert_allclose(backend.to_numpy(est.value), ref.value, rtol=1e-9, atol=1e-9)


@pytest.mark.gpu
def test_load_onto_gpu(cupy, tmp_path, AB):
    A, B = AB
    priority_sample(A, 30, seed=2).save(tmp_path / "a.npz")
    SA = load_sketch(tmp_path / "a.npz", device="gpu")
    assert isinstance(SA.rows, cupy.ndarray)
    est = estimate_product(SA, priority_sample(cupy.asarray(B), 30, seed=2))
    assert isinstance(est.value, cupy.ndarray)


def test_join_regression_on_every_backend(backend):
    """User keys (a coordinated join), on every backend: NumPy's estimate, on the device."""
    rng = np.random.default_rng(2)
    k1 = rng.permutation(4000)[:600]
    k2 = np.concatenate([k1[:400], 5000 + np.arange(300)])
    X = np.column_stack([np.ones(600), rng.standard_normal((600, 2))])
    y = np.concatenate([X[:400] @ np.array([0.5, 1.0, -2.0]), rng.standard_normal(300)])
    ref = join_regression(regression_feature_sketch(X, 200, keys=k1, seed=4),
                          regression_target_sketch(y, 200, keys=k2, seed=4), 3)
    got = join_regression(
        regression_feature_sketch(backend.asarray(X), 200, keys=backend.asarray(k1), seed=4),
        regression_target_sketch(backend.asarray(y), 200, keys=backend.asarray(k2), seed=4), 3)
    for g, r in zip(got, ref):
        assert backend.owns(g)
        np.testing.assert_allclose(backend.to_numpy(g), r, rtol=1e-9, atol=1e-9)
