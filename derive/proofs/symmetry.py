"""Derivation 8: equal starting weights receive equal gradients, so they never separate."""

from __future__ import annotations

from functools import cache

import sympy as sp
from sympy.printing.latex import LatexPrinter

from derive.derivation import Derivation, Step
from derive.notation import Notation

x, eta = sp.Symbol("x"), sp.Symbol("eta", positive=True)
w1, w2, v1, v2 = sp.symbols("w_1 w_2 v_1 v_2")
act, loss = sp.Function("phi"), sp.Function("ell")
output = v1 * act(w1 * x) + v2 * act(w2 * x)


class gradient(Notation, sp.Expr):
    """∂ℓ/∂p for the loss ℓ(y) of the two-unit network y = v₁φ(w₁x) + v₂φ(w₂x);
    `doit()` differentiates ℓ(y) by the chain rule."""

    def __new__(cls, parameter: sp.Symbol) -> gradient:
        return sp.Expr.__new__(cls, parameter)

    @property
    def free_symbols(self) -> set[sp.Basic]:
        return output.free_symbols

    def doit(self, **hints: object) -> sp.Expr:
        return sp.Derivative(loss(output), self.args[0]).doit(**hints)

    def latex_form(self, printer: LatexPrinter) -> str:
        return rf"\frac{{\partial \ell}}{{\partial {printer._print(self.args[0])}}}"


@cache
def symmetry() -> Derivation:
    """With y = v₁φ(w₁x) + v₂φ(w₂x) and w₁ = w₂, v₁ = v₂: ∂ℓ/∂w₁ = ∂ℓ/∂w₂, ∂ℓ/∂v₁ = ∂ℓ/∂v₂."""
    equal = {w2: w1, v2: v1}
    grad = {p: gradient(p) for p in (w1, w2, v1, v2)}
    steps = (
        Step(grad[w1], grad[w2], "equal starts $w_1 = w_2$, $v_1 = v_2$", equal),
        Step(grad[v1], grad[v2], "equal starts $w_1 = w_2$, $v_1 = v_2$", equal),
        Step(w1 - eta * grad[w1], w2 - eta * grad[w2], "a gradient step keeps them equal",
             equal),
        Step(v1 - eta * grad[v1], v2 - eta * grad[v2], "a gradient step keeps them equal",
             equal),
    )
    return Derivation(
        key="symmetry",
        title="Symmetry: a constant initialization cannot break it",
        summary=(
            "Take a network with two hidden units, $y = v_1 \\phi(w_1 x) + v_2 \\phi(w_2 x)$, "
            "any activation $\\phi$, any input $x$ and any loss $\\ell(y)$. If the two units "
            "start with equal weights, their gradients are equal, so after a gradient step "
            "with any rate $\\eta$ their weights are equal again. By induction over steps the "
            "units stay identical for ever: the network behaves as if it had one hidden unit. "
            "A constant initialization (zeros included) starts every unit equal."
        ),
        assumptions=("$\\phi$ and $\\ell$ are differentiable and otherwise arbitrary.",
                     "Both units start with $w_1 = w_2$ and $v_1 = v_2$."),
        steps=steps,
        results={},
    )
