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
from dataclasses import dataclass
from functools import cache, cached_property
from numbers import Real

import sympy as sp

from derive.notation import fan_in, fan_out
from derive.proofs.activations import slope
from derive.proofs.conditions import conditions
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


def _positive(name: str, value: object) -> sp.Expr:
    """An exact positive finite number; floats are read as the fraction they print as."""
    if isinstance(value, bool) or not isinstance(value, Real | sp.Expr):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    exact = sp.nsimplify(value, rational=True) if isinstance(value, float) else sp.sympify(value)
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


def fixed_normal(std: float) -> Scheme:
    """N(0, std²): a fixed variance, whatever the fans."""
    return variance_scaling(sp.nsimplify(std) ** 2, None, "normal", name=f"N(0, {std}^2)")


def fixed_truncated_normal(std: float, bounds: tuple[float, float] | None = None) -> Scheme:
    """A normal cut at ±2σ whose standard deviation after the cut is `std`; or, with absolute
    `bounds` (a, b) as PyTorch's `trunc_normal_(mean=0, std, a, b)` takes them, N(0, std²)
    cut at [a, b], uncorrected (a = −b: only symmetric cuts are derived)."""
    if bounds is None:
        return variance_scaling(sp.nsimplify(std) ** 2, None, "truncated_normal",
                                name=f"truncated normal with std {std}")
    low, high = bounds
    if low != -high:
        raise ValueError(f"only bounds symmetric about 0 are supported, got ({low}, {high})")
    return variance_scaling(sp.nsimplify(std) ** 2, None, "truncated_normal",
                            truncation=sp.nsimplify(high) / sp.nsimplify(std), corrected=False,
                            name=f"N(0, {std}^2) cut at [{low}, {high}]")


def fixed_uniform(half_width: float) -> Scheme:
    """U(−b, b), variance b²/3 from the uniform derivation (6)."""
    variance = uniform().results["variance"].subs(half_width_symbol, sp.nsimplify(half_width))
    return variance_scaling(variance, None, "uniform", name=f"U(-{half_width}, {half_width})")


def leaky_he_scale(negative_slope: float) -> sp.Expr:
    """2/(1 + a²): the leaky-ReLU He variance (5) times fan_in, at slope a."""
    scale = sp.simplify(conditions().results["leaky_he"] * fan_in)
    return scale.subs(slope, sp.nsimplify(negative_slope))


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
