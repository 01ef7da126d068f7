"""derive: every step proves, every broken step fails, the catalogue is the textbook's."""

from __future__ import annotations

import dataclasses
import math

import pytest
import sympy as sp
from scipy import integrate, stats

import derive
from derive import SCHEMES, StepError, fan_in, fan_out, truncated_normal, variance_scaling

DERIVATIONS = derive.derivations()


@pytest.mark.parametrize("d", DERIVATIONS, ids=lambda d: d.key)
def test_every_derivation_checks(d: derive.Derivation) -> None:
    assert d.check() is d


def _perturbed(e: sp.Expr) -> sp.Expr:
    """A right-hand side that is wrong by a visible amount."""
    if isinstance(e, sp.MatrixBase):
        return e + sp.ones(*e.shape)
    return sp.Integer(0) if e == sp.oo else e + sp.Rational(1, 7)


@pytest.mark.parametrize("d", DERIVATIONS, ids=lambda d: d.key)
def test_every_step_fails_when_broken(d: derive.Derivation) -> None:
    """Every step can fail; check() names the broken one (shown for the last, after every
    earlier step has been re-proved)."""
    for number, step in enumerate(d.steps, 1):
        broken = dataclasses.replace(step, new=_perturbed(step.new))
        assert not broken.holds(), f"step {number} of {d.key} cannot fail"
    last = len(d.steps)
    broken = dataclasses.replace(d.steps[-1], new=_perturbed(d.steps[-1].new))
    with pytest.raises(StepError, match=f"step {last} "):
        dataclasses.replace(d, steps=(*d.steps[:-1], broken)).check()


def test_dropping_a_fact_breaks_the_step() -> None:
    d = derive.product_variance()
    independence = d.steps[1]
    assert independence.reason == "independence"
    assert not dataclasses.replace(independence, facts={}).holds()


TEXTBOOK = {
    "lecun_normal": (1 / fan_in, None),
    "lecun_uniform": (1 / fan_in, sp.sqrt(3 / fan_in)),
    "glorot_normal": (2 / (fan_in + fan_out), None),
    "glorot_uniform": (2 / (fan_in + fan_out), sp.sqrt(6 / (fan_in + fan_out))),
    "he_normal": (2 / fan_in, None),
    "he_uniform": (2 / fan_in, sp.sqrt(6 / fan_in)),
    "zeros": (0, 0),
    "small_normal": (sp.Rational(1, 100) ** 2, None),
    "standard_normal": (1, None),
    "uniform_inv_sqrt": (1 / (3 * fan_in), 1 / sp.sqrt(fan_in)),
}


@pytest.mark.parametrize("name", TEXTBOOK)
def test_catalogue_is_the_textbook(name: str) -> None:
    variance, bound = TEXTBOOK[name]
    scheme = SCHEMES[name]
    assert sp.simplify(scheme.variance - variance) == 0
    if bound is None:
        assert scheme.bound is None
    else:
        assert sp.simplify(scheme.bound - bound) == 0


def test_truncation_constant() -> None:
    correction = truncated_normal().results["correction"]
    assert float(correction) == 0.87962566103423978
    assert float(correction) == pytest.approx(stats.truncnorm(-2, 2).std(), rel=1e-15)


@pytest.mark.parametrize("family", ["lecun", "glorot", "he"])
def test_truncated_schemes_match_scipy(family: str) -> None:
    """A truncnorm with the scheme's σ, cut at its bound, has the scheme's variance."""
    scheme = SCHEMES[f"{family}_truncated_normal"]
    fi, fo = 300.0, 700.0
    sigma, bound = scheme.sigma_at(fi, fo), scheme.bound_at(fi, fo)
    dist = stats.truncnorm(-bound / sigma, bound / sigma, scale=sigma)
    assert bound / sigma == pytest.approx(2, rel=1e-15)
    assert dist.var() == pytest.approx(scheme.variance_at(fi, fo), rel=1e-12)
    normal = SCHEMES[f"{family}_normal"]
    assert normal.variance == scheme.variance


def test_aliases_are_the_same_objects() -> None:
    for alias, family in (("xavier", "glorot"), ("kaiming", "he")):
        for dist in derive.DISTRIBUTIONS:
            assert SCHEMES[f"{alias}_{dist}"] is SCHEMES[f"{family}_{dist}"]


def test_named_schemes_specialize_variance_scaling() -> None:
    for name, scheme in SCHEMES.items():
        if name == "zeros":
            continue
        again = variance_scaling(scheme.scale, scheme.mode, scheme.distribution)
        assert (again.variance, again.bound, again.sigma) == (
            scheme.variance, scheme.bound, scheme.sigma)


