"""Random circuits: exact Haar unitaries, brickwork circuits, random Cliffords.

* :func:`haar_circuit` — a Haar-random n-qubit unitary (Mezzadri 2007, via
  :func:`sketch.haar.haar_unitary`) synthesised exactly into CX and
  single-qubit gates by qiskit's quantum Shannon decomposition
  (Shende–Bullock–Markov 2006, block-ZXZ form).
* :func:`random_brickwork` — ``depth`` layers of independent Haar two-qubit
  gates on alternating bonds of a line, or on the matchings of a coupling map.
  Such local random circuits converge to unitary t-designs as depth grows
  (Brandão–Harrow–Horodecki 2016: depth O(t^{10} n) suffices; in practice
  low moments converge in depth ≈ n for small t, see Haferkamp 2022).
* :func:`brickwork_unitaries` — the same ensemble as a batch of dense
  matrices, computed with NumPy, for statistics over thousands of samples.
* :func:`random_clifford_circuit` — a uniform random Clifford (qiskit's
  ``random_clifford``, Bravyi–Maslov 2021) seeded from a key.

Examples
--------
>>> import numpy as np
>>> from qiskit.quantum_info import Operator
>>> qc = random_brickwork(3, depth=4, seed=5)
>>> U = brickwork_unitaries(3, depth=4, batch=2, seed=5)
>>> bool(np.allclose(Operator(qc).data, U[0]))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from sketch.budgets import check_allocation, check_work
from sketch.checks import check_positive_int
from sketch.haar import haar_unitary
from sketch.rng import as_key

from .targets import check_qubit_pairs

#: Bytes a circuit holds per ``UnitaryGate`` of two qubits (measured: about 600).
UNITARY_GATE_BYTES = 700

# Per-step costs for the work rule (sketch.budgets.check_work), measured on a 2-core machine
# and rounded down: appending one UnitaryGate to a circuit (about 15 us); one Haar 4 x 4 gate
# drawn in a batch (about 5 us); one gate applied to one sample, per entry of its 2^n x 2^n
# matrix (about 8 ns), plus the Python step per gate position (about 15 us); one random
# Clifford tableau from qiskit (17-35 us).
_APPEND_S = 1e-5
_HAAR4_S = 5e-6
_APPLY_ENTRY_S = 5e-9
_POSITION_S = 1e-5
_CLIFFORD_S = 1.2e-5
#: Seconds per n^3 of Qiskit's random_clifford(n).to_circuit() (measured: 3.6e-8 on a
#: loaded 2-core machine, 4.5 s at n = 500 and 37 s at n = 1000; not rounded down: the
#: cubic makes a small error in n a large one in time)
_CLIFFORD_CIRCUIT_S = 3.5e-8

__all__ = [
    "haar_circuit",
    "random_brickwork",
    "brickwork_layers",
    "brickwork_unitaries",
    "random_clifford_circuit",
    "clifford_unitaries",
    "clifford_matrix",
    "stabilizer_states",
]

#: Largest register :func:`haar_circuit` synthesises (QSD has ~(23/48)·4^n CX).
HAAR_CIRCUIT_MAX_QUBITS = 7


def _check_depth(depth: Any) -> int:
    return check_positive_int(depth, "depth", minimum=0)


def haar_circuit(n: int, seed: Any = None) -> QuantumCircuit:
    """A Haar-random unitary on ``n`` qubits as an exact CX + 1-qubit-gate circuit.

    ``Operator(haar_circuit(n, s))`` equals ``haar_unitary(2**n, seed=s)`` to rounding.

    Parameters
    ----------
    n : int
        Qubits, ``1 <= n <= 7`` (the synthesis has Θ(4^n) gates).
    seed : None, int, Generator or Key

    Examples
    --------
    >>> import numpy as np
    >>> from qiskit.quantum_info import Operator
    >>> qc = haar_circuit(2, seed=3)
    >>> bool(np.allclose(Operator(qc).data, haar_unitary(4, seed=3)))
    True
    """
    n = check_positive_int(n, "n")
    if n > HAAR_CIRCUIT_MAX_QUBITS:
        raise ValueError(
            f"exact synthesis of a Haar unitary on n={n} qubits needs ~4^n gates; "
            f"n must be at most {HAAR_CIRCUIT_MAX_QUBITS} (use random_brickwork for larger n)"
        )
    from qiskit.synthesis import qs_decomposition

    U = haar_unitary(1 << n, seed=seed)
    qc = qs_decomposition(U)
    qc.name = f"haar{n}"
    return qc


def _edges(coupling_map: Any, n: int) -> list[tuple[int, int]]:
    seen: set[tuple[int, int]] = set()
    out = []
    for a, b in check_qubit_pairs(coupling_map, n, "coupling_map", f"the {n}-qubit circuit"):
        key = (min(a, b), max(a, b))
        if key not in seen:
            seen.add(key)
            out.append(key)
    return out


def brickwork_layers(n: int, coupling_map: Any = None) -> list[list[tuple[int, int]]]:
    """The bond layers a brickwork circuit cycles through.

    A line: even bonds ``(0,1), (2,3) ...`` then odd bonds ``(1,2), (3,4) ...``.
    A coupling map: a greedy proper edge colouring (each colour is a matching,
    at most ``2Δ - 1`` colours for maximum degree ``Δ``).

    Examples
    --------
    >>> brickwork_layers(4)
    [[(0, 1), (2, 3)], [(1, 2)]]
    """
    n = check_positive_int(n, "n")
    if coupling_map is None:
        layers = [[(q, q + 1) for q in range(start, n - 1, 2)] for start in (0, 1)]
        return [layer for layer in layers if layer]
    colours: list[list[tuple[int, int]]] = []
    busy: list[set[int]] = []
    for a, b in _edges(coupling_map, n):
        for c, used in enumerate(busy):
            if a not in used and b not in used:
                colours[c].append((a, b))
                used.update((a, b))
                break
        else:
            colours.append([(a, b)])
            busy.append({a, b})
    return colours


def _gate_positions(n: int, depth: int, coupling_map: Any) -> list[tuple[int, int]]:
    layers = brickwork_layers(n, coupling_map)
    if depth and not layers:
        raise ValueError(f"a brickwork circuit on n={n} qubits needs at least one bond")
    return [pair for d in range(depth) for pair in layers[d % len(layers)]]


def random_brickwork(
    n: int, depth: int, seed: Any = None, coupling_map: Any = None
) -> QuantumCircuit:
    """A brickwork circuit of ``depth`` layers of Haar-random two-qubit gates.

    Parameters
    ----------
    n : int
        Qubits (``>= 2`` when ``depth > 0``).
    depth : int
        Number of layers (``>= 0``; 0 gives the identity).
    seed : None, int, Generator or Key
    coupling_map : qiskit CouplingMap or iterable of (a, b), optional
        Bonds to use; default a line. Direction is ignored.

    Returns
    -------
    QuantumCircuit
        ``UnitaryGate`` instances (label ``haar2``); its operator equals
        ``brickwork_unitaries(n, depth, batch, seed)[0]`` for the same arguments.

    Examples
    --------
    >>> qc = random_brickwork(4, depth=3, seed=0)
    >>> qc.count_ops()["unitary"]
    5
    """
    n = check_positive_int(n, "n")
    depth = _check_depth(depth)
    from qiskit.circuit.library import UnitaryGate

    # at most n/2 gates a layer, each a UnitaryGate holding its 4 x 4 matrix (~600 bytes)
    check_allocation(UNITARY_GATE_BYTES * depth * (n // 2),
                     f"random_brickwork(n={n}, depth={depth})",
                     fix="ask for fewer qubits or a smaller depth")
    check_work((_APPEND_S + _HAAR4_S) * depth * (n // 2),
               f"random_brickwork(n={n}, depth={depth})",
               fix="ask for fewer qubits or a smaller depth")
    positions = _gate_positions(n, depth, coupling_map)
    qc = QuantumCircuit(n, name=f"brickwork{depth}")
    if not positions:
        return qc
    gates = haar_unitary(4, batch=(1, len(positions)), seed=as_key(seed).child("brickwork"))[0]
    for (a, b), G in zip(positions, gates):
        qc.append(UnitaryGate(G, label="haar2", check_input=False), [a, b])
    return qc


def _apply_two_qubit(M: np.ndarray, G: np.ndarray, a: int, b: int, n: int) -> np.ndarray:
    """``(G on qubits a, b) @ M`` for a batch of matrices M (B, 2^n, 2^n), gates G (B, 4, 4).

    Qiskit's convention: basis index bit ``q`` is qubit ``q``; the gate's own
    index is ``2·bit_b + bit_a`` (its first qubit is the least significant).
    """
    B, N = M.shape[0], M.shape[1]
    T = M.reshape((B,) + (2,) * n + (N,))
    ax_a, ax_b = 1 + (n - 1 - a), 1 + (n - 1 - b)  # row-index axes of the qubits
    T = np.moveaxis(T, (ax_b, ax_a), (1, 2))
    shape = T.shape
    T = T.reshape(B, 4, -1)
    T = np.matmul(G, T).reshape(shape)
    T = np.moveaxis(T, (1, 2), (ax_b, ax_a))
    return T.reshape(B, N, N)


def brickwork_unitaries(
    n: int, depth: int, batch: int, seed: Any = None, coupling_map: Any = None
) -> np.ndarray:
    """``batch`` independent brickwork unitaries as dense ``(batch, 2^n, 2^n)`` matrices.

    Sample 0 is the operator of ``random_brickwork(n, depth, seed, coupling_map)``.

    Examples
    --------
    >>> U = brickwork_unitaries(2, depth=1, batch=3, seed=1)
    >>> U.shape
    (3, 4, 4)
    """
    n = check_positive_int(n, "n")
    depth = _check_depth(depth)
    batch = check_positive_int(batch, "batch")
    if n > 10:
        raise ValueError(f"dense brickwork unitaries of n={n} qubits are too large; n <= 10")
    gates = depth * (n // 2)  # at most n/2 gates a layer
    what = f"brickwork_unitaries(n={n}, depth={depth}, batch={batch})"
    # the matrices, one temporary copy, and the batch of 4 x 4 gates
    check_allocation(16.0 * batch * (2 * 4**n + 16 * gates), what,
                     fix="ask for a smaller batch or depth")
    check_work(gates * (_POSITION_S + batch * (_HAAR4_S + _APPLY_ENTRY_S * 4**n)), what,
               fix="ask for a smaller batch or depth (or several calls with other seeds)")
    positions = _gate_positions(n, depth, coupling_map)
    N = 1 << n
    M = np.broadcast_to(np.eye(N, dtype=complex), (batch, N, N)).copy()
    if not positions:
        return M
    gates = haar_unitary(4, batch=(batch, len(positions)), seed=as_key(seed).child("brickwork"))
    for g, (a, b) in enumerate(positions):
        M = _apply_two_qubit(M, gates[:, g], a, b, n)
    return M


def random_clifford_circuit(n: int, seed: Any = None) -> QuantumCircuit:
    """A uniformly random n-qubit Clifford as a circuit (a unitary 3-design, not a 4-design).

    Examples
    --------
    >>> random_clifford_circuit(2, seed=1).num_qubits
    2
    """
    n = check_positive_int(n, "n")
    # the 2n x 2n tableau and its O(n^2)-gate circuit (~30 bytes a gate)
    what = f"random_clifford_circuit(n={n})"
    check_allocation(40.0 * n * n, what, fix="ask for fewer qubits")
    check_work(_CLIFFORD_CIRCUIT_S * float(n) ** 3, what, fix="ask for fewer qubits")
    from qiskit.quantum_info import random_clifford

    return random_clifford(n, seed=as_key(seed).child("clifford").generator()).to_circuit()


def clifford_unitaries(n: int, batch: int, seed: Any = None) -> np.ndarray:
    """``batch`` uniformly random n-qubit Clifford matrices (``(batch, 2^n, 2^n)``).

    Examples
    --------
    >>> clifford_unitaries(1, 4, seed=0).shape
    (4, 2, 2)
    """
    n = check_positive_int(n, "n")
    batch = check_positive_int(batch, "batch")
    if n > 10:
        raise ValueError(f"dense Clifford matrices of n={n} qubits are too large; n <= 10 "
                         "(use random_clifford_circuit for larger n)")
    what = f"clifford_unitaries(n={n}, batch={batch})"
    check_allocation(16.0 * batch * 4**n, what, fix="ask for a smaller batch")
    check_work(batch * (_CLIFFORD_S + _APPLY_ENTRY_S * n * 4**n), what,
               fix="ask for a smaller batch (or several calls with other seeds)")
    from qiskit.quantum_info import random_clifford

    rng = as_key(seed).child("clifford-batch").generator()
    out = np.empty((batch, 1 << n, 1 << n), dtype=complex)
    step = max(1, _CHUNK_ENTRIES >> (2 * n))
    for start in range(0, batch, step):
        stop = min(batch, start + step)
        _clifford_matrices([random_clifford(n, seed=rng) for _ in range(start, stop)],
                           out[start:stop])
    return out


#: Matrix entries per chunk of :func:`clifford_unitaries` (bounds its index temporaries).
_CHUNK_ENTRIES = 1 << 20


def _parity(v: np.ndarray, n: int) -> np.ndarray:
    p = np.zeros_like(v)
    for j in range(n):
        p ^= (v >> j) & 1
    return p


def _pauli_apply(x: np.ndarray, z: np.ndarray, sign: np.ndarray, v: np.ndarray,
                 idx: np.ndarray, n: int) -> np.ndarray:
    """``P_b v_b`` for a batch of Paulis ``P_b = (-1)^sign_b i^{|x_b&z_b|} X^x_b Z^z_b``
    (qiskit's Pauli labels) and vectors ``v`` (B, 2^n); ``x, z, sign`` are (B,)."""
    src = idx[None, :] ^ x[:, None]
    phase = (1j) ** (_parity(x & z, n) + 2 * _popcount_high(x & z, n)) * (1 - 2 * sign)
    return (phase[:, None] * (1 - 2 * _parity(src & z[:, None], n))
            * np.take_along_axis(v, src, axis=1))


def _popcount_high(v: np.ndarray, n: int) -> np.ndarray:
    """``(popcount(v) // 2) mod 2``: with the parity, ``popcount(v) mod 4``."""
    count = np.zeros_like(v)
    for j in range(n):
        count += (v >> j) & 1
    return (count >> 1) & 1


def _clifford_matrices(cliffs: list, out: np.ndarray) -> None:
    """The unitaries of qiskit ``Clifford``s (same width), up to global phases, into ``out``.

    ``C|0> `` is the stabiliser state of the rows ``C Z_j C†`` (projected out of a
    fixed vector), and ``C|x> = Π_j (C X_j C†)^{x_j} C|0>``: O(n·4^n) work instead
    of qiskit's ``to_matrix``, batched over the Cliffords.
    """
    n = cliffs[0].num_qubits
    d = 1 << n
    idx = np.arange(d)
    weights = 1 << np.arange(n)

    # qiskit's tableau: destabiliser rows, then stabiliser rows; columns x | z | phase
    T = np.stack([c.tableau for c in cliffs]).astype(np.int64)
    dx, dz, dp = T[:, :n, :n] @ weights, T[:, :n, n:2 * n] @ weights, T[:, :n, 2 * n]
    sx, sz, sp = T[:, n:, :n] @ weights, T[:, n:, n:2 * n] @ weights, T[:, n:, 2 * n]
    # A fixed generic start vector: its projection onto a stabiliser state is never 0.
    v = np.cos(1.0 + idx * 0.7548776662) + 1j * np.sin(0.5 + idx * 0.5698402910)
    v = np.broadcast_to(v, (len(cliffs), d))
    for j in range(n):
        v = 0.5 * (v + _pauli_apply(sx[:, j], sz[:, j], sp[:, j], v, idx, n))
    out[:, :, 0] = v / np.linalg.norm(v, axis=1, keepdims=True)
    for col in range(1, d):
        low = col & -col
        j = low.bit_length() - 1
        out[:, :, col] = _pauli_apply(dx[:, j], dz[:, j], dp[:, j], out[:, :, col ^ low],
                                      idx, n)


def clifford_matrix(cliff: Any) -> np.ndarray:
    """The unitary of a qiskit ``Clifford``, up to a global phase, from its tableau.

    ``C|0> `` is the stabiliser state of the rows ``C Z_j C†`` (projected out of a
    fixed vector), and ``C|x> = Π_j (C X_j C†)^{x_j} C|0>``: O(n·4^n) work instead
    of qiskit's ``to_matrix`` (≈ 30× faster at 3 qubits), for statistics that do
    not see the global phase.

    Examples
    --------
    >>> from qiskit.quantum_info import random_clifford
    >>> c = random_clifford(2, seed=4)
    >>> U, V = clifford_matrix(c), c.to_matrix()
    >>> bool(np.isclose(abs(np.vdot(U, V)), 4))
    True
    """
    d = 1 << cliff.num_qubits
    out = np.empty((1, d, d), dtype=complex)
    _clifford_matrices([cliff], out)
    return out[0]


def stabilizer_states(n: int) -> np.ndarray:
    """All n-qubit stabiliser states (up to phase) as rows of a ``(count, 2^n)`` array.

    Breadth-first search from ``|0...0>`` under H, S and CX generators; the
    counts are ``Π_{k=1}^{n} 2(2^k + 1)·2^{n}/...`` = 6, 60, 1080, 36720 for
    n = 1 ... 4 (Aaronson–Gottesman 2004). The uniform distribution on them is
    the orbit of ``|0>`` under a uniformly random Clifford, so exact averages
    over this list are exact Clifford-ensemble averages of ``C|0>``.

    Examples
    --------
    >>> [len(stabilizer_states(n)) for n in (1, 2, 3)]
    [6, 60, 1080]
    """
    n = check_positive_int(n, "n")
    if n > 4:
        raise ValueError(f"enumerating stabiliser states is for n <= 4, got {n}")
    d = 1 << n
    idx = np.arange(d)
    s2 = 1 / np.sqrt(2)

    def gates(v: np.ndarray) -> list[np.ndarray]:
        out = []
        for q in range(n):
            bit = (idx >> q) & 1
            out.append(np.where(bit, 1j, 1.0) * v)  # S
            flipped = v[idx ^ (1 << q)]
            out.append(s2 * (np.where(bit, -v, v) + flipped))  # H
            for r in range(n):
                if r != q:
                    out.append(np.where(bit, v[idx ^ (1 << r)], v))  # CX(q -> r)
        return out

    def canon(v: np.ndarray) -> bytes:
        i = int(np.argmax(np.abs(v) > 1e-9))
        w = v * (abs(v[i]) / v[i])
        return (np.round(np.concatenate([w.real, w.imag]) * 1e6).astype(np.int64) + 0).tobytes()

    start = np.zeros(d, dtype=complex)
    start[0] = 1.0
    seen = {canon(start): start}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in gates(v):
                c = canon(w)
                if c not in seen:
                    seen[c] = w
                    nxt.append(w)
        frontier = nxt
    return np.array(list(seen.values()))
