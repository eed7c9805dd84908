"""A tensor in gives tensors out, on its device, with no copy to the host on the way.

Every public ``sketch`` function that serves torch is called with tensors on each torch
backend of the ``backend`` fixture; every array in its result must be a tensor on the
input's device. While it runs, turning a tensor into a NumPy array raises, so a silent
host round trip fails the test even on the CPU. Functions whose modules are not yet
namespace-generic are listed in PENDING as strict xfails: the day one starts working,
its xfail fails and the entry moves to CASES.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import sketch as sk

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
    # least squares (issue 13): the default and the other sketched methods
    "lstsq": lambda A, B, dev: sk.lstsq(A, B[:, 0], seed=0),
    "lstsq(several b, ridge)": lambda A, B, dev: sk.lstsq(A, B, alpha=0.1, seed=0),
    "lstsq(sketch-and-precondition)": lambda A, B, dev: sk.lstsq(
        A, B[:, 0], method="sketch-and-precondition", seed=0),
    "lstsq(sketch-and-solve)": lambda A, B, dev: sk.lstsq(A, B[:, 0], method="sketch-and-solve",
                                                          seed=0),
}

# Not yet namespace-generic: what each needs is in the owners' issues (lstsq and the
# low-rank family: backend dispatch instead of SciPy calls).
PENDING: dict[str, Callable[[Any, Any, Any], Any]] = {
    "leverage_scores(approx)": lambda A, B, dev: sk.leverage_scores(A, method="approx", seed=0),
    "randomized_svd": lambda A, B, dev: sk.randomized_svd(A, 2, seed=0),
    "nystrom": lambda A, B, dev: sk.nystrom(A.T @ A, 2, seed=0),
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


@pytest.mark.parametrize("name", sorted(PENDING))
@pytest.mark.xfail(strict=True, reason="not yet generic over array namespaces")
def test_pending_functions_do_not_yet_return_tensors(torch_backend, no_host_copies, name):
    _check(PENDING[name], torch_backend)
