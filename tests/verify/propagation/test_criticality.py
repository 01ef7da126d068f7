"""verify.propagation.criticality and .correlation: the mean field of derive evaluated, the
published numbers, and Monte Carlo through random nets against it.

Every Monte Carlo tolerance is t standard errors of the spread over independent nets,
t the Student quantile with (nets - 1) degrees of freedom at a family-wise alpha of 1e-6
split over the comparisons (`tolerance_factor`). Finite width biases the measurements by
O(1/width); the widths here keep that well inside the tolerance (the planted errors show
that the tolerances still see what matters).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from derive.proofs.meanfield import meanfield, sigma_w2
from verify.propagation.bivariate import expect2
from verify.propagation.correlation import (
    children,
    expected_slope,
    gradient_growth,
    measure_depth_scale,
    propagate_pairs,
    tolerance_factor,
)
from verify.propagation.criticality import (
    chi1,
    correlation_map,
    critical_weight_variance,
    depth_scales,
    iterate_gap,
    q_star,
    trajectory,
)
from verify.propagation.quadrature import activation

R = meanfield().results
PUBLISHED = {  # the claims reproduced, as the papers and PyTorch's docs state them
    "tanh_q_star_gain_5_3": (1.1785, 4),  # (value, decimals)
    "tanh_chi1_gain_5_3": (1.21, 2),
    "tanh_critical_weight_variance_bias_0.05": (1.761, 3),  # Schoenholz et al. 2017
}


def _value(key: str, **values: float) -> float:
    expr = R[key]
    symbols = {s.name: s for s in expr.free_symbols}
    return float(expr.subs({symbols[k]: v for k, v in values.items()}))


# --- the bivariate rule --------------------------------------------------------------

@pytest.mark.parametrize("qv", [0.05, 1.0, 5.0, 100.0])
@pytest.mark.parametrize("cv", [-0.99, -0.3, 0.0, 0.6, 0.999, 1 - 1e-7, 1.0])
def test_bivariate_rule_against_the_relu_kernel(qv: float, cv: float) -> None:
    relu = activation("relu")
    value = expect2([lambda x, y: relu(x) * relu(y)], qv, cv)[0]
    assert value == pytest.approx(_value("relu_kernel", q=qv, c=cv), rel=1e-12, abs=1e-14)


def _mehler(qv: float, cv: float) -> mpmath.mpf:
    """E[tanh(u1) tanh(u2)] by Mehler's expansion sum_k c^k/k! E[tanh(sqrt(q) z) He_k(z)]^2,
    each coefficient by mpmath quadrature at 20 digits (a method independent of the rule);
    E[tanh(sqrt(q) z) He_k(z)]^2/k! <= E[tanh^2] < 1, so terms stop once |c|^k < 1e-16."""
    terms = math.ceil(math.log(1e-16) / math.log(abs(cv))) + 1
    with mpmath.workdps(20):
        r = mpmath.sqrt(qv)
        total = mpmath.mpf(0)
        for k in range(1, terms, 2):  # tanh is odd: only odd k
            def term(z: mpmath.mpf, k: int = k) -> mpmath.mpf:  # He_k(z) = H_k(z/√2)/2^(k/2)
                return (mpmath.tanh(r * z) * mpmath.hermite(k, z / mpmath.sqrt(2))
                        * mpmath.mpf(2) ** (-k / 2.0) * mpmath.npdf(z))

            a = mpmath.quad(term, [-mpmath.inf, 0, mpmath.inf])
            total += mpmath.mpf(cv) ** k / mpmath.factorial(k) * a**2
        return total


@pytest.mark.parametrize(("qv", "cv"), [(1.0, 0.3), (4.0, -0.4)])
def test_bivariate_rule_against_mpmath_for_tanh(qv: float, cv: float) -> None:
    tanh = activation("tanh")
    value = expect2([lambda x, y: tanh(x) * tanh(y)], qv, cv)[0]
    assert value == pytest.approx(float(_mehler(qv, cv)), abs=1e-13)


def test_bivariate_rule_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="correlation in"):
        expect2([lambda x, y: x * y], 1.0, 1.5)
    with pytest.raises(ValueError, match="variance"):
        expect2([lambda x, y: x * y], -1.0, 0.5)


# --- the API ---------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "message"), [
    (("tahn", 1.0, 0.0), "unknown activation 'tahn'; choose from: linear, tanh"),
    (("tanh", 0.0, 0.0), "weight_variance"),
    (("tanh", math.nan, 0.0), "weight_variance"),
    (("tanh", 1.0, -0.1), "bias_variance"),
])
def test_bad_input_names_the_valid_choices(args: tuple, message: str) -> None:
    for fn in (q_star, chi1, correlation_map, depth_scales):
        with pytest.raises(ValueError, match=message):
            fn(*args)


def test_price_theorem_numerically() -> None:
    """The map's slope (derive: sigma_w^2 q E[phi'phi']/q') is its derivative in c."""
    for name, sw, sb in [("tanh", 2.0, 0.1), ("elu", 1.5, 0.2), ("relu", 1.5, 0.1)]:
        cmap = correlation_map(name, sw, sb)
        for cv in (0.2, 0.7):
            h = 1e-5
            numeric = (cmap(cv + h) - cmap(cv - h)) / (2 * h)
            assert numeric == pytest.approx(_slope_at(cmap, cv), rel=1e-7)


def _slope_at(cmap: object, cv: float) -> float:
    from verify.propagation.criticality import _effective, _evaluator

    return _evaluator(("correlation_slope",), cmap.activation)(  # type: ignore[attr-defined]
        cmap.weight_variance, cmap.bias_variance, _effective(cmap.q_star), cv, 1 - cv)[0]  # type: ignore[attr-defined]


def test_length_slope_is_the_derivative_of_the_length_map() -> None:
    from verify.propagation.criticality import _evaluator

    for name in ("tanh", "gelu", "selu"):
        length = _evaluator(("length_map",), name)
        slope = _evaluator(("length_slope",), name)
        qv, h = 0.8, 1e-5
        numeric = (length(1.3, 0.1, qv + h)[0] - length(1.3, 0.1, qv - h)[0]) / (2 * h)
        assert numeric == pytest.approx(slope(1.3, 0.1, qv)[0], rel=1e-7)


# --- published numbers ------------------------------------------------------------------

def test_tanh_at_gain_5_3() -> None:
    """PyTorch's tanh gain 5/3: q* = 1.1785 and chi_1 = 1.21 (both against derive's 20-digit
    numbers, which the derive tests check against mpmath at 30 digits)."""
    weight = float(R["tanh_gain_weight_variance"])
    assert q_star("tanh", weight, 0.0) == pytest.approx(float(R["tanh_q_star"]), rel=1e-13)
    assert chi1("tanh", weight, 0.0) == pytest.approx(float(R["tanh_chi1"]), rel=1e-13)
    for key, computed in (("tanh_q_star_gain_5_3", q_star("tanh", weight, 0.0)),
                          ("tanh_chi1_gain_5_3", chi1("tanh", weight, 0.0))):
        value, decimals = PUBLISHED[key]
        assert round(computed, decimals) == value


def test_tanh_critical_line() -> None:
    """Through (1, 0) exactly, and at sigma_b^2 = 0.05 at 1.761 (Schoenholz et al.)."""
    assert critical_weight_variance("tanh", 0.0) == pytest.approx(
        float(R["tanh_zero_bias_critical_weight_variance"]), rel=1e-12)
    found = critical_weight_variance("tanh", float(R["tanh_bias_variance"]))
    assert found == pytest.approx(float(R["tanh_critical_weight_variance"]), rel=1e-13)
    value, decimals = PUBLISHED["tanh_critical_weight_variance_bias_0.05"]
    assert round(found, decimals) == value


@pytest.mark.parametrize("weight", [0.3, 0.7, 1.0])
def test_tanh_without_bias_below_one(weight: float) -> None:
    """sigma_b^2 = 0, sigma_w^2 <= 1: q* = 0, chi_1 = sigma_w^2 tanh'(0)^2 = sigma_w^2."""
    assert q_star("tanh", weight, 0.0) == 0.0
    assert chi1("tanh", weight, 0.0) == pytest.approx(
        float(R["tanh_zero_bias_chi1"].subs(sigma_w2, weight)), rel=1e-12)
    assert depth_scales("tanh", weight, 0.0)[1] == math.inf


