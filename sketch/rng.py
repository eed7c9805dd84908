"""Keyed, counter-based random numbers that agree across NumPy, CuPy and torch.

Every random number in qla's sketches is a pure function of a 64-bit *key*
(derived from the user's ``seed``) and a 64-bit *counter* (e.g. the index of
a matrix entry or of a row id). The function is Philox4x64-10 (Salmon, Moraes,
Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC 2011): the
word at counter ``c`` is lane ``c mod 4`` of Philox4x64-10 applied to the
128-bit block counter ``(c div 4, 0, 0, 0)`` under the key ``(key, STREAM_KEY_HI)``.
It is evaluated two ways that give the same bits:

* elementwise, for any array of counters, with int64 array operations only
  (64×64→128-bit products from 32-bit halves), so it runs unchanged on NumPy,
  CuPy and torch (which lacks unsigned 64-bit arithmetic), CPU or GPU;
* for a contiguous run of counters (a ``range``, or an array that is one), by a
  compiled Philox on the host (:mod:`sketch.philox_kernel`, tested bit for bit
  against NumPy's ``numpy.random.Philox``; :mod:`sketch.rng_host` also writes runs
  of normals and signs in place: :meth:`Key.fill_normal`, :meth:`Key.fill_signs`),
  or by one elementwise evaluation per block of four words on a device.

Hence:

* the same seed gives the same bits on every backend, in any process;
* any block of a sketching operator can be generated without the rest, so a
  sketch can be applied block by block or partition by partition;
* two parties that never communicate draw the same value for the same key
  (coordinated sampling relies on this).

Uniforms, signs, integers and raw bits are bitwise identical across backends;
Gaussians (Box–Muller on the words ``2p`` and ``2p + 1`` of pair ``p``: counter
``2p`` takes ``r cos θ``, counter ``2p + 1`` takes ``r sin θ``) agree to rounding of
``log1p``/``tan``. Each library's own deterministic code is used, so the
same backend always returns the same bits.

Examples
--------
>>> import numpy as np
>>> key = as_key(42)
>>> u = key.uniform(np.arange(3))
>>> bool(np.all((u > 0) & (u < 1)))
True
>>> bool(np.array_equal(u, as_key(42).uniform(range(3))))
True
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import array_api_compat
import array_api_compat.numpy
import numpy as np

from . import rng_host

#: Version of the stream (key, counter) -> bits. Saved sketches record it, and sketches from
#: different versions refuse to be combined: a new generator changes every stream.
#: 1: SplitMix64 twice (qla <= 0.x); 2: Philox4x64-10 with the pair Box–Muller.
STREAM_VERSION = 2

#: The high word of Philox's 128-bit key (the low word is the user's key).
STREAM_KEY_HI = 0x716C612D726E6732  # "qla-rng2"

_MASK = (1 << 64) - 1
_M32 = (1 << 32) - 1
_M52 = (1 << 52) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
# Philox4x64 multipliers and Weyl key increments (Salmon et al. 2011, Random123).
_PHILOX_M0 = 0xD2E7470EE14C6C93
_PHILOX_M1 = 0xCA5A826395121157
_PHILOX_W0 = 0x9E3779B97F4A7C15
_PHILOX_W1 = 0xBB67AE8584CAA73B
_ROUNDS = 10
#: Counters per chunk of the elementwise Philox on the host (its temporaries stay in cache).
_HOST_CHUNK = 16384


def _mix_int(z: int) -> int:
    """SplitMix64 finaliser on a Python int (key derivation only, not the stream)."""
    z &= _MASK
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


def _signed(v: int) -> int:
    """The int64 whose bits are the 64-bit unsigned ``v``."""
    v &= _MASK
    return v - (1 << 64) if v >> 63 else v


def _label_int(label: str | int) -> int:
    if isinstance(label, int):
        return label & _MASK
    digest = hashlib.blake2b(label.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


# --------------------------------------------------------------------------
# Philox4x64-10 on int64 arrays (bit patterns; wrapping arithmetic)
# --------------------------------------------------------------------------


def _mulhilo(a: Any, m: int) -> tuple[Any, Any]:
    """High and low 64-bit words of ``a * m`` (``a`` int64 bits, ``m`` a 64-bit constant)."""
    m_lo, m_hi = m & _M32, m >> 32
    a_lo = a & _M32
    a_hi = (a >> 32) & _M32
    ll = a_lo * m_lo  # each partial product < 2**64: its bits are exact after wrapping
    lh = a_lo * m_hi
    hl = a_hi * m_lo
    mid = ((ll >> 32) & _M32) + (lh & _M32) + (hl & _M32)  # < 3 * 2**32: no overflow
    hi = a_hi * m_hi + ((lh >> 32) & _M32) + ((hl >> 32) & _M32) + (mid >> 32)
    return hi, a * _signed(m)


def _philox(block: Any, k0: int, k1: int) -> tuple[Any, Any, Any, Any]:
    """Philox4x64-10 of the counters ``(block, 0, 0, 0)``: four int64 word arrays."""
    c0, c1, c2, c3 = block, block & 0, block & 0, block & 0
    for r in range(_ROUNDS):
        hi0, lo0 = _mulhilo(c0, _PHILOX_M0)
        hi1, lo1 = _mulhilo(c2, _PHILOX_M1)
        rk0 = _signed(k0 + r * _PHILOX_W0)  # the key is bumped by a Weyl step each round
        rk1 = _signed(k1 + r * _PHILOX_W1)
        c0, c1, c2, c3 = hi1 ^ c1 ^ rk0, lo1, hi0 ^ c3 ^ rk1, lo0
    return c0, c1, c2, c3


def _select(lane: Any, words: tuple[Any, ...], xp: Any) -> Any:
    """``words[lane]`` elementwise."""
    out = words[-1]
    for i in range(len(words) - 2, -1, -1):
        out = xp.where(lane == i, words[i], out)
    return out


# --------------------------------------------------------------------------
# counters: arbitrary arrays, or contiguous runs
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Counters:
    """Counters to evaluate: ``flat`` int64 array (or ``start`` of a run), output shape."""

    xp: Any  # array-API namespace
    device: Any
    shape: tuple[int, ...]
    flat: Any = None  # int64 bit patterns; None for a run
    start: int = 0
    transposed: bool = False  # the run fills the output in column-major order
    host: bool = True  # NumPy, or torch on the CPU
    starts: Any = None  # 2-D counters whose columns are runs: each column's first counter

    def map(self, fn: Any) -> Any:
        """``fn(flat)`` evaluated in cache-sized chunks on the host (one call on a GPU).

        The elementwise Philox makes ~400 passes over its operands: chunks that stay in
        cache are 4-10× faster on the CPU than passes over the whole array.
        """
        n = self.flat.shape[0]
        if not self.host or n <= _HOST_CHUNK:
            return fn(self.flat)
        parts = [fn(self.flat[i:i + _HOST_CHUNK]) for i in range(0, n, _HOST_CHUNK)]
        return self.xp.concat(parts)

    def map_columns(self, fn: Any) -> Any:
        """``fn(starts)`` (an ``(rows, k)`` block per chunk of columns), chunked on the host."""
        n, step = self.starts.shape[0], max(1, _HOST_CHUNK // self.shape[0])
        if not self.host or n <= step:
            return fn(self.starts)
        return self.xp.concat([fn(self.starts[i:i + step]) for i in range(0, n, step)], axis=1)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def finish(self, flat: Any) -> Any:
        if self.transposed:
            return self.xp.permute_dims(self.xp.reshape(flat, self.shape[::-1]), (1, 0))
        return self.xp.reshape(flat, self.shape)


def _counters(counter: Any, xp: Any, device: Any) -> _Counters:
    from .backend import array_module, backend_name, compat
    from .budgets import check_allocation
    from .checks import check_counter

    check_counter(counter)
    if isinstance(counter, range):
        check_allocation(16 * len(counter), f"{len(counter)} random numbers",
                         xp=np if xp is None else xp, device=device,
                         fix="draw them in blocks (a range of counters at a time)")
        if counter.step != 1:
            counter = np.asarray(counter, dtype=np.int64)
        else:
            x = compat(np if xp is None else xp)
            return _Counters(x, device, (len(counter),), start=counter.start)
    if xp is None:
        xp = np if isinstance(counter, (int, np.integer)) else array_module(counter)
    x = compat(xp)
    c = x.asarray(counter, device=device) if not hasattr(counter, "shape") else counter
    shape = tuple(c.shape)
    if c.dtype != x.int64:
        c = x.astype(c, x.int64)  # uint64 → int64 keeps the bits
    flat = x.reshape(c, (-1,))
    host = backend_name(xp) == "numpy" or str(array_api_compat.device(c)) == "cpu"
    if host and flat.shape[0] > 1:
        # A contiguous run (e.g. a block of an operator) is generated 4 words per block.
        start = int(flat[0])
        if start >= 0 and _is_run(flat, x):
            return _Counters(x, array_api_compat.device(c), shape, start=start)
        if len(shape) == 2:
            flat_t = x.reshape(x.permute_dims(c, (1, 0)), (-1,))
            start = int(flat_t[0])
            if start >= 0 and _is_run(flat_t, x):
                return _Counters(x, array_api_compat.device(c), shape, start=start,
                                 transposed=True)
    if len(shape) == 2 and shape[0] >= 4 and bool(x.all(c[1:, :] - c[:-1, :] == 1)) and bool(
            x.all(c[0, :] >= 0)) and bool(x.all(c[-1, :] >= 0)):
        # Each column a run (keyed Gaussian columns, j·r + i): one Philox block gives four
        # neighbouring words, so the blocks are shared instead of recomputed per counter.
        return _Counters(x, array_api_compat.device(c), shape, flat=flat, host=host,
                         starts=c[0, :])
    return _Counters(x, array_api_compat.device(c), shape, flat=flat, host=host)


def _is_run(flat: Any, x: Any) -> bool:
    n = flat.shape[0]
    if int(flat[-1]) - int(flat[0]) != n - 1:
        return False
    return bool(x.all(flat[1:] - flat[:-1] == 1))


def _philox_key(key: int) -> np.ndarray:
    """The 128-bit Philox key of the stream under ``key``, as NumPy's Philox takes it."""
    return np.array([key, STREAM_KEY_HI], dtype=np.uint64)


