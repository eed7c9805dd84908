"""Tour stop: Quantum-PEFT's Pauli-parameterized orthogonal factor.

Builds ``U ∈ St(1024, 8)`` from the 40 angles of a 10-qubit real circuit with
``L = 2`` entangling layers (structured, never forming the 1024×1024 matrix),
and checks it against Qiskit's simulation of the same circuit on the basis
states ``|0⟩ … |7⟩`` (the baseline: ``Statevector.evolve``, column by column). With torch
installed it also wraps a 256×256 layer in a
:class:`qla.peft.QuantumPEFTLinear` and checks that merging ``ΔW`` into ``W``
gives the same outputs; without torch that part is reported as skipped (the
tour runs without the ``torch`` extra).

Examples
--------
>>> import numpy as np
>>> stop = run(0, np)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qla.tour import REPEATS, Stop, median_time
from sketch.backend import to_numpy
from sketch.rng import as_key


def _adapter_check(seed: int) -> str:
    try:
        import torch
    except ImportError:
        return "adapter check skipped (torch not installed: pip install 'qla[torch]')"
    from qla.peft import QuantumPEFTLinear, quantum_peft_num_params

    g = torch.Generator().manual_seed(seed)
    base = torch.nn.Linear(256, 256, dtype=torch.float64)
    layer = QuantumPEFTLinear(base, rank=8, layers=2, seed=seed)
    with torch.no_grad():
        layer.lam.copy_(torch.randn(8, generator=g, dtype=torch.float64))
        x = torch.randn(16, 256, generator=g, dtype=torch.float64)
        err = float((layer.merged()(x) - layer(x)).abs().max())
    n = quantum_peft_num_params(256, 256, 8, 2)
    return f"256x256 adapter {n} params vs LoRA r=1 512, merge err {err:.1e}"


def run(seed: int, xp: Any) -> Stop:
    """Structured Pauli factor vs Qiskit statevector simulation (and an adapter merge check)."""
    from qiskit.quantum_info import Statevector

    from circuits.peft import pauli_circuit, pauli_num_params, pauli_unitary

    q, layers, k = 10, 2, 8
    p = pauli_num_params(q, layers)
    theta_host = as_key(seed).child("peft-tour").generator().uniform(-np.pi, np.pi, p)
    theta = xp.asarray(theta_host)
    seconds, U = median_time(lambda: to_numpy(pauli_unitary(theta, q, layers, columns=k)))

    def simulate():
        qc = pauli_circuit(q, layers, theta_host)
        # column j of U is the circuit applied to |j>: K statevector simulations
        return np.stack(
            [Statevector.from_int(j, 1 << q).evolve(qc).data.real for j in range(k)], axis=1)

    baseline, exact = median_time(simulate)
    err = float(np.abs(U - exact).max())
    orth = float(np.abs(U.T @ U - np.eye(k)).max())
    return Stop(
        area="quantum-peft",
        case=f"St(1024,8) from {p} angles; {_adapter_check(seed)}",
        accuracy=f"max err {err:.1e}, orth {orth:.1e}",
        seconds=seconds,
        baseline="qiskit Statevector x8",
        baseline_seconds=baseline,
        repeats=REPEATS,
    )
