"""Sketches of dask arrays on a local dask.distributed cluster of two worker processes."""

from __future__ import annotations

import os
import pathlib

import numpy as np
import pytest

from sketch.coordinated import coordinated_sketch, estimate_product
from sketch.errors import ConvergenceWarning, ShapeError
from sketch.operators import SRHT, CountSketch, Gaussian, Rademacher, SparseSign

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

ROOT = str(pathlib.Path(__file__).resolve().parents[2])


@pytest.fixture(scope="module")
def client():
    """Two worker processes (one thread each); workers import qla from the repo root."""
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = ROOT + (os.pathsep + old if old else "")
    import dask
    from threadpoolctl import threadpool_limits

    import sketch.distributed  # noqa: F401 - imported before forking, so workers start warm

    # Forked workers inherit the imported modules (seconds less start-up per worker than
    # spawn) and the BLAS thread count: one per process, as the nanny gives spawned workers;
    # more would oversubscribe the cores with the client's own small factorisations.
    with threadpool_limits(1):
        with dask.config.set({"distributed.worker.multiprocessing-method": "fork"}):
            cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                               processes=True, dashboard_address=None,
                                               silence_logs=50)
        c = distributed.Client(cluster)
        yield c
        c.close()
        cluster.close()
    if old is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = old


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((1200, 4))
    A[::5] = 0
    B = A[:, :2] + rng.standard_normal((1200, 2))
    return A, B


def test_operators_on_row_chunks_equal_in_memory(client, data):
    """Every operator, blockwise on the workers, equals S @ A (one dask.compute for all)."""
    import dask

    from sketch.distributed import sketch_dask

    A, _ = data
    ops = [op(24, 1200, seed=3) for op in (Gaussian, Rademacher, CountSketch, SparseSign, SRHT)]
    X = da.from_array(A, chunks=(250, 2))  # column chunks are merged: rows are the unit
    lazy = [sketch_dask(S, X) for S in ops] + [sketch_dask(S, X[:, 1]) for S in ops]
    out = dask.compute(*lazy)
    assert len(client.scheduler_info()["workers"]) == 2
    for S, full, col in zip(ops, out[:5], out[5:]):
        np.testing.assert_allclose(full, S @ A, atol=1e-10)
        np.testing.assert_allclose(col, S @ A[:, 1], atol=1e-10)


def test_coordinated_partitions_merge_to_in_memory_sketch(client, data):
    import dask

    from sketch.distributed import coordinated_sketch_dask

    A, B = data
    keys = np.random.default_rng(1).permutation(10**6)[:1200]
    XA = da.from_array(A, chunks=(300, 4))
    XB = da.from_array(B, chunks=(400, 2))
    methods = ["priority", "threshold", "jl", "countsketch"]
    lazy = []
    for method in methods:
        lazy.append(coordinated_sketch_dask(XA, method, 40, seed=7, compute=False,
                                            keys=da.from_array(keys, chunks=500)))
        lazy.append(coordinated_sketch_dask(XB, method, 40, seed=7, keys=keys, compute=False))
    out = dask.compute(*lazy)
    for t, method in enumerate(methods):
        SA, SB = out[2 * t], out[2 * t + 1]
        ref = coordinated_sketch(A, method, 40, seed=7, keys=keys)
        if method in ("jl", "countsketch"):
            np.testing.assert_allclose(SA.data, ref.data, atol=1e-10)
        else:
            np.testing.assert_array_equal(SA.keys, ref.keys)
            np.testing.assert_allclose(SA.rows, ref.rows)
        est = estimate_product(SA, SB)
        exact = estimate_product(ref, coordinated_sketch(B, method, 40, seed=7, keys=keys))
        np.testing.assert_allclose(est.value, exact.value, rtol=1e-9, atol=1e-9)


