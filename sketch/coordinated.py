"""Coordinated sampling sketches for matrix products and inner products.

Two parties hold ``A`` (n × d) and ``B`` (n × m) whose rows are identified by
integer *keys* (row ids, or a join key shared by two tables). Each party
sketches its own matrix independently, sharing only a ``seed``; later anyone
holding both sketches estimates AᵀB = Σᵢ aᵢ bᵢᵀ (a sum over the keys both
matrices have), and ⟨a, b⟩ as the one-column case.

Sampled sketches (Daliri, Freire, Li and Musco, "Matrix product sketching via
coordinated sampling", ICLR 2025; for vectors Daliri, Freire, Musco, Santos and
Zhang, "Sampling methods for inner product sketching", VLDB 2024):

* every key i gets a uniform hᵢ ∈ (0, 1) from the keyed counter-based stream
  (:mod:`sketch.rng`), so both parties draw the *same* hᵢ on any machine or
  backend; row weights are wᵢ = ‖aᵢ‖² and priorities qᵢ = wᵢ/hᵢ;
* **priority sampling** (Duffield, Lund and Thorup, 2007) keeps the k rows of
  largest priority and stores the threshold τ = (k+1)-th largest priority;
* **threshold sampling** keeps every row with qᵢ ≥ τ = ‖A‖²_F/k (expected size
  ≤ k).

In both schemes, conditionally on τ, row i is kept iff hᵢ ≤ wᵢ/τ, i.e. with
probability pᵢ = min(1, wᵢ/τ). Because both sides use the same hᵢ, key i is in
both samples iff hᵢ ≤ min(pᵢᴬ, pᵢᴮ), so the Horvitz–Thompson estimator

    W = Σ_{i ∈ K_A ∩ K_B} aᵢ bᵢᵀ / min(1, wᵢᴬ/τᴬ, wᵢᴮ/τᴮ)

is unbiased (this is the joint inclusion probability of the ICLR 2025 paper's
estimator, written with ranks Rᵢ = hᵢ/wᵢ there: min(1, wᵢᴬτ'ᴬ, wᵢᴮτ'ᴮ) with
τ' = 1/τ). With k = O(1/ε²) rows, ‖W − AᵀB‖_F ≤ ε‖A‖_F‖B‖_F with constant
probability, so for rows with at most s nonzeros the sketch holds O(s/ε²)
numbers, against O(d/ε²) for a linear sketch. The variance is estimated by
Σ_{i ∈ K_A ∩ K_B} (aᵢ bᵢᵀ)² (1 − pᵢ)/pᵢ² (entrywise; the Frobenius total uses
‖aᵢ‖²‖bᵢ‖²).

Linear baselines with the same interface: :func:`jl_sketch` (Gaussian,
Johnson–Lindenstrauss; Sarlós 2006) and :func:`countsketch_sketch`
(Charikar–Chen–Farach-Colton 2002; Clarkson–Woodruff 2013) keep SA (r × d);
their estimate is (SA)ᵀ(SB).

Storage (DESIGN.md §6) is counted honestly in 8-byte words: a sampled dense row
costs its d values plus its key; a sampled sparse row costs 1.5 words per
nonzero (value + int32 column index) plus 1.5 words (key + int32 length); a
linear sketch costs r·d words.

Merging: threshold sketches of key-disjoint partitions merge exactly (the
merged sketch equals the sketch of the union); so do priority sketches, because
each stores its (k+1)-th priority: the union's top k+1 lies in the parts' top
k+1. Neither merges sketches of *overlapping* keys (rows are sampled, not
summed); linear sketches merge by addition, overlapping keys included.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> A, B = rng.standard_normal((500, 4)), rng.standard_normal((500, 3))
>>> SA = priority_sample(A, 100, seed=7)          # party 1
>>> SB = priority_sample(B, 100, seed=7)          # party 2, same seed
>>> est = estimate_product(SA, SB)
>>> est.value.shape
(4, 3)
>>> err = np.linalg.norm(est.value - A.T @ B) / (np.linalg.norm(A) * np.linalg.norm(B))
>>> bool(err < 0.3)
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from . import sketchfile
from .backend import (
    array_module,
    asarray,
    backend_name,
    compat,
    device,
    is_sparse,
    module_for_device,
    numpy_dtype,
    real_dtype,
    sparse,
    sparse_from_csc,
    to_numpy,
    top_k_indices,
)
from .checks import check_allocation, check_matrix, check_positive_int
from .errors import SeedMismatchError, ShapeError
from .operators import CountSketch, Gaussian
from .rng import STREAM_VERSION, Key, as_key

__all__ = [
    "SampledSketch",
    "LinearSketch",
    "ProductEstimate",
    "priority_sample",
    "threshold_sample",
    "jl_sketch",
    "countsketch_sketch",
    "coordinated_sketch",
    "estimate_product",
    "estimate_inner",
    "load_sketch",
    "attention_scores",
    "SAMPLED_METHODS",
    "LINEAR_METHODS",
]

SAMPLED_METHODS = ("priority", "threshold")
LINEAR_METHODS = ("jl", "countsketch")
_HASH_LABEL = "coordinated-sampling"


# --------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------
def _as_matrix(A: Any, name: str) -> tuple[Any, bool]:
    """2-D view of A (a 1-D vector becomes one column) and whether it was a vector."""
    vector = not is_sparse(A) and getattr(A, "ndim", None) == 1
    if vector:
        A = A.reshape(-1, 1)
    check_matrix(A, name)
    if is_sparse(A):
        A = A.tocsr()
    return A, vector


def _check_keys(keys: Any, n: int, A: Any, offset: int = 0) -> tuple[Any, bool]:
    """Validated int64 keys on A's device; default keys are row positions."""
    xp = compat(array_module(A))
    dev = None if is_sparse(A) else device(A)
    if keys is None:
        return xp.arange(offset, offset + n, dtype=xp.int64, device=dev), False
    if isinstance(keys, (list, tuple)) or np.isscalar(keys):
        keys = np.asarray(keys)
    if backend_name(keys) != backend_name(xp) or (dev is not None and device(keys) != dev):
        keys = asarray(to_numpy(keys), xp=xp, device=dev)
    if getattr(keys, "ndim", None) != 1:
        raise ShapeError(f"keys must be a 1-D array, got shape {getattr(keys, 'shape', None)}")
    if numpy_dtype(keys.dtype).kind not in "iu":
        raise TypeError(
            f"keys must be integers (row ids or a join key), got dtype {keys.dtype}; "
            "map other key types to integers first (e.g. numpy.unique(..., return_inverse=True) "
            "or a stable hash)"
        )
    if keys.shape[0] != n:
        raise ShapeError(f"there are {keys.shape[0]} keys for {n} rows; give one key per row")
    keys = xp.astype(keys, xp.int64, copy=False)
    srt = xp.sort(keys)
    dup = srt[1:] == srt[:-1]
    if bool(xp.any(dup)):
        first = int(srt[1:][dup][0])
        raise ValueError(
            f"keys repeat (key {first} appears more than once); each row needs its own key — "
            "aggregate rows with the same key first"
        )
    return keys, True


