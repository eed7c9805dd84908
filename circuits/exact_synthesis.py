"""Exact synthesis through Qiskit: Euler, KAK, quantum Shannon, diagonal and state preparation.

* one qubit: the Euler decomposition;
* two qubits: the KAK (Cartan) decomposition (Vidal and Dawson 2004; Vatan and
  Williams 2004: 3 CNOTs at most, fewer when ``U`` allows);
* more: the quantum Shannon decomposition (Shende, Bullock and Markov 2006;
  block-ZXZ of Krol and Al-Ars 2024), or a diagonal-gate synthesis (Bullock
  and Markov 2004, ``2ⁿ − 2`` CNOTs) when ``U`` is diagonal.

Examples
--------
>>> import numpy as np
>>> from qiskit.quantum_info import Operator
>>> qc = exact_circuit(np.eye(8, dtype=complex), 3)
>>> bool(np.allclose(Operator(qc).data, np.eye(8)))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sketch.backend import to_numpy
from sketch.checks import check_positive_int, check_power_of_two, check_vector
from sketch.errors import NotUnitaryError

__all__ = ["UNITARY_ATOL", "exact_circuit", "synthesize_diagonal", "synthesize_state"]

#: Largest ``max|U†U − I|`` accepted as unitary; beyond it, re-unitarise (polar factor).
UNITARY_ATOL = 1e-6
#: Widest diagonal or state the exact builders take: their circuits have about 2ⁿ⁺¹ CNOTs,
#: and Qiskit builds 16 qubits in a minute (22 would take hours and gigabytes).
MAX_EXACT_QUBITS = 16

def exact_circuit(U: np.ndarray, n: int) -> Any:
    """Qiskit's exact ``cx``/``u`` circuit for the n-qubit unitary ``U`` (see the module)."""
    from qiskit import transpile
    from qiskit.synthesis import (
        OneQubitEulerDecomposer,
        TwoQubitBasisDecomposer,
        qs_decomposition,
    )

    if n == 1:
        return OneQubitEulerDecomposer(basis="U")(U)
    if n == 2:
        from qiskit.circuit.library import CXGate

        return TwoQubitBasisDecomposer(CXGate(), euler_basis="U")(U)
    off = U - np.diag(np.diag(U))
    if np.max(np.abs(off)) < 1e-14:
        return synthesize_diagonal(np.diag(U))
    return transpile(qs_decomposition(U), basis_gates=["cx", "u"], optimization_level=0)


def synthesize_diagonal(diagonal: Any) -> Any:
    """A ``cx``/``u`` circuit for ``diag(diagonal)`` (unit-modulus entries), exact.

    Uses Qiskit's ``DiagonalGate`` (Bullock and Markov 2004: ``2ⁿ − 2`` CNOTs
    at most, fewer when the phases allow).

    Examples
    --------
    >>> import numpy as np
    >>> from qiskit.quantum_info import Operator
    >>> D = np.exp(1j * np.array([0.1, 0.5, -0.3, 0.9]))
    >>> qc = synthesize_diagonal(D)
    >>> bool(np.allclose(Operator(qc).data, np.diag(D)))
    True
    """
    from qiskit import transpile
    from qiskit.circuit.library import DiagonalGate

    dvec = to_numpy(check_vector(diagonal, "diagonal")).astype(complex)
    _check_width(check_power_of_two(dvec.shape[0], "len(diagonal)"), "diagonal")
    if np.max(np.abs(np.abs(dvec) - 1)) > UNITARY_ATOL:
        raise NotUnitaryError("diagonal entries must have modulus 1 (a diagonal unitary)")
    qc = DiagonalGate(list(dvec)).definition
    return transpile(qc, basis_gates=["cx", "u"], optimization_level=1)


def synthesize_state(psi: Any) -> Any:
    """A ``cx``/``u`` circuit preparing ``psi`` from ``|0…0⟩`` (Qiskit ``StatePreparation``).

    Qiskit uses the Shende–Bullock–Markov (2006) isometry/state-preparation
    scheme (``2ⁿ⁺¹`` CNOTs order).

    Examples
    --------
    >>> import numpy as np
    >>> from qiskit.quantum_info import Statevector
    >>> psi = np.array([1, 0, 0, 1j]) / np.sqrt(2)
    >>> qc = synthesize_state(psi)
    >>> bool(np.allclose(Statevector(qc).data, psi))
    True
    """
    from qiskit import transpile
    from qiskit.circuit.library import StatePreparation

    v = to_numpy(check_vector(psi, "psi")).astype(complex).ravel()
    _check_width(check_power_of_two(v.shape[0], "len(psi)"), "psi")
    norm = np.linalg.norm(v)
    if abs(norm - 1) > UNITARY_ATOL:
        raise ValueError(f"psi must have norm 1, got {norm:.6g}; divide it by its norm")
    qc = StatePreparation(v / norm).definition
    return transpile(qc, basis_gates=["cx", "u"], optimization_level=1)


def _check_width(n: int, name: str) -> None:
    check_positive_int(n, f"the number of qubits of {name}", minimum=1,
                       maximum=MAX_EXACT_QUBITS,
                       why="the exact circuit has about 2^(n+1) CNOTs; split the problem "
                           "or prepare it approximately")
