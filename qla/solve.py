"""``qla.solve``: one call for ``A x = b`` — classical, iterative, emulated or circuit HHL.

Every method returns a :class:`SolveResult` with the solution (or, for HHL
run with shots or on a device, the estimated observables), its error against
the classical answer when that is affordable, the resources of the circuit, and
the warnings that make an answer unreliable.

HHL normalisation (derived in :mod:`sketch.hhl`): post-selecting flag = 1 and
clock = 0 leaves ``x_out ≈ (C/‖b‖) x``; hence ``x ≈ (‖b‖/C) x_out``,
``‖x‖ ≈ (‖b‖/C) √P_success`` and ``x†Mx ≈ (‖b‖/C)² ⟨Π₁ ⊗ Π₀ ⊗ M⟩``.

Examples
--------
>>> import numpy as np
>>> import qla
>>> A = np.array([[1.0, -1/3], [-1/3, 1.0]]); b = np.array([1.0, 0.0])
>>> r = qla.solve(A, b, method="hhl-emulate", clock_qubits=2, time=3 * np.pi / 4)
>>> round(r.norm, 6), round(r.fidelity, 9)
(1.185854, 1.0)
"""

from __future__ import annotations

import math
import time as _time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sketch.backend import (
    array_module,
    is_operator,
    is_sparse,
    linalg,
    sparse_linalg,
    to_numpy,
)
from sketch.budgets import check_time_limit, time_left
from sketch.checks import (
    check_hermitian,
    check_matrix,
    check_observable,
    check_positive_int,
    check_progress,
    check_square,
    check_vector,
)
from sketch.errors import AccuracyWarning, NonFiniteError, ShapeError, SingularMatrixError
from sketch.hhl import stable_norm
from sketch.rng import as_key

METHODS = ("direct", "cg", "kaczmarz", "hhl-emulate", "hhl")

#: Leakage (fraction of b's weight off its best clock value) above which HHL warns.
LEAKAGE_WARN = 0.05
#: Emulated fidelity / relative norm error beyond which the leakage warning fires.
FIDELITY_WARN = 0.99
NORM_WARN = 0.05
#: Success probability below which HHL warns (shots are mostly wasted).
SUCCESS_WARN = 1e-3
#: Largest system for which the exact classical reference is computed.
REFERENCE_LIMIT = 4096


