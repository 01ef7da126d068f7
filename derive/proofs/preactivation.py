"""Derivation 2: the variance of one pre-activation, a sum of n products."""

from __future__ import annotations

from functools import cache

import sympy as sp

from derive.derivation import Derivation, chain
from derive.notation import EXPECT, E, Var
from derive.proofs.product_variance import product_rule

w, a = sp.symbols("w a")
n = sp.Symbol("n", positive=True, integer=True)


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
        (n * Var(w) * Var(a), f"zero means: ${EXPECT}[w] = {EXPECT}[a] = 0$", {E(w): 0, E(a): 0}),
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
