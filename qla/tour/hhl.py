"""Tour stop: HHL on a 4×4 SPD system — exact emulator and Aer circuit vs the classical answer.

Examples
--------
>>> import numpy as np
>>> A, b = random_spd(4, 4.0, seed=0)
>>> A.shape, round(float(np.linalg.cond(A)), 6)
((4, 4), 4.0)
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from sketch.backend import synchronize, to_numpy
from sketch.hhl import emulate_hhl, random_spd_system

from . import REPEATS, Stop, median_time


def random_spd(n: int, kappa: float, seed: int = 0, xp: ModuleType = np):
    """The tour's test system (see :func:`sketch.hhl.random_spd_system`)."""
    return random_spd_system(n, kappa, seed, xp=xp)


def run(seed: int, xp: ModuleType) -> Stop:
    """4×4 SPD, κ = 4, 4 clock qubits: the emulator vs Aer's simulation of the circuit.

    Accuracy is against ``numpy.linalg.solve``; the baseline is what the
    emulator replaces — building and simulating the circuit with Aer — whose
    state it reproduces to rounding (medians of :data:`qla.tour.REPEATS` runs).
    """
    from circuits.hhl import hhl

    A, b = random_spd(4, 4.0, seed, xp)
    x = np.linalg.solve(to_numpy(A), to_numpy(b))

    def emulate():
        emu = emulate_hhl(A, b, clock_qubits=4)
        return emu, emu.statevector()

    def simulate():
        hc = hhl(to_numpy(A), to_numpy(b), clock_qubits=4)
        return hc, hc.statevector()

    t_emu, (emu, state) = median_time(emulate, sync=lambda: synchronize(xp))
    t_aer, (hc, sv) = median_time(simulate)
    x_aer = hc.postselect(sv) * hc.scale

    agree = float(np.abs(sv - to_numpy(state)).max())
    norm_err = abs(emu.norm - np.linalg.norm(x)) / np.linalg.norm(x)
    fid_aer = abs(np.vdot(x, x_aer)) ** 2 / (np.vdot(x, x).real * np.vdot(x_aer, x_aer).real)
    acc = (f"fidelity {emu.fidelity:.4f} (Aer {fid_aer:.4f}), ‖x‖ err {norm_err:.1%}, "
           f"P_s {emu.success_probability:.3f}, emulator vs Aer {agree:.0e}")
    return Stop("hhl", "HHL 4x4 SPD κ=4, 4 clock qubits, exact emulator", acc, t_emu,
                "Aer statevector of the circuit", t_aer, REPEATS)
