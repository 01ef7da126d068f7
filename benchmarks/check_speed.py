"""Cost of `verify.check` as a ratio to numpy drawing the same n in that family, in one run.

    python benchmarks/check_speed.py [N]      (default 2e7)

For a normal, a uniform and a truncated-normal scheme: the baseline draws N values in
chunks of the kernel's size with numpy (the truncated normal by the built-in rejection
sampler); `check` draws the same N through a callable and tests them; then `check` is
handed the same values as one array. Ratios are check's time over the baseline's (the
target is at most 1.5); peak RSS is read at the end.
"""

from __future__ import annotations

import math
import resource
import sys
import time

import numpy as np

from verify import check, fans, sample
from verify.sampling import draw, resolve

SHAPE = (1024, 1024)
SCHEMES = ("he_normal", "glorot_uniform", "lecun_truncated_normal")


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline(name: str, n: int) -> float:
    scheme, (fi, fo) = resolve(name), fans(SHAPE)
    size, rng = math.prod(SHAPE), np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(-(-n // size)):
        if scheme.distribution == "normal":
            rng.normal(0.0, 1.0, size)
        elif scheme.distribution == "uniform":
            rng.uniform(-1.0, 1.0, size)
        else:
            draw(scheme, size, fi, fo, rng)
    return time.perf_counter() - start


def main(n: int = 20_000_000) -> None:
    print(f"N = {n:,}, shape {SHAPE}; time relative to numpy drawing N values of the family")
    for name in SCHEMES:  # build derive's catalogue and the lambdified formulas first
        check(sample(name, (64, 64), rng=0), name, shape=(64, 64))
    for name in SCHEMES:
        raw = baseline(name, n)
        start = time.perf_counter()
        report = check(lambda shape, seed, s=name: sample(s, shape, rng=seed), name,
                       shape=SHAPE, n_samples=n)
        through_callable = time.perf_counter() - start
        values = sample(name, (n // SHAPE[1], SHAPE[1]), rng=1)
        start = time.perf_counter()
        given = check(values, name, shape=values.shape)
        as_array = time.perf_counter() - start
        del values
        print(f"{name:24s} numpy {raw:6.2f} s | check(callable) {through_callable:6.2f} s, "
              f"ratio {through_callable / raw:4.2f}, passed={report.passed} | check(array) "
              f"{as_array:6.2f} s, ratio {as_array / raw:4.2f}, passed={given.passed}")
    print(f"peak RSS {peak_mib():.0f} MiB (the array case holds N values itself)")


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 20_000_000)