def _row_weights(A: Any, xp: ModuleType) -> Any:
    """Squared row norms ‖aᵢ‖² in float64."""
    if is_sparse(A):
        sq = abs(A).power(2).sum(axis=1)
        return xp.astype(xp.reshape(xp.asarray(sq), (-1,)), xp.float64)
    return xp.astype(xp.sum(xp.abs(A) ** 2, axis=1), xp.float64)


def _hashes(key: Key, keys: Any, xp: ModuleType) -> Any:
    """The shared uniform hᵢ of each key (same value for every party with the seed)."""
    return key.child(_HASH_LABEL).uniform(keys, xp)  # int64 keys: the bits of uint64 ones


def _take_rows(A: Any, idx: Any) -> Any:
    return A[idx]


# --------------------------------------------------------------------------
# sketches
# --------------------------------------------------------------------------
@dataclass
class SampledSketch:
    """A priority or threshold sample of rows, with their keys and threshold.

    Build with :func:`priority_sample` or :func:`threshold_sample`; combine two
    with :func:`estimate_product`.

    Attributes
    ----------
    method : str
        ``"priority"`` or ``"threshold"``.
    keys : array of int64
        Keys of the kept rows, sorted.
    rows : array or CSR sparse matrix
        The kept rows (len(keys) × d), in key order.
    tau : float
        Threshold on priorities; a row is kept with probability min(1, wᵢ/τ)
        (τ = 0: every nonzero row is kept).
    budget : int
        k, the sample size (priority) or expected sample size (threshold).
    total_weight : float
        ‖A‖²_F of everything sketched (used to merge threshold sketches).
    n_rows, n_cols : int
        Shape of the sketched matrix.
    fingerprint : str
        Identifies the seed (:attr:`sketch.rng.Key.fingerprint`), not the seed.
    keyed : bool
        Whether the keys were given (False: row positions).
    vector : bool
        Whether a 1-D vector was sketched.
    stream_version : int
        Version of the keyed random stream it was drawn from
        (:data:`sketch.rng.STREAM_VERSION`); sketches of different versions do not combine.
    """

    method: str
    keys: Any
    rows: Any
    tau: float
    budget: int
    total_weight: float
    n_rows: int
    n_cols: int
    fingerprint: str
    keyed: bool = False
    vector: bool = False
    stream_version: int = STREAM_VERSION
    _key: Key | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return int(self.keys.shape[0])

    @property
    def weights(self) -> Any:
        """‖aᵢ‖² of the kept rows."""
        return _row_weights(self.rows, compat(array_module(self.keys)))

    def inclusion_probability(self) -> Any:
        """pᵢ = min(1, wᵢ/τ) of the kept rows."""
        xp = compat(array_module(self.keys))
        w = self.weights
        if self.tau <= 0:
            return xp.ones_like(w)
        return xp.clip(w / self.tau, max=1.0)

    @property
    def storage_words(self) -> float:
        """Storage in 8-byte words: values, column indices (½ word) and keys."""
        k = len(self)
        if is_sparse(self.rows):
            return 1.5 * int(self.rows.nnz) + 1.5 * k
        return float(k * self.n_cols + k)

    def merge(self, other: SampledSketch) -> SampledSketch:
        """The sketch of the union of two key-disjoint row sets.

        Exact for both schemes: the result is the sketch the union would get
        (with budget min(k₁, k₂)). Rows with the same key in both parts are
        refused — a sample cannot add rows.
        """
        _check_compatible(self, other)
        if self.method != other.method:
            raise ValueError(f"cannot merge a {self.method} sketch with a {other.method} sketch")
        _verify_drawn(other, _key_from_fp(self))
        if self.n_cols != other.n_cols:
            raise ShapeError(f"cannot merge sketches of {self.n_cols} and {other.n_cols} columns")
        xp = compat(array_module(self.keys))
        keys = xp.concat([self.keys, other.keys])
        srt = xp.sort(keys)
        if bool(xp.any(srt[1:] == srt[:-1])):
            raise ValueError(
                "the two sketches share keys; merge only sketches of disjoint row sets "
                "(partitions), or sketch the summed rows with a linear sketch"
            )
        rows = _vstack([self.rows, other.rows], xp)
        budget = min(self.budget, other.budget)
        total = self.total_weight + other.total_weight
        w = _row_weights(rows, xp)
        q = _priorities(w, _hashes(_key_from_fp(self), keys, xp), xp)
        if self.method == "threshold":
            tau = total / budget if total > 0 else 0.0
            keep = (q >= tau) & (w > 0)
        else:
            cand = xp.concat([q, xp.asarray([self.tau, other.tau], dtype=xp.float64,
                                            device=device(q))])
            if cand.shape[0] <= budget:
                tau = 0.0
            else:
                tau = float(xp.sort(cand)[-(budget + 1)])
            keep = (q > tau) & (w > 0)
        idx = xp.nonzero(keep)[0]
        out = _finish(self.method, keys[idx], _take_rows(rows, idx), tau, budget, total,
                      self.n_rows + other.n_rows, self.n_cols, self.fingerprint,
                      self.keyed or other.keyed, self.vector)
        out._key = self._key
        return out

    def attach_seed(self, seed: Any) -> SampledSketch:
        """Give a loaded sketch its seed back (merging needs the shared hashes).

        Raises :class:`SeedMismatchError` if the seed is not the one it was made with:
        its fingerprint differs, or the kept rows are not what that seed's random
        values select (a sample drawn with another seed but labelled with this one).
        """
        key = as_key(seed)
        if key.fingerprint != self.fingerprint:
            raise SeedMismatchError(f"seed fingerprint {key.fingerprint} does not match the "
                                    f"sketch's {self.fingerprint}; use the sketch's own seed")
        _verify_drawn(self, key)
        self._key = key
        return self

    def save(self, path: str | Path) -> None:
        """Write the sketch to a ``.npz`` file (no pickle; see :mod:`sketch.sketchfile`)."""
        rows = self.rows
        payload: dict[str, Any] = dict(
            kind=np.array("sampled"), method=np.array(self.method),
            keys=to_numpy(self.keys), tau=np.float64(self.tau), budget=np.int64(self.budget),
            total_weight=np.float64(self.total_weight), n_rows=np.int64(self.n_rows),
            n_cols=np.int64(self.n_cols), fingerprint=np.array(self.fingerprint),
            keyed=np.bool_(self.keyed), vector=np.bool_(self.vector),
            sparse=np.bool_(is_sparse(rows)), stream_version=np.int64(self.stream_version),
        )
        if is_sparse(rows):
            payload.update(data=to_numpy(rows.data), indices=to_numpy(rows.indices).astype(
                np.int32), indptr=to_numpy(rows.indptr).astype(np.int64))
        else:
            payload.update(data=to_numpy(rows))
        sketchfile.write(path, payload)

    @staticmethod
    def load(path: str | Path) -> SampledSketch:
        """Read a sketch written by :meth:`save` (onto the host)."""
        sk = load_sketch(path)
        if not isinstance(sk, SampledSketch):
            raise TypeError(f"{path} holds a {type(sk).__name__}, not a SampledSketch")
        return sk


