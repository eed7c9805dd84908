"""Statevector simulation time against qubit count: Aer CPU (and GPU), through qla.run.

``python -m benchmarks simulation [--quick] [--max-qubits N] [--layers L]``

The circuit is a layered random circuit (each layer: a random ``U(θ, φ, λ)`` on
every qubit, then CX on alternating neighbour pairs, a brickwork pattern), the
standard workload of simulator benchmarks. For each width it times, in one
process:

* ``aer_cpu``: ``AerSimulator(method="statevector").run`` on the already-transpiled
  circuit, one shot (the raw simulator);
* ``qla_run``: :func:`qla.run` on the same circuit (checks, transpilation, SamplerV2);
  the ratio ``qla/aer`` is qla's overhead;
* ``statevector``: ``qiskit.quantum_info.Statevector`` (Qiskit's reference simulator,
  the peer without Aer), up to 18 qubits;
* ``aer_gpu``: Aer's GPU device, when ``qiskit-aer-gpu`` and a CUDA device are present,
  up to 30 qubits (26–30 is where a GPU pays off); on a machine without one, the
  output says so.

Times are medians (``benchmarks.harness.timeit``) after a warm-up.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from benchmarks.harness import timeit, write_results


def layered_random_circuit(n: int, layers: int, seed: int = 0):
    """``layers`` brickwork layers on ``n`` qubits: random single-qubit ``U``, then CXs."""
    from qiskit import QuantumCircuit

    from sketch.rng import as_key

    rng = as_key(seed).child(f"layered-{n}-{layers}").generator()
    qc = QuantumCircuit(n, name=f"layered{n}x{layers}")
    for layer in range(layers):
        for q in range(n):
            theta, phi, lam = rng.uniform(0, 2 * 3.141592653589793, 3)
            qc.u(theta, phi, lam, q)
        for q in range(layer % 2, n - 1, 2):
            qc.cx(q, q + 1)
    return qc


def _simulator(device: str = "CPU", threads: int | None = None):
    from qiskit_aer import AerSimulator

    opts = {"max_parallel_threads": threads} if threads else {}
    return AerSimulator(method="statevector", device=device, seed_simulator=0, **opts)


def _aer_time(circuit, device: str, repeat: int, threads: int | None = None) -> float:
    from qiskit import transpile

    sim = _simulator(device, threads)
    measured = transpile(circuit.measure_all(inplace=False), sim, optimization_level=0)
    return timeit(lambda: sim.run(measured, shots=1).result(), repeat=repeat)["median"]


def gpu_status() -> tuple[bool, str]:
    """Whether Aer has a GPU device here, and a sentence saying so."""
    from qiskit_aer import AerSimulator

    devices = AerSimulator().available_devices()
    if "GPU" in devices:
        return True, "Aer GPU device available"
    return False, (
        f"Aer GPU not available on this machine (AerSimulator().available_devices() = "
        f"{devices}): no GPU column. Install qiskit-aer-gpu on a CUDA machine to time 26-30 "
        "qubits on the GPU."
    )


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks simulation", description=__doc__)
    p.add_argument("--quick", action="store_true", help="up to 18 qubits, under a minute")
    p.add_argument("--max-qubits", type=int, default=None,
                   help="largest CPU width (default 24, quick 18)")
    p.add_argument("--max-gpu-qubits", type=int, default=30, help="largest GPU width")
    p.add_argument("--layers", type=int, default=10, help="brickwork layers (default 10)")
    p.add_argument("--threads", type=int, default=None,
                   help="Aer's max_parallel_threads (default: Aer's choice, all cores)")
    p.add_argument("--repeat", type=int, default=None,
                   help="timed runs per point (default 5; 3 from 20 qubits and with --quick)")
    args = p.parse_args(argv)

    from qla.execution import run as qrun

    max_cpu = args.max_qubits or (18 if args.quick else 24)
    max_sv = min(max_cpu, 14 if args.quick else 18)
    has_gpu, gpu_note = gpu_status()
    print(gpu_note)
    widths = list(range(8, max_cpu + 1, 2))
    if has_gpu:
        widths += list(range(max_cpu + 2, args.max_gpu_qubits + 1, 2))
    rows: list[dict[str, Any]] = []
    for n in widths:
        qc = layered_random_circuit(n, args.layers, seed=n)
        repeat = args.repeat or (3 if n >= 20 or args.quick else 5)
        row: dict[str, Any] = {
            "qubits": n,
            "gates": qc.size(),
            "memory_MiB": 16 * 2**n / 2**20,
        }
        if n <= max_cpu:
            row["aer_cpu_s"] = _aer_time(qc, "CPU", repeat, args.threads)
            sim = _simulator("CPU", args.threads)
            row["qla_run_s"] = timeit(
                # the simulator already holds method and seed: qla.run uses it as it is
                lambda qc=qc, sim=sim: qrun(qc, backend=sim, shots=1, optimization_level=0),
                repeat=repeat,
            )["median"]
            row["qla/aer"] = row["qla_run_s"] / row["aer_cpu_s"]
        if n <= max_sv:
            from qiskit.quantum_info import Statevector

            row["statevector_s"] = timeit(lambda qc=qc: Statevector(qc), repeat=repeat)["median"]
            row["statevector/aer"] = row["statevector_s"] / row["aer_cpu_s"]
        if has_gpu:
            row["aer_gpu_s"] = _aer_time(qc, "GPU", repeat)
            if "aer_cpu_s" in row:
                row["cpu/gpu"] = row["aer_cpu_s"] / row["aer_gpu_s"]
        rows.append(row)
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()},
              flush=True)
    columns = ["qubits", "gates", "memory_MiB", "aer_cpu_s", "qla_run_s", "qla/aer",
               "statevector_s", "statevector/aer", "aer_gpu_s", "cpu/gpu"]
    threads = args.threads or os.environ.get("OMP_NUM_THREADS", f"default ({os.cpu_count()} cores)")
    notes = (
        f"Layered random circuit, {args.layers} brickwork layers, statevector method, 1 shot; "
        f"median of 3-5 runs; OpenMP threads: {threads}. {gpu_note} "
        "qla/aer is qla.run's overhead (checks, preset pass manager, SamplerV2) over the raw "
        "simulator; statevector/aer compares qiskit.quantum_info.Statevector with Aer. "
        "Machine shared with other jobs: compare ratios, not seconds."
        + (" (--quick)" if args.quick else "")
    )
    write_results("simulation" + ("-quick" if args.quick else ""), rows, columns, notes)
    return 0