def _run_words(key: int, start: int, count: int, x: Any, device: Any,
               compiled: bool = True) -> Any:
    """The words ``start ... start + count - 1`` as int64 bits.

    On the host (NumPy, or torch on the CPU, sharing the buffer) the compiled Philox
    (:mod:`sketch.philox_kernel`) computes them unless ``compiled`` is False (tests
    compare the two).
    """
    b0, off = start >> 2, start & 3
    nblocks = (off + count + 3) >> 2
    torch_cpu = x is not array_api_compat.numpy and str(device) == "cpu" and _is_torch(x)
    if compiled and (x is array_api_compat.numpy or torch_cpu):
        w = rng_host.words(_philox_key(key), start, count).view(np.int64)
        if torch_cpu:
            import torch

            return torch.from_numpy(w)
        return w
    blocks = x.arange(b0, b0 + nblocks, dtype=x.int64, device=device)
    words = x.stack(_philox(blocks, key, STREAM_KEY_HI), axis=1)
    return x.reshape(words, (-1,))[off:off + count]


def _column_words(key: int, starts: Any, first: int, count: int, x: Any) -> Any:
    """Words ``starts[j] + first + i`` (i < count) as a ``(count, k)`` int64 array.

    Column j needs the blocks ``(starts[j] + first) div 4 ...``: at most
    ``(count + 6) div 4`` of them, evaluated once each (all four lanes used).
    """
    w0 = starts + first
    nblocks = (count + 6) >> 2
    dev = array_api_compat.device(starts)
    b = x.arange(nblocks, dtype=x.int64, device=dev)
    words = x.stack(_philox((w0 >> 2)[None, :] + b[:, None], key, STREAM_KEY_HI), axis=1)
    words = x.reshape(words, (4 * nblocks, -1))  # row 4t + lane: word 4(b0 + t) + lane
    i = x.arange(count, dtype=x.int64, device=dev)
    return x.take_along_axis(words, (w0 & 3)[None, :] + i[:, None], axis=0)


