"""Residual streams: Monte Carlo against derive's variances, GPT-2's, Fixup's and DeepNet's
scalings, and planted errors the comparison must catch. Fixed seeds throughout."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from derive import variance_scaling
from derive.proofs.residual import residual
from verify.propagation import compare
from verify.propagation.deepnorm import deepnorm_update, predict_deepnorm_update
from verify.propagation.montecarlo import propagate
from verify.propagation.residual import Residual, predict_residual
from verify.sampling import child_seeds

RESULTS = residual().results


def _at(name: str, **values: float) -> float:
    expr = RESULTS[name]
    return float(expr.subs({s: values[s.name] for s in expr.free_symbols}))


def _run(init: object, act: str, res: Residual, *, depth: int, width: int, batch: int,
         seed: int, predicted_init: object = None) -> tuple[object, object]:
    m = propagate(init, act, depth=depth, width=width, batch=batch, seed=seed, residual=res)
    p = predict_residual(predicted_init or init, act, depth=depth, width=width, batch=batch,
                         residual=res)
    return m, p


def test_unscaled_growth_is_exponential_at_derives_rate() -> None:
    """Linear branch of gain k = 1 (LeCun): Var(x_L) = (1 + alpha^2 k)^L = 2^L."""
    res = Residual(branch_depth=2)
    m, p = _run("lecun_normal", "linear", res, depth=10, width=256, batch=64, seed=1)
    blocks = np.arange(1, 11)
    assert np.allclose(p.var, [_at("plain", alpha=1, k=1, L=b) for b in blocks], rtol=1e-12)
    c = compare(m, p)
    assert c.verdict == "agrees", str(c)
    slope = np.log(m.var[-1] / m.var[0]) / 9
    band = (p.tolerance.var[-1] + p.tolerance.var[0]) / 9
    assert abs(slope - _at("growth_rate", alpha=1, k=1)) <= band < 0.1


def test_relu_branch_grows_with_its_gain() -> None:
    """He/ReLU branch of two layers: gain k = 2, Var(x_l) = 3^l."""
    m, p = _run("he_normal", "relu", Residual(), depth=8, width=256, batch=64, seed=2)
    assert np.allclose(p.var, [_at("plain", alpha=1, k=2, L=b) for b in range(1, 9)],
                       rtol=1e-9)
    assert compare(m, p).agree


def test_multiplier_and_a_planted_2x() -> None:
    """alpha = 0.5: (1 + 0.25)^L; the same net run with alpha = 1 is caught."""
    half = Residual(multiplier=0.5)
    m, p = _run("lecun_normal", "linear", half, depth=16, width=256, batch=64, seed=3)
    assert np.allclose(p.var, [_at("plain", alpha=0.5, k=1, L=b) for b in range(1, 17)])
    assert compare(m, p).verdict == "agrees"
    doubled = propagate("lecun_normal", "linear", depth=16, width=256, batch=64, seed=3,
                        residual=Residual(multiplier=1.0))
    assert compare(doubled, p).verdict == "differs"


def test_prenorm_growth_is_linear() -> None:
    """Pre-normalized He/ReLU branch: v = 2 at unit input, Var(x_L) = 1 + 2L."""
    res = Residual(prenorm=True)
    m, p = _run("he_normal", "relu", res, depth=16, width=256, batch=64, seed=4)
    assert np.allclose(p.var, [_at("prenorm", alpha=1, v=2, L=b, q=1) for b in range(1, 17)],
                       rtol=1e-9)
    c = compare(m, p)
    assert c.verdict == "agrees", str(c)
    plain = propagate("he_normal", "relu", depth=16, width=256, batch=64, seed=4,
                      residual=Residual())
    assert not compare(plain, p).agree


def test_gpt2_scaling_bounds_24_additions() -> None:
    """GPT-2 small: width 768, std 0.02, GELU, 12 layers = 24 pre-normalized additions with
    the last projection scaled by 1/sqrt(24): Var(x_24) = Var(x_0) + v. Without the factor
    the comparison differs."""
    layers, base = 12, 0.02
    scale = _at("gpt2_std", sigma_0=base, n_layer=layers) / base
    assert scale == pytest.approx(_at("gpt2_scale", n_layer=layers), rel=1e-15)
    init = variance_scaling(base**2, None, "normal")
    gpt2 = Residual(branch_depth=2, multiplier=scale, prenorm=True)
    m, p = _run(init, "gelu", gpt2, depth=2 * layers, width=768, batch=16, seed=5)
    one_block = predict_residual(init, "gelu", depth=1, width=768, batch=16,
                                 residual=Residual(prenorm=True)).var[0] - 1
    assert p.var[-1] == pytest.approx(1 + one_block, rel=1e-12)
    c = compare(m, p)
    assert c.verdict == "agrees", str(c)
    missing = propagate(init, "gelu", depth=2 * layers, width=768, batch=16, seed=5,
                        residual=Residual(prenorm=True))
    assert compare(missing, p).verdict == "differs"
    assert missing.var[-1] > 1 + 10 * one_block


def test_fixup_scale_bounds_resnet110() -> None:
    """54 ReLU blocks of m = 2 He layers, each scaled by Fixup's 54^(-1/2): the branch gain
    2·c^4, Var(x_54) = (1 + 2 c^4)^54 ~ 1.04. Unscaled it is 3^54; the comparison differs."""
    blocks, m = 54, 2
    c = _at("fixup_scale", L=blocks, m=m)
    fixup = variance_scaling(2 * c**2, "fan_in", "normal")
    mc, p = _run(fixup, "relu", Residual(branch_depth=m), depth=blocks, width=256, batch=32,
                 seed=6)
    gain = 2 * _at("fixup_gain", c=c, m=m)
    assert p.var[-1] == pytest.approx(_at("plain", alpha=1, k=gain, L=blocks), rel=1e-9)
    assert p.var[-1] < 1.05
    cmp = compare(mc, p)
    assert cmp.verdict == "agrees", str(cmp)
    unscaled = propagate("he_normal", "relu", depth=blocks, width=256, batch=32, seed=6,
                         residual=Residual(branch_depth=m))
    assert compare(unscaled, p).verdict == "differs"


@pytest.mark.parametrize("layers", [5, 25])
def test_deepnet_keeps_the_update_bounded(layers: int) -> None:
    """DeepNet's alpha, beta: the update U stays at derive's prediction (about 1) as N grows,
    the stream's variance at 1. Planted: without the up-scaled skip (alpha = 1) U is about
    sqrt(2N), and vanilla Post-LN's is about K/2."""
    sublayers = 2 * layers
    a, b = _at("deepnet_alpha", N=layers), _at("deepnet_beta", N=layers)
    u = deepnorm_update(a, b, sublayers=sublayers, width=256, batch=64, seed=7)
    predicted = predict_deepnorm_update(a, b, sublayers=sublayers)
    assert abs(u.update - predicted) <= u.band() < 0.5
    assert 0.9 < predicted <= 1.0 and np.allclose(u.var, 1.0)
    no_skip = deepnorm_update(1.0, b, sublayers=sublayers, width=256, batch=64, seed=7)
    assert abs(no_skip.update - predicted) > no_skip.band()
    assert abs(no_skip.update - predict_deepnorm_update(1.0, b, sublayers=sublayers)) \
        <= no_skip.band()
    post_ln = deepnorm_update(1.0, 1.0, sublayers=sublayers, width=256, batch=64, seed=7)
    assert post_ln.update > max(layers / 2, 2 * u.update)  # grows about as K/2 = N


