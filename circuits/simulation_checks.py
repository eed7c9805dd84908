"""Checks made before a circuit is simulated on Aer: that the circuits are circuits
(:func:`as_circuits`, :func:`check_circuit`) and that a dense simulation fits in memory
(:func:`memory_estimate`, checked through :func:`sketch.budgets.check_allocation`, qla's one
memory-budget rule). :func:`qla.run` and the Aer estimators of :mod:`circuits.statistics`
share them.

Examples
--------
>>> memory_estimate(20, "statevector") / 2**20
16.0
"""

from __future__ import annotations

import numpy as np

# Gates the stabilizer method simulates; a circuit of these needs no dense state.
_CLIFFORD = frozenset(
    "id x y z h s sdg sx sxdg cx cy cz swap ecr iswap dcx measure reset barrier delay".split()
)


def memory_estimate(num_qubits: int, method: str, precision: str = "double") -> int | None:
    """Bytes a dense simulation of ``num_qubits`` qubits needs, or ``None`` if not dense.

    Statevector: ``16·2ⁿ`` bytes (complex128; 8·2ⁿ in single precision); density
    matrix: ``16·4ⁿ``. Matrix-product-state memory depends on entanglement, so
    there is no fixed estimate.

    Examples
    --------
    >>> memory_estimate(30, "statevector") / 2**30
    16.0
    >>> memory_estimate(10, "matrix_product_state") is None
    True
    """
    item = 8 if precision == "single" else 16
    if method in ("statevector", "automatic"):
        return item * (1 << num_qubits)
    if method == "density_matrix":
        return item * (1 << (2 * num_qubits))
    return None


def _fmt_bytes(b: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if b < 1024 or unit == "EiB":
            return f"{b:.3g} {unit}"
        b /= 1024
    return f"{b:.3g} EiB"  # pragma: no cover


def _active_qubits(circuit) -> int:
    """Qubits touched by an operation (Aer drops idle ones before allocating)."""
    used = set()
    for inst in circuit.data:
        if inst.operation.name in ("barrier", "delay"):
            continue
        used.update(inst.qubits)
    return len(used)


def _is_clifford(circuit) -> bool:
    return all(inst.operation.name in _CLIFFORD for inst in circuit.data)


def _device_module(gpu: bool):
    if gpu:
        try:
            import cupy

            return cupy
        except ImportError:  # Aer's GPU build without CuPy: the host figure is all we have
            pass
    return np


def check_simulation_memory(
    circuit, method: str, gpu: bool = False, precision: str = "double"
) -> None:
    """Refuse, before allocating, a dense simulation larger than the memory free now.

    The simulation's size (:func:`memory_estimate` of the active qubits) goes through
    :func:`sketch.budgets.check_allocation`, qla's one memory-budget rule.

    Raises
    ------
    InsufficientMemoryError
        (a ``MemoryError``) naming the circuit, its active qubits, the method, the bytes
        needed and free, and what to do instead.
    """
    from sketch.budgets import check_allocation

    if method == "automatic" and _is_clifford(circuit):
        return  # Aer picks the stabilizer method: polynomial memory
    n = _active_qubits(circuit)
    need = memory_estimate(n, method, precision)
    if need is None:
        return
    shape = "16·4^n" if method == "density_matrix" else "16·2^n"
    dense = "as a statevector (not Clifford), " if method == "automatic" else ""
    hint = (
        "use method='statevector' with shots for noise"
        if method == "density_matrix"
        else "use method='matrix_product_state' for weakly entangled circuits, or a GPU/"
        "larger machine"
    )
    check_allocation(
        need,
        f"circuit {circuit.name!r} with {n} active qubits, simulated with method={method!r} "
        f"{dense}({shape} = {_fmt_bytes(need)}, {need} bytes)",
        xp=_device_module(gpu), fix=hint,
    )


def as_circuits(circuits) -> list:
    """The circuits of ``run``'s first argument (a builder's result counts as its circuit)."""
    from qiskit import QuantumCircuit

    def unwrap(c):
        inner = getattr(c, "circuit", None)  # HHLCircuit, SynthesisResult, ...
        return inner if isinstance(inner, QuantumCircuit) else c

    circuits = unwrap(circuits)
    if isinstance(circuits, QuantumCircuit):
        return [circuits]
    if isinstance(circuits, (str, bytes)) or not hasattr(circuits, "__iter__"):
        raise TypeError(
            "circuits must be a qiskit QuantumCircuit or a sequence of them, got "
            f"{type(circuits).__name__}"
        )
    out = [unwrap(c) for c in circuits]
    if not out:
        raise ValueError("no circuits to run: circuits is empty")
    return out


def check_circuit(circuit, index: int) -> None:
    from qiskit import QuantumCircuit

    if not isinstance(circuit, QuantumCircuit):
        raise TypeError(
            f"circuits[{index}] is a {type(circuit).__name__}, expected a qiskit QuantumCircuit"
        )
    if circuit.num_qubits == 0:
        raise ValueError(f"circuits[{index}] ({circuit.name!r}) has no qubits; add some first")
    if circuit.parameters:
        names = ", ".join(p.name for p in list(circuit.parameters)[:5])
        more = "" if circuit.num_parameters <= 5 else f" and {circuit.num_parameters - 5} more"
        raise ValueError(
            f"circuits[{index}] ({circuit.name!r}) has {circuit.num_parameters} unbound "
            "parameter(s) "
            f"({names}{more}); bind them first with circuit.assign_parameters({{...}})"
        )


__all__ = ["as_circuits", "check_circuit", "check_simulation_memory", "memory_estimate"]
