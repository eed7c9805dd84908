"""Run circuits on Aer (CPU or GPU), fake IBM devices or real IBM backends.

:func:`run` is the one call: it checks the circuits (bound parameters, size
for the simulation method, *before* anything is allocated), transpiles them to
the backend's instruction set architecture (ISA) with a preset pass manager,
submits all of them as one job through a V2 primitive (``SamplerV2`` for
counts, ``EstimatorV2`` when observables are given) and returns a
:class:`RunResult` with counts, probabilities, expectation values and the
transpiled depth and two-qubit-gate count of every circuit.

Which primitive runs a job:

=====================================  ============================================
backend                                primitive
=====================================  ============================================
``"aer"``, ``"aer-gpu"``, AerSimulator  ``qiskit_aer.primitives.SamplerV2/EstimatorV2``
fake IBM backend (``fake_provider``)   Aer primitives on ``AerSimulator.from_backend``
                                       (the device's coupling map, gates and noise)
``qiskit_ibm_runtime`` ``IBMBackend``  ``qiskit_ibm_runtime`` Sampler/Estimator (V2 interface;
                                       the client-side ``executor_*`` ones from 0.50 on)
any other ``BackendV2``                ``qiskit.primitives.BackendSamplerV2/...V2``
=====================================  ============================================

A real IBM device is passed unchanged. With an account saved once by
``QiskitRuntimeService.save_account(channel="ibm_quantum_platform", token=...)``::

    from qiskit_ibm_runtime import QiskitRuntimeService
    backend = QiskitRuntimeService().backend("ibm_torino")   # or .least_busy()
    result = qla.run(circuit, backend=backend, shots=4000)

Examples
--------
>>> from qiskit import QuantumCircuit
>>> qc = QuantumCircuit(2)
>>> _ = qc.h(0); _ = qc.cx(0, 1)
>>> res = run(qc, shots=1000, seed=7)
>>> sorted(res.get_counts())
['00', '11']
>>> res[0].two_qubit_gates
1
"""

from __future__ import annotations

import copy
import math
import sys
import time
from typing import Any

import numpy as np

from sketch.errors import MissingDependencyError

from .run_checks import (
    as_circuits,
    check_circuit,
    check_run_arguments,
    check_simulation_memory,
    memory_estimate,
)
from .run_results import CircuitResult, RunResult, ideal_probabilities, total_variation

#: Simulation methods :func:`run` accepts for Aer backends.
METHODS = ("automatic", "statevector", "density_matrix", "matrix_product_state")

#: Backend names :func:`run` accepts, besides ``fake_*`` device names and backend objects.
BACKEND_NAMES = ("aer", "aer-gpu")

def _aer_gpu_available() -> bool:
    from qiskit_aer import AerSimulator

    return "GPU" in AerSimulator().available_devices()


def _is_fake_ibm(backend) -> bool:
    mod = type(backend).__module__
    return mod.startswith("qiskit_ibm_runtime.fake_provider")


def _is_ibm_runtime(backend) -> bool:
    if "qiskit_ibm_runtime" not in sys.modules:
        return False
    from qiskit_ibm_runtime import IBMBackend

    return isinstance(backend, IBMBackend)


def _fake_backend(name: str):
    from sketch.errors import require

    fp = require("qiskit_ibm_runtime.fake_provider", "ibm", f"use the fake IBM device {name!r}")
    # "fake_manila" -> FakeManilaV2 / FakeManila, without building every fake device
    stem = "Fake" + "".join(part.title() for part in name.split("_")[1:])
    for cls_name in (stem + "V2", stem):
        cls = getattr(fp, cls_name, None)
        if cls is not None:
            return cls()
    raise ValueError(
        f"unknown fake IBM backend {name!r}; names look like 'fake_manila', 'fake_torino' "
        "(see qiskit_ibm_runtime.fake_provider.FakeProviderForBackendV2().backends())"
    )


