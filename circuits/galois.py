"""Arithmetic in GF(2^m) for keyed functions and their reversible circuits.

Elements of GF(2^m) are integers ``0 <= a < 2^m`` read as polynomials over
GF(2) (bit ``i`` is the coefficient of ``α^i``), reduced modulo the
lexicographically smallest irreducible polynomial of degree ``m`` (found by
Ben-Or's test, so any ``m`` works). Multiplication by a constant is GF(2)-linear
(a matrix, i.e. a CNOT network) and the product of two variables is
GF(2)-bilinear (a tensor, i.e. a set of Toffolis); that is all a reversible
circuit needs.

Random polynomials of degree ``< k`` over GF(2^m) with uniform coefficients are
a ``k``-wise independent family of functions GF(2^m) → GF(2^m) (Wegman–Carter
1981): at any ``k`` distinct points the values are independent and uniform.

Examples
--------
>>> field = GF2m(3)
>>> field.poly                     # x^3 + x + 1
11
>>> field.mul(3, 5)                # (α+1)(α²+1) = α³+α²+α+1 = α²
4
"""

from __future__ import annotations

from functools import cache, cached_property
from typing import Any

import numpy as np

__all__ = ["GF2m", "irreducible_polynomial"]


def _clmul(a: int, b: int) -> int:
    r = 0
    while b:
        if b & 1:
            r ^= a
        a <<= 1
        b >>= 1
    return r


def _polymod(a: int, p: int) -> int:
    dp = p.bit_length() - 1
    while a and a.bit_length() - 1 >= dp:
        a ^= p << (a.bit_length() - 1 - dp)
    return a


def _polygcd(a: int, b: int) -> int:
    while b:
        a, b = b, _polymod(a, b)
    return a


@cache
def irreducible_polynomial(m: int) -> int:
    """The smallest irreducible polynomial of degree ``m`` over GF(2), as an int.

    Ben-Or's test: ``p`` is irreducible iff ``gcd(x^(2^i) - x, p) = 1`` for
    ``i = 1 ... m // 2``.

    Examples
    --------
    >>> [irreducible_polynomial(m) for m in (1, 2, 8)]
    [2, 7, 283]
    """
    if m < 1:
        raise ValueError(f"the field degree m must be at least 1, got {m}")
    if m == 1:
        return 0b10  # x: GF(2) itself
    for p in range((1 << m) | 1, 1 << (m + 1), 2):
        xpow = 0b10
        for _ in range(m // 2):
            xpow = _polymod(_clmul(xpow, xpow), p)
            if _polygcd(xpow ^ 0b10, p) != 1:
                break
        else:
            return p
    raise AssertionError("an irreducible polynomial exists for every degree")  # pragma: no cover


class GF2m:
    """The field GF(2^m) with scalar and vectorised (NumPy uint64) arithmetic.

    Parameters
    ----------
    m : int
        Degree of the extension, ``1 <= m <= 32`` (products must fit in 64 bits).
    """

    def __init__(self, m: int):
        if not 1 <= m <= 32:
            raise ValueError(f"GF(2^m) is supported for 1 <= m <= 32, got m={m}")
        self.m = m
        self.poly = irreducible_polynomial(m)

    def mul(self, a: int, b: int) -> int:
        """Product of two field elements."""
        if self.m == 1:
            return a & b
        return _polymod(_clmul(a, b), self.poly)

    def mul_array(self, a: Any, b: Any) -> Any:
        """Elementwise product of uint64 arrays (or an array and a scalar)."""
        a = np.asarray(a, dtype=np.uint64)
        b = np.asarray(b, dtype=np.uint64)
        acc = np.zeros(np.broadcast(a, b).shape, dtype=np.uint64)
        one = np.uint64(1)
        for i in range(self.m):
            bit = (b >> np.uint64(i)) & one
            acc ^= (a << np.uint64(i)) * bit
        if self.m > 1:
            for deg in range(2 * self.m - 2, self.m - 1, -1):
                top = (acc >> np.uint64(deg)) & one
                acc ^= np.uint64(self.poly << (deg - self.m)) * top
        return acc

    def poly_eval(self, coeffs: list[int], x: Any) -> Any:
        """Horner evaluation of ``sum_i coeffs[i] x^i`` at the uint64 array ``x``."""
        x = np.asarray(x, dtype=np.uint64)
        y = np.full(x.shape, coeffs[-1], dtype=np.uint64)
        for c in reversed(coeffs[:-1]):
            y = self.mul_array(y, x) ^ np.uint64(c)
        return y

    def const_matrix(self, c: int) -> np.ndarray:
        """The GF(2) matrix ``M`` (m x m, uint8) with ``bits(c·a) = M @ bits(a) mod 2``."""
        M = np.zeros((self.m, self.m), dtype=np.uint8)
        for j in range(self.m):
            col = self.mul(c, 1 << j)
            for k in range(self.m):
                M[k, j] = (col >> k) & 1
        return M

    @cached_property
    def product_tensor(self) -> np.ndarray:
        """``T[k, i, j]`` = bit ``k`` of ``α^i · α^j``: ``bits(a·b)_k = Σ T[k,i,j] a_i b_j``."""
        m = self.m
        T = np.zeros((m, m, m), dtype=np.uint8)
        for i in range(m):
            for j in range(m):
                v = self.mul(1 << i, 1 << j)
                for k in range(m):
                    T[k, i, j] = (v >> k) & 1
        return T
