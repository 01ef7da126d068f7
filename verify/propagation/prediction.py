"""`predict`: the per-layer statistics `propagate` should measure, from mean-field theory, with
the tolerances a Monte Carlo measurement of them must meet (see `tolerance` and `chain`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from derive import Scheme
from verify.propagation import chain
from verify.propagation import tolerance as tol
from verify.propagation.meanfield import (
    GaussianMoments,
    gaussian_moments,
    linear_variances,
    weight_variances,
)
from verify.propagation.profile import Profile, Tolerance, layer_widths
from verify.propagation.quadrature import Activation, activation

SPAN = 8.0  # the law's grid reaches this many one-input spreads s_l beyond every log q_l


@dataclass(frozen=True)
class LayerPrediction:
    """One layer's theory: its moments at q, one input's (s_q) and the pooled (p_q) spread of
    log q, the batch mean's drift, the bands at p_q and s_q, the fresh noise, the largest
    slope of log E[φ'²] against log q in one input's band, and the band's tolerances of
    log Var(a) and of the mean (`predict` keeps the smaller of these and the law's)."""

    moments: GaussianMoments
    s_q: float
    p_q: float
    drift: tol.Drift
    pooled: tol.Band
    single: tol.Band
    fresh: tol.Fresh
    grad_slope: float
    var_tol: float
    mean_tol: float


def predict(init: Scheme | str, activation_name: str, *, depth: int,
            width: int | Sequence[int], batch: int = 1, bias: float = 0.0, slope: float = 0.01,
            alpha: float = 1e-6) -> Profile:
    """The per-layer mean, std, var and grad_var `propagate` should measure, with tolerances
    for statistics pooled over `batch` independent unit-Gaussian inputs.

    q_l = σ_l²·n_{l−1}·E[a_{l−1}²] + σ_b²; `tolerance.var` and `.grad_var` are half-widths
    in log space, `.mean` is absolute.

    >>> p = predict("he_normal", "relu", depth=3, width=64)
    >>> [round(float(v), 3) for v in p.pre_var]
    [2.0, 2.0, 2.0]
    """
    widths = layer_widths(width, depth)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be a positive integer, got {batch!r}")
    if not (np.isfinite(bias) and bias >= 0):
        raise ValueError(f"bias is a standard deviation: finite and >= 0, got {bias!r}")
    sigma2 = weight_variances(init, widths)
    phi = activation(activation_name, slope)
    k = stats.norm.isf(alpha / (2 * 3 * depth))
    layers: list[LayerPrediction] = []
    # the unit-Gaussian input: log E[x²]'s spread per input and pooled, its drift, and
    # E[ρ], E[ρ²] of the cosine between two inputs
    m2, s_m2, p_m2, m2_drift = 1.0, np.sqrt(2 / widths[0]), np.sqrt(2 / (widths[0] * batch)), 0.0
    m2_up = m2  # E[a²] at the upper edge of one input's band
    mu, noise = (0.0, 1 / widths[0]), 0.0
    # the independent noises of log E[a_l²], l = 0..depth−1, one input's and pooled
    one_noise, pooled_noise, tails = [2 / widths[0]], [2 / (widths[0] * batch)], []
    for l in range(1, depth + 1):
        gain = sigma2[l - 1] * widths[l - 1]
        signal = gain * m2
        q = signal + bias**2
        frac = signal / q if q > 0 else 0.0
        # the bias dilutes a spread in E[a²] by signal/q, less so in the upper tail
        upper = gain * m2_up + bias**2
        tail = max(frac, gain * m2_up / upper if upper > 0 else 0.0)
        if layers:
            mu = tol.correlations(mu, layers[-1].moments, gain, q, noise)
        else:  # the bias, shared by all inputs, correlates their pre-activations
            mu = (1 - frac, (1 - frac) ** 2 + frac**2 * mu[1])
        m = gaussian_moments(phi, q)
        s_q, p_q = tail * s_m2, tail * max(p_m2, tol.fenton_wilkinson(s_m2, batch))
        tails.append(tail)
        if activation_name == "linear" and not bias:
            exact = float(linear_variances(sigma2, widths)[l - 1])
            m = replace(m, m2=exact, var=exact)
        log_bias = np.log((signal * np.exp(m2_drift) + bias**2) / q) if q > 0 else 0.0
        drift = tol.drift(phi, m, log_bias, s_q)
        pooled, single = tol.band(phi, m, p_q, k), tol.band(phi, m, s_q, k)
        fresh = tol.fresh(m, mu, batch, widths[l])
        var_tol = drift.var_drift + pooled.var_shift + tol.gamma_halfwidth(fresh.var, k)
        mean_tol = (drift.mean_drift + pooled.mean_shift
                    + k * np.sqrt(fresh.mean * (pooled.var_max / m.var if m.var > 0 else 1.0)))
        layers.append(LayerPrediction(m, s_q, p_q, drift, pooled, single, fresh,
                                      tol.grad_slope(phi, m, s_q, k), var_tol, mean_tol))
        s_m2 = np.sqrt((single.e_band * s_q) ** 2 + max(m.kappa - 1, 0) / widths[l])
        p_m2 = np.sqrt((single.e_band * p_q) ** 2 + fresh.m2)
        one_noise.append(max(m.kappa - 1, 0) / widths[l])
        pooled_noise.append(fresh.m2)
        m2_drift, m2_up, noise = drift.m2_drift, single.m2_up, fresh.noise
        m2 = m.m2

    grad = np.empty(depth)
    g = 1.0  # Var of the unit-Gaussian output gradient
    for l in range(depth, 0, -1):
        g *= layers[l - 1].moments.d2
        grad[l - 1] = g
        g *= widths[l] * sigma2[l - 1]  # back through W_l: n_l·σ_l²

    def column(value: object) -> np.ndarray:
        return np.array([value(layer) for layer in layers])  # type: ignore[operator]

    var = column(lambda x: x.moments.var)
    var_tol, mean_tol = column(lambda x: x.var_tol), column(lambda x: x.mean_tol)
    grad_ranges = column(lambda x: x.single.grad_shift + x.drift.grad_drift)
    lawful = _by_law(layers, phi, sigma2, widths, bias, alpha / (2 * 3 * depth * batch), k)
    if lawful is not None:
        var_tol, mean_tol, grad_ranges = (np.minimum(a, b) for a, b in zip(
            (var_tol, mean_tol, grad_ranges), lawful, strict=True))
    moves = tol.grad_moves(np.array(tails), column(lambda x: x.single.e_band),
                           column(lambda x: x.grad_slope), np.array(one_noise[:depth]),
                           np.array(pooled_noise[:depth]), column(lambda x: x.drift.grad_drift),
                           grad_ranges, batch, k)
    grad_tol = tol.grad_tolerance(column(lambda x: x.moments.kappa_grad),
                                  column(lambda x: x.fresh.grad_cross), moves, widths, batch, k)
    return Profile("predicted", activation_name, widths, column(lambda x: x.moments.m1),
                   np.sqrt(var), var, grad, pre_var=column(lambda x: x.moments.q),
                   tolerance=Tolerance(var=var_tol, mean=mean_tol, grad_var=grad_tol))


def _by_law(layers: list[LayerPrediction], phi: Activation, sigma2: np.ndarray,
            widths: Sequence[int], bias: float, tail: float,
            k: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The second bound, every input's q_l within its law's `tail` quantiles: per layer the
    tolerances of log Var(a) and of the mean, and the range of log E[φ'²]; None without a
    law (a q of 0, or a layer passing no signal)."""
    if not all(x.moments.q > 0 for x in layers):
        return None
    log_q = np.log([x.moments.q for x in layers])
    reach = SPAN * np.maximum([x.s_q for x in layers], np.sqrt(2 / min(widths)))
    step = min(np.sqrt(2 / widths[0]), *(np.sqrt(max(x.moments.kappa - 1, 0) / n)
                                         for x, n in zip(layers, widths[1:], strict=True)))
    one = chain.law(phi, sigma2, widths, bias, float(np.min(log_q - reach)),
                    float(np.max(log_q + reach)), step)
    if one is None:
        return None
    ranges = [chain.ranges(one, l, x.moments, tail) for l, x in enumerate(layers, 1)]
    var = [r.var + tol.gamma_halfwidth(x.fresh.var, k) for r, x in zip(ranges, layers,
                                                                        strict=True)]
    mean = [r.mean + k * np.sqrt(x.fresh.mean * (r.var_max / x.moments.var if x.moments.var > 0
                                                 else 1.0))
            for r, x in zip(ranges, layers, strict=True)]
    return np.array(var), np.array(mean), np.array([r.grad for r in ranges])
