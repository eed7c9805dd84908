"""Whole-circuit CNOT reduction: ``circuits.optimize`` against Qiskit O3 and BQSKit, in one run.

``python -m benchmarks optimize [--quick] [--no-bqskit] [--block-size K]``

Circuits generated here (8–16 qubits; ``--quick``: 5–6): QFT, Cuccaro
ripple-carry adder, multi-controlled Toffoli (MCX, no ancillas), one
Trotter step each of the Heisenberg XXX and transverse-field Ising chains
(two steps), random brickwork of Haar two-qubit gates, and an HHL circuit from
``circuits.hhl``. Every circuit is first unrolled to ``cx``/``u`` (the "input"
count). For each method: CX count and seconds.

* ``qiskit-o3``: ``transpile(qc, basis_gates=["cx", "u"], optimization_level=3)``.
  With no coupling map Qiskit may elide final SWAPs into an output permutation
  (``layout.final_layout``); we check its operator with that permutation.
* ``qla``: ``circuits.optimize(qc)`` at its defaults on the unrolled input
  (``--block-size K``: ``optimize(qc, block_size=K)``, results in ``optimize-bK``).
* ``qla(o3)``: ``circuits.optimize(transpile(qc, O3))``; its seconds include O3's.
* ``bqskit``: ``bqskit.compile(qc, optimization_level=2)`` when BQSKit is importable.

Equal accuracy first: every output's operator is compared with the input's
(global phase free, final permutation applied) for circuits of up to 10 qubits;
a row whose distance exceeds 1e-6 is marked and never counted as a win.
Goals (issue 18): fewer CX than Qiskit O3 on every circuit; at least BQSKit's
reduction on the median circuit; in at most 1/5 of BQSKit's time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from typing import Any

import numpy as np

from .harness import write_results

COLUMNS = ["circuit", "n", "method", "cx", "reduction", "cx_vs_o3", "seconds",
           "time_vs_bqskit", "distance"]
#: Largest width whose full operator we compare (each 2^n x 2^n product costs minutes beyond).
CHECK_QUBITS = 10
#: A row farther than this from the input's operator is not a valid result.
MAX_DISTANCE = 1e-6


# ---------------------------------------------------------------------------
# circuits


def qft(n: int) -> Any:
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import QFTGate

    qc = QuantumCircuit(n, name=f"qft{n}")
    qc.append(QFTGate(n), range(n))
    return qc


def cuccaro_adder(bits: int) -> Any:
    """Cuccaro et al. (2004) ripple-carry adder, ``2 bits + 2`` qubits: |c a b z> -> |c a a+b z>."""
    from qiskit import QuantumCircuit

    n = 2 * bits + 2
    qc = QuantumCircuit(n, name=f"adder{bits}")
    cin, a, b, z = 0, [1 + 2 * i for i in range(bits)], [2 + 2 * i for i in range(bits)], n - 1

    def maj(x: int, y: int, w: int) -> None:
        qc.cx(w, y)
        qc.cx(w, x)
        qc.ccx(x, y, w)

    def uma(x: int, y: int, w: int) -> None:
        qc.ccx(x, y, w)
        qc.cx(w, x)
        qc.cx(x, y)

    carry = [cin, *a]
    for i in range(bits):
        maj(carry[i], b[i], a[i])
    qc.cx(a[-1], z)
    for i in reversed(range(bits)):
        uma(carry[i], b[i], a[i])
    return qc


def mcx(n: int) -> Any:
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(n, name=f"mcx{n}")
    qc.h(range(n))
    qc.mcx(list(range(n - 1)), n - 1)
    return qc


def _trotter(n: int, steps: int, terms: list[str], field: float, dt: float, name: str) -> Any:
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(n, name=name)
    for _ in range(steps):
        for start in (0, 1):  # even bonds, then odd bonds
            for i in range(start, n - 1, 2):
                for t in terms:
                    getattr(qc, f"r{t}")(2 * dt, i, i + 1)
        if field:
            qc.rx(2 * dt * field, range(n))
    return qc


def heisenberg(n: int, steps: int = 2) -> Any:
    return _trotter(n, steps, ["xx", "yy", "zz"], 0.0, 0.1, f"heisenberg{n}")


def tfim(n: int, steps: int = 2) -> Any:
    return _trotter(n, steps, ["zz"], 1.0, 0.1, f"tfim{n}")


def brickwork(n: int, depth: int = 6) -> Any:
    from circuits import random_brickwork

    qc = random_brickwork(n, depth, seed=7)
    qc.name = f"brickwork{n}"
    return qc


def hhl_circuit(n: int) -> Any:
    """HHL for ``A = [[2, -1], [-1, 2]]`` (κ = 3) with an ``n − 2``-qubit clock."""
    from circuits import hhl

    A = np.array([[2.0, -1.0], [-1.0, 2.0]])
    qc = hhl(A, np.array([1.0, 0.0]), clock_qubits=n - 2).circuit  # 1 system + 1 ancilla
    qc = qc.remove_final_measurements(inplace=False) if qc.num_clbits else qc
    qc.name = f"hhl{qc.num_qubits}"
    return qc


def suite(quick: bool) -> list[Any]:
    if quick:
        return [qft(5), cuccaro_adder(2), mcx(5), heisenberg(5), tfim(5), brickwork(5),
                hhl_circuit(5)]
    return [qft(8), cuccaro_adder(4), mcx(8), heisenberg(10), tfim(16), brickwork(8),
            hhl_circuit(8)]


# ---------------------------------------------------------------------------
# methods


def _cx(qc: Any) -> int:
    return int(qc.count_ops().get("cx", 0))


def _operator(qc: Any) -> np.ndarray:
    from qiskit.quantum_info import Operator

    return Operator.from_circuit(qc).data if qc.layout is not None else Operator(qc).data


def _distance(U: np.ndarray, V: np.ndarray) -> float:
    R = np.exp(1j * np.angle(np.vdot(V, U))) * V - U
    return float(np.linalg.norm(R) / np.sqrt(len(U)))


def run_o3(qc: Any) -> tuple[Any, float]:
    from qiskit import transpile

    t0 = time.perf_counter()
    out = transpile(qc, basis_gates=["cx", "u"], optimization_level=3, seed_transpiler=0)
    return out, time.perf_counter() - t0


def run_qla(qc: Any, block_size: int | None = None) -> tuple[Any, float]:
    from circuits import optimize

    kw = {} if block_size is None else {"block_size": block_size}
    t0 = time.perf_counter()
    res = optimize(qc, seed=0, progress=False, **kw)
    return res.circuit, time.perf_counter() - t0


def run_bqskit(qc: Any) -> tuple[Any, float]:
    from bqskit import compile as bq_compile
    from bqskit.ext import bqskit_to_qiskit, qiskit_to_bqskit

    c = qiskit_to_bqskit(qc)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = bq_compile(c, optimization_level=2, seed=0)
    sec = time.perf_counter() - t0
    from qiskit import transpile

    return transpile(bqskit_to_qiskit(out), basis_gates=["cx", "u"], optimization_level=0), sec


def main(argv: list[str] | None = None) -> int:
    from qiskit import transpile

    ap = argparse.ArgumentParser(prog="python -m benchmarks optimize")
    ap.add_argument("--quick", action="store_true", help="5-qubit circuits")
    ap.add_argument("--no-bqskit", action="store_true", help="skip BQSKit")
    ap.add_argument("--block-size", type=int, default=None,
                    help="qla's block_size (default: the library's)")
    args = ap.parse_args(argv)
    notes = [f"Machine shared with other engineers (load average {os.getloadavg()[0]:.1f} at "
             "the start): compare ratios within this run. Seconds are wall time; BQSKit uses "
             "its default worker pool (all CPUs), qla its default (one process per CPU)."]
    use_bq = not args.no_bqskit
    if use_bq:
        try:
            import bqskit  # noqa: F401
        except ImportError:
            use_bq = False
            notes.append('BQSKit is not installed (pip install "qla[bench]"): its rows say so.')
    run_qla(transpile(qft(3), basis_gates=["cx", "u"]))  # warm-up: imports, first calls
    rows: list[dict[str, Any]] = []
    for qc in suite(args.quick):
        flat = transpile(qc, basis_gates=["cx", "u"], optimization_level=0)
        U = _operator(flat) if flat.num_qubits <= CHECK_QUBITS else None
        base = _cx(flat)
        o3, t_o3 = run_o3(flat)
        runs: dict[str, tuple[Any, float]] = {"qiskit-o3": (o3, t_o3),
                                              "qla": run_qla(flat, args.block_size)}
        c2, t2 = run_qla(o3.remove_final_measurements(inplace=False), args.block_size)
        c2._layout = o3.layout  # the same final permutation as O3's output
        runs["qla(o3)"] = (c2, t2 + t_o3)
        if use_bq:
            runs["bqskit"] = run_bqskit(flat)
        t_bq = runs["bqskit"][1] if use_bq else None
        rows.append({"circuit": qc.name, "n": qc.num_qubits, "method": "input", "cx": base})
        for method, (out, sec) in runs.items():
            dist = _distance(U, _operator(out)) if U is not None else None
            row = {"circuit": qc.name, "n": qc.num_qubits, "method": method, "cx": _cx(out),
                   "reduction": 1 - _cx(out) / base if base else 0.0, "seconds": sec,
                   "cx_vs_o3": _cx(out) / max(1, _cx(o3)),
                   "time_vs_bqskit": sec / t_bq if t_bq else None,
                   "distance": dist}
            if dist is not None and dist > MAX_DISTANCE:
                row["method"] += " (WRONG: distance)"
            rows.append(row)
            print(f"{qc.name:14s} {method:10s} cx {base:4d} -> {_cx(out):4d}  {sec:7.2f} s  "
                  f"dist {dist if dist is None else f'{dist:.1e}'}", flush=True)
        if not use_bq:
            rows.append({"circuit": qc.name, "n": qc.num_qubits,
                         "method": "bqskit (skipped)" if args.no_bqskit
                         else "bqskit (not installed)"})
    notes += goals(rows, use_bq)
    name = "optimize-quick" if args.quick else "optimize"
    if args.block_size is not None:
        name += f"-b{args.block_size}"
    write_results(name, rows, COLUMNS,
                  notes="\n".join(notes))
    return 0


def goals(rows: list[dict[str, Any]], use_bq: bool) -> list[str]:
    """The issue's three goals, each said met or not, from the rows of one run."""
    out = []
    by = {(r["circuit"], r["method"]): r for r in rows}
    names = list(dict.fromkeys(r["circuit"] for r in rows))
    best = {}
    for c in names:  # rows marked WRONG carry another method name, so they never count
        ours = [by[(c, m)] for m in ("qla", "qla(o3)") if (c, m) in by]
        best[c] = min(ours, key=lambda r: (r["cx"], r["seconds"])) if ours else None
    beat = [c for c in names if best[c] is not None and (c, "qiskit-o3") in by
            and best[c]["cx"] < by[(c, "qiskit-o3")]["cx"]]
    out.append(f"Goal 1, fewer CX than Qiskit O3 on every circuit (best of qla, qla(o3)): "
               f"{'MET' if len(beat) == len(names) else 'NOT met'} ({len(beat)} of "
               f"{len(names)}; not on: {', '.join(c for c in names if c not in beat) or '-'}).")
    names = [c for c in names if best[c] is not None and (c, "bqskit") in by]
    if not use_bq:
        out.append("Goals 2 and 3 (against BQSKit): not measured, no BQSKit rows.")
        return out
    ours = statistics.median(best[c]["reduction"] for c in names)
    theirs = statistics.median(by[(c, "bqskit")]["reduction"] for c in names)
    out.append(f"Goal 2, at least BQSKit's reduction on the median circuit: "
               f"{'MET' if ours >= theirs else 'NOT met'} (median reduction qla {ours:.1%}, "
               f"BQSKit {theirs:.1%}).")
    ratios = [best[c]["seconds"] / by[(c, "bqskit")]["seconds"] for c in names]
    med = statistics.median(ratios)
    out.append(f"Goal 3, at most 1/5 of BQSKit's time: {'MET' if med <= 0.2 else 'NOT met'} "
               f"on the median circuit (time ratio {med:.2f}; max {max(ratios):.2f}).")
    return out
