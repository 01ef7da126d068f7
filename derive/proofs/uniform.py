"""Derivation 6: the uniform half-width."""

from __future__ import annotations

from functools import cache

import sympy as sp

from derive.derivation import Derivation, Step, solve_one
from derive.notation import fan_in, fan_out, latex
from derive.proofs.conditions import conditions

x = sp.Symbol("x", real=True)
b = sp.Symbol("b", positive=True)
v = sp.Symbol("v", positive=True)


@cache
def uniform() -> Derivation:
    """Var(U(−b, b)) = b²/3, so b = √(3·Var)."""
    second_moment = sp.Integral(x**2 / (2 * b), (x, -b, b))
    variance = second_moment.doit()
    half_width = solve_one(variance - v, b)
    known = conditions().results
    cases = (("Glorot", known["fan_avg"], sp.sqrt(6 / (fan_in + fan_out))),
             ("He", known["he"], sp.sqrt(6 / fan_in)),
             ("LeCun", known["fan_in"], sp.sqrt(3 / fan_in)))
    steps = (
        Step(sp.Integral(x / (2 * b), (x, -b, b)), 0, "the density $1/(2b)$ is symmetric"),
        Step(second_moment, b**2 / 3, "integrate $x^2/(2b)$"),
        Step(b, sp.sqrt(3 * v), "solve $b^2/3 = v$ for $b > 0$", {b: half_width}),
        *(Step(sp.sqrt(3 * v), formula, f"{name}: $v = {latex(var)}$", {v: var})
          for name, var, formula in cases),
    )
    return Derivation(
        key="uniform",
        title="Uniform half-width",
        summary=(
            "A uniform initializer $U(-b, b)$ reaches a target variance $v$ when "
            "$b^2/3 = v$. Substituting the conditions of (5) gives the familiar bounds."
        ),
        assumptions=("$U$ is uniform on $[-b, b]$ with density $1/(2b)$.",),
        steps=steps,
        results={"variance": variance, "half_width": half_width},
    )
