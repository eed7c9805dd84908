"""sketch — the randomized numerical linear algebra core of qla.

Arrays in, arrays out: NumPy/SciPy or CuPy (the input decides the device),
dense, sparse or LinearOperator. Every randomized routine takes ``seed`` and is
reproducible across backends (see :mod:`sketch.rng`).
"""

from . import backend, errors
from .coordinated import (
    LinearSketch,
    ProductEstimate,
    SampledSketch,
    attention_scores,
    coordinated_sketch,
    countsketch_sketch,
    estimate_inner,
    estimate_product,
    jl_sketch,
    load_sketch,
    priority_sample,
    threshold_sample,
)
from .distributed import coordinated_sketch_dask, sketch_dask, sketched_lstsq_dask
from .hhl import HHLEmulation, HHLSizing, emulate_hhl, hhl_problem, size_hhl
from .iterative import IterativeResult, conjugate_gradient, randomized_kaczmarz
from .joins import (
    correlation_sketch,
    join_correlation,
    join_regression,
    regression_feature_sketch,
    regression_target_sketch,
)
from .lstsq import LstsqResult, lstsq
from .matmul import (
    MatmulResult,
    chain_matmul,
    dkm_matmul,
    matmul_sample_size,
    random_walk_matmul,
    sketched_matmul,
)
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
    "HHLEmulation", "HHLSizing", "emulate_hhl", "hhl_problem", "size_hhl",
    "IterativeResult", "conjugate_gradient", "randomized_kaczmarz",
    # coordinated sampling (issue 4)
    "SampledSketch", "LinearSketch", "ProductEstimate", "priority_sample", "threshold_sample",
    "jl_sketch", "countsketch_sketch", "coordinated_sketch", "estimate_product",
    "estimate_inner", "load_sketch", "attention_scores",
    # approximate matrix multiplication (issue 4)
    "MatmulResult", "dkm_matmul", "sketched_matmul", "random_walk_matmul", "chain_matmul",
    "matmul_sample_size",
    "correlation_sketch", "join_correlation", "regression_feature_sketch",
    "regression_target_sketch", "join_regression",
    # dask (issue 4)
    "sketch_dask", "coordinated_sketch_dask", "sketched_lstsq_dask",
]
