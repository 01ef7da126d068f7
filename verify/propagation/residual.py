"""Residual streams: the block `propagate` stacks, and `predict_residual`, its theory.

A block adds a branch of m square layers (φ between them, the last one linear) to the
stream: x_l = x_{l−1} + α·F_l(x_{l−1}), or x_l = x_{l−1} + α·F_l(LN(x_{l−1})) with
pre-normalization. Its variance follows derive's block rule r_l = r_{l−1} + α²·V_l, where
V_l = Var(F_l) comes from the mean-field moments of the branch at its input's mean square
(r_{l−1}, or 1 after LN).

The tolerance of log r_l (r_l pooled over the batch) is carried as a pooled spread p_l,
from the input's p_0² = 2/(nB) (n·B independent unit Gaussians):
p_l² = e_l²·p_{l−1}² + w_l²·P_l + X_l, with w_l = α²V_l/r_l the branch's share of r_l and
e_l = 1 − w_l + w_l·e_V its elasticity in r_{l−1} (e_V = d log V/d log r_{l−1}: 1 for a
homogeneous branch, 0 after LN). P_l is the branch's own noise: each of its layers' fresh
noise (`tolerance.fresh`, pooled over n units and the batch with Mehler's bound on the
inputs' cross covariance), carried by the later layers' elasticities. X_l is the cross term
2α⟨x, F⟩/n: given the stream, F's units are independent with variance V_l, so one input's
relative variance is 4α²·r_{l−1}·V_l/(n·r_l²); between two inputs it correlates by
ρ_x·ρ_F, bounded by √(E[ρ_x²]·E[ρ_F²]). The inputs' correlation bounds (E[ρ], E[ρ²]) go
through the branch by `tolerance.correlations` and mix into the stream in proportion to
the variances. Nonlinear branches add a drift: V averaged over inputs whose log r spreads
by one input's spread s_l (same recursion with a batch of 1), by Gauss–Hermite.

The stream's mean over units and batch has variance 1/(nB) + Σ_l α²(σ²·n·E[ā²] + σ_b²)/n
(the rows of the last weights are independent; ā is the batch mean of the last hidden
activations). Var = E[x²] − mean² is low by about that variance, which the tolerance of
log Var admits as k²·Var(mean)/r_l. k is the two-sided normal quantile at α over the
2·depth comparisons. A tolerance that admits a factor 2 makes `compare` say
"inconclusive".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import stats

from derive import Scheme
from verify.propagation import tolerance as tol
from verify.propagation.meanfield import GaussianMoments, gaussian_moments, weight_variances
from verify.propagation.profile import Profile, Tolerance, layer_widths
from verify.propagation.quadrature import Activation, activation

Correlation = tuple[float, float]  # bounds on E[ρ] and E[ρ²] over input pairs


@dataclass(frozen=True)
class Residual:
    """A residual block: a branch of `branch_depth` layers, added times `multiplier` (α),
    its input layer-normalized per example when `prenorm`."""

    branch_depth: int = 2
    multiplier: float = 1.0
    prenorm: bool = False

    def __post_init__(self) -> None:
        m = self.branch_depth
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise ValueError(f"branch_depth must be a positive integer, got {m!r}")
        a = self.multiplier
        if isinstance(a, bool) or not isinstance(a, int | float) or not (np.isfinite(a)
                                                                          and a >= 0):
            raise ValueError(f"multiplier must be a finite number >= 0, got {a!r}")
        if not isinstance(self.prenorm, bool):
            raise ValueError(f"prenorm must be True or False, got {self.prenorm!r}")


def layer_norm(h: np.ndarray) -> np.ndarray:
    """Each row (one example) centred and divided by its standard deviation over the units."""
    centred = h - h.mean(axis=1, keepdims=True)
    return centred / np.sqrt((centred * centred).mean(axis=1, keepdims=True))


@cache
def _lambdified(name: str) -> object:
    """derive's residual result `name` as a function of its symbols' names (keywords)."""
    import sympy as sp

    from derive import residual as residual_proof

    expr = residual_proof().results[name]
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    fn = sp.lambdify(symbols, expr, "math")
    return lambda **values: fn(*(values[s.name] for s in symbols))


def block(previous: float, branch: float, multiplier: float) -> float:
    """derive's block rule: Var(x_l) = Var(x_{l−1}) + α²·Var(F_l)."""
    return float(_lambdified("block")(q=previous, V=branch, alpha=multiplier))


@dataclass(frozen=True)
class Branch:
    """The branch's theory at one input: its output variance V, the elasticity of V in the
    input's mean square, its pooled relative noise, the moments of its last hidden layer
    (None when m = 1) and the correlation bounds of its output and of that layer's input."""

    variance: float
    elasticity: float
    noise: float
    last: GaussianMoments | None
    correlation: Correlation
    hidden_correlation: Correlation


def _linear_correlation(mu: Correlation, frac: float, noise: float) -> Correlation:
    """Through z = W·a + b with a fresh W: ρ' = frac·ρ + (1 − frac) + η, frac = signal/q."""
    mu1 = frac * mu[0] + (1 - frac)
    mu2 = (1 - frac) ** 2 + 2 * (1 - frac) * frac * np.sqrt(mu[1]) + frac**2 * mu[1] + noise
    return min(mu1, 1.0), min(mu2, 1.0)


