"""Dynamical isometry: the input-output Jacobian's singular values against free probability.

The net: x_0 = φ(h_0) with h_0 ~ N(0, q·I), so that x_0 is distributed as a layer's output
at pre-activation variance q (for the linear net, a Gaussian input of variance q);
h_l = W_l·x_{l−1} + b_l, b_l ~ N(0, σ_b²·I), x_l = φ(h_l), W_l of shape (n, n), l = 1..L.
J = ∂x_L/∂x_0 = D_L·W_L ⋯ D_1·W_1, D_l = diag(φ'(h_l)).

Prediction (derive's isometry derivation, large width): along the length map
q_l = σ_w²·E[φ(h_{l−1})²] + σ_b², m_l = σ_w²·μ_1(q_l)·m_{l−1} and
v_l = v_{l−1} + μ_2/μ_1² − 1 − s_1 from m_0 = 1, v_0 = 0, μ_k = E[φ'(h)^{2k}]; the spectrum
of JJᵀ has mean m_L and variance m_L²·v_L. σ_w² = n·Var(w); s_1 = 0 for orthogonal weights,
−1 for i.i.d. ones (Marchenko–Pastur, for any law with a finite fourth moment).

Monte Carlo: each net gives the mean m̂ of s² and v̂ = Var(s²)/m̂² (the spectrum's variance
over its squared mean, which the finite net's overall scale does not move). Averaged over R
nets at widths n and 2n, each is extrapolated linearly in 1/n to 2·x̄(2n) − x̄(n): finite
width adds O(1/n) (the measured x̄(n) − x̄(2n) states its size), and the extrapolation leaves
O(1/n²). The standard error is √(4·se(2n)² + se(n)²) from the spread over nets; the
tolerance is t·se, t the two-sided Student quantile at α/2 (two comparisons) for the
Welch–Satterthwaite degrees of freedom of that error, plus the rounding of the L products
(relative 2·L·n·ε on each s², squared for the variance) and of the predicted variance, a sum
of L terms of order 1 (8·L·ε).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp
from scipy import stats

from derive import ACTIVATIONS as ACTIVATION_NAMES
from derive import E, Scheme, isometry
from verify.propagation.quadrature import activation, expect
from verify.sampling import child_seeds, initializer, resolve

IID = ("normal", "truncated_normal", "uniform")


@cache
def _formula(name: str) -> tuple[Callable[..., float], tuple[str, ...]]:
    """Derive's result `name` as a function of its symbols, passed by name (an E[·] as 'E')."""
    expr = isometry().results[name]
    moments = sorted(expr.atoms(E), key=str)
    stand_ins = {m: sp.Symbol("E") for m in moments}
    expr = expr.xreplace(stand_ins)
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    return sp.lambdify(symbols, expr, "math"), tuple(s.name for s in symbols)


def formula(name: str, **values: float) -> float:
    """Derive's isometry result `name` at these values of its symbols (by their names)."""
    fn, names = _formula(name)
    missing = set(names) - set(values)
    if missing:
        raise ValueError(f"{name} needs {', '.join(sorted(missing))}")
    return float(fn(*(values[n] for n in names)))


