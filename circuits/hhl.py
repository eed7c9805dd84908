"""The HHL linear-system circuit on Qiskit 2.x building blocks.

Harrow, Hassidim and Lloyd, "Quantum algorithm for linear systems of
equations", PRL 103, 150502 (2009). Registers, in qubit order: the system
``b`` (n qubits, little-endian), the QPE ``clock`` (m qubits) and the ``flag``.

1. ``StatePreparation`` of ``b/‖b‖`` on the system;
2. phase estimation of ``U = exp(iAt)``: Hadamards on the clock, clock qubit
   ``j`` controlling ``U^{2^j}`` (a ``HamiltonianGate(A, −2^j t)``, because
   ``HamiltonianGate(H, τ)`` is ``exp(−iHτ)``), as one controlled-unitary
   matrix, then the inverse ``QFTGate``;
3. eigenvalue inversion: a uniformly controlled ``RY`` on the flag, exact over
   all ``2^m`` clock values, ``sin(θ_k/2) = C/λ̃_k`` (Möttönen et al. 2004
   decomposition, ``2^m`` CX);
4. the inverse of step 2.

Post-selecting flag = 1 and clock = 0 leaves ``(C/‖b‖)·x`` on the system when
every eigenvalue sits on the clock grid; :mod:`sketch.hhl` emulates the general
case exactly (QPE leakage included), and the tests check the two agree.

Examples
--------
>>> import numpy as np
>>> from qiskit.quantum_info import Statevector
>>> h = hhl(np.array([[1.0, -1/3], [-1/3, 1.0]]), np.array([1.0, 0.0]),
...         clock_qubits=2, time=3 * np.pi / 4)
>>> h.circuit.num_qubits
4
>>> x = h.postselect(Statevector(h.circuit).data) * h.scale
>>> np.round(x.real, 6)
array([1.125, 0.375])
"""

from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass
from typing import Any

import numpy as np
from qiskit import QuantumCircuit, QuantumRegister
from qiskit.circuit.library import (
    HamiltonianGate,
    QFTGate,
    StatePreparation,
    UCRYGate,
    UnitaryGate,
)
from qiskit.quantum_info import SparsePauliOp, Statevector

from sketch.backend import is_sparse, to_numpy
from sketch.budgets import check_allocation, check_time_limit, check_work, time_left
from sketch.checks import (
    check_array,
    check_dtype,
    check_finite,
    check_observable,
    check_positive_int,
    check_progress,
)
from sketch.errors import ShapeError
from sketch.hhl import (
    HHLProblem,
    HHLSizing,
    check_clock,
    check_simulable,
    hhl_problem,
    size_hhl,
    stable_norm,
)

#: Basis the resource counts and QASM exports use.
BASIS = ("cx", "u")


