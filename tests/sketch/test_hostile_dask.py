"""Property-based bad-input suite over the Dask entry points (``lstsq``, ``randomized_svd``,
``leverage_scores`` on ``dask.array`` input): bad chunks, NaN, wrong shapes and dtypes.

Cheap on purpose: the synchronous scheduler (no cluster), a 12 × 3 matrix and a fifth of
the profile's examples. A lazy result is computed, so an error or a NaN hidden in the
graph counts too (see :mod:`tests.sketch.hostile` for the property).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st

import sketch
from tests.sketch import hostile as h

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

pytestmark = pytest.mark.hostile

M, D, A, b = h.M, h.D, h.A, h.b
SQ = (lambda G: G @ G.T)(np.random.default_rng(1).standard_normal((8, 8)))


def _chunked(value: np.ndarray, how: str, rows: int) -> object:
    if how == "unknown":  # chunk sizes unknown until computed (boolean-mask indexing)
        X = da.from_array(value, chunks=max(1, value.shape[0] // 2) if value.ndim else ())
        return X[X[:, 0] == X[:, 0]] if value.ndim == 2 else X
    if how == "columns" and value.ndim == 2:  # chunks across the columns, too
        return da.from_array(value, chunks=(rows, 1))
    return da.from_array(value, chunks=rows if value.ndim else ())


def dask_arrays(ndim: int, rows: int, cols: int | None = None) -> st.SearchStrategy:
    """Dask arrays over the harness's generated h.arrays, in odd chunkings, or not Dask at all."""
    def make(draw_value, how, chunk_rows):
        value, bad = draw_value
        if how == "unknown" and (value.ndim != 2 or value.shape[1] == 0):
            how = "rows"  # the mask reads column 0
        return _chunked(value, how, chunk_rows), bad

    chunked = st.builds(make, h.arrays(ndim=ndim, rows=rows, cols=cols),
                        st.sampled_from(["rows", "rows", "columns", "unknown"]),
                        st.integers(1, rows + 2))
    odd = st.sampled_from([lambda: da.zeros((0, D), chunks=1), lambda: da.ones((M, D, 2)),
                           lambda: da.from_array(A.astype(object), chunks=5),
                           lambda: da.from_array(A[:, :1] * np.ones((1, D)))]
                          ).map(lambda f: (f(), None))
    return st.one_of(chunked, chunked, chunked, odd)


def _computed(f):
    """Call f on the synchronous scheduler and compute any Dask array it returns."""
    def call(**kw):
        with dask.config.set(scheduler="synchronous"):
            out = f(**kw)
            if isinstance(out, da.Array):  # first: a dask array has a __dict__ too
                out = out.compute()
            elif hasattr(out, "__dict__"):
                for name, value in vars(out).items():
                    if isinstance(value, da.Array):
                        setattr(out, name, value.compute())
        return out
    return call


def _entries() -> list[h.Entry]:
    A_d = da.from_array(A, chunks=5)
    b_d = da.from_array(b, chunks=5)
    SQ_d = da.from_array(SQ, chunks=4)
    opt_size = st.one_of(h.sizes(), st.just((None, False)))
    # the sketches take a length-m vector too: a 1-D array is then a matter of its values
    rows = dask_arrays(2, M, D).map(lambda vb: (vb[0], None if vb[0].ndim == 1 else vb[1]))
    return [
        h.Entry("block_krylov_svd[dask]", _computed(sketch.block_krylov_svd),
                dict(A=A_d, k=2, krylov_iters=2, block=None, seed=0),
                dict(A=dask_arrays(2, M, D), k=h.sizes(), block=opt_size)),
        h.Entry("nystrom[dask]", _computed(sketch.nystrom), dict(A=SQ_d, k=2, seed=0),
                dict(A=dask_arrays(2, 8, 8), k=h.sizes())),
        h.Entry("randomized_eigh[dask]", _computed(sketch.randomized_eigh),
                dict(A=SQ_d, k=2, seed=0), dict(A=dask_arrays(2, 8, 8), k=h.sizes())),
        h.Entry("ridge_leverage_scores[dask]", _computed(sketch.ridge_leverage_scores),
                dict(A=A_d, lam=1.0), dict(A=dask_arrays(2, M, D), lam=h.tolerances())),
        h.Entry("leverage_sample[dask]", _computed(sketch.leverage_sample),
                dict(A=A_d, size=None, seed=0), dict(A=dask_arrays(2, M, D), size=h.sizes())),
        h.Entry("sketched_lstsq_dask", _computed(sketch.sketched_lstsq_dask),
                dict(A=A_d, b=b_d, size=8, seed=0),
                dict(A=dask_arrays(2, M, D), b=dask_arrays(1, M), size=h.sizes(),
                     sketch=h.choices(["gaussian", "countsketch", "sparse-sign", "srht"],
                                      optional=True)),  # None: lstsq's default sketch
                # size < n is refused by lstsq's rule, naming the sketch_size it is passed as
                dict(A=("matrix",), size=("sketch_size",))),
        h.Entry("sketch_dask", _computed(sketch.sketch_dask),
                dict(S="gaussian", X=A_d, size=4, seed=0),
                dict(X=rows, size=h.sizes(),
                     S=h.choices(["gaussian", "countsketch", "sparse-sign", "srht"])),
                dict(S=("sketch",))),
        h.Entry("coordinated_sketch_dask", _computed(sketch.coordinated_sketch_dask),
                dict(X=A_d, method="priority", size=4, seed=0),
                dict(X=rows, size=h.sizes(),
                     method=h.choices(["priority", "threshold", "jl", "countsketch"]))),
        h.Entry("lstsq[dask]", _computed(sketch.lstsq), dict(A=A_d, b=b_d, seed=0),
              dict(A=dask_arrays(2, M, D), b=dask_arrays(1, M)), dict(A=("matrix",))),
        h.Entry("randomized_svd[dask]", _computed(sketch.randomized_svd),
              dict(A=A_d, k=2, seed=0, accuracy=1e-2),
              dict(A=dask_arrays(2, M, D), k=h.sizes(), accuracy=h.tolerances(upper=1))),
        h.Entry("leverage_scores[dask]", _computed(sketch.leverage_scores),
              dict(A=A_d, method="approx", seed=0), dict(A=dask_arrays(2, M, D))),
        h.Entry("leverage_scores[dask,exact]", _computed(sketch.leverage_scores),
              dict(A=A_d, method="exact", seed=0), dict(A=dask_arrays(2, M, D))),
    ]