@dataclass
class SolveResult:
    """The answer of :func:`solve`, whatever the method.

    Attributes
    ----------
    method : str
    x : array or None
        The solution estimate; None when only observables were estimated (HHL
        with shots or on a device).
    norm : float or None
        ``‖x‖`` (for HHL estimated from the success probability).
    observables : dict
        Estimated observables by name (``x†Mx``; ``absolute_average`` is
        ``|mean(x)|``).
    exact_observables : dict
        The same observables from the classical solution, when computed.
    fidelity : float or None
        ``|⟨x̂|x̂_est⟩|²`` against the classical solution.
    residual : float or None
        ``‖b − A x‖/‖b‖``.
    error : float or None
        ``‖x − x_exact‖/‖x_exact‖``.
    converged : bool
    iterations : int or None
    stop_reason : str or None
        For the iterative methods: ``"converged"``, ``"maxiter"`` or ``"time_limit"``.
    success_probability : float or None
        ``P(flag = 1, clock = 0)`` for HHL.
    resources : dict
        Qubits, depth, CX count after transpiling to {cx, u} (HHL circuits).
    sizing : HHLSizing or None
    warnings : list of str
    seconds : float
    """

    method: str
    x: Any = None
    norm: float | None = None
    observables: dict = field(default_factory=dict)
    exact_observables: dict = field(default_factory=dict)
    fidelity: float | None = None
    residual: float | None = None
    error: float | None = None
    converged: bool = True
    iterations: int | None = None
    stop_reason: str | None = None
    success_probability: float | None = None
    resources: dict = field(default_factory=dict)
    sizing: Any = None
    warnings: list = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        """A few lines for a terminal."""
        lines = [f"method: {self.method} ({self.seconds:.3f}s)"]

        def fmt(v):
            return "-" if v is None else f"{v:.6g}"

        lines.append(
            f"norm {fmt(self.norm)}  fidelity {fmt(self.fidelity)}  residual {fmt(self.residual)}"
            f"  error {fmt(self.error)}  converged {self.converged}"
        )
        if self.success_probability is not None:
            lines.append(f"success probability {self.success_probability:.4g}")
        for k, v in self.observables.items():
            ex = self.exact_observables.get(k)
            lines.append(f"{k}: {v:.6g}" + (f" (exact {ex:.6g})" if ex is not None else ""))
        if self.sizing is not None:
            lines.append(self.sizing.summary())
        if self.resources:
            lines.append("resources: " + ", ".join(f"{k} {v}" for k, v in self.resources.items()))
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _named_operators(observables: Any, size: int) -> dict:
    """Map the user's observables to Hermitian matrices on the unknowns."""
    from circuits.hhl import absolute_average_operator, tridiagonal_operator

    if observables is None:
        return {}
    if isinstance(observables, (str, np.ndarray)) or hasattr(observables, "toarray"):
        observables = [observables]
    if not isinstance(observables, dict):
        observables = {
            (o if isinstance(o, str) else f"M{i}"): o for i, o in enumerate(observables)
        }
    out = {}
    for name, M in observables.items():
        if isinstance(M, str):
            if M == "absolute_average":
                M = absolute_average_operator(size)
            elif M == "tridiagonal":
                M = tridiagonal_operator(size)
            elif M == "norm":
                continue
            else:
                raise ValueError(
                    f"unknown observable {M!r}; use 'norm', 'absolute_average', 'tridiagonal' "
                    "or a Hermitian matrix"
                )
        out[name] = M
    return out


def _check_observable(M: Any, size: int, name: str) -> np.ndarray:
    check_observable(M, size, f"observable {name!r}")
    return to_numpy(M.toarray() if is_sparse(M) else M)


def _check_not_underflowed(x: Any, method: str) -> None:
    """A zero solution of a system with b ≠ 0 means x underflowed: say so, not x = 0."""
    if not bool(array_module(x).any(x)):
        raise ValueError(
            f"the {method} solution underflows float64 to zero although b is not zero (A is "
            "huge against b); rescale A and b"
        )


def _relative_residual(A: Any, x: Any, b: Any) -> float:
    """``‖b − Ax‖/‖b‖``, scaled by ``max|b|`` first so huge entries do not overflow the norm."""
    xp = array_module(x, b)
    s = float(xp.abs(b).max())
    return float(xp.linalg.norm((b - A @ x) / s) / xp.linalg.norm(b / s))


def _quad(x: np.ndarray, M: np.ndarray) -> float:
    return float(np.real(np.vdot(x, M @ x)))


def _finish_value(name: str, q: float) -> float:
    # absolute_average measures |mean x|² = x†(J/N²)x; report |mean x|.
    return math.sqrt(max(q, 0.0)) if name == "absolute_average" else q


def _direct(A: Any, b: Any) -> Any:
    xp = array_module(A, b)
    if is_sparse(A):
        return sparse_linalg(xp).spsolve(A.tocsc(), b)
    lin = linalg(xp)
    if xp is np:
        import scipy.linalg

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", scipy.linalg.LinAlgWarning)
                return lin.solve(A, b)
        except (np.linalg.LinAlgError, scipy.linalg.LinAlgWarning) as exc:
            raise SingularMatrixError(
                f"A is (numerically) singular: {exc}; regularise it or use a least-squares method"
            ) from exc
    return lin.solve(A, b)


