"""Greedy partition of a circuit into blocks of at most ``k`` qubits.

One left-to-right scan over the instructions, in the spirit of BQSKit's
``QuickPartitioner`` (Younis et al., "QFast", 2021, and the BQSKit
partitioners): every qubit has at most one *open* block. A gate joins the open
blocks of its qubits when the union of their qubits and its own fits in ``k``
(merging them), and otherwise closes them and opens a new block. A block, once
closed, is closed on all its qubits, so an open block never has a successor and
neither joining nor merging can create a cycle between blocks. Sorting the
blocks (and the instructions kept out of blocks) by the position of their last
instruction is then a topological order: the circuit they rebuild is the
original one with its instructions regrouped, never reordered on any qubit.

Measurements, resets, barriers, delays, control flow, classically conditioned
or parameterised instructions, gates on more than ``k`` qubits and anything
without a matrix stay out of blocks (*fixed* instructions) and close the open
blocks on their qubits: nothing moves across them.

:func:`greedy_partition` chooses blocks by size instead of by scan order
(as BQSKit's greedy and scan partitioners): from the current front of the
circuit it grows, for every connected set of ``k`` qubits that holds a front
two-qubit gate, the longest prefix of the remaining gates acting only on that
set, and cuts the one with most two-qubit gates; repeat. Slower (it tries
every candidate set at every step) but it does not break a block that holds
many gates for the sake of one that a scan met first.

Examples
--------
>>> from qiskit import QuantumCircuit
>>> qc = QuantumCircuit(3)
>>> _ = qc.cx(0, 1); _ = qc.cx(1, 2); _ = qc.measure_all()
>>> items = partition(qc, 3)
>>> [(type(i).__name__, i.qubits) for i in items][:2]
[('Block', (0, 1, 2)), ('Fixed', (0, 1, 2))]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Block", "Fixed", "greedy_partition", "partition"]

#: Instructions that never enter a block (they are not unitary gates).
NON_GATES = frozenset({"measure", "reset", "barrier", "delay"})


@dataclass(eq=False)
class Block:
    """Instructions on at most ``k`` qubits, in circuit order.

    Attributes
    ----------
    qubits : tuple of int
        Circuit qubit indices, sorted; the block's local qubit ``j`` is ``qubits[j]``.
    instructions : list of qiskit CircuitInstruction
    last : int
        Position, in the scan, of the block's last instruction.
    """

    qubits: tuple[int, ...]
    instructions: list[Any] = field(default_factory=list)
    last: int = -1

    @property
    def cx_count(self) -> int:
        """Two-qubit gates in the block (each ``cx``/``cz``/``ecr``/… counts once)."""
        return sum(1 for ins in self.instructions if len(ins.qubits) == 2)


@dataclass
class Fixed:
    """One instruction kept out of the blocks (a measurement, barrier, wide gate, ...)."""

    instruction: Any
    qubits: tuple[int, ...]
    last: int  #: position in the scan


def is_blockable(instruction: Any, k: int) -> bool:
    """Whether an instruction may enter a block of at most ``k`` qubits.

    A unitary gate (it has a matrix or a definition), on 1..k qubits, with no
    classical bits, no condition and no unbound parameters.
    """
    from qiskit.circuit import ControlFlowOp, Gate

    op = instruction.operation
    if op.name in NON_GATES or isinstance(op, ControlFlowOp) or not isinstance(op, Gate):
        return False
    if instruction.clbits or not (1 <= len(instruction.qubits) <= k):
        return False
    if getattr(op, "condition", None) is not None:
        return False
    return not any(hasattr(p, "parameters") and p.parameters for p in op.params)


def partition(qc: Any, k: int, reverse: bool = False) -> list[Block | Fixed]:
    """Split ``qc`` into blocks of at most ``k`` qubits and fixed instructions, in order.

    Parameters
    ----------
    qc : qiskit.QuantumCircuit
    k : int
        Largest block width (qubits).
    reverse : bool
        Scan from the last instruction to the first (the partition of the inverse
        circuit, read backwards): other block boundaries, for a second pass.

    Returns
    -------
    list of Block and Fixed
        In an order that rebuilds ``qc`` (each in the position of its last instruction).
    """
    index = {q: i for i, q in enumerate(qc.qubits)}
    open_block: dict[int, Block] = {}  # qubit -> its open block
    done: list[Block | Fixed] = []

    def close(b: Block) -> None:
        for q in b.qubits:
            if open_block.get(q) is b:
                del open_block[q]
        done.append(b)

    for pos, ins in enumerate(reversed(qc.data) if reverse else qc.data):
        qs = tuple(index[q] for q in ins.qubits)
        if not is_blockable(ins, k):
            for b in {id(open_block[q]): open_block[q] for q in qs if q in open_block}.values():
                close(b)
            done.append(Fixed(ins, qs, pos))
            continue
        touched = list({id(open_block[q]): open_block[q] for q in qs if q in open_block}.values())
        # keep the open blocks with most two-qubit gates while the union still fits
        touched.sort(key=lambda b: (-b.cx_count, b.last))
        keep: list[Block] = []
        union = set(qs)
        for b in touched:
            if len(union | set(b.qubits)) <= k:
                keep.append(b)
                union |= set(b.qubits)
            else:
                close(b)
        merged = Block(tuple(sorted(union)))
        for b in sorted(keep, key=lambda b: b.last):
            # blocks being merged act on disjoint qubits, so their order does not matter
            merged.instructions.extend(b.instructions)
        merged.instructions.append(ins)
        merged.last = pos
        for q in merged.qubits:
            open_block[q] = merged
    for b in {id(b): b for b in open_block.values()}.values():
        done.append(b)
    done.sort(key=lambda item: item.last)
    return _in_circuit_order(done, reverse)


def greedy_partition(qc: Any, k: int, reverse: bool = False) -> list[Block | Fixed]:
    """Split ``qc`` into blocks of at most ``k`` qubits, largest block first.

    Same output as :func:`partition` (blocks and fixed instructions in an
    order that rebuilds ``qc``), other boundaries: at every step, for each
    candidate set ``S`` of ``k`` qubits (connected through two-qubit gates and
    holding the first remaining two-qubit gate of one of its qubits), the
    block is the longest prefix of the remaining gates on ``S`` that acts on
    ``S`` only; the block with most two-qubit gates (then most gates) is cut.
    Each block is a prefix on its qubits of what remains, so cutting blocks
    in this order never reorders gates on a qubit.

    Examples
    --------
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(4)
    >>> _ = qc.cx(0, 1); _ = qc.cx(2, 3); _ = qc.cx(1, 2); _ = qc.cx(2, 3); _ = qc.cx(1, 2)
    >>> [(b.qubits, b.cx_count) for b in partition(qc, 3)]
    [((2, 3), 1), ((0, 1, 2), 2), ((1, 2, 3), 2)]
    >>> [(b.qubits, b.cx_count) for b in greedy_partition(qc, 3)]
    [((0, 1), 1), ((1, 2, 3), 4)]
    """
    index = {q: i for i, q in enumerate(qc.qubits)}
    data = list(reversed(qc.data) if reverse else qc.data)
    qs = [tuple(index[q] for q in ins.qubits) for ins in data]
    ok = [is_blockable(ins, k) for ins in data]
    on: dict[int, list[int]] = {}  # qubit -> positions of its instructions, in order
    for pos, qubits in enumerate(qs):
        for q in qubits:
            on.setdefault(q, []).append(pos)
    nbr: dict[int, set[int]] = {q: set() for q in on}  # two-qubit interaction graph
    for pos, qubits in enumerate(qs):
        if ok[pos] and len(qubits) > 1:
            for q in qubits:
                nbr[q].update(qubits)
    ptr = dict.fromkeys(on, 0)
    done = [False] * len(data)
    out: list[Block | Fixed] = []

    def front(q: int) -> int | None:
        lst, i = on[q], ptr[q]
        while i < len(lst) and done[lst[i]]:
            i += 1
        ptr[q] = i
        return lst[i] if i < len(lst) else None

    def ready(pos: int) -> bool:
        return all(front(q) == pos for q in qs[pos])

    def grow(S: frozenset[int]) -> list[int]:
        """The longest prefix of the remaining instructions on S acting on S only."""
        blocked: set[int] = set()
        taken = []
        for pos in sorted({p for q in S for p in on[q][ptr[q]:] if not done[p]}):
            touched = set(qs[pos])
            if ok[pos] and touched <= S and not touched & blocked:
                taken.append(pos)
            else:
                blocked |= touched & S
                if len(blocked) == len(S):
                    break
        return taken

    while True:
        flushed = True
        while flushed:  # fixed instructions at the front go out as they are
            flushed = False
            for q in on:
                f = front(q)
                if f is not None and not ok[f] and ready(f):
                    done[f] = True
                    out.append(Fixed(data[f], qs[f], len(out)))
                    flushed = True
        seeds: set[frozenset[int]] = set()
        for q in on:
            f = front(q)
            if f is not None and ok[f] and ready(f):
                seeds.add(frozenset(qs[f]))  # a ready gate: its own set always makes progress
            for p in on[q][ptr[q]:]:  # the first remaining multi-qubit instruction on q
                if not done[p] and len(qs[p]) > 1:
                    if ok[p]:
                        seeds.add(frozenset(qs[p]))
                    break
        if not seeds:
            break
        cands = set(seeds)
        frontier = set(seeds)
        while frontier:  # grow each seed to k qubits along the interaction graph
            frontier = {s | {c} for s in frontier if len(s) < k
                        for c in set().union(*(nbr[q] for q in s)) - s}
            cands |= frontier
        best: tuple | None = None
        for S in cands:
            if len(S) < k and any(len(T) > len(S) and S < T for T in cands):
                continue  # a strict subset of a candidate grows no larger block
            taken = grow(S)
            if not taken:
                continue
            score = (sum(1 for p in taken if len(qs[p]) > 1), len(taken), -min(taken))
            if best is None or score > best[0]:
                best = (score, S, taken)
        assert best is not None, "a ready gate always yields a block"
        _, S, taken = best
        for p in taken:
            done[p] = True
        block = Block(tuple(sorted({q for p in taken for q in qs[p]})),
                      [data[p] for p in taken], len(out))
        out.append(block)
    return _in_circuit_order(out, reverse)


def _in_circuit_order(items: list[Block | Fixed], reverse: bool) -> list[Block | Fixed]:
    """Items of a scan of the reversed circuit (``reverse``) put back in circuit order."""
    if reverse:
        for item in items:
            if isinstance(item, Block):
                item.instructions.reverse()
        items.reverse()
    return items
