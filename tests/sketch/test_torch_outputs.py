"""A tensor in gives tensors out, on its device, with no copy to the host on the way.

Every public ``sketch`` function that serves torch is called with tensors on each torch
backend of the ``backend`` fixture; every array in its result must be a tensor on the
input's device. While it runs, turning a tensor into a NumPy array raises, so a silent
host round trip fails the test even on the CPU. HOST_STEPS document a step on the host
(tensors out, on the input's device); REFUSED are NumPy/SciPy- or Dask-only by nature
and say so with a clear error. Every public function of ``sketch`` that takes arrays is
in one of these lists (test_every_public_function_is_classified).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import sketch as sk
from sketch.errors import UnsupportedBackendError

RNG = np.random.default_rng(0)
A_NP = RNG.standard_normal((120, 4)) * np.array([1.0, 5.0, 0.2, 2.0])
B_NP = RNG.standard_normal((120, 3))


def _arrays(out: Any) -> list[Any]:
    """The arrays a result holds (a bare array, a tuple, or a result object's fields)."""
    if isinstance(out, (tuple, list)):
        return [a for o in out for a in _arrays(o)]
    if hasattr(out, "__dataclass_fields__"):
        return [a for name in out.__dataclass_fields__ if not name.startswith("_")
                for a in _arrays(getattr(out, name))]
    if hasattr(out, "shape") and hasattr(out, "dtype"):
        return [out]
    return []


# name -> f(A, B, device) with A, B tensors on the backend's device
CASES: dict[str, Callable[[Any, Any, Any], Any]] = {
    "haar_unitary": lambda A, B, dev: sk.haar_unitary(5, batch=2, seed=0, device=dev),
    "haar_orthogonal": lambda A, B, dev: sk.haar_orthogonal(3, seed=0, device=dev),
    "haar_state": lambda A, B, dev: sk.haar_state(8, seed=0, device=dev),
    "haar_isometry": lambda A, B, dev: sk.haar_isometry(40, 3, seed=0, device=dev),
    "leverage_scores": lambda A, B, dev: sk.leverage_scores(A),
    "ridge_leverage_scores": lambda A, B, dev: sk.ridge_leverage_scores(A, 1.0),
    "coherence": lambda A, B, dev: sk.leverage_scores(A).max(),
    "leverage_sample": lambda A, B, dev: sk.leverage_sample(A, seed=0),
    "leverage_sample.apply": lambda A, B, dev: sk.leverage_sample(A, seed=0).apply(A),
    "sample_rows": lambda A, B, dev: sk.sample_rows(abs(A[:, 0]), 10, seed=0),
    "lewis_weights": lambda A, B, dev: sk.lewis_weights(A, 1.0),
    "lp_sensitivities": lambda A, B, dev: sk.lp_sensitivities(A, 3.0),
    "root_leverage_scores": lambda A, B, dev: sk.root_leverage_scores(A, 1.0),
    "lp_sample": lambda A, B, dev: sk.lp_sample(A, 1.0, 0.5, seed=0),
    "dkm_matmul": lambda A, B, dev: sk.dkm_matmul(A.T, B, 30, seed=0),
    "chain_matmul": lambda A, B, dev: sk.chain_matmul(A.T, B, B.T, samples=30, seed=0),
    "random_walk_matmul": lambda A, B, dev: sk.random_walk_matmul(abs(A.T), abs(B), 50, seed=0),
    "priority_sample": lambda A, B, dev: sk.priority_sample(A, 20, seed=0),
    "threshold_sample": lambda A, B, dev: sk.threshold_sample(A, 20, seed=0),
    "jl_sketch": lambda A, B, dev: sk.jl_sketch(A, 20, seed=0),
    "countsketch_sketch": lambda A, B, dev: sk.countsketch_sketch(A, 20, seed=0),
    "estimate_product": lambda A, B, dev: sk.estimate_product(sk.priority_sample(A, 20, seed=1),
                                                              sk.priority_sample(B, 20, seed=1)),
    "Key.normal": lambda A, B, dev: sk.as_key(0).normal(range(10), sk.backend.array_module(A),
                                                        device=sk.backend.device(A)),
    # the sketching operators' torch path (issue 20), and what only needed them
    "Gaussian @ A": lambda A, B, dev: sk.Gaussian(10, A.shape[0], seed=0) @ A,
    "SparseSign @ A": lambda A, B, dev: sk.SparseSign(10, A.shape[0], seed=0) @ A,
    "SRHT @ A": lambda A, B, dev: sk.SRHT(10, A.shape[0], seed=0) @ A,
    "sketched_matmul": lambda A, B, dev: sk.sketched_matmul(A.T, B, 20, seed=0),
    "SRHT.to_dense": lambda A, B, dev: sk.SRHT(10, 64, seed=0).to_dense(
        sk.backend.array_module(A), A.dtype, device=A.device),
    "CountSketch.T.to_dense": lambda A, B, dev: sk.CountSketch(10, 64, seed=0).T.to_dense(
        sk.backend.array_module(A), A.dtype, device=A.device),
    "leverage_scores(approx)": lambda A, B, dev: sk.leverage_scores(A, method="approx", seed=0),
    "leverage_scores(approx, JL)": lambda A, B, dev: sk.leverage_scores(
        A, method="approx", jl_size=2, seed=0),
    "lewis_weights(approx)": lambda A, B, dev: sk.lewis_weights(A, 1.0, method="approx", seed=0),
    "emulate_hhl": lambda A, B, dev: sk.emulate_hhl(A.T @ A, B[:4, 0]),
    "emulate_hhl(dilated)": lambda A, B, dev: sk.emulate_hhl(A[:3, :3], B[:3, 0]).statevector(),
    "hhl_problem": lambda A, B, dev: sk.hhl_problem(A[:3, :3], B[:3, 0]),
    "sketched_ridgeless": lambda A, B, dev: sk.sketched_ridgeless(A, B[:, 0], 50, seed=0),
    "sketched_ridgeless(subsample)": lambda A, B, dev: sk.sketched_ridgeless(
        A, B, 50, sketch="subsample", seed=0),
    "orthonormal_features": lambda A, B, dev: sk.orthonormal_features(A),
    "optimal_density": lambda A, B, dev: sk.optimal_density(A),
    "projection_dpp": lambda A, B, dev: sk.projection_dpp(A, seed=0),
    "volume_sample": lambda A, B, dev: sk.volume_sample(A, 8, seed=0),
    "volume_rescaled_sample": lambda A, B, dev: sk.volume_rescaled_sample(A, 8, seed=0),
    "weighted_lstsq_sample": lambda A, B, dev: sk.weighted_lstsq_sample(A, 8, seed=0),
    "weighted_lstsq(dpp-repeated)": lambda A, B, dev: sk.weighted_lstsq(
        A, B[:, 0], 12, method="dpp-repeated", seed=0),
    "streaming_top_eigenvector": lambda A, B, dev: sk.streaming_top_eigenvector(
        A, block_rows=50, seed=0),
    "streaming_top_eigenvector(oja)": lambda A, B, dev: sk.streaming_top_eigenvector(
        A, method="oja", block_rows=50, seed=0),
    "stream_sketch": lambda A, B, dev: sk.stream_sketch(A, 20, seed=0, block_rows=50),
    "stream_coordinated_sketch": lambda A, B, dev: sk.stream_coordinated_sketch(
        A, "priority", 20, seed=0, block_rows=50),
    "conjugate_gradient": lambda A, B, dev: sk.conjugate_gradient(A.T @ A, B[:4, 0]),
    "randomized_kaczmarz": lambda A, B, dev: sk.randomized_kaczmarz(
        A, A @ B[:4, 0], seed=0, maxiter=500, warn=False),
    "join_regression": lambda A, B, dev: sk.join_regression(
        sk.regression_feature_sketch(A[:, :2], 60, seed=0),
        sk.regression_target_sketch(B[:, 0], 60, seed=0), 2),
    "coordinated_sketch": lambda A, B, dev: sk.coordinated_sketch(A, "threshold", 20, seed=0),
    "correlation_sketch": lambda A, B, dev: sk.correlation_sketch(B[:, 0], 20, seed=0),
    "regression_feature_sketch": lambda A, B, dev: sk.regression_feature_sketch(A, 20, seed=0),
    "regression_target_sketch": lambda A, B, dev: sk.regression_target_sketch(B[:, 0], 20,
                                                                              seed=0),
    "sampled_lstsq": lambda A, B, dev: sk.sampled_lstsq(A, B[:, 0], seed=0),
    "sampled_lp_regression": lambda A, B, dev: sk.sampled_lp_regression(A, B[:, 0], 1.5, seed=0),
    "lp_regression(p=3)": lambda A, B, dev: sk.lp_regression(A, B[:, 0], 3.0),
    "attention_scores": lambda A, B, dev: sk.attention_scores(A, A, 20, seed=0),
    "estimate_inner": lambda A, B, dev: sk.estimate_inner(sk.priority_sample(A[:, 0], 20, seed=1),
                                                          sk.priority_sample(B[:, 0], 20, seed=1)),
    "row_blocks": lambda A, B, dev: list(sk.row_blocks(A, 50)[0]),
    "uniform_sample": lambda A, B, dev: sk.uniform_sample(100, 10, seed=0,
                                                          xp=sk.backend.array_module(A)),
    "kmeans": lambda A, B, dev: sk.kmeans(A, 3, seed=0),
    "cluster_sensitivity_sample": lambda A, B, dev: sk.cluster_sensitivity_sample(A, 3, seed=0),
    # the low-rank family (issue 14): backend dispatch in sketch.lowrank
    "randomized_svd": lambda A, B, dev: sk.randomized_svd(A, 2, seed=0),
    "randomized_svd(subspace)": lambda A, B, dev: sk.randomized_svd(A, 2, method="subspace",
                                                                     oversample=1, seed=0),
    "randomized_svd(power_iters)": lambda A, B, dev: sk.randomized_svd(A, 2, power_iters=1,
                                                                        seed=0),
    "block_krylov_svd": lambda A, B, dev: sk.block_krylov_svd(A, 2, block=2, seed=0),
    "range_finder": lambda A, B, dev: sk.range_finder(A, 3, seed=0),
    "randomized_eigh": lambda A, B, dev: sk.randomized_eigh(A.T @ A, 2, seed=0),
    "nystrom": lambda A, B, dev: sk.nystrom(A.T @ A, 2, seed=0),
    "adaptive_qb": lambda A, B, dev: sk.adaptive_qb(A[:, :4], 0.5, seed=0),
    "adaptive_svd": lambda A, B, dev: sk.adaptive_svd(A[:, :4], 0.5, seed=0),
    # least squares (issue 13): the default and the other sketched methods
    "lstsq": lambda A, B, dev: sk.lstsq(A, B[:, 0], seed=0),
    "lstsq(fossils)": lambda A, B, dev: sk.lstsq(A, B[:, 0], "fossils", seed=0),
    "lstsq(several b, ridge)": lambda A, B, dev: sk.lstsq(A, B, alpha=0.1, seed=0),
    "lstsq(sketch-and-precondition)": lambda A, B, dev: sk.lstsq(
        A, B[:, 0], method="sketch-and-precondition", seed=0),
    "lstsq(sketch-and-solve)": lambda A, B, dev: sk.lstsq(A, B[:, 0], method="sketch-and-solve",
                                                          seed=0),
    "sketched_lstsq_dask": lambda A, B, dev: sk.sketched_lstsq_dask(A, B[:, 0], 20, seed=0),
}

# A step the docstring says runs on the host (the ℓ1 linear program, HiGHS): the result
# still comes back as a tensor on the input's device.
HOST_STEPS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "lp_regression(p=1)": lambda A, B, dev: sk.lp_regression(A, B[:, 0], 1.0),
    "sampled_lp_regression(p=1)": lambda A, B, dev: sk.sampled_lp_regression(
        A, B[:, 0], 1.0, seed=0),
}