def test_relu_exact() -> None:
    for weight, bias in [(0.5, 0.1), (1.5, 0.3), (1.9, 0.01)]:
        assert q_star("relu", weight, bias) == pytest.approx(
            _value("relu_length_fixed_point", **{"sigma_w^2": weight, "sigma_b^2": bias}),
            rel=1e-12)
        assert chi1("relu", weight, bias) == pytest.approx(
            _value("relu_chi1", **{"sigma_w^2": weight}), rel=1e-13)
    assert critical_weight_variance("relu", 0.0) == pytest.approx(
        float(R["relu_critical_weight_variance"]), rel=1e-13)
    assert critical_weight_variance("relu", 0.1) == pytest.approx(2.0, rel=1e-13)
    assert q_star("relu", 2.0, 0.1) == math.inf  # no critical point at finite length
    assert q_star("relu", 2.0, 0.0, q0=3.0) == 3.0  # every length is fixed
    assert depth_scales("relu", 2.0, 0.0) == (math.inf, math.inf)
    assert q_star("linear", 1.0, 0.1) == math.inf


def test_degenerate_cases() -> None:
    """q* = 0 found despite exp(u) - 1 losing digits at tiny q (ELU); no critical point where
    chi_1 only jumps across 1 at an unstable fixed point (GELU); every length fixed (linear)."""
    assert q_star("elu", 0.8, 0.0) == 0.0
    assert depth_scales("elu", 0.8, 0.0)[1] == math.inf
    assert math.isnan(critical_weight_variance("gelu", 0.1))
    assert q_star("linear", 1.0, 0.0, q0=0.3) == 0.3


