"""Derivation 3: what an activation does to the variance of its input."""

from __future__ import annotations

from functools import cache

import sympy as sp
from sympy.printing.latex import LatexPrinter

from derive.derivation import Derivation, Step
from derive.notation import GaussianE, Notation

z = sp.Symbol("z", real=True)
q = sp.Symbol("q", positive=True)
slope = sp.Symbol("alpha", positive=True)


class relu(Notation, sp.Function):
    """relu(x) = max(x, 0) = x·H(x)."""

    def _eval_rewrite_as_Heaviside(self, x: sp.Expr, **kwargs: object) -> sp.Expr:
        return x * sp.Heaviside(x)

    def latex_form(self, printer: LatexPrinter) -> str:
        return rf"\operatorname{{relu}}\left({printer._print(self.args[0])}\right)"


class leaky_relu(Notation, sp.Function):
    """leaky_relu(x, α) = x·H(x) + α·x·H(−x)."""

    def _eval_rewrite_as_Heaviside(self, x: sp.Expr, a: sp.Expr, **kwargs: object) -> sp.Expr:
        return x * sp.Heaviside(x) + a * x * sp.Heaviside(-x)

    def latex_form(self, printer: LatexPrinter) -> str:
        x, a = (printer._print(arg) for arg in self.args)
        return rf"\operatorname{{leaky}}_{{{a}}}\left({x}\right)"


@cache
def activations() -> Derivation:
    """tanh(z) = z + O(z³) so Var(a) ≈ Var(z); E[relu(z)²] = q/2; E[leaky(z)²] = (1+α²)q/2."""
    half = sp.Integral(z**2 * sp.exp(-(z**2) / (2 * q)) / sp.sqrt(2 * sp.pi * q), (z, 0, sp.oo))
    relu_moment = GaussianE(relu(z) ** 2, z, q).doit()
    leaky_moment = GaussianE(leaky_relu(z, slope) ** 2, z, q).doit()
    steps = (
        Step(sp.tanh(z), z - z**3 / 3 + sp.O(z**5), "Taylor series of tanh at 0"),
        Step(sp.Subs(sp.Derivative(sp.tanh(z), z), z, 0), 1, "$\\tanh'(z) = 1 - \\tanh^2(z)$"),
        Step(sp.tanh(z) ** 2, z**2 - 2 * z**4 / 3 + sp.O(z**6), "square of the series"),
        Step(GaussianE(z - z**3 / 3, z, q), 0, "odd Gaussian moments vanish"),
        Step(GaussianE(z**2 - 2 * z**4 / 3, z, q), q - 2 * q**2,
             "Gaussian moments $\\mathbb{E}[z^2] = q$, $\\mathbb{E}[z^4] = 3q^2$"),
        Step(GaussianE(relu(z) ** 2, z, q), half, "$\\operatorname{relu}(z) = 0$ for $z < 0$"),
        Step(half, q / 2, "half of the Gaussian second moment"),
        Step(GaussianE(leaky_relu(z, slope) ** 2, z, q), (1 + slope**2) * q / 2,
             "both half-lines, the negative one scaled by $\\alpha^2$"),
    )
    return Derivation(
        key="activations",
        title="Activations: the linear regime of tanh and the ReLU half-moment",
        summary=(
            "For a zero-mean Gaussian pre-activation $z$ with variance $q$: "
            "tanh has slope 1 at the origin, so for small $q$ the activation "
            "$a = \\tanh(z)$ has mean 0 and $\\mathbb{E}[a^2] = q - 2q^2 + O(q^3)$, "
            "that is $\\operatorname{Var}(a) \\approx \\operatorname{Var}(z)$. "
            "ReLU keeps half of the second moment, $\\mathbb{E}[\\operatorname{relu}(z)^2] = q/2$, "
            "and leaky ReLU with slope $\\alpha$ keeps $(1 + \\alpha^2)/2$ of it."
        ),
        assumptions=("$z \\sim \\mathcal{N}(0, q)$: zero mean, variance $q$.",
                     "The leaky ReLU slope $\\alpha$ is positive."),
        steps=steps,
        results={
            "tanh_slope": sp.diff(sp.tanh(z), z).subs(z, 0),
            "relu_ratio": sp.simplify(relu_moment / q),
            "leaky_relu_ratio": sp.simplify(leaky_moment / q),
        },
    )
