"""The host stream's Gaussians (compiled Philox, NumPy's log1p and tan, the compiled rest) are
the bits of the NumPy ufunc sequence qla's stream was defined with."""

import math

import numpy as np
import pytest

from sketch import box_muller_kernel, rng_host
from sketch.rng import STREAM_KEY_HI, as_key


def _numpy_pairs(key, first, npairs, scale, factor=None, dtype=np.float64):
    """The pairs as NumPy computed them before the compiled kernels (the reference): NumPy's
    Philox and Generator.random, then one ufunc per operation."""
    word = 2 * first
    gen = np.random.Generator(np.random.Philox(counter=((word >> 2) - 1) % 2**256, key=key))
    gen.random(word & 3)
    u = gen.random(2 * npairs).reshape(-1, 2).T.copy()  # contiguous rows: NumPy's SIMD loops
    r = np.sqrt(np.log1p(-u[0]) * -scale)
    t = np.tan(u[1] * math.pi)
    t2 = t * t
    q = r / (t2 + 1.0)
    z = np.stack([(1.0 - t2) * q, (t + t) * q], axis=1)
    if factor is None:
        return z
    return np.multiply(z, dtype(factor), dtype=dtype, casting="same_kind")


def _same_bits(a, b):
    return a.dtype == b.dtype and np.array_equal(a.view(np.uint8), b.view(np.uint8))


@pytest.mark.parametrize("pairs", [rng_host.PAIRS, 5, 8])
def test_host_pairs_are_the_numpy_sequences_bits(pairs, monkeypatch):
    monkeypatch.setattr(rng_host, "PAIRS", pairs)  # chunks, across their boundaries
    key = np.array([as_key(11).value, STREAM_KEY_HI], dtype=np.uint64)
    for first, npairs in ((0, 1), (1, 2), (3, 37), (2**40 + 1, 100), (0, 3 * 5 * 8 + 1)):
        for scale in (2.0, 1.0):
            assert _same_bits(rng_host.pairs(key, first, npairs, scale),
                              _numpy_pairs(key, first, npairs, scale)), (first, npairs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fill_normal_is_the_numpy_sequences_bits(dtype):
    key = np.array([as_key(12).value, STREAM_KEY_HI], dtype=np.uint64)
    for start, count in ((0, 1), (1, 1), (1, 8), (7, 40001), (2**41 + 2, 33)):
        for factor in (1.0, 0.3, -1 / 7**0.5):
            out = np.full(count, np.nan, dtype=dtype)
            rng_host.fill_normal(key, start, out, factor)
            first = start >> 1
            z = _numpy_pairs(key, first, ((start + count + 1) >> 1) - first, 2.0, factor, dtype)
            assert _same_bits(out, z.reshape(-1)[start & 1:(start & 1) + count]), (start, count)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_finish_is_the_ufuncs_bits_at_the_extremes(dtype):
    # u = 0 (r = 0), u just under 1 (the largest r), θ near π/2 (t huge), 0 and π/2 exactly
    # multiplied by the float π, and random values: each operation rounded once, as NumPy.
    rng = np.random.default_rng(2)
    u1 = np.concatenate([[0.0, 2.0**-53, 0.5, 1 - 2.0**-53, 1 - 2.0**-53], rng.random(997)])
    u2 = np.concatenate([[0.0, 0.5, 0.5 - 2.0**-53, 0.5 + 2.0**-53, 1 - 2.0**-53],
                         rng.random(997)])
    r, t = np.log1p(-u1), np.tan(u2 * math.pi)
    for scale, factor in ((2.0, 1.0), (1.0, 1e-3), (2.0, -3.5)):
        z = np.empty((r.size, 2), dtype=dtype)
        box_muller_kernel.finish(r, t, scale, z, factor)
        t2 = t * t
        q = np.sqrt(r * -scale) / (t2 + 1.0)
        ref = np.stack([(1.0 - t2) * q, (t + t) * q], axis=1)
        ref = np.multiply(ref, dtype(factor), dtype=dtype, casting="same_kind")
        assert _same_bits(z, ref), (scale, factor)
