"""Property-based bad-input suite over the sketch entry points that take torch tensors.

The valid call is made with CPU tensors; each case replaces one argument by a generated
tensor (NaN/inf, wrong shape or ndim, empty, int/bool/float16/bfloat16/complex dtypes,
transposed-in-memory or strided views), a non-array, the NumPy array of a valid tensor (a
mixed call, which may be answered or refused) or a size out of range. See
:mod:`tests.sketch.hostile` for the property; a returned tensor must be finite too.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st

import sketch
from tests.sketch import hostile as h

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.hostile

M, D = h.M, h.D
A = torch.from_numpy(h.A)
b = torch.from_numpy(h.b)
SQ = (lambda G: G @ G.T)(torch.from_numpy(np.random.default_rng(1).standard_normal((8, 8))))
U, S_, Vh = torch.linalg.svd(A, full_matrices=False)
OPS = {"gaussian": sketch.Gaussian, "rademacher": sketch.Rademacher, "srht": sketch.SRHT,
       "countsketch": sketch.CountSketch, "sparse-sign": sketch.SparseSign}
SHARE = 0.4  # of the profile's examples per (entry, argument): the suite's time budget


def mat(rows: int = M, cols: int = D, *, vector_ok: bool = False) -> st.SearchStrategy:
    """Torch matrices, non-arrays, and the NumPy twin of a valid one (a mixed call)."""
    twin = st.just((np.ones((rows, cols)), None))
    return st.one_of(h.matrices(rows, cols, vector_ok=vector_ok, torch=True), twin)


def vec(rows: int = M) -> st.SearchStrategy:
    return st.one_of(h.vectors(rows, torch=True), st.just((np.ones(rows), None)))


def _apply(kind):
    def call(s, m, X):
        return OPS[kind](s, m, seed=0) @ X
    return call


def _entries() -> list[h.Entry]:
    opt_size = st.one_of(h.sizes(), st.just((None, False)))
    out = [h.Entry(f"{k}@A[torch]", _apply(k), dict(s=6, m=M, X=A),
                   dict(s=h.sizes(), X=mat()), dict(X=("A", "matrix", "sketched")))
           for k in OPS]
    return out + [
        h.Entry("lstsq[torch]", sketch.lstsq,
                dict(A=A, b=b, method=None, sketch_size=None, alpha=0.0, seed=0),
                dict(A=mat(), b=vec(), sketch_size=opt_size,
                     method=h.choices(["direct", "sketch", "precondition"], optional=True)),
                dict(A=("matrix",))),
        h.Entry("randomized_svd[torch]", sketch.randomized_svd,
                dict(A=A, k=2, oversample=1, power_iters=1, seed=0),
                dict(A=mat(), k=h.sizes(), power_iters=h.sizes(0))),
        h.Entry("randomized_eigh[torch]", sketch.randomized_eigh, dict(A=SQ, k=2, seed=0),
                dict(A=mat(8, 8), k=h.sizes())),
        h.Entry("nystrom[torch]", sketch.nystrom, dict(A=SQ, k=2, seed=0),
                dict(A=mat(8, 8), k=h.sizes())),
        h.Entry("block_krylov_svd[torch]", sketch.block_krylov_svd,
                dict(A=A, k=2, krylov_iters=2, block=None, seed=0),
                dict(A=mat(), k=h.sizes(), block=opt_size)),
        h.Entry("range_finder[torch]", sketch.range_finder, dict(A=A, size=2, seed=0),
                dict(A=mat(), size=h.sizes())),
        h.Entry("adaptive_svd[torch]", sketch.adaptive_svd, dict(A=A, tol=0.1, block=2),
                dict(A=mat(), block=h.sizes())),
        h.Entry("leverage_scores[torch]", sketch.leverage_scores,
                dict(A=A, method="approx", sketch_size=None, jl_size=None, seed=0),
                dict(A=mat(), method=h.choices(["exact", "approx"]), sketch_size=h.sizes(),
                     jl_size=h.sizes())),
        h.Entry("ridge_leverage_scores[torch]", sketch.ridge_leverage_scores,
                dict(A=A, lam=1.0), dict(A=mat())),
        h.Entry("leverage_sample[torch]", sketch.leverage_sample,
                dict(A=A, size=None, seed=0), dict(A=mat(), size=h.sizes())),
        h.Entry("dkm_matmul[torch]", sketch.dkm_matmul, dict(A=A.T, B=A, samples=20, seed=0),
                dict(A=mat(D, M), B=mat(), samples=h.sizes())),
        h.Entry("sketched_matmul[torch]", sketch.sketched_matmul,
                dict(A=A.T, B=A, size=6, seed=0), dict(A=mat(D, M), B=mat(), size=h.sizes())),
        h.Entry("priority_sample[torch]", sketch.priority_sample, dict(A=A, k=5, seed=1),
                dict(A=mat(vector_ok=True), k=h.sizes())),  # these sketch vectors too
        h.Entry("jl_sketch[torch]", sketch.jl_sketch, dict(A=A, r=4, seed=1),
                dict(A=mat(vector_ok=True), r=h.sizes())),
        h.Entry("spectral_norm[torch]", sketch.spectral_norm, dict(A=A, iters=5, seed=0),
                dict(A=mat())),  # iters: the NumPy suite (1000 iterations run long when loaded)
        h.Entry("residual_norm[torch]", sketch.residual_norm,
                dict(A=A, U=U, s=S_, Vh=Vh, iters=5, block=2, seed=0),
                dict(A=mat(), U=mat(), s=vec(D), Vh=mat(D, D), block=h.sizes())),
        h.Entry("adaptive_qb[torch]", sketch.adaptive_qb, dict(A=A, tol=0.1, block=2, seed=0),
                dict(A=mat(), tol=h.tolerances(), block=h.sizes(),
                     max_rank=st.one_of(h.sizes(), st.just((None, False))))),
        h.Entry("chain_matmul[torch]", lambda A, B, C, samples: sketch.chain_matmul(
                    A, B, C, samples=samples, seed=0),
                dict(A=A.T, B=A, C=A.T, samples=20),
                dict(A=mat(D, M), B=mat(), C=mat(D, M), samples=h.sizes()),
                dict(A=("mats[0]",), B=("mats[1]",), C=("mats[2]",))),
        h.Entry("conjugate_gradient[torch]", sketch.conjugate_gradient,
                dict(A=SQ + 6 * torch.eye(8, dtype=SQ.dtype), b=torch.ones(8, dtype=SQ.dtype)),
                dict(A=mat(8, 8), b=vec(8)), dict(A=("matrix",))),
    ]


@pytest.mark.parametrize("entry", _entries(), ids=lambda e: e.name)
def test_valid_call_answers(entry):
    h.check_valid_call(entry)


@pytest.mark.parametrize("entry, arg", h.cases(_entries(), {}))
def test_bad_tensor_argument_is_refused_clearly(entry, arg):
    h.run_property(entry, arg, share=SHARE)


# Regression cases the campaign found (QLA_HYPOTHESIS=long), each a crash with a non-qla
# error or an error that did not name its argument.
@pytest.mark.parametrize("call, match", [
    (lambda: sketch.randomized_svd(A.to(torch.bfloat16), 2, seed=0),
     r"A has dtype torch.bfloat16"),  # was "data type 'bfloat16' not understood"
    (lambda: sketch.SRHT(6, M, seed=0) @ A.to(torch.bfloat16),
     r"sketched matrix has dtype torch.bfloat16"),
    (lambda: sketch.lstsq(A.float(), b, seed=0),
     r"A is torch.float32 and b is torch.float64"),  # was RuntimeError from addmv
    (lambda: sketch.dkm_matmul(A.T.to(torch.complex128), A, 20, seed=0),
     r"A is torch.complex128 and B is torch.float64"),  # was RuntimeError from matmul
    (lambda: sketch.conjugate_gradient(SQ.float(), torch.ones(8, dtype=SQ.dtype)),
     r"A is torch.float32 and b is torch.float64"),
    (lambda: sketch.lstsq(A, h.b, seed=0),
     r"A is a torch tensor on cpu, b is a numpy array"),  # did not name A or b
    (lambda: sketch.randomized_svd(A.to_sparse(), 2, seed=0),
     r"A is a torch tensor with layout torch.sparse_coo"),  # was NotImplementedError (isfinite)
    (lambda: sketch.residual_norm(A.float(), U, S_, Vh, seed=0),
     r"A is torch.float32 and U is torch.float64"),  # was RuntimeError from mm
    (lambda: sketch.residual_norm(A.to(torch.complex128), U, S_, Vh, seed=0),
     r"A is torch.complex128 and U is torch.float64"),  # was RuntimeError from mm
    (lambda: sketch.residual_norm(A, U, S_.numpy(), Vh, seed=0),
     r"U is a torch tensor on cpu, s is a numpy array"),  # was "unsupported operand type(s)"
    (lambda: sketch.residual_norm(A, U, S_.to(torch.complex128), Vh, seed=0),
     r"s must hold the \(real\) singular values"),  # was RuntimeError from mm (long profile)
])
def test_found_tensor_failures_are_refused_by_name(call, match):
    with pytest.raises(TypeError, match=match):
        call()


def test_conjugate_view_results_reach_numpy():
    """randomized_svd of a complex tensor returns a lazily conjugated Vh; to_numpy raised."""
    out = sketch.randomized_svd(A.to(torch.complex128) * 1j, 2, seed=0)
    Vh = out.Vh if hasattr(out, "Vh") else out[2]
    np.testing.assert_array_equal(sketch.backend.to_numpy(Vh), Vh.resolve_conj().numpy())


@pytest.mark.parametrize("make", [sketch.jl_sketch, sketch.countsketch_sketch])
def test_complex_tensor_linear_sketch_equals_numpy(make):
    """A complex tensor was refused by torch's matmul (a real S times a complex block)."""
    Z = A.to(torch.complex128) * (1 + 0.5j)
    S, T = make(Z, 4, seed=1), make(Z.numpy(), 4, seed=1)
    np.testing.assert_allclose(S.data.numpy(), T.data, rtol=1e-12, atol=1e-12)
