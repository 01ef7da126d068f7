"""Calibration: false alarms of `verify.check` on correct samplers, and p-value uniformity.

    python benchmarks/calibration.py [SEEDS] [N_SAMPLES]

Every distinct built-in scheme is checked SEEDS times (seeds spawned with
numpy.random.SeedSequence) at the default family-wise alpha 1e-6. Prints a
Markdown table: false alarms, and for each p-valued test the KS p-value of its
p-values against U(0, 1) (uniform under the null means calibrated).
"""

from __future__ import annotations

import sys
from collections import defaultdict

from scipy import stats

import derive
from verify import check, child_seeds, sample

SHAPE = (96, 64)


def main(seeds: int = 1000, n_samples: int = 20_000) -> None:
    names = sorted({s.name for s in derive.SCHEMES.values() if s.variance != 0})
    print(f"{seeds} seeds per scheme, shape {SHAPE}, n = {n_samples:,}, alpha = 1e-6\n")
    print("| scheme | false alarms | p-uniformity (KS p) per test |")
    print("|---|---|---|")
    total = 0
    per_scheme = child_seeds(20261122, len(names))
    for name, scheme_seed in zip(names, per_scheme, strict=True):
        scheme = derive.SCHEMES[name]
        pvalues: dict[str, list[float]] = defaultdict(list)
        alarms = 0
        for seed in child_seeds(scheme_seed, seeds):
            report = check(lambda shape, s, sc=scheme: sample(sc, shape, rng=s), scheme,
                           shape=SHAPE, seed=seed, n_samples=n_samples)
            alarms += not report.passed
            for c in report.checks:
                if c.pvalue is not None:
                    pvalues[c.name].append(c.pvalue)
        total += alarms
        uniform = ", ".join(f"{k} {stats.kstest(v, 'uniform').pvalue:.2f}"
                            for k, v in pvalues.items())
        print(f"| `{name}` | {alarms} / {seeds} | {uniform} |", flush=True)
    print(f"\nfalse alarms in all: {total} of {seeds * len(names)} checks")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
