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

__all__ = ["Block", "Fixed", "partition"]

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
    if reverse:
        for item in done:
            if isinstance(item, Block):
                item.instructions.reverse()
        done.reverse()
    return done