def _resolve(backend, method: str, noise_model, seed, precision: str):
    """(backend object, kind, method) where kind is 'aer', 'ibm' or 'generic'."""
    from qiskit.providers import BackendV2
    from qiskit_aer import AerSimulator

    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    opts: dict[str, Any] = {"method": method, "precision": precision}
    if seed is not None:
        opts["seed_simulator"] = seed
    if isinstance(backend, str):
        name = backend.lower()
        if name == "aer":
            return AerSimulator(noise_model=noise_model, **opts), "aer", method
        if name == "aer-gpu":
            if not _aer_gpu_available():
                devices = AerSimulator().available_devices()
                raise MissingDependencyError(
                    "backend='aer-gpu' needs Aer's GPU device, but AerSimulator()."
                    f"available_devices() reports {devices}: install the qiskit-aer-gpu wheel "
                    "(pip install qiskit-aer-gpu; it replaces qiskit-aer) on a machine with an "
                    "NVIDIA GPU and CUDA 12, or use backend='aer'"
                )
            return AerSimulator(device="GPU", noise_model=noise_model, **opts), "aer", method
        if name.startswith("fake_"):
            backend = _fake_backend(name)
        else:
            raise ValueError(
                f"unknown backend {backend!r}; use one of {', '.join(map(repr, BACKEND_NAMES))}, "
                "a fake IBM device name such as 'fake_manila', or a qiskit BackendV2 object "
                "(e.g. QiskitRuntimeService().backend('ibm_torino'))"
            )
    if isinstance(backend, AerSimulator):
        # Change only what the caller asked for, on a copy: never the caller's simulator.
        changes = {k: v for k, v in opts.items() if k != "precision"}
        if method == "automatic":
            changes.pop("method")
        if noise_model is not None:
            changes["noise_model"] = noise_model
        sim = backend
        if changes:
            sim = copy.deepcopy(backend)
            sim.set_options(**changes)
        return sim, "aer", sim.options.method
    if not isinstance(backend, BackendV2):
        raise TypeError(
            f"backend must be 'aer', 'aer-gpu', a fake device name or a qiskit BackendV2, "
            f"got {type(backend).__name__}"
        )
    if _is_fake_ibm(backend):
        # Aer with the device's target and noise: same physics as the runtime's local mode,
        # but we keep control of the method and the seed.
        sim = AerSimulator.from_backend(backend, **opts)
        if noise_model is not None:
            sim.set_options(noise_model=noise_model)
        sim.name = backend.name  # report the device, not "aer_simulator_from(...)"
        return sim, "aer", method
    if noise_model is not None:
        raise ValueError(
            f"noise_model applies to Aer simulators only; backend {backend.name!r} has its own"
        )
    if _is_ibm_runtime(backend):
        return backend, "ibm", None
    return backend, "generic", None


def _backend_name(backend, kind: str) -> str:
    name = getattr(backend, "name", None) or type(backend).__name__
    return name() if callable(name) else str(name)


# --------------------------------------------------------------------------- observables


def _as_observable(obs, num_qubits: int):
    from qiskit.quantum_info import SparsePauliOp

    try:
        op = obs if isinstance(obs, SparsePauliOp) else SparsePauliOp(obs)
    except Exception as exc:  # QiskitError on a bad label, TypeError on a bad kind
        raise ValueError(
            f"observables: {obs!r} is not a Pauli observable ({exc}); use a label of I, X, Y, "
            "Z such as 'ZZI', a Pauli or a SparsePauliOp"
        ) from None
    if op.num_qubits != num_qubits:
        raise ValueError(
            f"observable {obs!r} acts on {op.num_qubits} qubits but the circuit has {num_qubits}"
        )
    return op


