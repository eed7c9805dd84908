"""sketch — the randomized numerical linear algebra core of qla.

Arrays in, arrays out: NumPy/SciPy or CuPy (the input decides the device),
dense, sparse or LinearOperator. Every randomized routine takes ``seed`` and is
reproducible across backends (see :mod:`sketch.rng`).
"""

from . import backend, errors
from .lstsq import LstsqResult, lstsq
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
from .sizing import embedding_size, linf_sketch_size, preconditioner_size

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
    "lstsq",
    "LstsqResult",
    "embedding_size",
    "linf_sketch_size",
    "preconditioner_size",
]
