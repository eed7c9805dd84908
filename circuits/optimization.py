"""Whole-circuit optimisation by block resynthesis.

:func:`optimize` lowers the CNOT count of a circuit the way BQSKit's
partition-and-resynthesise flow does (Younis et al. 2021; Wu et al. 2020,
"QGo"; Smith et al. 2023, "LEAP"): partition the circuit into blocks of at most
``block_size`` qubits, largest block first
(:func:`circuits.partition.greedy_partition`), compute each block's
unitary, resynthesise it with :func:`circuits.synthesize` under a CNOT budget
one below the block's count (:mod:`circuits.resynthesis`: qubits that factor
out of the block are split off first, two-qubit parts go through KAK, and
three-qubit blocks also try deleting CNOTs from their own layout), keep the
new block only when it has fewer CNOTs *and* its distance to the block's
unitary is at most ``tolerance``, and reassemble. One pass on two-qubit blocks
(exact, cheap) comes first; then passes on 3-qubit blocks (and, for
``block_size=4``, the default, then on 4-qubit blocks if the 3-qubit passes
gained anything: :data:`WIDEN_AFTER_GAIN`) alternate the scan direction, so
block boundaries move, until two passes in a row gain nothing
(:data:`MAX_PASSES` at most per width). On 3-qubit blocks one more pass then
uses the scan-order partition (:func:`circuits.partition.partition`), whose
other boundaries expose reductions the greedy blocks hide (HHL-5: 26 -> 24
CX; MCX-8: 164 -> 162); if it gains, the greedy passes resume.

Blocks of three or more qubits are searched by their *core*
(:class:`circuits.resynthesis.BlockCore`): the block without the single-qubit
gates before the first and after the last CNOT on each wire, which needs the
same CNOTs. A core is searched once per call (keyed by its exact unitary,
rounded to 11 decimals, its CNOT layout and budget): within one pass and in
later passes, whose shifted boundaries mostly move outer gates in and out of
blocks. On the benchmark suite this halves the searches (MCX-8: 144 -> 79)
and the CPU time. Every block a cached core result replaces is checked against
the block's own unitary, as every other replacement.

Correctness. A replaced block ``V_i`` of the block ``U_i`` is checked after
synthesis, with its global phase (no phase freedom). Because every block acts
on the others through tensor products with the identity and products of
unitaries, the whole circuits satisfy

.. math::

    \\|V - U\\|_2 \\le \\sum_i \\|V_i - U_i\\|_2, \\qquad
    \\frac{\\|V - U\\|_F}{\\sqrt{D}} \\le \\sum_i \\frac{\\|V_i - U_i\\|_F}{\\sqrt{d_i}},

(operator norm, and the normalised Frobenius / Hilbert–Schmidt distance with
the global phase included; ``D = 2ⁿ``, ``d_i = 2^{w_i}``). The result reports
both sums (``distance_bound``, ``hs_distance_bound``), up to float64 rounding
(~1e-15 per gate) in forming the matrices.

Coupling maps. With a ``coupling_map`` (pairs, a ``CouplingMap``, a ``Target``
or a ``BackendV2``) the input must already be routed: every two-qubit gate on a
coupled pair of circuit qubits (physical qubit ``i`` = circuit qubit ``i``).
Blocks are resynthesised with CNOTs on the coupled pairs among their qubits
only, so the output is routed too. An unrouted input raises ``ValueError``.

Output gates are ``cx`` and ``u`` (the input is first unrolled to them with
``qiskit.transpile(optimization_level=0)``); measurements, resets, barriers,
delays, control flow and parameterised gates are kept where they are and split
blocks (see :mod:`circuits.partition`).

Examples
--------
>>> from qiskit import QuantumCircuit
>>> from qiskit.quantum_info import Operator
>>> qc = QuantumCircuit(3)
>>> _ = qc.ccx(0, 1, 2); _ = qc.ccx(0, 1, 2); _ = qc.h(2)
>>> res = optimize(qc, seed=0, progress=False)
>>> res.cx_before, res.cx_after
(12, 0)
>>> bool(Operator(res.circuit).equiv(Operator(qc)))
True
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from sketch.budgets import check_work
from sketch.checks import check_positive_int, check_progress, check_tolerance
from sketch.errors import ToleranceError
from sketch.progress import IterationWatch
from sketch.rng import as_key

from .instantiate import template_angles
from .partition import NON_GATES, Block, greedy_partition, partition
from .resynthesis import BlockCore, resynthesize, worth_trying
from .synthesis import distance_floor

# The least optimize spends per qubit and gate (unrolling, partitioning, the passes' own
# bookkeeping), rounded down from a 2-core machine; blocks' resynthesis comes on top.
_ITEM_S = 1e-5

__all__ = ["OptimizeResult", "coupling_pairs", "optimize"]

#: Most partition-and-resynthesis passes (a KAK pass, then alternating scan directions).
MAX_PASSES = 6
#: Widths whose passes, once the greedy partition gains nothing, also try the scan
#: partition (other boundaries: on HHL-5 it finds 26 -> 24 CX that greedy blocks miss).
SCAN_FALLBACK_WIDTHS = (3,)
#: Passes on blocks wider than this run only when the passes at this width gained: on
#: the benchmark suite the circuits whose 3-qubit passes gain nothing (QFT-8, Heisenberg-10
#: after KAK, brickwork-8, HHL-8) gain nothing from 4-qubit passes either, which cost
#: them 1.7-2.8x the CPU time.
WIDEN_AFTER_GAIN = 3


@dataclass
class OptimizeResult:
    """An optimised circuit and how it was obtained.

    Attributes
    ----------
    circuit : qiskit.QuantumCircuit
        Gates ``cx`` and ``u`` plus the input's non-unitary instructions.
    cx_before, cx_after : int
        Two-qubit gates of the input (after unrolling to ``cx``/``u``) and of the output.
    distance_bound : float
        ``Σ_i ‖V_i − U_i‖_2`` over replaced blocks: bounds ``‖V − U‖_2`` (operator norm,
        global phase included) between the output and input circuits' unitaries.
    hs_distance_bound : float
        ``Σ_i ‖V_i − U_i‖_F / √d_i``: bounds ``‖V − U‖_F / √D``.
    blocks : int
        Blocks the partition produced.
    synthesized : int
        Distinct block unitaries sent to synthesis (after skipping and caching).
    replaced : int
        Blocks replaced by a circuit with fewer CNOTs.
    seconds : float
    """

    circuit: Any
    cx_before: int
    cx_after: int
    distance_bound: float
    hs_distance_bound: float
    blocks: int
    synthesized: int
    replaced: int
    seconds: float

    @property
    def reduction(self) -> float:
        """``1 − cx_after / cx_before`` (0 for a circuit without CNOTs)."""
        return 1.0 - self.cx_after / self.cx_before if self.cx_before else 0.0


def coupling_pairs(coupling_map: Any) -> set[tuple[int, int]] | None:
    """Undirected coupled pairs ``(a, b)``, ``a < b``, from any coupling description.

    Accepts ``None`` (all pairs allowed), a sequence of pairs, a
    ``qiskit.transpiler.CouplingMap``, a ``Target`` or a ``BackendV2``.

    Examples
    --------
    >>> sorted(coupling_pairs([(1, 0), (1, 2)]))
    [(0, 1), (1, 2)]
    """
    if coupling_map is None:
        return None
    from qiskit.providers import BackendV2
    from qiskit.transpiler import CouplingMap, Target

    cmap = coupling_map
    if isinstance(cmap, BackendV2):
        cmap = cmap.target
    if isinstance(cmap, Target):
        cmap = cmap.build_coupling_map()
        if cmap is None:  # a target whose two-qubit gates act on every pair
            return None
    if isinstance(cmap, CouplingMap):
        cmap = list(cmap.get_edges())
    if isinstance(cmap, (str, bytes)) or not isinstance(cmap, Sequence | np.ndarray):
        raise TypeError(
            "coupling_map must be None, a list of qubit pairs, a qiskit CouplingMap, a Target "
            f"or a BackendV2, got {type(coupling_map).__name__}"
        )
    pairs = set()
    for e in cmap:
        try:
            a, b = (int(v) for v in e)
        except (TypeError, ValueError):
            raise ValueError(f"coupling_map holds {e!r}, which is not a pair of qubit "
                             "indices such as (0, 1)") from None
        if a == b or a < 0 or b < 0:
            raise ValueError(f"coupling_map edge {(a, b)} is not a pair of distinct qubits >= 0")
        pairs.add((min(a, b), max(a, b)))
    return pairs


def _check_workers(workers: Any) -> Any:
    if workers is None or (hasattr(workers, "submit") and hasattr(workers, "gather")):
        return workers
    return check_positive_int(workers, "workers",
                              why="pass None (automatic), a process count or a dask Client")


def _unroll(qc: Any) -> Any:
    """``qc`` in ``cx`` and ``u`` (non-gates kept): the basis CNOTs are counted in."""
    from qiskit import transpile

    ops = set(qc.count_ops())
    if ops <= {"cx", "u"} | NON_GATES:
        return qc
    try:
        return transpile(qc, basis_gates=["cx", "u", "measure", "reset", "delay"],
                         optimization_level=0)
    except Exception as exc:  # TranspilerError has no common builtin base
        raise ValueError(f"qc holds gates that cannot be rewritten in cx and u: {exc}") from exc


def _check_routed(qc: Any, pairs: set[tuple[int, int]]) -> None:
    for ins in qc.data:
        if len(ins.qubits) == 2 and ins.operation.name not in NON_GATES:
            a, b = sorted(qc.find_bit(q).index for q in ins.qubits)
            if (a, b) not in pairs:
                raise ValueError(
                    f"qc is not routed to coupling_map: {ins.operation.name} on qubits "
                    f"({a}, {b}), which are not coupled; route it first, e.g. "
                    "qiskit.transpile(qc, coupling_map=..., optimization_level=1)"
                )


def _cx_count(qc: Any) -> int:
    return sum(1 for ins in qc.data if len(ins.qubits) == 2
               and ins.operation.name not in NON_GATES)


def _block_circuit(qc: Any, block: Block) -> Any:
    from qiskit import QuantumCircuit

    local = {qc.qubits[q]: j for j, q in enumerate(block.qubits)}
    sub = QuantumCircuit(len(block.qubits))
    for ins in block.instructions:
        sub.append(ins.operation, [local[q] for q in ins.qubits])
    return sub


class _Runner:
    """Runs block searches serially, in a process pool (made on first need) or on Dask."""

    def __init__(self, workers: Any, watch: IterationWatch) -> None:
        self.workers, self.watch, self.pool = workers, watch, None

    def map(self, tasks: list[tuple]) -> list[Any]:
        w = self.workers
        if w is None:
            w = min(os.cpu_count() or 1, len(tasks)) if len(tasks) >= 4 else 1
        if hasattr(w, "submit"):  # a dask.distributed Client
            results: Any = (f.result() for f in w.map(resynthesize, tasks, pure=False))
        elif w == 1:
            results = map(resynthesize, tasks)
        else:
            if self.pool is None:
                self.pool = ProcessPoolExecutor(max_workers=w)
            results = self.pool.map(resynthesize, tasks)
        out = []
        for r in results:
            out.append(r)
            self.watch.step()
        return out

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
        self.watch.close()


@dataclass
class _Round:
    circuit: Any
    op_bound: float
    hs_bound: float
    blocks: int
    searched: int
    replaced: int


def _one_round(work: Any, k: int, split: Any, reverse: bool, pairs: Any, tolerance: float,
               key: Any, runner: _Runner, cache: dict[bytes, Any]) -> _Round:
    """Partition ``work`` with ``split``, resynthesise the blocks not in ``cache``, reassemble."""
    from qiskit.quantum_info import Operator

    items = split(work, k, reverse=reverse)
    blocks = [b for b in items if isinstance(b, Block)]
    # distinct searches, in order of first appearance (seeds follow it); blocks of three
    # or more qubits are searched by their core (BlockCore), which blocks share more often
    tasks: list[tuple] = []
    tags: list[bytes] = []
    plan: dict[int, tuple[bytes, np.ndarray, Any]] = {}  # id(block) -> (tag, unitary, core)
    for b in blocks:
        width, cx = len(b.qubits), b.cx_count
        if not worth_trying(width, cx):
            continue
        sub = _block_circuit(work, b)
        U = Operator(sub).data
        structure, x0, phase = template_angles(sub)  # the block as it is: the scan's start
        local = None
        if pairs is not None:
            local = sorted((b.qubits.index(p), b.qubits.index(q)) for p, q in pairs
                           if p in b.qubits and q in b.qubits)
        core = BlockCore(width, structure, x0, phase) if width >= 3 else None
        if core is None:
            target, tag = U, np.round(U, 12).tobytes()
        else:
            target, tag, x0 = core.unitary(), core.key(), core.inner.ravel()
        tag += repr((cx, local)).encode()
        if tag not in cache and tag not in tags:
            tags.append(tag)
            tasks.append((target, cx - 1, local, tolerance, key.child(len(tasks)), structure,
                          x0))
        plan[id(b)] = (tag, U, core)
    if tasks:
        runner.watch.add_total(len(tasks))
    cache.update(zip(tags, runner.map(tasks)))

    out = work.copy_empty_like()
    op_bound = hs_bound = 0.0
    replaced = 0
    for item in items:
        tag, U, core = plan.get(id(item), (None, None, None))
        new = cache[tag] if tag is not None else None
        if new is not None:
            if core is not None:
                new = core.wrap(new)
            # every replacement is checked against the block's own unitary
            R = Operator(new).data - U
            hs = float(np.linalg.norm(R) / np.sqrt(len(U)))
            if hs <= tolerance and _cx_count(new) < item.cx_count:
                op_bound += float(np.linalg.norm(R, 2))
                hs_bound += hs
                replaced += 1
                out.compose(new, qubits=[work.qubits[q] for q in item.qubits], inplace=True)
                continue
        for ins in (item.instructions if isinstance(item, Block) else [item.instruction]):
            out._append(ins)
    return _Round(out, op_bound, hs_bound, len(blocks), len(tasks), replaced)


def optimize(
    qc: Any,
    *,
    block_size: int = 4,
    coupling_map: Any = None,
    tolerance: float = 1e-10,
    workers: Any = None,
    seed: Any = None,
    progress: bool | None = None,
) -> OptimizeResult:
    """Lower the CNOT count of ``qc`` by resynthesising blocks of ``≤ block_size`` qubits.

    Parameters
    ----------
    qc : qiskit.QuantumCircuit
    block_size : {2, 3, 4}
        Widest block. 4 (default): the 3-qubit passes, then, if they gained,
        4-qubit passes (deletion scans only) on their result (see
        :data:`WIDEN_AFTER_GAIN`): fewer CNOTs on structured circuits (TFIM-16: 51
        vs 58 at 3.7x the CPU time; MCX-8 and the adder: the same count at 1.5x and
        1.1x) and no extra time where the 3-qubit passes gain nothing. 3: a 3-qubit
        search takes ~0.1–5 s.
    coupling_map : None, list of pairs, CouplingMap, Target or BackendV2
        If given, ``qc`` must already be routed to it; the output stays routed.
    tolerance : float
        Largest accepted ``‖V_i − U_i‖_F / √d_i`` of a replaced block (phase included).
    workers : None, int or dask.distributed.Client
        Processes for the block searches (``None``: one per CPU when there are at
        least 4 searches, else in this process), or a Dask client to run them on.
        The result does not depend on it.
    seed : None, int or Generator
        Seeds every block's search (block ``j`` of the distinct unitaries gets child key ``j``).
    progress : bool, optional
        A bar of the block searches done against those found so far, with an ETA
        (:mod:`sketch.progress`): ``True`` at once, ``False`` never, ``None`` (default) once
        a run has lasted 2 s.

    Returns
    -------
    OptimizeResult

    Raises
    ------
    TypeError
        ``qc`` is not a ``QuantumCircuit``; ``coupling_map`` or ``workers`` of the wrong kind.
    ValueError
        ``block_size`` outside 2..4; ``qc`` not routed to ``coupling_map``; gates that
        cannot be written in ``cx`` and ``u``.
    ToleranceError
        ``tolerance`` not positive, or below what float64 can certify for the block size.
    """
    t0 = time.perf_counter()
    from qiskit import QuantumCircuit

    if not isinstance(qc, QuantumCircuit):
        raise TypeError(f"qc must be a qiskit QuantumCircuit, got {type(qc).__name__}; load "
                        "OpenQASM with qla.export.load_qasm")
    block_size = check_positive_int(block_size, "block_size", minimum=2, maximum=4,
                                    why="numerical synthesis of 5-qubit blocks takes minutes")
    tolerance = check_tolerance(tolerance, "tolerance", upper=1.0)
    floor = distance_floor(2**block_size)
    if tolerance < floor:
        raise ToleranceError(f"tolerance={tolerance:g} is below what float64 can certify for "
                             f"{block_size}-qubit blocks ({floor:.1e}); ask for at least that")
    pairs = coupling_pairs(coupling_map)
    workers = _check_workers(workers)
    progress = check_progress(progress)
    key = as_key(seed).child("optimize")

    check_work(_ITEM_S * (qc.num_qubits + qc.size()),
               f"optimize of a circuit of {qc.size()} gates on {qc.num_qubits} qubits",
               fix="optimize a smaller circuit (or its parts)")
    work = _unroll(qc)
    if pairs is not None:
        _check_routed(work, pairs)
    # KAK on two-qubit blocks first (exact and cheap), then each wider block size in turn,
    # scanned forwards and backwards (other boundaries) while a pair of passes still gains:
    # 4-qubit blocks start from what 3-qubit ones left (cheaper searches, and 3-qubit
    # blocks find some reductions that 4-qubit ones miss)
    widths = [(2, 1)] + [(k, MAX_PASSES - 1 + (k in SCAN_FALLBACK_WIDTHS))
                         for k in range(3, block_size + 1)]
    if block_size == 2:
        widths = [(2, MAX_PASSES)]
    watch = IterationWatch(f"optimize {qc.num_qubits}q", time_limit=None, progress=progress,
                           total=0, unit="block", start=t0)
    runner = _Runner(workers, watch)
    cache: dict[bytes, Any] = {}
    out, op_bound, hs_bound = work, 0.0, 0.0
    blocks = searched = replaced = 0
    history = [_cx_count(work)]
    r = idle = 0  # rounds run; rounds in a row that gained nothing
    try:
        for k, passes in widths:
            if k > WIDEN_AFTER_GAIN and history[-1] == history[1]:
                break  # the 3-qubit passes gained nothing: 4-qubit ones (10x dearer) neither
            split, fallback = greedy_partition, k in SCAN_FALLBACK_WIDTHS
            for j in range(passes):
                rnd = _one_round(out, k, split, bool(j % 2), pairs, tolerance, key.child(r),
                                 runner, cache)
                r += 1
                out = rnd.circuit
                op_bound, hs_bound = op_bound + rnd.op_bound, hs_bound + rnd.hs_bound
                blocks, searched = blocks + rnd.blocks, searched + rnd.searched
                replaced += rnd.replaced
                history.append(_cx_count(out))
                idle = 0 if history[-1] < history[-2] else idle + 1
                if idle == 0:
                    split = greedy_partition
                if (k > 2 or block_size == 2) and idle >= 2:
                    if not fallback:
                        break  # neither direction gained since the pass before last
                    # once per width, one pass on the scan partition's boundaries; if it
                    # gains, the greedy passes resume (idle = 1: one more idle pass stops)
                    split, fallback, idle = partition, False, 1
    finally:
        runner.close()
    return OptimizeResult(out, history[0], history[-1], op_bound, hs_bound, blocks,
                          searched, replaced, time.perf_counter() - t0)
