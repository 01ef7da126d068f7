"""derive's width scaling: every step proves and fails when broken; Adam's sign identity against
a literal numpy Adam step; muP's scalings as Tensor Programs V, Table 3, prints them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp
from scipy import stats

from derive import E
from derive.proofs.width_scaling import (
    HALF_NORMAL,
    LAYERS,
    MEAN_ABS_V,
    d,
    delta,
    delta_f,
    eta,
    g,
    i,
    n,
    p,
    sigma_v,
    width_scaling,
    x,
    xs,
)

RESULTS = width_scaling().results


def test_dropping_a_fact_breaks_the_step() -> None:
    """The size needs |sign(delta_i)| = 1; the mean size needs identically distributed x_j."""
    steps = width_scaling().steps
    for reason in ("its size, exactly", "the $x_j$ are identically distributed"):
        (step,) = [s for s in steps if s.reason.startswith(reason)]
        assert step.holds() and not dataclasses.replace(step, facts={}).holds()


def _literal_adam_first_step(grad: np.ndarray, lr: float, b1: float = 0.9, b2: float = 0.999,
                             eps: float = 1e-300) -> np.ndarray:
    """Adam's first update written out: moments from zero, bias-corrected."""
    m, v = (1 - b1) * grad, (1 - b2) * grad**2
    return -lr * (m / (1 - b1)) / (np.sqrt(v / (1 - b2)) + eps)


def test_adam_first_step_is_a_sign() -> None:
    rng = np.random.default_rng(0)
    grad = rng.standard_normal(1000) * np.exp(rng.uniform(-20, 5, 1000))  # any scale
    update = sp.lambdify((g, eta), RESULTS["adam_first_update"])
    assert np.allclose(_literal_adam_first_step(grad, 0.01), update(grad, 0.01), rtol=1e-13)
    wrong = sp.lambdify((g, eta), -eta * g)  # plain SGD is not Adam's first step
    assert not np.allclose(_literal_adam_first_step(grad, 0.01), wrong(grad, 0.01))


def test_hidden_update_is_exact_for_one_example() -> None:
    rng = np.random.default_rng(1)
    width, lr = 7, 0.003
    xs, deltas = rng.standard_normal(width), rng.standard_normal(5)
    delta_h = _literal_adam_first_step(np.outer(deltas, xs), lr) @ xs
    values = {x[k + 1]: xs[k] for k in range(width)} | {eta: lr}
    for row, delta_row in enumerate(deltas):
        predicted = RESULTS["hidden_update"].subs(n, width).doit().subs(
            values | {delta[i]: delta_row})
        assert delta_h[row] == pytest.approx(float(predicted), rel=1e-12)


def test_mean_update_size_against_monte_carlo() -> None:
    """E|Δh_i| = η·n·E|x|; for x ~ N(0, 1), E|x| is scipy's half-normal mean."""
    rng = np.random.default_rng(2)
    width, draws, lr = 64, 4000, 0.01
    sizes = lr * np.abs(rng.standard_normal((draws, width))).sum(axis=1)
    predicted = float(RESULTS["hidden_update_size"].subs(
        {n: width, eta: lr, E(sp.Abs(xs)): stats.halfnorm.mean()}))
    assert abs(sizes.mean() - predicted) < 5 * sizes.std(ddof=1) / np.sqrt(draws)
    assert abs(sizes.mean() - 2 * predicted) > 5 * sizes.std(ddof=1) / np.sqrt(draws)


def test_half_normal_mean() -> None:
    assert float(MEAN_ABS_V.doit().subs(sigma_v, 0.3)) == pytest.approx(
        stats.halfnorm(scale=0.3).mean(), rel=1e-14)
    assert float(HALF_NORMAL.subs(sigma_v, 0.3)) == pytest.approx(
        stats.halfnorm(scale=0.3).mean(), rel=1e-14)


# Yang et al. 2022, Tensor Programs V, Table 3 (muP for Adam): init variance and learning rate of
# input weights, hidden weights and output weights (fan_in = d, n, n); SP: 1/fan_in and eta.
TABLE_3 = {
    "mup": {"variance": (1 / d, 1 / n, 1 / n**2), "lr": (eta, eta / n, eta / n)},
    "sp": {"variance": (1 / d, 1 / n, 1 / n), "lr": (eta, eta, eta)},
}


@pytest.mark.parametrize("name", ["sp", "mup"])
def test_scalings_are_those_of_the_paper(name: str) -> None:
    for k, layer in enumerate(LAYERS):
        for kind in ("variance", "lr"):
            assert sp.simplify(RESULTS[f"{name}_{layer}_{kind}"] - TABLE_3[name][kind][k]) == 0


def test_limits_against_numeric_slopes() -> None:
    """Each limit step: d log(size)/d log(n) far out, with every E[.] set to 1, is its exponent
    up to the slowest correction n^(-1/2) of the SP output's two terms."""
    limits = [s for s in width_scaling().steps if s.limit is not None]
    assert len(limits) == 11
    far, ratio = 1e16, 10.0
    for step in limits:
        size = sp.exp(step.old * sp.log(n))
        size = size.replace(lambda e: isinstance(e, E), lambda e: sp.Integer(1))
        size = size.subs({eta: 0.01, d: 8, delta_f: 0.5, p: -0.25})
        slope = np.log(float(size.subs(n, far * ratio)) / float(size.subs(n, far))) / np.log(ratio)
        assert slope == pytest.approx(float(step.new.subs(p, -0.25)), abs=1e-7), step.reason
