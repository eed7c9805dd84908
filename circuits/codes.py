"""Haar-random quantum codes and their approximate Knill–Laflamme violation.

A code is an isometry ``V: C^K -> C^N`` (``K = 2^k`` logical, ``N = 2^n``
physical dimensions). It corrects a set of errors ``{E_a}`` exactly iff
``V† E_a† E_b V = c_ab I_K`` for all ``a, b`` (Knill–Laflamme 1997). For a
Haar-random ``V`` the traceless parts of these ``K x K`` blocks are of size
``~ 1/√N`` each, so the whole ``mK x mK`` deviation has norm ``~ √(mK/N)``:
random codes approximately correct ``m`` Pauli errors whenever ``m·K ≪ N``,
all the way up to the quantum Hamming bound ``m·K <= N`` (see e.g.
Bény–Oreshkov 2010 for approximate correction; Hayden–Winter and others for
random codes).

Examples
--------
>>> code = haar_code(10, 1, seed=0)
>>> code.isometry.shape
(1024, 2)
>>> errs = pauli_errors(10, weight=1)           # m = 31 errors, m·K/N ≈ 0.06
>>> 0 < knill_laflamme_violation(code.isometry, errs) < 1
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations, product
from typing import Any

import numpy as np

from sketch.backend import to_numpy
from sketch.budgets import check_allocation
from sketch.checks import check_matrix, check_positive_int, check_power_of_two
from sketch.errors import ShapeError
from sketch.haar import haar_isometry
from sketch.rng import as_key

__all__ = ["HaarCode", "haar_code", "pauli_errors", "knill_laflamme_violation", "apply_pauli"]


@dataclass
class HaarCode:
    """A Haar-random ``[[n, k]]`` code: ``isometry`` is ``2^n x 2^k``."""

    n: int
    k: int
    isometry: np.ndarray

    def encoder(self):
        """The encoder as a circuit on ``n`` qubits (qiskit ``Isometry``; logical qubits first).

        Input ``|ψ>|0^{n-k}>`` maps to ``V|ψ>``.
        """
        from qiskit import QuantumCircuit
        from qiskit.circuit.library import Isometry

        qc = QuantumCircuit(self.n, name=f"haar_code[[{self.n},{self.k}]]")
        qc.append(Isometry(self.isometry, 0, 0), range(self.n))
        return qc


def haar_code(n: int, k: int, seed: Any = None) -> HaarCode:
    """A code whose encoder is a Haar-random isometry ``C^{2^k} -> C^{2^n}``.

    Parameters
    ----------
    n, k : int
        Physical and logical qubits, ``0 <= k <= n``, ``n <= 14``.
    seed : None, int, Generator or Key
    """
    n = check_positive_int(n, "n")
    k = check_positive_int(k, "k", minimum=0)
    if k > n:
        raise ValueError(f"a code cannot have more logical (k={k}) than physical (n={n}) qubits")
    if n > 14:
        raise ValueError(f"a dense 2^n x 2^k isometry for n={n} is too large; n <= 14")
    V = haar_isometry(1 << n, 1 << k, seed=as_key(seed).child("haar-code"))
    return HaarCode(n, k, V)


def pauli_errors(n: int, weight: int = 1, include_identity: bool = True) -> list[str]:
    """All Pauli labels (qiskit order: rightmost = qubit 0) of weight ``<= weight``.

    Examples
    --------
    >>> pauli_errors(2, 1)
    ['II', 'IX', 'IY', 'IZ', 'XI', 'YI', 'ZI']
    """
    n = check_positive_int(n, "n")
    weight = check_positive_int(weight, "weight", minimum=0)
    count = sum(math.comb(n, w) * 3**w for w in range(1, min(weight, n) + 1)) + 1
    check_allocation(float(count) * (n + 60), f"the {count:.3g} Pauli labels of n={n}, "
                     f"weight={weight}", fix="ask for a smaller weight")
    labels = ["I" * n] if include_identity else []
    for w in range(1, min(weight, n) + 1):  # combinations(range(n), w) costs O(w) even when empty
        for qubits in combinations(range(n), w):
            for ops in product("XYZ", repeat=w):
                s = ["I"] * n
                for q, o in zip(qubits, ops):
                    s[n - 1 - q] = o
                labels.append("".join(s))
    return sorted(labels)


def apply_pauli(label: str, V: np.ndarray) -> np.ndarray:
    """``P V`` for a Pauli label (qiskit order) without building the ``2^n x 2^n`` matrix."""
    n = len(label)
    if V.shape[0] != 1 << n:
        raise ShapeError(f"Pauli {label!r} acts on {n} qubits but V has {V.shape[0]} rows")
    idx = np.arange(1 << n)
    x = z = 0
    for q, ch in enumerate(reversed(label.upper())):
        if ch not in "IXYZ":
            raise ValueError(f"Pauli labels use I, X, Y, Z; got {label!r}")
        x |= (ch in "XY") << q
        z |= (ch in "ZY") << q
    src = idx ^ x
    parity = np.zeros_like(idx)
    for q in range(n):
        parity ^= ((src & z) >> q) & 1
    phase = (1j) ** (bin(x & z).count("1") % 4)
    return (phase * (1 - 2 * parity))[:, None] * V[src]


def knill_laflamme_violation(V: Any, errors: list[str], norm: str = "operator") -> float:
    """How far a code is from exactly correcting ``errors``.

    Forms the ``mK x mK`` matrix ``M = [V† E_a† E_b V]_{ab}`` and subtracts its
    best Knill–Laflamme fit ``c ⊗ I_K`` with ``c_ab = Tr(M_ab)/K``; returns the
    norm of the remainder (``"operator"`` or ``"frobenius"``), 0 iff the KL
    conditions hold exactly.

    Examples
    --------
    >>> V = np.eye(4)[:, :2].astype(complex)      # logical qubit = qubit 0, unprotected
    >>> round(knill_laflamme_violation(V, ["II", "IZ"]), 6)   # Z on it acts as logical Z
    1.0
    >>> knill_laflamme_violation(V, ["II", "XI"])             # X on qubit 1 is detectable
    0.0
    """
    if norm not in ("operator", "frobenius"):
        raise ValueError(f"norm must be 'operator' or 'frobenius', got {norm!r}")
    V = check_matrix(V, "V", sparse=False)
    V = np.asarray(to_numpy(V))
    n = check_power_of_two(V.shape[0], "the number of rows of V")
    if V.shape[1] > V.shape[0]:
        raise ShapeError(f"V must be an isometry of shape (2^n, K) with K <= 2^n, got {V.shape}")
    _check_labels(errors, n)
    K = V.shape[1]
    m = len(errors)
    # V^H V, E_a V for all a (N x mK) and the mK x mK Gram matrix: refuse before allocating.
    check_allocation(16 * (K * K + V.shape[0] * m * K + (m * K) ** 2),
                     f"knill_laflamme_violation(m={m} errors, K={K})", fix="pass fewer errors")
    gap = float(np.linalg.norm(V.conj().T @ V - np.eye(V.shape[1]), 2))
    if not gap <= np.sqrt(np.finfo(V.dtype).eps):
        raise ValueError(f"V is not an isometry: ||V^H V - I||_2 = {gap:.3g}; its columns must "
                         "be orthonormal (an encoder, e.g. haar_code(...).isometry)")
    EV = np.concatenate([apply_pauli(e, V) for e in errors], axis=1)  # N x mK
    M = EV.conj().T @ EV
    blocks = M.reshape(m, K, m, K)
    c = np.einsum("aibi->ab", blocks) / K
    R = blocks - c[:, None, :, None] * np.eye(K)[None, :, None, :]
    R = R.reshape(m * K, m * K)
    return float(np.linalg.norm(R) if norm == "frobenius" else np.linalg.norm(R, 2))


def _check_labels(errors: Any, n: int) -> None:
    """``errors``: a non-empty list of n-letter Pauli labels (I, X, Y, Z)."""
    if isinstance(errors, str) or not isinstance(errors, (list, tuple)):
        raise TypeError(f"errors must be a list of Pauli labels such as ['XI', 'IZ'], got "
                        f"{type(errors).__name__}")
    if not errors:
        raise ValueError("errors must name at least one Pauli")
    for e in errors:
        if not isinstance(e, str) or set(e.upper()) - set("IXYZ"):
            raise ValueError(f"errors holds {e!r}; Pauli labels use I, X, Y, Z (one letter per "
                             f"qubit of V's 2^{n} rows)")
        if len(e) != n:
            raise ShapeError(f"errors holds {e!r}, which acts on {len(e)} qubits but V has "
                             f"2^{n} rows ({n} qubits)")
