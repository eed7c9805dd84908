"""Unitary synthesis: exact decompositions and numerical search toward the CNOT lower bound.

A generic ``n``-qubit unitary needs at least ``⌈(4ⁿ − 3n − 1)/4⌉`` CNOTs
(Shende, Markov and Bullock 2004): 3, 14, 61, 252 for ``n = 2…5``. Qiskit's
exact quantum Shannon / block-ZXZ decomposition uses 3/19/95/423.

* ``method="exact"`` calls Qiskit where it is good: the Euler decomposition for
  one qubit, the KAK (Cartan) decomposition for two qubits (Vidal and Dawson
  2004; Vatan and Williams 2004: 3 CNOTs at most, fewer when ``U`` allows),
  the quantum Shannon decomposition (Shende, Bullock and Markov 2006; block-ZXZ
  of Krol and Al-Ars 2024) beyond, and a diagonal-gate synthesis (Bullock and
  Markov 2004, ``2ⁿ − 2`` CNOTs) when ``U`` is diagonal.
* ``method="numerical"`` searches over CNOT structures whose single-qubit gates
  are fitted by :func:`circuits.instantiate.instantiate` (batched
  Levenberg–Marquardt with analytic gradients). The search first tries a
  layered structure at the lower bound — every CNOT pair in turn, the
  "sequential" ansatz that reaches the bound for generic targets (Madden and
  Simonetto 2022) — then, if one CNOT fewer also works (so ``U`` is special),
  bisects the count down, deletes single CNOTs while the rest still fits
  (scanning gate removal, as in BQSKit), and runs a bottom-up A* search over
  CNOT placements below that (QSearch, Davis et al. 2020, with LEAP-style warm
  starts, Smith et al. 2023) under an instantiation budget. Deterministic
  under ``seed``; a ``time_limit`` returns the best circuit so far with its
  distance. From 5 qubits the search is *sequential* (below).
* ``method="approximate"``: the same search under a CNOT budget
  (``max_cnots``) or a distance target (``tol``), returning the best circuit
  found and its distance, not an error, when the target is out of reach.

Measured on a shared 2-core CPU (``python -m benchmarks synthesis``): Haar
3-qubit targets at 14 CNOTs in about 0.5 s, 4-qubit at 61 CNOTs in about
12 s, both to ~1e-12; Toffoli 6, Fredkin 7, 3-qubit QFT 6 CNOTs. The numerical
search is practical up to 4 qubits by structure search; special (non-generic)
4-qubit targets can stop above their optimum, so give them a ``time_limit``.

Five qubits (lower bound 252). A template of ``L ≈ 252`` CNOTs fitted with a
``U3`` after every CNOT has ~1530 angles, a ``1530 × 2048`` real Jacobian
and a ``32 × 32`` unitary; one Levenberg–Marquardt step of one start costs
~0.2 s of one core, a start at the bound had not converged after 660 steps
(distance 5e-5, one target measured), and the structure search above fits
8 starts together for up to 1200 steps per template: about 30 min of CPU for
the first template, 16 starts for the second. So from 5 qubits the search
fixes the structure to the layered one, fits it in the reduced
parameterisation (``Rz·Ry`` on a CNOT's control and ``Rx·Ry`` on its target:
``3n + 4L = 4ⁿ − 1`` angles at the bound, a square Gauss–Newton system, 0.11
s a step), starts 8 CNOTs above the bound (260: converges in 30-40 steps),
then bisects the count down to the bound with ``starts`` (default 2) fresh
starts per count, one at a time. The closer to the bound, the fewer starts
converge and the more steps they take (measured on one target: 256 in 38
steps, 254 in 88, 253 in 236; 252 converged from one of two starts in 198
steps; on another target none of 6 starts of up to 700 steps did, each
creeping at 1e-4…7e-4): what limits it is steps per start times starts per count, each step
dominated by the Jacobian (``4ⁿ`` columns of ``4ⁿ`` entries) and the
``4ⁿ × 4ⁿ`` normal equations. The progress bar counts steps against the
worst case, so its ETA is an upper bound. A GPU would change the second
factor: starts are a batch dimension (``instantiate(starts=k)`` runs ``k``
of them in the same array operations, on CuPy too), and 32 × 32 products
and a 1024 × 1024 solve per start leave a GPU mostly idle, so ``k`` starts
per count would cost about one; the sequential search runs them one at a
time because on 2 CPU cores a batch of ``k`` costs ``k`` (not measured on a
GPU: none was available). Measured (``python -m benchmarks synthesis
--qubits 5``, three Haar targets): 253 CNOTs each at distance ≤ 8e-12, in
102-123 s of CPU time and 305 MiB peak memory.

A ``coupling_map`` (list of qubit pairs) restricts CNOTs to its edges (either
direction: the single-qubit gates around a CNOT reverse it for free).

Distances are ``min_α ‖e^{iα}V − U‖_F / √d`` (global phase free), computed
from the difference matrix so they certify down to about ``1e-15·d`` in
float64; to first order they equal the Hilbert–Schmidt distance
``√(1 − |Tr(V†U)|²/d²)``. The returned circuit carries the optimal global
phase, so ``Operator(circuit)`` itself is within the distance of ``U``.

Examples
--------
>>> import numpy as np
>>> from scipy.stats import unitary_group
>>> U = unitary_group.rvs(4, random_state=0)
>>> res = synthesize(U, method="exact")
>>> res.cnot_count, bool(res.distance < 1e-12)
(3, True)
>>> res = synthesize(U, method="numerical", seed=0)
>>> res.cnot_count, bool(res.distance < 1e-8)
(3, True)
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sketch.backend import array_module, to_numpy
from sketch.budgets import check_allocation, check_time_limit
from sketch.checks import (
    check_matrix,
    check_positive_int,
    check_power_of_two,
    check_progress,
    check_square,
)
from sketch.errors import ConvergenceWarning, NotUnitaryError, ShapeError, ToleranceError
from sketch.progress import IterationWatch
from sketch.rng import as_key

from .exact_synthesis import UNITARY_ATOL, exact_circuit, synthesize_diagonal, synthesize_state
from .instantiate import template_circuit
from .structure_search import (
    SEQUENTIAL_MARGIN,
    SEQUENTIAL_MAX_ITER,
    SEQUENTIAL_QUBITS,
    SEQUENTIAL_TRIES,
    Search,
    coupling_pairs,
    sequential_steps,
    single_thread_blas,
)
from .targets import check_operator_work, operator_distance

__all__ = [
    "SynthesisResult",
    "check_basis",
    "cnot_lower_bound",
    "distance_floor",
    "synthesize",
    "synthesize_diagonal",
    "synthesize_state",
]

#: Most qubits the numerical search accepts: its first template already has about 4ⁿ/4
#: CNOTs, and each instantiation holds a Jacobian of ``starts × 4ⁿ/2 × 3 × 4ⁿ`` entries.
MAX_NUMERICAL_QUBITS = 5


@dataclass
class SynthesisResult:
    """A synthesized circuit and how good it is.

    Attributes
    ----------
    circuit : qiskit.QuantumCircuit
        Gates ``cx`` and ``u`` (or the requested basis), with the global phase set.
    distance : float
        ``min_α ‖e^{iα}Operator(circuit) − U‖_F / √d``.
    cnot_count : int
    seconds : float
    method : str
    converged : bool
        Whether ``distance <= tol``.
    tol : float
    lower_bound : int
        ``⌈(4ⁿ − 3n − 1)/4⌉``, the CNOT count a generic target needs.
    structure : list of (control, target), or None for exact methods
    instantiations : int
        Templates instantiated by the numerical search (0 for exact methods).
    trace : list of (cnots, distance)
        Every template the search tried, in order.
    """

    circuit: Any
    distance: float
    cnot_count: int
    seconds: float
    method: str
    converged: bool
    tol: float
    lower_bound: int
    structure: list[tuple[int, int]] | None = None
    instantiations: int = 0
    trace: list[tuple[int, float]] = field(default_factory=list, repr=False)

    @property
    def residual(self) -> float:
        """Same as :attr:`distance`."""
        return self.distance

    @property
    def iterations(self) -> int:
        """Same as :attr:`instantiations`."""
        return self.instantiations


def cnot_lower_bound(n: int) -> int:
    """``⌈(4ⁿ − 3n − 1)/4⌉``: CNOTs a generic n-qubit unitary needs (Shende et al. 2004).

    Examples
    --------
    >>> [cnot_lower_bound(n) for n in range(1, 6)]
    [0, 3, 14, 61, 252]
    """
    n = check_positive_int(n, "n", minimum=0, maximum=10**4,
                           why="the bound has 0.6·n digits; no target that wide exists")
    return -(-((1 << 2 * n) - 3 * n - 1) // 4)


def distance_floor(d: int, dtype: Any = np.complex128) -> float:
    """Smallest distance a ``d × d`` target of ``dtype`` lets us certify: ``5·eps·d``.

    Rounding in forming ``e^{iα}V − U`` and in the circuit's own product is a
    few ``eps`` per entry; ``5·eps·d`` (≈ ``1.1e-15·d`` in float64) leaves room.

    Examples
    --------
    >>> f"{distance_floor(8):.1e}"
    '8.9e-15'
    """
    eps = float(np.finfo(np.dtype(dtype)).eps)
    return 5.0 * eps * d


def _check_unitary(U: Any, tol: float, method: str) -> tuple[np.ndarray, int]:
    check_matrix(U, "U", sparse=False)
    check_square(U, "U")
    n = check_power_of_two(U.shape[0], "U's dimension")
    if n == 0:
        raise ShapeError("U is 1 x 1; synthesis needs at least one qubit (a 2 x 2 matrix)")
    _check_width(n, method)  # before U^H U, which alone takes minutes at 13 qubits
    xp = array_module(U)
    dev = float(xp.max(xp.abs(U.conj().T @ U - xp.eye(U.shape[0]))))
    if dev > UNITARY_ATOL:
        raise NotUnitaryError(
            f"U is not unitary: max |U^H U - I| = {dev:.3g} > {UNITARY_ATOL:g}; "
            "pass a unitary matrix (re-unitarise a noisy one with its polar factor, "
            "e.g. W @ Vh from numpy.linalg.svd)"
        )
    floor = max(distance_floor(U.shape[0], U.dtype), dev)
    if not (tol >= floor):
        raise ToleranceError(
            f"tol={tol:g} is below what can be certified for this {U.shape[0]}x{U.shape[0]} "
            f"{np.dtype(U.dtype).name} target: the floor is {floor:.2g} (5 eps d, or U's own "
            f"deviation from unitarity); ask for tol >= {floor:.2g}"
        )
    return xp.asarray(U, dtype=xp.complex128), n


def _check_width(n: int, method: str) -> None:
    if method == "exact":
        # the result is verified on its operator; Qiskit's QSD has about 1.2·4ⁿ gates
        check_operator_work(1.2 * 4.0**n, n, f"verifying the exact synthesis of {n} qubits")
    elif n > MAX_NUMERICAL_QUBITS:
        raise ValueError(
            f"U acts on {n} qubits: method={method!r} searches templates of about "
            f"{cnot_lower_bound(n)} CNOTs, beyond what it can instantiate (at most "
            f"{MAX_NUMERICAL_QUBITS} qubits; practical up to 4); use method='exact' (Qiskit's "
            "Shannon decomposition)"
        )


def check_basis(basis: Any, name: str = "basis") -> list[str]:
    """Require a non-empty sequence of Qiskit standard gate names; return it as a list.

    Checked before any transpiling, so a typo is named as such (Qiskit would answer
    with advice about a ``target`` parameter that qla's functions do not have).

    Examples
    --------
    >>> check_basis(("cx", "u"))
    ['cx', 'u']
    >>> check_basis(["foo"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: basis holds 'foo', which is not a Qiskit standard gate name; use names ...
    """
    from qiskit.circuit.library import get_standard_gate_name_mapping

    if isinstance(basis, str) or not isinstance(basis, Sequence):
        raise TypeError(f"{name} must be a list or tuple of gate names such as ['cx', 'u'], "
                        f"got {type(basis).__name__}")
    gates = list(basis)
    if not gates:
        raise ValueError(f"{name} is empty; give the gate names to write, e.g. ['cx', 'u']")
    known = get_standard_gate_name_mapping()
    for g in gates:
        if not isinstance(g, str) or g not in known:
            raise ValueError(
                f"{name} holds {g!r}, which is not a Qiskit standard gate name; use names such "
                "as 'cx', 'u', 'rz', 'sx', 'x', 'ecr' "
                "(qiskit.circuit.library.get_standard_gate_name_mapping)"
            )
    return gates


def _check_search_options(starts: Any, time_limit: Any, max_cnots: Any, heuristic_weight: Any,
                          astar_budget: Any, prune_budget: Any) -> None:
    check_positive_int(starts, "starts")
    check_positive_int(astar_budget, "astar_budget", minimum=0)
    check_positive_int(prune_budget, "prune_budget", minimum=0)
    if max_cnots is not None:
        check_positive_int(max_cnots, "max_cnots", minimum=0)
    check_time_limit(time_limit)
    if not (isinstance(heuristic_weight, (int, float, np.floating, np.integer))
            and heuristic_weight >= 0 and np.isfinite(heuristic_weight)):
        raise ValueError(f"heuristic_weight must be a finite number >= 0, got "
                         f"{heuristic_weight!r}")


def _to_basis(qc: Any, basis: Sequence[str]) -> Any:
    if tuple(basis) == ("cx", "u") and set(qc.count_ops()) <= {"cx", "u"}:
        return qc
    from qiskit import transpile

    return transpile(qc, basis_gates=list(basis), optimization_level=1)


def _cx(qc: Any) -> int:
    ops = qc.count_ops()
    return int(ops.get("cx", 0) + ops.get("cz", 0) + ops.get("ecr", 0))


def synthesize(
    U: Any,
    method: str = "exact",
    tol: float = 1e-8,
    max_cnots: int | None = None,
    coupling_map: Sequence[Sequence[int]] | None = None,
    time_limit: float | None = None,
    seed: Any = None,
    progress: bool | None = None,
    basis: Sequence[str] = ("cx", "u"),
    starts: int | None = None,
    heuristic_weight: float = 10.0,
    astar_budget: int = 60,
    prune_budget: int = 120,
) -> SynthesisResult:
    """Synthesize a circuit for the unitary ``U`` (qubit 0 = least significant bit, as Qiskit).

    Parameters
    ----------
    U : (2ⁿ, 2ⁿ) array, qiskit Operator or QuantumCircuit
        Target unitary (NumPy or CuPy; numerical work runs on its device). An
        ``Operator`` or a ``QuantumCircuit`` is turned into its matrix first.
    method : {"exact", "numerical", "approximate"}
        See the module docstring.
    tol : float
        Distance target ``min_α ‖e^{iα}V − U‖_F / √d``. Must be at least
        :func:`distance_floor` (``ToleranceError`` otherwise).
    max_cnots : int, optional
        CNOT budget for the numerical methods (default: Qiskit's QSD count
        for ``"numerical"``, the lower bound for ``"approximate"``).
    coupling_map : list of (int, int), optional
        Allowed CNOT pairs (numerical methods).
    time_limit : float, optional
        Seconds (from the call); the numerical search returns its best circuit so far.
    seed : None, int or Generator
        Makes the numerical search deterministic.
    progress : bool, optional
        A bar of the search (:mod:`sketch.progress`): ``True`` at once, ``False`` never,
        ``None`` (default) once a run has lasted 2 s. From 5 qubits it counts
        Levenberg–Marquardt steps against their worst case (its ETA an upper bound); below,
        the templates fitted.
    basis : sequence of str
        Gate names of the output (default ``("cx", "u")``); others go through
        ``qiskit.transpile``.
    starts : int, optional
        Up to 4 qubits: random starts per template, batched together
        (default 8). From 5 qubits: fresh starts tried per CNOT count, one at
        a time, until one converges (default 2).
    heuristic_weight : float
        Weight of the distance in the A* priority ``#CNOTs + w · distance``.
    astar_budget, prune_budget : int
        Templates the A* search and the CNOT-removal scans may instantiate.

    Returns
    -------
    SynthesisResult

    Raises
    ------
    NotUnitaryError, NotPowerOfTwoError, ToleranceError, ShapeError
        For non-unitary input, sizes that are not ``2ⁿ``, and ``tol`` below the floor.
    ValueError, TypeError
        Unknown gate names in ``basis``; ``starts < 1``, ``time_limit <= 0`` and the like.

    Warns
    -----
    ConvergenceWarning
        ``method="numerical"`` when no circuit within ``max_cnots``/``time_limit``
        reached ``tol`` (the closest one is returned, ``converged=False``).

    Examples
    --------
    >>> from qiskit import QuantumCircuit
    >>> from qiskit.quantum_info import Operator
    >>> qc = QuantumCircuit(3); _ = qc.ccx(0, 1, 2)
    >>> res = synthesize(Operator(qc).data, method="numerical", seed=1)  # doctest: +SKIP
    >>> res.cnot_count  # doctest: +SKIP
    6
    """
    t0 = time.perf_counter()
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Operator

    if isinstance(U, (QuantumCircuit, Operator)):
        U = Operator(U).data  # re-synthesize a circuit or an Operator from its matrix
    if method not in ("exact", "numerical", "approximate"):
        raise ValueError(f"method must be 'exact', 'numerical' or 'approximate', got {method!r}")
    basis = check_basis(basis)
    _check_search_options(8 if starts is None else starts, time_limit, max_cnots,
                          heuristic_weight, astar_budget, prune_budget)
    progress = check_progress(progress)
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.floating, np.integer)):
        raise TypeError(f"tol must be a number, got {type(tol).__name__}")
    Ux, n = _check_unitary(U, tol, method)
    lb = cnot_lower_bound(n)
    if method == "exact":
        Un = to_numpy(Ux)
        qc = _to_basis(exact_circuit(Un, n), basis)
        dist = operator_distance(Un, qc)
        return SynthesisResult(qc, dist, _cx(qc), time.perf_counter() - t0, "exact",
                               dist <= tol, tol, lb)
    pairs = coupling_pairs(n, coupling_map)
    if max_cnots is None:
        max_cnots = lb if method == "approximate" else max(lb, {1: 0, 2: 3, 3: 19, 4: 95,
                                                                5: 423}.get(n, 4**n))
    sequential = n >= SEQUENTIAL_QUBITS
    if starts is None:
        starts = SEQUENTIAL_TRIES if sequential else 8
    d2 = float(4**n)
    if sequential:
        # one start at a time (two when a count is retried): its Jacobian, the real copy and
        # the forward products, each ~(4^n) x 4^n complex, and the normal matrix
        need = 2 * 4 * 16 * d2 * d2
    else:
        # the Jacobian of the first template, for twice the starts, and the LM work on it
        need = 2 * 16 * 2 * starts * (n + 2 * min(lb, max_cnots)) * 3 * d2
    check_allocation(need, f"numerical synthesis of {n} qubits with starts={starts}",
                     fix="use fewer starts or method='exact'")
    first_count = min(lb + SEQUENTIAL_MARGIN if sequential else lb, max_cnots)
    # the sequential search counts Levenberg-Marquardt steps against its worst case, so
    # the bar's ETA is an upper bound; the layered search counts templates (no total)
    total = sequential_steps(first_count - lb, starts) if sequential else None
    watch = IterationWatch(f"synthesize {n}q", time_limit=time_limit, progress=progress,
                           total=total, unit="step" if sequential else "template", start=t0)
    s = Search(Ux, n, tol, pairs, 1 if sequential else starts,
               as_key(seed).child("synthesize"), watch,
               max_iter=SEQUENTIAL_MAX_ITER if sequential else None, reduced=sequential)
    s.max_cnots = max_cnots
    limits = single_thread_blas() if array_module(Ux).__name__ == "numpy" else None
    try:
        if n == 1:
            s.fit([])
        elif sequential:
            s.sequential(first_count, lb, tries=starts)
        else:
            first = s.top_down(min(lb, max_cnots))
            if first is not None and first > 0:
                ok = s.bisect(first)
                # below the bound U is special: look for fewer CNOTs by removal and by
                # bottom-up search. (Above it, as for a 4-qubit QFT whose layered fits stall
                # at 61-62 CNOTs, a removal scan of ~60 failing fits costs minutes for nothing.)
                if ok < lb and not s.out_of_time():
                    s.prune(budget=prune_budget)
                    s.astar(len(s.best.structure), heuristic_weight, budget=astar_budget)
                    s.prune(budget=prune_budget)
    finally:
        watch.close()
        if limits is not None:
            limits.restore_original_limits()
    r = s.best if s.best is not None else s.closest
    qc = _to_basis(template_circuit(n, r.structure, r.params, r.phase), basis)
    dist = operator_distance(to_numpy(Ux), qc)
    converged = dist <= tol
    if not converged and method == "numerical":
        warnings.warn(
            f"numerical synthesis stopped at distance {dist:.2e} > tol={tol:g} "
            f"({'time limit' if s.out_of_time() else f'max_cnots={max_cnots}'}); "
            "returning the closest circuit: raise max_cnots/time_limit or use method='exact'",
            ConvergenceWarning, stacklevel=2,
        )
    return SynthesisResult(qc, dist, _cx(qc), time.perf_counter() - t0, method, converged, tol,
                           lb, structure=list(r.structure), instantiations=s.count,
                           trace=s.trace)
