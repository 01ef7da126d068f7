"""The residual derivation's published numbers (its steps are re-proved, and each broken in
turn, with every derivation's in test_derivations).

GPT-2, Fixup and DeepNet's constants are checked against the property that defines each
(at 30 digits), and DeepNet's sensitivity against a numerical derivative of the layer
norm it differentiates.
"""

from __future__ import annotations

import dataclasses

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from derive.proofs.residual import residual
from derive.render import derivation_latex, derivation_markdown

RESULTS = residual().results


def _at(name: str, **values: float) -> sp.Expr:
    """derive's result `name` with its symbols (by name) set to `values`."""
    expr = RESULTS[name]
    return expr.subs({s: values[s.name] for s in expr.free_symbols})


def test_dropping_zero_mean_breaks_the_block_rule() -> None:
    step = next(s for s in residual().steps if "zero mean" in s.reason)
    assert not dataclasses.replace(step, facts={}).holds()


def test_published_numbers() -> None:
    assert f"{float(_at('gpt2_std', sigma_0=0.02, n_layer=12)):.5f}" == "0.00408"
    assert f"{float(_at('fixup_scale', L=54, m=2)):.3f}" == "0.136"
    assert f"{float(_at('deepnet_alpha', N=100)):.3f}" == "3.761"
    assert f"{float(_at('deepnet_beta', N=100)):.3f}" == "0.188"


@pytest.mark.parametrize("n_layer", [1, 6, 12, 24, 48, 96])
def test_gpt2_scale_adds_one_block(n_layer: int) -> None:
    """Its defining property: 2 n_layer additions of variance s^2 v add up to v."""
    with mp.workdps(30):
        s = mp.mpf(str(sp.N(_at("gpt2_scale", n_layer=n_layer), 40)))
        assert 2 * n_layer * s**2 - 1 == pytest.approx(0, abs=1e-28)


@pytest.mark.parametrize(("blocks", "m"), [(54, 2), (54, 3), (8, 2), (500, 4), (1000, 2)])
def test_fixup_scale_makes_the_update_one(blocks: int, m: int) -> None:
    """Its defining property: L branches, each moved by c^(2m-2), move the output by 1."""
    with mp.workdps(30):
        c = mp.mpf(str(sp.N(_at("fixup_scale", L=blocks, m=m), 40)))
        assert blocks * c ** (2 * m - 2) - 1 == pytest.approx(0, abs=1e-28)


@pytest.mark.parametrize("layers", [1, 6, 18, 100, 1000])
def test_deepnet_constants_meet_the_bound_with_equality(layers: int) -> None:
    """At the derived alpha, beta: the update bound K (v^2 + w^2)/alpha^2 is 1 and the split
    alpha^2 (v^2 + w^2) is 1, at 30 digits."""
    with mp.workdps(30):
        a = mp.mpf(str(sp.N(_at("deepnet_alpha", N=layers), 40)))
        b = mp.mpf(str(sp.N(_at("deepnet_beta", N=layers), 40)))
        sublayers = 2 * layers
        assert sublayers * (2 * b**2) / a**2 - 1 == pytest.approx(0, abs=1e-28)
        assert a**2 * 2 * b**2 - 1 == pytest.approx(0, abs=1e-28)


def test_deepnet_split_is_what_the_published_pairs_satisfy() -> None:
    """Decoder-only (3M sublayers) from the same formulas, and the encoder-decoder pair's
    rounded 0.81 and 0.87, whose product is 1/sqrt(2) to their rounding."""
    M = 7
    alpha = float(_at("deepnet_alpha_sublayers", K=3 * M))
    beta = float(_at("deepnet_beta_sublayers", K=3 * M))
    assert alpha == pytest.approx((3 * M) ** 0.25, rel=1e-15)
    assert beta == pytest.approx((12 * M) ** -0.25, rel=1e-15)
    assert abs(0.81 * 0.87 - 2**-0.5) < 0.005 * 0.87 + 0.005 * 0.81


def test_deepnet_sensitivity_is_the_numerical_derivative() -> None:
    """LN(alpha y + v w u) for exactly centred, unit, uncorrelated y and u: the mean-square
    derivative in v and w by central differences is derive's sensitivity."""
    rng = np.random.default_rng(0)
    y, u = rng.standard_normal((2, 4096))
    y -= y.mean()
    u -= u.mean()
    u -= y * (u @ y) / (y @ y)
    y, u = y / y.std(), u / u.std()

    def ln(a: float, v: float, w: float) -> np.ndarray:
        h = a * y + v * w * u
        h = h - h.mean()
        return h / h.std()

    for a, v, w in [(3.761, 0.188, 0.188), (1.0, 1.0, 1.0), (2.0, 0.5, 1.5)]:
        step = 1e-6
        dv = (ln(a, v + step, w) - ln(a, v - step, w)) / (2 * step)
        dw = (ln(a, v, w + step) - ln(a, v, w - step)) / (2 * step)
        numeric = float(np.mean(dv**2) + np.mean(dw**2))
        assert numeric == pytest.approx(float(_at("deepnet_sensitivity", alpha_D=a, v=v, w=w)),
                                        rel=1e-7)


def test_closed_forms() -> None:
    assert float(_at("plain", alpha=1, k=1, L=10)) == 1024
    assert float(_at("prenorm", alpha=1, v=2, L=24, q=1)) == 49
    assert float(_at("growth_rate", alpha=0.5, k=2)) == pytest.approx(np.log(1.5), rel=1e-15)


def test_renders_in_ascii_prose() -> None:
    d = residual()
    for text in (d.summary, d.title, *d.assumptions, *(s.reason for s in d.steps)):
        assert text.isascii(), text
    assert r"\section" in derivation_latex(d)
    assert "DeepNet" in derivation_markdown(d)
