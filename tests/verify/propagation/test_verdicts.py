"""Honest verdicts: a layer whose tolerance admits a factor 2 never "agrees", the tightened
tolerances hold on the Monte Carlo, and a planted 2x weight variance is caught where the
tolerances are narrower than a factor 2."""

from __future__ import annotations

import numpy as np
import pytest

from derive import ACTIVATIONS, SCHEMES
from verify import child_seeds, compare, predict, propagate, sample
from verify.propagation.chain import law
from verify.propagation.comparison import BLIND_FACTOR
from verify.propagation.meanfield import weight_variances
from verify.propagation.quadrature import activation

SCHEME_NAMES = ("lecun_normal", "he_normal", "glorot_normal")
NARROW = {"depth": 6, "width": 32, "batch": 8}  # too narrow to see a factor 2 anywhere
WIDE = {"depth": 3, "width": 512, "batch": 64}  # wide enough to see it at every layer


def _planted(scheme: str, layer: int, factor: float) -> object:
    """The scheme's sampler, its `layer`-th draw (from 1) scaled to `factor` times the
    variance; propagate draws the layers in order, once each."""
    calls = iter(range(1, 10_000))

    def draw(shape: tuple[int, ...], seed: object) -> np.ndarray:
        w = sample(SCHEMES[scheme], shape, rng=seed)
        return np.sqrt(factor) * w if next(calls) == layer else w

    return draw


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_a_layer_blind_to_a_factor_2_is_never_said_to_agree(name: str) -> None:
    verdicts = set()
    for size in (NARROW, {"depth": 8, "width": 128, "batch": 32}, WIDE):
        for scheme in SCHEME_NAMES:
            c = compare(propagate(scheme, name, seed=4, **size), predict(scheme, name, **size))
            t = c.predicted.tolerance
            wide = (t.var >= np.log(BLIND_FACTOR)) | (t.grad_var >= np.log(BLIND_FACTOR))
            assert np.array_equal(c.blind, wide)
            rows = str(c).splitlines()
            for i in range(c.measured.depth):
                flagged = rows[i + 1].endswith(("<- cannot see x2", "<- differs"))
                assert flagged == bool(wide[i] or not all(v[i] for v in c.ok.values()))
            if not c.agree:
                assert c.verdict == "differs" and rows[-1].startswith("DIFFER"), (scheme, size)
            elif wide.any():
                assert c.verdict == "inconclusive", (scheme, size)
                assert rows[-1].startswith("inconclusive") and "agree within" not in rows[-1]
            else:
                assert c.verdict == "agrees" and rows[-1] == "agree within tolerance"
            verdicts.add(c.verdict)
    assert {"agrees", "inconclusive"} <= verdicts  # both branches are exercised


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_a_planted_2x_weight_variance_is_caught_where_the_tolerance_can_see_it(name: str) -> None:
    """Layer 2 of 3 drawn with twice the scheme's variance: every tolerance is narrower than
    log 2, so the check must say "differs"; the same seed without the error "agrees"."""
    for scheme in SCHEME_NAMES:
        p = predict(scheme, name, **WIDE)
        assert np.all(p.tolerance.var < np.log(BLIND_FACTOR))
        assert np.all(p.tolerance.grad_var < np.log(BLIND_FACTOR))
        assert compare(propagate(scheme, name, seed=7, **WIDE), p).verdict == "agrees"
        wrong = compare(propagate(_planted(scheme, 2, 2.0), name, seed=7, **WIDE), p)
        assert wrong.verdict == "differs", (scheme, str(wrong))


@pytest.mark.parametrize(("scheme", "name"), [("he_normal", "gelu"), ("he_normal", "silu"),
                                              ("lecun_normal", "tanh"), ("he_normal", "elu"),
                                              ("he_normal", "selu"), ("lecun_normal", "sigmoid")])
def test_tightened_tolerances_hold_across_seeds(scheme: str, name: str) -> None:
    """The cases whose tolerances the law of q and the pooled gradient bound tightened:
    25 seeds of depth 20, width 128, batch 64, every layer within tolerance."""
    size = {"depth": 20, "width": 128, "batch": 64}
    p = predict(scheme, name, **size)
    for s in child_seeds(11, 25):
        c = compare(propagate(scheme, name, seed=s, **size), p)
        assert c.agree, (s, str(c))


def test_the_law_of_q_is_the_monte_carlo_s() -> None:
    """One input's log q_l through 20 GELU layers under He (width 64): the chain's quantiles
    against 400 nets' (25,600 inputs). Below the grid cell holding the chain's u-quantile
    lie at most u·N inputs, above it at most (1 − u)·N, up to 5 sd of the count (binomial,
    times 64 as the inputs of one net share its weights)."""
    depth, width, batch = 20, 64, 64
    widths = (width,) * (depth + 1)
    phi = activation("gelu")
    p = predict("he_normal", "gelu", depth=depth, width=width, batch=batch)
    one = law(phi, weight_variances("he_normal", widths), widths, 0.0,
              float(np.log(p.pre_var.min()) - 30), float(np.log(p.pre_var.max()) + 30), 0.04)
    assert one is not None
    sampler = SCHEMES["he_normal"]
    logs = []
    for s in child_seeds(3, 400):
        rng = np.random.default_rng(s)
        a = rng.standard_normal((batch, width))
        row = []
        for _ in range(depth):
            w = sample(sampler, (width, width), rng=rng)
            row.append(np.log(np.sum(a**2, axis=1) * float(sampler.variance_at(width, width))))
            a = phi(a @ w.T)
        logs.append(row)
    logs = np.array(logs)  # seeds, layers, inputs
    for layer in (1, 10, 20):
        x = logs[:, layer - 1].ravel()
        cdf = np.cumsum(one.prob[layer - 1])
        h = one.log_q[1] - one.log_q[0]
        for u in (0.01, 0.5, 0.99):
            cell = one.log_q[np.searchsorted(cdf, u)]
            sd = np.sqrt(x.size * u * (1 - u) * batch)
            assert np.sum(x < cell - h) <= u * x.size + 5 * sd, (layer, u)
            assert np.sum(x > cell + h) <= (1 - u) * x.size + 5 * sd, (layer, u)
