"""Pauli-parameterized orthogonal matrices for Quantum-PEFT.

Quantum-PEFT (Koike-Akino, Tonin, Wu, Wu, Candogan and Cevher, "Quantum-PEFT:
Ultra parameter-efficient fine-tuning", ICLR 2025, arXiv:2503.05431) replaces
LoRA's low-rank factors by ``ΔW = U diag(λ) Vᵀ`` where ``U ∈ St(N, K)`` and
``V ∈ St(M, K)`` are the first ``K`` columns of orthogonal matrices produced by a
real parameterized quantum circuit on ``q = ⌈log₂ N⌉`` qubits, so a factor costs
``O(L log N)`` angles instead of LoRA's ``N K`` entries. The authors released no
code; this module is our implementation of that parameterization.

The ansatz (our reading of the paper's "Pauli parameterization"; the exact gate
layout below is our choice, stated so it can be checked against the circuit)
--------------------------------------------------------------------------------
On ``q`` qubits, with ``L = layers``:

1. an RY layer: ``RY(θ_i)`` on every qubit ``i = 0 … q-1``;
2. ``L`` entangling layers. Each is a brickwork of neighbouring pairs: first the
   even pairs ``(0,1), (2,3), …``, then the odd pairs ``(1,2), (3,4), …``. For
   each sub-layer, an entangler (``CZ``, or ``CX`` with control ``i`` and target
   ``i+1``) acts on every pair, then ``RY`` on both qubits of every pair.

Every gate is real (RY is a plane rotation, CZ a ±1 diagonal, CX a permutation),
so ``U(θ)`` is a real orthogonal matrix in ``O(2^q)``; its determinant is ``+1``
(``SO(2^q)``) except for ``q = 2``, where each entangling layer contributes a
factor ``-1`` (``det U = (-1)^L``). The angle count is exactly

    P(q, L) = q + 2 L (q - 1) = (2L + 1) q - 2L          (q ≥ 1),  P(0, L) = 0,

which is what the paper's "logarithmic growth" refers to: ``P`` grows like
``(2L+1) log₂ N``. Angles are ordered as the gates are applied: the ``q`` angles of
the RY layer (qubit 0 first), then for each layer, each sub-layer (even, then
odd), each pair ``(i, i+1)`` in increasing ``i``: the angle on qubit ``i``, then
the one on ``i+1``. Qubit ``i`` is bit ``i`` of the row index (Qiskit's
little-endian order), so :func:`pauli_unitary` equals ``Operator(pauli_circuit)``.

Sizes that are not powers of two (:func:`pauli_stiefel`)
--------------------------------------------------------
Truncating the rows of a ``2^q``-dimensional orthogonal matrix destroys
orthonormality, and re-orthonormalising (QR) gives a different, non-smooth map
whose conditioning collapses when the truncated block is nearly rank deficient.
We instead build an orthogonal matrix *of size N* from two overlapping windows,
in the spirit of the paper's block construction: with ``M = 2^{q-1} < N < 2^q``,

    O(θ) = diag(I_{N-M}, B(θ_B)) · diag(A(θ_A), I_{N-M}),

where ``A`` and ``B`` are ``(q-1)``-qubit Pauli circuits acting on rows
``0 … M-1`` and ``N-M … N-1``. Both factors are orthogonal on ``R^N``, so
``O(θ)`` is exactly orthogonal; the windows overlap and cover every row (they
overlap in ``2M - N ≥ 1`` rows), so every coordinate is reachable. The factor is
``U = O(θ)[:, :K]`` and costs ``2 P(q-1, L)`` angles. For ``N = 2^q`` it is
simply ``U(θ)[:, :K]`` with ``P(q, L)`` angles.

Computation
-----------
:func:`pauli_unitary` never forms a ``2^q × 2^q`` matrix (and never
exponentiates one): it starts from the ``2^q × K`` block ``[I_K; 0]``, reshapes it
to one axis of length 2 per qubit, and applies every gate as a structured
operation on that tensor (a 2×2 rotation along one axis, a ±1 sign pattern, or a
flip along one axis) — ``O(P · 2^q · K)`` work for all ``K`` columns. It is
written against the array API (``sketch.backend.namespace``), so it runs
unchanged on NumPy, CuPy and PyTorch tensors, keeps the input's dtype and
device, accepts a batch of angle vectors (``theta`` of shape ``(..., P)``), and is
differentiable under ``torch.autograd`` (no in-place updates).

Examples
--------
>>> import numpy as np
>>> from qiskit.quantum_info import Operator
>>> q, L = 3, 2
>>> pauli_num_params(q, L)
11
>>> theta = np.linspace(-1.0, 1.0, 11)
>>> U = pauli_unitary(theta, q, L)
>>> bool(np.allclose(U, Operator(pauli_circuit(q, L, theta)).data.real))
True
>>> V = pauli_stiefel(np.zeros(stiefel_num_params(6, 1)) + 0.3, 6, 1, columns=2)
>>> V.shape, bool(np.allclose(V.T @ V, np.eye(2)))
((6, 2), True)
"""