@dataclass
class LinearSketch:
    """A linear sketch SA (r × d) with the interface of :class:`SampledSketch`.

    Attributes
    ----------
    method : str
        ``"jl"`` (Gaussian) or ``"countsketch"``.
    data : array
        SA, r × d.
    n_rows, n_cols : int
        Shape of the sketched matrix.
    fingerprint : str
        Identifies the seed.
    keyed, vector, stream_version
        As for :class:`SampledSketch`.
    """

    method: str
    data: Any
    n_rows: int
    n_cols: int
    fingerprint: str
    keyed: bool = False
    vector: bool = False
    stream_version: int = STREAM_VERSION

    @property
    def size(self) -> int:
        """r, the number of sketch rows."""
        return int(self.data.shape[0])

    @property
    def storage_words(self) -> float:
        """Storage in 8-byte words: one per coordinate."""
        return float(self.data.shape[0] * self.data.shape[1])

    def merge(self, other: LinearSketch) -> LinearSketch:
        """The sketch of the rows of both (a sum: overlapping keys add up)."""
        _check_compatible(self, other)
        if self.method != other.method or self.data.shape != other.data.shape:
            raise ValueError(
                f"cannot merge a {self.method} sketch of shape {self.data.shape} with a "
                f"{other.method} sketch of shape {other.data.shape}"
            )
        return LinearSketch(self.method, self.data + other.data, self.n_rows + other.n_rows,
                            self.n_cols, self.fingerprint, self.keyed or other.keyed, self.vector,
                            self.stream_version)

    def save(self, path: str | Path) -> None:
        """Write the sketch to a ``.npz`` file (no pickle; see :mod:`sketch.sketchfile`)."""
        sketchfile.write(path, dict(
            kind=np.array("linear"), method=np.array(self.method), data=to_numpy(self.data),
            n_rows=np.int64(self.n_rows), n_cols=np.int64(self.n_cols),
            fingerprint=np.array(self.fingerprint), keyed=np.bool_(self.keyed),
            vector=np.bool_(self.vector), stream_version=np.int64(self.stream_version)))

    @staticmethod
    def load(path: str | Path) -> LinearSketch:
        """Read a sketch written by :meth:`save` (onto the host)."""
        sk = load_sketch(path)
        if not isinstance(sk, LinearSketch):
            raise TypeError(f"{path} holds a {type(sk).__name__}, not a LinearSketch")
        return sk


