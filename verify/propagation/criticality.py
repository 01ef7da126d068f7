"""The edge of chaos: the length map's fixed point q*, χ₁, the correlation map, the
critical line and the depth scales of a deep net (Poole et al. 2016; Schoenholz et al. 2017).

σ_w² = fan_in·Var(W) and σ_b² = Var(b). Every formula is derive's
(`derive.proofs.meanfield`): length map q' = σ_w²·E[φ(u)²] + σ_b², correlation map
c' = (σ_w²·E[φ(u₁)φ(u₂)] + σ_b²)/q', gap 1 − c' = σ_w²·E[(φ(u₁) − φ(u₂))²]/(2q'),
χ₁ = σ_w²·E[φ'(u)²], slope of the correlation map σ_w²·q·E[φ'(u₁)φ'(u₂)]/q', slope of
the length map σ_w²·(E[φ'(u)²] + E[φ(u)φ''(u)]), depth scale ξ = −1/log χ. Here their
abstract expectations are evaluated: E[g(u)], u ~ N(0, q), by `quadrature.expect`;
E[g(u₁, u₂)], (u₁, u₂) ~ N(0, q·[[1, c], [c, 1]]), by `bivariate.expect2`, with φ, φ', φ''
lambdified from derive's activation forms. For ReLU the pair moments are derive's closed
forms (the arc-cosine kernel, Sheppard's orthant probability), not quadrature.

Where the length map has no positive finite fixed point (q* = 0: σ_b² = 0 with
σ_w²·φ'(0)² ≤ 1, such as tanh at σ_w² ≤ 1 or ReLU at σ_w² < 2; q* = ∞: ReLU at σ_w² ≥ 2
with σ_b² > 0), the maps are evaluated at q = 1e-30 or 1e30, their limits. There the
correlation map's slope at c = 1 is 1, not χ₁: the lengths shrink (or grow) as fast as
the distance between the inputs, so c_l is not pulled to c* exponentially and ξ_c = ∞
(the papers' −1/log χ₁ is the limit σ_b² → 0+); χ₁ still sets the gradients' growth.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy.optimize import brentq

from derive import ACTIVATIONS
from verify.propagation.bivariate import expect2
from verify.propagation.quadrature import Activation, activation, expect, lambdified

Q_SMALL, Q_LARGE = 1e-30, 1e30
"""Where q* = 0 or ∞, the maps are evaluated at these lengths (their limits)."""
Q_SEARCH_MAX = 1e100
"""A length map still above the diagonal here has no finite fixed point: q* = ∞."""
Q_FLOOR = 1e-20
"""A length map still below the diagonal here goes to 0: q* = 0 (below, exp(u) − 1 and the
like lose the digits that the sign of q'/q − 1 needs)."""
Q_LARGE_ROOT = 1e12
"""Beyond this a length map within FIXED_TOLERANCE of the diagonal is taken to hug it."""
FIXED_TOLERANCE = 1e-13
"""|q' − q| ≤ this·q: q is a fixed point (within the quadrature's accuracy)."""
CONTINUITY = 1e-6
"""|χ₁ − 1| at the root of χ₁ = 1 beyond which the sign change was a jump, not a root."""
GAP_FLOOR = 1e-12
"""Newton's search for a chaotic c* < 1 stays below 1 − GAP_FLOOR."""


def _check(name: str, weight_variance: float, bias_variance: float) -> None:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose from: {', '.join(ACTIVATIONS)}")
    if not (isinstance(weight_variance, numbers.Real) and math.isfinite(weight_variance)
            and weight_variance > 0):
        raise ValueError(f"weight_variance is sigma_w^2 = fan_in*Var(W): finite and > 0, "
                         f"got {weight_variance!r}")
    if not (isinstance(bias_variance, numbers.Real) and math.isfinite(bias_variance)
            and bias_variance >= 0):
        raise ValueError(f"bias_variance is sigma_b^2: finite and >= 0, got {bias_variance!r}")


@cache
def _second_derivative(name: str, slope: float) -> Callable[[np.ndarray], np.ndarray]:
    """derive's φ'' as a numpy function (no delta terms: they meet φ(0) = 0 at every kink)."""
    from derive import second_derivative
    from derive import slope as slope_symbol

    return lambdified(second_derivative(name).subs(slope_symbol, slope))


@cache
def _relu_moments() -> dict[object, Callable[[float, float, float], float]]:
    """ReLU's moments in closed form (derive), as functions of (q, c, g = 1 − c)."""
    import sympy as sp

    from derive import MEANFIELD_SYMBOLS, E, meanfield

    c, dphi, g, phi, q, theta, u, u1, u2 = (MEANFIELD_SYMBOLS[k] for k in (
        "c", "dphi", "g", "phi", "q", "theta", "u", "u1", "u2"))

    results = meanfield().results
    angle = results["relu_angle"]
    forms = {E(phi(u) ** 2): results["relu_second_moment"],
             E(dphi(u) ** 2): results["relu_slope_moment"],
             E(phi(u1) * phi(u2)): results["relu_kernel"],
             E(dphi(u1) * dphi(u2)): results["relu_orthant"],
             E((phi(u1) - phi(u2)) ** 2): results["relu_gap_moment"].subs(theta, angle)}
    return {m: sp.lambdify((q, c, g), e, "math") for m, e in forms.items()}


@cache
def _evaluator(keys: tuple[str, ...], name: str) -> Callable[..., tuple[float, ...]]:
    """f(σ_w², σ_b², q, c, g) -> the values of derive's formulas `keys` for `name`."""
    import sympy as sp

    from derive import MEANFIELD_SYMBOLS, E, meanfield

    q, sigma_b2, sigma_w2, u, u1, u2 = (MEANFIELD_SYMBOLS[k] for k in (
        "q", "sigma_b2", "sigma_w2", "u", "u1", "u2"))

    act: Activation = activation(name)
    results = meanfield().results
    exprs = [results[k] for k in keys]
    moments = sorted(set().union(*(e.atoms(E) for e in exprs)), key=sp.default_sort_key)
    pairs = _relu_moments() if name == "relu" else {}
    functions = [{"phi": act.f, "dphi": act.df,
                  "ddphi": _second_derivative(name, act.slope)}, "numpy"]
    one = [m for m in moments if m.args[0].free_symbols <= {u} and m not in pairs]
    two = [m for m in moments if m not in one and m not in pairs]
    closed = [m for m in moments if m in pairs]
    one_fns = [sp.lambdify(u, m.args[0], functions) for m in one]
    two_fns = [sp.lambdify((u1, u2), m.args[0], functions) for m in two]
    names = sp.symbols(f"m0:{len(moments)}")
    order = one + two + closed
    outer = [sp.lambdify((sigma_w2, sigma_b2, q, *names),
                         e.xreplace(dict(zip(order, names, strict=True))), "math")
             for e in exprs]

    def evaluate(sw2: float, sb2: float, qv: float, cv: float = 1.0,
                 gv: float | None = None) -> tuple[float, ...]:
        gap = 1 - cv if gv is None else gv
        values = list(expect(one_fns, qv)) if one_fns else []
        if two_fns:
            values += list(expect2(two_fns, qv, cv, gap=gap))
        values += [pairs[m](qv, cv, gap) for m in closed]
        return tuple(float(f(sw2, sb2, qv, *values)) for f in outer)

    return evaluate


def _effective(q: float) -> float:
    """q* where it is positive and finite, else the limit's stand-in Q_SMALL or Q_LARGE."""
    return min(max(q, Q_SMALL), Q_LARGE)


@cache
def _depth_scale() -> Callable[[float], float]:
    import sympy as sp

    from derive import MEANFIELD_SYMBOLS, meanfield

    return sp.lambdify(MEANFIELD_SYMBOLS["chi"], meanfield().results["depth_scale"], "math")


def depth_scale(slope: float) -> float:
    """ξ = −1/log χ (derive) for a slope 0 < χ < 1; ∞ for χ ≥ 1 (no exponential approach)."""
    if slope >= 1:
        return math.inf
    if slope <= 0:
        return 0.0
    return float(_depth_scale()(slope))


def q_star(activation: str, weight_variance: float, bias_variance: float,
           q0: float = 1.0) -> float:
    """The fixed point of the length map q' = σ_w²·E[φ(√q z)²] + σ_b² that q_l reaches from q0.

    0.0 when q_l → 0 (σ_b² = 0 in the ordered phase), math.inf when q_l grows without bound
    (ReLU at σ_w² > 2, or at σ_w² = 2 with σ_b² > 0), and q0 itself when every length is
    fixed (ReLU at σ_w² = 2, σ_b² = 0). Assumes E[φ(√q z)²] increases with q, as it does for
    every activation of derive, so that q_l moves monotonically to the nearest fixed point.
    The search follows r(q) = q'/q − 1, whose sign the quadrature gets right wherever
    |r| > FIXED_TOLERANCE; where |r| stays below that as q → 0 (σ_b² = 0) or q → ∞ the map
    hugs the diagonal and q_l drifts there: 0.0 or math.inf.
    """
    _check(activation, weight_variance, bias_variance)
    if not (math.isfinite(q0) and q0 > 0):
        raise ValueError(f"q0 is a starting length: finite and > 0, got {q0!r}")
    length = _evaluator(("length_map",), activation)

    def excess(qv: float) -> float:  # r(q)
        return length(weight_variance, bias_variance, qv)[0] / qv - 1

    start, tol = excess(q0), FIXED_TOLERANCE
    if abs(start) <= tol:
        return float(q0)
    lo = hi = float(q0)
    if start < 0:  # q_l falls: the largest fixed point below q0, or 0
        while (value := excess(lo)) < -tol:
            hi, lo = lo, lo / 16
            if lo < Q_FLOOR:
                return 0.0
        if value <= tol:
            return 0.0 if bias_variance == 0 else lo
    else:  # q_l rises: the smallest fixed point above q0, or none
        while (value := excess(hi)) > tol:
            lo, hi = hi, hi * 16
            if hi > Q_SEARCH_MAX:
                return math.inf
        if value >= -tol:
            return math.inf if hi > Q_LARGE_ROOT else hi
    return float(brentq(excess, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps))


def chi1(activation: str, weight_variance: float, bias_variance: float) -> float:
    """χ₁ = σ_w²·E[φ'(√q* z)²] (derive): the slope of the correlation map at c = 1, and the
    factor by which a layer multiplies the gradients' variance going backward."""
    q = _effective(q_star(activation, weight_variance, bias_variance))
    return _evaluator(("chi1",), activation)(weight_variance, bias_variance, q)[0]


@dataclass(frozen=True)
class CorrelationMap:
    """The correlation map c → c' of one layer at the length q* (derive's map, normalized by
    the next layer's length, which is q* at the fixed point); callable.

    `fixed_point` is the stable fixed point c* that c_l approaches (1 in the ordered phase,
    below 1 in the chaotic one) and `slope` the map's slope there, χ_c (χ₁ when c* = 1).
    `gap(g)` is 1 − c' for 1 − c = g, accurate near c = 1 where c' − 1 would cancel.
    """

    activation: str
    weight_variance: float
    bias_variance: float
    q_star: float
    fixed_point: float
    slope: float

    def gap(self, g: float) -> float:
        """1 − c' for 1 − c = g, g in [0, 2]."""
        if not 0 <= g <= 2:
            raise ValueError(f"1 - c must lie in [0, 2], got {g!r}")
        return _gap(self.activation, self.weight_variance, self.bias_variance,
                    _effective(self.q_star), g)

    def __call__(self, c: float) -> float:
        """c' for a correlation c in [-1, 1]."""
        if not -1 <= c <= 1:
            raise ValueError(f"a correlation lies in [-1, 1], got {c!r}")
        return 1 - self.gap(1 - c)


def _gap(name: str, sw2: float, sb2: float, q: float, g: float) -> float:
    return _evaluator(("correlation_gap",), name)(sw2, sb2, q, 1 - g, g)[0]


def _fixed_point(name: str, sw2: float, sb2: float, q: float, chi: float) -> float:
    """The stable fixed point c* of the correlation map: 1 when χ₁ ≤ 1, else the root below 1
    of G(c) = c' − c, by Newton's method from c = 0 (G(0) ≥ 0; the map is convex, so the
    iterates rise to the root), kept inside the bracket by bisection."""
    if chi <= 1:
        return 1.0
    both = _evaluator(("correlation_gap", "correlation_slope"), name)

    def rise(cv: float) -> tuple[float, float]:  # G(c) and G'(c)
        gap, slope = both(sw2, sb2, q, cv, 1 - cv)
        return (1 - cv) - gap, slope - 1

    lo, hi = 0.0, 1 - GAP_FLOOR
    cv = lo
    for _ in range(100):
        value, derivative = rise(cv)
        if value == 0:
            return cv
        if value > 0:
            lo = cv
        else:
            hi = cv
        step = cv - value / derivative if derivative < 0 else (lo + hi) / 2
        nxt = step if lo < step < hi else (lo + hi) / 2
        if abs(nxt - cv) <= 1e-15 or hi - lo <= 1e-15:
            return float(nxt)
        cv = nxt
    return float(cv)


def correlation_map(activation: str, weight_variance: float,
                    bias_variance: float) -> CorrelationMap:
    """The correlation map at q*, with its stable fixed point c* and slope χ_c there."""
    _check(activation, weight_variance, bias_variance)
    q = q_star(activation, weight_variance, bias_variance)
    qe = _effective(q)
    chi = _evaluator(("chi1",), activation)(weight_variance, bias_variance, qe)[0]
    degenerate = not 0 < q < math.inf
    c = 1.0 if degenerate else _fixed_point(activation, weight_variance, bias_variance, qe,
                                            chi)
    slope = _evaluator(("correlation_slope",), activation)(
        weight_variance, bias_variance, qe, c, 1 - c)[0]
    if degenerate:
        slope = 1.0  # the limit: lengths and distances shrink (or grow) together
    return CorrelationMap(activation, float(weight_variance), float(bias_variance), q, c,
                          slope)


def depth_scales(activation: str, weight_variance: float,
                 bias_variance: float) -> tuple[float, float]:
    """(ξ_q, ξ_c): |q_l − q*| and |c_l − c*| fall as e^{−l/ξ}; ξ = −1/log(slope) with the
    length map's slope σ_w²·(E[φ'²] + E[φφ'']) at q* and the correlation map's at c*;
    math.inf where a slope is ≥ 1 (no fixed point, or a critical one)."""
    cmap = correlation_map(activation, weight_variance, bias_variance)
    slope_q = _evaluator(("length_slope",), activation)(
        weight_variance, bias_variance, _effective(cmap.q_star))[0]
    xi_q = math.inf if cmap.q_star == math.inf else depth_scale(slope_q)
    return xi_q, depth_scale(cmap.slope)


def critical_weight_variance(activation: str, bias_variance: float) -> float:
    """The σ_w² at which χ₁ = 1 for this σ_b² (the critical line). nan if χ₁ stays below 1
    up to σ_w² = 1e6, or jumps across 1 where q* (reached from q0 = 1) jumps to 0 or ∞ at an
    unstable fixed point (GELU and SiLU). Assumes χ₁ increases with σ_w². At the root q* may
    be infinite (ReLU with σ_b² > 0): check `q_star` there; then no critical point has a
    finite length."""
    _check(activation, 1.0, bias_variance)

    def excess(sw2: float) -> float:
        return chi1(activation, sw2, bias_variance) - 1

    lo = hi = 1.0
    while excess(hi) < 0:
        lo, hi = hi, hi * 4
        if hi > 1e6:
            return math.nan
    while excess(lo) >= 0:
        hi, lo = lo, lo / 4
        if lo < 1e-12:
            return math.nan
    root = float(brentq(excess, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps))
    return root if abs(excess(root)) <= CONTINUITY else math.nan


@dataclass(frozen=True)
class MeanFieldTrajectory:
    """q_l and c_l (with 1 − c_l kept exactly) for l = 0..depth, layer 0 the input's."""

    activation: str
    weight_variance: float
    bias_variance: float
    q: np.ndarray
    c: np.ndarray
    gap: np.ndarray


def trajectory(activation: str, weight_variance: float, bias_variance: float, q0: float,
               c0: float, depth: int) -> MeanFieldTrajectory:
    """Iterate derive's length map and correlation map (at the current length, not q*) from
    pre-activations of length q0 and correlation c0 through `depth` layers."""
    _check(activation, weight_variance, bias_variance)
    if not (math.isfinite(q0) and q0 > 0):
        raise ValueError(f"q0 is a starting length: finite and > 0, got {q0!r}")
    if not -1 <= c0 <= 1:
        raise ValueError(f"c0 is a correlation in [-1, 1], got {c0!r}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be a positive integer, got {depth!r}")
    step = _evaluator(("length_map", "correlation_gap"), activation)
    q, gap = np.empty(depth + 1), np.empty(depth + 1)
    q[0], gap[0] = q0, 1 - c0
    for layer in range(1, depth + 1):
        q[layer], gap[layer] = step(weight_variance, bias_variance, q[layer - 1],
                                    1 - gap[layer - 1], gap[layer - 1])
    return MeanFieldTrajectory(activation, float(weight_variance), float(bias_variance), q,
                               1 - gap, gap)


def iterate_gap(cmap: CorrelationMap, g0: float, layers: int) -> np.ndarray:
    """1 − c_l for l = 0..layers under the map at q* (the gap carried exactly)."""
    gaps = np.empty(layers + 1)
    gaps[0] = g0
    for layer in range(1, layers + 1):
        gaps[layer] = cmap.gap(gaps[layer - 1])
    return gaps


__all__ = ["CorrelationMap", "MeanFieldTrajectory", "chi1", "correlation_map",
           "critical_weight_variance", "depth_scale", "depth_scales", "iterate_gap", "q_star",
           "trajectory"]
