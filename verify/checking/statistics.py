"""The statistics of a check: streaming moments, the tests, Holm, sample sizes.

scale, normal samples:   T = Σw²/v ~ χ²ₙ
scale, otherwise:        z = (mean(w²) − v) / (v·√((κ − 1)/n)), κ the kurtosis E[w⁴]/v²
location:                z = mean(w) / √(v/n)
largest |w|, bound b:    P(max|w| ≤ m) = F(m)ⁿ, F the distribution function of |w|
sample size for a relative scale error δ at power π and level a:
                         n = ((z₁₋ₐ/₂ + z_π)·√(κ − 1)/δ)²
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from derive import Scheme

SHAPE_SAMPLES = 200_000
"""KS and Cramér–von Mises look at the first this many values; the moments see them all."""


def distribution(scheme: Scheme, fan_in: float, fan_out: float) -> stats.rv_continuous:
    """The fully specified scipy distribution the scheme samples from."""
    if scheme.distribution == "uniform":
        b = scheme.bound_at(fan_in, fan_out)
        return stats.uniform(-b, 2 * b)
    sigma = scheme.sigma_at(fan_in, fan_out)
    if scheme.distribution == "normal":
        return stats.norm(0, sigma)
    cut = scheme.bound_at(fan_in, fan_out) / sigma
    return stats.truncnorm(-cut, cut, scale=sigma)


def kurtosis(dist: stats.rv_continuous) -> float:
    """κ = E[w⁴]/Var(w)², from scipy's own distribution (3 for a normal)."""
    return float(dist.stats(moments="k")) + 3.0


def z_two_sided(alpha: float) -> float:
    return float(stats.norm.isf(alpha / 2))


def power_z(alpha: float, power: float) -> float:
    """z_{1−α/2} + z_power: the shift, in standard errors, a two-sided test sees with this power."""
    return z_two_sided(alpha) + float(stats.norm.ppf(power))


def samples_for(delta: float, kappa: float, alpha: float, power: float = 0.99) -> int:
    """n = ((z_{1−α/2} + z_power)·√(κ − 1)/δ)²: detects a relative scale error δ."""
    return math.ceil((power_z(alpha, power) * math.sqrt(kappa - 1) / delta) ** 2)


def detectable(n: int, kappa: float, alpha: float, power: float = 0.99) -> float:
    """The relative scale error detected with this power at this n: inverse of `samples_for`."""
    return power_z(alpha, power) * math.sqrt((kappa - 1) / n)


def holm(pvalues: list[float], alpha: float) -> list[bool]:
    """Holm's step-down: which hypotheses are rejected at family-wise level α."""
    order = sorted(range(len(pvalues)), key=pvalues.__getitem__)
    rejected = [False] * len(pvalues)
    for rank, i in enumerate(order):
        if pvalues[i] > alpha / (len(pvalues) - rank):
            break
        rejected[i] = True
    return rejected


@dataclass
class Moments:
    """Streaming accumulators over chunks: memory does not grow with n."""

    n: int = 0
    total: float = 0.0
    squares: float = 0.0
    max_abs: float = 0.0
    nonfinite: int = 0
    kept: list[np.ndarray] = field(default_factory=list)
    kept_n: int = 0

    def add(self, chunk: np.ndarray) -> None:
        w = np.asarray(chunk, dtype=np.float64).reshape(-1)
        finite = np.isfinite(w)
        if not finite.all():
            self.nonfinite += int(w.size - finite.sum())
            w = w[finite]
        self.n += w.size
        self.total += float(w.sum())
        self.squares += float(np.dot(w, w))
        if w.size:
            self.max_abs = max(self.max_abs, float(np.abs(w).max()))
        if self.kept_n < SHAPE_SAMPLES:
            take = w[: SHAPE_SAMPLES - self.kept_n].copy()
            self.kept.append(take)
            self.kept_n += take.size

    def shape_sample(self) -> np.ndarray:
        return np.concatenate(self.kept) if self.kept else np.empty(0)


def scale_pvalue(m: Moments, variance: float, kappa: float, normal: bool) -> float:
    """Two-sided p-value that E[w²] = variance."""
    if normal:
        t = m.squares / variance
        return float(min(1.0, 2 * min(stats.chi2.cdf(t, m.n), stats.chi2.sf(t, m.n))))
    z = (m.squares / m.n - variance) / (variance * math.sqrt((kappa - 1) / m.n))
    return float(2 * stats.norm.sf(abs(z)))


def near_bound_pvalue(m: Moments, dist: stats.rv_continuous, bound: float,
                      ulp: float = 0.0) -> float:
    """P(max|w| ≤ observed) = F(observed + ulp)ⁿ under the scheme, F the CDF of |w|."""
    largest = min(m.max_abs + ulp, bound)
    f = float(dist.cdf(largest) - dist.cdf(-largest))
    return 1.0 if f >= 1 else float(math.exp(m.n * math.log(f))) if f > 0 else 0.0