def _is_torch(x: Any) -> bool:
    from .backend import is_torch_namespace

    return is_torch_namespace(x)


def _words(key: int, w: Any, x: Any) -> Any:
    """Words at the int64 word indices ``w`` (elementwise)."""
    block = (w >> 2) & ((1 << 62) - 1)
    return _select(w & 3, _philox(block, key, STREAM_KEY_HI), x)


def _unit(w: Any, x: Any) -> Any:
    """Uniforms in (0, 1) from words: ``(top 52 bits + 1/2) / 2**52``, exact in float64."""
    u = x.astype((w >> 12) & _M52, x.float64)
    return u * (2.0**-52) + 2.0**-53


def _cast(v: Any, x: Any, dtype: Any) -> Any:
    return v if dtype is None else x.astype(v, dtype)


@dataclass(frozen=True)
class Key:
    """A 64-bit key of a counter-based random stream.

    Counters may be a ``range`` (a contiguous run; give ``xp``/``device`` for
    where to create the result), a Python int, or an integer array of any
    backend (the result is on its device). Results have the counter's shape.

    Parameters
    ----------
    value : int
        The key, ``0 <= value < 2**64``. Build keys with :func:`as_key`.
    """

    value: int

    def child(self, label: str | int) -> Key:
        """An independent stream for a named purpose (e.g. ``"signs"``): ``label`` is a
        string or a 64-bit integer (:data:`sketch.checks.COUNTER_RANGE`)."""
        from .checks import check_scalar_counter

        if not isinstance(label, str):
            label = check_scalar_counter(label, "label", "a str or an integer")
        return Key(_mix_int(self.value ^ _mix_int(_label_int(label) + _GOLDEN)))

    @property
    def fingerprint(self) -> str:
        """A hex digest that identifies the key without revealing it."""
        return f"{_mix_int(self.value ^ 0x5EED5EED5EED5EED):016x}"

    def _bits(self, counter: Any, xp: Any, device: Any) -> tuple[Any, _Counters]:
        c = _counters(counter, xp, device)
        if c.flat is None:
            return _run_words(self.value, c.start, c.size, c.xp, c.device), c
        if c.starts is not None:
            rows = c.shape[0]
            return c.xp.reshape(c.map_columns(
                lambda s: _column_words(self.value, s, 0, rows, c.xp)), (-1,)), c
        return c.map(lambda f: _words(self.value, f, c.xp)), c

    def bits(self, counter: Any, xp: ModuleType | None = None, device: Any = None) -> Any:
        """Random 64-bit words, one per counter: uint64 on NumPy/CuPy, int64 bits on torch
        (which has no unsigned 64-bit arithmetic)."""
        w, c = self._bits(counter, xp, device)
        w = c.finish(w)
        from .backend import backend_name

        return w if backend_name(c.xp) == "torch" else w.view(c.xp.uint64)

    def uniform(self, counter: Any, xp: ModuleType | None = None, dtype: Any = None,
                device: Any = None) -> Any:
        """Uniform numbers in the open interval (0, 1), float64 unless ``dtype``."""
        w, c = self._bits(counter, xp, device)
        return _cast(c.finish(_unit(w, c.xp)), c.xp, dtype)

    def signs(self, counter: Any, xp: ModuleType | None = None, dtype: Any = None,
              device: Any = None) -> Any:
        """Random ±1 values (float64 unless ``dtype``): the top bit of each word."""
        w, c = self._bits(counter, xp, device)
        top = c.xp.astype((w >> 63) & 1, c.xp.float64)
        return _cast(c.finish(1.0 - 2.0 * top), c.xp, dtype)

    def integers(self, counter: Any, high: int, xp: ModuleType | None = None,
                 device: Any = None) -> Any:
        """Random integers in ``[0, high)`` as int64.

        For ``high <= 2**32`` this is Lemire's multiply-shift on the top 32 bits
        (bias below ``high / 2**32``); larger ranges take the top 63 bits modulo
        ``high`` (bias below ``high / 2**63``).
        """
        from .checks import check_positive_int

        high = check_positive_int(high, "high", maximum=2**62,
                                  why="integers() reduces the top 63 bits of a word")
        w, c = self._bits(counter, xp, device)
        if high <= 1 << 32:
            r = ((((w >> 32) & _M32) * high) >> 32) & _M32
        else:
            r = ((w >> 1) & ((1 << 63) - 1)) % high
        return c.finish(r)

    def normal(self, counter: Any, xp: ModuleType | None = None, dtype: Any = None,
               device: Any = None) -> Any:
        """Standard normal numbers: Box–Muller on the words of pair ``p = c div 2``.

        With ``v(w) = (top 53 bits of word w) / 2**53`` in [0, 1):
        ``r = sqrt(-2 log(1 - v(2p)))``, ``θ = 2π v(2p+1)``; even ``c`` gives
        ``r cos θ``, odd ``c`` gives ``r sin θ`` (Box and Muller 1958), cos and sin
        from one ``tan(θ/2)``. A contiguous run costs one word, half a ``log1p`` and
        half a ``tan`` per normal.
        """
        z, c = self._pairs(counter, xp, device, 2.0, complex_=False)
        return _cast(c.finish(z), c.xp, dtype)

    def complex_normal(self, counter: Any, xp: ModuleType | None = None, dtype: Any = None,
                       device: Any = None) -> Any:
        """Standard complex normals (E|z|² = 1): ``(normal(2c) + i normal(2c+1)) / √2``.

        Computed as ``sqrt(-log(1 - v(2c))) · exp(2πi v(2c+1))`` (``v`` as in :meth:`normal`):
        the complex Ginibre entries.
        """
        z, c = self._pairs(counter, xp, device, 1.0, complex_=True)
        return _cast(c.finish(z), c.xp, dtype)

    def _pairs(self, counter: Any, xp: Any, device: Any, scale: float, complex_: bool):
        c = _counters(counter, xp, device)
        x = c.xp
        if c.flat is None:
            # Pairs p0..p1 cover the run; each pair gives (r cos θ, r sin θ).
            first = c.start if complex_ else c.start >> 1
            last = c.start + c.size - 1 if complex_ else (c.start + c.size - 1) >> 1
            npairs = last - first + 1
            if x is array_api_compat.numpy:
                z = rng_host.pairs(_philox_key(self.value), first, npairs, scale)
            else:
                w = x.reshape(_run_words(self.value, 2 * first, 2 * npairs, x, c.device), (-1, 2))
                z = x.stack(_box_muller(_unit53(w[:, 0], x), _unit53(w[:, 1], x), scale, x),
                            axis=1)
            if complex_:
                return _as_complex(z, x), c
            off = c.start & 1
            return x.reshape(z, (-1,))[off:off + c.size], c
        if complex_:
            return _as_complex(c.map(lambda f: x.stack(self._pair(f, scale, x), axis=1)), x), c
        if c.starts is not None:
            return x.reshape(c.map_columns(lambda s: self._column_normals(s, c.shape[0], scale,
                                                                          x)), (-1,)), c

        def real(f: Any) -> Any:
            zc, zs = self._pair((f >> 1) & ((1 << 63) - 1), scale, x)
            return x.where((f & 1) == 1, zs, zc)

        return c.map(real), c

    def fill_normal(self, start: int, out: np.ndarray, factor: float = 1.0) -> None:
        """Write ``normal(range(start, start + out.size))``, cast to ``out``'s dtype and times
        ``factor`` in that dtype, into the contiguous 1-D float64/float32 NumPy ``out``: the
        same bits, computed in place in cache-sized chunks (:mod:`sketch.rng_host`)."""
        factor = _check_fill(start, out, factor)
        rng_host.fill_normal(_philox_key(self.value), start, out, factor)

    def fill_signs(self, start: int, out: np.ndarray, factor: float = 1.0) -> None:
        """Write ``signs(range(start, start + out.size))``, cast to ``out``'s dtype and times
        ``factor``, into ``out`` (as :meth:`fill_normal`)."""
        factor = _check_fill(start, out, factor)
        rng_host.fill_signs(_philox_key(self.value), start, out, factor)

    def _column_normals(self, starts: Any, rows: int, scale: float, x: Any) -> Any:
        """Normals at counters ``starts[j] + i`` (i < rows) as a ``(rows, k)`` array: the
        pairs of each column's run, each pair's words and Box–Muller computed once."""
        npairs = rows // 2 + 1  # pairs (s + i) div 2 for i < rows, whatever the parity of s
        words = _column_words(self.value, 2 * (starts >> 1), 0, 2 * npairs, x)
        zc, zs = _box_muller(_unit53(words[0::2, :], x), _unit53(words[1::2, :], x), scale, x)
        z = x.reshape(x.stack([zc, zs], axis=1), (2 * npairs, -1))  # cos, sin of each pair
        i = x.arange(rows, dtype=x.int64, device=array_api_compat.device(starts))
        return x.take_along_axis(z, (starts & 1)[None, :] + i[:, None], axis=0)

    def _pair(self, p: Any, scale: float, x: Any) -> tuple[Any, Any]:
        """Box–Muller ``(r cos θ, r sin θ)`` of the pairs ``p`` (elementwise)."""
        words = _philox((p >> 1) & ((1 << 62) - 1), self.value, STREAM_KEY_HI)
        odd_pair = (p & 1) == 1
        u1 = _unit53(x.where(odd_pair, words[2], words[0]), x)
        u2 = _unit53(x.where(odd_pair, words[3], words[1]), x)
        return _box_muller(u1, u2, scale, x)

    def generator(self) -> np.random.Generator:
        """A NumPy ``Generator`` seeded from this key (for host-side, non-sketch work)."""
        return np.random.default_rng(self.value)


