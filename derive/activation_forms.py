"""The activations as sympy expressions of z; their exact Gaussian moments where sympy finds them.

For z ~ N(0, 1) the variance-preserving gain is 1/√E[φ(z)²] and the
gradient-preserving gain 1/√E[φ'(z)²]. SELU's constants are derived here from
self-normalization: E[selu(z)] = 0 and E[selu(z)²] = 1.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from derive.proofs.activations import slope, z

SELU_ALPHA, SELU_LAMBDA = sp.symbols("alpha_s lambda_s", positive=True)
ACTIVATIONS = ("linear", "tanh", "relu", "leaky_relu", "sigmoid", "elu", "selu", "gelu", "silu")
# The moments sympy integrates in closed form, each confirmed by quadrature in the tests;
# the others are left to quadrature. tanh, sigmoid and silu have no known closed form; for
# gelu sympy leaves E[φ²] unevaluated and returns a wrong E[φ'²] ((√3 + 6π)/(18π) ≈ 0.3640,
# where quadrature gives 0.4559), so both are numeric.
EXACT = {
    "forward": ("linear", "relu", "leaky_relu", "elu", "selu"),
    "backward": ("linear", "relu", "leaky_relu", "elu", "selu"),
}


class sigmoid(sp.Function):
    """σ(z) = 1/(1 + e^{−z}), with σ' = σ(1 − σ); numpy evaluates it as scipy's expit."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, x: sp.Expr, **kwargs: object) -> sp.Expr:
        return 1 / (1 + sp.exp(-x))


class ndtr(sp.Function):
    """Φ(z) = (1 + erf(z/√2))/2, with Φ' = e^{−z²/2}/√(2π); numpy evaluates it as scipy's ndtr."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        x = self.args[0]
        return sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi)

    def _eval_rewrite_as_erf(self, x: sp.Expr, **kwargs: object) -> sp.Expr:
        return (1 + sp.erf(x / sp.sqrt(2))) / 2


def _density() -> sp.Expr:
    return sp.exp(-(z**2) / 2) / sp.sqrt(2 * sp.pi)


def _half_line(f: sp.Expr, positive: bool) -> sp.Expr:
    """E[f(z); z > 0] or E[f(z); z < 0] for z ~ N(0, 1)."""
    limits = (z, 0, sp.oo) if positive else (z, -sp.oo, 0)
    return sp.simplify(sp.integrate(sp.expand(f * _density()), limits))


@cache
def selu_constants() -> tuple[sp.Expr, sp.Expr]:
    """(α, λ) with E[selu(z)] = 0 and E[selu(z)²] = 1, selu(z) = λ·(z if z > 0 else α(eᶻ − 1)).

    α = E[z; z>0] / E[1 − eᶻ; z<0];  λ = 1/√(E[z²; z>0] + α²·E[(eᶻ − 1)²; z<0]).
    """
    alpha = sp.simplify(_half_line(z, True) / _half_line(1 - sp.exp(z), False))
    lam = 1 / sp.sqrt(_half_line(z**2, True) + alpha**2 * _half_line((sp.exp(z) - 1) ** 2, False))
    return alpha, sp.simplify(lam)


def _split(positive: sp.Expr, negative: sp.Expr) -> sp.Expr:
    return sp.Piecewise((positive, z > 0), (negative, True))


def form(name: str) -> sp.Expr:
    """φ(z) as a sympy expression in z (and the leaky slope α for leaky_relu)."""
    return _symbolic_form(name).subs(dict(zip((SELU_ALPHA, SELU_LAMBDA), selu_constants(),
                                              strict=True)))


def _symbolic_form(name: str) -> sp.Expr:
    """φ(z), with SELU's constants kept as the symbols α_s, λ_s."""
    forms = {
        "linear": z,
        "tanh": sp.tanh(z),
        "relu": _split(z, 0),
        "leaky_relu": _split(z, slope * z),
        "sigmoid": sigmoid(z),
        "elu": _split(z, sp.exp(z) - 1),
        "selu": SELU_LAMBDA * _split(z, SELU_ALPHA * (sp.exp(z) - 1)),
        "gelu": z * ndtr(z),
        "silu": z * sigmoid(z),
    }
    if name not in forms:
        raise ValueError(f"unknown activation {name!r}; choose from: {', '.join(ACTIVATIONS)}")
    return forms[name]


def _derivative(f: sp.Expr) -> sp.Expr:
    return sp.piecewise_fold(sp.diff(f, z))


def derivative(name: str) -> sp.Expr:
    """φ'(z), differentiated by sympy (piece by piece for the piecewise ones)."""
    return _derivative(form(name))


def second_derivative(name: str) -> sp.Expr:
    """φ''(z), differentiated piece by piece (no delta terms at a kink)."""
    return _derivative(derivative(name))


def _moment(f: sp.Expr) -> sp.Expr:
    """E[f(z)] for z ~ N(0, 1), a piecewise f integrated over each half-line."""
    if isinstance(f, sp.Piecewise):
        (pos, _), (neg, _) = f.args
        return sp.simplify(_half_line(pos, True) + _half_line(neg, False))
    return sp.simplify(sp.integrate(sp.expand(f * _density()), (z, -sp.oo, sp.oo)))


@cache
def exact_moment(name: str, which: str) -> sp.Expr | None:
    """E[φ(z)²] (which='forward') or E[φ'(z)²] ('backward') exactly; None without a closed form."""
    if name not in EXACT[which]:
        form(name)  # an unknown name raises here
        return None
    f = _symbolic_form(name)
    f = f if which == "forward" else _derivative(f)
    moment = _moment(sp.piecewise_fold(f**2))
    return moment.subs(dict(zip((SELU_ALPHA, SELU_LAMBDA), selu_constants(), strict=True)))


def exact_gain(name: str, which: str, negative_slope: float = 0.01) -> sp.Expr | None:
    """1/√E[φ(z)²] ('forward') or 1/√E[φ'(z)²] ('backward') exactly; None without a closed form."""
    moment = exact_moment(name, which)
    return None if moment is None else (1 / sp.sqrt(moment)).subs(slope,
                                                                 sp.nsimplify(negative_slope))
