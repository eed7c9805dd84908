"""The numerical search over CNOT structures behind ``synthesize(method="numerical")``.

Layered templates at the CNOT lower bound first (every allowed pair in turn,
the "sequential" ansatz of Madden and Simonetto 2022), escalating on failure;
below the bound (special targets) a bisection on the count, scanning CNOT
removal (as BQSKit's ``ScanningGateRemovalPass``) and a bottom-up A* over CNOT
placements (QSearch, Davis et al. 2020, with LEAP-style warm starts, Smith et
al. 2023). Each template is fitted by :func:`circuits.instantiate.instantiate`.

Examples
--------
>>> coupling_pairs(3, None)
[(0, 1), (0, 2), (1, 2)]
"""

from __future__ import annotations

import heapq
import itertools
import time
from typing import Any

import numpy as np

from .instantiate import InstantiationResult, instantiate

__all__ = ["Search", "coupling_pairs", "single_thread_blas"]


class Search:
    """State of one numerical search: best circuits, budget, progress, trace."""

    def __init__(self, U, n, tol, pairs, starts, key, deadline, bar):
        self.U, self.n, self.tol, self.pairs = U, n, tol, pairs
        self.starts, self.key, self.deadline, self.bar = starts, key, deadline, bar
        self.best: InstantiationResult | None = None  # fewest CNOTs among converged
        self.closest: InstantiationResult | None = None  # smallest distance overall
        self.trace: list[tuple[int, float]] = []
        self.count = 0

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.perf_counter() >= self.deadline

    def layered(self, L: int) -> list[tuple[int, int]]:
        return [self.pairs[i % len(self.pairs)] for i in range(L)]

    def fit(self, structure, starts=None, x0=None) -> InstantiationResult:
        left = None if self.deadline is None else max(0.0, self.deadline - time.perf_counter())
        self.count += 1
        r = instantiate(
            self.U, structure, starts=starts or self.starts, tol=self.tol,
            seed=self.key.child(self.count), x0=x0, time_limit=left,
            max_iter=200 + 4 * len(structure),
        )
        L = len(structure)
        self.trace.append((L, r.distance))
        if r.converged and (self.best is None or L < len(self.best.structure)
                            or (L == len(self.best.structure) and r.distance < self.best.distance)):
            self.best = r
        if self.closest is None or r.distance < self.closest.distance:
            self.closest = r
        if self.bar is not None:
            self.bar.update(1)
            b = len(self.best.structure) if self.best else "-"
            # refresh=False: a refresh would print the bar before tqdm's 2 s delay
            self.bar.set_postfix_str(f"tried {L} CX, best {b} CX, dist {self.closest.distance:.1e}",
                                     refresh=False)
        return r

    def top_down(self, L: int) -> int | None:
        """Layered structures: a count that converges, from ``L`` up (escalating on failure)."""
        while True:  # at least one fit, even past the deadline, so there is a circuit to return
            r = self.fit(self.layered(L))
            if not r.converged and not self.out_of_time():
                r = self.fit(self.layered(L), starts=2 * self.starts)  # fresh starts, same count
            if r.converged:
                return L
            if L >= self.max_cnots:
                return None
            if self.out_of_time():
                return None
            L = min(self.max_cnots, L + max(1, L // 8))

    def bisect(self, ok: int) -> int:
        """Smallest layered count that converges, assuming the family is monotone."""
        lo = -1
        hi = ok
        while hi - lo > 1 and not self.out_of_time():
            # test ok-1 first: the cheap exit for generic targets
            first = hi == ok
            mid = hi - 1 if first else (lo + hi) // 2
            # all starts even for the first test: a special U is not always easy one CNOT
            # below the bound (about half of single starts fail), so skimping here
            # misclassifies it as generic
            r = self.fit(self.layered(mid))
            if r.converged:
                hi = mid
            else:
                lo = mid
                if first:
                    break
        return hi

    def prune(self, budget: int) -> None:
        """Delete CNOTs one at a time while the rest still reaches ``tol``.

        Top-down scanning gate removal (as BQSKit's ``ScanningGateRemovalPass``):
        drop one CNOT (and the two gates after it) from the best circuit, warm
        start from its angles, accept at the first removal that converges and
        rescan, until no single CNOT can go or ``budget`` templates were tried.
        """
        improved = True
        start = self.count
        while improved and self.best is not None and not self.out_of_time():
            improved = False
            st, x = self.best.structure, self.best.params.reshape(-1, 3)
            n = self.n
            for i in reversed(range(len(st))):
                child = st[:i] + st[i + 1:]
                keep = [k for k in range(len(x)) if k not in (n + 2 * i, n + 2 * i + 1)]
                r = self.fit(child, starts=max(2, self.starts // 2), x0=x[keep].ravel())
                if r.converged:
                    improved = True
                    break
                if self.out_of_time() or self.count - start >= budget:
                    return

    def astar(self, limit: int, weight: float, budget: int) -> None:
        """Bottom-up A* over CNOT placements (QSearch, Davis et al. 2020) below ``limit`` CNOTs.

        A node is a CNOT list; its priority is ``#CNOTs + weight · distance``
        after instantiation (QSearch's heuristic, weight 10). Children append
        one CNOT on an allowed pair and are warm-started from the parent's
        angles with the new gates at identity (LEAP's prefix reuse, Smith et
        al. 2023). Stops at the first child that reaches ``tol``.
        """
        if limit <= 1:
            return
        heap: list[tuple[float, int, list[tuple[int, int]], Any]] = [(0.0, 0, [], None)]
        tie = 0
        start = self.count
        while heap and not self.out_of_time() and self.count - start < budget:
            _, _, s, params = heapq.heappop(heap)
            for pair in self.pairs:
                child = s + [pair]
                if len(child) >= 4 and len(set(child[-4:])) == 1:
                    continue  # 4 CNOTs on one pair in a row: 3 always suffice (KAK)
                x0 = None if params is None else np.concatenate([params, np.zeros(6)])
                r = self.fit(child, starts=max(2, self.starts // 2), x0=x0)
                if r.converged:
                    return
                if len(child) + 1 < limit:
                    tie += 1
                    heapq.heappush(heap, (len(child) + weight * r.distance, tie, child, r.params))
                if self.out_of_time():
                    return


def single_thread_blas() -> Any:
    """Limit BLAS to one thread while searching, if threadpoolctl is installed.

    The search multiplies thousands of tiny (d ≤ 16) matrices; BLAS threads only
    add synchronisation, which on a loaded machine costs 3-10x.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=1, user_api="blas")


def coupling_pairs(n: int, coupling_map: Any) -> list[tuple[int, int]]:
    if coupling_map is None:
        return list(itertools.combinations(range(n), 2))
    pairs = []
    for e in coupling_map:
        a, b = (int(v) for v in e)
        if not (0 <= a < n and 0 <= b < n) or a == b:
            raise ValueError(f"coupling_map edge {tuple(e)} is not a pair of distinct qubits < {n}")
        p = (min(a, b), max(a, b))
        if p not in pairs:
            pairs.append(p)
    import networkx as nx

    g = nx.Graph(pairs)
    g.add_nodes_from(range(n))
    if n > 1 and not nx.is_connected(g):
        raise ValueError("coupling_map does not connect all qubits; no circuit on it can reach U")
    return pairs