def test_sketched_lstsq_larger_than_one_chunk(client):
    from sketch.distributed import sketched_lstsq_dask

    rng = np.random.default_rng(2)
    An = rng.standard_normal((8_000, 5))
    x = np.arange(1.0, 6.0)
    bn = An @ x + 0.01 * rng.standard_normal(8_000)
    A, b = da.from_array(An, chunks=(1_000, 5)), da.from_array(bn, chunks=1_000)
    xh = sketched_lstsq_dask(A, b, 400, sketch="countsketch", seed=0)
    exact = np.linalg.lstsq(An, bn, rcond=None)[0]
    # Residual within (1+ε)/(1−ε) of optimal ⇒ ‖x̂ − x*‖ small on a well-conditioned A.
    assert np.linalg.norm(xh - exact) < 0.01


def test_bad_input(data):
    from sketch.distributed import coordinated_sketch_dask, sketch_dask

    A, _ = data
    with pytest.raises(TypeError, match="dask"):
        sketch_dask(Gaussian(4, 1200, seed=0), A)
    with pytest.raises(ShapeError):
        sketch_dask(Gaussian(4, 1000, seed=0), da.from_array(A, chunks=300))
    with pytest.raises(ShapeError):
        coordinated_sketch_dask(da.from_array(A, chunks=300), "priority", 5, seed=0,
                                keys=np.arange(10))
    with pytest.raises(ValueError, match="unknown method"):
        coordinated_sketch_dask(da.from_array(A, chunks=300), "bogus", 5, seed=0)
    with pytest.raises(ValueError, match="repeat"):
        coordinated_sketch_dask(da.from_array(A, chunks=300), "priority", 5, seed=0,
                                keys=np.zeros(1200, dtype=np.int64))


@pytest.mark.gpu
def test_cupy_chunks_stay_on_gpu(cupy, data):
    from sketch.distributed import coordinated_sketch_dask, sketch_dask

    A, _ = data
    X = da.from_array(cupy.asarray(A), chunks=(300, 4), asarray=False)
    S = Gaussian(16, 1200, seed=1)
    out = sketch_dask(S, X).compute(scheduler="synchronous")
    assert isinstance(out, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(out), S @ A, rtol=1e-9, atol=1e-9)
    sk = coordinated_sketch_dask(X, "priority", 20, seed=1)
    assert isinstance(sk.rows, cupy.ndarray)


# -- issue 19: the library's solvers on Dask arrays -------------------------------------

UNEVEN = (700, 1900, 1100, 2300)  # 6000 rows in four chunks of different sizes


@pytest.fixture(scope="module")
def ill():
    """A 6000 × 20 least-squares problem with κ(A) = 1e6 and a large residual."""
    rng = np.random.default_rng(5)
    U, _ = np.linalg.qr(rng.standard_normal((6000, 20)))
    V, _ = np.linalg.qr(rng.standard_normal((20, 20)))
    A = (U * np.logspace(0, -6, 20)) @ V.T
    b = A @ rng.standard_normal(20) + rng.standard_normal(6000)
    return A, b


def _rel(x, y):
    return float(np.linalg.norm(x - y) / np.linalg.norm(y))


def test_sketch_single_chunk_is_bitwise(client, data):
    """One chunk: the distributed sketch is the in-memory product, bit for bit."""
    import dask

    from sketch.distributed import sketch_dask

    A, _ = data
    ops = [op(24, 1200, seed=3) for op in (Gaussian, Rademacher, CountSketch, SparseSign)]
    out = dask.compute(*[sketch_dask(S, da.from_array(A, chunks=-1)) for S in ops])
    for S, got in zip(ops, out):
        np.testing.assert_array_equal(got, S @ A)


def test_lstsq_equals_in_memory(client, ill):
    """FOSSILS on Dask: bitwise on one chunk, within the forward-error bounds on uneven ones."""
    from sketch import lstsq
    from sketch.distributed.lstsq import OVERSAMPLING

    A, b = ill
    s = OVERSAMPLING * 20  # the Dask default, larger than in memory (passes cost more)
    ref = lstsq(A, b, seed=7, sketch_size=s)
    one = lstsq(da.from_array(A, chunks=-1), da.from_array(b, chunks=-1), seed=7)
    assert one.sketch_size == s
    np.testing.assert_array_equal(one.x, ref.x)
    res = lstsq(da.from_array(A, chunks=(UNEVEN, 20)), da.from_array(b, chunks=(UNEVEN,)),
                seed=7)
    assert res.method == "fossils" and res.converged and res.backward_error <= 8 * res.tol
    assert _rel(res.x, ref.x) <= res.forward_error_bound + ref.forward_error_bound
    exact = np.linalg.lstsq(A, b, rcond=None)[0]  # LAPACK, in memory
    assert _rel(res.x, exact) <= res.forward_error_bound + 1e-9
    assert res.residual_norm == pytest.approx(np.linalg.norm(b - A @ exact), rel=1e-12)


