"""Contiguous runs of the keyed stream on the host, written in place.

:mod:`sketch.rng` defines the stream (Philox4x64-10 words; normals by the pair
Box–Muller; signs from the top bit). This module evaluates a contiguous run of
it for the dense sketches, whose entries are such runs: the words by the
compiled Philox of :mod:`sketch.philox_kernel` (NumPy's ``numpy.random.Philox``
bit for bit, several counters at once), ``log1p`` and ``tan`` by NumPy's ufuncs,
and the rest of the Box–Muller (square root, products, division, the cast and
the factor) by :mod:`sketch.box_muller_kernel`, each operation rounded once as
NumPy's ufuncs round it. It computes exactly what :mod:`sketch.rng` computes
(the same operations on the same values, hence the same bits) but writes into
the caller's array and works in chunks of :data:`PAIRS` pairs whose
temporaries stay in the L2 cache, so a normal costs one Philox word and half a
``log1p``, ``tan``, ``sqrt`` and division, with no pass over memory beyond
writing the result.

Examples
--------
>>> import numpy as np
>>> from sketch.rng import as_key
>>> key = as_key(5)
>>> out = np.empty(7)
>>> key.fill_normal(3, out, 0.5)
>>> bool(np.array_equal(out, key.normal(range(3, 10)) * 0.5))
True
"""

from __future__ import annotations

import math

import numpy as np

#: Pairs per chunk of the Box–Muller transform (two doubles of temporaries per pair,
#: 512 KB: in L2). Each chunk is four calls (two compiled kernels, two ufuncs) whose
#: Python overhead, about 7 µs, holds the GIL. Measured for issue 20 with ``python -m
#: benchmarks stream --threads 1 2 --pairs 8192 16384 32768 65536 --repeat 9`` (2-core
#: machine shared with two other jobs, load 2.4-2.7; CPU ns per float64 entry, best of 9):
#: one thread 3.87 / 3.80 / 3.76 / 3.65 for 8192 / 16384 / 32768 / 65536 pairs, two
#: threads 4.33 / 4.19 / 4.22 / 4.22; NumPy's Philox and a dozen ufunc calls a chunk
#: (16384 pairs, before the compiled kernels) took 8.3-8.7 and 8.9-9.4.
PAIRS = 32768

_SIGN64 = np.uint64(1 << 63)
_SIGN32 = np.uint32(1 << 31)


def words(key: np.ndarray, start: int, count: int) -> np.ndarray:
    """The uint64 words ``start ... start + count - 1``."""
    from . import philox_kernel

    out = np.empty(count, dtype=np.uint64)
    philox_kernel.words(key, start, out)
    return out


def pairs(key: np.ndarray, first: int, npairs: int, scale: float) -> np.ndarray:
    """Box–Muller pairs ``first ... first + npairs - 1`` as an ``(npairs, 2)`` float64 array
    ``(r cos θ, r sin θ)`` with ``r = sqrt(-scale log(1 - v(2p)))``, ``θ = 2π v(2p+1)``."""
    z = np.empty((npairs, 2))
    _fill_pairs(key, first, z, scale)
    return z


def fill_normal(key: np.ndarray, start: int, out: np.ndarray, factor: float) -> None:
    """``out[k] = dtype(normal(start + k)) · factor`` (the product in ``out``'s dtype, as
    ``key.normal(range(...)).astype(out.dtype) * factor`` computes it) for a contiguous
    1-D float64 or float32 ``out``."""
    n = out.shape[0]
    off = start & 1
    npairs = (off + n + 1) >> 1
    if off == 0 and n % 2 == 0:
        _fill_pairs(key, start >> 1, out.reshape(npairs, 2), 2.0, factor)
        return
    z = np.empty((npairs, 2), dtype=out.dtype)
    _fill_pairs(key, start >> 1, z, 2.0, factor)
    out[...] = z.reshape(-1)[off:off + n]


def fill_signs(key: np.ndarray, start: int, out: np.ndarray, factor: float) -> None:
    """``out[k] = ±factor`` with the sign of word ``start + k``'s top bit (``-`` when set),
    in ``out``'s dtype (float64 or float32, contiguous 1-D): the bits of
    ``key.signs(range(...)).astype(out.dtype) * factor``, made by flipping the sign bit of
    ``factor`` where the word's top bit is set."""
    w = words(key, start, out.shape[0])
    np.bitwise_and(w, _SIGN64, out=w)
    if out.dtype == np.float64:
        bits = np.array(factor, dtype=np.float64).view(np.uint64)
        np.bitwise_xor(w, bits, out=out.view(np.uint64))
        return
    bits = np.array(factor, dtype=np.float32).view(np.uint32)
    np.right_shift(w, np.uint64(32), out=w)
    np.bitwise_xor(w, bits, out=out.view(np.uint32), casting="unsafe")


def _fill_pairs(key: np.ndarray, first: int, z: np.ndarray, scale: float,
                factor: float = 1.0) -> None:
    """Pairs ``first ...`` into the ``(npairs, 2)`` array ``z`` (times ``factor`` in z's
    dtype), :data:`PAIRS` at a time. The operations and their order are those of
    :func:`sketch.rng._box_muller` on :func:`sketch.rng._unit53` of the words: the
    compiled Philox writes ``-v(2p)`` and ``π v(2p+1)`` as two rows, NumPy takes their
    ``log1p`` and ``tan``, and the compiled rest (:mod:`sketch.box_muller_kernel`) writes
    the pairs into ``z``."""
    from . import box_muller_kernel, philox_kernel

    npairs = z.shape[0]
    v = np.empty((2, min(PAIRS, npairs)))
    for p0 in range(0, npairs, PAIRS):
        k = min(PAIRS, npairs - p0)
        r, t = v[0, :k], v[1, :k]
        philox_kernel.pair_units(key, first + p0, v[:, :k], -1.0, math.pi)
        np.log1p(r, out=r)
        np.tan(t, out=t)
        box_muller_kernel.finish(r, t, scale, z[p0:p0 + k], factor)
