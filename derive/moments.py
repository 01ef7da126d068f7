"""Derivations 1 and 2: the variance of a product, and of a sum of n products."""

from __future__ import annotations

from functools import cache

import sympy as sp

from derive.derivation import Derivation, chain
from derive.notation import E, Var

X, Y = sp.symbols("X Y")
w, a = sp.symbols("w a")
n = sp.Symbol("n", positive=True, integer=True)


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
         "$E[U^2] = Var(U) + E[U]^2$",
         {E(X**2): Var(X) + E(X) ** 2, E(Y**2): Var(Y) + E(Y) ** 2}),
        (general, "expand"),
        (Var(X) * Var(Y), "zero means: $E[X] = E[Y] = 0$", {E(X): 0, E(Y): 0}),
    )
    return Derivation(
        key="product-variance",
        title="Variance of a product of independent factors",
        summary=(
            "For independent $X$ and $Y$ the moments of the product factor: "
            "$E[XY] = E[X]E[Y]$ and $E[X^2Y^2] = E[X^2]E[Y^2]$. "
            "Writing each second moment as variance plus squared mean gives the product rule."
        ),
        assumptions=("$X$ and $Y$ are independent.",
                     "For the last line only: $E[X] = E[Y] = 0$."),
        steps=tuple(steps),
        results={"general": general, "zero_mean": Var(X) * Var(Y)},
    )


@cache
def preactivation_variance() -> Derivation:
    """Var(Σⱼ wⱼaⱼ) = n·Var(w)·Var(a) for i.i.d., independent, zero-mean wⱼ and aⱼ."""
    j = sp.Symbol("j", positive=True, integer=True)
    wj, aj = sp.IndexedBase("w")[j], sp.IndexedBase("a")[j]
    z = sp.Sum(wj * aj, (j, 1, n))
    steps = chain(
        Var(z),
        (sp.Sum(Var(wj * aj), (j, 1, n)), "independent terms: variances add",
         {Var(z): sp.Sum(Var(wj * aj), (j, 1, n))}),
        (n * Var(w * a), "i.i.d. terms", {Var(wj * aj): Var(w * a)}),
        (n * product_rule(w, a), "variance of a product (1): $w$ independent of $a$",
         {Var(w * a): product_rule(w, a)}),
        (n * Var(w) * Var(a), "zero means: $E[w] = E[a] = 0$", {E(w): 0, E(a): 0}),
    )
    return Derivation(
        key="preactivation-variance",
        title="Variance of one pre-activation",
        summary=(
            "A unit sums $n$ weighted inputs, $z = \\sum_{j=1}^{n} w_j a_j$. "
            "Its variance grows with the number of inputs and with the variance of each factor."
        ),
        assumptions=(
            "The weights $w_j$ are i.i.d.",
            "The inputs $a_j$ are i.i.d.",
            "The weights are independent of the inputs.",
            "Weights and inputs have zero mean.",
        ),
        steps=tuple(steps),
        results={"variance": n * Var(w) * Var(a)},
    )