# NumPy/SciPy (graphs) or Dask by nature: a tensor is refused by name, never converted.
REFUSED: dict[str, tuple[Callable[[Any, Any, Any], Any], type, str]] = {
    "graph_edges": (lambda A, B, dev: sk.graph_edges(A[:4, :4]), UnsupportedBackendError,
                    "scipy.sparse.csr_matrix"),
    "effective_resistances": (lambda A, B, dev: sk.effective_resistances(A[:4, :4], seed=0),
                              UnsupportedBackendError, "networkx.Graph"),
    "sparsify": (lambda A, B, dev: sk.sparsify(A[:4, :4], seed=0), UnsupportedBackendError,
                 "networkx.Graph"),
    "quadratic_form_check": (lambda A, B, dev: sk.quadratic_form_check(A[:4, :4], A[:4, :4]),
                             UnsupportedBackendError, "networkx.Graph"),
    "sketch_dask": (lambda A, B, dev: sk.sketch_dask("gaussian", A, 10, seed=0), TypeError,
                    "dask.array"),
    "coordinated_sketch_dask": (lambda A, B, dev: sk.coordinated_sketch_dask(
        A, "priority", 10, seed=0), TypeError, "dask.array"),
}



@pytest.fixture
def torch_backend(backend):
    if not backend.name.startswith("torch"):
        pytest.skip("tensor-specific: the numpy and cupy cases are in each module's tests")
    return backend


