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

Each tolerance is the smaller of two bounds, each at the family-wise α (both are fixed
before the measurement, so the smaller holds at α too):

- By band. The drift of a batch mean (E[a], E[a²] or Var(a) averaged over inputs whose
  log q spreads by s_l, Gauss–Hermite), plus the prediction's largest move when q_l is
  re-evaluated at q_l·e^{±k·p_l}, plus the reach of its fresh noise. The two are
  independent (the fresh noise of layer l has mean 0 given a_{l−1}) but they are added,
  not taken in quadrature: where one heavy-tailed input leads a batch (SiLU under He
  schemes) the band's move is far from normal, and a quadrature sum is too short. The fresh
  noise reaches k sd for the mean; for Var(a), a mean of many positive terms, it reaches
  as far as log X does at the same tail probability, X a gamma of mean 1 and the same
  variance (`gamma_halfwidth`): the lower tail of a log variance is the longer one.
- By law. `chain` computes the law of one input's q_l (a Markov chain, exact up to the
  gamma law of one layer's mean square). A batch's statistic lies between its inputs', so
  when every input's q_l lies within its law's α/B quantiles, the prediction moves at most
  as far as it does over that interval; plus the reach of the fresh noise. This bound
  wins where one input's log q spreads far and the map is not a power of q (GELU under He
  schemes), where the band's linear recursion overstates the spread.

Gradients pool their fresh noise the same way (one input's is (3κ'_m − 1)/n_m with
κ' = E[φ'⁴]/E[φ'²]², summed over the layers above), and add what the inputs' spread of
q_m does to E[φ'²] for m ≥ l (`grad_moves`): the smaller of its range (one input's move
of E[φ'²] within its band or its law's interval, summed over the layers above) and a
Lipschitz bound that pools over the batch: log E[φ'²] changes by at most L_m per unit of
log q in the band, so the summed change is a Lipschitz function of the layers' Gaussian
noises, and the Gaussian Poincaré inequality bounds its variance, one input's and the
batch mean's. k is the two-sided normal quantile at α / (number of comparisons).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from verify.propagation.meanfield import STEP, GaussianMoments
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


def grad_slope(phi: Activation, m: GaussianMoments, s_q: float, k: float) -> float:
    """The largest |g'(δ)|, g(δ) = log E[φ'²](q·e^δ), over one input's band |δ| ≤ k·s_q: at
    δ = 0 (a central difference of STEP) and between neighbours of the grid
    δ = j·k·s_q/8, j = −8..8."""
    f = [lambda x: phi.grad(x) ** 2]
    if m.q <= 0 or m.d2 <= 0:
        return 0.0
    width = min(k * s_q, LOG_Q_CAP)
    deltas = np.array([-STEP, STEP, *(width * np.arange(-8, 9) / 8)])
    values = np.array([expect(f, m.q * np.exp(d))[0] for d in deltas])
    if not np.all(values > 0):
        return np.inf
    logs = np.log(values)
    slopes = [(logs[1] - logs[0]) / (2 * STEP)]
    if width > 0:
        slopes += list(np.diff(logs[2:]) / np.diff(deltas[2:]))
    return float(np.max(np.abs(slopes)))


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


def gamma_halfwidth(rel_var: float, k: float) -> float:
    """How far log X strays from 0 at the normal tail probability of k, either way, for X a
    gamma of mean 1 and variance `rel_var`: a pooled variance, a sum of many positive terms,
    has the gamma's longer lower tail in log (k·√rel_var is too short there)."""
    if rel_var <= 0:
        return 0.0
    tail, shape = stats.norm.sf(k), 1 / rel_var
    return float(max(-np.log(stats.gamma.ppf(tail, shape, scale=rel_var)),
                     np.log(stats.gamma.isf(tail, shape, scale=rel_var))))


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
    """log Var(δ_l)'s tolerance: k times the sd of the fresh noise of every layer m ≥ l,
    pooled over the batch, plus `moves`, what the forward spread of log q does (see
    `grad_moves`). The two are added, not taken in quadrature: a unit's φ'² and φ² share its
    pre-activation, so they need not be independent.

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
    return k * spread + moves


def grad_moves(tail: np.ndarray, e: np.ndarray, slopes: np.ndarray, one: np.ndarray,
               pooled_noise: np.ndarray, drifts: np.ndarray, ranges: np.ndarray, batch: int,
               k: float) -> np.ndarray:
    """What the inputs' spread of log q_m, m ≥ l, does to log Var(δ_l): the smaller of two
    bounds.

    By range: every input's q_m lies in its band, so the batch's E[φ'²] moves by at most
    `ranges` (the band's move plus its drift, or the move within the law's quantiles of q_m),
    summed over m ≥ l.

    By slope: one input's Y_l = Σ_{m≥l} g_m(D_m), g_m(δ) = log E[φ'²](q_m·e^δ) / E[φ'²](q_m)
    with |g_m'| ≤ L_m (`slopes`) in the band, and the deviation D_m of its log q_m is
    driven by the layers' independent noises ε_j (j = 0: the input's E[x²]; j ≥ 1: layer
    j's E[a_j²] given a_{j−1}): D_1 = t_1·ε_0, D_m = t_m·(e_{m−1}·D_{m−1} + ε_{m−1}), t the
    bias's dilution and e the elasticity of E[φ²] (its largest secant in the band). So
    |∂Y_l/∂ε_j| ≤ C_{l,j} = Σ_{m≥l} L_m·A_{m,j}: Y_l is a Lipschitz function of Gaussian
    noises, and by the Gaussian Poincaré inequality Var Y_l ≤ Σ_j C_{l,j}²·Var ε_j, with tails
    no heavier than a normal's of that variance (Gaussian concentration),
    with one input's Var ε_j (`one`) or, for the batch mean of Y_l, the pooled
    (`pooled_noise`, whose cross covariances are ≥ 0). The bound is the drift (the layers'
    own plus the lognormal's correction for their correlation,
    (Var Y_l − Σ_{m≥l} L_m²·Var D_m) / 2) and k times the pooled sd, at least
    Fenton–Wilkinson's for one input's."""
    depth = len(tail)
    a = np.zeros((depth, depth))  # a[m, j]: the coefficient of ε_j in D_{m+1}
    a[0, 0] = tail[0]
    for m in range(1, depth):
        a[m] = tail[m] * e[m - 1] * a[m - 1]
        a[m, m] += tail[m]
    weights = np.where(a == 0, 0.0, np.asarray(slopes)[:, None] * a)

    def above(x: np.ndarray) -> np.ndarray:
        return np.cumsum(x[::-1], axis=0)[::-1]

    coeff = above(weights)
    var_one, var_pooled = coeff**2 @ one, coeff**2 @ pooled_noise
    own = above(weights**2 @ one)
    spread = np.maximum(np.sqrt(var_pooled), [fenton_wilkinson(s, batch)
                                              for s in np.sqrt(var_one)])
    by_slope = above(drifts) + np.maximum(var_one - own, 0) / 2 + k * spread
    return np.minimum(above(ranges), by_slope)