@pytest.mark.parametrize("entry", _entries(), ids=lambda e: e.name)
def test_valid_call_answers(entry):
    h.check_valid_call(entry)


@pytest.mark.parametrize("entry, arg", h.cases(_entries(), {}))
def test_bad_dask_argument_is_refused_clearly(entry, arg):
    h.run_property(entry, arg, share=0.2, most=40)


@pytest.mark.parametrize("call", [lambda X: sketch.randomized_svd(X, 2, seed=0),
                                  lambda X: sketch.leverage_scores(X, method="exact"),
                                  lambda X: sketch.leverage_scores(X, method="approx", seed=0)])
def test_nan_in_a_dask_matrix_is_named(call):
    X = da.from_array(np.where(np.arange(M)[:, None] == 7, np.nan, A), chunks=5)
    with dask.config.set(scheduler="synchronous"), pytest.raises(sketch.errors.NonFiniteError,
                                                                  match="A holds NaN"):
        call(X)  # was LinAlgError ("SVD did not converge") from the client's factorisation


def test_zero_dask_matrix_is_named_when_sampling():
    """Was a ValueError about "the scores" (not A) from the distributed draw."""
    with dask.config.set(scheduler="synchronous"), pytest.raises(ValueError, match="A is zero"):
        sketch.leverage_sample(da.zeros((M, D), chunks=5), seed=0)


@pytest.mark.parametrize("call", [
    lambda X: sketch.coordinated_sketch_dask(X, "priority", 0, seed=0, compute=False),
    lambda X: sketch.sketched_lstsq_dask(X, X[:, 0], True, seed=0),
])
def test_dask_size_is_checked_before_the_graph(call):
    """Named k / sketch_size (or, lazily, only on compute) instead of the caller's ``size``."""
    with pytest.raises((TypeError, ValueError), match=r"\bsize\b"):
        call(da.from_array(A, chunks=5))


@pytest.mark.parametrize("call, error, match", [
    # each found by QLA_HYPOTHESIS=long: a crash with a foreign error, a wrong name, a NaN
    # result or an unchecked allocation
    (lambda X: sketch.ridge_leverage_scores(X, 1.0), sketch.errors.NonFiniteError,
     "A holds NaN"),  # was LinAlgError ("SVD did not converge")
    (lambda X: sketch.sketch_dask("countsketch", X, 4, seed=0).compute(),
     sketch.errors.NonFiniteError, "X holds NaN"),  # was a NaN sketch
    (lambda X: sketch.coordinated_sketch_dask(X, "priority", 4, seed=0),
     sketch.errors.NonFiniteError, "X holds NaN"),  # named A (the partitions' argument)
    (lambda X: sketch.sketch_dask(None, X), TypeError, "S must be"),  # was AttributeError
    (lambda X: sketch.coordinated_sketch_dask(X.astype(object), "priority", 4, seed=0),
     TypeError, "X has dtype object"),  # named A (the partitions' argument)
    (lambda X: sketch.sketch_dask("countsketch", X, 10**9, seed=0),
     sketch.errors.InsufficientMemoryError, "s=1000000000"),  # allocated 7.5 GiB on compute
    (lambda X: sketch.leverage_sample(abs(X), size=10**9, seed=0),
     sketch.errors.InsufficientMemoryError, "size=1000000000"),  # allocated 7.5 GiB first
])
def test_found_dask_failures_are_refused_by_name(call, error, match, monkeypatch):
    monkeypatch.setattr(sketch.budgets, "available_bytes", lambda xp=None, device=None: 1 << 26)
    X = da.from_array(np.where(np.arange(M)[:, None] == 7, np.nan, A), chunks=5)
    with dask.config.set(scheduler="synchronous"), pytest.raises(error, match=match):
        call(X if error is sketch.errors.NonFiniteError else da.from_array(A, chunks=5))


@pytest.fixture(scope="module")
def worker_process():
    """One forked worker process: errors raised in tasks there must reach the caller intact."""
    distributed = pytest.importorskip("distributed")
    with dask.config.set({"distributed.worker.multiprocessing-method": "fork"}):
        cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=50)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.parametrize("call", [
    lambda X: sketch.sketch_dask("countsketch", X, 4, seed=0).compute(),  # raised in a task
    lambda X: sketch.lstsq(X, da.ones(M, chunks=5), seed=0),
    lambda X: sketch.leverage_scores(X, method="approx", seed=0),
])
def test_nan_is_named_across_worker_processes(worker_process, call):
    """The refusals above, with the graph run in another process (exceptions pickled back)."""
    X = da.from_array(np.where(np.arange(M)[:, None] == 7, np.nan, A), chunks=5)
    with pytest.raises(sketch.errors.NonFiniteError, match="(A|X) holds NaN"):
        call(X)
