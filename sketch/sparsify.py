"""Spectral sparsification of graphs by effective resistances (Spielman–Srivastava).

For a weighted undirected graph with Laplacian ``L = Bᵀ W B`` (B the m × n
signed edge–vertex incidence matrix), the effective resistance of edge
e = (u, v) is ``Rₑ = (χᵤ − χᵥ)ᵀ L⁺ (χᵤ − χᵥ) = ‖W^{1/2} B L⁺ (χᵤ − χᵥ)‖²``, and
``wₑRₑ`` is the leverage score of row e of ``W^{1/2}B`` (Σₑ wₑRₑ = n − c for c
connected components). Spielman and Srivastava (2008), "Graph sparsification
by effective resistances": estimate all Rₑ at once by projecting with a JL
matrix Q (k = O(log n/ε²) rows) — ``Z = L⁺ (Q W^{1/2} B)ᵀ``, ``Rₑ ≈ ‖Zᵤ − Zᵥ‖²`` —
then sample O(n log n / ε²) edges with probability ``pₑ ∝ wₑRₑ`` and give a
sampled edge weight ``wₑ/(q pₑ)`` per draw. With probability ≥ 1 − δ the
sparsifier H satisfies ``(1−ε) xᵀLx ≤ xᵀHx ≤ (1+ε) xᵀLx`` for all x.

Input and output: a ``networkx.Graph`` (edge attribute ``weight``, default 1)
or a scipy/cupyx sparse Laplacian; the output has the input's type.

Disconnected graphs are fine: L⁺ acts on each connected component separately,
so the Laplacian is *grounded* once per component (one vertex's row and column
removed, which leaves a nonsingular matrix), resistances are computed within
components (every edge lies inside one), the sample size uses the rank n − c,
and isolated vertices are kept (without edges). Self-loops do not change L and
are dropped.

Examples
--------
>>> import networkx as nx
>>> G = nx.complete_graph(60)
>>> H = sparsify(G, eps=0.5, seed=0)
>>> H.number_of_nodes(), H.number_of_edges() < G.number_of_edges()
(60, True)
>>> quadratic_form_check(G, H, seed=1) < 0.5
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backend import array_module, is_sparse, is_torch, sparse, to_numpy
from .budgets import check_allocation
from .checks import check_backend, check_positive_int, check_tolerance
from .errors import NonFiniteError, NotHermitianError, ShapeError
from .leverage import leverage_sample_size
from .operators import Rademacher
from .rng import as_key
from .rowsample import sample_rows
from .sizing import jl_distance_size

__all__ = [
    "EffectiveResistances",
    "GraphEdges",
    "graph_edges",
    "effective_resistances",
    "sparsify",
    "quadratic_form_check",
]


@dataclass
class GraphEdges:
    """A weighted undirected graph as an edge list (u < v), on some array device.

    Attributes
    ----------
    n : int
        Number of vertices (0..n−1).
    u, v : int64 arrays (m,)
    w : float arrays (m,), positive
    nodes : list or None
        The networkx node labels in vertex order (None for Laplacian input).
    xp : module
        numpy or cupy.
    """

    n: int
    u: Any
    v: Any
    w: Any
    nodes: list | None
    xp: Any

    @property
    def m(self) -> int:
        return int(self.u.shape[0])

    def laplacian(self) -> Any:
        """The sparse Laplacian (CSR) on the edges' device."""
        xp = self.xp
        rows = xp.concatenate([self.u, self.v, self.u, self.v])
        cols = xp.concatenate([self.v, self.u, self.u, self.v])
        vals = xp.concatenate([-self.w, -self.w, self.w, self.w])
        return sparse(xp).coo_matrix((vals, (rows, cols)), shape=(self.n, self.n)).tocsr()

    def components(self) -> tuple[int, np.ndarray]:
        """(count, labels) of connected components (computed on the host: graph structure only)."""
        import scipy.sparse
        import scipy.sparse.csgraph

        u, v = to_numpy(self.u), to_numpy(self.v)
        adj = scipy.sparse.coo_matrix((np.ones(u.shape[0]), (u, v)), shape=(self.n, self.n))
        return scipy.sparse.csgraph.connected_components(adj, directed=False)


