"""Exact classical emulation of the HHL linear-system algorithm.

Harrow, Hassidim and Lloyd ("Quantum algorithm for linear systems of
equations", PRL 2009) prepare |b⟩, run quantum phase estimation (QPE) of
``U = exp(iAt)`` on an ``m``-qubit clock, rotate a flag qubit by
``sin(θ_k/2) = C/λ̃_k`` for every clock value ``k``, and undo the QPE. This
module computes, with dense linear algebra, *exactly* what that ideal circuit
outputs — not the idealised ``A⁻¹b``:

* the QPE kernel: an eigenvalue ``λ`` puts amplitude
  ``f_k(λ) = N⁻¹ Σ_{j<N} exp(ij(λt − 2πk/N))`` on clock value ``k``
  (``N = 2^m``), a Fejér-type kernel that leaks across clock values when
  ``λt/2π`` is not a multiple of ``1/N``;
* the inversion: clock value ``k`` means ``λ̃_k = 2πk/(Nt)`` (two's complement
  when the clock is *signed*, for matrices with negative eigenvalues), and
  rotates the flag to amplitude ``c_k = clip(C/λ̃_k, −1, 1)`` (``c_0 = 0``);
* the uncomputation: post-selecting flag = 1 and clock = 0 leaves the system in
  ``x_out = Σ_k c_k F_k†F_k b̂ = g(A) b̂`` with ``g(λ) = Σ_k c_k |f_k(λ)|²``.

Normalisation: if every eigenvalue sits on the clock grid, ``g(λ) = C/λ`` and
``x_out = (C/‖b‖) A⁻¹b``; so the solution is estimated as
``x ≈ (‖b‖/C) x_out`` and ``‖x‖ ≈ ‖b‖ √P_success / C`` where
``P_success = ‖x_out‖²`` is the probability of flag = 1 and clock = 0.

Cost: one Hermitian eigendecomposition, ``O(N_A³)``, plus ``O(N_A · N log N)``
for the kernels; dense A on NumPy, CuPy or torch (any device; the result stays
there). Large sparse A (SciPy or CuPy sparse, or a
LinearOperator) go through the Lanczos process on the Krylov space of b
(Lanczos 1950; the Ritz pairs are the eigenpairs that b "sees"), exact once
the Krylov space is invariant.

Examples
--------
>>> import numpy as np
>>> A = np.array([[1.0, -1/3], [-1/3, 1.0]])
>>> out = emulate_hhl(A, np.array([1.0, 0.0]), clock_qubits=2, time=3 * np.pi / 4)
>>> np.round(out.solution, 6)
array([1.125, 0.375])
>>> round(out.norm, 6), round(out.fidelity, 12)
(1.185854, 1.0)
"""

from __future__ import annotations

import math
import time as _time
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from .backend import (
    array_module,
    asarray,
    compat,
    device,
    is_operator,
    is_sparse,
    numpy_dtype,
    to_dense,
    to_numpy,
)
from .budgets import check_allocation, check_time_limit, time_left
from .checks import check_positive_int, check_progress
from .errors import AccuracyWarning, NonFiniteError
from .hhl_sizing import DENSE_LIMIT, HHLSizing, check_clock, eigenvalue_bounds, size_hhl
from .hhl_system import HHLProblem, hhl_problem, random_spd_system, stable_norm
from .rng import as_key

#: Largest state (in qubits) the dense simulators here agree to allocate by default.
MAX_SIMULATED_QUBITS = 26


def simulation_bytes(num_qubits: int, itemsize: int = 16) -> int:
    """Bytes of a ``num_qubits`` statevector of complex ``itemsize``-byte entries."""
    return (1 << num_qubits) * itemsize


def check_simulable(num_qubits: int, max_qubits: int | None = None, what: str = "state") -> None:
    """Refuse, before allocating, a statevector larger than ``max_qubits``.

    Raises
    ------
    ValueError
        Naming the qubit count and the memory the state would take.
    """
    limit = (MAX_SIMULATED_QUBITS if max_qubits is None
             else check_positive_int(max_qubits, "max_qubits"))
    if num_qubits > limit:
        gib = simulation_bytes(num_qubits) / 2**30
        raise ValueError(
            f"the {what} has {num_qubits} qubits: its statevector needs {gib:.3g} GiB "
            f"(2^{num_qubits} complex128 amplitudes), above the limit of {limit} qubits; "
            "use fewer clock qubits, or raise max_qubits if the memory is there"
        )


# --------------------------------------------------------------------------------------
# Spectrum and sizing
# --------------------------------------------------------------------------------------


