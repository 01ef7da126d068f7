"""Derivation 7: the truncated-normal correction."""

from __future__ import annotations

from functools import cache

import sympy as sp
from sympy.printing.latex import LatexPrinter

from derive.derivation import Derivation, Step, chain, solve_one
from derive.notation import Notation

k = sp.Symbol("k", positive=True)
v = sp.Symbol("v", positive=True)
sigma = sp.Symbol("sigma", positive=True)

TRUNCATION = 2
"""Keras and JAX truncate their normal initializers at ±2 standard deviations."""


class phi(Notation, sp.Function):
    """φ(x) = exp(−x²/2)/√(2π)."""

    def latex_form(self, printer: LatexPrinter) -> str:
        return rf"\varphi\left({printer._print(self.args[0])}\right)"


class Phi(sp.Function):
    """Φ(x) = (1 + erf(x/√2))/2, the standard normal distribution function."""


def _normal_functions(e: sp.Expr) -> sp.Expr:
    """Replace φ and Φ by their closed forms."""
    return e.replace(phi, lambda y: sp.exp(-(y**2) / 2) / sp.sqrt(2 * sp.pi)).replace(
        Phi, lambda y: (1 + sp.erf(y / sp.sqrt(2))) / 2
    )


@cache
def truncated_normal() -> Derivation:
    """Var(N(0,1) | |z| ≤ k) = 1 − 2kφ(k)/(2Φ(k) − 1); at k = 2 its root is 0.87962566…"""
    z = sp.Symbol("z", real=True)
    ratio = sp.Integral(z**2 * phi(z), (z, -k, k)) / sp.Integral(phi(z), (z, -k, k))
    variance = 1 - 2 * k * phi(k) / (2 * Phi(k) - 1)
    closed = _normal_functions(variance)
    correction = sp.sqrt(closed.subs(k, TRUNCATION))
    stddev = solve_one((correction * sigma) ** 2 - v, sigma)
    c = sp.Symbol("c_2", positive=True)
    definitions = {f: _normal_functions(f) for f in (phi(z), phi(k), Phi(k))}
    at_two = {**definitions, k: TRUNCATION}
    steps = (
        *chain(ratio, (variance, "integrate by parts, $\\varphi'(z) = -z \\varphi(z)$",
                       definitions)),
        Step(sp.sqrt(variance), correction, f"at $k = {TRUNCATION}$", at_two),
        Step(sigma, sp.sqrt(v) / c,
             "solve $(c_2 \\sigma)^2 = v$: divide by the correction $c_2$",
             {sigma: stddev, c: correction}),
    )
    return Derivation(
        key="truncated-normal",
        title="Truncated normal: the variance correction",
        summary=(
            "Truncating $\\mathcal{N}(0, \\sigma^2)$ to $\\pm k\\sigma$ removes the tails and "
            "with them variance. For the standard normal cut at $\\pm k$ the variance is "
            "$1 - 2k\\varphi(k)/(2\\Phi(k) - 1)$; at $k = 2$, the cut Keras and JAX use, its "
            "square root $c_2$ is the constant those libraries hard-code. To reach variance $v$ "
            "after truncation, draw with $\\sigma = \\sqrt{v}/c_2$."
        ),
        assumptions=(
            "The untruncated distribution is $\\mathcal{N}(0, \\sigma^2)$, cut at "
            "$\\pm k \\sigma$.",
            "$\\varphi$ and $\\Phi$ are the standard normal density and distribution function.",
        ),
        steps=steps,
        results={"variance": closed, "correction": correction,
                 "stddev": steps[-1].new.subs(c, correction)},
    )
