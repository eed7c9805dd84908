"""What a run of :func:`circuits.instantiate` costs, checked before it starts.

Its peak memory is the batched Jacobian (starts × angles × d² complex entries, with its
real stacking and the forward products), and each Levenberg–Marquardt iteration forms that
Jacobian and its normal matrix; ``max_iter`` iterations must fit the work budget
(:func:`sketch.budgets.check_work`) unless a ``time_limit`` bounds the run.

Examples
--------
>>> check_cost(2, 3, 24, starts=8, max_iter=300, time_limit=None)   # small: no error
"""

from __future__ import annotations

from sketch.budgets import check_allocation, check_work

__all__ = ["check_cost"]

# Per-iteration cost for the work rule (sketch.budgets.check_work), measured on a 2-core
# machine and rounded down: per start, angle and entry of the d x d Jacobian, forming it
# (about 1.5e-7 s) and its normal matrix (about 4e-10 s per further angle).
_JACOBIAN_S = 1e-7
_GRAM_S = 1e-10


def check_cost(n: int, cnots: int, p: int, starts: int, max_iter: int,
               time_limit: float | None) -> None:
    """Refuse a fit whose Jacobians cannot fit in memory or whose iterations would run past
    the work budget when no time limit bounds them."""
    what = f"instantiate of a {n}-qubit target with {cnots} CNOTs and starts={starts}"
    entries = float(starts) * (p + 1) * 4.0**n
    # the complex Jacobian, its real stacking and the forward products
    check_allocation(3 * 16 * entries, what, fix="use fewer starts or a shorter structure")
    if time_limit is None:
        check_work(max_iter * entries * (_JACOBIAN_S + _GRAM_S * (p + 1)),
                   f"{what} at max_iter={max_iter}",
                   fix="pass time_limit=seconds (the best fit so far is returned then) or a "
                       "smaller max_iter")