@dataclass
class HHLCircuit:
    """An HHL circuit with its sizing and the maps between x and the qubits.

    Attributes
    ----------
    circuit : QuantumCircuit
        Registers ``b`` (system), ``clock``, ``flag``; no measurements.
    problem : HHLProblem
        The Hermitian, padded system the circuit solves.
    sizing : HHLSizing
        Clock qubits, time, constant, sign — each "auto" or "user".
    """

    circuit: QuantumCircuit
    problem: HHLProblem
    sizing: HHLSizing

    @property
    def system_qubits(self) -> int:
        return self.problem.num_qubits

    @property
    def clock_qubits(self) -> int:
        return self.sizing.clock_qubits

    @property
    def scale(self) -> float:
        """``‖b‖/C``: ``x ≈ scale · x_out``, ``‖x‖ ≈ scale · √P_success``."""
        return stable_norm(to_numpy(self.problem.rhs)) / self.sizing.constant

    def postselect(self, state: Any, unknowns: bool = True) -> np.ndarray:
        """System amplitudes of a full statevector on flag = 1, clock = 0.

        ``unknowns=True`` keeps the unknowns' block only (for the dilation and
        padding); ``False`` returns the whole system register, whose squared
        norm is the success probability.
        """
        n, m = self.system_qubits, self.clock_qubits
        check_array(state, "state")
        if state.size != 1 << (n + m + 1):
            raise ShapeError(f"state must hold the circuit's 2^{n + m + 1} amplitudes, got "
                             f"shape {state.shape}")
        check_dtype(state.dtype, "state")
        check_finite(state, "state")
        psi = np.asarray(to_numpy(state)).reshape(2, 1 << m, 1 << n)[1, 0]
        return self.problem.extract(psi) if unknowns else psi

    def system_operator(self, M: Any) -> np.ndarray:
        """``M`` (on the unknowns) embedded as a matrix on the system register."""
        k = self.problem.size
        check_observable(M, k, "M")
        M = to_numpy(M.toarray() if is_sparse(M) else M)
        N = 1 << self.system_qubits
        big = np.zeros((N, N), dtype=complex)
        o = self.problem.offset
        big[o : o + k, o : o + k] = M
        return big

    def observable(self, M: Any | None = None) -> SparsePauliOp:
        """``|1⟩⟨1|_flag ⊗ |0⟩⟨0|_clock ⊗ M`` as a SparsePauliOp.

        Its expectation is ``x_out† M x_out``; times ``scale²`` it estimates
        ``x† M x``. ``M = None`` means the identity: the success probability.
        """
        n, m = self.system_qubits, self.clock_qubits
        flag = SparsePauliOp(["I", "Z"], [0.5, -0.5])
        zero = SparsePauliOp(["I", "Z"], [0.5, 0.5])
        clock = zero
        for _ in range(m - 1):
            clock = clock.tensor(zero)
        if M is None:
            # Identity on the unknowns' block only (padding is never populated anyway).
            sys_op = SparsePauliOp("I" * n)
        else:
            sys_op = SparsePauliOp.from_operator(self.system_operator(M))
        return flag.tensor(clock).tensor(sys_op).simplify()

    def transpiled(self, basis: tuple[str, ...] = BASIS, optimization_level: int = 1):
        """The circuit transpiled to ``basis`` (default ``{cx, u}``), no layout."""
        from qiskit import transpile

        from .synthesis import check_basis

        basis = check_basis(basis)
        level = check_positive_int(optimization_level, "optimization_level", minimum=0, maximum=3)
        try:
            return transpile(self.circuit, basis_gates=basis, optimization_level=level)
        except Exception as exc:  # TranspilerError has no common builtin base
            raise ValueError(f"cannot express the HHL circuit in basis {basis}: {exc}") from exc

    def resources(self, transpiled: QuantumCircuit | None = None) -> dict:
        """Qubits, depth and CX count after transpiling to ``{cx, u}``."""
        tc = self.transpiled() if transpiled is None else transpiled
        ops = tc.count_ops()
        return {
            "qubits": tc.num_qubits,
            "system_qubits": self.system_qubits,
            "clock_qubits": self.clock_qubits,
            "depth": tc.depth(),
            "cx": int(ops.get("cx", 0)),
            "u": int(ops.get("u", 0)),
        }

    def statevector(self, max_qubits: int | None = None) -> np.ndarray:
        """The final state from Aer's statevector simulator (``method="statevector"``)."""
        from qiskit import transpile
        from qiskit_aer import AerSimulator

        check_simulable(self.circuit.num_qubits, max_qubits, "HHL circuit")
        sim = AerSimulator(method="statevector")
        qc = self.circuit.copy()
        qc.save_statevector()
        tc = transpile(qc, sim, optimization_level=0)
        return np.asarray(sim.run(tc).result().get_statevector())


