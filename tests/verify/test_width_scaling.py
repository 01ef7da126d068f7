"""The coordinate check: back-propagation, Adam's first step, and the slopes against width under SP
and muP against derive's exponents; two planted muP mistakes are caught."""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np
import pytest
import sympy as sp

from derive.proofs.width_scaling import LAYERS, d, eta, g, n, width_scaling
from verify.width_scaling import (
    CoordCheck,
    adam,
    coord_check,
    dataset,
    exponents,
    forward,
    gradients,
    init_weights,
    parametrization,
)

WIDTHS = (128, 256, 512, 1024)  # above 64 the batch's O(batch/width) correction is small
RUN = {"steps": 3, "seeds": 16, "lr": 1e-6, "seed": 14}
ALPHA = 1e-6
RESULTS = width_scaling().results


@cache
def check(name: str) -> CoordCheck:
    return coord_check(name, WIDTHS, **RUN)


def planted(layer: int, kind: str) -> CoordCheck:
    """muP with one layer's variance or rate taken from SP."""
    mup, sp_ = parametrization("mup"), parametrization("sp")
    values = list(getattr(mup, kind))
    values[layer] = getattr(sp_, kind)[layer]
    return coord_check(dataclasses.replace(mup, **{kind: tuple(values)}), WIDTHS, **RUN)


def test_gradients_against_finite_differences() -> None:
    rng = np.random.default_rng(0)
    x, y = dataset(0, size=5, dim=3)
    weights = init_weights(parametrization("sp"), 6, 3, rng)

    def loss(ws: list[np.ndarray]) -> float:
        return 0.5 * float(np.mean((forward(ws, x)[-1][:, 0] - y) ** 2))

    for k, grad in enumerate(gradients(weights, x, y)):
        numeric = np.zeros_like(grad)
        for index in np.ndindex(grad.shape):
            up, down = [w.copy() for w in weights], [w.copy() for w in weights]
            up[k][index] += 1e-6
            down[k][index] -= 1e-6
            numeric[index] = (loss(up) - loss(down)) / 2e-6
        assert np.allclose(grad, numeric, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("name", ["sp", "mup"])
def test_first_adam_step_is_derives_sign_update(name: str) -> None:
    p = parametrization(name)
    x, y = dataset(0)
    weights = init_weights(p, 32, x.shape[1], np.random.default_rng(1))
    rates = [c(32, x.shape[1], 0.01) for c in p.lr]
    moved = adam(weights, x, y, rates, steps=1, epsilon=0.0)
    update = sp.lambdify((g, eta), RESULTS["adam_first_update"])
    for w0, w1, grad, c in zip(weights, moved, gradients(weights, x, y), rates, strict=True):
        assert np.allclose(w1 - w0, update(grad, c), rtol=1e-12, atol=0)


def test_rates_and_variances_are_derives() -> None:
    for name in ("sp", "mup"):
        p = parametrization(name)
        for k, layer in enumerate(LAYERS):
            expected = RESULTS[f"{name}_{layer}_lr"].subs({n: 512, d: 8, eta: 0.1})
            assert p.lr[k](512, 8, 0.1) == pytest.approx(float(expected), rel=1e-15)
            expected = RESULTS[f"{name}_{layer}_variance"].subs({n: 512, d: 8})
            assert p.variance[k](512, 8) == pytest.approx(float(expected), rel=1e-15)


@pytest.mark.parametrize("name", ["sp", "mup"])
def test_input_and_hidden_slopes_are_derives_exponents(name: str) -> None:
    c = check(name)
    assert c.consistent(exponents(name), ALPHA)[:2].all(), (c.slope, c.tolerance(ALPHA / 3))


def test_mup_output_slope_is_zero() -> None:
    c = check("mup")
    assert c.consistent(exponents("mup"), ALPHA)[2], (c.slope, c.tolerance(ALPHA / 3))


def test_sp_output_slope_lies_between_its_two_terms() -> None:
    """f's change has a term of exponent 1 (its own update) and one of 3/2 (through v): at
    finite width the slope lies between them and tends to 3/2 like n^(-1/2)."""
    c = check("sp")
    tol = c.tolerance(ALPHA / 2)[2]
    own, total = (float(RESULTS[k]) for k in ("sp_output_own_exponent", "sp_output_exponent"))
    assert own < c.slope[2] - tol and c.slope[2] < total + tol, (c.slope, tol)


def test_sp_hidden_grows_and_mup_does_not() -> None:
    sp_, mup = check("sp"), check("mup")
    hidden = 1
    assert not mup.consistent(exponents("sp"), ALPHA)[hidden]
    assert not sp_.consistent(exponents("mup"), ALPHA)[hidden]


def test_planted_hidden_rate_not_divided_by_width_is_caught() -> None:
    c = planted(1, "lr")
    flagged = ~c.consistent(exponents("mup"), ALPHA)
    assert flagged[1] and flagged[2] and not flagged[0], c.slope
    assert c.consistent(exponents("sp"), ALPHA)[1], c.slope  # it grows as SP's does


def test_planted_output_variance_of_sp_is_caught() -> None:
    c = planted(2, "variance")
    flagged = ~c.consistent(exponents("mup"), ALPHA)
    assert flagged[2] and not flagged[:2].any(), c.slope


def test_from_width_refits_on_the_wide_networks() -> None:
    c = check("mup").from_width(256)
    assert c.widths == WIDTHS[1:] and c.changes.shape == (RUN["seeds"], 3, 3)
    with pytest.raises(ValueError, match="fewer than two"):
        check("mup").from_width(1024)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="choose one of"):
        parametrization("ntk")
    with pytest.raises(ValueError, match="choose one of"):
        exponents("ntk")
    with pytest.raises(ValueError, match="at least two"):
        coord_check("sp", (64,), **RUN)
    with pytest.raises(ValueError, match="seeds >= 2"):
        coord_check("sp", WIDTHS, **{**RUN, "seeds": 1})
