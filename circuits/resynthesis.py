"""Resynthesis of one block: fewer CNOTs for a small unitary, or ``None``.

Two steps, cheapest first:

1. *Split off independent qubits.* A qubit ``q`` factors out of ``U`` exactly
   when the operator-Schmidt rank of ``U`` across ``q | rest`` is one: reshape
   ``U`` to the ``4 × (d/2)²`` matrix whose rows index ``q``'s input and output
   and take its SVD (Nielsen and Chuang §2.5 / Tyson 2003 on operator-Schmidt
   decompositions). A block that was written with CNOTs but acts as ``A ⊗ B``
   (a gate and its inverse, a cancelling pair) then costs only what ``B`` costs.
2. *Synthesize what is left*: one qubit by its Euler angles, two by the KAK
   decomposition (optimal: 0–3 CNOTs), three by the numerical search of
   :func:`circuits.synthesize` under a CNOT budget one below the block's
   (four-qubit parts, and three-qubit blocks of fewer than
   :data:`GENERIC_MIN_CX` CNOTs: step 3 only, see :data:`GENERIC_WIDTH`).
3. *Structure-seeded deletion* (three or four qubits that do not split): the block's
   own CNOT layout, with free single-qubit gates around every CNOT, is
   instantiated (:func:`circuits.instantiate.instantiate`; where that fails, the
   block's own angles from :func:`circuits.instantiate.template_angles` stand in)
   and its CNOTs are deleted one at a time, last first, each deletion kept when
   the shorter layout still instantiates (warm-started) to ``U`` within the
   tolerance — the scanning gate removal of BQSKit (Younis et al. 2021).
   Structured blocks (Trotter steps, Toffoli ladders) seldom fit the generic
   layered template of step 2 at one CNOT fewer but often lose a CNOT or two
   from their own layout; on three qubits step 2 still runs, and the circuit
   with fewer CNOTs is kept.

Two cheap additions. *Entanglement bound*: no layout is tried that puts fewer
than ``log2 r_q`` CNOTs on a qubit ``q`` whose operator-Schmidt rank across
``q | rest`` is ``r_q`` within the tolerance (:func:`cut_ranks`; Eckart–Young),
and a block whose ranks need more CNOTs than the budget is not searched at
all (a 3-CNOT block on three qubits of rank 4, 4, 4 cannot lose one). *One
more try*: a block that gained is searched once more, with a fresh seed, one
CNOT below what was found (the searches are random, and on the benchmark
suite a repeated search turned an adder's 42 CX into 41).

The caller checks the result's distance to ``U`` before using it. The caller
also searches a block's core (:class:`BlockCore`), not the block itself, so
that blocks that differ only in their outer single-qubit gates are searched once.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sketch.errors import NotUnitaryError, ToleranceError
from sketch.rng import as_key

from .instantiate import instantiate, template_angles, template_circuit, template_unitary
from .structure_search import single_thread_blas
from .synthesis import cnot_lower_bound, synthesize

__all__ = ["BlockCore", "cut_ranks", "fewest_cnots", "resynthesize", "scan_delete", "split_qubits",
           "worth_trying"]

#: Templates the search may instantiate below the lower bound (see ``synthesize``): smaller
#: than ``synthesize``'s defaults, since a circuit has many blocks and most are not special.
ASTAR_BUDGET, PRUNE_BUDGET = 0, 8
#: Random starts per template (the search doubles them once before giving up on a count).
STARTS = 4
#: Random starts per instantiation of a shortened layout (besides the warm start), by
#: block width: on 4 qubits (10x the cost of a 3-qubit trial) the warm start alone found
#: the same deletions on the benchmark suite's Ising chain at a quarter of the time.
SCAN_STARTS = {3: 1, 4: 0}
#: Iteration cap of a deletion trial: on the benchmark suite every deletion that succeeded
#: did so within 42 Levenberg–Marquardt steps, while failing ones run on for 60–140.
SCAN_ITER = 60
#: Widest block the deletion scan runs on (one instantiation per CNOT of the block; a
#: 4-qubit trial costs ~10x a 3-qubit one, which is why ``block_size=4`` is slower).
SCAN_WIDTH = 4
#: Widest block (that does not split) given the layered-template search of step 2; wider
#: blocks get the deletion scan only. With the search on 4-qubit blocks too,
#: ``optimize(block_size=4)`` took 1.5-1.7x the CPU time on MCX-8 and TFIM-16 for the
#: same CNOT counts (161 and 52).
GENERIC_WIDTH = 3
#: Fewest CNOTs of a block (that the deletion scan runs on) for the layered search of
#: step 2 to run as well: on both benchmark suites (``python -m benchmarks optimize``,
#: with and without ``--quick``) the layered search never found a gain on a 3-qubit block
#: of 3-5 CNOTs that the scan missed (it did on 6-10), and it took ~40 % of their time.
GENERIC_MIN_CX = 6
#: Relative second operator-Schmidt coefficient below which a qubit is taken as separable.
SEPARABLE_RTOL = 1e-13


def worth_trying(width: int, cx: int) -> bool:
    """Whether a block of ``width`` qubits and ``cx`` CNOTs might be written with fewer.

    ``width − 1`` CNOTs are the fewest that entangle ``width`` qubits, so blocks
    at or below that are left alone; everything else is at least worth the
    (cheap) separability test.
    """
    return width >= 2 and cx > width - 1


class BlockCore:
    """A block written as ``e^{iφ} L_out · C · L_in``: single-qubit layers around a core ``C``.

    From the block's template angles (:func:`circuits.instantiate.template_angles`):
    ``L_in`` is the gate on each wire before its first CNOT, ``L_out`` the gate on
    each wire after its last, and ``C`` the template with those slots set to the
    identity. ``C`` needs exactly as many CNOTs as the block (a circuit for one
    gives a circuit for the other by the outer layers or their inverses), so the
    search runs on ``C`` and its result serves every block with the same core:
    blocks of Trotter steps, QFTs and brickwork differ mostly in their outer
    single-qubit gates.

    Examples
    --------
    >>> from qiskit import QuantumCircuit
    >>> from qiskit.quantum_info import Operator
    >>> from circuits.instantiate import template_angles
    >>> qc = QuantumCircuit(2); _ = qc.h(0); _ = qc.cx(0, 1); _ = qc.t(1); _ = qc.cx(0, 1)
    >>> core = BlockCore(2, *template_angles(qc))
    >>> bool(np.allclose(Operator(core.wrap(core.circuit())).data, Operator(qc).data))
    True
    """

    def __init__(self, n: int, structure: list[tuple[int, int]], x: Any, phase: float):
        self.n, self.structure, self.phase = n, [tuple(p) for p in structure], phase
        self.x = np.asarray(x, dtype=float).reshape(-1, 3)
        last = {}
        for i, (c, t) in enumerate(self.structure):
            last[c], last[t] = n + 2 * i, n + 2 * i + 1
        self.last = last  # wire -> template slot of its last gate
        inner = self.x.copy()
        inner[:n] = 0.0  # U3(0, 0, 0) is the identity
        inner[list(last.values())] = 0.0
        self.inner = inner
        self._unitary: np.ndarray | None = None

    def unitary(self) -> np.ndarray:
        """``C`` (global phase 0), formed once."""
        if self._unitary is None:
            self._unitary = template_unitary(self.n, self.structure, self.inner.ravel())
        return self._unitary

    def key(self) -> bytes:
        """Bytes that equal for equal cores (and CNOT layouts), to 11 decimals."""
        return (np.round(self.unitary(), 11) + 0.0).tobytes() + repr(self.structure).encode()

    def circuit(self) -> Any:
        """``C`` as its own template circuit."""
        return template_circuit(self.n, self.structure, self.inner.ravel())

    def wrap(self, core_circuit: Any) -> Any:
        """The block's circuit from one for ``C``: ``e^{iφ} L_out · core_circuit · L_in``.

        The outer gates are merged into ``core_circuit``'s first and last
        single-qubit gates, so the result is again one ``u`` per template slot.
        """
        from qiskit import QuantumCircuit

        qc = QuantumCircuit(self.n, global_phase=self.phase)
        for q in range(self.n):
            qc.u(*self.x[q], q)
        qc.compose(core_circuit, inplace=True)
        for q, slot in self.last.items():
            qc.u(*self.x[slot], q)
        return template_circuit(self.n, *template_angles(qc))


def split_qubits(U: np.ndarray) -> list[tuple[list[int], np.ndarray]]:
    """Factor ``U`` into a tensor product over groups of qubits (qubit 0 least significant).

    Returns ``[(qubits, U_group), ...]`` with ``U = ⊗ U_group`` up to rounding
    (each ``U_group`` on its qubits, local order increasing). Qubits are split
    off one at a time while one factors out.

    Examples
    --------
    >>> H = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
    >>> CX = np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]])
    >>> [q for q, _ in split_qubits(np.kron(CX, H))]  # H on qubit 0, CX on qubits 1, 2
    [[0], [1, 2]]
    """
    n = int(np.log2(len(U)))
    groups: list[tuple[list[int], np.ndarray]] = []
    rest, qubits = U, list(range(n))
    while len(qubits) > 1:
        for j in range(len(qubits)):
            f = _factor_out(rest, j, len(qubits))
            if f is not None:
                a, rest = f
                groups.append(([qubits[j]], a))
                qubits = qubits[:j] + qubits[j + 1:]
                break
        else:
            break
    groups.append((qubits, rest))
    return groups


def _cut_matrix(U: np.ndarray, j: int, n: int) -> np.ndarray:
    """``U`` reshaped to ``4 × (d/2)²``: rows index qubit ``j``'s output and input."""
    # axes of the tensor: outputs (n-1 ... 0), inputs (n-1 ... 0); qubit j is axis n-1-j
    T = U.reshape((2,) * (2 * n))
    out_j, in_j = n - 1 - j, 2 * n - 1 - j
    others = [a for a in range(2 * n) if a not in (out_j, in_j)]
    return T.transpose([out_j, in_j, *others]).reshape(4, -1)


