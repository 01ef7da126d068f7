"""Tests of a complex array read the complex way: w circular (uniform phase, independent of
the modulus) with E|w|² = v and u = |w|²/v following the scheme's modulus law (derive's
`modulus_law`: Exp(1) for the normal, U(0, 2) for the disk, a cut Exp(1) for the truncated
normal), as JAX's complex `variance_scaling` draws them.

location:      T = 2n·|mean(w)|²/v ~ χ²₂
scale:         Σu ~ Gamma(n, 1) for the normal; otherwise z = (mean(u) − 1)/√(Var(u)/n)
circularity:   the pseudo-variance P = mean(w²) is 0: T = 2n·|P|²/(v²·E[u²]) ~ χ²₂
modulus:       KS of u against its law on every value (up to a million)
extremes:      the largest u against the law of the maximum of n draws, P(max ≤ m) = F(m)ⁿ:
               both tails for an unbounded law; a bounded law's largest must reach its top
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from verify.checking.result import Finding

KS_VALUES = 1 << 20


TESTS = 5


def findings(values: np.ndarray, variance: float, law: stats.rv_continuous,
             exact_gamma: bool, power_z: float) -> list[Finding]:
    """The `TESTS` p-valued complex tests; `exact_gamma`: Σu ~ Gamma(n, 1) (the circular
    normal); `power_z` the shift in standard errors each sees, for what it can detect."""
    w = values.reshape(-1).astype(np.complex128)
    n = w.size
    u = (w.real**2 + w.imag**2) / variance
    mean = complex(w.mean())
    location = 2 * n * abs(mean) ** 2 / variance
    total = float(u.sum())
    if exact_gamma:
        scale_p = 2 * min(stats.gamma.cdf(total, n), stats.gamma.sf(total, n))
    else:
        scale_p = 2 * float(stats.norm.sf(abs(total / n - 1) / math.sqrt(law.var() / n)))
    pseudo = complex(np.mean(w * w))
    circular = 2 * n * abs(pseudo) ** 2 / (variance**2 * float(law.moment(2)))
    ks = stats.kstest(u[:KS_VALUES], law.cdf)
    ratio = total / n
    return [
        Finding("mean", location, float(stats.chi2.sf(location, 2)), 0.0, abs(mean),
                f"|mean| is {abs(mean) / math.sqrt(variance):.3g} sd from 0: an offset",
                effect=abs(mean) / math.sqrt(variance)),
        Finding("variance", total, float(min(1.0, scale_p)), variance, ratio * variance,
                f"E|w|^2 is {ratio:.4f} x derive's: a wrong gain or fan, a variance given to "
                "each part instead of split between them, or a truncation left uncorrected",
                effect=ratio - 1, detectable=power_z * math.sqrt(float(law.var()) / n)),
        Finding("circularity", circular, float(stats.chi2.sf(circular, 2)), 0.0, abs(pseudo),
                f"E[w^2] is {abs(pseudo) / variance:.3g} x E|w|^2, not 0: the real and "
                "imaginary parts differ in scale or correlate", effect=abs(pseudo) / variance),
        Finding("modulus", float(ks.statistic), float(ks.pvalue), "modulus law",
                f"n={min(n, KS_VALUES)}", "|w|^2/v does not follow the scheme's modulus law: "
                "another law (a square of parts drawn independently, say, instead of a disk)",
                effect=float(ks.statistic)),
        _largest(float(u.max()), n, law),
    ]


def _largest(largest: float, n: int, law: stats.rv_continuous) -> Finding:
    below = math.exp(n * math.log(law.cdf(largest))) if law.cdf(largest) > 0 else 0.0
    top = float(law.support()[1])
    if math.isfinite(top):
        return Finding("max_near_bound", largest, below, top, largest,
                       f"the largest |w|^2/v is {largest:.4g}, short of the law's top "
                       f"{top:.4g}: a narrower law", effect=largest / top - 1)
    above = -math.expm1(n * math.log1p(-float(law.sf(largest))))
    return Finding("tail", largest, float(min(1.0, 2 * min(below, above))), None, largest,
                   f"the largest |w|^2/v is {largest:.3g} for n draws: "
                   + ("an outlier" if above < below else "too small: a cut"), effect=largest)