def _key_from_fp(sk: SampledSketch) -> Key:
    key = sk._key
    if key is None:
        raise ValueError(
            "this sketch was loaded from a file, so it knows only its seed's fingerprint; "
            "merging needs the shared random values — pass the seed: "
            "sketch.attach_seed(seed) before merging"
        )
    return key


def _verify_drawn(sk: SampledSketch, key: Key) -> None:
    """Refuse a sample whose kept rows are not what ``key``'s random values select.

    Row i is kept only if hᵢ ≤ wᵢ/τ, so a sample drawn with another seed (whatever
    fingerprint it carries) keeps rows whose hᵢ under ``key`` break this.
    """
    if sk._key is key or sk.tau <= 0 or len(sk) == 0:
        return
    xp = array_module(sk.keys)
    q = _priorities(sk.weights, _hashes(key, sk.keys, xp), xp)
    bad = int((q < sk.tau * (1 - 1e-9)).sum())
    if bad:
        raise SeedMismatchError(
            f"{bad} of the {len(sk)} rows of this {sk.method} sketch are not what its seed "
            "selects: it was drawn with a different seed than its fingerprint says, or its "
            "rows or threshold were altered; re-create it from the data"
        )


def _check_compatible(a: Any, b: Any) -> None:
    if type(a) is not type(b):
        raise TypeError(f"cannot combine sketches of different kinds: a {type(a).__name__} "
                        f"with a {type(b).__name__}")
    if a.stream_version != b.stream_version:
        raise SeedMismatchError(
            f"the sketches were drawn from different versions of the keyed random stream "
            f"({a.stream_version} and {b.stream_version}), so the same seed gave them different "
            "random values; re-create the older one with this qla"
        )
    if a.fingerprint != b.fingerprint:
        raise SeedMismatchError(
            f"the sketches were made from different seeds (fingerprints {a.fingerprint} and "
            f"{b.fingerprint}); both parties must sketch with the same seed"
        )


def _vstack(parts: list[Any], xp: ModuleType) -> Any:
    if is_sparse(parts[0]):
        return sparse(xp).vstack(parts, format="csr")
    return xp.concat(parts, axis=0)


def _priorities(w: Any, h: Any, xp: ModuleType) -> Any:
    return w / h


def _finish(method, keys, rows, tau, budget, total, n_rows, n_cols, fp, keyed, vector):
    xp = compat(array_module(keys))
    order = xp.argsort(keys)
    return SampledSketch(method, keys[order], _take_rows(rows, order), float(tau), int(budget),
                         float(total), int(n_rows), int(n_cols), fp, bool(keyed), bool(vector))


