"""The optimize benchmark's circuits are what they say, and its goal lines read the rows right."""

from __future__ import annotations

import itertools

from qiskit.quantum_info import Statevector

from benchmarks.optimize import cuccaro_adder, goals


def test_cuccaro_adder_adds():
    bits = 2
    qc = cuccaro_adder(bits)
    n = qc.num_qubits
    for c, a, b in itertools.product(range(2), range(2**bits), range(2**bits)):
        state = c
        for i in range(bits):
            state |= ((a >> i) & 1) << (1 + 2 * i) | ((b >> i) & 1) << (2 + 2 * i)
        out = int(Statevector.from_int(state, 2**n).evolve(qc).probabilities().argmax())
        total = a + b + c
        got_b = sum(((out >> (2 + 2 * i)) & 1) << i for i in range(bits))
        got_a = sum(((out >> (1 + 2 * i)) & 1) << i for i in range(bits))
        assert (got_a, got_b, out & 1, out >> (n - 1)) == (a, total % 2**bits, c,
                                                           total >> bits)


def test_goal_lines():
    rows = []
    for name, o3, ours, bq, t_ours, t_bq in [("x", 10, 8, 9, 1.0, 10.0),
                                             ("y", 20, 20, 18, 1.0, 4.0)]:
        rows += [{"circuit": name, "method": "input", "cx": 30},
                 {"circuit": name, "method": "qiskit-o3", "cx": o3, "reduction": 1 - o3 / 30,
                  "seconds": 0.1},
                 {"circuit": name, "method": "qla", "cx": ours, "reduction": 1 - ours / 30,
                  "seconds": t_ours},
                 {"circuit": name, "method": "bqskit", "cx": bq, "reduction": 1 - bq / 30,
                  "seconds": t_bq}]
    g1, g2, g3 = goals(rows, use_bq=True)
    assert "NOT met (1 of 2; not on: y)" in g1
    assert g2.startswith("Goal 2") and "NOT met" in g2  # median 23.3% < 25%
    assert "MET on the median" in g3 and "0.17" in g3  # ratios 0.1 and 0.25: median 0.175
    assert "not measured" in goals(rows[:3], use_bq=False)[1]
