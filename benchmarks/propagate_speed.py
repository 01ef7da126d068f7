"""Throughput of `verify.propagate` as a ratio to the raw matrix products it performs.

    python benchmarks/propagate_speed.py [DEPTH WIDTH BATCH]   (default 20 1024 1024)

Two baselines, timed in the same run: the products alone (a·Wᵀ per layer
forward, δ·W per layer backward, on weights drawn beforehand), and the products
plus numpy drawing the weights. `propagate` also applies φ and φ' and keeps the
statistics; the second ratio is what that bookkeeping costs. Peak memory is
measured with tracemalloc against the bound stated in `verify.propagation.montecarlo`.
"""

from __future__ import annotations

import sys
import time
import tracemalloc

import numpy as np

from verify import propagate
from verify.propagation.montecarlo import HISTOGRAM_VALUES


def main(depth: int = 20, width: int = 1024, batch: int = 1024, repeats: int = 3) -> None:
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((width, width)) / np.sqrt(width) for _ in range(depth)]
    x = rng.standard_normal((batch, width))
    raw, drawn, ours = [], [], {}
    for _ in range(repeats):
        start = time.perf_counter()
        a = x
        for w in weights:
            a = a @ w.T
        for w in reversed(weights):
            a = a @ w
        raw.append(time.perf_counter() - start)
        start = time.perf_counter()
        a = x
        for _ in range(depth):
            a = a @ rng.normal(0.0, 1 / np.sqrt(width), (width, width)).T
        for w in reversed(weights):
            a = a @ w
        drawn.append(time.perf_counter() - start)
        for act in ("linear", "relu", "tanh", "gelu"):
            start = time.perf_counter()
            propagate("he_normal", act, depth=depth, width=width, batch=batch)
            ours.setdefault(act, []).append(time.perf_counter() - start)
    base, with_draws = min(raw), min(drawn)
    print(f"depth {depth}, width {width}, batch {batch}, best of {repeats}: products "
          f"{base:.3f} s, products + weight draws {with_draws:.3f} s")
    for act, times in ours.items():
        t = min(times)
        print(f"  propagate {act:7s} {t:.3f} s  ratio {t / base:.2f} to the products, "
              f"{t / with_draws:.2f} to products + draws")
    stored = 8 * (depth * width * width + batch * depth * width) / 2**20
    working = (4 * max(batch, width) * width + HISTOGRAM_VALUES * depth) * 8 / 2**20 + 0.1
    for backward in (True, False):
        tracemalloc.start()
        propagate("he_normal", "tanh", depth=depth, width=width, batch=batch, backward=backward)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        bound = (stored if backward else 0) + working
        print(f"backward={backward}: peak allocation {peak:.2f} MiB, stated bound {bound:.2f} "
              f"MiB (stored weights and slopes {stored if backward else 0:.0f} + four working "
              f"arrays, histogram values and 0.1 of small objects {working:.1f})")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:4]))