def _unit53(w: Any, x: Any) -> Any:
    """``(top 53 bits) / 2**53`` in [0, 1): NumPy's ``Generator.random`` of the same word."""
    return x.astype((w >> 11) & ((1 << 53) - 1), x.float64) * 2.0**-53


def _box_muller(v1: Any, v2: Any, scale: float, x: Any) -> tuple[Any, Any]:
    """``(r cos θ, r sin θ)`` with ``r = sqrt(-scale log(1 - v1))``, ``θ = 2π v2``.

    One ``tan`` instead of ``cos`` and ``sin``: with ``t = tan(θ/2)``,
    ``cos θ = (1 - t²)/(1 + t²)`` and ``sin θ = 2t/(1 + t²)`` (exact identities; the
    rational forms are accurate to rounding for every t, t → ∞ included).
    """
    r = x.sqrt(-scale * x.log1p(-v1))
    t = x.tan(v2 * math.pi)
    t2 = t * t
    q = r / (1.0 + t2)
    return (1.0 - t2) * q, (t + t) * q


def _as_complex(z: Any, x: Any) -> Any:
    """``z[:, 0] + 1j z[:, 1]`` without copying where the library allows."""
    from .backend import backend_name

    name = backend_name(x)
    if name == "torch":
        import torch

        return torch.view_as_complex(z.contiguous())
    if name == "numpy":
        return np.ascontiguousarray(z).view(np.complex128)[:, 0]
    return z[:, 0] + 1j * z[:, 1]


