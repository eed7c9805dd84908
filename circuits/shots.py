"""What sampling a number of shots costs: the one estimate :func:`qla.run` and
:func:`circuits.statistics.aer_collision_probability` check before asking Aer.

Examples
--------
>>> check_shots(1000, 2, 5, fix="ask for fewer shots")     # small: no error
"""

from __future__ import annotations

import math

from sketch.budgets import check_allocation, check_work

__all__ = ["check_shots"]

# Aer's sampler per shot, measured on a 2-core machine and rounded down: about 2 us a shot
# plus about 0.4 us per measured bit (the bitstring and its count); the results keep a packed
# bit array per shot plus Aer's own per-shot record (about 64 bytes).
_SHOT_S = 1e-6
_SHOT_BIT_S = 1e-7
_SHOT_BYTES = 64


def check_shots(shots: int, circuits: int, bits: int, *, fix: str) -> None:
    """Refuse ``shots`` on each of ``circuits`` circuits measuring ``bits`` bits whose
    results cannot fit in memory (:func:`~sketch.budgets.check_allocation`) or whose
    sampling would run past the work budget (:func:`~sketch.budgets.check_work`)."""
    what = f"shots={shots} on {circuits} circuit(s)"
    check_allocation(float(shots) * circuits * (2 * math.ceil(bits / 8) + _SHOT_BYTES),
                     f"the results of {what}", fix=fix)
    check_work(float(shots) * circuits * (_SHOT_S + _SHOT_BIT_S * bits), f"sampling {what}",
               fix=fix)
