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
   (four-qubit parts: step 3 only, see :data:`GENERIC_WIDTH`).
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

The caller checks the result's distance to ``U`` before using it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sketch.errors import NotUnitaryError, ToleranceError
from sketch.rng import as_key

from .instantiate import instantiate, template_circuit
from .structure_search import single_thread_blas
from .synthesis import cnot_lower_bound, synthesize

__all__ = ["resynthesize", "scan_delete", "split_qubits", "worth_trying"]

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
#: Relative second operator-Schmidt coefficient below which a qubit is taken as separable.
SEPARABLE_RTOL = 1e-13


def worth_trying(width: int, cx: int) -> bool:
    """Whether a block of ``width`` qubits and ``cx`` CNOTs might be written with fewer.

    ``width − 1`` CNOTs are the fewest that entangle ``width`` qubits, so blocks
    at or below that are left alone; everything else is at least worth the
    (cheap) separability test.
    """
    return width >= 2 and cx > width - 1


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


def _factor_out(U: np.ndarray, j: int, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``(A, B)`` with ``U = A ⊗_j B`` (``A`` on local qubit ``j``), or ``None``."""
    # axes of the tensor: outputs (n-1 ... 0), inputs (n-1 ... 0); qubit j is axis n-1-j
    T = U.reshape((2,) * (2 * n))
    out_j, in_j = n - 1 - j, 2 * n - 1 - j
    others = [a for a in range(2 * n) if a not in (out_j, in_j)]
    M = T.transpose([out_j, in_j, *others]).reshape(4, -1)
    W, s, Vh = np.linalg.svd(M, full_matrices=False)
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
        return _resynthesize(U, budget, pairs, tol, key, structure, x0)
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
    # at or above the generic bound no scan: above it the layered template at one CNOT
    # fewer fits any U, and at it a deletion scan costs seconds and seldom succeeds
    if (len(groups) == 1 and structure is not None and 3 <= n <= SCAN_WIDTH
            and budget + 1 < cnot_lower_bound(n)):
        scanned = scan_delete(U, structure, tol, key, x0)
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
    for i in reversed(range(len(st))):
        trial = st[:i] + st[i + 1:]
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