def cut_ranks(U: np.ndarray, tol: float) -> list[int]:
    """For each qubit ``q``: the least operator-Schmidt rank across ``q | rest`` within ``tol``.

    A CNOT touching ``q`` has rank 2 across that cut, single-qubit gates and
    CNOTs elsewhere rank 1, and ranks multiply at most, so a circuit with
    ``k`` CNOTs on ``q`` has rank ``≤ 2^k``. By Eckart–Young (the reshaping is
    an isometry), any ``V`` of rank ``r`` is at least
    ``sqrt(Σ_{i≥r} s_i²)`` from ``U`` in Frobenius norm (global phase does not
    change ranks), so ``V`` within ``tol`` (normalised, as everywhere here)
    needs rank ``≥`` the returned value. A CNOT layout that puts fewer than
    ``log2`` of it CNOTs on some qubit cannot reach ``U``: no need to try it.
    The threshold is taken at ``2·tol`` (a weaker, safe bound against rounding).

    Examples
    --------
    >>> CX = np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]])
    >>> cut_ranks(np.kron(np.eye(2), CX), 1e-10)  # CX on qubits 0, 1; qubit 2 idle
    [2, 2, 1]
    """
    n = int(np.log2(len(U)))
    bound = 2.0 * tol * np.sqrt(len(U))
    ranks = []
    for j in range(n):
        s = np.linalg.svd(_cut_matrix(U, j, n), compute_uv=False)
        tail = np.sqrt(np.cumsum(s[::-1] ** 2))[::-1]  # tail[r] = ‖s[r:]‖
        ranks.append(int(np.argmax(np.append(tail, 0.0) <= bound)))
    return ranks


