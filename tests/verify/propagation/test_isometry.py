"""Dynamical isometry: the Jacobian's spectrum of random nets against derive's free-probability
moments. Exact for linear orthogonal nets; Monte Carlo at widths 64 and 128, extrapolated in
1/width, with Student-t tolerances from the spread over nets; planted errors are caught."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from derive import variance_scaling
from derive.proofs.isometry import L, g, isometry, mu1, mu2, s1
from derive.schemes import orthogonal
from verify import sample
from verify.propagation.isometry import (
    compare_spectrum,
    critical_point,
    depth_slope,
    jacobian_spectrum,
    predict_spectrum,
    spectrum_moments,
)

WIDTH, REPLICATES = 64, 24
LINEAR_GAUSSIAN = variance_scaling(1, "fan_in", "normal")
RESULTS = isometry().results


def _case(mu: sp.Expr, s: sp.Expr, depth: int) -> float:
    """Derive's critical variance at mu_1 = mu_2 = mu (linear 1, ReLU 1/2) and this s_1."""
    return float(RESULTS["critical_variance"].subs({mu1: mu, mu2: mu, s1: s, L: depth}))


@pytest.mark.parametrize("gain", [1.0, 1.1])
def test_linear_orthogonal_spectrum_is_exactly_gain_to_the_depth(gain: float) -> None:
    for depth in (1, 4, 16):
        s = jacobian_spectrum(orthogonal(gain), "linear", depth=depth, width=48, seed=depth)
        exact = float(RESULTS["linear_singular_value"].subs({g: gain, L: depth}))
        assert s.shape == (48,) and np.abs(s / exact - 1).max() < 1e-10


def test_a_gaussian_linear_net_is_not_an_isometry() -> None:
    s = jacobian_spectrum(LINEAR_GAUSSIAN, "linear", depth=4, width=48, seed=0)
    assert np.abs(s - 1).max() > 0.5


def test_predictions_are_derives_cases() -> None:
    relu, one = RESULTS["relu_mu"], sp.Integer(1)
    cases = [(LINEAR_GAUSSIAN, "linear", one, RESULTS["s1_gaussian"]),
             (orthogonal(1), "linear", one, RESULTS["s1_orthogonal"]),
             (orthogonal(math.sqrt(2)), "relu", relu, RESULTS["s1_orthogonal"]),
             ("he_normal", "relu", relu, RESULTS["s1_gaussian"])]
    for init, act, mu, s in cases:
        p = predict_spectrum(init, act, depth=6, width=128)
        assert p.mean == pytest.approx(1, rel=1e-12)
        assert p.normalized_variance == pytest.approx(_case(mu, s, 6), rel=1e-12, abs=1e-12)


def _gaussian_mp(f: object, q: mp.mpf) -> mp.mpf:
    s = mp.sqrt(q)
    return mp.quad(lambda x: f(x) * mp.npdf(x, 0, s), [-mp.inf, -10 * s, -s, 0, s, 10 * s, mp.inf])


def test_tanh_critical_point_against_mpmath() -> None:
    q = 1 / 64
    p = critical_point("tanh", q)
    with mp.workdps(30):
        m1 = _gaussian_mp(lambda x: mp.sech(x) ** 4, mp.mpf(q))
        sigma_w2 = 1 / m1
        sigma_b2 = q - sigma_w2 * _gaussian_mp(lambda x: mp.tanh(x) ** 2, mp.mpf(q))
    assert p.weight_variance == pytest.approx(float(sigma_w2), rel=1e-12)
    assert p.bias_variance == pytest.approx(float(sigma_b2), rel=1e-8)
    prediction = predict_spectrum(orthogonal(math.sqrt(p.weight_variance)), "tanh", depth=8,
                                  width=WIDTH, q=q, bias=math.sqrt(p.bias_variance))
    assert prediction.q == pytest.approx([q] * 8, rel=1e-9)
    term = float(RESULTS["tanh_orthogonal_term"])
    assert prediction.normalized_variance == pytest.approx(8 * term, rel=1e-9)


