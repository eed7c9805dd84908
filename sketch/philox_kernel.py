"""Compiled Philox4x64-10 for contiguous runs of words, several counters at once.

Philox4x64-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy
as 1, 2, 3", SC 2011) maps a 256-bit counter ``(x0, x1, x2, x3)`` and a 128-bit
key ``(k0, k1)`` to four 64-bit words by ten rounds of

    ``(x0, x1, x2, x3) <- (hi(M1·x2) ^ x1 ^ k0, lo(M1·x2), hi(M0·x0) ^ x3 ^ k1, lo(M0·x0))``

with the key bumped by the Weyl constants after each round. Word ``w`` of a
run is lane ``w mod 4`` of the block at counter ``w div 4`` (a 256-bit integer,
wrapping at ``2**256``): the order of ``numpy.random.Philox``, whose words these
are bit for bit (integers: any correct Philox gives the same bits), and the
definition of qla's stream (:mod:`sketch.rng`).

Why compiled: NumPy's Philox is scalar C behind a per-word buffer and a function
pointer per double, 5.6 ns a uniform double on the development machine (AMD EPYC,
Zen 4, one thread), most of the cost of a Gaussian sketch's entry (issue 20).
Here the blocks of a run are independent iterations of one loop, with the
64 × 64 → 128-bit products built from four 32 × 32 → 64-bit ones (the multipliers
are constants), which LLVM vectorises to AVX-512 ``vpmuludq`` over eight counters
at once: 1.9-2.0 ns a word on that machine (``python -m benchmarks stream``, its
``parts`` row; CPU time, one thread), about the throughput of its vector units
for this arithmetic (some 10 vector operations a word, two a cycle). A scalar
``mulx`` of 128-bit products took 3.2-3.8 ns a word, the same 32-bit products with
a 64-bit low product (``vpmullq``) 1.8-2.0, and a loop over rounds outside the loop
over counters 2.9 (prototypes, same machine, loaded).

The kernels release the GIL (``nogil``) and are compiled once per machine
(``cache=True``). The first call of a process imports numba and loads them from
its cache, about 0.4-0.5 s (with the Box–Muller kernel); with a cold cache, the
first Gaussian run compiled for 3.2 s and the first run of words for 1.3 s
(loaded machine; a third inlined copy of the ten rounds per kernel, for the
partial blocks, had doubled that).

Examples
--------
>>> import numpy as np
>>> key = np.array([7, 11], dtype=np.uint64)
>>> out = np.empty(6, dtype=np.uint64)
>>> words(key, 5, out)
>>> bool(np.array_equal(out, np.random.Philox(key=key, counter=0).random_raw(7)[1:]))
True
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Philox4x64 multipliers and Weyl key increments (Salmon et al. 2011, Random123).
_M0 = np.uint64(0xD2E7470EE14C6C93)
_M1 = np.uint64(0xCA5A826395121157)
_W0 = np.uint64(0x9E3779B97F4A7C15)
_W1 = np.uint64(0xBB67AE8584CAA73B)
_LOW32 = np.uint64(0xFFFFFFFF)
_32 = np.uint64(32)
_11 = np.uint64(11)
#: ``2**-53``: the word's top 53 bits over ``2**53`` is ``numpy.random.Generator.random``.
_ULP = 2.0**-53
_MASK64 = (1 << 64) - 1
_ZERO = np.uint64(0)


@njit(inline="always")
def _mulhilo(a, m):  # pragma: no cover - compiled
    """High and low words of the 128-bit ``a · m``, from 32-bit halves (vectorises)."""
    a_lo, a_hi = a & _LOW32, a >> _32
    m_lo, m_hi = m & _LOW32, m >> _32
    t = a_lo * m_lo
    u = a_hi * m_lo + (t >> _32)
    w = a_lo * m_hi + (u & _LOW32)
    return a_hi * m_hi + (u >> _32) + (w >> _32), (t & _LOW32) | (w << _32)


@njit(inline="always")
def _round(x0, x1, x2, x3, k0, k1):  # pragma: no cover - compiled
    hi0, lo0 = _mulhilo(x0, _M0)
    hi1, lo1 = _mulhilo(x2, _M1)
    return hi1 ^ x1 ^ k0, lo1, hi0 ^ x3 ^ k1, lo0


@njit(inline="always")
def _block(x0, x1, x2, x3, k0, k1):  # pragma: no cover - compiled
    """Philox4x64-10 of one counter, the ten rounds written out (a loop over them kept
    LLVM from vectorising the loop over counters around it)."""
    x0, x1, x2, x3 = _round(x0, x1, x2, x3, k0, k1)
    k0, k1 = k0 + _W0, k1 + _W1
    x0, x1, x2, x3 = _round(x0, x1, x2, x3, k0, k1)
    k0, k1 = k0 + _W0, k1 + _W1
    x0, x1, x2, x3 = _round(x0, x1, x2, x3, k0, k1)
    k0, k1 = k0 + _W0, k1 + _W1
    x0, x1, x2, x3 = _round(x0, x1, x2, x3, k0, k1)
    k0, k1 = k0 + _W0, k1 + _W1
    x0, x1, x2, x3 = _round(x0, x1, x2, x3, k0, k1)
    k0, k1 = k0 + _W0, k1 + _W1
    x0, x1, x2, x3 = _round(x0, x1, x2, x3, k0, k1)
    k0, k1 = k0 + _W0, k1 + _W1
    x0, x1, x2, x3 = _round(x0, x1, x2, x3, k0, k1)
    k0, k1 = k0 + _W0, k1 + _W1
    x0, x1, x2, x3 = _round(x0, x1, x2, x3, k0, k1)
    k0, k1 = k0 + _W0, k1 + _W1
    x0, x1, x2, x3 = _round(x0, x1, x2, x3, k0, k1)
    k0, k1 = k0 + _W0, k1 + _W1
    return _round(x0, x1, x2, x3, k0, k1)


@njit(nogil=True)
def _edge(x0, x1, x2, x3, k0, k1):  # pragma: no cover - compiled
    """:func:`_block` as a function of its own, for the partial blocks at a run's ends (the
    loops inline :func:`_block`; one more inlined copy per end doubled the compile time)."""
    return _block(x0, x1, x2, x3, k0, k1)


@njit(inline="always")
def _unit(w):  # pragma: no cover - compiled
    """``(w >> 11) · 2**-53``: NumPy's ``Generator.random`` of the word ``w`` (exact)."""
    return np.float64(w >> _11) * _ULP


