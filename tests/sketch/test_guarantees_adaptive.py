"""What the rank-adaptive QB (:func:`sketch.lowrank.adaptive_qb`) claims on hostile input.

For explicit matrices (dense or sparse) ``converged=True`` claims
``‖A − QB‖_F ≤ tol·‖A‖_F``; Q is orthonormal; ``norm_estimate`` is ‖A‖_F. The families
are those of ``test_guarantees.py`` (steep to 1e-14, flat tails, rank deficiency,
rank 0, clusters, complex, single precision, 2^±500 scaling), with blocks of 1 to 16
and 0 to 2 power iterations. (LinearOperators, whose error is a stochastic estimate
from the next block, are not covered: see the module's docstring.)
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st

from sketch.lowrank import adaptive_qb
from tests.sketch.test_guarantees import build, lowrank_problems

FEW = settings(max_examples=max(4, settings().max_examples // 3))


def check_qb_claims(A: np.ndarray, tol: float, res) -> None:
    Q, B = np.asarray(res.Q), np.asarray(res.B)
    wide = np.promote_types(A.dtype, np.float64)
    Ad = A.astype(wide)
    u = float(np.finfo(A.dtype).eps)
    c = 30 * np.sqrt(sum(A.shape))
    nA = float(np.linalg.norm(Ad))
    err = float(np.linalg.norm(Ad - Q.astype(wide) @ B.astype(wide)))
    if Q.shape[1]:
        loss = float(np.linalg.norm(Q.conj().T @ Q - np.eye(Q.shape[1]), 2))
        assert loss <= c * u, f"Q not orthonormal: {loss:.3g}"
    assert abs(res.norm_estimate - nA) <= 1e-6 * nA
    if res.converged:
        assert err <= tol * nA + c * u * nA, (
            f"converged=True but ‖A − QB‖_F = {err / nA:.6g}·‖A‖_F > tol = {tol:g}")


def test_converged_means_the_tolerance_is_met_near_the_floor():
    """Found here: σᵢ = 10^(−i/2), 43 x 96, tol = 1e-6 (1.3× the float64 floor), blocks
    of 4 with one power step stopped at rank 12 with converged=True and an indicator
    of 0.99997e-6 while ‖A − QB‖_F = 1.0002e-6·‖A‖_F: ‖A‖² − Σ‖Bᵢ‖² rounds by 3u‖A‖²."""
    A, _, _, _ = build(43, 96, 5, "half", np.float64, 299)
    for given_A in (A, scipy.sparse.csr_matrix(A)):
        check_qb_claims(A, 1e-6, adaptive_qb(given_A, 1e-6, block=4, power_iters=1, seed=299))


@given(lowrank_problems(), st.sampled_from([0.5, 1e-1, 1e-2, 1e-3, 1e-6]),
       st.sampled_from([1, 2, 4, 16]), st.integers(0, 2), st.booleans())
@FEW
def test_adaptive_qb_claims(problem, tol, block, power_iters, sparse):
    A, _, _, seed = problem
    floor = 50 * np.sqrt(float(np.finfo(A.dtype).eps))
    tol = max(tol, 1.5 * floor)
    given_A = scipy.sparse.csr_matrix(A) if sparse else A
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_rank: converged=False
        res = adaptive_qb(given_A, tol, block=block, power_iters=power_iters, seed=seed)
    check_qb_claims(A, tol, res)
