"""What :func:`qla.run` returns, and the exact distributions to compare it with.

:class:`RunResult` is a sequence of :class:`CircuitResult` (counts, probabilities,
expectation values and the transpiled circuit's depth and two-qubit-gate count, one
per circuit of the job); :func:`ideal_probabilities` gives a circuit's exact output
distribution by statevector and :func:`total_variation` the distance between two.

Examples
--------
>>> total_variation({"00": 0.5, "11": 0.5}, {"00": 0.75, "11": 0.25})
0.25
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["CircuitResult", "RunResult", "ideal_probabilities", "total_variation"]


@dataclass
class CircuitResult:
    """The outcome of one circuit of a :func:`run`.

    Attributes
    ----------
    name : str
        The circuit's name.
    num_qubits : int
        Qubits of the circuit as given.
    counts : dict or None
        Bitstring (qubit 0 rightmost, as in Qiskit) → number of shots; ``None`` for
        an estimator run.
    probabilities : dict or None
        ``counts`` divided by the shots (the measured quasi-distribution).
    expectation_values : numpy.ndarray or None
        One value per observable (estimator runs).
    standard_errors : numpy.ndarray or None
        The primitive's standard error of each expectation value.
    depth : int
        Depth of the transpiled (ISA) circuit.
    two_qubit_gates : int
        Number of two-qubit gates (CX, CZ, ECR, ...) in the transpiled circuit.
    operations : dict
        Gate name → count in the transpiled circuit.
    success_estimate : float or None
        Estimated success probability ``Π (1 − εᵢ)`` over the transpiled instructions,
        from the backend's calibrated gate and readout errors (Nishio et al. 2020);
        ``None`` when the backend reports no errors (noiseless Aer). Under stochastic
        noise the measured distribution lies within total variation ``1 − success_estimate``
        of the ideal one, up to shot noise.
    metadata : dict
        The primitive's metadata for this circuit.
    """

    name: str
    num_qubits: int
    depth: int
    two_qubit_gates: int
    operations: dict[str, int]
    counts: dict[str, int] | None = None
    probabilities: dict[str, float] | None = None
    expectation_values: np.ndarray | None = None
    standard_errors: np.ndarray | None = None
    success_estimate: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunResult(Sequence):
    """What :func:`run` returns: one :class:`CircuitResult` per circuit plus the job's facts.

    Indexing and iteration go over the circuits (``result[0].counts``).

    Attributes
    ----------
    circuits : list of CircuitResult
    backend : str
        The backend's name (e.g. ``"aer_simulator_statevector"``, ``"fake_manila"``).
    shots : int
        Shots per circuit (estimator runs: the shots that set the target precision).
    method : str or None
        The Aer simulation method; ``None`` for hardware and generic backends.
    primitive : str
        Which V2 primitive ran the job.
    seed : int or None
        Seed of the simulator and the transpiler.
    seconds : float
        Wall time of transpilation plus the job.
    job_id : str or None
        The primitive job's id (useful for IBM Runtime jobs).
    """

    circuits: list[CircuitResult]
    backend: str
    shots: int
    method: str | None
    primitive: str
    seed: int | None
    seconds: float
    job_id: str | None = None

    def __getitem__(self, i):  # type: ignore[override]
        return self.circuits[i]

    def __len__(self) -> int:
        return len(self.circuits)

    def __iter__(self) -> Iterator[CircuitResult]:
        return iter(self.circuits)

    def _pick(self, attr: str, i: int | None) -> Any:
        if i is not None:
            if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
                raise TypeError(f"i must be a circuit index (an int), got {type(i).__name__}")
            if not -len(self.circuits) <= i < len(self.circuits):
                raise IndexError(f"i={i} is out of range: the run holds "
                                 f"{len(self.circuits)} circuit(s)")
            return getattr(self.circuits[i], attr)
        if len(self.circuits) == 1:
            return getattr(self.circuits[0], attr)
        return [getattr(c, attr) for c in self.circuits]

    def get_counts(self, i: int | None = None) -> dict[str, int] | list[dict[str, int]]:
        """Counts of circuit ``i``; with ``i=None``, one dict for one circuit or a list."""
        return self._pick("counts", i)

    def get_probabilities(self, i: int | None = None) -> dict[str, float] | list[dict[str, float]]:
        """Measured probabilities of circuit ``i`` (same convention as :meth:`get_counts`)."""
        return self._pick("probabilities", i)

    @property
    def expectation_values(self) -> list[np.ndarray | None]:
        """Expectation values of every circuit (a list, one array per circuit)."""
        return [c.expectation_values for c in self.circuits]


# --------------------------------------------------------------------------- backends



def ideal_probabilities(circuit) -> dict[str, float]:
    """Exact output distribution of ``circuit`` (final measurements removed), by statevector.

    Keys are bitstrings over all qubits, qubit 0 rightmost (as in :func:`run`'s counts for a
    circuit without measurements). Zero-probability outcomes are left out.

    Examples
    --------
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(2); _ = qc.h(0); _ = qc.cx(0, 1)
    >>> {k: round(v, 6) for k, v in ideal_probabilities(qc).items()}
    {'00': 0.5, '11': 0.5}
    """
    from qiskit.quantum_info import Statevector

    qc = circuit.remove_final_measurements(inplace=False)
    probs = Statevector(qc).probabilities_dict()
    return {str(k): float(v) for k, v in sorted(probs.items()) if v > 1e-15}


def total_variation(p: dict[str, float], q: dict[str, float]) -> float:
    """Total variation distance ``½ Σ |p(x) − q(x)|`` between two distributions (dicts).

    Examples
    --------
    >>> total_variation({"0": 1.0}, {"0": 0.5, "1": 0.5})
    0.5
    """
    keys = set(p) | set(q)
    return 0.5 * float(sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in keys))
