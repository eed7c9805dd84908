"""The fused passes over A of the least-squares refinement (sketch.lstsq_products):
equal to the two-pass products to rounding, and the same bits on any number of threads."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from sketch import kernels, lstsq
from sketch import lstsq_products as lp


def _problem(m, n, dtype, k=None, seed=0):
    rng = np.random.default_rng(seed)
    shape = (n,) if k is None else (n, k)

    def draw(*s):
        x = rng.standard_normal(s)
        return x + 1j * rng.standard_normal(s) if np.dtype(dtype).kind == "c" else x

    return (draw(m, n).astype(dtype), draw(*shape).astype(dtype),
            draw(m, *shape[1:]).astype(dtype))


@pytest.fixture
def small_blocks(monkeypatch):
    """Row blocks of 2 KB, so that a small A spans many blocks."""
    monkeypatch.setattr(lp, "_BLOCK_BYTES", 2048)


@pytest.fixture
def thread_setting():
    previous = kernels.set_threads(None)
    yield
    kernels.set_threads(previous)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
@pytest.mark.parametrize("k", [None, 3])
def test_fused_pass_equals_two_passes(dtype, k, small_blocks):
    A, w, b = _problem(1000, 17, dtype, k)
    r, g = lp.residual_pair(A, w, b, np)
    r2 = b - A @ w
    u = np.finfo(dtype).eps
    scale = np.abs(A).max() * np.abs(w).max() * 17
    assert np.abs(r - r2).max() <= 20 * u * scale
    assert np.abs(g - A.conj().T @ r2).max() <= 20 * u * scale * np.abs(r2).max() * 1000 ** 0.5
    gram = lp.gram_product(A, w, np)
    assert np.abs(gram - A.conj().T @ (A @ w)).max() <= 20 * u * scale ** 2 * 1000 ** 0.5


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("k", [None, 2])
def test_same_bits_for_any_thread_count(dtype, k, small_blocks, thread_setting):
    A, w, b = _problem(3001, 13, dtype, k)  # 3001 / 9 rows a block: 334 blocks, the last short
    out = {}
    for blas in (1, 2):
        with threadpool_limits(blas):
            for ours in (1, 2, 3):
                kernels.set_threads(ours)
                out[blas, ours] = (*lp.residual_pair(A, w, b, np), lp.gram_product(A, w, np))
    first = out[1, 1]
    for key, got in out.items():
        assert all(np.array_equal(x, y) for x, y in zip(got, first)), key


def test_pass_uses_the_threads_blas_may_use(small_blocks, thread_setting, monkeypatch):
    spans = []
    run = kernels._run_kept
    monkeypatch.setattr(kernels, "_run_kept", lambda fn, items: spans.append(items) or
                        run(fn, items))
    A, w, b = _problem(400, 5, np.float64)
    kernels.set_threads(2)
    with threadpool_limits(1):
        assert lp.pass_threads(50) == 1
        lp.residual_pair(A, w, b, np)
    with threadpool_limits(2):
        assert lp.pass_threads(50) == min(2, kernels.blas_threads())
        assert lp.pass_threads(1) == 1
    kernels.set_threads(1)
    with threadpool_limits(2):
        assert lp.pass_threads(50) == 1
    assert len(spans[0]) == 1 and spans[0][0] == (0, 7)  # 64-row blocks at least: 7, one thread


def test_kept_pool_is_reused_and_remade(thread_setting, monkeypatch):
    monkeypatch.setattr(kernels, "_kept", None)
    kernels.set_threads(2)
    assert kernels._run_kept(lambda x: x * x, [1, 2, 3]) == [1, 4, 9]
    pool = kernels._kept[0]
    kernels._run_kept(abs, [-1, -2])
    assert kernels._kept[0] is pool  # kept between calls
    kernels.set_threads(3)
    kernels._run_kept(abs, [-1, -2])
    assert kernels._kept[0] is not pool and kernels._kept[1] == 2  # more workers asked
    pool = kernels._kept[0]
    monkeypatch.setattr(kernels, "_kept", (pool, 2, -1))  # made in another process
    kernels._run_kept(abs, [-1, -2])
    assert kernels._kept[0] is not pool


def test_lstsq_same_bits_on_one_or_two_threads(thread_setting, monkeypatch):
    monkeypatch.setattr(lp, "_BLOCK_BYTES", 64 << 10)  # 8000 × 100: 100 blocks
    rng = np.random.default_rng(4)
    A = rng.standard_normal((8000, 100)) * np.logspace(0, -8, 100)
    b = rng.standard_normal(8000)
    runs = []
    for blas in (1, 2):  # the sketch-sized work runs on one BLAS thread either way
        with threadpool_limits(blas):
            for ours in (1, 2):
                kernels.set_threads(ours)
                # the default sketch named: on two BLAS threads the size rule would factor
                # this A itself (sketch.lstsq_solvers.sketching_pays)
                runs.append(lstsq(A, b, "fossils", sketch="sparse-sign", seed=0))
    assert all(r.iterations == runs[0].iterations > 0 for r in runs)
    assert all(np.array_equal(r.x, runs[0].x) for r in runs)


def test_serial_blas_keeps_the_callers_threads_for_the_pass(thread_setting):
    kernels.set_threads(2)
    with threadpool_limits(2):
        outside = kernels.blas_threads()
        with kernels.serial_blas():
            assert kernels.blas_threads() == 1  # the small dense work
            assert kernels.caller_blas_threads() == outside
            assert lp.pass_threads(50) == min(2, outside)  # the pass over A
            with kernels.serial_blas():  # nested: nothing more
                assert kernels.caller_blas_threads() == outside
            assert kernels.blas_threads() == 1
        assert kernels.blas_threads() == outside
        assert kernels.caller_blas_threads() == outside
    with threadpool_limits(1), kernels.serial_blas():
        assert lp.pass_threads(50) == 1  # a caller's limit still holds
