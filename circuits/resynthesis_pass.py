"""``BlockResynthesis``: :func:`circuits.optimize` as a Qiskit transpiler pass.

It slots into a ``PassManager`` or a preset pass manager's stages, e.g. after
translation to ``cx``/``u`` (its output basis) in the optimisation stage::

    pm = generate_preset_pass_manager(optimization_level=3, basis_gates=["cx", "u"])
    pm.optimization.append(BlockResynthesis(seed=0))

On a routed circuit give it the coupling map (or the backend, or let it take
the pass manager's ``target``): blocks are then resynthesised with CNOTs on
coupled pairs only. The distance bounds of the last run are left in the
property set as ``block_resynthesis_distance_bound`` (operator norm) and
``block_resynthesis_hs_distance_bound``.

Examples
--------
>>> from qiskit import QuantumCircuit
>>> from qiskit.transpiler import PassManager
>>> qc = QuantumCircuit(3); _ = qc.ccx(0, 1, 2); _ = qc.ccx(0, 1, 2)
>>> out = PassManager([BlockResynthesis(seed=0, progress=False)]).run(qc)
>>> out.count_ops().get("cx", 0)
0
"""

from __future__ import annotations

from typing import Any

from qiskit.transpiler.basepasses import TransformationPass

from .optimization import _check_workers, coupling_pairs, optimize

__all__ = ["BlockResynthesis"]


class BlockResynthesis(TransformationPass):
    """Resynthesise blocks of ``≤ block_size`` qubits with fewer CNOTs (see :func:`optimize`).

    Parameters
    ----------
    block_size, tolerance, workers, seed, progress
        As for :func:`circuits.optimize`.
    coupling_map : None, list of pairs, CouplingMap or BackendV2
        Coupled pairs the (routed) input respects.
    target : qiskit.transpiler.Target, optional
        Its coupling map is used when ``coupling_map`` is not given.
    """

    def __init__(self, block_size: int = 4, coupling_map: Any = None, target: Any = None,
                 tolerance: float = 1e-10, workers: Any = None, seed: Any = None,
                 progress: bool | None = None) -> None:
        super().__init__()
        # check the cheap arguments now, so a bad pass fails where it is built
        self._pairs = coupling_pairs(coupling_map if coupling_map is not None else target)
        _check_workers(workers)
        self.block_size, self.tolerance = block_size, tolerance
        self.workers, self.seed, self.progress = workers, seed, progress

    def run(self, dag: Any) -> Any:
        from qiskit.converters import circuit_to_dag, dag_to_circuit

        qc = dag_to_circuit(dag)
        res = optimize(qc, block_size=self.block_size,
                       coupling_map=None if self._pairs is None else sorted(self._pairs),
                       tolerance=self.tolerance, workers=self.workers, seed=self.seed,
                       progress=self.progress)
        self.property_set["block_resynthesis_distance_bound"] = res.distance_bound
        self.property_set["block_resynthesis_hs_distance_bound"] = res.hs_distance_bound
        if res.replaced == 0:
            return dag  # nothing changed: keep the input's gates (and basis) as they were
        return circuit_to_dag(res.circuit)
