"""circuits — quantum circuits for linear algebra, built with Qiskit.

Every builder returns a ``qiskit.QuantumCircuit`` that transpiles for Aer and
IBM backends and exports to OpenQASM 2 and 3; where a circuit has a
closed-form matrix, the package offers it too.
"""

from .hhl import HHLCircuit, hhl
from .pfc import PFC, pfc, pfc_matrix

__all__: list[str] = []
__all__ += ["PFC", "pfc", "pfc_matrix"]
__all__ += ["HHLCircuit", "hhl"]
from .random_circuits import (  # noqa: E402
    brickwork_unitaries,
    clifford_unitaries,
    haar_circuit,
    random_brickwork,
    random_clifford_circuit,
)
from .statistics import (  # noqa: E402
    frame_potential,
    haar_trace_moment,
    spacing_ratio,
    trace_moments,
)

__all__ += ["haar_circuit", "random_brickwork", "brickwork_unitaries", "random_clifford_circuit",
            "clifford_unitaries", "trace_moments", "frame_potential", "spacing_ratio",
            "haar_trace_moment"]