def _check(activation_name: str, depth: int, width: int, q: float, bias: float) -> None:
    if activation_name not in ACTIVATION_NAMES:
        raise ValueError(f"unknown activation {activation_name!r}; "
                         f"choose from: {', '.join(ACTIVATION_NAMES)}")
    for name, value, least in (("depth", depth, 1), ("width", width, 2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{name} must be an integer of at least {least}, got {value!r}")
    if not (math.isfinite(q) and q > 0):
        raise ValueError(f"q is the input's pre-activation variance: finite and > 0, got {q!r}")
    if not (math.isfinite(bias) and bias >= 0):
        raise ValueError(f"bias is a standard deviation: finite and >= 0, got {bias!r}")


def jacobian_spectrum(init: object, activation_name: str, *, depth: int, width: int,
                      seed: int = 0, q: float = 1.0, bias: float = 0.0,
                      slope: float = 0.01) -> np.ndarray:
    """The singular values of J = D_L·W_L ⋯ D_1·W_1 of one random net, largest first.

    init: a scheme name, a `derive.Scheme` or an `Initializer` (called with (width, width)).
    The input is x_0 = φ(h_0), h_0 ~ N(0, q·I); `bias` is σ_b, the sd of every b_l.

    >>> from derive import parse_scheme
    >>> s = jacobian_spectrum(parse_scheme("orthogonal(1)"), "linear", depth=4, width=32)
    >>> bool(abs(s - 1).max() < 1e-12)
    True
    """
    _check(activation_name, depth, width, q, bias)
    phi = activation(activation_name, slope)
    sampler = initializer(init)  # type: ignore[arg-type]
    input_seed, bias_seed, *layer_seeds = child_seeds(seed, depth + 2)
    x = phi(math.sqrt(q) * np.random.default_rng(input_seed).standard_normal(width))
    bias_rng = np.random.default_rng(bias_seed)
    jac = None
    for l in range(depth):
        w = np.asarray(sampler((width, width), layer_seeds[l]), dtype=np.float64)
        if w.shape != (width, width):
            raise ValueError(f"init returned shape {w.shape} for ({width}, {width})")
        h = w @ x
        if bias:
            h = h + bias_rng.normal(0.0, bias, width)
        x = phi(h)
        jac = phi.grad(h)[:, None] * (w if jac is None else w @ jac)
    return np.linalg.svd(jac, compute_uv=False)


@dataclass(frozen=True)
class CriticalPoint:
    """σ_w² = 1/μ_1 and σ_b² = q − σ_w²·E[φ(h)²]: q is a fixed point of the length map and
    the spectrum of JJᵀ has mean 1; μ_k = E[φ'(h)^{2k}] at h ~ N(0, q)."""

    q: float
    weight_variance: float
    bias_variance: float
    mu1: float
    mu2: float


def _moments(phi: object, q: float) -> tuple[float, float, float]:
    """(E[φ²], μ_1, μ_2) at h ~ N(0, q)."""
    f = phi  # type: ignore[assignment]
    fns = [lambda x: f(x) ** 2, lambda x: f.grad(x) ** 2, lambda x: f.grad(x) ** 4]  # type: ignore
    phi2, mu1, mu2 = expect(fns, q)
    return float(phi2), float(mu1), float(mu2)


def critical_point(activation_name: str, q: float, slope: float = 0.01) -> CriticalPoint:
    """The (σ_w², σ_b²) that puts the pre-activations at the fixed point q with σ_w²·μ_1 = 1.

    >>> p = critical_point("relu", 1.0)
    >>> p.weight_variance, round(p.bias_variance, 12)
    (2.0, 0.0)
    """
    _check(activation_name, 1, 2, q, 0.0)
    phi2, mu1, mu2 = _moments(activation(activation_name, slope), q)
    sigma_w2 = formula("critical_weight_variance", mu_1=mu1)
    sigma_b2 = formula("critical_bias_variance", q=q, **{"sigma_w^2": sigma_w2, "E": phi2})
    if sigma_b2 < -1e-12 * q:
        raise ValueError(f"no critical point of {activation_name} at q={q:g}: it would need "
                         f"sigma_b^2 = {sigma_b2:.4g} < 0")
    return CriticalPoint(q, sigma_w2, max(sigma_b2, 0.0), mu1, mu2)


@dataclass(frozen=True)
class SpectrumPrediction:
    """The spectrum of JJᵀ at large width: its `mean` m_L, `normalized_variance` v_L (the
    variance over the squared mean) and `variance` m_L²·v_L; the pre-activation variances
    `q` of layers 1..L, σ_w² and s_1 they came from."""

    mean: float
    normalized_variance: float
    variance: float
    q: tuple[float, ...]
    sigma_w2: float
    s1: float


def s1_of(scheme: Scheme) -> float:
    """s_1 of WWᵀ's S-transform: derive's s1_orthogonal or s1_gaussian (i.i.d. entries)."""
    if scheme.distribution == "orthogonal":
        return float(isometry().results["s1_orthogonal"])
    if scheme.distribution in IID and scheme.variance != 0:
        return float(isometry().results["s1_gaussian"])
    raise ValueError(f"no weight spectrum for {scheme.name}; valid: an orthogonal scheme or "
                     f"a random one of i.i.d. entries ({', '.join(IID)})")


def predict_spectrum(init: Scheme | str, activation_name: str, *, depth: int, width: int,
                     q: float = 1.0, bias: float = 0.0,
                     slope: float = 0.01) -> SpectrumPrediction:
    """Derive's free-probability moments of JJᵀ's spectrum along the length map from q.

    >>> p = predict_spectrum("he_normal", "relu", depth=8, width=256)
    >>> round(p.mean, 12), round(p.normalized_variance, 12)
    (1.0, 16.0)
    """
    _check(activation_name, depth, width, q, bias)
    if not isinstance(init, str | Scheme):
        raise TypeError(f"predict_spectrum needs a scheme or a scheme name, got {init!r}")
    scheme = resolve(init)
    sigma_w2 = width * scheme.variance_at(width, width)
    s1 = s1_of(scheme)
    phi = activation(activation_name, slope)
    mean, normalized, layers, previous = 1.0, 0.0, [], q
    for _ in range(depth):
        phi2 = _moments(phi, previous)[0]
        q_l = formula("length_map", **{"sigma_w^2": sigma_w2, "sigma_b^2": bias**2, "E": phi2})
        _, mu1, mu2 = _moments(phi, q_l)
        mean = formula("mean_step", **{"sigma_w^2": sigma_w2, "mu_1": mu1, "m_{L-1}": mean})
        normalized = formula("variance_step", mu_1=mu1, mu_2=mu2, s_1=s1,
                             **{"v_{L-1}": normalized})
        layers.append(q_l)
        previous = q_l
    variance = formula("variance_of_spectrum", m_L=mean, v_L=normalized)
    return SpectrumPrediction(mean, normalized, variance, tuple(layers), sigma_w2, s1)


@dataclass(frozen=True)
class Extrapolation:
    """One statistic over R nets at widths n and 2n: averages `at`, their standard errors
    `se`, the extrapolation `value` = 2·at[1] − at[0] to infinite width, its standard error,
    the Welch–Satterthwaite degrees of freedom of that error, the Student t `quantile` they
    give at the level, and the `tolerance` quantile·se + rounding it is held to against
    `predicted`."""

    predicted: float
    at: tuple[float, float]
    se: tuple[float, float]
    value: float
    standard_error: float
    dof: float
    quantile: float
    tolerance: float

    @property
    def finite_width(self) -> float:
        """The O(1/n) correction at width n, estimated as at[0] − at[1]."""
        return self.at[0] - self.at[1]

    @property
    def passed(self) -> bool:
        return abs(self.value - self.predicted) <= self.tolerance

    @property
    def t(self) -> float:
        """(value − predicted)/standard_error (0 when both are exact)."""
        gap = self.value - self.predicted
        return gap / self.standard_error if self.standard_error > 0 else 0.0 if gap == 0 \
            else math.copysign(math.inf, gap)


def _extrapolate(per_width: Sequence[np.ndarray], predicted: float, alpha: float,
                 rounding: float) -> Extrapolation:
    """2·x̄(2n) − x̄(n), its standard error, and the two-sided t tolerance at level α."""
    at = tuple(float(np.mean(v)) for v in per_width)
    se = tuple(float(np.std(v, ddof=1) / math.sqrt(v.size)) for v in per_width)
    parts = (se[0] ** 2, 4 * se[1] ** 2)  # the variances of −x̄(n) and 2·x̄(2n)
    standard_error = math.sqrt(sum(parts))
    dof = sum(parts) ** 2 / sum(p**2 / (v.size - 1) for p, v in zip(parts, per_width,
                                                                     strict=True)) \
        if standard_error > 0 else math.inf
    quantile = float(stats.t.isf(alpha / 2, dof))
    return Extrapolation(predicted, at, se, 2 * at[1] - at[0],  # type: ignore[arg-type]
                         standard_error, dof, quantile, quantile * standard_error + rounding)


@dataclass(frozen=True)
class SpectrumComparison:
    """Monte Carlo of JJᵀ's spectrum against `predict_spectrum`: its mean and its variance
    over its squared mean, each extrapolated from widths n and 2n."""

    scheme: str
    activation: str
    depth: int
    widths: tuple[int, int]
    replicates: int
    mean: Extrapolation
    normalized_variance: Extrapolation

    @property
    def passed(self) -> bool:
        return self.mean.passed and self.normalized_variance.passed


def spectrum_moments(s: np.ndarray) -> tuple[float, float]:
    """(m̂, v̂) of one net: the mean of s² and the variance of s² over m̂²."""
    lam = s.astype(np.float64) ** 2
    mean = float(lam.mean())
    return mean, float(lam.var()) / mean**2


def compare_spectrum(init: object, activation_name: str, *, depth: int, width: int,
                     replicates: int, claim: Scheme | str | None = None, seed: int = 0,
                     q: float = 1.0, bias: float = 0.0, slope: float = 0.01,
                     alpha: float = 1e-6) -> SpectrumComparison:
    """`replicates` nets drawn by `init` at widths `width` and 2·`width` against the
    prediction for `claim` (default: `init` itself, a scheme or its name), at family-wise
    level α over the two comparisons."""
    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 2:
        raise ValueError(f"replicates must be an integer of at least 2, got {replicates!r}")
    if claim is None:
        if not isinstance(init, str | Scheme):
            raise ValueError("an initializer callable needs the claim it is compared with: "
                             "pass claim=a scheme or a scheme name")
        claim = init
    scheme = resolve(claim)
    prediction = predict_spectrum(scheme, activation_name, depth=depth, width=width, q=q,
                                  bias=bias, slope=slope)
    widths = (width, 2 * width)
    seeds = child_seeds(seed, 2 * replicates)
    moments = [np.array([spectrum_moments(jacobian_spectrum(
        init, activation_name, depth=depth, width=n, seed=seeds[k * replicates + r], q=q,
        bias=bias, slope=slope)) for r in range(replicates)]) for k, n in enumerate(widths)]
    eps = float(np.finfo(np.float64).eps)
    rounding = 2 * depth * widths[1] * eps
    predicted_rounding = 8 * depth * eps  # the prediction sums L per-layer terms of order 1
    return SpectrumComparison(
        scheme.name, activation_name, depth, widths, replicates,
        _extrapolate([m[:, 0] for m in moments], prediction.mean, alpha / 2,
                     rounding * prediction.mean),
        _extrapolate([m[:, 1] for m in moments], prediction.normalized_variance, alpha / 2,
                     rounding**2 + predicted_rounding))


def depth_slope(comparisons: Sequence[SpectrumComparison],
                alpha: float = 1e-6) -> tuple[float, float, float]:
    """(slope, standard error, tolerance) of the extrapolated v̂ against depth: weighted
    least squares with weights 1/se², the slope's standard error from those weights, the
    tolerance the two-sided Student quantile at α for the fewest degrees of freedom among
    the comparisons times that error."""
    if len({c.depth for c in comparisons}) < 2:
        raise ValueError("depth_slope needs comparisons at two or more depths")
    depths = np.array([c.depth for c in comparisons], dtype=float)
    values = np.array([c.normalized_variance.value for c in comparisons])
    weights = np.array([c.normalized_variance.standard_error for c in comparisons]) ** -2.0
    mean_depth = np.sum(weights * depths) / weights.sum()
    sxx = float(np.sum(weights * (depths - mean_depth) ** 2))
    slope = float(np.sum(weights * (depths - mean_depth) * values) / sxx)
    se = 1 / math.sqrt(sxx)
    dof = min(c.normalized_variance.dof for c in comparisons)
    return slope, se, float(stats.t.isf(alpha / 2, dof)) * se
