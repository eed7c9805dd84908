"""sketch — the randomized numerical linear algebra core of qla.

Arrays in, arrays out: NumPy/SciPy or CuPy (the input decides the device),
dense, sparse or LinearOperator. Every randomized routine takes ``seed`` and is
reproducible across backends (see :mod:`sketch.rng`).
"""

from . import backend, errors
from .hhl import HHLEmulation, HHLSizing, emulate_hhl, hhl_problem, size_hhl
from .iterative import IterativeResult, conjugate_gradient, randomized_kaczmarz
from .operators import (
    SRHT,
    CountSketch,
    Gaussian,
    Rademacher,
    SketchingOperator,
    SparseSign,
    make_operator,
)
from .rng import Key, as_key

__all__ = [
    "backend",
    "errors",
    "Key",
    "as_key",
    "SketchingOperator",
    "Gaussian",
    "Rademacher",
    "SRHT",
    "CountSketch",
    "SparseSign",
    "make_operator",
    "HHLEmulation", "HHLSizing", "emulate_hhl", "hhl_problem", "size_hhl",
    "IterativeResult", "conjugate_gradient", "randomized_kaczmarz",
]
