"""Effective resistances and Spielman–Srivastava spectral sparsification."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse

from sketch import effective_resistances, graph_edges, quadratic_form_check, sparsify
from sketch.errors import NonFiniteError, NotHermitianError


def weighted(G: nx.Graph, seed: int = 0) -> nx.Graph:
    rng = np.random.default_rng(seed)
    for u, v in G.edges:
        G[u][v]["weight"] = float(rng.uniform(0.5, 2.0))
    return G


def pinv_resistances(G: nx.Graph, E) -> np.ndarray:
    L = nx.laplacian_matrix(G, nodelist=list(G.nodes)).toarray()
    Lp = np.linalg.pinv(L)
    return Lp[E.u, E.u] + Lp[E.v, E.v] - 2 * Lp[E.u, E.v]


def spectral_distortion(G: nx.Graph, H: nx.Graph) -> tuple[float, float]:
    """Extreme generalised eigenvalues of (L_H, L_G) on range(L_G): the worst case over all x."""
    nodes = list(G.nodes)
    LG = nx.laplacian_matrix(G, nodelist=nodes).toarray()
    LH = nx.laplacian_matrix(H, nodelist=nodes).toarray()
    w, V = np.linalg.eigh(LG)
    keep = w > 1e-9 * w.max()
    T = V[:, keep] / np.sqrt(w[keep])
    ev = np.linalg.eigvalsh(T.T @ LH @ T)
    return float(ev.min()), float(ev.max())


def test_exact_resistances_known_values_and_pinv():
    R = effective_resistances(nx.cycle_graph(4), method="exact")
    np.testing.assert_allclose(R.resistance, 0.75)
    R = effective_resistances(nx.path_graph(5), method="exact")
    np.testing.assert_allclose(R.resistance, 1.0)
    G = weighted(nx.gnp_random_graph(80, 0.2, seed=1))
    R = effective_resistances(G, method="exact")
    np.testing.assert_allclose(R.resistance, pinv_resistances(G, R.edges), atol=1e-12)
    assert R.leverage.sum() == pytest.approx(80 - 1)  # Σ wₑRₑ = n − c (Foster's theorem)


def test_sketched_resistances_within_jl_accuracy():
    G = weighted(nx.random_regular_graph(6, 800, seed=2), seed=2)
    eps = 0.5
    exact = effective_resistances(G, method="exact").resistance
    R = effective_resistances(G, method="sketch", eps=eps, seed=0)
    assert R.method == "sketch"
    ratio = R.resistance / exact
    # Achlioptas (2003): k = (4 ln n + 2 ln(1/δ))/(ε²/2 − ε³/3) rows keep every Rₑ within 1 ± ε
    # with probability ≥ 1 − δ (δ = 0.05 here)
    assert ratio.min() >= 1 - eps and ratio.max() <= 1 + eps
    assert np.median(np.abs(ratio - 1)) < 0.1  # typical error ≈ √(2/k) ≈ 6 %
    again = effective_resistances(G, method="sketch", eps=eps, seed=0).resistance
    np.testing.assert_array_equal(R.resistance, again)


@pytest.mark.parametrize("seed", range(3))
def test_sparsifier_is_spectral_approximation(seed):
    G = weighted(nx.complete_graph(240), seed=3)
    eps = 0.5
    H = sparsify(G, eps=eps, seed=seed)
    assert H.number_of_nodes() == 240
    assert H.number_of_edges() < 0.5 * G.number_of_edges()
    lo, hi = spectral_distortion(G, H)
    assert 1 - eps <= lo and hi <= 1 + eps  # (1±ε) xᵀL_Gx for ALL x, w.p. ≥ 1 − δ
    q = quadratic_form_check(G, H, seed=seed)
    assert q <= max(1 - lo, hi - 1) + 1e-12  # random vectors never beat the worst case
    assert q <= eps


def test_sparsifier_total_weight_unbiased():
    G = weighted(nx.complete_graph(120), seed=4)
    W = G.size(weight="weight")
    ratios = [sparsify(G, eps=0.5, seed=s).size(weight="weight") / W for s in range(4)]
    assert abs(np.mean(ratios) - 1) < 0.05


def test_disconnected_graph_documented_behaviour():
    """Components are handled separately, isolated vertices are kept, Σ wR = n − c."""
    G = nx.disjoint_union(weighted(nx.complete_graph(60), 5), weighted(nx.complete_graph(50), 6))
    G.add_node("isolated")
    R = effective_resistances(G, method="exact")
    assert R.components == 3
    assert R.leverage.sum() == pytest.approx(111 - 3)
    np.testing.assert_allclose(R.resistance, pinv_resistances(G, R.edges), atol=1e-12)
    H = sparsify(G, eps=0.5, seed=0)
    assert set(H.nodes) == set(G.nodes) and H.degree("isolated") == 0
    assert not any(nx.has_path(H, 0, 60 + j) for j in range(3))  # no edge crosses components
    lo, hi = spectral_distortion(G, H)
    assert 0.5 <= lo and hi <= 1.5
    assert quadratic_form_check(G, H, seed=0) <= 0.5


def test_laplacian_in_laplacian_out():
    G = weighted(nx.complete_graph(100), seed=7)
    L = nx.laplacian_matrix(G).astype(np.float64).tocsr()
    H = sparsify(L, eps=0.5, seed=0)
    assert scipy.sparse.issparse(H) and H.shape == L.shape and H.dtype == L.dtype
    assert abs(H.sum(axis=1)).max() < 1e-9  # still a Laplacian
    assert H.nnz < L.nnz
    assert quadratic_form_check(L, H, seed=1) <= 0.5
    Rg = effective_resistances(G, method="exact").resistance
    Rl = effective_resistances(L, method="exact").resistance
    np.testing.assert_allclose(np.sort(Rl), np.sort(Rg), atol=1e-12)


def test_negative_weights_rejected():
    G = nx.path_graph(4)
    G[1][2]["weight"] = -1.0
    with pytest.raises(ValueError, match="negative weight"):
        sparsify(G)
    L = nx.laplacian_matrix(nx.path_graph(4)).astype(float).tolil()
    L[0, 3] = L[3, 0] = 0.5  # positive off-diagonal = negative edge weight
    L[0, 0] -= 0.5
    L[3, 3] -= 0.5
    with pytest.raises(ValueError, match="negative edge"):
        effective_resistances(L.tocsr())


def test_other_bad_input():
    with pytest.raises(TypeError, match="undirected"):
        sparsify(nx.DiGraph([(0, 1), (1, 2)]))
    with pytest.raises(TypeError):
        sparsify(np.eye(3))
    G = nx.path_graph(3)
    G[0][1]["weight"] = float("nan")
    with pytest.raises(NonFiniteError):
        graph_edges(G)
    L = scipy.sparse.csr_matrix(np.array([[1.0, -1.0, 0], [-0.5, 1.0, -0.5], [0, -1.0, 1.0]]))
    with pytest.raises(NotHermitianError):
        graph_edges(L)
    L = scipy.sparse.csr_matrix(np.array([[2.0, -1.0], [-1.0, 1.0]]))
    with pytest.raises(ValueError, match="sum to zero"):
        graph_edges(L)
    with pytest.raises(ValueError, match="eps"):
        effective_resistances(nx.path_graph(3), eps=2.0)
    with pytest.raises(ValueError, match="method"):
        effective_resistances(nx.path_graph(3), method="bogus")


def test_edgeless_graph_and_self_loops():
    G = nx.empty_graph(5)
    H = sparsify(G, seed=0)
    assert H.number_of_nodes() == 5 and H.number_of_edges() == 0
    G = nx.path_graph(4)
    G.add_edge(2, 2, weight=3.0)  # a self-loop does not change L
    assert graph_edges(G).m == 3


@pytest.mark.gpu
def test_cupy_laplacian(cupy):
    import cupyx.scipy.sparse as csp

    G = weighted(nx.complete_graph(80), seed=8)
    L = nx.laplacian_matrix(G).astype(np.float64).tocsr()
    Ld = csp.csr_matrix(L)
    R = effective_resistances(Ld, method="exact")
    np.testing.assert_allclose(cupy.asnumpy(R.resistance),
                               effective_resistances(L, method="exact").resistance, atol=1e-10)
    H = sparsify(Ld, eps=0.5, seed=0)
    assert csp.issparse(H)
    assert quadratic_form_check(Ld, H, seed=0) <= 0.5


def test_jl_width_is_achlioptas_bound():
    """The JL width solves (4 + 2γ) ln n / (ε²/2 − ε³/3) with n^−γ = δ, and shrinks as δ grows."""
    from sketch.sizing import jl_distance_size

    n, eps, delta = 800, 0.5, 0.05
    gamma = math.log(1 / delta) / math.log(n)
    assert jl_distance_size(n, eps, delta) == math.ceil(
        (4 + 2 * gamma) * math.log(n) / (eps**2 / 2 - eps**3 / 3))
    assert jl_distance_size(n, eps, 0.5) < jl_distance_size(n, eps, 0.01)
    with pytest.raises(ValueError, match="delta"):
        jl_distance_size(n, eps, 0)
