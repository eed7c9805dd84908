"""circuits — quantum circuits for linear algebra, built with Qiskit.

Every builder returns a ``qiskit.QuantumCircuit`` that transpiles for Aer and
IBM backends and exports to OpenQASM 2 and 3; where a circuit has a
closed-form matrix, the package offers it too.
"""

from .instantiate import InstantiationResult, instantiate
from .synthesis import (
    SynthesisResult,
    cnot_lower_bound,
    operator_distance,
    synthesize,
    synthesize_diagonal,
    synthesize_state,
)

__all__: list[str] = []
__all__ += ["synthesize", "SynthesisResult", "synthesize_diagonal", "synthesize_state",
            "cnot_lower_bound", "operator_distance", "instantiate", "InstantiationResult"]