def graph_edges(G: Any) -> GraphEdges:
    """Validate a networkx graph or sparse Laplacian and return its edge list.

    Raises
    ------
    ValueError
        Negative or non-finite edge weights; a Laplacian whose rows do not sum to
        zero or with positive off-diagonal entries.
    NotHermitianError
        A non-symmetric Laplacian.
    TypeError
        Directed graphs and multigraphs, or other objects.

    Examples
    --------
    >>> import networkx as nx
    >>> E = graph_edges(nx.path_graph(3))
    >>> E.n, E.u.tolist(), E.v.tolist(), E.w.tolist()
    (3, [0, 1], [1, 2], [1.0, 1.0])
    """
    return _graph_edges(G, "G")


def _graph_edges(G: Any, name: str) -> GraphEdges:
    try:
        import networkx as nx
    except ImportError:  # pragma: no cover - networkx is a core dependency
        nx = None
    if nx is not None and isinstance(G, nx.Graph):
        if G.is_directed() or G.is_multigraph():
            raise TypeError(f"{name}: sparsification needs an undirected simple graph "
                            f"(networkx.Graph); convert with nx.Graph({name}.to_undirected())")
        nodes = list(G.nodes())
        index = {node: i for i, node in enumerate(nodes)}
        us, vs, ws = [], [], []
        for a, b, data in G.edges(data=True):
            wt = data.get("weight", 1.0)
            if isinstance(wt, bool) or not isinstance(wt, (int, float, np.integer, np.floating)):
                raise TypeError(f"{name} has edge ({a!r}, {b!r}) of non-numeric weight {wt!r}")
            wt = float(wt)
            if not math.isfinite(wt):
                raise NonFiniteError(f"{name} has edge ({a!r}, {b!r}) of weight {wt}; weights "
                                     "must be finite")
            if wt < 0:
                raise ValueError(f"{name} has edge ({a!r}, {b!r}) of negative weight {wt}; "
                                 "effective resistances and sparsification need weights >= 0")
            if a == b or wt == 0:
                continue  # self-loops and zero weights do not change the Laplacian
            i, j = index[a], index[b]
            us.append(min(i, j))
            vs.append(max(i, j))
            ws.append(wt)
        return GraphEdges(len(nodes), np.asarray(us, dtype=np.int64),
                          np.asarray(vs, dtype=np.int64), np.asarray(ws, dtype=np.float64),
                          nodes, np)
    if is_torch(G):
        # Edge lists, components and the Laplacian solver are SciPy's (or cupyx's).
        check_backend(G, name, ("numpy", "cupy"), "graph sparsification",
                      f"pass a networkx.Graph or a scipy.sparse Laplacian, e.g. "
                      f"scipy.sparse.csr_matrix({name}.cpu().numpy())")
    if is_sparse(G):
        return _laplacian_edges(G, name)
    raise TypeError(f"{name} must be a networkx.Graph or a sparse Laplacian, got "
                    f"{type(G).__name__}")


def _laplacian_edges(L: Any, name: str) -> GraphEdges:
    xp = array_module(L)
    if L.ndim != 2 or L.shape[0] != L.shape[1] or L.shape[0] == 0:
        raise ShapeError(f"{name}: a Laplacian must be square and non-empty, got shape "
                         f"{L.shape}")
    if L.dtype.kind not in "fi":
        raise TypeError(f"{name}: a Laplacian must be real, got dtype {L.dtype}")
    n = L.shape[0]
    C = L.tocoo()
    if not bool(xp.isfinite(C.data).all()):
        raise NonFiniteError(f"the Laplacian {name} holds NaN or infinity")
    scale = float(abs(C.data).max()) if C.nnz else 1.0
    asym = L - L.T
    if asym.nnz and float(abs(asym).max()) > 1e-10 * scale:
        raise NotHermitianError(f"the Laplacian {name} is not symmetric; an undirected graph "
                                "has L = Lᵀ")
    off = C.row != C.col
    r, c, val = C.row[off], C.col[off], C.data[off]
    if bool((val > 1e-12 * scale).any()):
        raise ValueError(f"the Laplacian {name} has positive off-diagonal entries, i.e. "
                         "negative edge weights; sparsification needs weights >= 0")
    rowsum = xp.asarray(L.sum(axis=1)).ravel()
    if float(xp.abs(rowsum).max()) > 1e-8 * scale * max(1, n):
        raise ValueError(f"the rows of the Laplacian {name} do not sum to zero; pass L = D − W")
    upper = (r < c) & (val < 0)
    return GraphEdges(n, r[upper].astype(xp.int64), c[upper].astype(xp.int64),
                      (-val[upper]).astype(xp.float64), None, xp)