@dataclass
class Spectrum:
    """Eigenpairs of the Hermitian matrix that the right-hand side sees.

    ``values`` (ascending), ``vectors`` (columns), ``weights`` = ``V† b̂``, and
    ``method`` ("dense" or "lanczos"); ``exact`` is False when a Lanczos
    process stopped before the Krylov space of b became invariant.
    """

    values: Any
    vectors: Any
    weights: Any
    method: str
    exact: bool
    residual: float = 0.0


def spectrum(H: Any, b: Any, *, krylov_dim: int | None = None) -> Spectrum:
    """Eigen-decomposition of Hermitian ``H`` restricted to what ``b`` touches.

    Dense (or small sparse) ``H``: ``eigh``. Large sparse ``H`` or a
    LinearOperator: ``krylov_dim`` steps of Lanczos with full
    re-orthogonalisation started from b (Paige 1972 for why the
    re-orthogonalisation is needed); the Ritz pairs reproduce any function
    ``g(H) b`` exactly once the Krylov space is invariant.
    """
    xp = compat(array_module(b))
    bn = (b / float(xp.max(xp.abs(b)))) / stable_norm(b / float(xp.max(xp.abs(b))))
    n = b.shape[0]
    if not is_operator(H) and (not is_sparse(H) or n <= DENSE_LIMIT):
        vals, vecs = xp.linalg.eigh(to_dense(H))
        return Spectrum(vals, vecs, xp.conj(vecs).T @ bn, "dense", True)
    k = min(n, krylov_dim or 200)
    dtype = xp.result_type(H.dtype, b.dtype)
    V = xp.zeros((n, k), dtype=dtype, device=device(b))
    alpha, beta = [], []
    V[:, 0] = bn
    exact = False
    last = 0.0
    for j in range(k):
        w = H @ V[:, j]
        a = float(xp.real(xp.vdot(V[:, j], w)))
        w = w - a * V[:, j] - (beta[-1] * V[:, j - 1] if j else 0)
        w = w - V[:, : j + 1] @ (V[:, : j + 1].conj().T @ w)  # full re-orthogonalisation
        alpha.append(a)
        nb = float(xp.linalg.norm(w))
        last = nb
        if nb <= 1e-12 * max(abs(a), 1.0) or j == k - 1:
            exact = nb <= 1e-12 * max(abs(a), 1.0)
            k = j + 1
            break
        beta.append(nb)
        V[:, j + 1] = w / nb
    T = np.diag(alpha) + np.diag(beta[: k - 1], 1) + np.diag(beta[: k - 1], -1)
    theta, Q = np.linalg.eigh(T)
    # T is k × k from Python floats: its eigenpairs are found on the host and sent back.
    Q = Q.astype(numpy_dtype(dtype))
    vecs = V[:, :k] @ asarray(Q, like=V)
    weights = asarray(Q[0, :].conj(), like=V)
    return Spectrum(asarray(theta, like=xp.real(V)), vecs, weights, "lanczos", exact, last)


# --------------------------------------------------------------------------------------
# The emulator
# --------------------------------------------------------------------------------------