def _observables_per_circuit(observables, circuits) -> list[list]:
    from qiskit.quantum_info import Pauli, SparsePauliOp

    single = (str, Pauli, SparsePauliOp)
    if not isinstance(observables, single) and not hasattr(observables, "__iter__"):
        raise TypeError(
            "observables must be a Pauli label, Pauli, SparsePauliOp or a sequence of them, "
            f"got {type(observables).__name__}"
        )
    if isinstance(observables, single):
        per = [[observables]] * len(circuits)
    else:
        observables = list(observables)
        if observables and all(isinstance(o, single) for o in observables):
            per = [observables] * len(circuits)  # the same list for every circuit
        else:
            if len(observables) != len(circuits):
                raise ValueError(
                    f"got {len(observables)} observable lists for {len(circuits)} circuits; "
                    "give one observable (list) for all circuits or one list per circuit"
                )
            per = [[o] if isinstance(o, single) else list(o) for o in observables]
    return [[_as_observable(o, c.num_qubits) for o in obs] for obs, c in zip(per, circuits)]


# --------------------------------------------------------------------------- run


def _prepare(circuit, estimator: bool):
    if estimator:
        return circuit.remove_final_measurements(inplace=False)
    if circuit.num_clbits == 0 or not any(i.operation.name == "measure" for i in circuit.data):
        qc = circuit.copy()
        qc.measure_all()
        return qc
    return circuit


def _summary(isa) -> tuple[int, int, dict[str, int]]:
    ops = dict(isa.count_ops())
    two = sum(
        1 for inst in isa.data
        if inst.operation.num_qubits == 2 and inst.operation.name not in ("barrier", "delay")
    )
    return isa.depth(), two, ops


def success_estimate(isa, target) -> float | None:
    """Estimated success probability ``Π (1 − εᵢ)`` of an ISA circuit on ``target``.

    The product over the circuit's instructions of one minus the calibrated error of that
    instruction on its qubits (readout error for measurements) — the ESP figure of merit of
    Nishio, Pan, Satzinger, Amano, Sugawara and Zhang (2020). ``None`` if the target
    carries no error rates.
    """
    if target is None:
        return None
    index = {q: i for i, q in enumerate(isa.qubits)}
    esp, seen = 1.0, False
    for inst in isa.data:
        name = inst.operation.name
        if name in ("barrier", "delay") or name not in target.operation_names:
            continue
        qargs = tuple(index[q] for q in inst.qubits)
        props = target[name].get(qargs) if target[name] else None
        err = getattr(props, "error", None)
        if err is not None:
            esp *= 1.0 - float(err)
            seen = True
    return esp if seen else None


