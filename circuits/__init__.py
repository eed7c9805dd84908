"""circuits — quantum circuits for linear algebra, built with Qiskit.

Every builder returns a ``qiskit.QuantumCircuit`` that transpiles for Aer and
IBM backends and exports to OpenQASM 2 and 3; where a circuit has a
closed-form matrix, the package offers it too.
"""

from . import statistics
from .pfc import PFC, pfc, pfc_matrix
from .random_circuits import (
    brickwork_unitaries,
    clifford_unitaries,
    haar_circuit,
    random_brickwork,
    random_clifford_circuit,
)

__all__: list[str] = []
__all__ += ["PFC", "pfc", "pfc_matrix", "statistics", "haar_circuit", "random_brickwork",
            "brickwork_unitaries", "random_clifford_circuit", "clifford_unitaries"]
from .codes import haar_code, knill_laflamme_violation, pauli_errors  # noqa: E402

__all__ += ["haar_code", "knill_laflamme_violation", "pauli_errors"]