from __future__ import annotations

import math
from typing import Any

import array_api_compat
import numpy as np

from sketch.backend import device, namespace, to_numpy
from sketch.budgets import check_allocation, check_work
from sketch.checks import check_array, check_positive_int
from sketch.errors import ShapeError

__all__ = [
    "pauli_num_params",
    "stiefel_num_params",
    "num_qubits_for",
    "pauli_circuit",
    "pauli_unitary",
    "pauli_stiefel",
    "check_entangler",
]

_ENTANGLERS = ("cz", "cx")

# Per-step costs for the work rule (sketch.budgets.check_work), measured on a 2-core machine
# and rounded down: one gate appended to a QuantumCircuit (about 12 us with its angle or
# Parameter); one small block applied by pauli_unitary (the Python/dispatch step, about
# 10 us) and per matrix entry it touches (about 2 ns).
_APPEND_S = 6e-6
_BLOCK_S = 3e-6
_ENTRY_S = 5e-10
#: Bytes a QuantumCircuit holds per gate (instruction, qubit tuple, angle), rounded up.
_GATE_BYTES = 400


def _num_gates(q: int, layers: int) -> int:
    """Gates of the ansatz: ``P(q, L)`` rotations plus ``L (q - 1)`` entanglers."""
    return pauli_num_params(q, layers) + layers * max(q - 1, 0)


def _check_circuit_size(q: int, layers: int) -> None:
    what = f"pauli_circuit(q={q}, layers={layers}) with {_num_gates(q, layers)} gates"
    fix = "ask for fewer qubits or layers"
    check_allocation(_GATE_BYTES * float(_num_gates(q, layers)), what, fix=fix)
    check_work(_APPEND_S * _num_gates(q, layers), what, fix=fix)


def _check_matrix_size(like: Any, xp: Any, b: int, rows: int, k: int, q: int, layers: int,
                       what: str) -> None:
    """Memory (the block, a product and a reshape copy) and time of applying the ansatz."""
    entries = float(b) * rows * k
    fix = "ask for fewer columns, a smaller dimension or fewer layers"
    check_allocation(3 * entries * like.dtype.itemsize, what, xp=xp, device=device(like),
                     fix=fix)
    blocks = layers * max(q - 1, 0) // 2 + q
    check_work(blocks * (_BLOCK_S + _ENTRY_S * entries), what, fix=fix)


def _check_layers(layers: Any) -> int:
    if isinstance(layers, (int, np.integer)) and not isinstance(layers, bool) and layers < 1:
        raise ValueError(
            f"layers must be at least 1 (one RY layer plus `layers` entangling layers), "
            f"got {layers}"
        )
    return check_positive_int(layers, "layers")


