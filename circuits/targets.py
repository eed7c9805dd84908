"""Synthesis targets: the checks a target unitary passes, and the distance of a circuit to it.

The distance is the one every synthesis and optimisation result reports,
``min_α ‖e^{iα}V − U‖_F / √d`` (global phase free), computed here from
Qiskit's ``Operator`` of the circuit as an independent check of the
instantiation's own figure.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sketch.backend import to_numpy
from sketch.budgets import check_allocation, check_work
from sketch.checks import check_matrix, check_power_of_two, check_square
from sketch.errors import ShapeError

__all__ = ["check_target", "operator_distance", "check_operator_work", "check_qubit_pairs"]

#: Seconds Qiskit's ``Operator(circuit)`` spends per gate and matrix entry (measured on a
#: 2-core machine: about 2e-8; rounded down for the work rule), and per gate besides
#: (about 5e-5 s).
_OPERATOR_ENTRY_S = 1e-8
_OPERATOR_GATE_S = 1e-5


def check_operator_work(gates: float, n: int, what: str, *, matrices: int = 2,
                        fix: str = "compare narrower or shorter circuits") -> None:
    """Refuse, before forming it, the 2ⁿ × 2ⁿ operator of a circuit of ``gates`` gates that
    cannot fit in memory (:func:`~sketch.budgets.check_allocation`: ``matrices`` of that
    size, by default the operator and a copy) or would take past the work budget
    (:func:`~sketch.budgets.check_work`: Qiskit applies each gate to the whole matrix,
    ``gates · 4ⁿ`` entry updates)."""
    check_allocation(matrices * 16 * 4.0**n, what, fix=fix)
    check_work(gates * (_OPERATOR_GATE_S + _OPERATOR_ENTRY_S * 4.0**n), what, fix=fix)


def check_qubit_pairs(pairs: Any, n: int, name: str, of: str) -> list[tuple[int, int]]:
    """``pairs`` (an iterable of two-qubit pairs, or a Qiskit ``CouplingMap``) as a list of
    ``(int, int)`` pairs of distinct qubits below ``n``; ``of`` names what the qubits belong
    to in the message (e.g. "the 3-qubit target U").

    Examples
    --------
    >>> check_qubit_pairs([(0, 1), (1, 2)], 3, "coupling_map", "the 3-qubit circuit")
    [(0, 1), (1, 2)]
    """
    if hasattr(pairs, "get_edges"):
        pairs = pairs.get_edges()
    try:
        pairs = [(a, b) for a, b in pairs]
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a list of qubit pairs such as [(0, 1), (1, 2)], got "
                        f"{pairs!r:.60}") from None
    for a, b in pairs:
        if not all(isinstance(q, (int, np.integer)) and not isinstance(q, bool) for q in (a, b)):
            raise TypeError(f"{name} holds ({a!r}, {b!r}); qubits are integers")
        if a == b or not (0 <= a < n and 0 <= b < n):
            raise ValueError(f"{name} holds the pair ({a}, {b}), which is not a pair of "
                             f"distinct qubits of {of} (0 to {n - 1})")
    return [(int(a), int(b)) for a, b in pairs]


def check_target(U: Any, name: str = "U") -> int:
    """The qubit count n of a synthesis target ``U``: dense, square, 2ⁿ × 2ⁿ with n ≥ 1,
    finite and of a float dtype (else one of qla's errors naming ``name``)."""
    check_matrix(U, name, sparse=False)
    check_square(U, name)
    n = check_power_of_two(U.shape[0], f"{name}'s dimension")
    if n == 0:
        raise ShapeError(f"{name} is 1 x 1; a target needs at least one qubit (2 x 2)")
    return n


def operator_distance(U: Any, circuit: Any) -> float:
    """``min_α ‖e^{iα}V − U‖_F / √d`` with ``V = Operator(circuit)`` (an independent check).

    Examples
    --------
    >>> import numpy as np
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(1, global_phase=0.7)
    >>> bool(operator_distance(np.eye(2), qc) < 1e-15)
    True
    """
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Operator

    if not isinstance(circuit, QuantumCircuit):
        raise TypeError(f"circuit must be a qiskit QuantumCircuit, got {type(circuit).__name__}")
    n = circuit.num_qubits
    if check_target(U) != n:
        raise ShapeError(f"U is {U.shape[0]} x {U.shape[1]} but the circuit has {n} qubits "
                         f"({2**n} x {2**n}); compare a target with a circuit of its width")
    # the operator, the target's copy and the difference
    check_operator_work(circuit.size(), n, f"the {2**n} x {2**n} operator of circuit with "
                        f"{circuit.size()} gates", matrices=3)
    V = Operator(circuit).data
    U = to_numpy(U)
    tr = np.vdot(V, U)
    R = np.exp(1j * np.angle(tr)) * V - U
    return float(np.linalg.norm(R) / np.sqrt(U.shape[0]))
