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
from .coreset import KMeansResult, cluster_sensitivity_sample, coreset_size, kmeans
from .distributed import coordinated_sketch_dask, sketch_dask, sketched_lstsq_dask
from .dpp import (
    WeightedLstsqResult,
    WeightedSample,
    optimal_density,
    orthonormal_features,
    projection_dpp,
    volume_rescaled_sample,
    volume_sample,
    weighted_lstsq,
    weighted_lstsq_sample,
)
from .haar import haar_isometry, haar_orthogonal, haar_state, haar_unitary
from .hhl import HHLEmulation, HHLSizing, emulate_hhl, hhl_problem, size_hhl
from .iterative import IterativeResult, conjugate_gradient, randomized_kaczmarz
from .joins import (
    correlation_sketch,
    join_correlation,
    join_regression,
    regression_feature_sketch,
    regression_target_sketch,
)
from .leverage import (
    approx_leverage_beta,
    approx_leverage_factors,
    approx_sketch_size,
    coherence,
    jl_lower_factor,
    jl_upper_factor,
    leverage_sample,
    leverage_sample_size,
    leverage_scores,
    ridge_leverage_scores,
)
from .lewis import LewisWeights, lewis_lower_factor, lewis_weights
from .lowrank import (
    EighResult,
    ExtremeEigenvalues,
    QBResult,
    SVDResult,
    adaptive_qb,
    adaptive_svd,
    block_krylov_svd,
    hermitian_extreme_eigenvalues,
    nystrom,
    randomized_eigh,
    randomized_svd,
    range_finder,
    residual_norm,
    spectral_norm,
)
from .lpregression import RegressionResult, check_p, lp_cost, lp_regression
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
from .ridgeless import (
    RidgelessResult,
    SketchSize,
    estimate_signal_noise,
    optimal_sketch_size,
    ridgeless_risk,
    sketched_ridgeless,
)
from .rng import Key, as_key
from .rowsample import Sample, sample_rows, uniform_sample
from .sampled_regression import (
    SampledRegressionResult,
    sampled_lp_regression,
    sampled_lstsq,
)
from .sensitivity import (
    lp_sample,
    lp_sample_size,
    lp_sensitivities,
    root_leverage_scores,
)
from .sizing import embedding_size, linf_sketch_size, preconditioner_size
from .sparsify import (
    EffectiveResistances,
    GraphEdges,
    effective_resistances,
    graph_edges,
    quadratic_form_check,
    sparsify,
)
from .streaming import (
    StreamingEigenResult,
    row_blocks,
    stream_coordinated_sketch,
    stream_sketch,
    streaming_top_eigenvector,
)

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
    "haar_unitary", "haar_orthogonal", "haar_state", "haar_isometry",
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

__all__ += [
    "SVDResult", "EighResult", "QBResult", "ExtremeEigenvalues",
    "range_finder", "randomized_svd", "randomized_eigh", "nystrom", "block_krylov_svd",
    "adaptive_qb", "adaptive_svd", "residual_norm", "spectral_norm",
    "hermitian_extreme_eigenvalues",
    "leverage_scores", "ridge_leverage_scores", "coherence", "leverage_sample_size",
    "approx_sketch_size", "jl_lower_factor", "jl_upper_factor", "approx_leverage_factors",
    "approx_leverage_beta", "leverage_sample",
    "Sample", "sample_rows", "uniform_sample",
    "LewisWeights", "lewis_weights", "lewis_lower_factor", "lp_sensitivities",
    "root_leverage_scores",
    "lp_sample_size", "lp_sample",
    "RegressionResult", "check_p", "lp_regression", "lp_cost",
    "SampledRegressionResult", "sampled_lstsq", "sampled_lp_regression",
    "KMeansResult", "kmeans", "cluster_sensitivity_sample", "coreset_size",
    "EffectiveResistances", "GraphEdges", "graph_edges", "effective_resistances", "sparsify",
    "quadratic_form_check",
]

__all__ += [
    # sketched ridgeless regression, DPP / volume sampling, row streams (issue 17)
    "RidgelessResult", "SketchSize", "sketched_ridgeless", "ridgeless_risk",
    "estimate_signal_noise", "optimal_sketch_size",
    "WeightedSample", "WeightedLstsqResult", "orthonormal_features", "optimal_density",
    "projection_dpp", "volume_sample", "volume_rescaled_sample", "weighted_lstsq_sample",
    "weighted_lstsq",
    "StreamingEigenResult", "row_blocks", "streaming_top_eigenvector", "stream_sketch",
    "stream_coordinated_sketch",
]