def check_entangler(entangler: Any) -> str:
    """The entangler's name, ``"cz"`` or ``"cx"`` (else a ``ValueError`` naming it)."""
    if entangler not in _ENTANGLERS:
        raise ValueError(f"entangler must be one of {_ENTANGLERS}, got {entangler!r}")
    return entangler


def _pairs(q: int) -> list[list[tuple[int, int]]]:
    """Neighbouring pairs of one entangling layer: even sub-layer, then odd sub-layer."""
    even = [(i, i + 1) for i in range(0, q - 1, 2)]
    odd = [(i, i + 1) for i in range(1, q - 1, 2)]
    return [sub for sub in (even, odd) if sub]


def pauli_num_params(q: int, layers: int) -> int:
    """Number of angles of the ``q``-qubit ansatz with ``layers`` entangling layers.

    ``P(q, L) = (2L + 1) q - 2L`` for ``q ≥ 1`` (``q`` RY angles, then ``2(q-1)``
    per entangling layer), and ``0`` for ``q = 0`` (the 1×1 matrix ``[1]``).

    Examples
    --------
    >>> [pauli_num_params(q, 1) for q in (0, 1, 2, 8, 14)]
    [0, 1, 4, 22, 40]
    """
    q = check_positive_int(q, "q", minimum=0)
    layers = _check_layers(layers)
    if q == 0:
        return 0
    return (2 * layers + 1) * q - 2 * layers


def num_qubits_for(n: int) -> int:
    """``q = ⌈log₂ n⌉``: the qubits whose ``2^q`` rows cover dimension ``n``.

    Examples
    --------
    >>> [num_qubits_for(n) for n in (1, 2, 3, 4, 5, 768)]
    [0, 1, 2, 2, 3, 10]
    """
    n = check_positive_int(n, "n")
    return (n - 1).bit_length()


def stiefel_num_params(n: int, layers: int) -> int:
    """Angles of one factor ``U ∈ St(n, K)`` from :func:`pauli_stiefel` (independent of K).

    ``P(q, L)`` when ``n = 2^q``; ``2 P(q-1, L)`` otherwise (two overlapping
    ``(q-1)``-qubit windows), with ``q = ⌈log₂ n⌉``.

    Examples
    --------
    >>> stiefel_num_params(256, 1), stiefel_num_params(768, 1), stiefel_num_params(5, 2)
    (22, 50, 12)
    """
    q = num_qubits_for(n)
    if n == 1 << q:
        return pauli_num_params(q, layers)
    return 2 * pauli_num_params(q - 1, layers)


def pauli_circuit(q: int, layers: int, theta: Any = None, entangler: str = "cz") -> Any:
    """The Pauli ansatz as a ``qiskit.QuantumCircuit`` (see the module docstring).

    Parameters
    ----------
    q : int
        Number of qubits (``≥ 1``).
    layers : int
        Number of entangling layers ``L ≥ 1``.
    theta : array_like of shape (P,), optional
        Angles (NumPy, CuPy or torch); ``None`` gives a circuit with a
        ``ParameterVector`` named ``θ`` of length ``P = pauli_num_params(q, layers)``.
    entangler : {"cz", "cx"}
        Two-qubit gate of the entangling layers.

    Returns
    -------
    qiskit.QuantumCircuit
        Its operator equals ``pauli_unitary(theta, q, layers)``.

    Examples
    --------
    >>> qc = pauli_circuit(4, 2)
    >>> qc.num_parameters, dict(qc.count_ops())
    (16, {'ry': 16, 'cz': 6})
    """
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector

    q = check_positive_int(q, "q")
    layers = _check_layers(layers)
    entangler = check_entangler(entangler)
    _check_circuit_size(q, layers)
    p = pauli_num_params(q, layers)
    if theta is None:
        angles: Any = ParameterVector("θ", p)
    else:
        if getattr(theta, "ndim", 1) > 1:
            raise ShapeError(f"theta must be one vector of {p} angles for pauli_circuit, got "
                             f"shape {tuple(theta.shape)}")
        # the checks pauli_unitary makes (real, finite, p angles), then host floats: a
        # circuit is host data
        _, th, _ = _prepare_theta(theta, p, f"the {q}-qubit ansatz with {layers} layer(s)")
        angles = [float(a) for a in to_numpy(th).reshape(-1)]
    qc = QuantumCircuit(q, name=f"pauli_q{q}_L{layers}")
    k = 0
    for i in range(q):
        qc.ry(angles[k], i)
        k += 1
    for _ in range(layers):
        for sub in _pairs(q):
            for i, j in sub:
                if entangler == "cz":
                    qc.cz(i, j)
                else:
                    qc.cx(i, j)
            for i, j in sub:
                qc.ry(angles[k], i)
                qc.ry(angles[k + 1], j)
                k += 2
    return qc