def test_fan_geo_avg() -> None:
    s = variance_scaling(1.0, "fan_geo_avg", "normal")
    assert s.variance_at(4, 9) == pytest.approx(1 / 6)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((1.0, "fan_sum", "normal"), "valid modes: fan_in, fan_out, fan_avg, fan_geo_avg"),
        ((1.0, "fan_in", "gaussian"), "valid distributions: normal, truncated_normal, uniform"),
        ((0.0, "fan_in", "normal"), "positive finite"),
        ((-1, "fan_in", "normal"), "positive finite"),
        ((math.nan, "fan_in", "normal"), "positive finite"),
        ((math.inf, "fan_in", "normal"), "positive finite"),
        (("2", "fan_in", "normal"), "positive finite"),
        ((True, "fan_in", "normal"), "positive finite"),
    ],
)
def test_bad_arguments(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        variance_scaling(*args)


@pytest.mark.parametrize("fans", [(0, 3), (3, -1), (math.nan, 3), (3, math.inf), ("3", 3)])
def test_bad_fans(fans: tuple) -> None:
    with pytest.raises(ValueError, match="positive finite number"):
        SCHEMES["glorot_uniform"].variance_at(*fans)


@pytest.mark.parametrize("k", [1.5, 2.0, 3.0, 100.0])
@pytest.mark.parametrize("corrected", [True, False])
def test_any_truncation_against_scipy(k: float, corrected: bool) -> None:
    """The cut at ±k σ, corrected or not, has scipy's truncnorm variance (an independent
    source for c(k))."""
    s = variance_scaling(2, "fan_in", "truncated_normal", truncation=k, corrected=corrected)
    fi, fo = 200.0, 50.0
    sigma, bound = s.sigma_at(fi, fo), s.bound_at(fi, fo)
    assert bound / sigma == pytest.approx(k, rel=1e-14)
    assert stats.truncnorm(-k, k, scale=sigma).var() == pytest.approx(s.variance_at(fi, fo),
                                                                      rel=1e-12)
    assert sigma**2 == pytest.approx((2 / fi) / (float(derive.correction(k)) ** 2 if corrected
                                                 else 1), rel=1e-12)


def test_the_2_sigma_correction_is_the_general_one_at_2() -> None:
    assert derive.correction(2) == truncated_normal().results["correction"]


def test_pytorch_trunc_normal_bounds_are_absolute() -> None:
    """trunc_normal_(std=0.02, a=-2, b=2) cuts at 100 σ: nothing is truncated."""
    s = derive.fixed_truncated_normal(0.02, bounds=(-2, 2))
    assert not s.corrected and s.truncation == 100
    assert s.variance_at(1, 1) == pytest.approx(0.02**2, rel=1e-12)
    with pytest.raises(ValueError, match="symmetric"):
        derive.fixed_truncated_normal(1.0, bounds=(-1, 3))


def test_fixed_laws_with_a_mean_against_scipy() -> None:
    """U(a, b), N(m, s²) and N(m, s²) cut at [a, b] as scipy states them."""
    u = derive.fixed_uniform(-3, 5)
    ref = stats.uniform(-3, 8)
    assert (float(u.mean), u.variance_at(1, 1), u.bound_at(1, 1)) == \
        pytest.approx((ref.mean(), ref.var(), ref.support()[1] - ref.mean()), rel=1e-12)
    n = derive.fixed_normal(0.1, mean=0.5)
    assert (float(n.mean), n.variance_at(1, 1)) == pytest.approx((0.5, 0.01), rel=1e-12)
    t = derive.fixed_truncated_normal(0.1, bounds=(0.3, 0.7), mean=0.5)
    ref = stats.truncnorm(-2, 2, loc=0.5, scale=0.1)
    assert (float(t.mean), t.variance_at(1, 1), t.bound_at(1, 1)) == \
        pytest.approx((ref.mean(), ref.var(), 0.2), rel=1e-12)
    with pytest.raises(ValueError, match="low < high"):
        derive.fixed_uniform(1, 1)
    with pytest.raises(ValueError, match="mean must be a finite"):
        derive.fixed_normal(1.0, mean=float("nan"))


def test_complex_modulus_laws_against_scipy() -> None:
    """The disk's top and the cut normal's mean, against scipy's exponential and a
    numeric integral; the uncorrected cut keeps m(k²) of σ², not c(k)²."""
    disk = derive.modulus_law(derive.SCHEMES["he_uniform"])
    radius2 = 2 * integrate.quad(lambda r: r**3, 0, 1)[0]  # E|w|² on the unit disk = 1/2
    assert not disk.exponential and float(disk.scale) == pytest.approx(1 / radius2)
    cut = derive.modulus_law(derive.SCHEMES["he_truncated_normal"])
    kept = stats.truncexpon(4)
    assert float(cut.cut) == 4 and float(cut.scale) == pytest.approx(1 / kept.mean(), rel=1e-12)
    plain = derive.variance_scaling(1, "fan_in", "truncated_normal", corrected=False)
    assert float(derive.complex_variance(plain).subs(derive.fan_in, 1)) == \
        pytest.approx(kept.mean(), rel=1e-12)
    assert derive.complex_variance(derive.SCHEMES["he_truncated_normal"]) == \
        derive.SCHEMES["he_truncated_normal"].variance


def test_truncation_only_for_truncated_normals() -> None:
    with pytest.raises(ValueError, match="truncated_normal"):
        variance_scaling(1, "fan_in", "uniform", corrected=False)