def _reaches(structure: list[tuple[int, int]], ranks: list[int]) -> bool:
    """Whether a CNOT layout can have the operator-Schmidt ranks ``ranks`` (see cut_ranks)."""
    deg = [0] * len(ranks)
    for c, t in structure:
        deg[c] += 1
        deg[t] += 1
    return all(2 ** d >= r for d, r in zip(deg, ranks))


def fewest_cnots(ranks: list[int]) -> int:
    """A lower bound on the CNOTs of a circuit with these cut ranks (a CNOT touches two qubits).

    Examples
    --------
    >>> fewest_cnots([4, 4, 4])  # a 3-qubit unitary of full rank on every cut: 3 or more
    3
    """
    return -(-sum(int(np.ceil(np.log2(r))) for r in ranks) // 2)


def _factor_out(U: np.ndarray, j: int, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``(A, B)`` with ``U = A ⊗_j B`` (``A`` on local qubit ``j``), or ``None``."""
    W, s, Vh = np.linalg.svd(_cut_matrix(U, j, n), full_matrices=False)
    if s[1] > SEPARABLE_RTOL * s[0]:
        return None
    A = W[:, 0].reshape(2, 2) * np.sqrt(2)  # unitary up to a phase: ‖A‖_F = √2
    B = (s[0] / np.sqrt(2)) * Vh[0].reshape(2 ** (n - 1), -1)  # rows: outputs, columns: inputs
    return A, B


def resynthesize(task: tuple) -> Any:
    """One block's search (runs in a worker): a circuit with at most ``budget`` CNOTs, or ``None``.

    ``task`` is ``(U, budget, pairs, tol, key, structure, x0)``: the block's
    unitary, its CNOT budget, the allowed local CNOT pairs (``None``: all), the
    distance target and seed key of the numerical search, the block's own CNOTs
    ``[(control, target), ...]`` in local qubits (``None``: no deletion scan)
    and their template angles (:func:`circuits.instantiate.template_angles`: the
    scan's start where fitting the layout fails; ``None``: none).
    """
    U, budget, pairs, tol, key, structure, x0 = task
    limits = single_thread_blas()  # the deletion scan too: BLAS threads only slow d <= 16
    try:
        best = _resynthesize(U, budget, pairs, tol, key, structure, x0)
        if best is not None and len(U) >= 8 and _cx(best) > 0:
            # a block that gained is special: one more search, fresh seed, one CNOT
            # below what was found (the searches are random; a gain found once is
            # often not the block's least count)
            again = _resynthesize(U, _cx(best) - 1, pairs, tol, as_key(key).child("again"),
                                  structure, x0)
            best = again if again is not None else best
        return best
    except (ToleranceError, NotUnitaryError):
        return None  # a split-off factor rounded too far from unitary for a tight ``tol``
    finally:
        if limits is not None:
            limits.restore_original_limits()


def _resynthesize(U: np.ndarray, budget: int, pairs: Any, tol: float, key: Any,
                  structure: Any, x0: Any = None) -> Any:
    from qiskit import QuantumCircuit

    n = int(np.log2(len(U)))
    groups = split_qubits(U)
    if len(groups) == 1 and n >= 3 and fewest_cnots(cut_ranks(U, tol)) > budget:
        return None  # provably no circuit within the budget (e.g. 3 CX -> 2 on most blocks)
    # at or above the generic bound no scan: above it the layered template at one CNOT
    # fewer fits any U, and at it a deletion scan costs seconds and seldom succeeds
    if (len(groups) == 1 and structure is not None and 3 <= n <= SCAN_WIDTH
            and budget + 1 < cnot_lower_bound(n)):
        scanned = scan_delete(U, structure, tol, key, x0)
        if budget + 1 < GENERIC_MIN_CX:
            return scanned if scanned is not None and _cx(scanned) <= budget else None
        if scanned is not None and _cx(scanned) <= budget:
            # the generic search under the block's own budget still finds the shorter
            # circuit on some blocks (it bisects its count from above): keep the fewer
            if n > GENERIC_WIDTH:
                return scanned
            generic = _resynthesize(U, budget, pairs, tol, key, None)
            return generic if generic is not None and _cx(generic) < _cx(scanned) else scanned
    out = QuantumCircuit(n)
    for qubits, G in groups:
        w = len(qubits)
        local = None if pairs is None else [(qubits.index(a), qubits.index(b))
                                            for a, b in pairs if a in qubits and b in qubits]
        if w <= 2:
            res = synthesize(G, method="exact", tol=tol)
            if res.cnot_count and local is not None and not local:
                return None  # two entangled qubits that are not coupled
        else:
            left = budget - _cx(out)
            if (w > GENERIC_WIDTH or left < w - 1
                    or (w == n and budget + 1 == cnot_lower_bound(w))):
                return None  # too wide, no room, or a block at the generic bound: leave it
            res = synthesize(G, method="approximate", tol=tol, max_cnots=left,
                             coupling_map=local, seed=key, progress=False,
                             astar_budget=ASTAR_BUDGET, prune_budget=PRUNE_BUDGET,
                             starts=STARTS)
            if not res.converged:
                return None
        out.compose(res.circuit, qubits=qubits, inplace=True)
    return out if _cx(out) <= budget else None


def scan_delete(U: np.ndarray, structure: list[tuple[int, int]], tol: float,
                key: Any = None, x0: Any = None) -> Any:
    """A circuit for ``U`` on a subset of ``structure``'s CNOTs, or ``None``.

    Instantiates ``structure`` (the CNOTs ``U`` was written with, in time order)
    from random starts, or, where that fails, takes the angles ``x0`` (the
    block's own, from :func:`circuits.instantiate.template_angles`; ``None``:
    give up), and tries deleting each CNOT,
    last first, keeping a deletion when the shorter layout instantiates to
    within ``tol`` of ``U`` (global phase included in the returned circuit).
    ``None`` when not even ``structure`` itself instantiates, or when no CNOT
    could be deleted.

    Examples
    --------
    >>> CX = np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]])
    >>> U = np.kron(np.eye(2), CX)  # CX on qubits 0 → 1 of three, written with three CNOTs
    >>> qc = scan_delete(U, [(0, 1), (0, 1), (0, 1)], 1e-10, key=0)
    >>> qc.count_ops()["cx"]
    1
    """
    st = [tuple(p) for p in structure]
    n = int(np.log2(len(U)))
    key = as_key(key).child("scan")
    # fitted angles first: as warm starts for deletions they did better than the block's
    # own (a Trotter block's 8 -> 6 CX is found from fitted angles, not from its own)
    # a block's own scan is bounded by SCAN_ITER and the block size, not the work budget
    res = instantiate(U, st, starts=SCAN_STARTS[n] + 1, tol=tol, seed=key, time_limit=math.inf)
    if res.converged:
        x0 = res.params
    elif x0 is None:
        return None
    x, best = np.asarray(x0, dtype=float).reshape(-1, 3), None
    ranks = cut_ranks(U, tol)
    for i in reversed(range(len(st))):
        trial = st[:i] + st[i + 1:]
        if not _reaches(trial, ranks):
            continue  # a qubit would keep too few CNOTs for U's entanglement across its cut
        # warm start: the current angles without the two gates that followed CNOT i
        xi = np.delete(x, [n + 2 * i, n + 2 * i + 1], axis=0)
        r = instantiate(U, trial, starts=SCAN_STARTS[n] + 1, tol=tol, x0=xi.ravel(),
                        max_iter=SCAN_ITER, seed=key.child(i), time_limit=math.inf)
        if r.converged:
            best, st, x = r, trial, r.params.reshape(-1, 3)
    if best is None:
        return None
    return template_circuit(n, best.structure, best.params, best.phase)


def _cx(qc: Any) -> int:
    return int(qc.count_ops().get("cx", 0))
