"""The isometry derivation: every step proves and fails when broken; its results against
independent sources (exact matrix products, mpmath at 40 digits, Monte Carlo-free algebra)."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections import Counter

import mpmath as mp
import pytest
import sympy as sp

from derive import StepError, fan_in, fan_out, parse_scheme
from derive.proofs.isometry import L, g, isometry, mu1, mu2, n, q, s1, sigma_w2
from derive.schemes import orthogonal


def test_every_step_checks() -> None:
    assert isometry().check() is isometry()


def _perturbed(e: sp.Expr) -> sp.Expr:
    if isinstance(e, sp.MatrixBase):
        return e + sp.ones(*e.shape)
    return sp.Integer(0) if e == sp.oo else e + sp.Rational(1, 7)


def test_every_step_fails_when_broken() -> None:
    d = isometry()
    for number, step in enumerate(d.steps, 1):
        broken = dataclasses.replace(step, new=_perturbed(step.new))
        assert not broken.holds(), f"step {number} cannot fail"
    number = next(k for k, s in enumerate(d.steps, 1) if s.reason.startswith("ReLU, Gaussian"))
    steps = list(d.steps)
    steps[number - 1] = dataclasses.replace(steps[number - 1], new=3 * L)
    with pytest.raises(StepError, match=f"step {number} "):
        dataclasses.replace(d, steps=tuple(steps)).check()


def test_dropping_a_fact_breaks_the_step() -> None:
    step = next(s for s in isometry().steps if s.reason.startswith("read off: $v_L"))
    assert not dataclasses.replace(step, facts={}).holds()


def test_the_cases_are_papers() -> None:
    """Pennington et al. (2017): sigma^2 = L (mu_2/mu_1^2 - 1 - s_1) at criticality."""
    r = isometry().results
    variance = r["critical_variance"]
    relu = {mu1: r["relu_mu"], mu2: r["relu_mu"]}
    cases = {(1, 1, r["s1_gaussian"]): L, (1, 1, r["s1_orthogonal"]): 0,
             (*relu.values(), r["s1_orthogonal"]): L, (*relu.values(), r["s1_gaussian"]): 2 * L}
    for (a, b, s), expected in cases.items():
        assert sp.simplify(variance.subs({mu1: a, mu2: b, s1: s}) - expected) == 0
    assert sp.simplify(r["spectrum_variance"].subs(sigma_w2, 1 / mu1) - variance) == 0
    assert r["spectrum_mean"].subs(sigma_w2, 1 / mu1) == 1


def test_the_recursion_solves_to_the_closed_form() -> None:
    """Iterating mean_step and variance_step L times gives spectrum_mean, normalized_variance."""
    r = isometry().results
    (m_prev,) = r["mean_step"].free_symbols - {sigma_w2, mu1}
    (v_prev,) = r["variance_step"].free_symbols - {mu1, mu2, s1}
    m, v = sp.Integer(1), sp.Integer(0)
    for depth in range(1, 6):
        m, v = r["mean_step"].subs(m_prev, m), r["variance_step"].subs(v_prev, v)
        assert sp.simplify(m - r["spectrum_mean"].subs(L, depth)) == 0
        assert sp.simplify(v - r["normalized_variance"].subs(L, depth)) == 0


def test_the_gaussian_ratio_is_exact_at_finite_width() -> None:
    """E[tr((W W^T)^2)]/n = 2 + 1/n for unit sigma_w^2, by brute force: every index tuple's
    expectation from the normal moments E[x^2] = 1, E[x^4] = 3 of its distinct entries."""
    moment = {1: 0, 2: 1, 3: 0, 4: 3}
    for size in (1, 2, 3):
        total = 0
        for a, b, c, d in itertools.product(range(size), repeat=4):
            entries = Counter([(a, b), (c, b), (c, d), (a, d)])
            total += math.prod(moment[m] for m in entries.values())
        variance = sp.Rational(1, size)  # sigma_w^2/n with sigma_w^2 = 1
        assert variance**2 * total / size == \
            isometry().results["gaussian_ratio"].subs(n, size)


def _gaussian_mp(f: object, variance: mp.mpf) -> mp.mpf:
    s = mp.sqrt(variance)
    return mp.quad(lambda x: f(x) * mp.npdf(x, 0, s), [-mp.inf, -10 * s, -s, 0, s, 10 * s, mp.inf])


def test_tanh_numeric_step_matches_mpmath_at_40_digits() -> None:
    with mp.workdps(40):
        variance = mp.mpf(1) / 64
        a = _gaussian_mp(lambda x: mp.sech(x) ** 4, variance)
        b = _gaussian_mp(lambda x: mp.sech(x) ** 8, variance)
        expected = b / a**2 - 1
        value = mp.mpf(str(isometry().results["tanh_orthogonal_term"]))
        assert abs(value - expected) < mp.mpf(10) ** -28


def test_tanh_series_is_the_small_q_limit() -> None:
    """(mu_2/mu_1^2 - 1)/q^2 tends to 8 (the 8 q^2 of the series) as q -> 0, by mpmath."""
    coefficient = float(isometry().results["tanh_small_q"].subs(q, 1))
    assert coefficient == 8
    with mp.workdps(30):
        for variance in (mp.mpf(10) ** -3, mp.mpf(10) ** -4):
            a = _gaussian_mp(lambda x: mp.sech(x) ** 4, variance)
            b = _gaussian_mp(lambda x: mp.sech(x) ** 8, variance)
            assert abs((b / a**2 - 1) / (coefficient * variance**2) - 1) < 50 * variance


def test_orthogonal_scheme_variance_is_derived() -> None:
    s = orthogonal(2)
    assert s.distribution == "orthogonal" and s.scale == 4
    assert sp.simplify(s.variance - 4 / sp.Max(fan_in, fan_out)) == 0
    assert s.variance_at(64, 256) == pytest.approx(4 / 256, rel=1e-15)
    assert parse_scheme("orthogonal(gain=sqrt(2))").variance_at(8, 8) == pytest.approx(2 / 8)
    assert parse_scheme("orthogonal()").name == "orthogonal(gain=1)"
    for bad in (0, -1, float("nan"), "a"):
        with pytest.raises(ValueError, match="gain must be a positive finite number"):
            orthogonal(bad)  # type: ignore[arg-type]


def test_the_sphere_marginal_has_the_entry_variance() -> None:
    """Beta(a, a) on [-1, 1] with a = marginal_shape has variance 1/n (scipy, independently)."""
    from scipy import stats

    r = isometry().results
    for size in (2, 3, 17, 256):
        a = float(r["marginal_shape"].subs(n, size))
        var = stats.beta(a, a, loc=-1, scale=2).var()
        assert var == pytest.approx(float(r["entry_variance"].subs({n: size, g: 1})),
                                    rel=1e-12)


def test_prose_is_ascii() -> None:
    d = isometry()
    assert all(t.isascii() for t in (d.summary, *d.assumptions, *(s.reason for s in d.steps)))
