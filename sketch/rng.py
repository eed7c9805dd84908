"""Keyed, counter-based random numbers that agree across NumPy and CuPy.

Every random number in qla's sketches is a pure function of a 64-bit *key*
(derived from the user's ``seed``) and a 64-bit *counter* (e.g. the index of
a matrix entry or of a row id). The function is the SplitMix64 finaliser
(Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
OOPSLA 2014) applied twice, once keyed, written with uint64 array operations
only. Hence:

* the same seed gives the same bits on NumPy and CuPy, in any process;
* any block of a sketching operator can be generated without the rest, so a
  sketch can be applied block by block or partition by partition;
* two parties that never communicate draw the same value for the same key
  (coordinated sampling relies on this).

Uniforms are bitwise identical across backends; Gaussians (Box–Muller) agree
to rounding of ``log``/``cos``.

Examples
--------
>>> import numpy as np
>>> key = as_key(42)
>>> u = key.uniform(np.arange(3))
>>> bool(np.all((u > 0) & (u < 1)))
True
>>> bool(np.array_equal(u, as_key(42).uniform(np.arange(3))))
True
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

#: Version of the stream (key, counter) -> bits. Saved sketches record it, and sketches from
#: different versions refuse to be combined: a new generator changes every stream.
STREAM_VERSION = 1

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_ROUND2 = 0x6A09E667F3BCC909  # fractional bits of sqrt(2)


def _mix_int(z: int) -> int:
    """SplitMix64 finaliser on a Python int (used for key derivation)."""
    z &= _MASK
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


def _mix(z: Any, xp: ModuleType) -> Any:
    """SplitMix64 finaliser on a uint64 array (wrapping arithmetic)."""
    z = z ^ (z >> xp.uint64(30))
    z = z * xp.uint64(_M1)
    z = z ^ (z >> xp.uint64(27))
    z = z * xp.uint64(_M2)
    return z ^ (z >> xp.uint64(31))


def _label_int(label: str | int) -> int:
    if isinstance(label, int):
        return label & _MASK
    digest = hashlib.blake2b(label.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


@dataclass(frozen=True)
class Key:
    """A 64-bit key of a counter-based random stream.

    Parameters
    ----------
    value : int
        The key, ``0 <= value < 2**64``. Build keys with :func:`as_key`.
    """

    value: int

    def child(self, label: str | int) -> Key:
        """An independent stream for a named purpose (e.g. ``"signs"``)."""
        return Key(_mix_int(self.value ^ _mix_int(_label_int(label) + _GOLDEN)))

    @property
    def fingerprint(self) -> str:
        """A hex digest that identifies the key without revealing it."""
        return f"{_mix_int(self.value ^ 0x5EED5EED5EED5EED):016x}"

    def bits(self, counter: Any, xp: ModuleType | None = None) -> Any:
        """Random uint64 words, one per counter (same shape as ``counter``)."""
        xp = _module_of(counter, xp)
        c = xp.asarray(counter).astype(xp.uint64, copy=False)
        z = c * xp.uint64(_GOLDEN) + xp.uint64(self.value)
        z = _mix(z, xp)
        # The second-round key must not be the first round's output for any small
        # counter (mix(key + GOLDEN) would zero counter 1), so derive it independently.
        z = z ^ xp.uint64(_mix_int(self.value ^ _ROUND2))
        return _mix(z, xp)

    def uniform(self, counter: Any, xp: ModuleType | None = None, dtype: Any = None) -> Any:
        """Uniform numbers in the open interval (0, 1), float64 unless ``dtype``."""
        xp = _module_of(counter, xp)
        b = self.bits(counter, xp) >> xp.uint64(11)
        u = (b.astype(xp.float64) + 0.5) * (2.0**-53)
        return u if dtype is None else u.astype(dtype)

    def normal(self, counter: Any, xp: ModuleType | None = None, dtype: Any = None) -> Any:
        """Standard normal numbers by Box–Muller on counters ``2c`` and ``2c+1``."""
        xp = _module_of(counter, xp)
        c = xp.asarray(counter).astype(xp.uint64, copy=False) * xp.uint64(2)
        u1 = self.uniform(c, xp)
        u2 = self.uniform(c + xp.uint64(1), xp)
        z = xp.sqrt(-2.0 * xp.log(u1)) * xp.cos((2.0 * np.pi) * u2)
        return z if dtype is None else z.astype(dtype)

    def signs(self, counter: Any, xp: ModuleType | None = None, dtype: Any = None) -> Any:
        """Random ±1 values (float64 unless ``dtype``)."""
        xp = _module_of(counter, xp)
        top = (self.bits(counter, xp) >> xp.uint64(63)).astype(xp.float64)
        s = 1.0 - 2.0 * top
        return s if dtype is None else s.astype(dtype)

    def integers(self, counter: Any, high: int, xp: ModuleType | None = None) -> Any:
        """Random integers in ``[0, high)`` as int64.

        For ``high <= 2**32`` this is Lemire's multiply-shift on the top 32 bits
        (bias below ``high / 2**32``); larger ranges use the modulus.
        """
        if high < 1:
            raise ValueError(f"high must be at least 1, got {high}")
        xp = _module_of(counter, xp)
        b = self.bits(counter, xp)
        if high <= 1 << 32:
            r = ((b >> xp.uint64(32)) * xp.uint64(high)) >> xp.uint64(32)
        else:
            r = b % xp.uint64(high)
        return r.astype(xp.int64)

    def generator(self) -> np.random.Generator:
        """A NumPy ``Generator`` seeded from this key (for host-side, non-sketch work)."""
        return np.random.default_rng(self.value)


def _module_of(counter: Any, xp: ModuleType | None) -> ModuleType:
    if xp is not None:
        return xp
    from .backend import array_module

    return array_module(counter) if not isinstance(counter, int) else np


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
