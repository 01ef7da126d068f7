"""Throughput of `verify.check` as a ratio to numpy drawing the same n, and its peak memory.

    python benchmarks/check_speed.py [N]      (default 2e7; try 1e9 for the streaming claim)

The baseline draws N normal values in chunks of the kernel's size with numpy;
`check` draws the same N through the built-in sampler and tests them. Peak RSS
is read after each; it should not grow with N.
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np

import derive
from verify import check, sample

SHAPE = (1024, 1024)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(n: int = 20_000_000) -> None:
    scheme = derive.SCHEMES["he_normal"]
    size = SHAPE[0] * SHAPE[1]
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(-(-n // size)):
        rng.normal(0.0, 1.0, size)
    raw = time.perf_counter() - start
    start = time.perf_counter()
    report = check(lambda shape, seed: sample(scheme, shape, rng=seed), scheme, shape=SHAPE,
                   n_samples=n)
    ours = time.perf_counter() - start
    print(f"n = {report.n:,}: numpy draws {report.n / raw / 1e6:.1f} M/s, check (draw + test) "
          f"{report.n / ours / 1e6:.1f} M/s, ratio {raw / ours:.2f}; passed={report.passed}; "
          f"peak RSS {peak_mib():.0f} MiB")


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 20_000_000)
