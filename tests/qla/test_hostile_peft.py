"""Property-based bad-input suite over qla.peft's sizes and adapters (ranks, layers, alpha,
seeds, size tables; see :mod:`tests.sketch.hostile` for the property)."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st

from tests.sketch import hostile as h

torch = pytest.importorskip("torch")
peft = pytest.importorskip("qla.peft")

pytestmark = pytest.mark.hostile

BASE = torch.nn.Linear(8, 6)


def _model():
    return torch.nn.Sequential(torch.nn.Linear(8, 6), torch.nn.ReLU(), torch.nn.Linear(6, 4))


def _sizes_tuple() -> st.SearchStrategy:
    return st.sampled_from([((16, 32), False), ((), True), ((0,), True), ((-4,), True),
                            ((2.5,), True), ("16", True), ((True,), True), ((10**9,), None),
                            (None, True), ((10**30,), None)])


def _entries() -> list[h.Entry]:
    return [
        h.Entry("quantum_peft_num_params", peft.quantum_peft_num_params,
                dict(in_features=8, out_features=6, rank=2, layers=1),
                dict(in_features=h.sizes(), out_features=h.sizes(), rank=h.sizes(),
                     layers=h.sizes())),
        h.Entry("lora_num_params", peft.lora_num_params,
                dict(in_features=8, out_features=6, rank=2),
                dict(in_features=h.sizes(), out_features=h.sizes(), rank=h.sizes())),
        h.Entry("parameter_table", peft.parameter_table,
                dict(sizes=(16, 32), rank=2, layers=1, lora_ranks=(1, 2)),
                dict(sizes=_sizes_tuple(), rank=h.sizes(), layers=h.sizes(),
                     lora_ranks=_sizes_tuple()), dict(lora_ranks=("lora_ranks", "rank"))),
        h.Entry("parameter_report", lambda rank, layers: peft.parameter_report(
                    _model(), rank=rank, layers=layers, lora_ranks=(1, 2)),
                dict(rank=2, layers=1), dict(rank=h.sizes(), layers=h.sizes())),
        h.Entry("QuantumPEFTLinear", lambda rank, layers, seed: peft.QuantumPEFTLinear(
                    BASE, rank, layers=layers, seed=seed),
                dict(rank=2, layers=1, seed=0),
                dict(rank=h.sizes(), layers=h.sizes(), seed=h.seeds())),
        h.Entry("LoRALinear", lambda rank, alpha: peft.LoRALinear(BASE, rank, alpha=alpha, seed=0),
                dict(rank=2, alpha=None),
                dict(rank=h.sizes(), alpha=h.tolerances(optional=True))),
    ]


test_valid_call_answers, test_bad_argument_is_refused_clearly = h.suite(_entries(), share=0.4)


# Defects the property found (this campaign); each failed before its fix.
@pytest.mark.parametrize("call, err, match", [
    (lambda: peft.parameter_table(lora_ranks=()), TypeError, "lora_ranks must be a non-empty"),
    (lambda: peft.parameter_table(sizes=()), TypeError, "sizes must be"),  # a table of no rows
    (lambda: peft.parameter_table(sizes=(0,)), ValueError, r"sizes\[0\] must be at least 1"),
    (lambda: peft.parameter_report(_model(), lora_ranks=None), TypeError, "lora_ranks"),
    (lambda: peft.LoRALinear(BASE, 2, alpha=0.1 + 0.1j), TypeError, "alpha"),  # float(complex)
    (lambda: peft.LoRALinear(BASE, 2, alpha=0.0), ValueError, "alpha"),  # a no-op adapter
])
def test_found_peft_failures_are_refused_by_name(call, err, match):
    with pytest.raises(err, match=match):
        call()


# --------------------------------------------------------------------------
# adapting and merging whole models
# --------------------------------------------------------------------------
_X = torch.randn(5, 8, generator=torch.Generator().manual_seed(0))


def _built(model):
    """A fresh module for a model token (the calls adapt models in place)."""
    if model == "mlp":
        return _model()
    if model == "linear":
        return torch.nn.Linear(8, 6)
    if model == "adapted":
        return peft.apply_lora(_model(), rank=1, seed=0)
    if model == "adapted-q":
        return peft.apply_quantum_peft(_model(), rank=1, seed=0)
    return model


def _models(valid: tuple[str, ...]) -> st.SearchStrategy:
    tokens = st.sampled_from(["mlp", "linear", "adapted", "adapted-q"]).map(
        lambda t: (t, False if t in valid else True))
    bad = st.sampled_from([None, 3, "model", torch.ones(3), [BASE]]).map(lambda v: (v, True))
    empty = st.just((torch.nn.Sequential(), None))  # nothing to merge; nothing to adapt
    return st.one_of(tokens, bad, empty)


def _target_modules() -> st.SearchStrategy:
    good = st.sampled_from([None, "0", "2", ["0", "2"], ("0",), {"2"}, ["0", "0"]]).map(
        lambda v: (v, False))
    bad = st.sampled_from([[], "", "1", ["1"], "nope", 3, [3], b"0", ["0", None], "0.weight",
                           torch.nn.Linear]).map(lambda v: (v, True))
    return st.one_of(good, bad)


def _apply(fn, merge):
    """Adapt, check that the untrained adapters leave outputs unchanged (their ΔW starts at
    zero for LoRA; the merged model computes what the adapted one does), then merge."""
    def run(model, target_modules=None, rank=2, seed=0, **kw):
        m = _built(model)
        before = m(_X) if isinstance(m, torch.nn.Module) and model == "mlp" else None
        out = fn(m, target_modules, rank=rank, seed=seed, **kw)
        if kw.get("layers", 1) > 64:  # adapting passed the work rule; 3 forwards may not
            return None
        n = peft.trainable_parameters(out)
        assert n > 0 and all(not p.requires_grad for name, p in out.named_parameters()
                             if ".base." in name or name.startswith("base.")), "base not frozen"
        adapted = out(_X)
        if fn is peft.apply_lora:
            torch.testing.assert_close(adapted, before)
        merged = merge(out)
        torch.testing.assert_close(merged(_X), adapted, rtol=1e-5, atol=1e-5)
        return adapted.detach().numpy()
    return run


def _merge_only(fn):
    def run(model):
        m = _built(model)
        frozen = {n for n, p in m.named_parameters() if not p.requires_grad} \
            if isinstance(m, torch.nn.Module) else set()
        out = fn(m)
        if isinstance(out, torch.nn.Module):
            peft.trainable_parameters(out)
        if model in ("mlp", "adapted-q") and fn is peft.merge_lora or model in (
                "mlp", "adapted") and fn is peft.merge_quantum_peft:  # nothing of its kind
            assert {n for n, p in out.named_parameters() if not p.requires_grad} == frozen
        return None
    return run


def _model_entries() -> list[h.Entry]:
    sizes = h.sizes()
    return [
        h.Entry("apply_lora", _apply(peft.apply_lora, peft.merge_lora),
                dict(model="mlp", target_modules=None, rank=2, alpha=None, seed=0),
                dict(model=_models(("mlp",)), target_modules=_target_modules(), rank=sizes,
                     alpha=h.tolerances(optional=True), seed=h.seeds()),
                dict(rank=("rank", "min(in_features")), ),
        h.Entry("apply_quantum_peft", _apply(peft.apply_quantum_peft, peft.merge_quantum_peft),
                dict(model="mlp", target_modules=None, rank=2, layers=1, entangler="cz", seed=0),
                dict(model=_models(("mlp",)), target_modules=_target_modules(), rank=sizes,
                     layers=sizes, entangler=h.choices(["cz", "cx"]), seed=h.seeds())),
        h.Entry("merge_lora", _merge_only(peft.merge_lora), dict(model="adapted"),
                dict(model=_models(("mlp", "linear", "adapted", "adapted-q")))),
        h.Entry("merge_quantum_peft", _merge_only(peft.merge_quantum_peft),
                dict(model="adapted-q"),
                dict(model=_models(("mlp", "linear", "adapted", "adapted-q")))),
        h.Entry("trainable_parameters", lambda model: peft.trainable_parameters(_built(model)),
                dict(model="mlp"), dict(model=_models(("mlp", "linear", "adapted", "adapted-q")))),
    ]


@pytest.mark.parametrize("entry", _model_entries(), ids=lambda e: e.name)
def test_valid_model_call_answers(entry):
    h.check_valid_call(entry)


@pytest.mark.parametrize("entry, arg", h.cases(_model_entries(), {}))
def test_bad_model_argument_is_refused_clearly(entry, arg):
    h.run_property(entry, arg, share=0.4)


@pytest.mark.parametrize("call, err, match", [
    (lambda: peft.trainable_parameters(None), TypeError, "model must be"),  # AttributeError
    (lambda: peft.apply_lora(_model(), 3), TypeError, "target_modules must be"),  # not iterable
    (lambda: peft.apply_lora(torch.nn.Linear(8, 6)), ValueError, "is one itself"),
    # (α/r)·0 = inf·0: NaN outputs from a fresh adapter (the long profile: alpha=6.8e38, r=2)
    (lambda: peft.LoRALinear(BASE, 2, alpha=6.805647135594673e38), ValueError, "alpha / rank"),
])
def test_found_model_failures_are_refused_by_name(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_merging_nothing_keeps_the_callers_frozen_layers():
    """merge_lora of a model with no LoRA adapter set requires_grad on every parameter: the
    caller's frozen layers, and the frozen base inside a Quantum-PEFT adapter, trained."""
    m = peft.apply_quantum_peft(_model(), rank=1, seed=0)
    n = peft.trainable_parameters(m)
    assert peft.trainable_parameters(peft.merge_lora(m)) == n
    m = peft.apply_lora(_model(), "0", rank=1, seed=0)
    m = peft.apply_quantum_peft(m, "2", rank=1, seed=0)
    n_q = sum(p.numel() for p in m[2].parameters() if p.requires_grad)
    peft.merge_lora(m)  # the LoRA layer merges; the Quantum-PEFT base stays frozen
    assert not any(p.requires_grad for p in m[2].base.parameters())
    assert sum(p.numel() for p in m[2].parameters() if p.requires_grad) == n_q
