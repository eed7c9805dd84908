"""One-pass row streams: top eigenvector of AᵀA (Kacham–Woodruff random-order power iteration
with heavy rows, Oja / Price–Xun) against the exact eigenvector, their memory, every kind of
stream, and the streamed linear and coordinated sketches against the in-memory ones."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from sketch.coordinated import coordinated_sketch
from sketch.errors import AccuracyWarning, ShapeError
from sketch.operators import CountSketch, Gaussian
from sketch.streaming import (
    row_blocks,
    stream_coordinated_sketch,
    stream_sketch,
    streaming_top_eigenvector,
)


def two_groups(n, d, R, seed, k2=20.0):
    """80% of rows spread along u, 20% (twice the scale) along w ⊥ u; λ₁/λ₂ ≈ R."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, 2)))
    u, w = Q[:, 0], Q[:, 1]
    n1 = int(0.8 * n)
    k1 = (R * (1.6 + 0.8 * k2) - 1.6) / 0.8
    X1 = rng.standard_normal((n1, d)) + np.sqrt(k1) * rng.standard_normal((n1, 1)) * u
    X2 = 2 * (rng.standard_normal((n - n1, d)) + np.sqrt(k2) * rng.standard_normal((n - n1, 1)) * w)
    A = np.vstack([X1, X2])
    return A[rng.permutation(n)]


def _top(A):
    w, V = np.linalg.eigh(A.T @ A)
    return V[:, -1], w[-1] / w[-2]


@pytest.mark.parametrize("R", [4.0, 16.0])
@pytest.mark.parametrize("method", ["kacham-woodruff", "oja"])
def test_random_order_correlation_is_one_minus_order_one_over_R(method, R):
    A = two_groups(20000, 64, R, seed=int(R))
    v1, gap = _top(A)
    res = streaming_top_eigenvector(A, method=method, block_rows=100, seed=0)
    assert 1 - float(res.vector @ v1) ** 2 < 1 / gap
    assert res.rows == 20000 and res.blocks == 200
    assert res.eigenvalue == pytest.approx(np.linalg.eigvalsh(A.T @ A)[-1], rel=0.1 if
                                           method == "kacham-woodruff" else 0.5)


def test_oja_works_in_adversarial_order():
    # sorted by decreasing norm: no longer a random order (the Price–Xun setting)
    A = two_groups(20000, 64, 16.0, seed=3)
    v1, gap = _top(A)
    B = A[np.argsort(-np.linalg.norm(A, axis=1))]
    res = streaming_top_eigenvector(B, method="oja", block_rows=100, seed=0)
    assert 1 - float(res.vector @ v1) ** 2 < 1 / gap


