"""Power: how often `verify.check` catches each fault, beside one KS test at p > 1e-4.

    python benchmarks/power.py [REPS]

Each fault is a deliberately wrong sampler; both methods see the same samples
(verify's default n for the claimed scheme). Prints a Markdown table.
"""

from __future__ import annotations

import math
import sys

import numpy as np
from scipy import stats

import derive
from verify import check, child_seeds, fans, sample
from verify.checking import default_samples
from verify.checking.statistics import distribution

S = derive.SCHEMES
SHAPE = (96, 64)  # non-square: fan_in 64, fan_out 96


def scaled(name: str, rel: float):
    return lambda shape, seed: sample(S[name], shape, rng=seed) * math.sqrt(1 + rel)


def untruncated(shape, seed):
    sigma = S["he_truncated_normal"].sigma_at(*fans(shape))
    return np.random.default_rng(seed).normal(0, sigma, shape)


FAULTS = {
    "scale +1% (glorot_normal)": ("glorot_normal", scaled("glorot_normal", 0.01)),
    "scale +2% (glorot_normal)": ("glorot_normal", scaled("glorot_normal", 0.02)),
    "scale +5% (glorot_normal)": ("glorot_normal", scaled("glorot_normal", 0.05)),
    "scale +10% (glorot_normal)": ("glorot_normal", scaled("glorot_normal", 0.10)),
    "scale +2% (he_uniform)": ("he_uniform", scaled("he_uniform", 0.02)),
    "normal for uniform, equal variance": (
        "glorot_uniform", lambda shape, seed: sample(S["glorot_normal"], shape, rng=seed)),
    "missing truncation (he_truncated_normal)": ("he_truncated_normal", untruncated),
    "fan_out for fan_in (he_normal)": (
        "he_normal", lambda shape, seed: sample(S["he_normal"], shape[::-1], rng=seed).T),
}


def main(reps: int = 200) -> None:
    print(f"{reps} repetitions per fault, shape {SHAPE}; both methods see the same n\n")
    print("| fault | n | initproof (alpha 1e-6) | single KS, p > 1e-4 | same KS, first 500 |")
    print("|---|---|---|---|---|")
    for label, (claimed, init) in FAULTS.items():
        scheme = S[claimed]
        fi, fo = fans(SHAPE)
        n = default_samples(scheme, fi, fo, 1e-6)
        dist = distribution(scheme, fi, fo)
        ours = ks = ks_small = 0
        for seed in child_seeds(7, reps):
            report = check(init, scheme, shape=SHAPE, seed=seed, n_samples=n)
            ours += not report.passed
            draws = [init(SHAPE, s) for s in child_seeds(seed, -(-n // math.prod(SHAPE)))]
            values = np.concatenate(draws, axis=None)[:n]
            ks += stats.kstest(values, dist.cdf).pvalue <= 1e-4
            ks_small += stats.kstest(values[:500], dist.cdf).pvalue <= 1e-4
        print(f"| {label} | {n:,} | {ours / reps:.1%} | {ks / reps:.1%} | "
              f"{ks_small / reps:.1%} |", flush=True)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
