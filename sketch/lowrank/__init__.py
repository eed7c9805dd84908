"""Randomized low-rank approximation, accurate first.

A user asks for a rank k and an accuracy ε and gets ``‖A − UΣV^H‖₂`` aimed at
``(1+ε)·σ_{k+1}`` (σ_{k+1} is the optimal rank-k error): the number of passes
over A is chosen while running, from the Ritz values, not fixed in advance.

========================  ================================================
module                    what it holds
========================  ================================================
``range_finder``          randomized range finder, subspace iteration (HMT 2011)
``svd``                   :func:`randomized_svd` (block Krylov or subspace iteration)
``krylov``                :func:`block_krylov_svd` and block Lanczos (Musco–Musco 2015)
``short_side``            block Krylov of a tall sparse A with its basis on the short side
``eigh``                  :func:`randomized_eigh` (Hermitian, indefinite allowed)
``nystrom``               :func:`nystrom` (PSD, Tropp et al. 2017)
``adaptive``              rank-adaptive QB / SVD to a Frobenius tolerance (Yu–Gu–Li 2018)
``certificates``          a-posteriori error estimates and the accuracy stopping rule
``norms``                 :func:`spectral_norm`, :func:`residual_norm` (block power)
``eigenvalues``           :func:`hermitian_extreme_eigenvalues` (Lanczos)
``basis``, ``operator``   test matrices, orthonormalisation, counted products
========================  ================================================

Every routine needs only products with ``A`` and ``A^H``, so it accepts dense
NumPy/CuPy arrays, dense torch tensors, scipy/cupyx sparse matrices and
``scipy.sparse.linalg.LinearOperator`` alike. The output lives on the input's
device and keeps its precision. Test matrices come from the keyed sketching
operators of :mod:`sketch.operators`, so the same ``seed`` gives the same
factors on NumPy, CuPy and torch (to rounding).

Each result carries estimates next to the factors: ``accuracy_estimate`` (ε̂
of the stopping rule), ``error_estimate`` (HMT's a-posteriori bound on the
spectral error from ``probes`` extra vectors of the first pass, probability
≥ 1 − 10^{-probes}) and ``frobenius_estimate``; :func:`residual_norm` gives a
sharp number when one is wanted. Every loop whose length is not fixed by A's size
(accuracy-first runs, the rank-adaptive QB, ``power_iters=`` runs, the norms' ``iters=``)
takes ``time_limit=`` seconds and ``progress=`` (a bar of passes and the current
estimate, :mod:`sketch.progress`): a run out of time stops at the next pass boundary
and returns the factors it has, with their own estimates, ``converged=False`` and
``stop_reason="time_limit"`` (a bare basis or norm: a ConvergenceWarning only).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> A = rng.standard_normal((300, 20)) @ rng.standard_normal((20, 200))
>>> res = randomized_svd(A, 20, seed=1)
>>> U, s, Vh = res
>>> bool(np.allclose(U * s @ Vh, A))
True
"""

from ..errors import NotPositiveSemidefiniteError
from .adaptive import QBResult, adaptive_qb, adaptive_svd
from .eigenvalues import ExtremeEigenvalues, hermitian_extreme_eigenvalues
from .eigh import randomized_eigh
from .krylov import block_krylov_svd
from .norms import residual_norm, spectral_norm
from .nystrom import nystrom
from .range_finder import range_finder
from .results import EighResult, SVDResult
from .svd import randomized_svd

__all__ = [
    "NotPositiveSemidefiniteError",
    "SVDResult",
    "EighResult",
    "QBResult",
    "ExtremeEigenvalues",
    "range_finder",
    "randomized_svd",
    "randomized_eigh",
    "nystrom",
    "block_krylov_svd",
    "adaptive_qb",
    "adaptive_svd",
    "residual_norm",
    "spectral_norm",
    "hermitian_extreme_eigenvalues",
]
