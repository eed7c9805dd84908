"""Side-by-side benchmarks of qla against the peers a user would pick instead.

Run ``python -m benchmarks NAME [--quick]`` (``NAME`` from :data:`BENCHMARKS`
or ``all``). Each benchmark writes ``benchmarks/results/NAME-<host>-<date>.json``
and a markdown table next to it, and reports ratios, not only seconds.
"""

#: Benchmark modules by name; each defines ``main(argv: list[str]) -> int``.
BENCHMARKS: dict[str, str] = {
    "coordinated": "benchmarks.coordinated",
    "dask": "benchmarks.dask",
    "gpu": "benchmarks.gpu",
    "haar": "benchmarks.haar",
    "hhl": "benchmarks.hhl",
    "leverage": "benchmarks.leverage",
    "lowrank": "benchmarks.lowrank",
    "lstsq": "benchmarks.lstsq",
    "lstsq-grid": "benchmarks.lstsq_grid",
    "optimize": "benchmarks.optimize",
    "peft": "benchmarks.peft",
    "simulation": "benchmarks.simulation",
    "sketch": "benchmarks.sketch",
    "stream": "benchmarks.stream",
    "synthesis": "benchmarks.synthesis",
}