def _sample(A: Any, k: int, seed: Any, keys: Any, method: str, offset: int = 0, *,
            name: str = "k") -> SampledSketch:
    k = check_positive_int(k, name)
    A, vector = _as_matrix(A, "A")
    xp = compat(array_module(A))
    keys, keyed = _check_keys(keys, A.shape[0], A, offset)
    key = as_key(seed)
    w = _row_weights(A, xp)
    q = _priorities(w, _hashes(key, keys, xp), xp)
    total = float(xp.sum(w))
    nonzero = int(xp.count_nonzero(w > 0))
    if method == "threshold":
        tau = total / k if total > 0 else 0.0
        keep = (q >= tau) & (w > 0)
    elif nonzero <= k:
        tau, keep = 0.0, w > 0
    else:
        tau = float(xp.min(q[top_k_indices(q, k + 1)]))
        keep = (q > tau) & (w > 0)
    idx = xp.nonzero(keep)[0]
    sk = _finish(method, keys[idx], _take_rows(A, idx), tau, k, total, A.shape[0], A.shape[1],
                 key.fingerprint, keyed, vector)
    sk._key = key
    return sk


def priority_sample(A: Any, k: int, seed: Any = None, *, keys: Any = None) -> SampledSketch:
    """Priority sample of the rows of A (Duffield–Lund–Thorup 2007; Daliri et al. 2025).

    Keeps the k rows of largest priority ‖aᵢ‖²/hᵢ, hᵢ the key's shared uniform.

    Parameters
    ----------
    A : (n, d) array, sparse matrix, or (n,) vector
        NumPy or CuPy; the sketch lives on the same device.
    k : int
        Number of rows kept (≥ 1).
    seed : None, int, Generator or Key
        Shared by every party whose sketches will be combined.
    keys : (n,) integer array, optional
        Distinct row keys (default: row positions 0..n-1).

    Returns
    -------
    SampledSketch

    Examples
    --------
    >>> import numpy as np
    >>> S = priority_sample(np.arange(1.0, 11.0), 3, seed=0)
    >>> len(S), S.vector
    (3, True)
    """
    return _sample(A, k, seed, keys, "priority")


def threshold_sample(A: Any, k: int, seed: Any = None, *, keys: Any = None) -> SampledSketch:
    """Threshold sample of the rows of A (Daliri et al. 2024, 2025).

    Keeps row i iff hᵢ ≤ k‖aᵢ‖²/‖A‖²_F, so the expected number of rows is at
    most k and sketches of partitions merge exactly.

    Parameters
    ----------
    A, seed, keys
        As for :func:`priority_sample`.
    k : int
        Expected sample size bound (≥ 1).

    Returns
    -------
    SampledSketch

    Examples
    --------
    >>> import numpy as np
    >>> S = threshold_sample(np.ones((1000, 2)), 50, seed=0)
    >>> 30 < len(S) < 70
    True
    """
    return _sample(A, k, seed, keys, "threshold")


# --------------------------------------------------------------------------
# linear baselines
# --------------------------------------------------------------------------
def _keyed_block(method: str, key: Key, r: int, keys: Any, xp: ModuleType, dtype: Any) -> Any:
    """Columns of the r × (key space) sketching matrix at the given keys.

    Generated exactly as :class:`sketch.operators.Gaussian` and
    :class:`~sketch.operators.CountSketch` generate column j, so with keys
    0..n-1 the sketch equals ``Gaussian(r, n, seed) @ A``.
    """
    j, dev = keys, device(keys)  # int64 keys: the counters' bits are those of uint64 ones
    if method == "jl":
        opkey = key.child(Gaussian.__name__)
        counter = j[None, :] * r + xp.arange(r, dtype=xp.int64, device=dev)[:, None]
        return xp.astype(opkey.normal(counter, xp), dtype) * (1.0 / math.sqrt(r))
    opkey = key.child(CountSketch.__name__)
    rows = xp.astype(opkey.child("rows").integers(j, r, xp), xp.int32)
    vals = xp.astype(opkey.child("signs").signs(j, xp), dtype)
    indptr = xp.arange(j.shape[0] + 1, dtype=xp.int32, device=dev)
    return sparse_from_csc(vals, rows, indptr, (r, j.shape[0]))