# Grounded Laplacians up to this order are factorised densely (Cholesky).
_DENSE_LIMIT = 4000


class _GroundedSolver:
    """Solves L z = y for y summing to zero on every component (grounded Laplacian)."""

    def __init__(self, E: GraphEdges):
        self.E = E
        ncomp, labels = E.components()
        # Ground the first vertex of every component: the rest of L is nonsingular.
        first = np.full(ncomp, -1)
        for i, lab in enumerate(labels):
            if first[lab] < 0:
                first[lab] = i
        keep = np.ones(E.n, dtype=bool)
        keep[first] = False
        self.keep = keep
        self.ncomp = ncomp
        xp = E.xp
        self.idx = xp.asarray(np.nonzero(keep)[0])
        L = E.laplacian()
        self.Lg = L[self.idx][:, self.idx].tocsc()
        self._lu = None
        self._chol = None
        ng = self.Lg.shape[0]
        if 0 < ng <= _DENSE_LIMIT:
            # Expander-like graphs fill in completely under sparse LU; a dense Cholesky
            # of the (SPD) grounded Laplacian is much faster up to a few thousand vertices.
            self._chol = xp.linalg.cholesky(self.Lg.toarray())
        elif ng and xp is np:
            import scipy.sparse.linalg

            self._lu = scipy.sparse.linalg.splu(self.Lg)

    def solve(self, Y: Any) -> Any:
        """Z (n × k) with L Z = Y, Z = 0 on the grounded vertices."""
        xp = self.E.xp
        Z = xp.zeros((self.E.n, Y.shape[1]), dtype=xp.float64)
        if self.Lg.shape[0] == 0:
            return Z
        rhs = Y[self.idx]
        if self._chol is not None:
            from .backend import solve_triangular

            t = solve_triangular(self._chol, rhs, lower=True)
            Z[self.idx] = solve_triangular(self._chol, t, lower=True, trans="T")
        elif self._lu is not None:
            Z[self.idx] = self._lu.solve(np.ascontiguousarray(rhs))
        else:  # CuPy: conjugate gradients column by column on the SPD grounded Laplacian
            from .backend import sparse_linalg

            cg = sparse_linalg(xp).cg
            Lg = self.Lg.tocsr()
            for j in range(rhs.shape[1]):
                Z[self.idx, j] = cg(Lg, rhs[:, j], tol=1e-10, maxiter=10 * Lg.shape[0])[0]
        return Z


@dataclass
class EffectiveResistances:
    """Effective resistances of a graph's edges.

    Attributes
    ----------
    edges : GraphEdges
    resistance : array (m,)
        Rₑ per edge, in the order of ``edges``.
    components : int
        Number of connected components c (Σ wₑRₑ = n − c).
    method : str
    """

    edges: GraphEdges
    resistance: Any
    components: int
    method: str

    @property
    def leverage(self) -> Any:
        """``wₑRₑ``: the leverage scores of ``W^{1/2}B``."""
        return self.edges.w * self.resistance


