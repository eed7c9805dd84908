"""Keyed Feistel permutations and keyed Boolean functions as reversible circuits.

A Feistel network (Feistel 1973; Luby–Rackoff 1988) splits ``x`` into halves
``(L, R)`` and applies rounds ``L ^= F_1(R)``, ``R ^= F_2(L)``, ``L ^= F_3(R)`` ...
Each round is an involution whatever ``F_i`` is, so the network is a
permutation for arbitrary (even non-invertible) round functions, and its
inverse applies the rounds in reverse order. On a quantum computer each round
is done *in place*: ``L ^= F(R)`` needs ``F(R)`` only as a control, so the
round is a reversible circuit on the data qubits plus, for round functions
computed out of place, ancillas that are uncomputed at once.

Two round-function families are provided.

* :class:`SimonRound` — the round function of the SIMON block cipher
  (Beaulieu, Shors, Smith, Treatman-Clark, Weeks, Wingers 2013):
  ``F(x) = (x<<<α & x<<<β) ^ x<<<γ ^ k`` with rotations ``(1, 8, 2)`` for
  half-widths ``w >= 16`` (SIMON's) and ``(1, 2, 3)`` for smaller halves.
  One Toffoli, one CNOT and at most one X per output bit, no ancillas.
  Cryptographic status: heuristic. With SIMON's word sizes and round counts
  this is SIMON with independent round keys (which has withstood public
  cryptanalysis; no proof); other widths are SIMON-like, unanalysed, and for
  small ``n`` any keyed permutation is trivially breakable by exhausting the
  domain.
* :class:`PolynomialRound` — ``F(x) = trunc(p(pad(x)))`` with ``p`` a random
  polynomial of degree ``< k`` over GF(2^m): a ``k``-wise independent family
  (Wegman–Carter 1981), evaluated by Horner's rule into ancilla registers with
  Toffoli (bilinear) and CNOT (linear) layers, then uncomputed.

Examples
--------
>>> import numpy as np
>>> net = Feistel(4, [SimonRound(2, 2, 1), SimonRound(2, 2, 2), SimonRound(2, 2, 3)])
>>> perm = net.evaluate(np.arange(16))
>>> sorted(perm.tolist()) == list(range(16))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from .galois import GF2m

__all__ = ["SimonRound", "PolynomialRound", "Feistel", "phase_polynomial_bit"]

_ONE = np.uint64(1)


def _bit(x: Any, j: int) -> Any:
    return (x >> np.uint64(j)) & _ONE


def _rotations(w_in: int) -> tuple[int, int, int]:
    return (1, 8, 2) if w_in >= 16 else (1, 2, 3)


@dataclass(frozen=True)
class SimonRound:
    """SIMON-style keyed round function from ``w_in`` bits to ``w_out`` bits.

    Output bit ``k``: ``x[k-α] & x[k-β] ^ x[k-γ] ^ key[k]`` (indices mod ``w_in``).
    """

    w_in: int
    w_out: int
    key: int

    def _taps(self, k: int) -> tuple[int, int, int]:
        a, b, c = _rotations(self.w_in)
        return (k - a) % self.w_in, (k - b) % self.w_in, (k - c) % self.w_in

    @property
    def ancillas(self) -> int:
        return 0

    def evaluate(self, x: Any) -> Any:
        x = np.asarray(x, dtype=np.uint64)
        out = np.zeros_like(x)
        for k in range(self.w_out):
            ia, ib, ig = self._taps(k)
            b = (_bit(x, ia) & _bit(x, ib)) ^ _bit(x, ig) ^ np.uint64((self.key >> k) & 1)
            out |= b << np.uint64(k)
        return out

    def apply(self, qc: QuantumCircuit, src: Sequence, dst: Sequence, anc: Sequence) -> None:
        """``dst ^= F(src)`` in place (no ancillas used)."""
        for k in range(self.w_out):
            ia, ib, ig = self._taps(k)
            # x&x = x: a repeated tap degenerates the Toffoli to a CNOT, and
            # two equal CNOTs cancel.
            linear = [ig]
            if ia == ib:
                linear.append(ia)
            else:
                qc.ccx(src[ia], src[ib], dst[k])
            for i in set(linear):
                if linear.count(i) % 2:
                    qc.cx(src[i], dst[k])
            if (self.key >> k) & 1:
                qc.x(dst[k])


@dataclass(frozen=True)
class PolynomialRound:
    """``F(x) = trunc_{w_out}(p(x))`` with ``p(z) = Σ coeffs[i] z^i`` over GF(2^m).

    Needs ``w_in, w_out <= m``.
    """

    m: int
    coeffs: tuple[int, ...]
    w_in: int
    w_out: int
    _field: GF2m = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if not (self.w_in <= self.m and self.w_out <= self.m):
            raise ValueError("PolynomialRound needs w_in, w_out <= m")
        object.__setattr__(self, "_field", GF2m(self.m))

    @property
    def ancillas(self) -> int:
        return max(0, len(self.coeffs) - 2) * self.m

    def evaluate(self, x: Any) -> Any:
        y = self._field.poly_eval(list(self.coeffs), x)
        return y & np.uint64((1 << self.w_out) - 1)

    def apply(self, qc: QuantumCircuit, src: Sequence, dst: Sequence, anc: Sequence) -> None:
        """``dst ^= F(src)``; the Horner registers live in ``anc`` and are returned clean."""
        prefix = _horner_prefix(self._field, self.coeffs, src, self.w_in, anc)
        _emit(qc, prefix)
        _horner_last(qc, self._field, self.coeffs, src, self.w_in, anc, dst, self.w_out)
        _emit(qc, prefix[::-1])


def _emit(qc: QuantumCircuit, ops: list[tuple[str, tuple]]) -> None:
    for name, qubits in ops:
        getattr(qc, name)(*qubits)


def _horner_prefix(F: GF2m, coeffs: Sequence[int], src: Sequence, w_in: int,
                   anc: Sequence) -> list[tuple[str, tuple]]:
    """Gates computing Horner registers ``y_1 ... y_{D-1}`` of ``p`` into ``anc``.

    ``y_1 = c_D x + c_{D-1}`` (CNOTs), ``y_i = y_{i-1} x + c_{D-i}`` (Toffolis).
    Every gate is self-inverse, so the reversed list uncomputes.
    """
    D = len(coeffs) - 1
    m = F.m
    ops: list[tuple[str, tuple]] = []
    for step in range(1, D):
        y = anc[(step - 1) * m: step * m]
        const = coeffs[D - step]
        if step == 1:
            M = F.const_matrix(coeffs[D])
            for k in range(m):
                for j in range(w_in):
                    if M[k, j]:
                        ops.append(("cx", (src[j], y[k])))
        else:
            prev = anc[(step - 2) * m: (step - 1) * m]
            T = F.product_tensor
            for k, i, j in zip(*np.nonzero(T[:, :, :w_in])):
                ops.append(("ccx", (prev[i], src[j], y[k])))
        for k in range(m):
            if (const >> k) & 1:
                ops.append(("x", (y[k],)))
    return ops


def _horner_last(qc: QuantumCircuit, F: GF2m, coeffs: Sequence[int], src: Sequence, w_in: int,
                 anc: Sequence, dst: Sequence, w_out: int) -> None:
    """``dst ^= trunc(y_D)`` where ``y_D = y_{D-1} x + c_0`` (the last Horner step)."""
    D = len(coeffs) - 1
    m = F.m
    if D == 1:
        M = F.const_matrix(coeffs[1])
        for k in range(w_out):
            for j in range(w_in):
                if M[k, j]:
                    qc.cx(src[j], dst[k])
    elif D >= 2:
        prev = anc[(D - 2) * m: (D - 1) * m]
        T = F.product_tensor
        for k, i, j in zip(*np.nonzero(T[:w_out, :, :w_in])):
            qc.ccx(prev[i], src[j], dst[k])
    for k in range(w_out):
        if (coeffs[0] >> k) & 1:
            qc.x(dst[k])


def phase_polynomial_bit(qc: QuantumCircuit, m: int, coeffs: Sequence[int], src: Sequence,
                         anc: Sequence) -> None:
    """Apply ``|x> -> (-1)^{bit_0(p(x))} |x>`` with ``p`` over GF(2^m), ancillas returned clean.

    The Horner registers ``y_1 ... y_{D-1}`` are computed into ``anc``; the
    last step's bit 0 is bilinear in ``(y_{D-1}, x)``, so its phase is a set of
    CZ gates (Z gates when ``p`` is affine) and the constant term's bit is a
    global phase; then the registers are uncomputed. This is the phase
    kickback of computing ``f(x)`` into a ``|->`` ancilla, without the ancilla.
    """
    F = GF2m(m)
    w_in = len(src)
    D = len(coeffs) - 1
    prefix = _horner_prefix(F, coeffs, src, w_in, anc)
    _emit(qc, prefix)
    if D == 1:
        row = F.const_matrix(coeffs[1])[0]
        for j in range(w_in):
            if row[j]:
                qc.z(src[j])
    elif D >= 2:
        prev = anc[(D - 2) * m: (D - 1) * m]
        for i, j in zip(*np.nonzero(F.product_tensor[0, :, :w_in])):
            qc.cz(prev[i], src[j])
    if coeffs[0] & 1:
        qc.global_phase += np.pi
    _emit(qc, prefix[::-1])


@dataclass(frozen=True)
class Feistel:
    """A Feistel permutation of ``n``-bit strings.

    The low half ``L`` is bits ``[0, a)`` with ``a = n // 2``, the high half ``R``
    bits ``[a, n)``. Round ``r`` even: ``L ^= F_r(R)``; odd: ``R ^= F_r(L)``
    (the swap of the textbook description is a relabelling, so it costs no gates).
    Round functions must map ``b -> a`` bits (even rounds) and ``a -> b`` bits
    (odd rounds), ``b = n - a``. ``n = 1`` takes no rounds; use an X gate.
    """

    n: int
    rounds: tuple

    def __init__(self, n: int, rounds: Sequence):
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "rounds", tuple(rounds))
        a = n // 2
        b = n - a
        for r, fn in enumerate(self.rounds):
            want = (b, a) if r % 2 == 0 else (a, b)
            if (fn.w_in, fn.w_out) != want:
                raise ValueError(f"round {r} maps {fn.w_in}->{fn.w_out} bits, needs "
                                 f"{want[0]}->{want[1]}")

    @property
    def ancillas(self) -> int:
        return max((fn.ancillas for fn in self.rounds), default=0)

    def _split(self) -> tuple[int, int]:
        a = self.n // 2
        return a, self.n - a

    def evaluate(self, x: Any, inverse: bool = False) -> Any:
        """The permutation (or its inverse) on a uint64 array of inputs."""
        x = np.asarray(x, dtype=np.uint64)
        a, _ = self._split()
        lo = x & np.uint64((1 << a) - 1)
        hi = x >> np.uint64(a)
        order = range(len(self.rounds) - 1, -1, -1) if inverse else range(len(self.rounds))
        for r in order:
            if r % 2 == 0:
                lo = lo ^ self.rounds[r].evaluate(hi)
            else:
                hi = hi ^ self.rounds[r].evaluate(lo)
        return lo | (hi << np.uint64(a))

    def apply(self, qc: QuantumCircuit, data: Sequence, anc: Sequence,
              inverse: bool = False) -> None:
        """Append the permutation (or its inverse) on ``data`` with clean ``anc``."""
        a, _ = self._split()
        lo, hi = list(data[:a]), list(data[a:])
        order = range(len(self.rounds) - 1, -1, -1) if inverse else range(len(self.rounds))
        for r in order:
            if r % 2 == 0:
                self.rounds[r].apply(qc, hi, lo, anc)
            else:
                self.rounds[r].apply(qc, lo, hi, anc)