@njit(nogil=True, cache=True)
def _words(k0, k1, c0, c1, c2, c3, lane, out):  # pragma: no cover - compiled
    """``out[i]`` = word ``lane + i`` of the blocks at counters ``(c0 + b, c1, c2, c3)``
    (``c0 + b`` must not wrap: the caller splits runs there)."""
    n = out.shape[0]
    i = 0
    if lane:
        i = min(n, 4 - lane)
        _tail(_edge(c0, c1, c2, c3, k0, k1), lane, out[:i])
        c0 += np.uint64(1)
    full = (n - i) >> 2
    body = out[i:i + 4 * full]
    for b in range(full):
        x0, x1, x2, x3 = _block(c0 + np.uint64(b), c1, c2, c3, k0, k1)
        body[4 * b] = x0
        body[4 * b + 1] = x1
        body[4 * b + 2] = x2
        body[4 * b + 3] = x3
    i += 4 * full
    if i < n:
        _tail(_edge(c0 + np.uint64(full), c1, c2, c3, k0, k1), 0, out[i:])


@njit(inline="always")
def _tail(lanes, lane, out):  # pragma: no cover - compiled
    """``out[t] = lanes[lane + t]``: part of one block."""
    for t in range(out.shape[0]):
        out[t] = lanes[lane + t]


