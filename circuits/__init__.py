"""circuits — quantum circuits for linear algebra, built with Qiskit.

Every builder returns a ``qiskit.QuantumCircuit`` that transpiles for Aer and
IBM backends and exports to OpenQASM 2 and 3; where a circuit has a
closed-form matrix, the package offers it too.
"""

from .hhl import HHLCircuit, hhl

__all__: list[str] = []
__all__ += ["HHLCircuit", "hhl"]
