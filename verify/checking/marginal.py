"""Tests of the values' law, one at a time: location, scale, fourth moment, extremes, shape.

Every test sees w less the law's centre (0 but for fixed laws such as U(0, 1)).

location:        z = mean(w)/√(v/n)
scale, normal:   T = Σw²/v ~ χ²ₙ;  otherwise z = (mean(w²) − v)/(v·√((κ − 1)/n))
fourth moment:   κ̂ = mean(w⁴)/mean(w²)², scale-free; κ̂ − κ ≈ mean(ψ) with the influence
                 ψ(w) = (w⁴ − μ₄)/μ₂² − 2μ₄(w² − μ₂)/μ₂³, its skew corrected by Edgeworth
extremes:        unbounded: P(max|w| ≤ m) = (1 − 2·sf(m))ⁿ, both tails;
                 bounded b: P(max|w| ≤ m) = F_|w|(m)ⁿ, the largest must reach the bound
shape:           KS on an evenly thinned sample spanning every value; Pearson χ² over
                 equal-width bins of the support holding every value, the probabilities
                 those of the law rounded to the values' dtype
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from numpy.polynomial import polynomial as P
from scipy import stats

from verify.checking.precision import level_masses, round_to, rounded_edges
from verify.checking.result import Finding
from verify.checking.stream import Stream, bin_index

MIN_EXPECTED = 5.0  # bins expecting fewer values are pooled with their neighbours
MAX_BINS = 1024


def _two_sided(z: float) -> float:
    return float(2 * stats.norm.sf(abs(z)))


def location(s: Stream, variance: float, z: float, power_z: float) -> Finding:
    mean = s.total / s.n
    sd = math.sqrt(variance)
    effect = mean / sd
    half = z / math.sqrt(s.n)
    return Finding("mean", effect * math.sqrt(s.n), _two_sided(effect * math.sqrt(s.n)),
                   s.centre, s.centre + mean, f"the mean is {effect:+.3g} sd from "
                   f"{s.centre:g}: an offset, or an asymmetric law", effect=effect,
                   ci=(effect - half, effect + half),
                   detectable=power_z / math.sqrt(s.n))


def scale(s: Stream, variance: float, kappa: float, normal: bool, z: float,
          detectable: float) -> Finding:
    ratio = s.squares / s.n / variance
    se = math.sqrt((kappa - 1) / s.n)
    if normal:
        t = s.squares / variance
        p = float(min(1.0, 2 * min(stats.chi2.cdf(t, s.n), stats.chi2.sf(t, s.n))))
    else:
        p = _two_sided((ratio - 1) / se)
    return Finding("variance", s.squares / variance, p, variance, s.squares / s.n,
                   f"observed variance is {ratio:.4f} x derive's: a wrong gain, fan or "
                   "fan mode, or a missing truncation correction", effect=ratio - 1,
                   ci=(ratio - 1 - z * se, ratio - 1 + z * se), detectable=detectable)


@cache
def _influence(moments: tuple[float, ...]) -> tuple[float, float]:
    """(E[ψ²], E[ψ³]) of the kurtosis' influence function, from the even moments μ₀…μ₁₂."""
    mu = dict(zip(range(0, 13, 2), moments, strict=True))
    m2, m4 = mu[2], mu[4]
    psi = np.array([-m4 / m2**2 + 2 * m4 / m2**2, 0, -2 * m4 / m2**3, 0, 1 / m2**2])

    def expect(poly: np.ndarray) -> float:
        return float(sum(c * mu[k] for k, c in enumerate(poly) if k % 2 == 0 and c))

    return expect(P.polypow(psi, 2)), expect(P.polypow(psi, 3))


@cache
def _standard_moments(family: str, shapes: tuple[float, ...]) -> tuple[float, ...]:
    """E[(w/sd)ᵏ] for k = 0, 2, …, 12 of a symmetric law, which depend on its family and
    shape parameters only (scipy integrates them: about 60 ms, once a process)."""
    dist = getattr(stats, family)(*shapes)
    sd = float(dist.std())
    centre = float(dist.mean())
    return tuple(float(dist.expect(lambda x, k=k: ((x - centre) / sd) ** k)) if k else 1.0
                 for k in range(0, 13, 2))


def _even_moments(dist: stats.rv_continuous) -> tuple[float, ...]:
    """E[wᵏ] for k = 0, 2, …, 12 of a law symmetric about 0: sdᵏ times the standard ones."""
    shapes = dist.args[: dist.dist.numargs]  # the shape parameters come first
    sd = float(dist.std())
    return tuple(m * sd**k for k, m in zip(range(0, 13, 2),
                                           _standard_moments(dist.dist.name, tuple(shapes)),
                                           strict=True))


def fourth_moment(s: Stream, dist: stats.rv_continuous, power_z: float) -> Finding:
    even = _even_moments(dist)
    kappa = even[2] / even[1] ** 2
    m2, m4 = s.squares / s.n, s.fourth / s.n
    observed = m4 / m2**2 if m2 > 0 else math.inf
    var_psi, third = _influence(even)
    sd = math.sqrt(var_psi / s.n)
    z = (observed - kappa) / sd
    gamma = third / var_psi**1.5 / math.sqrt(s.n)  # skew of mean(ψ), for Edgeworth
    correction = float(stats.norm.pdf(z)) * gamma * (z * z - 1) / 6 if math.isfinite(z) else 0.0
    lower = float(stats.norm.cdf(z)) - correction
    upper = float(stats.norm.sf(z)) + correction
    p = float(min(1.0, max(0.0, 2 * min(lower, upper))))
    heavier = "heavier" if observed > kappa else "lighter"
    return Finding("fourth_moment", z, p, kappa, observed,
                   f"kurtosis {observed:.4g} against {kappa:.4g}: {heavier} tails than the "
                   "law (another family, a cut, or outliers)", effect=observed / kappa - 1,
                   detectable=power_z * sd / kappa)


