"""How far a Monte Carlo measurement may stray from the mean-field prediction, layer by layer.

Given a_{l−1}, layer l's n_l units are independent, so the log of one input's mean
square has variance (κ_l − 1)/n_l with κ = E[φ⁴]/E[φ²]² (2/n for linear, 5/n for
ReLU), and the error carried in log q_l passes on with elasticity e_l = d log E[φ²]/d log q:
s_l² = e_l²·s_{l−1}² + (κ_l − 1)/n_l, so s_L ≈ √(5L/n) for ReLU. e_l is the largest
secant elasticity from q_l to q_l·e^{±k·s_l}, so that the tails follow the map where it
is not a power of q (SiLU, GELU), and a bias dilutes the spread by signal/q at the upper
tail, not the centre.

The measured statistics pool B inputs. Their fresh noise is
Var f / B + (1 − 1/B)·(mean over input pairs of Cov(f(u), f(v))), and by Mehler's
expansion Cov = Σ_k c_k²ρ^k ≤ c_1²·E[ρ] + (Var f − c_1²)·E[ρ²], with c_1 = E[f·z]
and ρ the pre-activations' correlation between two inputs. Bounds on E[ρ] and E[ρ²]
are carried through the layers by the correlation map plus a finite-width noise
≤ E[φ(u)²φ(v)²]/(n·E[φ²]²). When inputs stay decorrelated (linear, tanh) this shrinks
the spread by up to √B; when they correlate (ReLU: E[ρ] → 1) it does not. The
pooled spread p_l follows the same recursion. It is kept at or above the
Fenton–Wilkinson spread of a mean of B lognormals of spread s_l, because one
heavy-tailed input dominates a batch mean.

A prediction's tolerance is the sum of three parts: its largest move when q_l is
re-evaluated at q_l·e^{±k·p_l}; k times the sd of its fresh noise; and the drift of a
batch mean, which is E[a], E[a²] or Var(a) averaged over inputs whose log q spreads
by s_l (Gauss–Hermite).
Gradients pool their fresh noise the same way (one input's is (3κ'_m − 1)/n_m with
κ' = E[φ'⁴]/E[φ'²]², summed over the layers above), but keep one input's moves of
E[φ'²] at q_l·e^{±k·s_l}, summed over the layers above. k is the two-sided normal
quantile at α / (number of comparisons).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from verify.propagation.meanfield import GaussianMoments
from verify.propagation.quadrature import Activation, expect

LOG_Q_CAP = 40.0  # the widest band in log q: e^40·q is past every scale that matters
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(7)
HERMITE = (_NODES, _WEIGHTS / _WEIGHTS.sum())  # expectations over z ~ N(0, 1)


@dataclass(frozen=True)
class Band:
    """How far q within e^{±k·s} moves the predictions: the mean (absolute), log Var(a) and
    log E[φ'²]; the largest Var(a) in the band; the largest secant elasticity of E[φ²] from
    q to either edge; and E[φ²] at the upper edge."""

    mean_shift: float
    var_max: float
    var_shift: float
    grad_shift: float
    e_band: float
    m2_up: float


@dataclass(frozen=True)
class Drift:
    """The pooled statistics' second-order drift against their values at q: E[a] (absolute),
    and log E[a²], log Var(a), log E[φ'²]."""

    mean_drift: float
    m2_drift: float
    var_drift: float
    grad_drift: float


@dataclass(frozen=True)
class Fresh:
    """Layer l's own noise, pooled over n units and the batch: the relative variances of
    E[a²] (m2) and Var(a) (var), the variance of the mean, the finite-width noise of the
    next correlation, and the cross covariance of φ'² between two inputs over E[φ'²]²."""

    m2: float
    var: float
    mean: float
    noise: float
    grad_cross: float


def band(phi: Activation, m: GaussianMoments, s_q: float, k: float) -> Band:
    """The moves of the predictions as q ranges over q·e^{±k·s_q}; the secant elasticity
    carries the k·s_q tails of log q through the layer where the map is not a power of q."""
    fns = [phi, lambda x: phi(x) ** 2, lambda x: phi.grad(x) ** 2]
    width = min(k * s_q, LOG_Q_CAP)
    edges = [expect(fns, m.q * np.exp(sign * width)) for sign in (1, -1)]
    var = [max(m2 - m1**2, 0.0) for m1, m2, _ in edges]

    def log_shift(values: list[float], centre: float) -> float:
        if centre <= 0:
            return 0.0 if all(v == 0 for v in values) else np.inf
        return max(abs(np.log(v / centre)) if v > 0 else np.inf for v in values)

    (_, up, _), (_, down, _) = edges
    secant = [np.log(up / m.m2), np.log(m.m2 / down)] if width > 0 and down > 0 else [0.0]
    return Band(mean_shift=max(abs(m1 - m.m1) for m1, _, _ in edges),
                var_max=max(m.var, *var), var_shift=log_shift(var, m.var),
                grad_shift=log_shift([d2 for _, _, d2 in edges], m.d2),
                e_band=max(max(secant) / width if width > 0 else 0.0, m.e_m2), m2_up=up)


def drift(phi: Activation, m: GaussianMoments, log_bias: float, s_q: float) -> Drift:
    """E[a], E[a²], Var(a) and E[φ'²] averaged over inputs whose q_b = q·e^δ spread with
    δ ~ N(log_bias − s_q²/2, s_q²) (so E[q_b] = q·e^{log_bias}), by Gauss–Hermite in δ."""
    nodes, weights = HERMITE
    fns = [phi, lambda x: phi(x) ** 2, lambda x: phi.grad(x) ** 2]
    m1, m2, d2 = weights @ np.array([expect(fns, m.q * np.exp(
        np.clip(log_bias - s_q**2 / 2 + s_q * t, -LOG_Q_CAP, LOG_Q_CAP)))
                                 for t in nodes])
    var = max(m2 - m1**2, 0.0)

    def log_ratio(value: float, centre: float) -> float:
        return 0.0 if value == centre else np.log(value / centre) if value * centre > 0 else np.inf

    return Drift(mean_drift=abs(m1 - m.m1), m2_drift=log_ratio(m2, m.m2),
                 var_drift=abs(log_ratio(var, m.var)), grad_drift=abs(log_ratio(d2, m.d2)))


def cross(c1: float, var: float, mu: tuple[float, float]) -> float:
    """A bound on the average over input pairs of Cov(f(u), f(v)), corr(u, v) = ρ:
    Mehler's Σ_{k≥1} c_k²ρ^k ≤ c_1²·E[ρ] + (Var f − c_1²)·E[ρ²], as |ρ^k| ≤ ρ² for k ≥ 2."""
    return min(max(c1**2 * mu[0] + (var - c1**2) * mu[1], 0.0), var)


def pooled(var: float, covariance: float, batch: int) -> float:
    """Var of one unit's f averaged over `batch` inputs: Var f / B + (1 − 1/B)·mean cross Cov."""
    return var / batch + (1 - 1 / batch) * covariance


def fenton_wilkinson(s: float, batch: int) -> float:
    """The log-spread of the mean of `batch` independent lognormals of log-spread s, by
    Fenton–Wilkinson: √log(1 + (e^{s²} − 1)/B). A floor for the pooled spread, which the
    linear recursion underestimates once one input's spread s is large."""
    return float(np.sqrt(np.log1p(np.expm1(min(s * s, 700.0)) / batch)))


def fresh(m: GaussianMoments, mu: tuple[float, float], batch: int, n: int) -> Fresh:
    """Layer l's own noise, given a_{l−1}: Var(a) = E[g], g = (φ − E[φ])², Var g = μ4 −
    Var(a)², g's first Hermite coefficient E[φ²z] − 2E[φ]E[φz]; the next correlation's noise
    E[η²] ≤ E[φ(u)²φ(v)²]/(n·E[φ²]²)."""
    var_m2 = m.m4 - m.m2**2
    cross_m2 = cross(m.b1, var_m2, mu)
    var_g = max(m.central4 - m.var**2, 0.0)
    cross_g = cross(m.b1 - 2 * m.m1 * m.a1, var_g, mu)
    return Fresh(
        m2=pooled(var_m2, cross_m2, batch) / (n * m.m2**2) if m.m2 > 0 else 0.0,
        var=pooled(var_g, cross_g, batch) / (n * m.var**2) if m.var > 0 else 0.0,
        mean=pooled(m.var, cross(m.a1, m.var, mu), batch) / n,
        noise=(1 + cross_m2 / m.m2**2) / n if m.m2 > 0 else 1.0,
        grad_cross=(cross(m.g1, m.d4 - m.d2**2, mu) / m.d2**2 if m.d2 > 0 else 0.0))


def correlations(mu: tuple[float, float], prev: GaussianMoments, gain: float, q: float,
                 noise: float) -> tuple[float, float]:
    """Bounds on E[ρ], E[ρ²] over input pairs of the next pre-activation correlation
    ρ' = R(ρ) + η, R(ρ) = (g·E[φ(u)φ(v)] + σ_b²)/q = r0 + r1·ρ + Σ_{j≥2} r_j ρ^j, r_j ≥ 0,
    with g = σ²·n, Σ_{j≥2} r_j = g·(E[φ²] − E[φ]² − a1²)/q, and E[η²] ≤ `noise`."""
    if q <= 0:  # every pre-activation is 0: all inputs alike
        return 1.0, 1.0
    r0 = (q - gain * (prev.m2 - prev.m1**2)) / q  # (g·E[φ]² + σ_b²)/q
    r1 = gain * prev.a1**2 / q
    rest = max(gain * (prev.m2 - prev.m1**2 - prev.a1**2) / q, 0.0)
    mu1 = r0 + r1 * mu[0] + rest * mu[1]
    mu2 = (r0**2 + 2 * r0 * r1 * np.sqrt(mu[1])
           + (r1**2 + rest**2 + 2 * rest * (r0 + r1)) * mu[1] + noise)
    return min(mu1, 1.0), min(mu2, 1.0)


def grad_tolerance(kappa_grad: np.ndarray, grad_cross: np.ndarray, moves: np.ndarray,
                   widths: Sequence[int], batch: int, k: float) -> np.ndarray:
    """log Var(δ_l)'s tolerance: the fresh noise of every layer m ≥ l, pooled over the batch,
    plus `moves`, each layer's move of E[φ'²] within one input's band q_m·e^{±k·s_m} and its
    drift, summed over the layers above. The moves stay per input: a batch's gradient follows
    its inputs with the largest q, whose E[φ'²] is off in the same direction at every layer.

    One unit's δ² = X²φ'(z)², X = (W_{m+1}ᵀδ_{m+1})_j Gaussian and independent of z:
    relative variance 3κ' − 1. Between two inputs X correlates by ρ_δ, the cosine of
    their δ_{m+1}, so the cross covariance is ≤ Cov(φ'(u)², φ'(v)²)/E[φ'²]² + 2κ'·E[ρ_δ²],
    with E[ρ_δ²] = 0 under the independent output gradients and growing downwards by
    E[X_b²X_c²φ'_b²φ'_c²]/(n·E[φ'²]²) ≤ (1 + cross + 2κ'·E[ρ_δ²])/n. The pooled spread
    is kept at or above Fenton–Wilkinson's for one input's spread."""
    n = np.array(widths[1:], dtype=float)
    one = np.maximum(3 * kappa_grad - 1, 0) / n
    spreads, rho2 = np.empty_like(one), 0.0
    for m in range(len(n) - 1, -1, -1):
        covariance = grad_cross[m] + 2 * kappa_grad[m] * rho2
        spreads[m] = pooled(one[m], min(covariance / n[m], one[m]), batch)
        rho2 = min(rho2 + (1 + covariance) / n[m], 1.0)
    spread = np.maximum(np.sqrt(np.cumsum(spreads[::-1])[::-1]),
                        [fenton_wilkinson(s, batch) for s in np.sqrt(np.cumsum(one[::-1])[::-1])])
    return k * spread + np.cumsum(moves[::-1])[::-1]