def test_bad_inputs_are_one_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown activation 'tan'"):
        jacobian_spectrum("he_normal", "tan", depth=2, width=8)
    with pytest.raises(ValueError, match="depth must be an integer"):
        jacobian_spectrum("he_normal", "relu", depth=0, width=8)
    with pytest.raises(ValueError, match="no weight spectrum for zeros"):
        predict_spectrum("zeros", "relu", depth=2, width=8)
    with pytest.raises(ValueError, match="needs the claim"):
        compare_spectrum(lambda shape, seed: np.eye(shape[0]), "linear", depth=2, width=8,
                         replicates=4)


def _critical_tanh(weights: str) -> tuple[object, dict[str, float]]:
    p = critical_point("tanh", 1 / 64)
    init = orthogonal(math.sqrt(p.weight_variance)) if weights == "orthogonal" else \
        variance_scaling(p.weight_variance, "fan_in", "normal")
    return init, {"q": 1 / 64, "bias": math.sqrt(p.bias_variance)}


CASES = {
    "relu-orthogonal": (orthogonal(math.sqrt(2)), "relu", {}),
    "relu-gaussian": ("he_normal", "relu", {}),
    "linear-gaussian": (LINEAR_GAUSSIAN, "linear", {}),
    "tanh-orthogonal": (*_critical_tanh("orthogonal")[:1], "tanh", _critical_tanh("orthogonal")[1]),
}


@pytest.mark.parametrize("name", CASES)
def test_monte_carlo_confirms_the_moments(name: str) -> None:
    init, act, kw = CASES[name]
    c = compare_spectrum(init, act, depth=8, width=WIDTH, replicates=REPLICATES, seed=11, **kw)
    assert c.mean.passed, c.mean
    assert c.normalized_variance.passed, c.normalized_variance
    if name == "relu-orthogonal":  # ReLU with orthogonal weights spreads the spectrum too
        assert c.normalized_variance.value - c.normalized_variance.tolerance > 4


def test_gaussian_weights_passed_off_as_orthogonal_are_caught() -> None:
    for claim, act in ((orthogonal(math.sqrt(2)), "relu"), (orthogonal(1), "linear")):
        gaussian = "he_normal" if act == "relu" else LINEAR_GAUSSIAN
        c = compare_spectrum(lambda shape, seed, s=gaussian: sample(s, shape, rng=seed), act,
                             claim=claim, depth=4, width=WIDTH, replicates=REPLICATES, seed=3)
        assert c.mean.passed and not c.normalized_variance.passed, c


def test_a_doubled_weight_variance_is_caught() -> None:
    c = compare_spectrum(lambda shape, seed: math.sqrt(2) * sample("he_normal", shape, rng=seed),
                         "relu", claim="he_normal", depth=4, width=WIDTH, replicates=REPLICATES)
    assert not c.mean.passed and c.mean.value > 8


def test_the_variance_grows_like_depth_for_linear_gaussian_nets() -> None:
    """Slope of the extrapolated v against L: derive's d/dL of the linear Gaussian case, 1."""
    comparisons = [compare_spectrum(LINEAR_GAUSSIAN, "linear", depth=depth, width=WIDTH,
                                    replicates=REPLICATES, seed=depth) for depth in (2, 4, 8)]
    assert all(c.passed for c in comparisons)
    slope, se, tolerance = depth_slope(comparisons)
    expected = float(sp.diff(RESULTS["critical_variance"], L).subs({mu1: 1, mu2: 1, s1: -1}))
    assert expected == 1 and abs(slope - expected) <= tolerance
    assert tolerance < 0.5  # the test would see the ReLU Gaussian slope, 2
    assert se > 0


def test_spectrum_moments_of_a_known_spectrum() -> None:
    mean, v = spectrum_moments(np.sqrt(np.array([1.0, 3.0])))
    assert mean == pytest.approx(2.0, rel=1e-15) and v == pytest.approx(0.25, rel=1e-14)