# ---------------------------------------------------------------- structured application


def _rotations(xp: Any, theta: Any) -> Any:
    """RY(θ) matrices for every angle at once: (B, P) -> (B, P, 2, 2)."""
    c = xp.cos(theta / 2)
    s = xp.sin(theta / 2)
    return xp.stack([xp.stack([c, -s], axis=-1), xp.stack([s, c], axis=-1)], axis=-2)


def _on_bits(xp: Any, x: Any, gate: Any, low: int, width: int) -> Any:
    """Apply a (B, d, d) gate, d = 2^width, to bits low … low+width-1 of the rows of x.

    ``x`` is (B, 2^q, K); the reshape (B, 2^q / (d 2^low), d, 2^low K) puts exactly
    those bits on axis 2, so one batched matmul applies the gate to all K columns.
    """
    b, n, k = x.shape
    d = 1 << width
    y = xp.reshape(x, (b, n // (d << low), d, (1 << low) * k))
    y = xp.reshape(gate, (b, 1, d, d)) @ y
    return xp.reshape(y, (b, n, k))


def _pair_gates(xp: Any, rot: Any, entangler: str) -> Any:
    """(RY_hi ⊗ RY_lo) · E for consecutive angle pairs: (B, 2m, 2, 2) -> (B, m, 4, 4).

    Basis order of the 4-dim factor is (bit i+1, bit i), so the upper qubit's
    rotation is the left Kronecker factor. ``E`` (CZ or CX) is applied first, which
    right-multiplies: CZ flips the sign of column |11⟩, CX(i → i+1) swaps columns
    |01⟩ and |11⟩.
    """
    lo = rot[:, 0::2]
    hi = rot[:, 1::2]
    g = hi[:, :, :, None, :, None] * lo[:, :, None, :, None, :]
    b, m = g.shape[0], g.shape[1]
    g = xp.reshape(g, (b, m, 4, 4))
    if entangler == "cz":
        sign = xp.asarray([1.0, 1.0, 1.0, -1.0], dtype=g.dtype, device=array_api_compat.device(g))
        return g * sign
    return xp.take(g, xp.asarray([0, 3, 2, 1], device=array_api_compat.device(g)), axis=-1)


def _apply_pauli(xp: Any, x: Any, theta: Any, q: int, layers: int, entangler: str) -> Any:
    """``U(θ_b) @ x_b`` for every batch entry ``b``; ``x`` is (B, 2^q, K), ``theta`` (B, P).

    Gates are applied in circuit order as small dense blocks on the bits they touch
    (a 2×2 rotation, or a 4×4 entangler-then-rotations block per neighbouring pair),
    never as 2^q × 2^q matrices.
    """
    if q == 0:
        return x
    rot = _rotations(xp, theta)
    subs = [sub for _ in range(layers) for sub in _pairs(q)]
    if not subs:  # q = 1: a single rotation
        return _on_bits(xp, x, rot[:, 0], 0, 1)
    pairs = _pair_gates(xp, rot[:, q:], entangler)
    # The RY layer is folded into the first (even) sub-layer: its pair gates become
    # G · (RY_{i+1} ⊗ RY_i), a product of tiny 4×4 matrices, so the big tensor is
    # touched once per pair (plus once for the last qubit when q is odd).
    first = subs[0]
    m = len(first)
    lo = rot[:, 0 : 2 * m : 2]
    hi = rot[:, 1 : 2 * m : 2]
    b = rot.shape[0]
    kron = xp.reshape(hi[:, :, :, None, :, None] * lo[:, :, None, :, None, :], (b, m, 4, 4))
    fused = pairs[:, :m] @ kron
    if q % 2 == 1:
        x = _on_bits(xp, x, rot[:, q - 1], q - 1, 1)
    for p, (i, _) in enumerate(first):
        x = _on_bits(xp, x, fused[:, p], i, 2)
    j = m
    for sub in subs[1:]:
        for i, _ in sub:
            x = _on_bits(xp, x, pairs[:, j], i, 2)
            j += 1
    return x


def _prepare_theta(theta: Any, p: int, what: str) -> tuple[Any, Any, tuple[int, ...]]:
    if isinstance(theta, (str, bytes)):
        raise TypeError(f"theta must be an array of real angles, got {type(theta).__name__}")
    if isinstance(theta, (list, tuple)) or np.isscalar(theta):
        try:
            theta = np.asarray(theta, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"theta must hold real angles: {exc}") from None
    check_array(theta, "theta")
    xp = namespace(theta)
    if xp.isdtype(theta.dtype, "integral") and theta.dtype != xp.bool:
        theta = xp.astype(theta, xp.float64)
    if theta.dtype not in (xp.float32, xp.float64):  # float16 and bfloat16 too: no kernels
        raise TypeError(f"theta must be real (float32 or float64), got dtype {theta.dtype}")
    if theta.ndim == 0 or theta.shape[-1] != p:
        got = "a scalar" if theta.ndim == 0 else f"{theta.shape[-1]} angles"
        raise ShapeError(f"theta must have shape (..., {p}) for {what}; got {got}")
    if not bool(xp.all(xp.isfinite(theta))):
        raise ValueError("theta contains NaN or infinity; angles must be finite")
    batch = tuple(theta.shape[:-1])
    return xp, xp.reshape(theta, (math.prod(batch), p)), batch


def _identity_block(xp: Any, like: Any, b: int, n: int, k: int) -> Any:
    eye = xp.eye(n, k, dtype=like.dtype, device=array_api_compat.device(like))
    return xp.broadcast_to(eye[None, ...], (b, n, k))


def _check_columns(columns: Any, n: int) -> int:
    if columns is None:
        return n
    k = check_positive_int(columns, "columns")
    if k > n:
        raise ValueError(
            f"columns (the rank K) = {k} exceeds the dimension N = {n}: an N×K matrix "
            f"with orthonormal columns needs K ≤ N; lower the rank"
        )
    return k


def pauli_unitary(
    theta: Any, q: int, layers: int, columns: int | None = None, entangler: str = "cz"
) -> Any:
    """First ``columns`` columns of the Pauli-ansatz orthogonal matrix ``U(θ) ∈ O(2^q)``.

    Parameters
    ----------
    theta : array of shape (..., P)
        Angles, ``P = pauli_num_params(q, layers)``; NumPy, CuPy or torch
        (float32/float64; a leading batch shape gives a batch of matrices).
    q : int
        Number of qubits (``≥ 0``); the matrix is ``2^q × 2^q``.
    layers : int
        Entangling layers ``L ≥ 1``.
    columns : int, optional
        ``K``: how many leading columns to return (default all ``2^q``).
    entangler : {"cz", "cx"}

    Returns
    -------
    array of shape (..., 2^q, K)
        Orthonormal columns (``UᵀU = I_K``), same namespace, dtype and device as
        ``theta``; equal to ``Operator(pauli_circuit(q, layers, theta)).data[:, :K]``.

    Examples
    --------
    >>> import numpy as np
    >>> U = pauli_unitary(np.full(pauli_num_params(5, 2), 0.4), 5, 2, columns=3)
    >>> U.shape, bool(np.allclose(U.T @ U, np.eye(3)))
    ((32, 3), True)
    """
    q = check_positive_int(q, "q", minimum=0)
    layers = _check_layers(layers)
    entangler = check_entangler(entangler)
    n = 1 << q
    k = _check_columns(columns, n)
    p = pauli_num_params(q, layers)
    xp, th, batch = _prepare_theta(theta, p, f"the {q}-qubit ansatz with {layers} layer(s)")
    _check_matrix_size(th, xp, th.shape[0], n, k, q, layers,
                       f"pauli_unitary(q={q}, layers={layers}, columns={k}) of batch {batch}")
    x = _identity_block(xp, th, th.shape[0], n, k)
    x = _apply_pauli(xp, x, th, q, layers, entangler)
    return xp.reshape(x, batch + (n, k))


def pauli_stiefel(
    theta: Any, n: int, layers: int, columns: int | None = None, entangler: str = "cz"
) -> Any:
    """A point of the Stiefel manifold ``St(n, K)`` from Pauli angles, for any ``n``.

    For ``n = 2^q`` this is ``pauli_unitary(theta, q, layers, columns)``. Otherwise
    (``M = 2^{q-1} < n < 2^q``) it is the first ``K`` columns of the exactly
    orthogonal ``n × n`` matrix ``diag(I_{n-M}, B(θ_B)) · diag(A(θ_A), I_{n-M})``
    with ``A``, ``B`` two ``(q-1)``-qubit Pauli circuits on overlapping row windows
    (``theta = [θ_A, θ_B]``); see the module docstring for why this embedding.

    Parameters
    ----------
    theta : array of shape (..., P)
        ``P = stiefel_num_params(n, layers)``; NumPy, CuPy or torch.
    n : int
        Number of rows ``N ≥ 1``.
    layers : int
        Entangling layers per circuit, ``≥ 1``.
    columns : int, optional
        ``K ≤ n`` (default ``n``: the whole orthogonal matrix).
    entangler : {"cz", "cx"}

    Returns
    -------
    array of shape (..., n, K)
        ``UᵀU = I_K`` to rounding; same namespace, dtype and device as ``theta``.

    Examples
    --------
    >>> import numpy as np
    >>> p = stiefel_num_params(12, 2)
    >>> U = pauli_stiefel(np.linspace(0, 3, p), 12, 2, columns=4)
    >>> p, U.shape, bool(np.allclose(U.T @ U, np.eye(4)))
    (22, (12, 4), True)
    """
    n = check_positive_int(n, "n")
    layers = _check_layers(layers)
    entangler = check_entangler(entangler)
    k = _check_columns(columns, n)
    q = num_qubits_for(n)
    if n == 1 << q:
        return pauli_unitary(theta, q, layers, columns=k, entangler=entangler)
    p1 = pauli_num_params(q - 1, layers)
    xp, th, batch = _prepare_theta(
        theta, 2 * p1, f"n = {n} (two {q - 1}-qubit windows, {layers} layer(s))"
    )
    m = 1 << (q - 1)
    _check_matrix_size(th, xp, th.shape[0], n, k, q - 1, 2 * layers,
                       f"pauli_stiefel(n={n}, layers={layers}, columns={k}) of batch {batch}")
    x = _identity_block(xp, th, th.shape[0], n, k)
    top = _apply_pauli(xp, x[:, :m, :], th[:, :p1], q - 1, layers, entangler)
    x = xp.concat([top, x[:, m:, :]], axis=1)
    low = _apply_pauli(xp, x[:, n - m :, :], th[:, p1:], q - 1, layers, entangler)
    x = xp.concat([x[:, : n - m, :], low], axis=1)
    return xp.reshape(x, batch + (n, k))
