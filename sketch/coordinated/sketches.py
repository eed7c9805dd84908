"""The two kinds of coordinated sketch, their keys and shared hashes, merging and files.

:class:`SampledSketch` (priority or threshold sample of rows) and
:class:`LinearSketch` (JL or CountSketch), how each merges with a sketch of more
rows, and how both are saved and read back (:func:`load_sketch`, the format
being :mod:`sketch.sketchfile`). The math is in :mod:`sketch.coordinated`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from .. import sketchfile
from ..backend import (
    array_module,
    asarray,
    backend_name,
    compat,
    device,
    is_sparse,
    module_for_device,
    numpy_dtype,
    sparse,
    to_numpy,
)
from ..checks import check_matrix
from ..errors import SeedMismatchError, ShapeError
from ..rng import STREAM_VERSION, Key, as_key

__all__ = ["SampledSketch", "LinearSketch", "load_sketch"]

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
    dev = device(A)
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
@dataclass(kw_only=True)
class _Stored:
    """What both kinds of sketch share: their metadata (keyword-only) and ``load``, the
    reverse of their ``save``."""

    n_rows: int
    n_cols: int
    fingerprint: str
    keyed: bool = False
    vector: bool = False
    stream_version: int = STREAM_VERSION

    @classmethod
    def load(cls, path: str | Path) -> Any:
        """Read a sketch of this class written by ``save`` (onto the host); see
        :func:`load_sketch` for the checks and for other devices."""
        sk = load_sketch(path)
        if not isinstance(sk, cls):
            raise TypeError(f"path {path} holds a {type(sk).__name__}, not a {cls.__name__}; "
                            f"read it with {type(sk).__name__}.load or load_sketch")
        return sk


@dataclass
class SampledSketch(_Stored):
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

    The last six (shared with :class:`LinearSketch`) are keyword-only arguments.
    """

    method: str
    keys: Any
    rows: Any
    tau: float
    budget: int
    total_weight: float
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


@dataclass
class LinearSketch(_Stored):
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
        As for :class:`SampledSketch`. The metadata (from ``n_rows`` on) are
        keyword-only arguments.
    """

    method: str
    data: Any

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
        return LinearSketch(self.method, self.data + other.data,
                            n_rows=self.n_rows + other.n_rows, n_cols=self.n_cols,
                            fingerprint=self.fingerprint, keyed=self.keyed or other.keyed,
                            vector=self.vector, stream_version=self.stream_version)

    def save(self, path: str | Path) -> None:
        """Write the sketch to a ``.npz`` file (no pickle; see :mod:`sketch.sketchfile`)."""
        sketchfile.write(path, dict(
            kind=np.array("linear"), method=np.array(self.method), data=to_numpy(self.data),
            n_rows=np.int64(self.n_rows), n_cols=np.int64(self.n_cols),
            fingerprint=np.array(self.fingerprint), keyed=np.bool_(self.keyed),
            vector=np.bool_(self.vector), stream_version=np.int64(self.stream_version)))


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
                         float(total), n_rows=int(n_rows), n_cols=int(n_cols), fingerprint=fp,
                         keyed=bool(keyed), vector=bool(vector))


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
    >>> from sketch.coordinated import priority_sample
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
