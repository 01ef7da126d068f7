"""derive.proofs.meanfield: every step proves and fails when broken; its closed forms and
numbers against independent sources (mpmath at 30 digits, scipy)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy import stats

from derive.proofs.meanfield import c, g, meanfield, q, sigma_b2, sigma_w2, theta

D = meanfield()
R = D.results


def _at(key: str, **values: float) -> float:
    symbols = {s.name: s for s in R[key].free_symbols}
    return float(R[key].subs({symbols[k]: v for k, v in values.items()}))


def _relu_pair(qv: float, cv: float) -> mpmath.mpf:
    """E[relu(u1) relu(u2)] by nested mpmath quadrature (15 digits)."""
    with mpmath.workdps(15):
        s, r = mpmath.sqrt(1 - cv**2), mpmath.sqrt(qv)

        def inner(z1: mpmath.mpf) -> mpmath.mpf:
            kink = -cv * z1 / s
            return mpmath.quad(lambda z2: max(r * (cv * z1 + s * z2), 0) * mpmath.npdf(z2),
                               [kink, mpmath.inf])

        return mpmath.quad(lambda z1: r * z1 * inner(z1) * mpmath.npdf(z1), [0, mpmath.inf])


def test_relu_kernel_against_mpmath() -> None:
    assert _at("relu_kernel", q=1.7, c=0.3) == pytest.approx(float(_relu_pair(1.7, 0.3)),
                                                             rel=1e-12)


@pytest.mark.parametrize("cv", [-0.8, 0.0, 0.45, 0.99])
def test_orthant_against_scipy(cv: float) -> None:
    both_positive = stats.multivariate_normal([0, 0], [[1, cv], [cv, 1]]).cdf([0, 0])
    assert _at("relu_orthant", c=cv) == pytest.approx(both_positive, abs=1e-6)


def test_relu_gap_forms_agree() -> None:
    """The gap moment in theta and g is q - 2K: the same at a few correlations."""
    for cv in (-0.5, 0.2, 0.9, 0.999):
        angle = R["relu_angle"].subs(g, 1 - cv)
        gap = R["relu_gap_moment"].subs({theta: angle, g: 1 - cv, q: 2})
        assert float(gap) == pytest.approx(2 - 2 * _at("relu_kernel", q=2, c=cv), rel=1e-12)


def test_relu_series_against_mpmath() -> None:
    """(t^2 - gap(t))/t^3 -> A at the critical map, gap(t) = 1 - f(1 - t^2), mpmath at 40
    digits; the next term is O(t^2)."""
    f = sp.lambdify(c, R["relu_critical_map"], "mpmath")
    with mpmath.workdps(40):
        t = mpmath.mpf("1e-6")
        estimate = (t**2 - (1 - f(1 - t**2))) / t**3
        assert float(estimate) == pytest.approx(float(R["relu_series_coefficient"]), rel=1e-9)


def _scaled_excess(constant: sp.Expr, marks: list[int]) -> np.ndarray:
    """l (l^2 (1 - c_l)/constant - 1) at the layers `marks`, the critical ReLU map iterated
    from c_0 = 0 at 30 digits."""
    f = sp.lambdify(c, R["relu_critical_map"], "mpmath")
    values = {}
    with mpmath.workdps(30):
        cv, scale = mpmath.mpf(0), mpmath.mpf(sp.N(constant, 35))
        for layer in range(1, marks[-1] + 1):
            cv = f(cv)
            if layer in marks:
                values[layer] = float(layer * (layer**2 * (1 - cv) / scale - 1))
    return np.array([values[m] for m in marks])


def test_relu_depth_constant_by_iterating_the_map() -> None:
    """l (l^2 (1 - c_l)/(9 pi^2/2) - 1) = k + rate log(l) + O(log(l)^2/l): a least-squares
    fit over l = 500..32000 finds derive's rate, leaves no room for a term in l (which a
    wrong constant would bring) and fits to 1e-4; a constant 0.1% off is caught."""
    marks = sorted({round(500 * 2 ** (k / 2)) for k in range(13)})
    layers = np.array(marks, dtype=float)
    columns = [np.ones_like(layers), np.log(layers), np.log(layers) ** 2 / layers,
               np.log(layers) / layers, 1 / layers]
    rate, constant = float(R["relu_depth_rate"]), R["relu_depth_constant"]
    for scale, right in ((1, True), (sp.Rational(1001, 1000), False)):
        y = _scaled_excess(constant * scale, marks)
        x = np.stack(columns, axis=1)
        coef = np.linalg.lstsq(x, y, rcond=None)[0]
        worst = float(np.max(np.abs(x @ coef - y)))
        in_l = np.linalg.lstsq(np.stack([*columns, layers], axis=1), y, rcond=None)[0][-1]
        found = bool(abs(coef[1] - rate) < 0.01 and worst < 1e-4 and abs(in_l) < 1e-6)
        assert found is right, (coef, worst, in_l)


def test_tanh_numbers_against_mpmath() -> None:
    """q* and chi_1 at sigma_w^2 = 25/9, and the critical point at sigma_b^2 = 0.05, at 30
    digits: the fixed point, then chi_1 = 1 along it."""
    with mpmath.workdps(30):
        def expect(f: object, variance: mpmath.mpf) -> mpmath.mpf:
            s = mpmath.sqrt(variance)
            return mpmath.quad(lambda x: f(s * x) * mpmath.npdf(x), [-mpmath.inf, 0,  # type: ignore[operator]
                                                                     mpmath.inf])

        def square(x: mpmath.mpf) -> mpmath.mpf:
            return mpmath.tanh(x) ** 2

        def slope(x: mpmath.mpf) -> mpmath.mpf:
            return mpmath.sech(x) ** 4

        gain = mpmath.mpf(25) / 9
        q_star = mpmath.findroot(lambda v: gain * expect(square, v) - v, 1.2)
        assert abs(q_star - mpmath.mpf(str(R["tanh_q_star"]))) < 1e-19
        assert abs(gain * expect(slope, q_star) - mpmath.mpf(str(R["tanh_chi1"]))) < 1e-19
        bias = mpmath.mpf(1) / 20
        q_c = mpmath.findroot(
            lambda v: v - expect(square, v) / expect(slope, v) - bias, 0.57)
        w_c = 1 / expect(slope, q_c)
        assert abs(w_c - mpmath.mpf(str(R["tanh_critical_weight_variance"]))) < 1e-19
        assert abs(q_c - mpmath.mpf(str(R["tanh_critical_q_star"]))) < 1e-19


def test_relu_results_are_consistent() -> None:
    assert R["relu_critical_weight_variance"] == 2
    assert sp.simplify(R["relu_chi1"].subs(sigma_w2, R["relu_critical_weight_variance"])) == 1
    fixed = R["relu_length_fixed_point"]
    assert sp.simplify(R["relu_length_map"].subs(q, fixed) - fixed) == 0
    assert R["relu_correlation_map"].subs({sigma_w2: 2, sigma_b2: 0}).equals(
        R["relu_critical_map"])
