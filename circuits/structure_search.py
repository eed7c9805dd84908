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
from typing import Any

import numpy as np

from sketch.progress import IterationWatch

from .instantiate import InstantiationResult, instantiate

__all__ = ["Search", "coupling_pairs", "sequential_steps", "single_thread_blas"]

#: From this many qubits the search is sequential: layered templates from the lower bound
#: plus a margin, bisected down, fitted one start at a time in the reduced parameterisation.
SEQUENTIAL_QUBITS = 5
#: CNOTs above the lower bound of the first template (5 qubits: 260 for a bound of 252).
SEQUENTIAL_MARGIN = 8
#: Fresh starts per CNOT count in the bisection (the ``starts`` default from 5 qubits).
SEQUENTIAL_TRIES = 2
#: Levenberg-Marquardt steps per start (a converging 5-qubit start needs 30-250).
SEQUENTIAL_MAX_ITER = 300


def sequential_steps(margin: int, tries: int) -> int:
    """Worst-case Levenberg–Marquardt steps of :meth:`Search.sequential` (the bar's total).

    Examples
    --------
    >>> sequential_steps(8, 2)
    2700
    """
    return SEQUENTIAL_MAX_ITER * (1 + tries * max(0, margin).bit_length())


class Search:
    """State of one numerical search: best circuits, budget, progress, trace."""

    def __init__(self, U, n, tol, pairs, starts, key, watch: IterationWatch, max_iter=None,
                 reduced=False):
        self.U, self.n, self.tol, self.pairs = U, n, tol, pairs
        # the watch (sketch.progress) holds the deadline and the bar, opened per its progress=
        self.starts, self.key, self.watch = starts, key, watch
        # max_iter None: 200 + 4 L iterations per template, and the bar counts templates;
        # else that many, and the bar counts Levenberg-Marquardt steps (the sequential search)
        self.max_iter, self.reduced = max_iter, reduced
        self.best: InstantiationResult | None = None  # fewest CNOTs among converged
        self.closest: InstantiationResult | None = None  # smallest distance overall
        self.trace: list[tuple[int, float]] = []
        self.count = 0

    def out_of_time(self) -> bool:
        return self.watch.out_of_time()

    def layered(self, L: int) -> list[tuple[int, int]]:
        return [self.pairs[i % len(self.pairs)] for i in range(L)]

    def fit(self, structure, starts=None, x0=None) -> InstantiationResult:
        # no deadline: the search's own options bound the work, not instantiate's budget
        left = self.watch.remaining()
        self.count += 1
        L = len(structure)
        # per-step updates only where a bar may show (progress=False: no callback at all)
        steps = self.watch.progress is not False and self.max_iter is not None
        max_iter = 200 + 4 * L if self.max_iter is None else self.max_iter
        r = instantiate(
            self.U, structure, starts=starts or self.starts, tol=self.tol,
            seed=self.key.child(self.count), x0=x0, time_limit=left, max_iter=max_iter,
            reduced=self.reduced, callback=(lambda dist: self._step(L, dist)) if steps else None,
        )
        self.trace.append((L, r.distance))
        if r.converged and (self.best is None or L < len(self.best.structure)
                            or (L == len(self.best.structure) and r.distance < self.best.distance)):
            self.best = r
        if self.closest is None or r.distance < self.closest.distance:
            self.closest = r
        # a fit that ends early (converged or stalled) leaves its planned steps done
        self._step(L, self.closest.distance, max(0, max_iter - r.iterations) if steps else 1)
        return r

    def _step(self, L: int, dist: float, advance: int = 1) -> None:
        b = len(self.best.structure) if self.best else "-"
        self.watch.step(advance, note=f"fitting {L} CX at {dist:.1e}, best {b} CX")

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

    def sequential(self, first: int, lb: int, tries: int) -> None:
        """The search from 5 qubits: ``first`` CNOTs (escalating), then bisect down to ``lb``.

        Below ``lb`` only a special ``U`` converges; one test at ``lb − 1``
        (and a bisection below if it passes) finds those. No removal scans or
        A*: each 5-qubit fit costs seconds, and there are ~250 CNOTs to scan.
        """
        ok = self.top_down(first)
        if ok is None:
            return
        hi = self.descend(lb - 1, ok, tries)
        if hi == lb and not self.out_of_time():
            self.bisect(lb)

    def descend(self, lo: int, hi: int, tries: int) -> int:
        """Bisect the layered CNOT count in ``(lo, hi]``, ``hi`` known to converge.

        A count passes when one of ``tries`` fresh starts converges. Near the
        lower bound the fraction of starts that converge falls quickly with
        the count (a random-search study, arXiv:2311.17298, reports the same
        for random circuits), so this finds the count where success stops
        being likely, not a proof that fewer CNOTs cannot work.
        """
        while hi - lo > 1 and not self.out_of_time():
            mid = (lo + hi) // 2
            for _ in range(tries):
                if self.fit(self.layered(mid)).converged:
                    hi = mid
                    break
                if self.out_of_time():
                    return hi
            else:
                lo = mid
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
    """Limit BLAS to one thread while searching (threadpoolctl's limits; restore them after).

    The search multiplies thousands of tiny (d ≤ 16) matrices; BLAS threads only
    add synchronisation, which on a loaded machine costs 3-10x.
    """
    from threadpoolctl import threadpool_limits

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