def effective_resistances(
    G: Any, *, method: str = "sketch", eps: float = 0.3, delta: float = 0.05, seed: Any = None
) -> EffectiveResistances:
    """Effective resistances of all edges, exactly or by the Spielman–Srivastava JL sketch.

    Parameters
    ----------
    G : networkx.Graph or sparse Laplacian
    method : {"sketch", "exact"}
        ``"sketch"``: Q (k × m) Rademacher with k rows from
        :func:`~sketch.sizing.jl_distance_size` for the n vertices (Achlioptas 2003:
        every Rₑ, a squared distance between two of the n projected points, within
        1 ± ε with probability ≥ 1 − δ; Spielman–Srivastava 2008, Thm 2, take
        24 ln n / ε² rows for probability 1 − 1/n), k solves with the
        grounded Laplacian (sparse LU on the host, CG on the GPU); where k ≥ n, exact.
        ``"exact"``: one solve per edge (small graphs).
    eps : float
        JL accuracy for ``method="sketch"``.
    delta : float
        Failure probability of that accuracy (``method="sketch"``).
    seed : None, int or Generator

    Returns
    -------
    EffectiveResistances

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> R = effective_resistances(nx.cycle_graph(4), method="exact")
    >>> np.round(R.resistance, 6).tolist()   # 1 ‖ 3 = 3/4
    [0.75, 0.75, 0.75, 0.75]
    """
    eps = check_tolerance(eps, "eps", upper=1)
    delta = check_tolerance(delta, "delta", upper=1)
    E = graph_edges(G)
    xp = E.xp
    solver = _GroundedSolver(E)
    if E.m == 0:
        return EffectiveResistances(E, xp.zeros(0), solver.ncomp, method)
    if method == "exact":
        # The grounded inverse (zero on grounded vertices) is a generalised inverse of L that
        # gives the same Rₑ as L⁺ for u, v in one component. Dense: O(n³), for small graphs.
        if E.n > 2 * _DENSE_LIMIT:
            raise ValueError(f"method='exact' forms an n × n inverse; n={E.n} is too large, "
                             "use method='sketch'")
        Linv = solver.solve(xp.eye(E.n))
        R = Linv[E.u, E.u] + Linv[E.v, E.v] - 2 * Linv[E.u, E.v]
        return EffectiveResistances(E, xp.maximum(R, 0), solver.ncomp, method)
    if method != "sketch":
        raise ValueError(f"method must be 'sketch' or 'exact', got {method!r}")
    k = jl_distance_size(E.n, eps, delta)
    if k >= E.n:  # the JL sketch would be wider than the identity: compute exactly
        return effective_resistances(G, method="exact")
    sw = xp.sqrt(E.w)
    rows = xp.arange(E.m)
    WB = sparse(xp).coo_matrix(
        (xp.concatenate([sw, -sw]), (xp.concatenate([rows, rows]), xp.concatenate([E.u, E.v]))),
        shape=(E.m, E.n)).tocsr()
    Y = Rademacher(k, E.m, seed=as_key(seed).child("JL")) @ WB  # k × n
    Z = solver.solve(xp.ascontiguousarray(Y.T))  # n × k
    D = Z[E.u] - Z[E.v]
    return EffectiveResistances(E, (D * D).sum(axis=1), solver.ncomp, method)


def sparsify(
    G: Any,
    eps: float = 0.5,
    delta: float = 0.1,
    *,
    size: int | None = None,
    method: str = "sketch",
    jl_eps: float = 0.3,
    seed: Any = None,
) -> Any:
    """Spectral sparsifier H of G with ``(1±ε) xᵀL_Gx`` quadratic forms (Spielman–Srivastava 2008).

    Samples q edges i.i.d. with ``pₑ ∝ wₑR̃ₑ`` and weights ``wₑ/(q pₑ)`` per draw
    (repeated draws add up). This is leverage-score sampling of ``W^{1/2}B``,
    so q is :func:`~sketch.leverage.leverage_sample_size` for rank n − c with
    β = (1 − jl_eps)/(1 + jl_eps) for sketched resistances — the
    O(n log n / ε²) of Spielman–Srivastava with the matrix-Bernstein constant.
    Sketched resistances take δ/2 of the failure probability (their JL width,
    :func:`effective_resistances`) and the sample the other δ/2; exact ones leave
    all of δ to the sample.

    Parameters
    ----------
    G : networkx.Graph or sparse Laplacian
    eps, delta : float
        Target distortion and failure probability.
    size : int, optional
        Number of draws q (overrides the formula).
    method : {"sketch", "exact"}
        How resistances are computed (:func:`effective_resistances`).
    jl_eps : float
        JL accuracy of the sketched resistances.
    seed : None, int or Generator

    Returns
    -------
    networkx.Graph or sparse Laplacian
        Same type as G (networkx output keeps all nodes; sparse output is CSR).
    """
    eps = check_tolerance(eps, "eps", upper=1)
    delta = check_tolerance(delta, "delta", upper=1)
    jl_eps = check_tolerance(jl_eps, "jl_eps", upper=1)
    key = as_key(seed)
    R = effective_resistances(G, method=method, eps=jl_eps, delta=delta / 2,
                              seed=key.child("resistances"))
    E = R.edges
    xp = E.xp
    rank = E.n - R.components
    if E.m == 0 or rank == 0:
        return _rebuild(G, E, E.u[:0], E.v[:0], E.w[:0])
    # Small graphs get exact resistances even for method="sketch" (the JL sketch would be
    # wider than the identity): then no JL slack is needed in the sample size.
    beta, delta_sample = (1.0, delta) if R.method == "exact" else (
        (1 - jl_eps) / (1 + jl_eps), delta / 2)
    q = (leverage_sample_size(rank, eps, delta_sample, beta) if size is None
         else check_positive_int(size, "size"))
    lev = xp.maximum(R.leverage, 0)
    smp = sample_rows(lev, q, key.child("edges"), scheme="effective-resistance")
    # Each draw adds w_e/(q p_e); repeated draws of an edge accumulate.
    acc = xp.bincount(smp.indices, weights=smp.weights, minlength=E.m)
    keep = acc > 0
    return _rebuild(G, E, E.u[keep], E.v[keep], (E.w * acc)[keep])