def branch(phi: Activation, sigma2: float, n: int, r_in: float, mu: Correlation, batch: int,
           bias: float, m: int) -> Branch:
    """Mean field through the branch: q_1 = σ²·n·r_in + σ_b², q_{j+1} = σ²·n·E[φ(z_j)²] + σ_b²,
    V = q_m; the noise of each layer carried by the later layers' elasticities."""
    gain = sigma2 * n
    q = gain * r_in + bias**2
    elasticity = gain * r_in / q if q > 0 else 0.0
    mu = _linear_correlation(mu, gain * r_in / q if q > 0 else 0.0, 2 / n)
    noise, last, hidden = 0.0, None, mu
    for _ in range(m - 1):
        last, hidden = gaussian_moments(phi, q), mu
        fresh = tol.fresh(last, mu, batch, n)
        q_next = gain * last.m2 + bias**2
        carry = (gain * last.m2 / q_next if q_next > 0 else 0.0) * last.e_m2
        noise = carry**2 * noise + (gain * last.m2 / q_next) ** 2 * fresh.m2 if q_next else 0.0
        elasticity *= carry
        mu = tol.correlations(mu, last, gain, q_next, fresh.noise)
        q = q_next
    out = gaussian_moments(activation("linear"), q)
    noise += tol.fresh(out, mu, batch, n).m2
    return Branch(q, elasticity, noise, last, mu, hidden)


def _mean_square_of_batch_mean(b: Branch, r_in: float, mu_in: Correlation, batch: int) -> float:
    """E over units of ā², ā the batch mean of the branch's last hidden activations."""
    if b.last is None:  # m = 1: the branch's input itself
        return r_in * tol.pooled(1.0, min(np.sqrt(mu_in[1]), 1.0), batch)
    m = b.last
    return m.m1**2 + tol.pooled(m.var, tol.cross(m.a1, m.var, b.hidden_correlation), batch)


def predict_residual(init: Scheme | str, activation_name: str, *, depth: int, width: int,
                     residual: Residual, batch: int, bias: float = 0.0, slope: float = 0.01,
                     alpha: float = 1e-6) -> Profile:
    """The stream's per-block mean, std and var `propagate(..., residual=residual)` should
    measure over `batch` unit-Gaussian inputs, with tolerances (see the module's docstring).

    r_0 = 1, r_l = r_{l−1} + α²·V_l (derive's block rule); var tolerances in log space.
    """
    if not isinstance(residual, Residual):
        raise TypeError(f"residual must be a Residual, got {residual!r}")
    if isinstance(width, bool) or not isinstance(width, int):
        raise ValueError(f"a residual stream keeps one width: give an integer, got {width!r}")
    widths = layer_widths(width, depth)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be a positive integer, got {batch!r}")
    if not (np.isfinite(bias) and bias >= 0):
        raise ValueError(f"bias is a standard deviation: finite and >= 0, got {bias!r}")
    phi = activation(activation_name, slope)
    sigma2 = float(weight_variances(init, (width, width))[0])
    a, m, n = residual.multiplier, residual.branch_depth, width
    k = stats.norm.isf(alpha / (2 * 2 * depth))
    nodes, weights = tol.HERMITE

    r, mu = 1.0, (0.0, 1 / n)
    # the unit-Gaussian input: log E[x^2]'s variance pooled and per input, its mean's variance
    pooled2, single2, drift, mean_var = 2 / (n * batch), 2 / n, 0.0, 1 / (n * batch)
    var, var_tol, mean_tol = (np.empty(depth) for _ in range(3))
    for l in range(depth):
        r_in = 1.0 if residual.prenorm else r
        b = branch(phi, sigma2, n, r_in, mu, batch, bias, m)
        one = branch(phi, sigma2, n, r_in, mu, 1, bias, m)
        r_next = block(r, b.variance, a)
        share = a**2 * b.variance / r_next
        e_v = 0.0 if residual.prenorm else b.elasticity
        e = (1 - share) + share * e_v
        cross = 4 * a**2 * r * b.variance / (n * r_next**2)
        pooled2 = (e**2 * pooled2 + share**2 * b.noise
                   + cross * tol.pooled(1.0, min(np.sqrt(mu[1] * b.correlation[1]), 1.0), batch))
        single2 = e**2 * single2 + share**2 * one.noise + cross
        if not residual.prenorm and e_v != 1.0 and single2 > 0:
            spread = np.sqrt(single2)
            mean_v = weights @ np.array([
                branch(phi, sigma2, n, r_in * np.exp(spread * t - single2 / 2), mu, 1, bias,
                       m).variance for t in nodes])
            drift = e * drift + abs(a**2 * (mean_v - b.variance)) / r_next
        mean_var += a**2 * (sigma2 * n * _mean_square_of_batch_mean(b, r_in, mu, batch)
                            + bias**2) / n
        mu = (min((r * mu[0] + a**2 * b.variance * b.correlation[0]) / r_next, 1.0),
              min((r * mu[1] + a**2 * b.variance * b.correlation[1]) / r_next + 2 * share / n,
                  1.0))
        r = r_next
        var[l] = r
        var_tol[l] = k * np.sqrt(pooled2) + pooled2 + drift + k**2 * mean_var / r
        mean_tol[l] = k * np.sqrt(mean_var)
    zeros = np.zeros(depth)
    return Profile("predicted", activation_name, widths, zeros, np.sqrt(var), var, None,
                   tolerance=Tolerance(var=var_tol, mean=mean_tol, grad_var=zeros))
