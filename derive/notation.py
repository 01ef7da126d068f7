"""Symbols and operators the derivations are written in.

`E(x)` and `Var(x)` are the abstract moments of a random variable; facts such
as independence are stated about them. `GaussianE(f, z, q)` is the concrete
expectation of f(z) for z ~ N(0, q); its `doit()` is the integral
∫ f(z) exp(-z²/2q)/√(2πq) dz over the real line.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter

fan_in = sp.Symbol("fan_in", positive=True)
fan_out = sp.Symbol("fan_out", positive=True)

SYMBOL_LATEX = {
    fan_in: r"\mathrm{fan}_{\mathrm{in}}",
    fan_out: r"\mathrm{fan}_{\mathrm{out}}",
}


def latex(e: sp.Basic) -> str:
    """sympy's LaTeX, with the fans written as fan_in and fan_out."""
    return sp.latex(e, symbol_names=SYMBOL_LATEX)


class Notation:
    """Mixin: LaTeX from `latex_form`, with the exponent sympy asks for appended."""

    def latex_form(self, printer: LatexPrinter) -> str:
        raise NotImplementedError

    def _latex(self, printer: LatexPrinter, exp: str | None = None) -> str:
        form = self.latex_form(printer)
        return form if exp is None else f"{form}^{{{exp}}}"


class E(Notation, sp.Function):
    """The expectation E[x] of a random variable x (kept unevaluated)."""

    def latex_form(self, printer: LatexPrinter) -> str:
        return rf"\mathbb{{E}}\left[{printer._print(self.args[0])}\right]"


class Var(Notation, sp.Function):
    """The variance Var(x) = E[x²] − E[x]² of a random variable x (kept unevaluated)."""

    def latex_form(self, printer: LatexPrinter) -> str:
        return rf"\operatorname{{Var}}\left({printer._print(self.args[0])}\right)"


def gaussian_density(z: sp.Symbol, q: sp.Expr) -> sp.Expr:
    """φ_q(z) = exp(−z²/(2q)) / √(2πq), the N(0, q) density."""
    return sp.exp(-(z**2) / (2 * q)) / sp.sqrt(2 * sp.pi * q)


class GaussianE(Notation, sp.Expr):
    """E_{z~N(0,q)}[f(z)], shown unevaluated; `doit()` integrates f·φ_q over ℝ."""

    def __new__(cls, f: sp.Expr, z: sp.Symbol, q: sp.Expr) -> GaussianE:
        return sp.Expr.__new__(cls, sp.sympify(f), z, sp.sympify(q))

    @property
    def free_symbols(self) -> set[sp.Basic]:
        f, z, q = self.args
        return (f.free_symbols - {z}) | q.free_symbols

    def doit(self, **hints: object) -> sp.Expr:
        f, z, q = self.args
        f = f.doit(**hints).rewrite(sp.Heaviside)
        return sp.integrate(f * gaussian_density(z, q), (z, -sp.oo, sp.oo))

    def latex_form(self, printer: LatexPrinter) -> str:
        f, z, q = (printer._print(a) for a in self.args)
        return rf"\mathbb{{E}}_{{{z} \sim \mathcal{{N}}(0,\, {q})}}\left[{f}\right]"
