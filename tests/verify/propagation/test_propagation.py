"""Signal propagation: the integrals, the Monte Carlo against theory, and the experiments."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from scipy import integrate, special

import derive
from derive import ACTIVATIONS, EXACT, Var, depth, exact_moment, form, selu_constants, slope, z
from derive.activation_forms import ndtr, sigmoid
from derive.proofs.depth import L, weight, width
from verify import child_seeds, compare, gain, predict, propagate, sample
from verify.propagation import activation, expect, layer_widths, linear_variances


def _high_precision(expr: sp.Expr, q: float) -> float:
    """E[expr(x)], x ~ N(0, q), by mpmath at 40 digits, split at the kink and both scales."""
    f = sp.lambdify(z, expr.rewrite(sigmoid, sp.exp).rewrite(ndtr, sp.erf), "mpmath")
    s = mp.sqrt(q)
    with mp.workdps(40):
        cuts = sorted({-14 * s, -4 * s, -s, -4, -1, 0, 1, 4, s, 4 * s, 14 * s})
        return float(mp.quad(lambda x: f(x) * mp.npdf(x, 0, s), cuts))


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("q", [1e-6, 0.3, 1.0, 500.0])
def test_gaussian_integrals_match_high_precision_quadrature(name: str, q: float) -> None:
    phi, dphi = form(name).subs(slope, 0.2), sp.diff(form(name).subs(slope, 0.2), z)
    act = activation(name, 0.2)
    ours = expect([lambda x: act(x) ** 2, lambda x: act.grad(x) ** 2], q)
    for value, expr in zip(ours, (phi**2, dphi**2), strict=True):
        assert value == pytest.approx(_high_precision(expr, q), rel=1e-11, abs=1e-300)


@pytest.mark.parametrize("name", EXACT["forward"] + EXACT["backward"])
def test_exact_moments_match_quadrature(name: str) -> None:
    act = activation(name, 0.3)
    numeric = dict(zip(("forward", "backward"),
                       expect([lambda x: act(x) ** 2, lambda x: act.grad(x) ** 2], 1.0),
                       strict=True))
    for which in ("forward", "backward"):
        exact = exact_moment(name, which)
        if exact is not None:
            assert not exact.has(sp.Integral)
            assert float(exact.subs(slope, 0.3)) == pytest.approx(numeric[which], rel=1e-12)


def test_selu_is_self_normalizing_by_independent_quadrature() -> None:
    f = activation("selu")
    mean = integrate.quad(lambda x: f(np.array([x]))[0] * np.exp(-x * x / 2), -40, 40,
                          points=[0])[0] / np.sqrt(2 * np.pi)
    second = integrate.quad(lambda x: f(np.array([x]))[0] ** 2 * np.exp(-x * x / 2), -40, 40,
                            points=[0])[0] / np.sqrt(2 * np.pi)
    assert abs(mean) < 1e-12 and second == pytest.approx(1, rel=1e-12)
    alpha, lam = (float(c) for c in selu_constants())
    assert 1.6 < alpha < 1.7 and 1.0 < lam < 1.1


def test_activations_match_scipy() -> None:
    x = np.linspace(-30, 30, 1201)
    assert np.allclose(activation("sigmoid")(x), special.expit(x), rtol=1e-14, atol=1e-300)
    assert np.allclose(activation("silu")(x), x * special.expit(x), rtol=1e-13, atol=1e-300)
    assert np.allclose(activation("gelu")(x), x * special.ndtr(x), rtol=1e-13, atol=1e-300)
    assert np.all(np.isfinite(activation("silu").grad(np.array([-1e6, 1e6]))))
    assert np.allclose(activation("silu").grad(x), special.expit(x) * (1 + x * special.expit(-x)),
                       rtol=1e-13, atol=1e-300)


def test_homogeneous_moments_are_derives_ratios() -> None:
    relu = activation("relu")
    ratio = expect([lambda x: relu(x) ** 2], 7.0)[0] / 7.0
    assert ratio == pytest.approx(float(derive.activations().results["relu_ratio"]), rel=1e-13)


def test_gain_exact_and_numeric_agree() -> None:
    g = gain("relu")
    assert g.forward_exact == sp.sqrt(2) and g.backward == pytest.approx(np.sqrt(2), rel=1e-14)
    assert gain("tanh").forward_exact is None and 1.5 < gain("tanh").forward < 1.7
    leaky = activation("leaky_relu", 0.2)
    numeric = expect([lambda x: leaky(x) ** 2], 1.0)[0] ** -0.5
    assert gain("leaky_relu", 0.2).forward_exact is not None
    assert gain("leaky_relu", 0.2).forward == pytest.approx(numeric, rel=1e-13)


def test_linear_variances_are_derives_product() -> None:
    widths, sigma2 = (3, 5, 7, 2, 4), np.array([0.5, 0.1, 0.3, 0.9])
    ours = linear_variances(sigma2, widths)
    for l in range(1, 5):
        values = {width[i]: widths[i] for i in range(l)} | \
                 {Var(weight[i + 1]): sigma2[i] for i in range(l)} | {Var(sp.Symbol("x")): 1}
        assert float(depth().results["variance"].subs(L, l).doit().subs(values)) == \
            pytest.approx(ours[l - 1], rel=1e-14)


SETTINGS = {"linear": "glorot_uniform", "tanh": "lecun_normal", "relu": "he_normal",
            "leaky_relu": "he_uniform", "sigmoid": "lecun_normal", "elu": "lecun_normal",
            "selu": "lecun_normal", "gelu": "he_normal", "silu": "he_truncated_normal"}


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_measured_agrees_with_predicted(name: str) -> None:
    widths = [200, 256, 128, 256, 192, 256, 256, 160, 256]
    m = propagate(SETTINGS[name], name, depth=8, width=widths, batch=200, seed=11)
    c = compare(m, predict(SETTINGS[name], name, depth=8, width=widths, batch=200))
    assert c.agree, str(c)


def test_bias_is_predicted() -> None:
    m = propagate("lecun_normal", "tanh", depth=6, width=256, batch=256, seed=3, bias=0.5)
    c = compare(m, predict("lecun_normal", "tanh", depth=6, width=256, batch=256, bias=0.5))
    assert c.agree, str(c)
    no_bias = predict("lecun_normal", "tanh", depth=6, width=256, batch=256)
    assert not compare(m, no_bias).agree


def test_a_wrong_scheme_is_caught() -> None:
    m = propagate("he_normal", "relu", depth=20, width=256, batch=128, seed=5)
    assert not compare(m, predict("lecun_normal", "relu", depth=20, width=256, batch=128)).agree


def test_a_five_percent_error_per_layer_is_caught_in_a_linear_net() -> None:
    """Pooled over 64 decorrelated inputs, (1.05)^20 = 2.65× at layer 20 is far outside."""
    scheme = derive.SCHEMES["glorot_uniform"]
    m = propagate(lambda shape, seed: np.sqrt(1.05) * sample(scheme, shape, rng=seed), "linear",
                  depth=20, width=256, batch=64, seed=2)
    p = predict(scheme, "linear", depth=20, width=256, batch=64)
    assert compare(propagate(scheme, "linear", depth=20, width=256, batch=64, seed=2), p).agree
    assert not compare(m, p).agree
    assert compare(m, predict(scheme, "linear", depth=20, width=256)).agree  # one input's: blind


def test_tolerance_holds_across_seeds() -> None:
    """A small calibration: 40 seeds of a deep narrow ReLU net, every layer within tolerance."""
    p = predict("he_normal", "relu", depth=30, width=64, batch=32)
    for s in child_seeds(1, 40):
        m = propagate("he_normal", "relu", depth=30, width=64, batch=32, seed=s)
        assert compare(m, p).agree, s


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="depth"):
        layer_widths(4, 0)
    with pytest.raises(ValueError, match="depth \\+ 1 = 4"):
        layer_widths([3, 4], 3)
    with pytest.raises(ValueError, match="choose from"):
        propagate("he_normal", "swish", depth=2, width=4, batch=4)
    with pytest.raises(TypeError, match="scheme"):
        predict(lambda s, seed: np.ones(s), "relu", depth=2, width=4)


@pytest.mark.parametrize("name", ["tanh", "relu", "leaky_relu", "sigmoid", "elu", "selu", "gelu",
                                  "silu"])
def test_activations_match_pytorch(name: str) -> None:
    """PyTorch's own functions, an independent source for the forms and SELU's derived constants.

    atol: PyTorch's float64 gelu is 0 below x ≈ −8.4 (1 + erf cancels), where ours, through
    scipy's ndtr, keeps values near −2e-16.
    """
    torch = pytest.importorskip("torch")
    f = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid,
         "leaky_relu": lambda t: torch.nn.functional.leaky_relu(t, 0.01),
         "elu": torch.nn.functional.elu, "selu": torch.selu, "gelu": torch.nn.functional.gelu,
         "silu": torch.nn.functional.silu}[name]
    x = np.linspace(-20, 20, 4001)
    theirs = f(torch.from_numpy(x)).numpy()
    assert np.allclose(activation(name)(x), theirs, rtol=1e-14, atol=1e-15)


def test_a_tolerance_that_admits_a_factor_2_is_inconclusive() -> None:
    """Deep narrow ReLU nets spread too much for a factor 2 to show: never 'agrees'."""
    wide = compare(propagate("he_normal", "relu", depth=30, width=64, batch=32, seed=1),
                   predict("he_normal", "relu", depth=30, width=64, batch=32))
    assert wide.agree and wide.blind.any() and wide.verdict == "inconclusive"
    assert "inconclusive" in str(wide).splitlines()[-1]
    narrow = compare(propagate("glorot_uniform", "linear", depth=5, width=256, batch=64, seed=1),
                     predict("glorot_uniform", "linear", depth=5, width=256, batch=64))
    assert narrow.verdict == "agrees" and not narrow.blind.any()