def run(
    circuits,
    backend: Any = "aer",
    shots: int = 1024,
    method: str = "automatic",
    noise_model: Any = None,
    seed: int | None = None,
    observables: Any = None,
    optimization_level: int = 1,
    precision: str = "double",
) -> RunResult:
    """Run one or many circuits on a simulator or device through the V2 primitives.

    Parameters
    ----------
    circuits : QuantumCircuit or sequence of QuantumCircuit
        Circuits with all parameters bound (a builder's result with a ``.circuit``,
        such as :func:`circuits.hhl`'s, counts as its circuit). A circuit without
        measurements is
        measured on all qubits (sampler runs); final measurements are dropped for
        estimator runs.
    backend : {"aer", "aer-gpu"}, str or BackendV2
        ``"aer"``: Aer on the CPU; ``"aer-gpu"``: Aer on a CUDA GPU (needs the
        ``qiskit-aer-gpu`` wheel); ``"fake_manila"``-style names: a fake IBM device
        with its coupling map and noise; or any ``BackendV2`` object — an
        ``AerSimulator``, a ``qiskit_ibm_runtime.fake_provider`` backend, a real
        device from ``QiskitRuntimeService().backend(name)``, or another provider's.
    shots : int
        Shots per circuit. Estimator runs target precision ``1/sqrt(shots)`` on
        hardware and generic backends; Aer's estimator is exact (``default_precision=0``,
        readout error not included).
    method : {"automatic", "statevector", "density_matrix", "matrix_product_state"}
        Aer simulation method (ignored by hardware and generic backends).
    noise_model : qiskit_aer.noise.NoiseModel, optional
        Noise for Aer simulators (a fake device brings its own; this one replaces it).
    seed : int, optional
        Seeds the simulator's sampling and the transpiler, so a run is reproducible
        (``0 <= seed < 2**63``).
    observables : str, Pauli, SparsePauliOp or sequence, optional
        With observables, runs ``EstimatorV2`` and returns expectation values: one
        observable or list for every circuit, or one list per circuit.
    optimization_level : int
        Preset pass manager level (0–3).
    precision : {"double", "single"}
        Aer's floating-point precision (single halves the statevector memory).

    Returns
    -------
    RunResult

    Raises
    ------
    ValueError
        Unknown backend or method, unbound parameters, more qubits than the device has,
        an empty circuit or list, a bad observable, an out-of-range seed or level.
    TypeError
        Objects of the wrong kind (circuits, seed, noise_model, observables).
    InsufficientMemoryError
        (a ``MemoryError``) a dense simulation, or the shots' results, needing more
        memory than is free, said before allocating (statevector ``16·2ⁿ`` bytes,
        density matrix ``16·4ⁿ``).
    MissingDependencyError
        ``"aer-gpu"`` without Aer's GPU device.

    Notes
    -----
    Transpilation uses :func:`qiskit.transpiler.generate_preset_pass_manager` with the
    backend's target, so the submitted circuits are ISA circuits, as IBM Runtime requires.

    Examples
    --------
    >>> from qiskit.circuit.library import QFTGate
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(3)
    >>> _ = qc.append(QFTGate(3), range(3))
    >>> res = run(qc, shots=200, seed=1)
    >>> sum(res.get_counts().values()), res.shots
    (200, 200)
    >>> run(qc, observables="ZII", seed=1)[0].expectation_values.round(6)
    array([0.])
    """
    from qiskit import QuantumCircuit
    from qiskit.transpiler import generate_preset_pass_manager

    from circuits.shots import check_shots

    shots, seed = check_run_arguments(shots, seed, optimization_level, noise_model, precision)
    circs = as_circuits(circuits)
    for i, c in enumerate(circs):
        check_circuit(c, i)
    if observables is None:
        # the sampler's results: a packed bit array per shot, plus Aer's own per-shot records
        bits = max(max(c.num_clbits, c.num_qubits) for c in circs)
        check_shots(shots, len(circs), bits,
                    fix="ask for fewer shots (and repeat the run if needed)")

    start = time.perf_counter()
    target_backend, kind, used_method = _resolve(backend, method, noise_model, seed, precision)
    name = _backend_name(target_backend, kind)
    estimator = observables is not None
    obs = _observables_per_circuit(observables, circs) if estimator else None

    # Aer builds a fresh Target on every `.target` access: take it once.
    target = getattr(target_backend, "target", None)
    limit = getattr(target, "num_qubits", None)
    gpu = kind == "aer" and target_backend.options.device == "GPU"
    for c in circs:
        if kind == "aer":
            check_simulation_memory(c, used_method, gpu=gpu, precision=precision)
        if limit is not None and c.num_qubits > limit:
            how = f" with method {used_method!r}" if name.startswith("aer") else ""
            raise ValueError(
                f"circuit {c.name!r} has {c.num_qubits} qubits but backend {name!r}{how} "
                f"supports at most {limit}"
            )

    prepared = [_prepare(c, estimator) for c in circs]
    if kind == "aer":
        pm = generate_preset_pass_manager(
            optimization_level=optimization_level, target=target, seed_transpiler=seed
        )
    else:  # devices may carry their own translation/scheduling plugins
        pm = generate_preset_pass_manager(
            optimization_level=optimization_level, backend=target_backend, seed_transpiler=seed
        )
    isa = pm.run(prepared)
    if isinstance(isa, QuantumCircuit):
        isa = [isa]

    if estimator:
        pubs = [
            (t, [o.apply_layout(t.layout) if t.layout is not None else o for o in ob])
            for t, ob in zip(isa, obs)
        ]
        prim, label = _estimator(target_backend, kind, shots, seed)
        job = prim.run(pubs)
    else:
        prim, label = _sampler(target_backend, kind, shots, seed)
        job = prim.run(isa, shots=shots)
    result = job.result()

    # a plain AerSimulator target has no error rates; a user noise_model is not in it either
    noisy = kind != "aer" or noise_model is None
    out = []
    for c, t, pub in zip(circs, isa, result):
        depth, two, ops = _summary(t)
        cr = CircuitResult(
            name=c.name, num_qubits=c.num_qubits, depth=depth, two_qubit_gates=two,
            operations=ops, metadata=dict(pub.metadata),
            success_estimate=success_estimate(t, target) if noisy else None,
        )
        if estimator:
            cr.expectation_values = np.asarray(pub.data.evs, dtype=float).ravel()
            cr.standard_errors = np.asarray(pub.data.stds, dtype=float).ravel()
        else:
            counts = pub.join_data().get_counts()
            total = sum(counts.values())
            cr.counts = dict(sorted(counts.items()))
            cr.probabilities = {k: v / total for k, v in cr.counts.items()}
        out.append(cr)
    job_id = job.job_id() if callable(getattr(job, "job_id", None)) else None
    return RunResult(
        circuits=out, backend=name, shots=shots, method=used_method if kind == "aer" else None,
        primitive=label, seed=seed, seconds=time.perf_counter() - start, job_id=job_id,
    )