def test_lstsq_ridge_several_rhs_and_in_memory_b(client, ill):
    from sketch import lstsq

    A, b = ill
    B = np.stack([b, A[:, 0] - 2 * b], axis=1)
    X = da.from_array(A, chunks=(UNEVEN, 20))
    ridge = lstsq(X, da.from_array(b, chunks=1000), alpha=1e-4, seed=1)  # b chunked otherwise
    ref = lstsq(A, b, alpha=1e-4, seed=1, sketch_size=ridge.sketch_size)
    assert ridge.converged and _rel(ridge.x, ref.x) <= 1e-12  # ridge is well conditioned
    multi = lstsq(X, B, seed=2)  # b in memory: chunked like A's rows
    exact = np.linalg.lstsq(A, B, rcond=None)[0]
    assert multi.converged
    for j in range(2):
        assert _rel(multi.x[:, j], exact[:, j]) <= multi.forward_error_bound[j] + 1e-9


def test_lstsq_dask_bad_input(ill):
    import dask

    from sketch import lstsq
    from sketch.errors import NonFiniteError

    A, b = ill
    X, y = da.from_array(A, chunks=3000), da.from_array(b, chunks=3000)
    with dask.config.set(scheduler="synchronous"):
        with pytest.raises(ValueError, match="needs A in memory"):
            lstsq(X, y, method="direct")
        with pytest.raises(ShapeError, match="rows"):
            lstsq(X, y[:-1])
        with pytest.raises(TypeError, match="dtype"):
            lstsq(X.astype(int), y)
        bad = A.copy()
        bad[4321, 3] = np.nan
        with pytest.raises(NonFiniteError, match="A holds NaN"):
            lstsq(da.from_array(bad, chunks=3000), y)


@pytest.mark.parametrize("gram", [True, False], ids=["gram", "steps"])
def test_lowrank_equals_in_memory(client, monkeypatch, gram):
    """Randomized SVD / block Krylov / Nyström on Dask: the in-memory factors.

    Block Krylov (randomized_svd's default) keeps its basis on the client
    (sketch.distributed.krylov): the same Krylov spaces and steps, with the
    products from AᴴA gathered once (``gram``: 3 passes, two reads of A) or one
    read of A per step (``steps``: the in-memory passes; the final Rayleigh–Ritz
    reuses the AV kept on the workers); power_iters (HMT) too.
    """
    import sketch.distributed.krylov as schedule
    from sketch import block_krylov_svd, nystrom, randomized_svd

    monkeypatch.setattr(schedule, "_GRAM_WIDTH", 10 if gram else 0)
    rng = np.random.default_rng(3)
    A = rng.standard_normal((6000, 60)) * 0.8 ** np.arange(60)
    X = da.from_array(A, chunks=(UNEVEN, 60))
    # Passes in A's precision on both sides (in memory a float64 A may be multiplied in float32).
    full = {"mixed_precision": False}
    for fn, kw in ((block_krylov_svd, full), (block_krylov_svd, {"krylov_iters": 3}),
                   (randomized_svd, {"power_iters": 2, **full})):
        got, ref = fn(X, 8, seed=4, **kw), fn(A, 8, seed=4, **kw)
        krylov = fn is block_krylov_svd
        assert got.passes == (3 if gram and krylov else ref.passes)
        assert got.iterations == ref.iterations
        assert got.converged
        np.testing.assert_allclose(got.s, ref.s, rtol=1e-12)
        U = got.U.compute()  # a Dask array, chunked like A's rows
        np.testing.assert_allclose(U.T @ U, np.eye(8), atol=1e-12)
        np.testing.assert_allclose(np.abs(U.T @ ref.U), np.eye(8), atol=1e-8)
        assert got.error_estimate == pytest.approx(ref.error_estimate, rel=1e-8)
    C = A[:300].T @ A[:300]  # 60 × 60 PSD, row-chunked unevenly, and as a single chunk
    ref = nystrom(C, 5, seed=2)
    for chunks in (((25, 35), 60), -1):
        got = nystrom(da.from_array(C, chunks=chunks), 5, seed=2)
        np.testing.assert_allclose(got.w, ref.w, rtol=1e-12)
        np.testing.assert_allclose(np.abs(got.V.T @ ref.V), np.eye(5), atol=1e-8)
    got = block_krylov_svd(da.from_array(A, chunks=-1), 8, seed=4, **full)  # one chunk
    np.testing.assert_allclose(got.s, block_krylov_svd(A, 8, seed=4, **full).s, rtol=1e-12)