@pytest.fixture
def no_host_copies(monkeypatch):
    """Turning a tensor into a NumPy array raises while the function runs."""
    import torch

    def refuse(self, *args, **kwargs):
        raise AssertionError("a tensor was copied to a NumPy array (a silent host round trip)")

    monkeypatch.setattr(torch.Tensor, "__array__", refuse)
    monkeypatch.setattr(torch.Tensor, "numpy", refuse)


def _check(fn, backend) -> None:
    A, B = backend.asarray(A_NP), backend.asarray(B_NP)
    out = fn(A, B, backend.sample_device)
    arrays = _arrays(out)
    assert arrays, "the result holds no arrays"
    for a in arrays:
        assert backend.owns(a), f"got {type(a).__module__}.{type(a).__name__} back"


@pytest.mark.parametrize("name", sorted(CASES))
def test_tensor_in_tensor_out_on_its_device(torch_backend, no_host_copies, name):
    _check(CASES[name], torch_backend)


@pytest.mark.parametrize("name", sorted(HOST_STEPS))
def test_documented_host_steps_still_return_tensors_on_the_device(torch_backend, name):
    _check(HOST_STEPS[name], torch_backend)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_numpy_only_functions_refuse_tensors_by_name(torch_backend, no_host_copies, name):
    fn, error, fix = REFUSED[name]
    A, B = torch_backend.asarray(A_NP), torch_backend.asarray(B_NP)
    with pytest.raises(error, match=re.escape(fix)):
        fn(A, B, torch_backend.sample_device)