def hhl(
    A: Any,
    b: Any,
    clock_qubits: int | None = None,
    time: float | None = None,
    *,
    constant: float | None = None,
    signed: bool | None = None,
    bounds: tuple[float, float] | None = None,
    max_qubits: int = 30,
    max_clock_qubits: int = 20,
    time_limit: float | None = None,
    progress: bool | None = None,
) -> HHLCircuit:
    """Build the HHL circuit for ``A x = b``.

    Parameters
    ----------
    A : (n, n) array or sparse matrix
        Hermitian A is used directly; any other (non-Hermitian, rectangular)
        goes through the dilation ``[[0, A], [A†, 0]]``; sizes are padded to a
        power of two without changing the solution (:class:`sketch.hhl.HHLProblem`).
    b : (n,) array
        Non-zero, finite.
    clock_qubits, time : optional
        QPE clock size and evolution time; default from :func:`sketch.hhl.size_hhl`
        (λ_min exactly on the clock grid, no aliasing).
    constant : float, optional
        ``C`` of the inversion (default ``λ_min``).
    signed : bool, optional
        Two's-complement clock for negative eigenvalues (default: when A has them).
    bounds : (min|λ|, max|λ|), optional
        Eigenvalue bounds of the Hermitian form if known; checked against its exact
        spectrum (refused if they do not contain it, :func:`sketch.hhl.size_hhl`).
    max_qubits : int
        Refuse to build wider circuits (the controlled powers of ``exp(iAt)``
        are dense ``2^n`` matrices).
    max_clock_qubits : int
        Refuse wider clocks (the inversion is a uniformly controlled RY with
        ``2^m`` angles and ``2^m`` CX), before anything of size ``2^m`` is made.
    time_limit, progress : optional
        Seconds for the eigenvalue bounds that size the clock (Lanczos, for A beyond
        :data:`sketch.hhl_sizing.DENSE_LIMIT` rows; one deadline for the padding's and the
        sizing's, :func:`sketch.budgets.time_left`), and their tqdm bar: bounds cut short
        come with a :class:`~sketch.errors.ConvergenceWarning` and a note in ``.sizing``
        (:func:`sketch.hhl_sizing.eigenvalue_bounds`). The circuit's construction is not
        timed.

    Raises
    ------
    ShapeError, NonFiniteError, SingularMatrixError, ValueError
        A not square, non-finite input, A singular, b zero, a circuit or clock
        wider than the limits.
    InsufficientMemoryError
        The controlled powers of ``exp(iAt)`` would not fit in memory.

    Returns
    -------
    HHLCircuit
        ``.circuit``, ``.sizing`` (every choice and whether it was automatic),
        ``.observable(M)``, ``.resources()``, ``.transpiled()``.

    Examples
    --------
    >>> import numpy as np
    >>> h = hhl(np.diag([1.0, 2.0, 3.0, 4.0]), np.ones(4))
    >>> h.sizing.clock_qubits, h.sizing.chosen["time"]
    (4, 'auto')
    """
    max_qubits = check_positive_int(max_qubits, "max_qubits")
    max_clock_qubits = check_positive_int(max_clock_qubits, "max_clock_qubits")
    time_limit, progress = check_time_limit(time_limit), check_progress(progress)
    start = _time.perf_counter()
    problem = hhl_problem(A, b, time_limit=time_limit, progress=progress)
    n = problem.num_qubits
    if n + 2 > max_qubits:
        raise ValueError(
            f"A has {problem.size} unknowns: the HHL circuit needs {n} system qubits plus "
            f"a clock and a flag, above max_qubits={max_qubits}"
        )
    # the dense padded A and the work space of its exponential
    check_allocation(4 * 16 * float(1 << (2 * n)), f"the dense {1 << n}×{1 << n} padded A",
                     fix="solve a smaller system")
    # the sizing's eigenvalues and one exponential at least, before either starts
    _check_exponentials(n, 1)
    H = problem.matrix
    Hd = to_numpy(H.toarray() if is_sparse(H) else H)
    sizing = size_hhl(
        Hd, clock_qubits=clock_qubits, time=time, constant=constant, signed=signed,
        bounds=problem.bounds if bounds is None else bounds,
        time_limit=time_left(start, time_limit), progress=progress,
    )
    check_clock(sizing, max_clock_qubits)
    m = sizing.clock_qubits
    # m dense controlled-exp(iA 2^j t) matrices of size 2^(n+1), kept by the circuit
    check_allocation((m + 2) * 16 * float(1 << (2 * n + 2)), f"the {m} controlled powers of "
                     f"exp(iAt) on {n} system qubits", fix="solve a smaller system")
    _check_exponentials(n, m)
    total = n + m + 1
    if total > max_qubits:
        raise ValueError(
            f"the HHL circuit would have {total} qubits ({n} system + {m} clock + 1 flag), "
            f"above max_qubits={max_qubits}; use fewer clock qubits"
        )
    bvec = to_numpy(problem.rhs).astype(complex)
    bvec = bvec / np.abs(bvec).max()
    bvec = bvec / np.linalg.norm(bvec)

    sys = QuantumRegister(n, "b")
    clk = QuantumRegister(m, "clock")
    flag = QuantumRegister(1, "flag")
    qc = QuantumCircuit(sys, clk, flag, name="HHL")
    prep = StatePreparation(bvec, label="|b>")
    qc.append(prep, list(sys))
    # StatePreparation is exact only up to a global phase (a basis state such as -|0> comes
    # out as |0>); x's sign and phase are read from the amplitudes, so put the phase back.
    made = Statevector(prep.definition).data
    qc.global_phase = float(np.angle(np.vdot(made, bvec)))

    qpe = QuantumCircuit(sys, clk, name="QPE")
    qpe.h(clk)
    for j in range(m):
        # exp(iA·2^j t) = HamiltonianGate(A, −2^j t), since HamiltonianGate(H, τ) = exp(−iHτ).
        U = HamiltonianGate(Hd, -(2**j) * sizing.time).to_matrix()
        qpe.append(_controlled(U, f"c-e^(iA·{2**j}t)"), [clk[j], *sys])
    qpe.append(QFTGate(m).inverse(), list(clk))
    qpe_gate = qpe.to_gate(label="QPE")
    qc.append(qpe_gate, [*sys, *clk])
    qc.append(UCRYGate(list(sizing.angles())), [flag[0], *clk])
    qc.append(qpe_gate.inverse(), [*sys, *clk])
    qc.metadata = {
        "clock_qubits": m,
        "time": sizing.time,
        "constant": sizing.constant,
        "signed": sizing.signed,
        "kappa": sizing.kappa,
    }
    return HHLCircuit(qc, problem, sizing)


