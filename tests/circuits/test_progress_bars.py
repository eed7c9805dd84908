"""The circuits' bars come from sketch.progress: one 2-second rule, one ``progress=``.

``synthesize`` and ``optimize`` built their tqdm bars inline (tqdm's own ``delay=2``, any
truthy ``progress``, and optimize refreshed its bar past tqdm's delay, printing
it on every call); they now use :class:`sketch.progress.IterationWatch`, so moving the
library's delay (``PROGRESS_DELAY_S``) moves theirs, a bad ``progress`` is refused like
everywhere else, and optimize's bar has the total of the block searches found (an ETA).
"""

from __future__ import annotations

import pytest
from qiskit import QuantumCircuit

import sketch.progress
from circuits import optimize, synthesize
from circuits.targets import operator_distance
from sketch.errors import ConvergenceWarning


def _three_qubit_circuit() -> QuantumCircuit:
    qc = QuantumCircuit(3)
    for _ in range(3):
        qc.cx(0, 1)
        qc.h(2)
        qc.cx(1, 2)
        qc.t(0)
        qc.cx(0, 2)
    return qc


def _cancelling_pair() -> QuantumCircuit:
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(0, 1)
    return qc


def test_short_runs_print_no_bar(capsys):
    synthesize(_cancelling_pair(), method="numerical", seed=0)
    optimize(_three_qubit_circuit(), seed=0, workers=1)
    assert capsys.readouterr().err == ""


def test_the_delay_is_the_librarys_one(capsys, monkeypatch):
    """progress=None opens the bar once PROGRESS_DELAY_S have passed: at once when it is 0."""
    monkeypatch.setattr(sketch.progress, "PROGRESS_DELAY_S", 0.0)
    synthesize(_cancelling_pair(), method="numerical", seed=0)
    assert "synthesize 2q" in capsys.readouterr().err
    res = optimize(_three_qubit_circuit(), seed=0, workers=1)
    err = capsys.readouterr().err
    assert "optimize 3q" in err and f"{res.synthesized}/{res.synthesized}" in err


def test_optimize_bar_counts_blocks_against_their_total(capsys):
    res = optimize(_three_qubit_circuit(), seed=0, workers=1, progress=True)
    err = capsys.readouterr().err
    assert res.synthesized >= 1
    assert "optimize 3q" in err and "block" in err
    assert f"{res.synthesized}/{res.synthesized}" in err  # a total, so an ETA


@pytest.mark.parametrize("bad", ["yes", 1.5])
def test_bad_progress_is_refused(bad):
    with pytest.raises(TypeError, match="progress"):
        synthesize(_cancelling_pair(), method="numerical", progress=bad)
    with pytest.raises(TypeError, match="progress"):
        optimize(_three_qubit_circuit(), progress=bad)


def test_time_limit_counts_from_the_call():
    """The deadline is the watch's, started at the call: a limit spent on the checks stops
    the search after its one obligatory fit, with that circuit and the warning."""
    from scipy.stats import unitary_group

    U = unitary_group.rvs(8, random_state=0)
    with pytest.warns(ConvergenceWarning, match="time limit"):
        res = synthesize(U, method="numerical", time_limit=1e-9, seed=0, progress=False)
    assert not res.converged and res.instantiations == 1
    assert operator_distance(U, res.circuit) == pytest.approx(res.distance, rel=1e-9)