@dataclass
class HHLEmulation:
    """What the ideal HHL circuit outputs, computed classically.

    Attributes
    ----------
    problem : HHLProblem
    sizing : HHLSizing
    spectrum : Spectrum
    output : array
        ``x_out``: system amplitudes on flag = 1, clock = 0 (padded space).
    success_probability : float
        ``P(flag = 1, clock = 0) = ‖x_out‖²``.
    flag_probability : float
        ``P(flag = 1)`` (what measuring the flag alone gives).
    leakage : float
        Weight of b̂'s eigencomponents that QPE puts off their best clock value:
        ``1 − Σ_i |β_i|² max_k |f_k(λ_i)|²`` (0 when every eigenvalue is on the grid).
    clock_distribution : array
        ``P(clock = k)`` after QPE (before the inversion).
    """

    problem: HHLProblem
    sizing: HHLSizing
    spectrum: Spectrum
    output: Any
    success_probability: float
    flag_probability: float
    leakage: float
    clock_distribution: Any
    _kernel: Any = None

    @property
    def scale(self) -> float:
        """``‖b‖/C``: multiplies ``x_out`` into the estimate of ``x``."""
        return stable_norm(self.problem.rhs) / self.sizing.constant

    @property
    def solution(self) -> Any:
        """The estimate ``(‖b‖/C) x_out`` of ``x`` (the unknowns' block)."""
        return self.problem.extract(self.output) * self.scale

    @property
    def norm(self) -> float:
        """``‖x‖ ≈ ‖b‖ √P_success / C``."""
        return math.sqrt(self.success_probability) * self.scale

    @property
    def exact(self) -> Any:
        """``A⁻¹ b`` from the same eigendecomposition (unknowns' block)."""
        sp = self.spectrum
        bnorm = stable_norm(self.problem.rhs)
        return self.problem.extract(sp.vectors @ (sp.weights / sp.values)) * bnorm

    @property
    def fidelity(self) -> float:
        """``|⟨x̂|x̂_out⟩|²`` of the post-selected state with the exact solution."""
        xp = array_module(self.output)
        x = self.problem.embed(self.exact)
        u = x / stable_norm(x)  # unit vectors first: tiny or huge x must not under/overflow
        v = self.output / stable_norm(self.output)
        return float(xp.abs(xp.vdot(u, v)) ** 2)

    def sample(self, shots: int, seed: Any = None) -> dict:
        """Shot-noise estimates from ``shots`` runs measuring flag, clock and system.

        Returns a dict with ``successes`` (flag = 1 and clock = 0), the estimated
        ``norm`` ``‖b‖ √(successes/shots) / C``, and ``counts`` of system outcomes
        among the successes (padded basis index → count).
        """
        shots = check_positive_int(shots, "shots")
        rng = as_key(seed).child("hhl-shots").generator()
        p = min(max(self.success_probability, 0.0), 1.0)
        succ = int(rng.binomial(shots, p))
        probs = np.abs(to_numpy(self.output)) ** 2
        probs = probs / probs.sum() if probs.sum() > 0 else probs
        counts = rng.multinomial(succ, probs) if succ else np.zeros_like(probs, dtype=int)
        return {
            "successes": succ,
            "shots": shots,
            "norm": math.sqrt(succ / shots) * self.scale,
            "counts": {int(i): int(c) for i, c in enumerate(counts) if c},
        }

    def statevector(self, max_qubits: int | None = None) -> Any:
        """The full final state of the circuit (before any measurement).

        Qubit order as built by :func:`circuits.hhl`: system qubits first, then
        the clock, then the flag; Qiskit's little-endian index
        ``sys + 2^n·clock + 2^(n+m)·flag``.
        """
        n, m = self.problem.num_qubits, self.sizing.clock_qubits
        check_simulable(n + m + 1, max_qubits, "HHL circuit")
        sp, N = self.spectrum, 1 << m
        xp = compat(array_module(sp.vectors))
        f = self._kernel  # (eigs, N): f_k(λ_i)
        c = self.sizing.amplitudes(xp, device(sp.vectors))
        s = xp.sqrt(1 - c**2)
        beta = sp.weights
        out = []
        lam_t = sp.values * self.sizing.time
        j = xp.arange(N, device=device(sp.vectors))
        for amp in (s, c):
            phi = (f * amp[None, :]) * beta[:, None]  # (eigs, k)
            w = xp.fft.ifft(phi, axis=1) * math.sqrt(N)  # inverse QFT† = QFT over k
            w = w * xp.exp(-1j * lam_t[:, None] * j[None, :])
            w = _walsh_hadamard(w, m, xp)
            out.append(xp.astype(sp.vectors, w.dtype) @ w)  # (sys, clock)
        state = xp.stack([o.T for o in out])  # (flag, clock, sys)
        return state.reshape(-1)


def _walsh_hadamard(w: Any, m: int, xp: ModuleType) -> Any:
    """Apply ``H^{⊗m}`` along axis 1 of ``w`` (length ``2^m``)."""
    rows = w.shape[0]
    v = w.reshape((rows,) + (2,) * m)
    for ax in range(1, m + 1):
        a = v[(slice(None),) * ax + (0,)]
        b = v[(slice(None),) * ax + (1,)]
        v = xp.stack([a + b, a - b], axis=ax) / math.sqrt(2)
    return v.reshape(rows, 1 << m)


def qpe_kernel(values: Any, clock_qubits: int, time: float) -> Any:
    """``f_k(λ_i) = N⁻¹ Σ_j exp(ij(λ_i t − 2πk/N))`` as an (eigs, N) array.

    Examples
    --------
    >>> import numpy as np
    >>> f = qpe_kernel(np.array([2 * np.pi / 4]), 2, 1.0)   # on the grid: k = 1
    >>> np.round(np.abs(f) ** 2, 12)
    array([[0., 1., 0., 0.]])
    """
    xp = compat(array_module(values))
    N = 1 << clock_qubits
    j = xp.arange(N, dtype=values.dtype, device=device(values))
    E = xp.exp(1j * (values[:, None] * time) * j[None, :])
    return xp.fft.fft(E, axis=1) / N