def test_relu_correlation_decays_as_9_pi_squared_over_2_l_squared() -> None:
    """The exact map iterated 10^4 layers from c = 0 (verify's float64 iteration agrees with
    mpmath's at 30 digits to 1e-9): l (l^2 (1 - c_l)/(9 pi^2/2) - 1) fits derive's
    k + rate log(l) + O(log(l)^2/l) over l = 500..10^4 (the rate to 0.01, no term in l), so
    the ratio tends to 1 as 1 + (k + rate log(l))/l (0.9964 at l = 10^4)."""
    cmap = correlation_map("relu", 2.0, 0.0)
    gaps = iterate_gap(cmap, 1.0, 10_000)
    critical = sp.lambdify(sp.Symbol("c", real=True), R["relu_critical_map"], "mpmath")
    with mpmath.workdps(30):
        cv = mpmath.mpf(0)
        for _ in range(10_000):
            cv = critical(cv)
        assert gaps[-1] == pytest.approx(float(1 - cv), rel=1e-9)
    constant, rate = float(R["relu_depth_constant"]), float(R["relu_depth_rate"])
    layers = np.unique(np.round(500 * 2 ** (np.arange(0, 9) / 2))).astype(int)
    layers = np.append(layers[layers < 10_000], 10_000)
    ratio = layers**2 * gaps[layers] / constant
    y = layers * (ratio - 1)
    ell = layers.astype(float)
    columns = [np.ones_like(ell), np.log(ell), np.log(ell) ** 2 / ell, np.log(ell) / ell,
               1 / ell]
    x = np.stack(columns, axis=1)
    coef = np.linalg.lstsq(x, y, rcond=None)[0]
    with_l = np.linalg.lstsq(np.stack([*columns, ell], axis=1), y, rcond=None)[0]
    assert abs(coef[1] - rate) < 0.01 and abs(with_l[-1]) < 1e-6
    assert np.max(np.abs(x @ coef - y)) < 1e-3


# --- Monte Carlo ------------------------------------------------------------------------

def _design(name: str, weight: float, bias: float) -> tuple[float, float, float]:
    """(q0, centre, offset): start at q*; ordered: 1 - c = 1e-3; chaotic: c* +- 0.2."""
    cmap = correlation_map(name, weight, bias)
    if cmap.fixed_point == 1:
        return cmap.q_star, 1.0, 1e-3
    return cmap.q_star, cmap.fixed_point, min(0.2, (1 - cmap.fixed_point) / 2)


@pytest.mark.parametrize(("weight", "bias"), [(0.8, 0.1), (1.5, 0.05), (3.0, 0.1)])
def test_depth_scale_by_monte_carlo(weight: float, bias: float) -> None:
    """The measured slope of log D_l agrees with the same fit of derive's maps (which, with
    no finite-width noise, is -1/xi_c up to the offset's curvature)."""
    q0, centre, offset = _design("tanh", weight, bias)
    m = measure_depth_scale("tanh", weight, bias, 256, 30, 2017, q0=q0, centre=centre,
                            offset=offset)
    expected = expected_slope(m)
    assert m.layers[1] - m.layers[0] >= 5
    assert abs(m.slope - expected) <= tolerance_factor(m.replicates, 1) * m.slope_se


