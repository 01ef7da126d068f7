"""Derivation 1: the variance of a product of independent factors."""

from __future__ import annotations

from functools import cache

import sympy as sp

from derive.derivation import Derivation, chain
from derive.notation import EXPECT, VAR, E, Var

X, Y = sp.symbols("X Y")


def product_rule(x: sp.Expr, y: sp.Expr) -> sp.Expr:
    """Var(xy) for independent x, y, as established by `product_variance()`."""
    return product_variance().results["general"].subs({X: x, Y: y}, simultaneous=True)


@cache
def product_variance() -> Derivation:
    """Var(XY) = E[X]²Var(Y) + Var(X)E[Y]² + Var(X)Var(Y); Var(X)Var(Y) at zero means."""
    general = E(X) ** 2 * Var(Y) + Var(X) * E(Y) ** 2 + Var(X) * Var(Y)
    steps = chain(
        Var(X * Y),
        (E(X**2 * Y**2) - E(X * Y) ** 2, "definition of variance",
         {Var(X * Y): E(X**2 * Y**2) - E(X * Y) ** 2}),
        (E(X**2) * E(Y**2) - E(X) ** 2 * E(Y) ** 2, "independence",
         {E(X * Y): E(X) * E(Y), E(X**2 * Y**2): E(X**2) * E(Y**2)}),
        ((Var(X) + E(X) ** 2) * (Var(Y) + E(Y) ** 2) - E(X) ** 2 * E(Y) ** 2,
         f"${EXPECT}[U^2] = {EXPECT}[U]^2 + {VAR}(U)$",
         {E(X**2): Var(X) + E(X) ** 2, E(Y**2): Var(Y) + E(Y) ** 2}),
        (general, "expand"),
        (Var(X) * Var(Y), f"zero means: ${EXPECT}[X] = {EXPECT}[Y] = 0$", {E(X): 0, E(Y): 0}),
    )
    return Derivation(
        key="product-variance",
        title="Variance of a product of independent factors",
        summary=(
            "For independent $X$ and $Y$ the moments of the product factor: "
            f"${EXPECT}[XY] = {EXPECT}[X] {EXPECT}[Y]$ and "
            f"${EXPECT}[X^2 Y^2] = {EXPECT}[X^2] {EXPECT}[Y^2]$. "
            "Writing each second moment as variance plus squared mean gives the product rule."
        ),
        assumptions=("$X$ and $Y$ are independent.",
                     f"For the last line only: ${EXPECT}[X] = {EXPECT}[Y] = 0$."),
        steps=tuple(steps),
        results={"general": general, "zero_mean": Var(X) * Var(Y)},
    )