def emulate_hhl(
    A: Any,
    b: Any,
    *,
    clock_qubits: int | None = None,
    time: float | None = None,
    constant: float | None = None,
    signed: bool | None = None,
    sizing: HHLSizing | None = None,
    krylov_dim: int | None = None,
    max_clock_qubits: int = 24,
    time_limit: float | None = None,
    progress: bool | None = None,
) -> HHLEmulation:
    """Exactly what the ideal HHL circuit for ``A x = b`` outputs.

    Parameters
    ----------
    A : (n, n) array, sparse matrix
        Non-Hermitian A goes through the Hermitian dilation, other sizes are
        padded (see :class:`HHLProblem`).
    b : (n,) array
    clock_qubits, time, constant, signed : optional
        Override the automatic sizing (:func:`size_hhl`).
    sizing : HHLSizing, optional
        A complete sizing (e.g. from :func:`circuits.hhl`), used as is.
    krylov_dim : int, optional
        Lanczos steps for large sparse A (default 200).
    max_clock_qubits : int
        Refuse larger clocks before allocating the ``(eigs, 2^m)`` kernel.
    time_limit, progress : optional
        Seconds for the Lanczos eigenvalue bounds that size a large A (beyond
        ``DENSE_LIMIT`` rows; one deadline for the padding's and the sizing's), and their
        tqdm bar (:func:`~sketch.hhl_sizing.eigenvalue_bounds`): bounds cut short are noted
        in the sizing. The spectrum of b's Krylov space is bounded by ``krylov_dim``.

    Returns
    -------
    HHLEmulation

    Examples
    --------
    >>> import numpy as np
    >>> out = emulate_hhl(np.diag([1.0, 3.0]), np.ones(2), clock_qubits=5)
    >>> bool(out.fidelity > 0.99), round(out.norm / float(np.hypot(1, 1/3)), 2)
    (True, 1.0)
    """
    time_limit, progress = check_time_limit(time_limit), check_progress(progress)
    start = _time.perf_counter()
    problem = hhl_problem(A, b, time_limit=time_limit, progress=progress)
    H = problem.matrix
    if sizing is None:
        sizing = size_hhl(
            H, clock_qubits=clock_qubits, time=time, constant=constant, signed=signed,
            bounds=problem.bounds, time_limit=time_left(start, time_limit), progress=progress,
        )
    check_clock(sizing, max_clock_qubits, H.shape[0])
    m = sizing.clock_qubits
    # the (eigs, 2^m) complex kernel and its squared modulus, a few copies at the peak
    check_allocation(4 * 16 * float(1 << m) * min(H.shape[0], krylov_dim or 200)
                     if is_sparse(H) and H.shape[0] > DENSE_LIMIT
                     else 4 * 16 * float(1 << m) * H.shape[0],
                     f"the QPE kernel of {m} clock qubits", xp=array_module(problem.rhs),
                     device=device(problem.rhs), fix="use fewer clock_qubits")
    sp = spectrum(H, problem.rhs, krylov_dim=krylov_dim)
    xp = compat(array_module(sp.vectors))
    if not sp.exact:
        warnings.warn(
            f"Lanczos stopped after {sp.values.shape[0]} steps before the Krylov space of b "
            f"was invariant (residual {sp.residual:.2g}); the emulation is approximate — "
            "raise krylov_dim",
            AccuracyWarning,
            stacklevel=2,
        )
    f = qpe_kernel(sp.values, m, sizing.time)
    fabs2 = xp.abs(f) ** 2
    c = xp.astype(sizing.amplitudes(xp, device(fabs2)), fabs2.dtype)
    g = fabs2 @ c
    w2 = xp.abs(sp.weights) ** 2
    gamma = sp.weights * g
    real = xp.result_type(H.dtype, problem.rhs.dtype)
    out = sp.vectors @ xp.astype(gamma, xp.result_type(real, sp.vectors.dtype))
    if not xp.isdtype(real, "complex floating"):
        out = xp.astype(xp.real(out), real)
    p_s = float(xp.sum(xp.abs(gamma) ** 2))
    p_f = float(xp.sum(w2 * (fabs2 @ (c**2))))
    leak = float(1.0 - xp.sum(w2 * xp.max(fabs2, axis=1)))
    dist = w2 @ fabs2
    if not bool(xp.all(xp.isfinite(out))):
        raise NonFiniteError(f"the emulated state holds NaN/inf: the phases λ·time overflow "
                             f"(time={sizing.time:.3g}); check A's scaling and time")
    return HHLEmulation(problem, sizing, sp, out, p_s, p_f, max(leak, 0.0), dist, f)


__all__ = [
    "MAX_SIMULATED_QUBITS",
    "random_spd_system",
    "HHLProblem",
    "HHLSizing",
    "HHLEmulation",
    "Spectrum",
    "check_clock",
    "check_simulable",
    "eigenvalue_bounds",
    "emulate_hhl",
    "hhl_problem",
    "qpe_kernel",
    "size_hhl",
    "spectrum",
    "stable_norm",
]

