"""The distribution a scheme claims, and the arithmetic every test shares: normal quantiles,
power, sample sizes, Holm's step-down.

sample size for a relative scale error δ at power π and level a:
    n = ((z₁₋ₐ/₂ + z_π)·√(κ − 1)/δ)²
"""

from __future__ import annotations

import math

from scipy import stats

from derive import Scheme, modulus_law
from verify.checking.orthogonality import marginal


def distribution(scheme: Scheme, fan_in: float, fan_out: float) -> stats.rv_continuous:
    """The fully specified scipy distribution the scheme samples from (for an orthogonal
    scheme, the law of one entry of a dense weight: `orthogonality.marginal`)."""
    if scheme.distribution == "orthogonal":
        return marginal(scheme, fan_in, fan_out)
    if scheme.distribution == "uniform":
        b = scheme.bound_at(fan_in, fan_out)
        return stats.uniform(-b, 2 * b)
    sigma = scheme.sigma_at(fan_in, fan_out)
    if scheme.distribution == "normal":
        return stats.norm(0, sigma)
    cut = scheme.bound_at(fan_in, fan_out) / sigma
    return stats.truncnorm(-cut, cut, scale=sigma)


def modulus_distribution(scheme: Scheme) -> stats.rv_continuous:
    """The scipy law of u = |w|²/E|w|² for the scheme drawn complex (derive's `modulus_law`)."""
    law = modulus_law(scheme)
    scale = float(law.scale)
    if not law.exponential:
        return stats.uniform(0, scale)
    if law.cut is None:
        return stats.expon(scale=scale)
    return stats.truncexpon(float(law.cut), scale=scale)


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
