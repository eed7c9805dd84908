"""Coordinated sampling sketches for matrix products and inner products.

The package: :mod:`~sketch.coordinated.sketches` (the sketch classes, merging,
files), :mod:`~sketch.coordinated.sampling` (building them) and
:mod:`~sketch.coordinated.estimates` (AᵀB, ⟨a, b⟩, attention scores).

Two parties hold ``A`` (n × d) and ``B`` (n × m) whose rows are identified by
integer *keys* (row ids, or a join key shared by two tables). Each party
sketches its own matrix independently, sharing only a ``seed``; later anyone
holding both sketches estimates AᵀB = Σᵢ aᵢ bᵢᵀ (a sum over the keys both
matrices have), and ⟨a, b⟩ as the one-column case.

Sampled sketches (Daliri, Freire, Li and Musco, "Matrix product sketching via
coordinated sampling", ICLR 2025; for vectors Daliri, Freire, Musco, Santos and
Zhang, "Sampling methods for inner product sketching", VLDB 2024):

* every key i gets a uniform hᵢ ∈ (0, 1) from the keyed counter-based stream
  (:mod:`sketch.rng`), so both parties draw the *same* hᵢ on any machine or
  backend; row weights are wᵢ = ‖aᵢ‖² and priorities qᵢ = wᵢ/hᵢ;
* **priority sampling** (Duffield, Lund and Thorup, 2007) keeps the k rows of
  largest priority and stores the threshold τ = (k+1)-th largest priority;
* **threshold sampling** keeps every row with qᵢ ≥ τ = ‖A‖²_F/k (expected size
  ≤ k).

In both schemes, conditionally on τ, row i is kept iff hᵢ ≤ wᵢ/τ, i.e. with
probability pᵢ = min(1, wᵢ/τ). Because both sides use the same hᵢ, key i is in
both samples iff hᵢ ≤ min(pᵢᴬ, pᵢᴮ), so the Horvitz–Thompson estimator

    W = Σ_{i ∈ K_A ∩ K_B} aᵢ bᵢᵀ / min(1, wᵢᴬ/τᴬ, wᵢᴮ/τᴮ)

is unbiased (this is the joint inclusion probability of the ICLR 2025 paper's
estimator, written with ranks Rᵢ = hᵢ/wᵢ there: min(1, wᵢᴬτ'ᴬ, wᵢᴮτ'ᴮ) with
τ' = 1/τ). With k = O(1/ε²) rows, ‖W − AᵀB‖_F ≤ ε‖A‖_F‖B‖_F with constant
probability, so for rows with at most s nonzeros the sketch holds O(s/ε²)
numbers, against O(d/ε²) for a linear sketch. The variance is estimated by
Σ_{i ∈ K_A ∩ K_B} (aᵢ bᵢᵀ)² (1 − pᵢ)/pᵢ² (entrywise; the Frobenius total uses
‖aᵢ‖²‖bᵢ‖²).

Linear baselines with the same interface: :func:`jl_sketch` (Gaussian,
Johnson–Lindenstrauss; Sarlós 2006) and :func:`countsketch_sketch`
(Charikar–Chen–Farach-Colton 2002; Clarkson–Woodruff 2013) keep SA (r × d);
their estimate is (SA)ᵀ(SB).

Storage (DESIGN.md §6) is counted honestly in 8-byte words: a sampled dense row
costs its d values plus its key; a sampled sparse row costs 1.5 words per
nonzero (value + int32 column index) plus 1.5 words (key + int32 length); a
linear sketch costs r·d words.

Merging: threshold sketches of key-disjoint partitions merge exactly (the
merged sketch equals the sketch of the union); so do priority sketches, because
each stores its (k+1)-th priority: the union's top k+1 lies in the parts' top
k+1. Neither merges sketches of *overlapping* keys (rows are sampled, not
summed); linear sketches merge by addition, overlapping keys included.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> A, B = rng.standard_normal((500, 4)), rng.standard_normal((500, 3))
>>> SA = priority_sample(A, 100, seed=7)          # party 1
>>> SB = priority_sample(B, 100, seed=7)          # party 2, same seed
>>> est = estimate_product(SA, SB)
>>> est.value.shape
(4, 3)
>>> err = np.linalg.norm(est.value - A.T @ B) / (np.linalg.norm(A) * np.linalg.norm(B))
>>> bool(err < 0.3)
True
"""

from .estimates import ProductEstimate, attention_scores, estimate_inner, estimate_product
from .sampling import (
    LINEAR_METHODS,
    SAMPLED_METHODS,
    coordinated_sketch,
    countsketch_sketch,
    jl_sketch,
    priority_sample,
    threshold_sample,
)
from .sketches import LinearSketch, SampledSketch, load_sketch

__all__ = [
    "SampledSketch",
    "LinearSketch",
    "ProductEstimate",
    "priority_sample",
    "threshold_sample",
    "jl_sketch",
    "countsketch_sketch",
    "coordinated_sketch",
    "estimate_product",
    "estimate_inner",
    "load_sketch",
    "attention_scores",
    "SAMPLED_METHODS",
    "LINEAR_METHODS",
]