def _linear(A: Any, r: int, seed: Any, keys: Any, method: str, offset: int = 0, *,
            name: str = "r") -> LinearSketch:
    r = check_positive_int(r, name)
    A, vector = _as_matrix(A, "A")
    xp = compat(array_module(A))
    keys, keyed = _check_keys(keys, A.shape[0], A, offset)
    key = as_key(seed)
    rdt = real_dtype(xp, A.dtype)
    # The r × d result and one partial sum, plus the keyed counters of one S block.
    check_allocation(r * (2 * A.shape[1] * numpy_dtype(A.dtype).itemsize + 48),
                     f"a {method} sketch with {name}={r} rows of {A.shape[1]} columns", xp=xp,
                     device=device(A), fix="choose a smaller sketch size")
    out = None
    step = max(1, (1 << 22) // r) if method == "jl" else 1 << 24  # bounds the temporary S block
    for i0 in range(0, A.shape[0], step):
        i1 = min(A.shape[0], i0 + step)
        S = _keyed_block(method, key, r, keys[i0:i1], xp, rdt)
        block = A[i0:i1]
        if is_sparse(block):
            part = (block.T @ S.T).T if not is_sparse(S) else (S @ block).toarray()
        else:
            part = S @ block
        out = part if out is None else out + part
    data = xp.astype(xp.asarray(out), A.dtype, copy=False)
    return LinearSketch(method, data, A.shape[0], A.shape[1], key.fingerprint, keyed, vector)


def jl_sketch(A: Any, r: int, seed: Any = None, *, keys: Any = None) -> LinearSketch:
    """Gaussian (Johnson–Lindenstrauss) sketch SA with r rows, columns of S keyed by row key.

    Parameters
    ----------
    A, seed, keys
        As for :func:`priority_sample`.
    r : int
        Sketch rows; storage r·d words.

    Examples
    --------
    >>> import numpy as np
    >>> from sketch.operators import Gaussian
    >>> A = np.random.default_rng(0).standard_normal((50, 3))
    >>> bool(np.allclose(jl_sketch(A, 8, seed=1).data, Gaussian(8, 50, seed=1) @ A))
    True
    """
    return _linear(A, r, seed, keys, "jl")


def countsketch_sketch(A: Any, r: int, seed: Any = None, *, keys: Any = None) -> LinearSketch:
    """CountSketch SA with r buckets, each key hashed to one bucket with a sign.

    Parameters
    ----------
    A, seed, keys
        As for :func:`priority_sample`.
    r : int
        Buckets; storage r·d words.

    Examples
    --------
    >>> import numpy as np
    >>> from sketch.operators import CountSketch
    >>> A = np.random.default_rng(0).standard_normal((50, 3))
    >>> bool(np.allclose(countsketch_sketch(A, 8, seed=1).data, CountSketch(8, 50, seed=1) @ A))
    True
    """
    return _linear(A, r, seed, keys, "countsketch")


def coordinated_sketch(A: Any, method: str, size: int, seed: Any = None, *,
                       keys: Any = None) -> SampledSketch | LinearSketch:
    """Any of the four sketches by name: ``priority``, ``threshold``, ``jl``, ``countsketch``.

    ``size`` is k (rows sampled) for sampled sketches and r (rows of S) for linear ones.

    Examples
    --------
    >>> import numpy as np
    >>> coordinated_sketch(np.ones((20, 2)), "jl", 4, seed=0).data.shape
    (4, 2)
    """
    if method in SAMPLED_METHODS:
        return _sample(A, size, seed, keys, method, name="size")
    if method in LINEAR_METHODS:
        return _linear(A, size, seed, keys, method, name="size")
    raise ValueError(f"unknown method {method!r}; choose one of "
                     f"{', '.join(SAMPLED_METHODS + LINEAR_METHODS)}")


# --------------------------------------------------------------------------
# estimation
# --------------------------------------------------------------------------
@dataclass
class ProductEstimate:
    """An estimate of AᵀB (or ⟨a, b⟩) from two sketches.

    Attributes
    ----------
    value : array (d × m) or scalar
        The unbiased estimate.
    variance : array (d × m) or scalar
        Estimated variance of each entry.
    frobenius_variance : float
        Estimated E‖value − AᵀB‖²_F.
    matched : int
        Number of keys both sketches hold (sampled) or sketch rows (linear).
    method : str
    """

    value: Any
    variance: Any
    frobenius_variance: float
    matched: int
    method: str

    @property
    def std_error(self) -> float:
        """Estimated root-mean-square Frobenius error, √E‖value − AᵀB‖²_F."""
        return math.sqrt(max(self.frobenius_variance, 0.0))


def _check_sketch(obj: Any, name: str) -> None:
    if not isinstance(obj, (SampledSketch, LinearSketch)):
        raise TypeError(f"{name} must be a SampledSketch or LinearSketch (from priority_sample, "
                        f"jl_sketch, coordinated_sketch, ...), got {type(obj).__name__}")


def _check_pair(SA: Any, SB: Any, names: tuple[str, str] = ("SA", "SB")) -> None:
    _check_sketch(SA, names[0])
    _check_sketch(SB, names[1])
    _check_compatible(SA, SB)
    if SA.method != SB.method:
        raise ValueError(f"cannot combine a {SA.method} sketch with a {SB.method} sketch; "
                         "both parties must use the same method")
    if not SA.keyed and not SB.keyed and SA.n_rows != SB.n_rows:
        raise ShapeError(
            f"the two sketches come from matrices of {SA.n_rows} and {SB.n_rows} rows; AᵀB needs "
            "the same rows (or pass keys= to join rows by key)"
        )


def estimate_product(SA: SampledSketch | LinearSketch,
                     SB: SampledSketch | LinearSketch) -> ProductEstimate:
    """Estimate AᵀB from two independently built sketches with the same seed.

    Parameters
    ----------
    SA, SB : SampledSketch or LinearSketch
        Sketches of A (n × d) and B (n × m) of the same kind and seed.

    Returns
    -------
    ProductEstimate
        Value d × m (a scalar if both sketched vectors), entrywise and
        Frobenius variance estimates.

    Raises
    ------
    SeedMismatchError
        If the sketches come from different seeds.
    ShapeError
        If both use row positions as keys and the row counts differ.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([1.0, 2.0, 0.0, 4.0]); b = np.array([1.0, 0.0, 3.0, 1.0])
    >>> e = estimate_product(priority_sample(a, 10, seed=1), priority_sample(b, 10, seed=1))
    >>> float(e.value)                    # budget ≥ nonzero rows: exact
    5.0
    """
    _check_pair(SA, SB)
    if isinstance(SA, LinearSketch):
        return _estimate_linear(SA, SB)
    for mine, theirs in ((SA, SB), (SB, SA)):  # a loaded sketch is checked against a live seed
        if mine._key is not None and theirs._key is None:
            _verify_drawn(theirs, mine._key)
    xp = compat(array_module(SA.keys, SB.keys))
    if len(SA) == 0 or len(SB) == 0:
        ia = ib = xp.zeros(0, dtype=xp.int64, device=device(SA.keys))
    else:
        pos = xp.searchsorted(SB.keys, SA.keys)
        pos = xp.clip(pos, max=SB.keys.shape[0] - 1)
        hit = SB.keys[pos] == SA.keys
        ia = xp.nonzero(hit)[0]
        ib = pos[ia]
    ra, rb = _take_rows(SA.rows, ia), _take_rows(SB.rows, ib)
    wa, wb = _row_weights(ra, xp), _row_weights(rb, xp)
    p = xp.ones_like(wa)
    if SA.tau > 0:
        p = xp.minimum(p, wa / SA.tau)
    if SB.tau > 0:
        p = xp.minimum(p, wb / SB.tau)
    dtype = xp.result_type(SA.rows.dtype, SB.rows.dtype)
    rdt = real_dtype(xp, dtype)
    inv = xp.astype(1.0 / p, rdt)
    vfac = xp.astype((1.0 - p) / p**2, rdt)
    value = _weighted_gram(ra, rb, inv, xp, dtype)
    variance = _weighted_gram(_abs2(ra), _abs2(rb), vfac, xp, rdt)
    fro = float(xp.sum(wa * wb * (1.0 - p) / p**2))
    return _package(value, variance, fro, int(ia.shape[0]), SA, SB)


def _abs2(R: Any) -> Any:
    return abs(R).power(2) if is_sparse(R) else abs(R) ** 2


def _weighted_gram(Ra: Any, Rb: Any, weights: Any, xp: ModuleType, dtype: Any) -> Any:
    """Raᵀ diag(weights) Rb as a dense array."""
    if Ra.shape[0] == 0:
        return xp.zeros((Ra.shape[1], Rb.shape[1]), dtype=dtype, device=device(weights))
    if is_sparse(Ra) or is_sparse(Rb):
        D = sparse(xp).diags(weights)
        left = Ra.T @ D if is_sparse(Ra) else (Ra * weights[:, None]).T
        out = left @ Rb
        out = out.toarray() if is_sparse(out) else out
        return xp.astype(xp.asarray(out), dtype, copy=False)
    return xp.astype((Ra * weights[:, None]).T @ Rb, dtype, copy=False)


def _package(value, variance, fro, matched, SA, SB) -> ProductEstimate:
    if SA.vector and SB.vector:
        value, variance = value[0, 0], variance[0, 0]
    return ProductEstimate(value, variance, fro, matched, SA.method)


def _estimate_linear(SA: LinearSketch, SB: LinearSketch) -> ProductEstimate:
    if SA.data.shape[0] != SB.data.shape[0]:
        raise ValueError(f"the linear sketches have {SA.data.shape[0]} and {SB.data.shape[0]} "
                         "rows; both parties must use the same sketch size")
    xp = compat(array_module(SA.data, SB.data))
    r = SA.data.shape[0]
    value = SA.data.T @ SB.data
    # Gaussian: Var[(SA)ᵀSB]_jl = (‖a_j‖²‖b_l‖² + (a_jᵀb_l)²)/r; for CountSketch this is an
    # upper bound. Column norms and the product are plugged in from the sketches.
    ca = xp.sum(xp.abs(SA.data) ** 2, axis=0)
    cb = xp.sum(xp.abs(SB.data) ** 2, axis=0)
    variance = (ca[:, None] * cb[None, :] + xp.abs(value) ** 2) / r
    fro = float((xp.sum(ca) * xp.sum(cb) + xp.sum(xp.abs(value) ** 2)) / r)
    return _package(value, variance, fro, r, SA, SB)


def estimate_inner(sa: SampledSketch | LinearSketch, sb: SampledSketch | LinearSketch) -> Any:
    """Estimate ⟨a, b⟩ from sketches of two vectors (the one-column case of AᵀB).

    Returns the :class:`ProductEstimate` (``value`` and ``variance`` scalars).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.ones(100)
    >>> e = estimate_inner(priority_sample(a, 100, seed=0), priority_sample(a, 100, seed=0))
    >>> float(e.value)
    100.0
    """
    _check_sketch(sa, "sa")
    _check_sketch(sb, "sb")
    if sa.n_cols != 1 or sb.n_cols != 1:
        raise ShapeError(f"inner products need sketches of vectors (one column), got "
                         f"{sa.n_cols} and {sb.n_cols} columns; use estimate_product")
    est = estimate_product(sa, sb)
    if not (sa.vector and sb.vector):
        est.value, est.variance = est.value.reshape(()), est.variance.reshape(())
    return est


def load_sketch(path: str | Path, device: str | None = None, *,
                seed: Any = None) -> SampledSketch | LinearSketch:
    """Read a sketch written by ``save`` (``.npz``, read without pickle).

    ``device`` ``None``/``"cpu"`` keeps it on the host, ``"gpu"`` moves it to CuPy.
    The file's format version, checksum and internal consistency are checked
    (:mod:`sketch.sketchfile`). With ``seed``, a sampled sketch is also checked to
    be drawn from that seed (:meth:`SampledSketch.attach_seed`), so it can be merged.
    Without it, the check happens when it is combined with a sketch made from the seed.

    Raises
    ------
    SketchFileError
        If the file is empty, truncated, damaged, edited, foreign, from another
        format version or internally inconsistent.
    SeedMismatchError
        If ``seed`` is given and the sketch was not drawn from it.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> S = priority_sample(np.arange(1.0, 6.0), 2, seed=3)
    >>> path = os.path.join(tempfile.mkdtemp(), "s.npz")
    >>> S.save(path)
    >>> T = load_sketch(path)
    >>> bool(np.array_equal(T.keys, S.keys)), T.fingerprint == S.fingerprint
    (True, True)
    """
    xp = module_for_device(device)
    sk = _read(path)
    if seed is not None:
        if not isinstance(sk, SampledSketch):
            raise TypeError(f"{path} holds a linear sketch; seed= applies to sampled sketches")
        sk.attach_seed(seed)
    if xp is np:
        return sk
    if isinstance(sk, LinearSketch):
        sk.data = xp.asarray(sk.data)
        return sk
    sk.keys = xp.asarray(sk.keys)
    sk.rows = sparse(xp).csr_matrix(sk.rows) if is_sparse(sk.rows) else xp.asarray(sk.rows)
    return sk


def _read(path: str | Path) -> SampledSketch | LinearSketch:
    f = sketchfile.read(path)
    common = {name: f[name] for name in ("method", "n_rows", "n_cols", "fingerprint", "keyed",
                                         "vector", "stream_version")}
    if f["kind"] == "linear":
        return LinearSketch(data=f["data"], **common)
    return SampledSketch(keys=f["keys"], rows=f["rows"], tau=f["tau"], budget=f["budget"],
                         total_weight=f["total_weight"], **common)


# --------------------------------------------------------------------------
# application: attention scores
# --------------------------------------------------------------------------
def attention_scores(Q: Any, K: Any, size: int, method: str = "priority",
                     seed: Any = None) -> ProductEstimate:
    """Approximate the attention-score matrix QKᵀ from sketches of Q and K.

    QKᵀ = (Qᵀ)ᵀ(Kᵀ): the keys are the d feature dimensions, so each party samples
    feature dimensions (columns of Q, of K) — the ICLR 2025 paper's attention
    experiment (Daliri, Freire, Li, Musco).

    Parameters
    ----------
    Q : (n_q, d) array
    K : (n_k, d) array
    size : int
        Sketch size (k or r) per side.
    method : str
        ``priority``, ``threshold``, ``jl`` or ``countsketch``.
    seed
        Shared seed.

    Returns
    -------
    ProductEstimate
        ``value`` is n_q × n_k.

    Examples
    --------
    >>> import numpy as np
    >>> Q = np.random.default_rng(0).standard_normal((5, 64))
    >>> attention_scores(Q, Q, 64, seed=0).value.shape
    (5, 5)
    """
    check_matrix(Q, "Q")
    check_matrix(K, "K")
    if Q.shape[-1] != K.shape[-1]:
        raise ShapeError(f"Q has {Q.shape[-1]} features and K {K.shape[-1]}; they must match")
    size = check_positive_int(size, "size")
    SQ = coordinated_sketch(Q.T, method, size, seed)
    SK = coordinated_sketch(K.T, method, size, seed)
    return estimate_product(SQ, SK)
