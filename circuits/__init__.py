"""circuits — quantum circuits for linear algebra, built with Qiskit.

Every builder returns a ``qiskit.QuantumCircuit`` that transpiles for Aer and
IBM backends and exports to OpenQASM 2 and 3; where a circuit has a
closed-form matrix, the package offers it too.
"""

from . import statistics
from .codes import haar_code, knill_laflamme_violation, pauli_errors
from .hhl import HHLCircuit, hhl
from .instantiate import InstantiationResult, instantiate
from .optimization import OptimizeResult, optimize
from .partition import greedy_partition, partition
from .peft import (
    num_qubits_for,
    pauli_circuit,
    pauli_num_params,
    pauli_stiefel,
    pauli_unitary,
    stiefel_num_params,
)
from .pfc import PFC, pfc, pfc_matrix
from .random_circuits import (
    brickwork_unitaries,
    clifford_unitaries,
    haar_circuit,
    random_brickwork,
    random_clifford_circuit,
)
from .resynthesis_pass import BlockResynthesis
from .synthesis import (
    SynthesisResult,
    cnot_lower_bound,
    synthesize,
    synthesize_diagonal,
    synthesize_state,
)
from .targets import operator_distance

__all__: list[str] = []
__all__ += ["HHLCircuit", "hhl"]
__all__ += ["pauli_circuit", "pauli_unitary", "pauli_stiefel", "pauli_num_params",
            "stiefel_num_params", "num_qubits_for"]
__all__ += ["synthesize", "SynthesisResult", "synthesize_diagonal", "synthesize_state",
            "cnot_lower_bound", "operator_distance", "instantiate", "InstantiationResult"]
__all__ += ["PFC", "pfc", "pfc_matrix", "statistics", "haar_circuit", "random_brickwork",
            "brickwork_unitaries", "random_clifford_circuit", "clifford_unitaries",
            "haar_code", "knill_laflamme_violation", "pauli_errors"]
__all__ += ["optimize", "OptimizeResult", "partition", "greedy_partition", "BlockResynthesis"]
