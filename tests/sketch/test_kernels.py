"""The host kernels' machinery (issue 20): reused work buffers, the SRHT's column blocks, the
Hadamard signs and the one-read finiteness screen of results."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import sketch.kernels as kernels
import sketch.operators as ops
import sketch.srht_kernel as srht_kernel
from sketch.checks import all_finite


def test_scratch_buffers_are_reused_and_never_shared(monkeypatch):
    monkeypatch.setattr(kernels, "_spare", [])
    monkeypatch.setattr(kernels, "_threads", 2)
    with kernels._Scratch() as first:
        W, T, Y = first.take(np.float64, (1000, 0, 37))
        assert W.size == 1000 and T.size == 0 and Y.size == 37
        assert W.ctypes.data % 64 == 0 and Y.ctypes.data % 64 == 0  # each on a cache line
        buffer = first.taken[0]
        # a concurrent call gets a buffer of its own
        with kernels._Scratch() as other:
            other.take(np.float64, (1000,))
            assert other.taken[0] is not buffer
    # both went back; a later call (a smaller need) reuses one, and the list stays bounded
    assert len(kernels._spare) == 2
    returned = list(kernels._spare)
    assert any(b is buffer for b in returned)
    with kernels._Scratch() as later:
        later.take(np.float32, (10,))
        assert any(later.taken[0] is b for b in returned)
        assert len(kernels._spare) == 1
    for _ in range(3):
        with kernels._Scratch() as s1, kernels._Scratch() as s2, kernels._Scratch() as s3:
            for s in (s1, s2, s3):
                s.take(np.float64, (5000,))
    assert len(kernels._spare) == 2  # at most threads() kept


def test_srht_same_bits_when_buffers_are_reused_across_calls_and_threads(monkeypatch):
    # Reused buffers hold the previous call's numbers: every entry the kernel reads it
    # writes first, so a call gives the same bits on fresh or reused buffers, also with
    # two calls at once from two threads.
    m, n, s = 900, 23, 48
    A = np.random.default_rng(0).standard_normal((m, n))
    B = np.random.default_rng(1).standard_normal((m, n // 2))
    monkeypatch.setattr(srht_kernel, "SRHT_BLOCK_ENTRIES", 4 * 1024)  # several blocks
    monkeypatch.setattr(kernels, "_spare", [])
    ref = ops.SRHT(s, m, seed=3) @ A
    ref_b = ops.SRHT(s, m, seed=3) @ B
    assert kernels._spare  # kept for the next call
    np.testing.assert_array_equal(ops.SRHT(s, m, seed=3) @ A, ref)
    results: dict[int, np.ndarray] = {}

    def call(i: int) -> None:
        results[i] = ops.SRHT(s, m, seed=3) @ (A if i % 2 == 0 else B)

    workers = [threading.Thread(target=call, args=(i,)) for i in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for i, out in results.items():
        np.testing.assert_array_equal(out, ref if i % 2 == 0 else ref_b)


def test_srht_block_count_rule(monkeypatch):
    # The fewest blocks under the buffer cap, a multiple of 4 where that is over one.
    monkeypatch.setattr(srht_kernel.os, "cpu_count", lambda: 2)
    assert srht_kernel.srht_blocks(1000, 100096) == 4  # 3 fit 2**25 entries
    assert srht_kernel.srht_blocks(13, 1024) == 1
    monkeypatch.setattr(srht_kernel, "SRHT_BLOCK_ENTRIES", 5 * 1024)
    assert srht_kernel.srht_blocks(13, 1024) == 4  # 3 needed
    assert srht_kernel.srht_blocks(3, 1024) == 1
    monkeypatch.setattr(srht_kernel, "SRHT_BLOCK_ENTRIES", 1024)
    assert srht_kernel.srht_blocks(3, 1024) == 3  # one column a block, at most n blocks
    assert srht_kernel.srht_blocks(9, 1024) == 9
    # at least one block per CPU of the machine while blocks keep 32 columns
    monkeypatch.setattr(srht_kernel, "SRHT_BLOCK_ENTRIES", 1 << 25)
    monkeypatch.setattr(srht_kernel.os, "cpu_count", lambda: 64)
    assert srht_kernel.srht_blocks(1000, 100096) == 32  # 31 of 32 columns, then a multiple of 4
    assert srht_kernel.srht_blocks(4000, 100096) == 64
    assert srht_kernel.srht_blocks(40, 100096) == 1
    monkeypatch.setattr(kernels, "_threads", 64)
    S = ops.SRHT(4000, 100000, seed=0)  # 32 blocks: 32 threads' buffers counted, not 64
    assert S._workspace_bytes(1000, 8) < 2.0 * 4000 * 1000 * 8 + 4e8 + 2.0 * 33 * 131072 * 32 * 8


@pytest.mark.parametrize("top", [1, 255, 256, 65536, 1 << 40])
def test_hadamard_signs_in_every_index_width(top):
    # the parity is folded in the narrowest unsigned type holding the indices
    rng = np.random.default_rng(2)
    rows = np.append(rng.integers(0, top + 1, 30), top)
    cols = np.append(rng.integers(0, top + 1, 20), top)
    parity = np.array([[bin(int(r) & int(c)).count("1") & 1 for c in cols] for r in rows])
    np.testing.assert_array_equal(srht_kernel.hadamard_signs(rows, cols, np.float32),
                                  (1 - 2 * parity).astype(np.float32))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_all_finite(dtype):
    x = np.ones((7, 5), dtype=dtype)
    assert all_finite(x) and all_finite(x[:, ::2])
    big = np.full((3, 3), np.finfo(np.dtype(dtype).char.lower()).max / 2, dtype=dtype)
    assert all_finite(big)  # the sum overflows: each entry is tested instead
    for bad in (np.nan, np.inf, -np.inf):
        y = x.copy()
        y[4, 2] = bad
        assert not all_finite(y)
    if np.dtype(dtype).kind == "c":
        y = x.copy()
        y[1, 1] = complex(1, np.inf)
        assert not all_finite(y)


def test_huge_finite_input_is_not_refused():
    # The result's sum of squares overflows; the entries are finite: no NonFiniteError.
    A = np.full((60, 3), 1e200)
    out = ops.CountSketch(5, 60, seed=0) @ A
    assert np.isfinite(out).all()


def test_release_buffers_frees_what_calls_kept(monkeypatch):
    monkeypatch.setattr(kernels, "_spare", [])
    with kernels._Scratch() as call:
        call.take(np.float64, (4096,))
    assert kernels.release_buffers() >= 4096 * 8
    assert kernels._spare == [] and kernels.release_buffers() == 0
