"""Tour stop: a PFC pseudorandom unitary on 4 qubits next to Haar, and the Haar sampler's speed.

Examples
--------
>>> stats = pfc_statistics(0, n=3, keys=20)
>>> stats["F2"].samples, stats["F2"].reference
(20, 2.0)
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from sketch.backend import synchronize, to_numpy
from sketch.haar import haar_unitary

from . import REPEATS, Stop, median_time

#: Qubits of the PFC unitaries and keys drawn; the Haar batch timed against SciPy.
N_QUBITS, KEYS, HAAR_BATCH = 4, 240, 2000


def pfc_statistics(seed: int = 0, n: int = N_QUBITS, keys: int = KEYS) -> dict[str, object]:
    """Frame potential ``F_2`` and spacing ratio of ``keys`` PFC unitaries (``"prp"`` mode).

    Keys are ``seed * keys ... seed * keys + keys - 1``, so different seeds use
    disjoint keys. Returns the :class:`circuits.statistics.Estimate` objects.
    """
    from circuits.pfc import pfc_matrix
    from circuits.statistics import frame_potential, spacing_ratio

    U = np.stack([pfc_matrix(n, key=seed * keys + i, mode="prp") for i in range(keys)])
    return {"F2": frame_potential(U, 2), "r": spacing_ratio(U)}


def run(seed: int, xp: ModuleType) -> Stop:
    """PFC (keyed Feistel PRP/PRF + random Clifford) on 4 qubits: F_2 and ⟨r⟩ vs Haar.

    Accuracy: the PFC ensemble's frame potential ``F_2`` against the Haar value 2
    (a z-score; PFC is an approximate 2-design) and its mean eigenphase spacing
    ratio against CUE's 0.5996 — and the sampler's own ``F_2``. At 4 qubits
    the Feistel halves are 2 bits wide and ``<r>`` sits a few standard errors
    below CUE (the ideal-mode PFC does not): small-n PRPs are weak, which is
    what the statistic is for. Time: 2000 Haar
    U(16) from :func:`sketch.haar_unitary` on ``xp``'s device; the baseline is
    ``scipy.stats.unitary_group.rvs`` drawing the same batch on the CPU.
    """
    from scipy.stats import unitary_group

    from circuits.statistics import frame_potential

    stats = pfc_statistics(seed)
    d = 1 << N_QUBITS
    device = "cpu" if xp is np else "gpu"
    t_ours, U = median_time(lambda: haar_unitary(d, batch=HAAR_BATCH, seed=seed, device=device),
                            sync=lambda: synchronize(xp))
    t_scipy, _ = median_time(lambda: unitary_group.rvs(d, size=HAAR_BATCH,
                                                       random_state=np.random.default_rng(seed)))
    f2_haar = frame_potential(to_numpy(U[:400]), 2)
    f2, r = stats["F2"], stats["r"]
    acc = (f"PFC {KEYS} keys: F_2 {f2.mean:.2f}±{f2.stderr:.2f} (Haar 2, z {f2.z:+.1f}), "
           f"<r> {r.mean:.3f}±{r.stderr:.3f} (CUE 0.600, z {r.z:+.1f}); "
           f"sampler F_2 {f2_haar.mean:.2f}±{f2_haar.stderr:.2f}")
    return Stop("haar", f"PFC pseudorandom U({d}) vs Haar; {HAAR_BATCH} Haar U({d}) sampled",
                acc, t_ours, "scipy unitary_group.rvs", t_scipy, REPEATS)