def _rebuild(G: Any, E: GraphEdges, u: Any, v: Any, w: Any) -> Any:
    if E.nodes is not None:
        import networkx as nx

        H = nx.Graph()
        H.add_nodes_from(E.nodes)
        un, vn, wn = to_numpy(u), to_numpy(v), to_numpy(w)
        H.add_weighted_edges_from(
            (E.nodes[a], E.nodes[b], float(c)) for a, b, c in zip(un, vn, wn))
        return H
    return GraphEdges(E.n, u, v, w, None, E.xp).laplacian().astype(G.dtype)


def quadratic_form_check(G: Any, H: Any, n_vectors: int = 200, seed: Any = None) -> float:
    """``maxₓ |xᵀL_Hx / xᵀL_Gx − 1|`` over random Gaussian x (component means removed).

    A cheap a-posteriori check of a sparsifier: for a (1±ε) spectral
    sparsifier the value is ≤ ε. (Random vectors probe typical directions; the
    worst case over all x is the extreme generalised eigenvalue.)

    Parameters
    ----------
    G, H : networkx.Graph or sparse Laplacian (same vertex set)
    n_vectors : int
    seed : None, int or Generator

    Examples
    --------
    >>> import networkx as nx
    >>> quadratic_form_check(nx.path_graph(5), nx.path_graph(5), seed=0)
    0.0
    """
    EG, EH = _graph_edges(G, "G"), _graph_edges(H, "H")
    if EG.n != EH.n:
        raise ShapeError(f"G has {EG.n} vertices and H has {EH.n}; they must match")
    xp = EG.xp
    n_vectors = check_positive_int(n_vectors, "n_vectors")
    # counters, normals and three products of n × n_vectors
    check_allocation(48 * EG.n * n_vectors, f"n_vectors={n_vectors} probes of {EG.n} vertices",
                     xp=xp, fix="use fewer n_vectors")
    LG, LH = EG.laplacian(), EH.laplacian()
    ncomp, labels = EG.components()
    g = as_key(seed).child("gauss").normal(
        xp.arange(EG.n * n_vectors, dtype=xp.uint64).reshape(EG.n, n_vectors), xp)
    lab = xp.asarray(labels)
    counts = xp.bincount(lab, minlength=ncomp).astype(xp.float64)
    for c in range(ncomp):  # remove the kernel (constants on each component)
        mask = lab == c
        g[mask] -= g[mask].sum(axis=0) / counts[c]
    qG = (g * (LG @ g)).sum(axis=0)
    qH = (g * (LH @ g)).sum(axis=0)
    ok = qG > 1e-12 * xp.abs(qG).max() if bool((qG > 0).any()) else qG > 0
    if not bool(ok.any()):
        return 0.0
    return float(xp.abs(qH[ok] / qG[ok] - 1).max())