def _check_fill(start: Any, out: Any, factor: Any) -> float:
    """The arguments of :meth:`Key.fill_normal`/:meth:`Key.fill_signs`; returns ``factor``."""
    from .checks import check_finite_real, check_scalar_counter

    check_scalar_counter(start, "start")
    if not isinstance(out, np.ndarray) or out.ndim != 1 \
            or out.dtype not in (np.float32, np.float64) or not out.flags.writeable:
        raise TypeError("out must be a writeable 1-D float64 or float32 NumPy array, got "
                        f"{_describe(out)}")
    return check_finite_real(factor, "factor")


def _describe(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"a {x.ndim}-D {x.dtype} array" + ("" if x.flags.writeable else " (read-only)")
    return type(x).__name__


def as_key(seed: Any) -> Key:
    """Turn a ``seed`` argument into a :class:`Key`.

    Parameters
    ----------
    seed : None, int, Key, numpy.random.Generator or cupy.random.Generator
        ``None`` draws fresh entropy from the OS (not reproducible). An int
        (any size, including negative) is hashed. A generator is advanced by
        one draw.

    Returns
    -------
    Key

    Examples
    --------
    >>> as_key(7) == as_key(7)
    True
    >>> as_key(7) == as_key(8)
    False
    """
    if isinstance(seed, Key):
        return seed
    if seed is None:
        return Key(secrets.randbits(64))
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError("seed must be None, an int or a random Generator, not a bool")
    if isinstance(seed, (int, np.integer)):
        v = int(seed)
        h = hashlib.blake2b(v.to_bytes((v.bit_length() + 8) // 8 + 1, "little", signed=True),
                            digest_size=8, person=b"qla-seed").digest()
        return Key(int.from_bytes(h, "little"))
    if hasattr(seed, "integers"):
        return Key(_mix_int(int(seed.integers(0, 2**63, dtype=np.int64))))
    raise TypeError(
        f"seed must be None, an int, a numpy/cupy random Generator or a Key, "
        f"got {type(seed).__name__}"
    )
