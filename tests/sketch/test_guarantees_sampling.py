"""What the row-sampling scores claim, on valid but hostile input.

ℓp sensitivities σᵢ = sup_x |aᵢᵀx|^p/‖Ax‖_p^p lie in [0, 1] and sum to at most
d^{max(1, p/2)}; Lewis-weight bounds (any p) and root leverage scores (p ≤ 2) are
upper bounds on them (Cohen and Peng 2015; Woodruff and Yasuda 2023). Families: a
coherent row, exact rank deficiency (equal columns), zero columns and rows, a
dynamic range of 1e8, Cauchy (Student-t, 1 dof) entries (Ma, Mahoney and Yu 2015).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sketch.sensitivity import lp_sensitivities

FEW = settings(max_examples=max(4, settings().max_examples // 3))
KINDS = ("gauss", "coherent", "equal-columns", "zero-column", "zero-rows", "range", "cauchy")


def hostile(kind: str, m: int, d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, d))
    if kind == "coherent":
        A[0] *= 1e3
    elif kind == "equal-columns":
        A[:, -1] = A[:, 0]
    elif kind == "zero-column":
        A[:, -1] = 0
    elif kind == "zero-rows":
        A[1:4] = 0
    elif kind == "range":
        A *= np.logspace(0, -8, m)[:, None]
    elif kind == "cauchy":
        A = rng.standard_t(1, (m, d))
    return A


@pytest.mark.parametrize("p", [1.0, 1.5, 3.0])
def test_exact_sensitivities_of_a_rank_deficient_matrix(p):
    """Found here: with two equal columns (12 x 2), ``method="exact"`` reported
    σ₁₁ = 4.1 for p = 1.5 (75 for p = 3): sensitivities are at most 1. A N, zero in exact
    arithmetic, was 1e-16 after rounding and the ℓp regression followed it to z = 3e15.
    The range is that of the first column, whose sensitivities are |aᵢ|^p/Σ|aⱼ|^p."""
    A = hostile("equal-columns", 12, 2, 1)
    col = np.abs(A[:, 0]) ** p
    np.testing.assert_allclose(lp_sensitivities(A, p, method="exact"), col / col.sum(),
                               rtol=1e-6, atol=1e-12)


@given(st.sampled_from(KINDS), st.integers(6, 16), st.integers(1, 3),
       st.sampled_from([1.0, 1.5, 2.0, 3.0]), st.integers(0, 2**16))
@FEW
def test_sensitivity_bounds_hold(kind, m, d, p, seed):
    A = hostile(kind, m, d, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exact = np.asarray(lp_sensitivities(A, p, method="exact"))
        bounds = {"lewis": np.asarray(lp_sensitivities(A, p, method="lewis"))}
        if p <= 2:
            bounds["root-leverage"] = np.asarray(lp_sensitivities(A, p, method="root-leverage"))
    assert np.all(exact >= 0) and np.all(exact <= 1 + 1e-9), exact
    assert exact.sum() <= d ** max(1.0, p / 2) * (1 + 1e-6)
    for name, ub in bounds.items():
        gap = exact - ub * (1 + 1e-6) - 1e-10
        assert np.all(gap <= 0), f"{name}: σ = {exact[np.argmax(gap)]:.4g} above its bound"
