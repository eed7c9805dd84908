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

__all__ = ["check_target", "operator_distance", "check_operator_work"]

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