def extreme(s: Stream, dist: stats.rv_continuous, bound: float | None, ulp: float) -> Finding:
    """The largest |w| against the exact law of the maximum of n draws of |w|."""
    m = s.max_abs
    if bound is None:
        tail = 2 * float(dist.sf(m))  # P(|w| > m)
        below = math.exp(s.n * math.log1p(-tail)) if tail < 1 else 0.0
        above = -math.expm1(s.n * math.log1p(-tail)) if tail < 1 else 1.0
        sd = math.sqrt(float(dist.var()))
        where = f"at flat index {s.max_index}"
        return Finding("tail", m / sd, min(1.0, 2 * min(below, above)), None, m,
                       f"the largest |w| is {m / sd:.3g} sd, {where}: "
                       + ("an outlier the law would not produce in n draws" if above < below
                          else "too small for n draws: a cut or a light tail"),
                       effect=m / sd)
    largest = min(m + ulp, bound)
    f = float(dist.cdf(largest) - dist.cdf(-largest))
    p = 1.0 if f >= 1 else math.exp(s.n * math.log(f)) if f > 0 else 0.0
    gap = 1 - largest / bound
    return Finding("max_near_bound", m, p, bound, m,
                   f"largest |w| stays {gap:.3%} short of the bound: a narrower law, or a "
                   "bound computed from other fans", effect=-gap,
                   detectable=None)


def ks(s: Stream, dist: stats.rv_continuous, dtype: str, each_alpha: float) -> Finding:
    """KS on the thinned sample. For 16-bit values the law is the rounded one, a step
    function: D compares the empirical and the law's steps at each level from both sides,
    and its p-value, Kolmogorov's for continuous laws, is conservative for steps. The
    values are centred on `s.centre`; the dtype rounded them before that."""
    sample = s.sample()
    n = sample.size
    if dtype in ("float16", "bfloat16"):
        levels, counts = np.unique(sample, return_counts=True)
        above = np.cumsum(counts) / n  # F_n at each level, and just below it:
        below = above - counts / n
        made = round_to(dtype, levels + s.centre).astype(np.float64)  # the values as made
        law_at = dist.cdf(rounded_edges(dtype, np.nextafter(made, np.inf)) - s.centre)
        law_below = dist.cdf(rounded_edges(dtype, made) - s.centre)
        d = float(max(np.max(above - law_at), np.max(law_below - below), 0.0))
        p = float(stats.kstwo(n).sf(d))
    else:
        result = stats.kstest(sample, dist.cdf)
        d, p = float(result.statistic), float(result.pvalue)
    return Finding("ks", d, p, "law", f"n={n}",
                   "the shape differs from the law's (KS on a thinned sample spanning the array)",
                   effect=d, detectable=math.sqrt(-math.log(each_alpha / 2) / (2 * n)))


def histogram_edges(dist: stats.rv_continuous, bound: float | None, n: int) -> np.ndarray:
    """Equal-width bin edges over the support (±5 sd for an unbounded law), about n/20
    bins but at most 1024, so that every bin expects values."""
    top = bound if bound is not None else 5 * math.sqrt(float(dist.var()))
    bins = int(min(MAX_BINS, max(8, n // 20)))
    return np.linspace(-top, top, bins + 1)


def histogram(s: Stream, dist: stats.rv_continuous, dtype: str, bounded: bool) -> Finding:
    """Pearson's χ² over the bins, with bins expecting < 5 values pooled into neighbours; for a
    bounded law the values beyond the bound (seen by within_bound) are left out."""
    assert s.counts is not None
    if dtype in ("float16", "bfloat16"):  # the law's levels, binned as the values were
        levels, masses = level_masses(dtype, dist, s.centre)
        probs = np.bincount(bin_index(levels, s.edges), weights=masses,
                            minlength=s.edges.size + 1)
    else:
        cdf = dist.cdf(s.edges)
        probs = np.concatenate([[cdf[0]], np.diff(cdf), [1 - cdf[-1]]])
    counts = s.counts.astype(float)
    if bounded:
        probs, counts = probs[1:-1], counts[1:-1]
    total = counts.sum()
    expected = probs / probs.sum() * total
    pooled_e, pooled_o, e_acc, o_acc = [], [], 0.0, 0.0
    for e, o in zip(expected, counts, strict=True):
        e_acc, o_acc = e_acc + e, o_acc + o
        if e_acc >= MIN_EXPECTED:
            pooled_e.append(e_acc)
            pooled_o.append(o_acc)
            e_acc = o_acc = 0.0
    if pooled_e:
        pooled_e[-1] += e_acc
        pooled_o[-1] += o_acc
    e, o = np.array(pooled_e), np.array(pooled_o)
    df = max(e.size - 1, 1)
    chi2 = float(np.sum((o - e) ** 2 / e)) if e.size else 0.0
    worst = int(np.argmax((o - e) ** 2 / e)) if e.size else 0
    return Finding("histogram", chi2, float(stats.chi2.sf(chi2, df)) if e.size > 1 else 1.0,
                   f"{df} df", f"{e.size} bins",
                   f"the values' histogram over all n departs from the law (chi2 {chi2:.4g} on "
                   f"{df} df; the worst bin holds {o[worst] if e.size else 0:.0f} values where "
                   f"{e[worst] if e.size else 0:.1f} were expected): gaps, a coarse grid, or "
                   "another law in part of the array", effect=(chi2 - df) / df)
