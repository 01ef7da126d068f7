"""Tests of a complex array against a normal scheme read the complex way: w circular normal
with E|w|² = v (real and imaginary parts independent, each of variance v/2), as JAX's
complex `variance_scaling(..., "normal")` draws it.

location:      T = 2n·|mean(w)|²/v ~ χ²₂
scale:         Σ|w|²/v ~ Gamma(n, 1), both tails
circularity:   the pseudo-variance P = mean(w²) is 0: T = n·|P|²/v² ~ χ²₂
modulus:       |w|²/v ~ Exp(1): KS on every value (up to a million), and the largest
               |w|²/v against the law of the maximum of n draws, P(max ≤ m) = (1 − e⁻ᵐ)ⁿ
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from verify.checking.result import Finding

KS_VALUES = 1 << 20


def findings(values: np.ndarray, variance: float) -> list[Finding]:
    w = values.reshape(-1).astype(np.complex128)
    n = w.size
    power = (w.real**2 + w.imag**2) / variance
    mean = complex(w.mean())
    location = 2 * n * abs(mean) ** 2 / variance
    total = float(power.sum())
    scale_p = 2 * min(stats.gamma.cdf(total, n), stats.gamma.sf(total, n))
    pseudo = complex(np.mean(w * w))
    circular = n * abs(pseudo) ** 2 / variance**2
    ks = stats.kstest(power[:KS_VALUES], "expon")
    largest = float(power.max())
    below = math.exp(n * math.log1p(-math.exp(-largest))) if largest > 0 else 0.0
    above = -math.expm1(n * math.log1p(-math.exp(-largest))) if largest > 0 else 1.0
    ratio = total / n
    return [
        Finding("mean", location, float(stats.chi2.sf(location, 2)), 0.0, abs(mean),
                f"|mean| is {abs(mean) / math.sqrt(variance):.3g} sd from 0: an offset",
                effect=abs(mean) / math.sqrt(variance)),
        Finding("variance", total, float(min(1.0, scale_p)), variance, ratio * variance,
                f"E|w|^2 is {ratio:.4f} x derive's: a wrong gain or fan, or a variance "
                "given to each part instead of split between them", effect=ratio - 1),
        Finding("circularity", circular, float(stats.chi2.sf(circular, 2)), 0.0, abs(pseudo),
                f"E[w^2] is {abs(pseudo) / variance:.3g} x E|w|^2, not 0: the real and "
                "imaginary parts differ in scale or correlate", effect=abs(pseudo) / variance),
        Finding("modulus", float(ks.statistic), float(ks.pvalue), "Exp(1)",
                f"n={min(n, KS_VALUES)}", "|w|^2/v does not follow Exp(1): the parts are not "
                "normal (a uniform or truncated law claimed as normal)",
                effect=float(ks.statistic)),
        Finding("tail", largest, float(min(1.0, 2 * min(below, above))), None, largest,
                f"the largest |w|^2/v is {largest:.3g} for n draws: "
                + ("an outlier" if above < below else "too small: a cut"), effect=largest),
    ]