# Tensors in, numbers out: computed on the device, only scalars read back.
NUMBERS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "coherence": lambda A, B, dev: sk.coherence(A),
    "lp_cost": lambda A, B, dev: sk.lp_cost(A, B[:, 0], A[0], 1.5),
    "estimate_signal_noise": lambda A, B, dev: sk.estimate_signal_noise(A, B[:, 0]),
    "optimal_sketch_size(validation)": lambda A, B, dev: sk.optimal_sketch_size(
        A, B[:, 0], method="validation", grid=[20, 40], seed=0).size,
    "join_correlation": lambda A, B, dev: sk.join_correlation(
        sk.correlation_sketch(A[:, 0], 40, seed=0), sk.correlation_sketch(B[:, 0], 40, seed=0)),
    "size_hhl": lambda A, B, dev: sk.size_hhl(A.T @ A).kappa,
    "matmul_sample_size": lambda A, B, dev: sk.matmul_sample_size(0.5, mats=(A.T, B)),
    "spectral_norm": lambda A, B, dev: sk.spectral_norm(A, seed=0),
    "residual_norm": lambda A, B, dev: sk.residual_norm(A, A[:, :1], A[0, :1], A[:1], seed=0),
    "hermitian_extreme_eigenvalues": lambda A, B, dev: sk.hermitian_extreme_eigenvalues(
        A.T @ A, seed=0).lambda_max,
    "lewis_lower_factor": lambda A, B, dev: sk.lewis_lower_factor(
        sk.lewis_weights(A, 1.0, maxiter=3), 1.0, *A.shape, delta=0.5),
}

# Public functions whose arguments hold no arrays (sizes, seeds, paths, namespaces).
NO_ARRAYS = {
    "as_key", "make_operator", "embedding_size", "linf_sketch_size", "preconditioner_size",
    "leverage_sample_size", "lp_sample_size", "coreset_size", "check_p", "ridgeless_risk",
    "load_sketch", "approx_sketch_size", "jl_lower_factor", "approx_leverage_beta",
    "jl_upper_factor", "approx_leverage_factors",
}


@pytest.mark.parametrize("name", sorted(NUMBERS))
def test_numbers_from_tensors_need_no_host_copy(torch_backend, no_host_copies, name):
    A, B = torch_backend.asarray(A_NP), torch_backend.asarray(B_NP)
    out = NUMBERS[name](A, B, torch_backend.sample_device)
    assert all(isinstance(v, (int, float)) for v in (out if isinstance(out, tuple) else (out,)))


def test_every_public_function_is_classified():
    """A new public function must say how it treats tensors: it joins one of the lists."""
    named = {re.split(r"[(. @]", key)[0]
             for key in (*CASES, *HOST_STEPS, *REFUSED, *NUMBERS)}
    public = {n for n in sk.__all__ if inspect.isfunction(getattr(sk, n))}
    missing = public - named - NO_ARRAYS
    assert not missing, f"classify for tensors: {sorted(missing)}"