def test_the_antisymmetric_distance_is_linear_to_second_order() -> None:
    """D_l = chi_c^l offset (1 + O(offset^2)): the fit of derive's maps tends to
    -1/xi_c as the offset shrinks, its error falling about 4-fold per halving."""
    weight, bias = 3.0, 0.1
    cmap = correlation_map("tanh", weight, bias)
    target = math.log(cmap.slope)
    errors = []
    for offset in (0.2, 0.1, 0.05):
        up, down = (trajectory("tanh", weight, bias, cmap.q_star,
                               cmap.fixed_point + sign * offset, 10).c for sign in (1, -1))
        fit = np.polyfit(np.arange(1, 11), np.log((up - down)[1:] / 2), 1)[0]
        errors.append(abs(fit / target - 1))
    assert errors[0] < 0.05
    assert 3 < errors[0] / errors[1] < 5 and 3 < errors[1] / errors[2] < 5


def test_measurement_is_pure() -> None:
    args = ("tanh", 0.8, 0.1, 64, 8, np.random.SeedSequence(5))
    a = measure_depth_scale(*args, q0=0.2, centre=1.0, offset=1e-3, replicates=4)
    b = measure_depth_scale(*args, q0=0.2, centre=1.0, offset=1e-3, replicates=4)
    assert np.array_equal(a.distance, b.distance) and a.layers == b.layers
    assert np.array_equal([a.slope, a.xi], [b.slope, b.xi], equal_nan=True)
    assert [s.spawn_key for s in children(np.random.SeedSequence(5), 2)] == [
        s.spawn_key for s in np.random.SeedSequence(5).spawn(2)]


def _agree(measured: np.ndarray, se: np.ndarray, predicted: np.ndarray,
           replicates: int) -> np.ndarray:
    """Per layer (from 1): |measured - predicted| within the t-quantile tolerance."""
    k = tolerance_factor(replicates, len(measured) - 1)
    return np.abs(measured[1:] - predicted[1:]) <= k * se[1:]


def test_lengths_and_correlations_follow_the_maps_and_a_wrong_variance_is_caught() -> None:
    """q_l and c_l of a tanh net agree with derive's maps iterated from the same start; a
    net drawn with 1.5x the claimed sigma_w^2 disagrees."""
    weight, bias = 1.5, 0.05
    q0, centre, offset = _design("tanh", weight, bias)
    predicted = trajectory("tanh", weight, bias, q0, centre - offset, 20)
    for drawn, agrees in ((weight, True), (1.5 * weight, False)):
        m = measure_depth_scale("tanh", drawn, bias, 256, 20, 7, q0=q0, centre=centre,
                                offset=offset)
        ok = np.concatenate([_agree(m.q, m.q_se, predicted.q, m.replicates),
                             _agree(m.distance, m.distance_se, predicted.gap, m.replicates)])
        assert bool(ok.all()) is agrees


def _se(values: np.ndarray) -> np.ndarray:
    return values.std(axis=0, ddof=1) / math.sqrt(len(values))


def test_relu_critical_correlations_and_a_wrong_variance_is_caught() -> None:
    """ReLU at (2, 0): 1 - c_l follows derive's exact map (on its way to 9 pi^2/(2 l^2)) and
    q_l stays; drawn at 1.5 x 2 the lengths grow 1.5-fold a layer and are caught."""
    cmap = correlation_map("relu", 2.0, 0.0)
    predicted = iterate_gap(cmap, 0.5, 25)
    for drawn, agrees in ((2.0, True), (3.0, False)):
        runs = [propagate_pairs("relu", drawn, 0.0, 256, 25, s, q0=1.0, c0=0.5, pairs=16)
                for s in children(11, 16)]
        gaps = np.stack([r.gap.mean(axis=1) for r in runs])
        qs = np.stack([r.q.mean(axis=1) for r in runs])
        ok = np.concatenate([_agree(gaps.mean(axis=0), _se(gaps), predicted, len(runs)),
                             _agree(qs.mean(axis=0), _se(qs), np.ones(26), len(runs))])
        assert bool(ok.all()) is agrees


def test_gradients_grow_by_chi1_at_gain_5_3() -> None:
    """Backward, the gradients' variance grows by chi_1 = 1.21 a layer (tanh, gain 5/3)."""
    weight = float(R["tanh_gain_weight_variance"])
    growth = gradient_growth("tanh", weight, 0.0, 256, 20, 3, replicates=12)
    expected = chi1("tanh", weight, 0.0)
    assert abs(growth.ratio - expected) <= tolerance_factor(12, 1) * growth.se
    value, decimals = PUBLISHED["tanh_chi1_gain_5_3"]
    assert round(growth.ratio, decimals) == value
    wrong = gradient_growth("tanh", 1.5 * weight, 0.0, 256, 20, 3, replicates=12)
    assert abs(wrong.ratio - expected) > tolerance_factor(12, 1) * wrong.se