@pytest.mark.parametrize("gram", [True, False], ids=["gram", "steps"])
def test_krylov_basis_on_client(client, monkeypatch, gram):
    """The Dask block Krylov schedules: one gather per step (``steps``) or two in all
    (``gram``: AᴴA, then the Rayleigh–Ritz), float32 passes by default, steep and
    rank-deficient A."""
    import sketch.distributed.krylov as schedule
    from sketch import block_krylov_svd, randomized_svd

    monkeypatch.setattr(schedule, "_GRAM_WIDTH", 10 if gram else 0)
    calls = []
    gather = schedule.gather
    monkeypatch.setattr(schedule, "gather", lambda *v: calls.append(len(v)) or gather(*v))
    monkeypatch.setattr(schedule, "_SLAB", 500)  # blocks of 700 to 2300 rows: several slabs

    rng = np.random.default_rng(5)
    G = rng.standard_normal((6000, 80))

    def err(A, r):  # ‖A − UΣVᴴ‖₂ from the factors (U gathered)
        U = r.U.compute() if hasattr(r.U, "compute") else r.U
        return np.linalg.norm(A - (U * r.s) @ r.Vh, 2)

    A = G / np.arange(1, 81)  # slow decay, σ₁/σ₁₁ ≈ 11: float32 passes resolve ε = 1e-2
    X = da.from_array(A, chunks=(UNEVEN, 80)).persist()
    with distributed.get_task_stream(client) as stream:
        res = block_krylov_svd(X, 10, krylov_iters=2, seed=0)
    names = [t["key"][0] if isinstance(t["key"], tuple) else t["key"] for t in stream.data]
    if gram:  # AᴴA, then the Cholesky QR of A(VX): two reads of A
        assert len(calls) == 2 and res.passes == 3
        assert sum("gram_block" in name for name in names) == len(UNEVEN)
    else:  # first, 2 steps, the Cholesky QR of (AV)X: no pass beyond the in-memory ones
        assert len(calls) == 1 + 2 + 1 and res.passes == 2 * 2 + 2
        # and every block's step runs once (graph fusion once ran it a second time for AV)
        assert sum("step_block" in name for name in names) == 3 * len(UNEVEN)
    got = randomized_svd(da.from_array(A, chunks=(UNEVEN, 80)), 10, seed=0)
    sv = np.linalg.svd(A, compute_uv=False)
    assert got.pass_dtype == "float32" and got.converged
    assert err(A, got) <= 1.01 * sv[10]
    U = got.U.compute()  # the Rayleigh–Ritz ran in float64: U orthonormal to rounding
    np.testing.assert_allclose(U.T @ U, np.eye(10), atol=1e-12)
    ref = randomized_svd(A, 10, seed=0)  # the same steps as in memory, and max_passes
    assert got.iterations == ref.iterations >= 2  # ends the run at the same step
    with pytest.warns(ConvergenceWarning):
        short = randomized_svd(X, 10, seed=0, max_passes=2 * ref.iterations)
    assert short.iterations == ref.iterations - 1 and not short.converged
    # σ₁/σₖ = 3e4: Ritz values agree with in memory to about u·(σ₁/σₖ)², the error to rounding.
    A = G * 0.3 ** np.arange(80)
    got, ref = (randomized_svd(M, 10, seed=1, mixed_precision=False)
                for M in (da.from_array(A, chunks=(UNEVEN, 80)), A))
    np.testing.assert_allclose(got.s, ref.s, rtol=1e-6)
    assert err(A, got) == pytest.approx(err(A, ref), rel=1e-6)
    # σ₁/σₖ₊₁ = 3e11: the client's Gram matrices cannot resolve σₖ₊₁ (their rounding,
    # u·σ₁², is above σₖ₊₁²), so the Rayleigh–Ritz runs on A (it once returned 11.6·σₖ₊₁).
    A = G[:, :60] * 10.0 ** (-np.arange(1, 61) / 2)
    got = randomized_svd(da.from_array(A, chunks=(UNEVEN, 60)), 20, seed=1)
    assert err(A, got) <= 1.01 * np.linalg.svd(A, compute_uv=False)[20]
    # rank 3 < k = 5, and complex data
    A = G[:, :3] @ rng.standard_normal((3, 80))
    got = randomized_svd(da.from_array(A, chunks=(UNEVEN, 80)), 5, seed=2)
    np.testing.assert_allclose(got.s[:3], np.linalg.svd(A, compute_uv=False)[:3], rtol=1e-12)
    assert got.converged and np.all(got.s[3:] <= 1e-12 * got.s[0])
    A = G[:, :40] + 1j * G[:, 40:]
    got, ref = (randomized_svd(M, 5, seed=3, mixed_precision=False)
                for M in (da.from_array(A, chunks=(UNEVEN, 40)), A))
    np.testing.assert_allclose(got.s, ref.s, rtol=1e-12)