# Per clock qubit and cube of the dimension for the work rule (sketch.budgets.check_work): the
# exponential exp(iA 2^j t) and its controlled 2N x 2N gate, about 3e-8 s on a 2-core machine
# at N = 512; rounded down.
_EXPONENTIAL_S = 1e-8


def _check_exponentials(n: int, m: int) -> None:
    check_work(_EXPONENTIAL_S * (m + 1) * 8.0**n,
               f"the {m} controlled powers of exp(iAt) on {n} system qubits ({1 << n} unknowns)",
               fix="solve a smaller system (or use qla.solve's classical methods)")


def _controlled(U: np.ndarray, label: str) -> UnitaryGate:
    """``|0⟩⟨0| ⊗ I + |1⟩⟨1| ⊗ U`` with the control as the gate's first (lowest) qubit.

    Built as one matrix: ``Gate.control()`` would synthesise U eagerly (seconds
    per gate at 4 system qubits); Aer simulates the matrix directly, and
    transpiling synthesises it once.
    """
    p0 = np.diag([1.0, 0.0])
    p1 = np.diag([0.0, 1.0])
    return UnitaryGate(np.kron(np.eye(U.shape[0]), p0) + np.kron(U, p1), label=label,
                       check_input=False)


def absolute_average_operator(size: int) -> np.ndarray:
    """``M = J/size²`` (J all ones): ``x†Mx = |mean(x)|²``, the "absolute average"."""
    return np.ones((size, size)) / size**2


def tridiagonal_operator(size: int, main: float = 1.0, off: float = -0.5) -> np.ndarray:
    """The tridiagonal functional ``M = main·I + off·(S + Sᵀ)`` (S the shift)."""
    return (
        main * np.eye(size) + off * np.eye(size, k=1) + off * np.eye(size, k=-1)
    )


def state_projector(x: Any) -> np.ndarray:
    """``|x̂⟩⟨x̂|``: with the identity's expectation it gives the solution fidelity."""
    x = to_numpy(x).astype(complex)
    nrm = np.linalg.norm(x)
    if nrm == 0 or not math.isfinite(nrm):
        raise ValueError("the reference solution is zero or non-finite")
    x = x / nrm
    return np.outer(x, x.conj())


__all__ = [
    "BASIS",
    "HHLCircuit",
    "absolute_average_operator",
    "hhl",
    "state_projector",
    "tridiagonal_operator",
]
