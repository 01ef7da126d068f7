"""Tests of repeated values: equal values within an array, equal arrays across seeds.

ties:      T = #{i < j : wᵢ = wⱼ} in the first array (sorted, equal neighbours counted),
           E[T] = C(n,2)·q₂ and Var T = C(n,2)·q₂(1 − q₂) + 6·C(n,3)·(q₃ − q₂²) for a law
           quantized on the dtype's coarsest grid in the support (`precision`); upper
           tail, by Poisson when E[T] < 30, else normal
arrays:    the arrays of different seeds must all differ (compared by a digest of their first
           4096 values and their sum); checked only where equal arrays are unlikely by chance
           (C(k,2)·q₂^min(size, 4096) below α/100)
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from verify.checking.result import Check, Finding

TIE_VALUES = 1 << 20  # ties are counted in at most this many values of the first array


def pairs_of_equal(values: np.ndarray) -> int:
    """#{i < j : wᵢ = wⱼ}: Σ g(g − 1)/2 over groups of equal values."""
    w = np.sort(values.reshape(-1)[:TIE_VALUES])
    if w.size < 2:
        return 0
    starts = np.flatnonzero(np.concatenate([[True], w[1:] != w[:-1], [True]]))
    groups = np.diff(starts)
    return int(np.sum(groups * (groups - 1) // 2))


def ties(first: np.ndarray, q2: float, q3: float) -> Finding:
    n = min(first.size, TIE_VALUES)
    observed = pairs_of_equal(first)
    pairs = n * (n - 1) / 2
    mean = pairs * q2
    var = pairs * q2 * (1 - q2) + n * (n - 1) * (n - 2) * max(q3 - q2 * q2, 0.0)
    if mean < 30:
        p = float(stats.poisson.sf(observed - 1, mean)) if observed > 0 else 1.0
    else:
        p = float(stats.norm.sf((observed - mean) / math.sqrt(var)))
    return Finding("ties", float(observed), p, mean, float(observed),
                   f"{observed:,} pairs of equal values where the dtype explains at most "
                   f"{mean:,.1f}: repeated values, tiled blocks or a coarse grid",
                   effect=observed / mean - 1 if mean > 0 else None)


def distinct_arrays(digests: dict[int, bytes], size: int, q2: float,
                    alpha: float) -> Check | None:
    """The arrays drawn with different seeds (seed → digest) all differ; None where equal
    ones are likely by chance."""
    k = len(digests)
    if k < 2 or math.comb(k, 2) * q2 ** min(size, 4096) > alpha / 100:
        return None
    repeated = k - len(set(digests.values()))
    return Check.outright("distinct_arrays", f"{k} distinct", f"{k - repeated} distinct",
                          repeated == 0,
                          f"{repeated} of {k} arrays drawn with different seeds repeat an "
                          "earlier one: the seed does not reach every stream (a seed reduced "
                          "to a small pool, or ignored)")
