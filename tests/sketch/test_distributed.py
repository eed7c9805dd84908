"""Sketches of dask arrays on a local dask.distributed cluster of two worker processes."""

from __future__ import annotations

import os
import pathlib

import numpy as np
import pytest

from sketch.coordinated import coordinated_sketch, estimate_product
from sketch.errors import ShapeError
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

    import sketch.distributed  # noqa: F401 - imported before forking, so workers start warm

    # Forked workers inherit the imported modules: seconds less start-up per worker than spawn.
    with dask.config.set({"distributed.worker.multiprocessing-method": "fork"}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=50)
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