@njit(nogil=True, cache=True)
def _pair_units(k0, k1, c0, c1, c2, c3, odd, a0, a1, v0, v1):  # pragma: no cover - compiled
    """``v0[i] = a0·u(2p)``, ``v1[i] = a1·u(2p + 1)`` for the pairs ``p`` of words of the
    blocks at counters ``(c0 + b, c1, c2, c3)``, starting with the block's second pair
    when ``odd`` (``c0 + b`` must not wrap)."""
    n = v0.shape[0]
    i = 0
    if odd and n > 0:
        x0, x1, x2, x3 = _edge(c0, c1, c2, c3, k0, k1)
        v0[0] = a0 * _unit(x2)
        v1[0] = a1 * _unit(x3)
        i = 1
        c0 += np.uint64(1)
    full = (n - i) >> 1
    b0, b1 = v0[i:i + 2 * full], v1[i:i + 2 * full]
    for b in range(full):
        x0, x1, x2, x3 = _block(c0 + np.uint64(b), c1, c2, c3, k0, k1)
        b0[2 * b] = a0 * _unit(x0)
        b1[2 * b] = a1 * _unit(x1)
        b0[2 * b + 1] = a0 * _unit(x2)
        b1[2 * b + 1] = a1 * _unit(x3)
    if (n - i) & 1:
        x0, x1, x2, x3 = _edge(c0 + np.uint64(full), c1, c2, c3, k0, k1)
        v0[n - 1] = a0 * _unit(x0)
        v1[n - 1] = a1 * _unit(x1)


def _spans(block: int, nblocks: int) -> list[tuple[int, int]]:
    """``(counter, blocks)`` pieces of ``nblocks`` blocks from the 256-bit ``block``, cut
    where the low word of the counter wraps (so that each piece's low word only counts up)."""
    block %= 1 << 256
    first = min(nblocks, (1 << 64) - (block & _MASK64))
    spans = [(block, first)]
    if first < nblocks:
        spans.append(((block + first) % (1 << 256), nblocks - first))
    return spans


def _counter(block: int) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64]:
    """The 256-bit ``block`` as its four 64-bit words, low first."""
    if block <= _MASK64:  # the stream's counters
        return np.uint64(block), _ZERO, _ZERO, _ZERO
    return (np.uint64(block & _MASK64), np.uint64((block >> 64) & _MASK64),
            np.uint64((block >> 128) & _MASK64), np.uint64(block >> 192))


def words(key: np.ndarray, start: int, out: np.ndarray) -> None:
    """Words ``start ... start + out.size - 1`` of Philox4x64-10 under the 128-bit ``key``
    (a uint64 array of two words, as ``numpy.random.Philox`` takes it) into the contiguous
    1-D uint64 ``out``.

    ``start`` is any integer in ``[0, 2**258)``: the block counter ``start div 4`` wraps
    around at ``2**256`` as NumPy's does.
    """
    k0, k1 = key
    lane = start & 3
    i = 0
    for block, nb in _spans(start >> 2, (lane + out.shape[0] + 3) >> 2):
        take = min(out.shape[0] - i, 4 * nb - lane)
        _words(k0, k1, *_counter(block), lane, out[i:i + take])
        i += take
        lane = 0


def pair_units(key: np.ndarray, first: int, v: np.ndarray, a0: float = 1.0,
               a1: float = 1.0) -> None:
    """``v[0, i] = a0·u(2p)`` and ``v[1, i] = a1·u(2p + 1)`` for the pairs
    ``p = first + i``, where ``u(w) = (word w >> 11) · 2**-53`` is the uniform double
    ``numpy.random.Generator.random`` makes of word ``w`` (one rounding in the product,
    none when ``a`` is ±1): the pairs of the Box–Muller transform, row by row.

    ``v`` is a ``(2, k)`` float64 array with contiguous rows.
    """
    k0, k1 = key
    odd = first & 1
    i = 0
    n = v.shape[1]
    for block, nb in _spans(first >> 1, (odd + n + 1) >> 1):
        take = min(n - i, 2 * nb - odd)
        _pair_units(k0, k1, *_counter(block), odd, a0, a1, v[0, i:i + take],
                    v[1, i:i + take])
        i += take
        odd = 0
