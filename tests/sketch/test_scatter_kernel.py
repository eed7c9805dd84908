"""The compiled scatter of CountSketch and sparse sign: the bits of SciPy's CSC product."""

import numpy as np
import pytest

from sketch import kernels, scatter_kernel
from sketch.operators import make_operator


def _nonzeros(S, dtype):
    Sc = S._columns(0, S.m, np, np.dtype(dtype))
    k = Sc.nnz // S.m
    return Sc, Sc.indices.reshape(-1, k), Sc.data.reshape(-1, k)


@pytest.mark.parametrize("kind", ["countsketch", "sparse-sign"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_same_bits_for_any_strip_width_and_threads(kind, dtype, monkeypatch):
    # Every output entry is summed over ascending j from +0, y += v*x without FMA, whatever
    # the strips, the thread count and the split (columns or output rows): bitwise the
    # result of SciPy's CSC product (sparsetools, no FMA), the kernel qla used before.
    m, s, n = 700, 24, 37
    S = make_operator(kind, s, m, seed=7)
    big = np.random.default_rng(3).standard_normal((m, n + 5)).astype(dtype)
    Sc, rows, vals = _nonzeros(S, dtype)
    for name, A in (("C", np.ascontiguousarray(big[:, :n])), ("row-strided view", big[:, 3:3 + n])):
        ref = Sc @ np.ascontiguousarray(A)
        assert scatter_kernel.supported(A)
        for threads in (1, 2, 3):
            monkeypatch.setattr(kernels, "_threads", threads)
            for groups in ([(0, s)], kernels._ranges(s, threads), [(0, 1), (1, 20), (20, s)]):
                for width in (1, 8, 16, n - 1, n, None):
                    out = scatter_kernel.scatter(rows, vals, A, s, groups, width)
                    assert out.flags.c_contiguous
                    np.testing.assert_array_equal(
                        out, ref, err_msg=f"{name} threads={threads} {groups} width={width}")


@pytest.mark.parametrize("kind", ["countsketch", "sparse-sign"])
def test_operator_bits_do_not_depend_on_threads(kind, monkeypatch):
    # Through the operator: 1 and 2 threads, a vector, a one-row A, complex A (its real
    # view), all equal to the one-thread result and to SciPy's product.
    m, s = 300, 16
    S = make_operator(kind, s, m, seed=1)
    rng = np.random.default_rng(5)
    A = rng.standard_normal((m, 70))
    Z = (A + 1j * rng.standard_normal((m, 70))).astype(np.complex64)
    Sc = S._columns(0, m, np, np.float64)
    monkeypatch.setattr(kernels, "_threads", 1)
    one = S @ A, S @ A[:, 0], S @ Z
    np.testing.assert_array_equal(one[0], Sc @ A)
    np.testing.assert_array_equal(one[2].real, S @ np.ascontiguousarray(Z.real))
    np.testing.assert_array_equal(one[2].imag, S @ np.ascontiguousarray(Z.imag))
    monkeypatch.setattr(kernels, "_threads", 2)
    for a, b in zip(one, (S @ A, S @ A[:, 0], S @ Z)):
        np.testing.assert_array_equal(a, b)
    row = make_operator(kind, s, 1, seed=1)
    np.testing.assert_array_equal(row @ A[:1], row._columns(0, 1, np, np.float64) @ A[:1])


def test_strips_of_the_default_width_give_the_same_bits(monkeypatch):
    # s = 4000: the default strips (128 float64 / 256 float32 columns) are narrower than A,
    # with a last strip of another width; one and two threads.
    m, s, n = 300, 4000, 300
    S = make_operator("sparse-sign", s, m, seed=2)
    for dtype in (np.float64, np.float32):
        A = np.random.default_rng(4).standard_normal((m, n)).astype(dtype)
        Sc, rows, vals = _nonzeros(S, dtype)
        assert scatter_kernel.strip_width(s, n, rows.shape[1], A.itemsize) < n
        for threads in (1, 2):
            monkeypatch.setattr(kernels, "_threads", threads)
            out = scatter_kernel.scatter(rows, vals, A, s, kernels._ranges(s, threads))
            np.testing.assert_array_equal(out, Sc @ A, err_msg=f"{dtype} threads={threads}")


def test_strip_width_keeps_the_tile_in_cache():
    assert scatter_kernel.strip_width(4000, 1000, 1, 8) == 1000  # CountSketch: full rows
    w = scatter_kernel.strip_width(4000, 1000, 8, 8)
    assert w % 8 == 0 and 4000 * w * 8 <= scatter_kernel.TILE_BYTES
    # segments of A of 1 KB: 256-byte strips (an L2-sized tile) read A too slowly (issue 20)
    assert w * 8 >= 1024
    assert scatter_kernel.strip_width(4000, 1000, 8, 4) == 2 * w
    assert scatter_kernel.strip_width(10**6, 1000, 8, 8) == 8  # at least one cache line
    assert scatter_kernel.strip_width(64, 5, 8, 8) == 5


def test_supported_layouts():
    A = np.zeros((6, 4))
    assert scatter_kernel.supported(A) and scatter_kernel.supported(A[::2])
    assert not scatter_kernel.supported(np.asfortranarray(A))
    assert not scatter_kernel.supported(A[::-1])
    assert not scatter_kernel.supported(A[:, ::2])
    assert not scatter_kernel.supported(A.astype(np.complex128))
