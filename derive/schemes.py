"""The scheme catalogue: one core, `variance_scaling`, and its named specializations.

The catalogue `SCHEMES` is built on first use: building it proves the
conditions with sympy, which takes seconds, and importing derive should not.

variance = scale · v_mode, with v_mode from the conditions (5): 1/fan_in,
1/fan_out, 2/(fan_in + fan_out) or 1/√(fan_in·fan_out), and 1 when the mode
is None (a fixed variance). The bound is the uniform half-width √(3·variance)
(6) or the truncation point 2σ with σ = √variance / 0.8796… (7).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache, cached_property
from numbers import Real

import sympy as sp

from derive.notation import fan_in, fan_out
from derive.proofs.activations import slope
from derive.proofs.complex_weights import K as modulus_cut_symbol
from derive.proofs.complex_weights import complex_weights
from derive.proofs.complex_weights import v as power_symbol
from derive.proofs.conditions import conditions
from derive.proofs.isometry import g as gain_symbol
from derive.proofs.isometry import isometry
from derive.proofs.isometry import n as side_symbol
from derive.proofs.truncated_normal import TRUNCATION, truncated_normal
from derive.proofs.truncated_normal import k as cut_symbol
from derive.proofs.uniform import b as half_width_symbol
from derive.proofs.uniform import uniform
from derive.proofs.uniform import v as variance_symbol

MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
DISTRIBUTIONS = ("normal", "truncated_normal", "uniform")


def _check_fan(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) \
            or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Scheme:
    """A named initializer: its distribution and its exact variance and bound in the fans.

    `sigma` is the σ of the normal the samples are drawn from (before truncation);
    None for uniform schemes. A truncated normal is cut at ±`truncation`·σ; `corrected`
    says whether σ was enlarged so that the variance after the cut is scale·v_mode.
    `mean` is the law's centre (0 but for fixed laws such as U(0, 1)); `bound` is the
    half-width about it.
    """

    name: str
    scale: sp.Expr
    mode: str | None
    distribution: str
    variance: sp.Expr
    bound: sp.Expr | None
    sigma: sp.Expr | None
    truncation: sp.Expr | None = None
    corrected: bool = True
    mean: sp.Expr = sp.S.Zero

    @cached_property
    def _numeric(self) -> dict[str, object]:
        def f(e: sp.Expr | None) -> object:
            return None if e is None else sp.lambdify((fan_in, fan_out), e, "math")

        return {"variance": f(self.variance), "bound": f(self.bound), "sigma": f(self.sigma)}

    def _at(self, what: str, fan_in_: float, fan_out_: float) -> float | None:
        fn = self._numeric[what]
        if fn is None:
            return None
        return float(fn(_check_fan("fan_in", fan_in_), _check_fan("fan_out", fan_out_)))

    def variance_at(self, fan_in: float, fan_out: float) -> float:
        """The variance at these fans, as a float."""
        return self._at("variance", fan_in, fan_out)  # type: ignore[return-value]

    def bound_at(self, fan_in: float, fan_out: float) -> float | None:
        """The uniform half-width or the truncation point at these fans; None for normal."""
        return self._at("bound", fan_in, fan_out)

    def sigma_at(self, fan_in: float, fan_out: float) -> float | None:
        """The σ of the normal drawn from at these fans; None for uniform."""
        return self._at("sigma", fan_in, fan_out)


def correction(k: sp.Expr) -> sp.Expr:
    """c(k) = √(1 − 2kφ(k)/(2Φ(k) − 1)): the sd of N(0, 1) cut at ±k, from derivation (7);
    c(2) = 0.8796… is its `correction`."""
    return sp.sqrt(truncated_normal().results["variance"].subs(cut_symbol, k))


def _scheme(name: str, scale: sp.Expr, mode: str | None, distribution: str,
            truncation: sp.Expr = TRUNCATION, corrected: bool = True) -> Scheme:
    """The core: variance = scale · v_mode, bound and σ from (6) and (7); an uncorrected
    truncated normal draws σ² = scale · v_mode and keeps c(k)² of it."""
    unit = sp.Integer(1) if mode is None else conditions().results[mode]
    variance = scale * unit
    bound = sigma = None
    if distribution == "uniform":
        bound = uniform().results["half_width"].subs(variance_symbol, variance)
    else:
        sigma = sp.sqrt(variance)
        if distribution == "truncated_normal":
            if corrected:
                sigma = sigma / correction(truncation)
            else:
                variance = variance * correction(truncation) ** 2
            bound = truncation * sigma
            return Scheme(name, scale, mode, distribution, variance, bound, sigma, truncation,
                          corrected)
    return Scheme(name, scale, mode, distribution, variance, bound, sigma)


def exact_number(value: object) -> sp.Expr:
    """A number as sympy holds it exactly: a float as the decimal fraction it prints as
    (0.02 → 1/50; fast, where nsimplify searches for constants), anything else sympified."""
    if isinstance(value, float):
        return sp.Rational(repr(float(value))) if math.isfinite(value) else sp.sympify(value)
    return sp.sympify(value)


def _positive(name: str, value: object) -> sp.Expr:
    """An exact positive finite number; floats are read as the fraction they print as."""
    if isinstance(value, bool) or not isinstance(value, Real | sp.Expr):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    exact = exact_number(value)
    if not (exact.is_positive and exact.is_finite):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return exact


def variance_scaling(scale: float | sp.Expr, mode: str | None, distribution: str,
                     *, truncation: float | sp.Expr = 2.0, corrected: bool = True,
                     name: str | None = None) -> Scheme:
    """The scheme with variance scale · v_mode drawn from `distribution`.

    Args:
        scale: a positive number (floats are read as the fraction they print as).
        mode: fan_in | fan_out | fan_avg | fan_geo_avg, or None for a fixed variance.
        distribution: normal | truncated_normal | uniform.
        truncation: k, the cut at ±k σ of the normal drawn from (truncated_normal only).
        corrected: σ is scale · v_mode / c(k)² so that the variance after the cut is
            scale · v_mode (JAX's and Keras's `variance_scaling`); False draws σ² =
            scale · v_mode and keeps c(k)² of it (Haiku's and Keras's `TruncatedNormal`,
            timm's `trunc_normal_tf_`).
        name: the scheme's name (default: the call that made it).

    Returns:
        A `Scheme` with exact variance, bound and σ in the fans.

    >>> variance_scaling(2, "fan_in", "uniform").bound
    sqrt(6)/sqrt(fan_in)
    >>> round(float(variance_scaling(1, None, "truncated_normal", corrected=False).variance), 4)
    0.7737
    """
    if mode is not None and mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; valid modes: {', '.join(MODES)} or None")
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"unknown distribution {distribution!r}; "
                         f"valid distributions: {', '.join(DISTRIBUTIONS)}")
    exact = _positive("scale", scale)
    cut = _positive("truncation", truncation)
    if distribution != "truncated_normal" and (cut != TRUNCATION or not corrected):
        raise ValueError("truncation and corrected apply to distribution='truncated_normal' "
                         f"only, not {distribution!r}")
    if name is None:
        extra = "" if cut == TRUNCATION and corrected else \
            f", truncation={cut}, corrected={corrected}"
        name = f"variance_scaling({exact}, {mode}, {distribution}{extra})"
    return _scheme(name, exact, mode, distribution, cut, corrected)


def _centred(scheme: Scheme, mean: float | sp.Expr, name: str) -> Scheme:
    """The scheme moved to centre `mean` (a finite real) and renamed."""
    exact = exact_number(mean)
    if not (exact.is_real and exact.is_finite):
        raise ValueError(f"mean must be a finite real number, got {mean!r}")
    return replace(scheme, mean=exact, name=name)


def fixed_normal(std: float, mean: float = 0.0) -> Scheme:
    """N(mean, std²): a fixed variance, whatever the fans (PyTorch's `normal_(mean, std)`)."""
    scheme = variance_scaling(exact_number(std) ** 2, None, "normal")
    return _centred(scheme, mean, f"N({mean:g}, {std:g}^2)")


def fixed_truncated_normal(std: float, bounds: tuple[float, float] | None = None,
                           mean: float = 0.0) -> Scheme:
    """A normal about `mean` cut at ±2σ whose standard deviation after the cut is `std`; or,
    with absolute `bounds` (a, b) as PyTorch's `trunc_normal_(mean, std, a, b)` takes them,
    N(mean, std²) cut at [a, b], uncorrected: k = (b − mean)/std in derivation (7), which
    is derived for cuts symmetric about the mean (a − mean = −(b − mean))."""
    if bounds is None:
        scheme = variance_scaling(exact_number(std) ** 2, None, "truncated_normal")
        return _centred(scheme, mean, f"truncated normal with mean {mean:g}, std {std:g}"
                        if mean else f"truncated normal with std {std:g}")
    low, high = (exact_number(x) - exact_number(mean) for x in bounds)
    if low != -high:
        raise ValueError(f"bounds must be symmetric about the mean {mean}, got {bounds}: "
                         "derivation (7) covers symmetric cuts only")
    scheme = variance_scaling(exact_number(std) ** 2, None, "truncated_normal",
                              truncation=high / exact_number(std), corrected=False)
    return _centred(scheme, mean, f"N({mean:g}, {std:g}^2) cut at [{bounds[0]:g}, {bounds[1]:g}]")


def fixed_uniform(low: float, high: float) -> Scheme:
    """U(low, high): mean (low + high)/2, half-width b = (high − low)/2, variance b²/3 from
    the uniform derivation (6)."""
    width = exact_number(high) - exact_number(low)
    if not width.is_positive:
        raise ValueError(f"U(low, high) needs low < high, got ({low}, {high})")
    variance = uniform().results["variance"].subs(half_width_symbol, width / 2)
    scheme = variance_scaling(variance, None, "uniform")
    return _centred(scheme, (exact_number(low) + exact_number(high)) / 2, f"U({low:g}, {high:g})")


def constant(value: float) -> Scheme:
    """Every value equal to `value` (a norm layer's scale 1 or offset 0): variance 0."""
    return _centred(_scheme("zeros", sp.Integer(0), None, "uniform"), value,
                    f"constant {value:g}")


def orthogonal(gain: float | sp.Expr = 1.0) -> Scheme:
    """gain times a Haar-distributed matrix with orthonormal rows or columns (PyTorch's
    `orthogonal_`, a kernel flattened to (out, in*k)): distribution 'orthogonal', scale
    gain^2, mode 'fan_max' (not one of `MODES`: no i.i.d. scheme has it), and each entry's
    variance gain^2/n with n = max(rows, cols), from the isometry derivation. The variance is
    written in the fans, n = max(fan_in, fan_out): a dense weight's; a kernel flattened to
    (out, in*k) has n = max(out, in*k).

    >>> orthogonal(2).variance
    4/Max(fan_in, fan_out)
    """
    exact = _positive("gain", gain)
    variance = isometry().results["entry_variance"].subs(
        {gain_symbol: exact, side_symbol: sp.Max(fan_in, fan_out)})
    return Scheme(f"orthogonal(gain={float(exact):g})", exact**2, "fan_max", "orthogonal",
                  variance, None, None)


@dataclass(frozen=True)
class ModulusLaw:
    """The law of u = |w|²/E|w|² for a scheme drawn complex, from derivation (9):
    u = scale·X with X ~ Exp(1) kept below `cut` (None: not cut), or u ~ U(0, scale)."""

    exponential: bool
    scale: sp.Expr
    cut: sp.Expr | None = None


def complex_variance(scheme: Scheme) -> sp.Expr:
    """E|w|² of the scheme drawn complex (9): the variance it targets, but an uncorrected
    truncated normal keeps m(k²)·σ² of it."""
    if scheme.distribution == "truncated_normal" and not scheme.corrected:
        assert scheme.sigma is not None and scheme.truncation is not None
        return scheme.sigma**2 * _modulus_mean(scheme.truncation)
    return scheme.variance


def modulus_law(scheme: Scheme) -> ModulusLaw:
    """|w|²/E|w|² ~ Exp(1) (normal), U(0, 2) (the disk of radius √(2v)), or Exp(1) cut at
    K = k² and divided by its mean m(K) (truncated normal)."""
    if scheme.distribution == "orthogonal":
        raise ValueError(f"{scheme.name} has no circular complex law of independent values; "
                         "valid: a normal, truncated_normal or uniform scheme")
    if scheme.distribution == "normal":
        return ModulusLaw(True, sp.Integer(1))
    if scheme.distribution == "uniform":
        radius = complex_weights().results["disk_radius"]
        return ModulusLaw(False, sp.simplify(radius**2 / power_symbol))
    assert scheme.truncation is not None
    return ModulusLaw(True, 1 / _modulus_mean(scheme.truncation), scheme.truncation**2)


def _modulus_mean(k: sp.Expr) -> sp.Expr:
    return complex_weights().results["modulus_mean"].subs(modulus_cut_symbol, k**2)


def leaky_he_scale(negative_slope: float) -> sp.Expr:
    """2/(1 + a²): the leaky-ReLU He variance (5) times fan_in, at slope a."""
    scale = sp.simplify(conditions().results["leaky_he"] * fan_in)
    return scale.subs(slope, exact_number(negative_slope))


@cache
def _catalogue() -> dict[str, Scheme]:
    """Every named scheme, aliases pointing to the same objects."""
    results = conditions().results
    inv_sqrt_variance = uniform().results["variance"].subs(half_width_symbol, 1 / sp.sqrt(fan_in))
    families = {"lecun": (sp.Integer(1), "fan_in"), "glorot": (sp.Integer(1), "fan_avg"),
                "he": (results["he_gain"], "fan_in")}
    schemes = {
        f"{family}_{dist}": variance_scaling(scale, mode, dist, name=f"{family}_{dist}")
        for family, (scale, mode) in families.items() for dist in DISTRIBUTIONS
    }
    schemes["zeros"] = _scheme("zeros", sp.Integer(0), None, "uniform")
    schemes["small_normal"] = variance_scaling(sp.Rational(1, 100) ** 2, None, "normal",
                                               name="small_normal")
    schemes["standard_normal"] = variance_scaling(1, None, "normal", name="standard_normal")
    schemes["uniform_inv_sqrt"] = variance_scaling(
        sp.simplify(inv_sqrt_variance / results["fan_in"]), "fan_in", "uniform",
        name="uniform_inv_sqrt")
    for alias, family in (("xavier", "glorot"), ("kaiming", "he")):
        for dist in DISTRIBUTIONS:
            schemes[f"{alias}_{dist}"] = schemes[f"{family}_{dist}"]
    return schemes


class Catalogue(Mapping[str, Scheme]):
    """name → `Scheme` for every named scheme; built on first use."""

    def __getitem__(self, name: str) -> Scheme:
        return _catalogue()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(_catalogue())

    def __len__(self) -> int:
        return len(_catalogue())

    def __repr__(self) -> str:
        return f"SCHEMES({', '.join(self)})"


SCHEMES = Catalogue()