def _sampler(backend, kind: str, shots: int, seed):
    if kind == "aer":
        from qiskit_aer.primitives import SamplerV2

        return SamplerV2.from_backend(backend, default_shots=shots, seed=seed), "aer SamplerV2"
    if kind == "ibm":
        try:  # qiskit-ibm-runtime >= 0.50: the client-side Sampler replaces SamplerV2
            from qiskit_ibm_runtime.executor_sampler import Sampler as SamplerV2
        except ImportError:
            from qiskit_ibm_runtime import SamplerV2

        opts = {"default_shots": shots}
        if seed is not None:  # used by local mode and cloud simulators, ignored by devices
            opts["simulator"] = {"seed_simulator": seed}
        return SamplerV2(mode=backend, options=opts), "ibm-runtime SamplerV2"
    from qiskit.primitives import BackendSamplerV2

    opts: dict[str, Any] = {"default_shots": shots}
    if seed is not None:
        opts["seed_simulator"] = seed
    return BackendSamplerV2(backend=backend, options=opts), "BackendSamplerV2"


def _estimator(backend, kind: str, shots: int, seed):
    if kind == "aer":
        from qiskit_aer.primitives import EstimatorV2

        run_opts: dict[str, Any] = {"shots": shots}
        if seed is not None:
            run_opts["seed_simulator"] = seed
        prim = EstimatorV2.from_backend(
            backend, options={"default_precision": 0.0, "run_options": run_opts}
        )
        return prim, "aer EstimatorV2"
    precision = 1.0 / math.sqrt(shots)
    if kind == "ibm":
        try:  # qiskit-ibm-runtime >= 0.50: the client-side Estimator replaces EstimatorV2
            from qiskit_ibm_runtime.executor_estimator import Estimator as EstimatorV2
        except ImportError:
            from qiskit_ibm_runtime import EstimatorV2

        opts = {"default_precision": precision}
        if seed is not None:
            opts["simulator"] = {"seed_simulator": seed}
        return EstimatorV2(mode=backend, options=opts), "ibm-runtime EstimatorV2"
    from qiskit.primitives import BackendEstimatorV2

    opts: dict[str, Any] = {"default_precision": precision}
    if seed is not None:
        opts["seed_simulator"] = seed
    return BackendEstimatorV2(backend=backend, options=opts), "BackendEstimatorV2"


# --------------------------------------------------------------------------- comparisons


__all__ = [
    "BACKEND_NAMES",
    "METHODS",
    "CircuitResult",
    "RunResult",
    "check_simulation_memory",
    "ideal_probabilities",
    "memory_estimate",
    "run",
    "success_estimate",
    "total_variation",
]