def test_leverage_and_sampling_equal_in_memory(client):
    from sketch import leverage_sample, leverage_scores, ridge_leverage_scores

    rng = np.random.default_rng(8)
    A = rng.standard_normal((6000, 5))
    A[:40] *= 50  # a few high-leverage rows
    X = da.from_array(A, chunks=(UNEVEN, 5))
    for method in ("exact", "approx"):
        lev = leverage_scores(X, method=method, seed=1)
        assert lev.chunks[0] == UNEVEN
        np.testing.assert_allclose(lev.compute(), leverage_scores(A, method=method, seed=1),
                                   rtol=1e-10, atol=1e-14)
        got, ref = leverage_sample(X, method=method, seed=2), leverage_sample(A, method=method,
                                                                             seed=2)
        np.testing.assert_array_equal(got.indices, ref.indices)
        np.testing.assert_allclose(got.weights, ref.weights, rtol=1e-10)
        np.testing.assert_allclose(got.apply(X).compute(), ref.apply(A), rtol=1e-10)
        # ridge: λ = 1e5 is of the size of σᵢ(A)² (0.7e5 to 1.6e5), so d_λ ≈ 2.6 of 5
        ridge = ridge_leverage_scores(X, 1e5, method=method, seed=3)
        assert ridge.chunks[0] == UNEVEN
        np.testing.assert_allclose(ridge.compute(),
                                   ridge_leverage_scores(A, 1e5, method=method, seed=3),
                                   rtol=1e-10, atol=1e-14)


@pytest.mark.gpu
def test_cupy_chunks_lstsq_svd_leverage(cupy, ill):
    import dask

    from sketch import leverage_scores, lstsq, randomized_svd

    A, b = ill
    X = da.from_array(cupy.asarray(A), chunks=(UNEVEN, 20), asarray=False)
    y = da.from_array(cupy.asarray(b), chunks=(UNEVEN,), asarray=False)
    with dask.config.set(scheduler="synchronous"):
        res = lstsq(X, y, seed=7)
        svd = randomized_svd(X, 5, seed=0)
        lev = leverage_scores(X).compute()
    assert isinstance(res.x, cupy.ndarray) and res.converged
    ref = lstsq(A, b, seed=7)
    assert _rel(cupy.asnumpy(res.x), ref.x) <= res.forward_error_bound + ref.forward_error_bound
    assert isinstance(svd.s, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(svd.s), randomized_svd(A, 5, seed=0).s, rtol=1e-10)
    assert isinstance(lev, cupy.ndarray)
