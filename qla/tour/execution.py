"""Tour stop: a circuit run on a noisy fake IBM device through :func:`qla.run`.

A 4-qubit circuit (a superposition fed through the quantum Fourier transform)
is transpiled to the ISA of ``FakeManilaV2`` (5 qubits, its coupling map, gates
and calibrated noise) and sampled; its measured distribution is compared with
the exact one from the statevector by total variation distance, next to the
same run on noiseless Aer. The baseline is what a user writes by hand: a preset
pass manager and the ``qiskit_ibm_runtime`` sampler in local mode on the same device.
Without ``qiskit-ibm-runtime`` the device is Qiskit's noisy ``GenericBackendV2``.
"""

from __future__ import annotations

from types import ModuleType

from qla.tour import REPEATS, Stop, median_time

SHOTS = 4000


def _circuit(n: int = 4):
    from qiskit import QuantumCircuit
    from qiskit.synthesis import synth_qft_full

    qc = QuantumCircuit(n, name=f"qft{n}")
    qc.h(0)
    qc.x(n - 1)
    qc.cx(0, 1)
    qc.compose(synth_qft_full(n, inverse=True), inplace=True)
    return qc


def _device(seed: int):
    """FakeManilaV2 and the runtime's local-mode sampler; without ``qiskit-ibm-runtime``
    (the ``ibm`` extra), Qiskit's noisy 5-qubit GenericBackendV2 and BackendSamplerV2."""
    try:
        from qiskit_ibm_runtime.fake_provider import FakeManilaV2
    except ImportError:
        from qiskit.primitives import BackendSamplerV2
        from qiskit.providers.fake_provider import GenericBackendV2

        backend = GenericBackendV2(5, coupling_map=[[i, i + 1] for i in range(4)], seed=seed)
        return backend, BackendSamplerV2(backend=backend, options={"seed_simulator": seed})
    try:  # qiskit-ibm-runtime >= 0.50 replaces SamplerV2 by the client-side Sampler
        from qiskit_ibm_runtime.executor_sampler import Sampler
    except ImportError:
        from qiskit_ibm_runtime import SamplerV2 as Sampler
    backend = FakeManilaV2()
    return backend, Sampler(mode=backend, options={"simulator": {"seed_simulator": seed}})


def run(seed: int, xp: ModuleType) -> Stop:
    """Sample the circuit on fake_manila and on Aer; TV distance to the exact distribution.

    ``xp`` is unused: circuit simulation runs in Aer, not on an array module.

    Examples
    --------
    >>> import numpy as np
    >>> stop = run(0, np)  # doctest: +SKIP
    """
    from qiskit.transpiler import generate_preset_pass_manager

    from qla.execution import ideal_probabilities, total_variation
    from qla.execution import run as qrun

    qc = _circuit()
    backend, sampler = _device(seed)
    seconds, noisy = median_time(lambda: qrun(qc, backend=backend, shots=SHOTS, seed=seed))

    def by_hand():
        measured = qc.measure_all(inplace=False)
        isa = generate_preset_pass_manager(1, backend=backend, seed_transpiler=seed).run(measured)
        return sampler.run([isa], shots=SHOTS).result()

    baseline_seconds, _ = median_time(by_hand)
    exact = ideal_probabilities(qc)
    clean = qrun(qc, backend="aer", shots=SHOTS, seed=seed)
    tv_noisy = total_variation(noisy.get_probabilities(), exact)
    tv_clean = total_variation(clean.get_probabilities(), exact)
    r = noisy[0]
    return Stop(
        area="execution",
        case=f"4-qubit QFT circuit on noisy {noisy.backend} ({r.two_qubit_gates} 2q gates, depth "
        f"{r.depth}), {SHOTS} shots",
        accuracy=f"TV {tv_noisy:.3f} vs exact (noiseless Aer {tv_clean:.3f})",
        seconds=seconds,
        baseline=type(sampler).__name__ + " by hand",
        baseline_seconds=baseline_seconds,
        repeats=REPEATS,
    )