def solve(
    A: Any,
    b: Any,
    method: str = "direct",
    *,
    backend: Any = None,
    shots: int | None = None,
    observables: Any = None,
    clock_qubits: int | None = None,
    time: float | None = None,
    constant: float | None = None,
    tol: float | None = None,
    maxiter: int | None = None,
    seed: Any = None,
    resources: bool = True,
    reference: bool = True,
    time_limit: float | None = None,
    progress: bool | None = None,
) -> SolveResult:
    """Solve ``A x = b`` with the chosen method.

    Parameters
    ----------
    A : (n, n) array or sparse matrix
        Square; Hermitian for CG (positive definite) — HHL takes any invertible
        A (non-Hermitian through the dilation, any size through padding).
    b : (n,) array
    method : {"direct", "cg", "kaczmarz", "hhl-emulate", "hhl"}, default "direct"
        The same default as ``qla solve`` on the command line. ``direct``:
        LAPACK/SuperLU. ``cg``: conjugate gradient. ``kaczmarz``: randomized
        Kaczmarz (Strohmer–Vershynin 2009). ``hhl-emulate``: the exact classical
        emulation of the HHL circuit. ``hhl``: the circuit itself.
    backend : None, "aer" or a BackendV2
        For ``hhl``: None — exact statevector simulation (x itself is read
        out); "aer" — Aer's V2 primitives (EstimatorV2 for observables,
        SamplerV2 for the success probability when ``shots`` is given); a
        BackendV2 — transpiled to its ISA and simulated with its noise model
        (``AerSimulator.from_backend``, density matrix; an ``AerSimulator`` is
        used as given). Submitting to IBM hardware is the general execution
        layer's job; this keeps HHL's own execution local and offline. With
        shots, the Estimator's noise is Aer's model: a Gaussian of std
        ``1/√shots`` on each expectation; ‖x‖ then comes from SamplerV2 counts.
    shots : int, optional
        Shots for sampling, for ``hhl-emulate`` and for ``hhl`` with a backend (the
        Estimator's precision is ``1/√shots``); refused elsewhere, where nothing is sampled.
    observables : str, matrix, list or dict, optional
        ``"norm"``, ``"absolute_average"`` (``|mean x|``), ``"tridiagonal"``
        (``x†Bx``, B = tridiag(−½, 1, −½)) or Hermitian n×n matrices M (``x†Mx``).
    clock_qubits, time, constant : optional
        HHL sizing overrides (see :func:`sketch.hhl.size_hhl`).
    tol, maxiter : optional
        For the iterative methods.
    seed : None, int or Generator
        Kaczmarz row choices and shot noise.
    resources : bool
        Transpile the HHL circuit to {cx, u} and count (costs time for big clocks).
    reference : bool
        Compute the classical solution for fidelity/error (up to 4096 unknowns).
    time_limit, progress : optional
        For the iterative methods: seconds after which they return their current iterate
        (``converged=False``, ``stop_reason="time_limit"``), and their tqdm bar (``None``:
        shown only for runs longer than 2 s). For the HHL methods: seconds for the Lanczos
        eigenvalue bounds that size a large A (beyond 4096 rows; one deadline for all of
        the call's sizing, :func:`sketch.budgets.time_left`), bounds cut short noted in
        ``sizing`` and ``warnings`` (:func:`sketch.hhl.emulate_hhl`); the emulation and the
        circuit are not timed. Refused for ``"direct"``.

    Returns
    -------
    SolveResult
        For ``b = 0`` the classical methods return ``x = 0`` at once; HHL refuses it
        (there is no state ``|b⟩`` to prepare).

    Raises
    ------
    ShapeError, NonFiniteError, NotHermitianError, SingularMatrixError
        A not square, NaN/inf, CG on a non-Hermitian A, a singular A.
    ValueError, TypeError
        Unknown method, shots or backend where they do nothing, bad observables.

    Examples
    --------
    >>> import numpy as np
    >>> r = solve(np.diag([2.0, 4.0]), np.array([2.0, 4.0]), method="cg")
    >>> np.round(r.x, 12), r.converged
    (array([1., 1.]), True)
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    check_matrix(A, "A")
    check_vector(b, "b", length=A.shape[0])
    if b.ndim != 1:
        raise ShapeError("b must be 1-D; solve several right-hand sides one by one")
    check_square(A, "A")
    hhl_method = method in ("hhl-emulate", "hhl")
    if shots is not None:
        shots = check_positive_int(shots, "shots")
        if not hhl_method:
            raise ValueError(f"shots applies to the HHL methods only; method={method!r} "
                             "computes x classically — drop shots")
        if method == "hhl" and backend is None:
            raise ValueError("shots needs a backend for method='hhl' (backend='aer' or a "
                             "BackendV2); backend=None is the exact statevector, with no shots")
    if backend is not None and method != "hhl":
        raise ValueError(f"backend applies to method='hhl' only, got method={method!r}")
    if maxiter is not None:
        maxiter = check_positive_int(maxiter, "maxiter")
    time_limit, progress = check_time_limit(time_limit), check_progress(progress)
    if time_limit is not None and method == "direct":
        raise ValueError("time_limit applies to the iterative methods ('cg', 'kaczmarz') and "
                         "the HHL methods' sizing, not to method='direct'; drop time_limit")
    if tol is not None and not (0 < tol < 1):
        raise ValueError(f"tol must be in (0, 1), got {tol!r}")
    start = _time.perf_counter()
    xp = array_module(A, b)
    n = A.shape[1]
    if method == "cg" and not is_operator(A):
        check_hermitian(A, "A", fix="CG needs a Hermitian positive definite A: use "
                        "method='direct' or 'kaczmarz'")
    ops = {k: _check_observable(M, n, k) for k, M in _named_operators(observables, n).items()}
    exact = None
    res = SolveResult(method)
    if not hhl_method and not bool(xp.any(b)):
        # b = 0: x = 0 whatever the (square) A; no method needs to run
        res.x = xp.zeros(n, dtype=np.result_type(A.dtype, b.dtype))
        res.norm = res.residual = res.error = 0.0
        res.iterations = 0
        res.exact_observables = {k: 0.0 for k in ops} | {"norm": 0.0}
        res.observables = {k: 0.0 for k in ops}
        res.seconds = _time.perf_counter() - start
        return res
    if reference and n <= REFERENCE_LIMIT:
        exact = _direct(A, b) if method != "direct" else None
    if method == "direct":
        res.x = _direct(A, b)
        exact = res.x
    elif method == "cg":
        from sketch.iterative import conjugate_gradient

        # solve for b/max|b| (x scales with b): a b near underflow keeps its norm
        s = float(xp.abs(b).max())
        it = conjugate_gradient(A, b / s, tol=tol or 1e-10, maxiter=maxiter,
                                time_limit=time_limit, progress=progress)
        res.x, res.converged, res.iterations = it.x * s, it.converged, it.iterations
        res.stop_reason = it.stop_reason
    elif method == "kaczmarz":
        from sketch.iterative import randomized_kaczmarz

        s = float(xp.abs(b).max())
        it = randomized_kaczmarz(A, b / s, tol=tol or 1e-8, maxiter=maxiter, seed=seed,
                                 time_limit=time_limit, progress=progress)
        res.x, res.converged, res.iterations = it.x * s, it.converged, it.iterations
        res.stop_reason = it.stop_reason
    else:
        _hhl(res, A, b, method, backend, shots, ops, clock_qubits, time, constant, seed,
             resources, exact, time_left(start, time_limit), progress)
    if res.x is not None:
        if not bool(xp.isfinite(res.x).all()):
            raise NonFiniteError(
                f"the {method} solution overflows float64 (A is tiny against b or nearly "
                "singular); rescale A and b, or regularise A"
            )
        _check_not_underflowed(res.x, method)
        res.residual = _relative_residual(A, res.x, b)
        if res.norm is None:
            res.norm = stable_norm(res.x)
        for k, M in ops.items():
            if k not in res.observables:
                res.observables[k] = _finish_value(k, _quad(to_numpy(res.x), M))
    if exact is not None and bool(np.any(to_numpy(exact))):  # an underflowed reference: none
        xe = to_numpy(exact)
        for k, M in ops.items():
            res.exact_observables[k] = _finish_value(k, _quad(xe, M))
        res.exact_observables["norm"] = stable_norm(xe)
        if res.x is not None:
            xr = to_numpy(res.x)
            res.error = stable_norm(xr - xe) / stable_norm(xe)
            if res.fidelity is None:
                u, v = xe / stable_norm(xe), xr / max(stable_norm(xr), np.finfo(float).tiny)
                res.fidelity = float(abs(np.vdot(u, v)) ** 2)
    res.seconds = _time.perf_counter() - start
    for w in res.warnings:
        warnings.warn(w, AccuracyWarning, stacklevel=2)
    return res


def _hhl(res, A, b, method, backend, shots, ops, clock_qubits, time, constant, seed,
         want_resources, exact, time_limit, progress) -> None:
    from sketch.hhl import emulate_hhl

    start = _time.perf_counter()  # one deadline for the circuit's sizing and the emulation's
    if method == "hhl-emulate":
        emu = emulate_hhl(A, b, clock_qubits=clock_qubits, time=time, constant=constant,
                          time_limit=time_limit, progress=progress)
    else:
        from circuits.hhl import hhl

        hc = hhl(to_numpy(A.toarray() if is_sparse(A) else A), to_numpy(b),
                 clock_qubits=clock_qubits, time=time, constant=constant,
                 time_limit=time_limit, progress=progress)
        emu = emulate_hhl(A, b, sizing=hc.sizing, time_limit=time_left(start, time_limit),
                          progress=progress)
    res.sizing = emu.sizing
    res.success_probability = emu.success_probability
    fid = emu.fidelity
    _check_not_underflowed(emu.exact, method)
    nerr = abs(emu.norm / stable_norm(to_numpy(emu.exact)) - 1)
    if emu.leakage > LEAKAGE_WARN and (fid < FIDELITY_WARN or nerr > NORM_WARN):
        res.warnings.append(
            f"QPE leakage {emu.leakage:.3f}: eigenvalues of A fall between clock values, so the "
            f"ideal circuit's state has fidelity {fid:.4f} and its norm is {nerr:.1%} off; add "
            "clock qubits or choose t so the eigenvalues sit on the clock grid"
        )
    if emu.success_probability < SUCCESS_WARN:
        res.warnings.append(
            f"success probability {emu.success_probability:.2e} (~1/κ²): about "
            f"{1 / max(emu.success_probability, 1e-300):.3g} shots per post-selected sample"
        )
    res.warnings += [f"sizing: {n}" for n in emu.sizing.notes]
    if method == "hhl-emulate":
        res.x = emu.solution
        res.norm = emu.norm
        xo = to_numpy(emu.problem.extract(emu.output))
        for k, M in ops.items():
            res.observables[k] = _finish_value(k, emu.scale**2 * _quad(xo, M))
        if shots is not None:
            smp = emu.sample(shots, seed)
            res.norm = smp["norm"]
            res.observables["norm_shots"] = smp["norm"]
        res.fidelity = emu.fidelity
        return
    # The circuit.
    if want_resources:
        res.resources = hc.resources()
    if backend is None:
        sv = hc.statevector()
        xo = hc.postselect(sv)
        full = hc.postselect(sv, unknowns=False)
        p_s = float(np.vdot(full, full).real)
        res.success_probability = p_s
        x = xo * hc.scale
        dtype = np.result_type(A.dtype, b.dtype)
        # A real system has a real solution; the imaginary part is rounding only.
        res.x = x.real.astype(dtype) if dtype.kind == "f" else x.astype(dtype)
        res.norm = math.sqrt(p_s) * hc.scale
        return
    _hhl_primitives(res, hc, backend, shots, ops, seed, exact)


def _hhl_primitives(res, hc, backend, shots, ops, seed, exact) -> None:
    """Estimate the observables with Aer's V2 primitives (optionally a device's noise)."""
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_aer import AerSimulator
    from qiskit_aer.primitives import EstimatorV2, SamplerV2

    aer_seed = int(as_key(seed).child("aer").generator().integers(2**31 - 1))
    if isinstance(backend, str):
        if backend != "aer":
            raise ValueError(f"backend must be None, 'aer' or a BackendV2, got {backend!r}")
        sim = AerSimulator(method="statevector", seed_simulator=aer_seed)
        isa = hc.transpiled(("cx", "u"), optimization_level=1)
        layout = None
    else:
        if isinstance(backend, AerSimulator):
            sim = backend  # the user's simulator, with its own method and noise
        else:
            sim = AerSimulator.from_backend(backend, method="density_matrix",
                                            seed_simulator=aer_seed)
        pm = generate_preset_pass_manager(optimization_level=1, backend=backend,
                                          seed_transpiler=aer_seed)
        isa = pm.run(hc.circuit)
        layout = isa.layout
        ops_isa = isa.count_ops()
        res.resources["isa_depth"] = isa.depth()
        res.resources["isa_two_qubit"] = int(sum(v for k, v in ops_isa.items()
                                                  if k in ("cx", "cz", "ecr")))
    est = EstimatorV2.from_backend(sim)
    est.options.run_options = {"seed_simulator": aer_seed}
    named = {"__success": None, **ops}
    if exact is not None:
        from circuits.hhl import state_projector

        named["__fidelity"] = state_projector(exact)
    obs = []
    for M in named.values():
        o = hc.observable(M)
        obs.append(o.apply_layout(layout) if layout is not None else o)
    precision = 0.0 if shots is None else 1.0 / math.sqrt(shots)
    evs = est.run([(isa, obs)], precision=precision).result()[0].data.evs
    vals = dict(zip(named, (float(v) for v in np.atleast_1d(evs))))
    p_s = vals.pop("__success")
    fid = vals.pop("__fidelity", None)
    res.success_probability = p_s
    res.norm = math.sqrt(max(p_s, 0.0)) * hc.scale
    if shots is not None:
        # The success probability from real counts, not the Estimator's Gaussian noise.
        # Measure only the circuit's own qubits (where the layout put them): measuring all
        # of a device's qubits would make Aer simulate every one (133 on an IBM device).
        from qiskit import ClassicalRegister

        width = hc.circuit.num_qubits
        phys = list(range(width)) if layout is None else layout.final_index_layout()
        qc = isa.copy()
        creg = ClassicalRegister(width, "meas")
        qc.add_register(creg)
        qc.measure([phys[i] for i in range(width)], list(creg))
        smp = SamplerV2.from_backend(sim, default_shots=shots, seed=aer_seed)
        counts = smp.run([qc]).result()[0].data.meas.get_counts()
        n, m = hc.system_qubits, hc.clock_qubits
        ok = 0
        for bits, c in counts.items():
            bits = bits[::-1]  # bit i = logical qubit i of the HHL circuit
            if bits[n + m] == "1" and all(bits[q] == "0" for q in range(n, n + m)):
                ok += c
        res.success_probability = ok / shots
        res.norm = math.sqrt(ok / shots) * hc.scale
    for k, v in vals.items():
        res.observables[k] = _finish_value(k, hc.scale**2 * v)
    if fid is not None and p_s > 0:
        res.fidelity = min(max(fid / p_s, 0.0), 1.0)


__all__ = ["METHODS", "SolveResult", "solve"]