def test_tolerance_holds_across_seeds() -> None:
    """A small calibration: 30 seeds of a narrow tanh stream, every block within tolerance."""
    res = Residual(multiplier=1.0)
    p = predict_residual("lecun_normal", "tanh", depth=16, width=64, batch=16, residual=res)
    for s in child_seeds(2, 30):
        m = propagate("lecun_normal", "tanh", depth=16, width=64, batch=16, seed=s,
                      residual=res)
        assert compare(m, p).agree, s


def test_a_wide_tolerance_is_inconclusive() -> None:
    """Deep unnormalized ReLU streams correlate their inputs: a factor 2 cannot show."""
    m, p = _run("he_normal", "relu", Residual(), depth=12, width=128, batch=32, seed=8)
    c = compare(m, p)
    assert c.agree and c.blind.any() and c.verdict == "inconclusive"


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="branch_depth"):
        Residual(branch_depth=0)
    with pytest.raises(ValueError, match="multiplier"):
        Residual(multiplier=-1.0)
    with pytest.raises(ValueError, match="prenorm"):
        Residual(prenorm="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one width"):
        propagate("he_normal", "relu", depth=2, width=[4, 5, 4], batch=4, residual=Residual())
    with pytest.raises(TypeError, match="Residual"):
        propagate("he_normal", "relu", depth=2, width=4, batch=4, residual=2)  # type: ignore
    with pytest.raises(ValueError, match="one width"):
        predict_residual("he_normal", "relu", depth=2, width=[4, 4, 4], batch=4,
                         residual=Residual())
    with pytest.raises(ValueError, match="sublayers"):
        deepnorm_update(1.0, 1.0, sublayers=0, width=8, batch=4)
    with pytest.raises(ValueError, match="beta"):
        predict_deepnorm_update(1.0, float("nan"), sublayers=3)
    assert sp.Symbol  # sympy stays importable beside the lambdified results
