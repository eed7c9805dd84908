"""Tour stop: numerical synthesis of a 3-qubit Haar unitary at the CNOT lower bound.

qla's numerical search against Qiskit's exact quantum Shannon decomposition
(``qs_decomposition``): CNOT counts (ours 14 = the lower bound, QSD 19),
distance of each circuit's ``Operator`` to the target, and qla's time. QSD
uses more CNOTs, so it does not do the same job and no speed-up is claimed.

Examples
--------
>>> import numpy as np
>>> stop = run(0, np)  # doctest: +SKIP
>>> stop.case  # doctest: +SKIP
'3-qubit Haar U: 14 CX (bound 14) vs QSD 19 CX'
"""

from __future__ import annotations

from types import ModuleType

from . import Stop


def run(seed: int, xp: ModuleType) -> Stop:
    from qiskit.synthesis import qs_decomposition
    from scipy.stats import unitary_group

    from circuits.synthesis import synthesize
    from circuits.targets import operator_distance

    U = unitary_group.rvs(8, random_state=seed)
    res = synthesize(xp.asarray(U), method="numerical", tol=1e-8, seed=seed, progress=False,
                     time_limit=5.0)
    dist = operator_distance(U, res.circuit)
    qsd = qs_decomposition(U)
    d_qsd = operator_distance(U, qsd)
    case = (f"3-qubit Haar U: {res.cnot_count} CX (bound {res.lower_bound}) "
            f"vs QSD {qsd.count_ops().get('cx', 0)} CX")
    return Stop(area="synthesis", case=case,
                accuracy=f"distance {dist:.1e} (QSD {d_qsd:.1e})",
                seconds=res.seconds,
                baseline="qiskit qs_decomposition (more CNOTs: a different job)")