def _heavy_case(seed, d=32):
    """Gaussian rows plus four rows 60× longer along u, which carry v₁."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((8000, d))
    u = np.linalg.qr(rng.standard_normal((d, 1)))[0][:, 0]
    A[rng.choice(8000, 4, replace=False)] = 60 * u * np.array([[1.0], [-1.2], [0.9], [1.1]])
    return A


def test_heavy_rows_are_stored_and_memory_is_reported():
    d = 32
    worst_without = 0.0
    for seed in (4, 5, 6):
        A = _heavy_case(seed, d)
        v1, gap = _top(A)
        lam1 = np.linalg.eigvalsh(A.T @ A)[-1]
        res = streaming_top_eigenvector(A, block_rows=256, seed=1)
        assert res.heavy_rows >= 4
        assert res.memory_words >= (res.heavy_rows + 2) * d
        assert 1 - float(res.vector @ v1) ** 2 < 0.01 < 1 / gap
        assert res.eigenvalue == pytest.approx(lam1, rel=0.05)
        with pytest.warns(AccuracyWarning, match="max_heavy"):
            light = streaming_top_eigenvector(A, block_rows=256, max_heavy=0, seed=1)
        worst_without = max(worst_without, abs(light.eigenvalue / lam1 - 1))
    # treated as light, a heavy row dominates whichever segment holds it
    assert worst_without > 0.3
    oja = streaming_top_eigenvector(A, method="oja", block_rows=256, seed=1)
    assert oja.memory_words == 2 * d and oja.heavy_rows == 0


def test_every_kind_of_stream_gives_the_same_answer():
    A = two_groups(3000, 16, 8.0, seed=5)
    ref = streaming_top_eigenvector(A, block_rows=300, seed=2)
    blocks = [A[i:i + 300] for i in range(0, 3000, 300)]
    from_list = streaming_top_eigenvector(blocks, seed=2)
    from_gen = streaming_top_eigenvector((b for b in blocks), n_rows=3000, seed=2)
    from_sparse = streaming_top_eigenvector([sp.csr_matrix(b) for b in blocks], seed=2)
    for r in (from_list, from_gen, from_sparse):
        np.testing.assert_allclose(r.vector, ref.vector, rtol=1e-10, atol=1e-12)
    da = pytest.importorskip("dask.array")
    from_dask = streaming_top_eigenvector(da.from_array(A, chunks=(300, 8)), seed=2)
    np.testing.assert_allclose(from_dask.vector, ref.vector, rtol=1e-10, atol=1e-12)


def test_stream_errors():
    A = np.ones((10, 3))
    with pytest.raises(ValueError, match="n_rows"):
        streaming_top_eigenvector(iter([A]))
    with pytest.raises(ShapeError, match="n_rows=12"):
        streaming_top_eigenvector(iter([A]), n_rows=12)
    with pytest.raises(ShapeError, match="columns"):
        streaming_top_eigenvector([A, np.ones((2, 4))], method="oja")
    with pytest.raises(ShapeError, match="no rows"):
        streaming_top_eigenvector([], method="oja")
    with pytest.raises(ValueError, match="unknown method"):
        streaming_top_eigenvector(A, method="power")
    with pytest.raises(TypeError):
        row_blocks(42)


@pytest.mark.parametrize("sketch,op", [("gaussian", Gaussian), ("countsketch", CountSketch)])
def test_stream_sketch_equals_the_operator(sketch, op):
    A = np.random.default_rng(0).standard_normal((1000, 5))
    S = op(24, 1000, seed=7)
    blocks = (A[i:i + 128] for i in range(0, 1000, 128))
    np.testing.assert_allclose(stream_sketch(blocks, 24, sketch, seed=7), S @ A, atol=1e-12)
    with pytest.raises(ValueError, match="supports"):
        stream_sketch(A, 24, "srht", seed=7)


@pytest.mark.parametrize("method", ["priority", "threshold", "jl", "countsketch"])
def test_stream_coordinated_sketch_equals_in_memory(method):
    A = np.random.default_rng(1).standard_normal((900, 4)) * np.random.default_rng(2).pareto(
        2.0, (900, 1))
    ref = coordinated_sketch(A, method, 40, seed=3)
    got = stream_coordinated_sketch(sp.csr_matrix(A) if method == "priority" else A, method, 40,
                                    seed=3, block_rows=100)
    assert got.keyed is False and got.n_rows == 900
    if method in ("jl", "countsketch"):
        np.testing.assert_allclose(got.data, ref.data, atol=1e-12)
    else:
        np.testing.assert_array_equal(got.keys, ref.keys)
        rows = got.rows.toarray() if sp.issparse(got.rows) else got.rows
        np.testing.assert_allclose(rows, ref.rows)
        assert got.tau == pytest.approx(ref.tau)


@pytest.mark.parametrize("method", ["kacham-woodruff", "oja"])
def test_complex_and_float32_rows(method):
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((6000, 16)) + 1j * rng.standard_normal((6000, 16))
    A = Z * np.r_[3, np.ones(15)]
    lam, V = np.linalg.eigh(A.conj().T @ A)
    res = streaming_top_eigenvector(A, method=method, block_rows=200, seed=0)
    assert res.vector.dtype == np.complex128
    assert 1 - abs(np.vdot(V[:, -1], res.vector)) ** 2 < lam[-2] / lam[-1]
    res32 = streaming_top_eigenvector(A.real.astype(np.float32), method=method, seed=0)
    assert res32.vector.dtype == np.float32


@pytest.mark.parametrize("method", ["kacham-woodruff", "oja"])
def test_every_backend_streams_to_numpys_answer_on_its_device(backend, method):
    """Blocks of any backend: the same iterate as NumPy's (heavy rows included), on their
    device; the streamed linear and coordinated sketches likewise."""
    d = 32
    A = _heavy_case(4, d)
    ref = streaming_top_eigenvector(A, method=method, block_rows=256, seed=1)
    blocks = [backend.asarray(A[i:i + 256]) for i in range(0, A.shape[0], 256)]
    got = streaming_top_eigenvector(blocks, method=method, seed=1)
    assert backend.owns(got.vector) and got.heavy_rows == ref.heavy_rows
    np.testing.assert_allclose(backend.to_numpy(got.vector), ref.vector, rtol=1e-8, atol=1e-10)
    assert got.eigenvalue == pytest.approx(ref.eigenvalue, rel=1e-10)
    SA = stream_sketch(blocks, 20, "countsketch", seed=3)
    assert backend.owns(SA)
    np.testing.assert_allclose(backend.to_numpy(SA), CountSketch(20, A.shape[0], seed=3) @ A,
                               rtol=1e-10, atol=1e-10)
    cs = stream_coordinated_sketch(blocks, "priority", 30, seed=2)
    ref_cs = coordinated_sketch(A, "priority", 30, seed=2)
    assert backend.owns(cs.rows) and backend.owns(cs.keys)
    np.testing.assert_array_equal(backend.to_numpy(cs.keys), ref_cs.keys)
