"""Pseudorandom unitaries and t-designs from the PFC construction.

``U = P_π · F_f · C`` on ``n`` qubits, ``C`` applied first (Metger, Poremba,
Sinha, Yuen, "Simple constructions of linear-depth t-designs and pseudorandom
unitaries", FOCS 2024, arXiv:2404.12647; Ma and Huang, "How to construct
random unitaries", STOC 2025, arXiv:2410.10116):

* ``C`` — a uniformly random n-qubit Clifford (qiskit's ``random_clifford``,
  Bravyi–Maslov 2021 sampling, seeded from the key);
* ``F_f`` — the binary phase ``|x> -> (-1)^{f(x)} |x>``;
* ``P_π`` — the basis permutation ``|x> -> |π(x)>``.

Three modes choose ``f`` and ``π``:

``"prp"`` (pseudorandom unitary)
    ``π`` is a keyed Feistel permutation with SIMON-style round functions and
    independent round keys (:class:`circuits.feistel.SimonRound`), realised in
    place with no ancillas. ``f(x)`` is bit 0 of a second, independently keyed
    Feistel permutation: computed in place, a Z on qubit 0, uncomputed (a
    truncated PRP is a PRF by the PRP/PRF switching lemma, which holds against
    quantum queries: Zhandry 2015). Rounds: SIMON's count for its word sizes
    (16→32, 24→36, 32→44, 48→54, 64→72) and ``max(8, 2w)`` otherwise, for
    half-width ``w``. Why that many: with *PRF* round functions 3 rounds give
    a classical PRP and 4 a strong PRP (Luby–Rackoff 1988); against quantum
    superposition queries 3 rounds are broken (Kuwakado–Morii 2010), 4 rounds
    are a quantum-secure PRP (Hosoyamada–Iwata 2019), 4 rounds are broken with
    quantum inverse queries (Ito et al. 2019). Our round functions are
    single SIMON rounds, not PRFs, so security rests on the iterated cipher
    (as for SIMON itself), hence the cipher-style round counts. Security
    target: the MPSY/Ma–Huang PRU notion (forward queries) **if** the keyed
    permutation and function are quantum-secure; that is a heuristic
    assumption here, and meaningless for small ``n`` (the domain can be
    enumerated). Not for cryptographic use.
``"t-design"``
    ``f(x)`` = bit 0 of ``p(x)`` for a uniformly random polynomial ``p`` of
    degree ``< 2t`` over GF(2^n) — exactly 2t-wise independent. ``π`` is a
    4-round Feistel network whose round functions are independent random
    polynomials of degree ``< 2t`` over GF(2^⌈n/2⌉) (2t-wise independent):
    by the Luby–Rackoff/Naor–Reingold argument (Naor–Reingold 1999) its
    distribution on any ``q <= 2t`` distinct inputs is within ``O(q^2 / 2^{n/2})``
    of a uniform permutation's, i.e. an *approximately* 2t-wise independent
    permutation (exact efficient 2t-wise independent permutation families are
    not known for t >= 2). MPSY 2024 show PFC with 2t-wise independent ``f``,
    ``π`` is an approximate unitary t-design. Horner evaluation uses
    ``(2t - 2)·n`` ancilla qubits, returned clean. Security target:
    statistical (t-design), not computational.
``"ideal"``
    ``f`` and ``π`` uniformly random (a table and a permutation drawn from the
    key), as a diagonal gate and a permutation-matrix gate: the information-
    theoretic PFC ensemble of MPSY 2024, for small ``n`` (at most 10 qubits).

``strong=True`` appends a second independent random Clifford ``D`` (``U = D·P·F·C``):
the two-sided Clifford twirl used, as we read Ma–Huang 2024, for the strong
PRU notion (queries to ``U`` and ``U†``). We have not checked the exact form of
their strong construction against the final version of the paper; treat this
mode as our reading of it.

The key is an int (hashed, 64 bits of entropy), a :class:`sketch.rng.Key`, or
16/32 raw bytes (128/256-bit keys). Every key-dependent choice is derived from
it by keyed BLAKE2b in counter mode, so the circuit is deterministic in the key.

Examples
--------
>>> from qiskit.quantum_info import Operator
>>> import numpy as np
>>> qc = pfc(2, key=7)
>>> U = pfc_matrix(2, key=7)
>>> bool(np.allclose(Operator(qc).data, U))
True
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from qiskit import QuantumCircuit, QuantumRegister
from qiskit.quantum_info import Clifford, random_clifford

from sketch.budgets import check_work
from sketch.checks import check_positive_int
from sketch.rng import Key, as_key

from .feistel import Feistel, PolynomialRound, SimonRound, phase_polynomial_bit

__all__ = ["PFC", "pfc", "pfc_matrix", "MODES"]

MODES = ("prp", "t-design", "ideal")
_SIMON_ROUNDS = {16: 32, 24: 36, 32: 44, 48: 54, 64: 72}
_IDEAL_MAX_QUBITS = 10
_MAX_QUBITS = 64
# Per-step costs for the work rule (sketch.budgets.check_work), measured on a 2-core machine
# and rounded down: building one Feistel round, per qubit (about 6e-5 s at n = 8); the
# t-design phase polynomial, per unit of t·n (about 3e-3 s); Qiskit's Clifford.to_matrix,
# per qubit and matrix entry (about 2e-7 s).
_ROUND_S = 2e-5
_DESIGN_S = 1.5e-3
_TO_MATRIX_S = 1e-7


def _key_bytes(key: Any) -> bytes:
    if isinstance(key, (bytes, bytearray)):
        if len(key) not in (16, 32):
            raise ValueError(
                f"a raw PFC key must be 16 or 32 bytes (128 or 256 bits), got {len(key)} bytes; "
                "use os.urandom(32) or pass an int seed"
            )
        return bytes(key)
    if isinstance(key, (bool, np.bool_)):
        raise TypeError("key must be an int, a sketch.rng.Key or 16/32 bytes, not a bool")
    if isinstance(key, (int, np.integer, Key)) or hasattr(key, "integers"):
        return as_key(key).value.to_bytes(8, "little")
    if key is None:
        raise TypeError("PFC needs an explicit key (an int, a Key or 16/32 bytes); "
                        "a circuit from fresh entropy could never be rebuilt")
    raise TypeError(
        f"key must be an int, a sketch.rng.Key or 16/32 bytes, got {type(key).__name__}"
    )


class _KeyStream:
    """Keyed BLAKE2b in counter mode: named, independent streams of key material."""

    def __init__(self, key_bytes: bytes):
        self._key = key_bytes

    def integers(self, label: str, count: int, bits: int) -> list[int]:
        nbytes = (bits + 7) // 8
        out = []
        for i in range(count):
            h = hashlib.blake2b(f"{label}/{i}".encode(), key=self._key,
                                digest_size=max(nbytes, 8)).digest()
            out.append(int.from_bytes(h[:nbytes], "little") & ((1 << bits) - 1))
        return out

    def generator(self, label: str) -> np.random.Generator:
        h = hashlib.blake2b(label.encode(), key=self._key, digest_size=32).digest()
        return np.random.default_rng(int.from_bytes(h, "little"))


def _default_rounds(w: int) -> int:
    return _SIMON_ROUNDS.get(w, max(8, 2 * w))


@dataclass(frozen=True)
class PFC:
    """One member ``U = [D·] P_π F_f C`` of the PFC ensemble, fixed by its key.

    Build it with :meth:`from_key`; :func:`pfc` and :func:`pfc_matrix` are
    shortcuts for its :meth:`circuit` and :meth:`matrix`.

    Attributes
    ----------
    n : int
        Number of data qubits.
    mode : str
        ``"prp"``, ``"t-design"`` or ``"ideal"``.
    clifford, outer_clifford : qiskit Clifford
        ``C`` and, when ``strong``, ``D``.
    permutation_network, function_network : Feistel or None
        Keyed networks of the ``"prp"``/``"t-design"`` modes.
    function_poly : tuple of int or None
        Coefficients of ``p`` (t-design ``f = bit_0 p``).
    f_table, pi_table : ndarray or None
        The ideal mode's random tables.
    """

    n: int
    mode: str
    t: int
    rounds: int
    clifford: Clifford
    outer_clifford: Clifford | None
    permutation_network: Feistel | None
    function_network: Feistel | None
    function_poly: tuple | None
    f_table: np.ndarray | None
    pi_table: np.ndarray | None
    pi_key_bit: int
    f_key_bit: int

    @classmethod
    def from_key(cls, n: int, key: Any, mode: str = "prp", *, t: int = 2,
                 rounds: int | None = None, strong: bool = False) -> PFC:
        """Derive every random choice of the construction from ``key`` (see module docs)."""
        n = check_positive_int(n, "n")
        if n > _MAX_QUBITS:
            raise ValueError(f"n must be at most {_MAX_QUBITS} qubits, got {n}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        t = check_positive_int(t, "t")
        if rounds is not None:
            rounds = check_positive_int(rounds, "rounds")
        _check_pfc_work(n, mode, t, rounds)
        stream = _KeyStream(_key_bytes(key))
        clifford = random_clifford(n, seed=stream.generator("clifford"))
        outer = random_clifford(n, seed=stream.generator("outer-clifford")) if strong else None
        a, b = n // 2, n - n // 2
        perm_net = fun_net = poly = f_table = pi_table = None
        pi_key_bit, f_key_bit = stream.integers("one-qubit-bits", 2, 1)
        if mode == "ideal":
            if n > _IDEAL_MAX_QUBITS:
                raise ValueError(f"ideal mode stores 2^n-entry tables and a 2^n x 2^n permutation "
                                 f"gate; n must be at most {_IDEAL_MAX_QUBITS}, got {n} — use "
                                 "mode='prp' or 't-design'")
            f_table = stream.generator("f-table").integers(0, 2, size=1 << n).astype(np.uint8)
            pi_table = stream.generator("pi-table").permutation(1 << n).astype(np.uint64)
            rounds = 0
        elif mode == "prp":
            if n > 1:
                rounds = rounds or _default_rounds(b)

                def network(label: str) -> Feistel:
                    keys = stream.integers(label, rounds, b)
                    fns = [SimonRound(b, a, keys[r]) if r % 2 == 0 else SimonRound(a, b, keys[r])
                           for r in range(rounds)]
                    return Feistel(n, fns)

                perm_net = network("pi-rounds")
                fun_net = network("f-rounds")
            else:
                rounds = 0
        else:  # t-design
            if n > 32:
                raise ValueError(f"t-design mode works in GF(2^n) with n <= 32, got n={n}")
            poly = tuple(stream.integers("f-poly", 2 * t, n))
            if n > 1:
                rounds = rounds or 4
                coeffs = stream.integers("pi-poly", rounds * 2 * t, b)
                fns = [
                    PolynomialRound(b, tuple(coeffs[r * 2 * t:(r + 1) * 2 * t]),
                                    *((b, a) if r % 2 == 0 else (a, b)))
                    for r in range(rounds)
                ]
                perm_net = Feistel(n, fns)
            else:
                rounds = 0
        return cls(n, mode, t, rounds, clifford, outer, perm_net, fun_net, poly, f_table,
                   pi_table, pi_key_bit, f_key_bit)

    # ----- the classical functions -------------------------------------------------
    def f(self, x: Any) -> np.ndarray:
        """The phase function ``f(x)`` in {0, 1} on a uint64 array of inputs."""
        x = self._inputs(x)
        if self.mode == "ideal":
            return self.f_table[x.astype(np.int64)]
        if self.mode == "prp":
            if self.n == 1:  # f(x) = x ^ k' (bit 0 of the 1-bit permutation x ^ k')
                return ((x ^ np.uint64(self.f_key_bit)) & np.uint64(1)).astype(np.uint8)
            return (self.function_network.evaluate(x) & np.uint64(1)).astype(np.uint8)
        from .galois import GF2m

        return (GF2m(self.n).poly_eval(list(self.function_poly), x) & np.uint64(1)).astype(
            np.uint8)

    def pi(self, x: Any) -> np.ndarray:
        """The permutation ``π(x)`` on a uint64 array of inputs."""
        x = self._inputs(x)
        if self.mode == "ideal":
            return self.pi_table[x.astype(np.int64)]
        if self.n == 1:
            return x ^ np.uint64(self.pi_key_bit)
        return self.permutation_network.evaluate(x)

    def _inputs(self, x: Any) -> np.ndarray:
        """``x`` as uint64, refused unless it holds integers in ``[0, 2^n)``."""
        a = np.asarray(x) if isinstance(x, (np.ndarray, list, tuple, int, np.integer)) \
            and not isinstance(x, bool) else None
        if a is None or a.dtype.kind not in "iu" and not (a.dtype == object and all(
                isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in a.flat)):
            raise TypeError(f"x must be an integer array of inputs in [0, 2^{self.n}), got "
                            f"{type(x).__name__}" + (f" of dtype {a.dtype}" if a is not None
                                                     else ""))
        if a.size and (min(a.flat) < 0 or max(a.flat) >= 1 << self.n):
            raise ValueError(f"x holds inputs outside [0, 2^{self.n}) = [0, {1 << self.n})")
        return a.astype(np.uint64)

    # ----- circuit and matrix ------------------------------------------------------
    @property
    def ancillas(self) -> int:
        """Number of ancilla qubits of :meth:`circuit` (all start and end in |0>)."""
        if self.mode != "t-design":
            return 0
        need_f = max(0, 2 * self.t - 2) * self.n
        need_pi = self.permutation_network.ancillas if self.permutation_network else 0
        return max(need_f, need_pi)

    def circuit(self) -> QuantumCircuit:
        """The circuit: register ``data`` (qubit j = bit j of the basis index), then ``anc``."""
        # not "x": OpenQASM 2 cannot load a register named like one of its gates
        data = QuantumRegister(self.n, "data")
        regs = [data] + ([QuantumRegister(self.ancillas, "anc")] if self.ancillas else [])
        qc = QuantumCircuit(*regs, name=f"PFC[{self.mode}]")
        anc = list(regs[1]) if self.ancillas else []
        qc.compose(self.clifford.to_circuit(), data, inplace=True)
        qc.barrier(label="C")
        self._phase(qc, list(data), anc)
        qc.barrier(label="F")
        self._permute(qc, list(data), anc)
        if self.outer_clifford is not None:
            qc.barrier(label="P")
            qc.compose(self.outer_clifford.to_circuit(), data, inplace=True)
        return qc

    def _phase(self, qc: QuantumCircuit, data: list, anc: list) -> None:
        if self.mode == "ideal":
            from qiskit.circuit.library import DiagonalGate

            qc.append(DiagonalGate((1.0 - 2.0 * self.f_table).tolist()), data)
        elif self.mode == "prp":
            if self.n == 1:
                # (-1)^{x ^ k'} = (-1)^{k'} Z
                qc.z(data[0])
                if self.f_key_bit:
                    qc.global_phase += np.pi
                return
            self.function_network.apply(qc, data, anc)
            qc.z(data[0])
            self.function_network.apply(qc, data, anc, inverse=True)
        else:
            phase_polynomial_bit(qc, self.n, self.function_poly, data, anc)

    def _permute(self, qc: QuantumCircuit, data: list, anc: list) -> None:
        if self.mode == "ideal":
            from qiskit.circuit.library import UnitaryGate

            qc.append(UnitaryGate(_permutation_matrix(self.pi_table), label="P_pi"), data)
        elif self.n == 1:
            if self.pi_key_bit:
                qc.x(data[0])
        else:
            self.permutation_network.apply(qc, data, anc)

    def matrix(self) -> np.ndarray:
        """The closed form ``[D] · P_π · diag((-1)^f) · C`` as a dense ``2^n x 2^n`` matrix."""
        if self.n > 12:
            raise ValueError(f"the dense matrix of {self.n} qubits is too large; n <= 12")
        check_work(_TO_MATRIX_S * self.n * 4.0**self.n, f"pfc_matrix(n={self.n})",
                   fix="build the circuit (pfc) and simulate it, or use fewer qubits")
        x = np.arange(1 << self.n, dtype=np.uint64)
        signs = 1.0 - 2.0 * self.f(x)
        P = _permutation_matrix(self.pi(x))
        U = P @ (signs[:, None] * self.clifford.to_matrix())
        if self.outer_clifford is not None:
            U = self.outer_clifford.to_matrix() @ U
        return U


def _check_pfc_work(n: int, mode: str, t: int, rounds: int | None) -> None:
    """The work rule for the circuit's size: Feistel rounds (two networks in prp mode) and
    the degree-(2t-1) phase polynomial of t-design mode."""
    if rounds is not None and mode != "ideal":
        check_work(2 * _ROUND_S * n * rounds, f"a {n}-qubit PFC with rounds={rounds}",
                   fix="use fewer rounds (the default is the secure count)")
    if mode == "t-design":
        check_work(_DESIGN_S * n * t, f"a {n}-qubit PFC t-design with t={t}",
                   fix="use a smaller t")


def _permutation_matrix(pi: np.ndarray) -> np.ndarray:
    N = len(pi)
    P = np.zeros((N, N), dtype=complex)
    P[np.asarray(pi, dtype=np.int64), np.arange(N)] = 1.0
    return P


def pfc(n: int, key: Any, mode: str = "prp", *, t: int = 2, rounds: int | None = None,
        strong: bool = False) -> QuantumCircuit:
    """The PFC unitary ``P_π F_f C`` of ``n`` qubits for ``key``, as a circuit.

    Parameters
    ----------
    n : int
        Data qubits.
    key : int, sketch.rng.Key or bytes (16 or 32)
        Determines ``C``, ``f`` and ``π``; same key → same circuit.
    mode : {"prp", "t-design", "ideal"}
        See the module documentation for what each targets.
    t : int
        Design order of the ``"t-design"`` mode (f, π from 2t-wise independent families).
    rounds : int, optional
        Feistel rounds (default: see module docs).
    strong : bool
        Append an independent outer Clifford (``D P F C``).

    Returns
    -------
    QuantumCircuit
        Data register ``data`` first, then an ancilla register ``anc`` (t-design mode
        only) that starts and ends in ``|0...0>``.

    Examples
    --------
    >>> qc = pfc(6, key=bytes(range(16)), mode="t-design", t=2)
    >>> qc.num_qubits               # 6 data + (2t-2)*6 Horner ancillas
    18
    """
    return PFC.from_key(n, key, mode, t=t, rounds=rounds, strong=strong).circuit()


def pfc_matrix(n: int, key: Any, mode: str = "prp", *, t: int = 2, rounds: int | None = None,
               strong: bool = False) -> np.ndarray:
    """The closed-form matrix ``P_π · diag((-1)^{f(x)}) · C`` of :func:`pfc` (small ``n``).

    Examples
    --------
    >>> U = pfc_matrix(3, key=1, mode="ideal")
    >>> bool(np.allclose(U.conj().T @ U, np.eye(8)))
    True
    """
    return PFC.from_key(n, key, mode, t=t, rounds=rounds, strong=strong).matrix()
