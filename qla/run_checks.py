"""Checks :func:`qla.run` makes before anything is transpiled, simulated or allocated.

Each names the argument that is wrong and what would work: the run's arguments
(:func:`check_run_arguments`); the circuits and the memory a dense simulation needs are
checked by :mod:`circuits.simulation_checks` (re-exported here).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from circuits.simulation_checks import (
    as_circuits,
    check_circuit,
    check_simulation_memory,
    memory_estimate,
)
from sketch.checks import check_positive_int


def check_run_arguments(
    shots: Any, seed: Any, optimization_level: Any, noise_model: Any, precision: Any
) -> tuple[int, int | None]:
    """Validate :func:`qla.run`'s scalar arguments; return ``(shots, seed)`` as ints.

    Raises
    ------
    TypeError, ValueError
        Naming the argument (shots, seed, optimization_level, noise_model, precision).
    """
    shots = check_positive_int(shots, "shots")
    if precision not in ("double", "single"):
        raise ValueError(f"precision must be 'double' or 'single', got {precision!r}")
    if seed is not None:
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an int or None, got {type(seed).__name__}")
        if not 0 <= seed < 2**63:
            raise ValueError(f"seed must satisfy 0 <= seed < 2**63, got {seed}")
        seed = int(seed)
    if isinstance(optimization_level, (bool, np.bool_)) or not isinstance(
        optimization_level, (int, np.integer)
    ):
        raise TypeError(
            f"optimization_level must be an int, got {type(optimization_level).__name__}"
        )
    if optimization_level not in (0, 1, 2, 3):
        raise ValueError(f"optimization_level must be 0, 1, 2 or 3, got {optimization_level}")
    if noise_model is not None:
        from qiskit_aer.noise import NoiseModel

        if not isinstance(noise_model, NoiseModel):
            raise TypeError(
                "noise_model must be a qiskit_aer.noise.NoiseModel (e.g. "
                f"NoiseModel.from_backend(device)), got {type(noise_model).__name__}"
            )
    return shots, seed


__all__ = [
    "as_circuits",
    "check_circuit",
    "check_run_arguments",
    "check_simulation_memory",
    "memory_estimate",
]
