"""Derivation 4: the variance through L layers, and its three cases."""

from __future__ import annotations

from functools import cache

import sympy as sp

from derive.derivation import Derivation, Step
from derive.notation import VAR, Var
from derive.proofs.preactivation import a as input_symbol
from derive.proofs.preactivation import n as width_symbol
from derive.proofs.preactivation import preactivation_variance
from derive.proofs.preactivation import w as weight_symbol

L = sp.Symbol("L", positive=True, integer=True)
layer = sp.Symbol("l", positive=True, integer=True)
c = sp.Symbol("c", positive=True)
t = sp.Symbol("t", positive=True)
width, weight, act = sp.IndexedBase("n"), sp.IndexedBase("W"), sp.IndexedBase("a")
x = sp.Symbol("x")
factor = sp.Symbol("k", positive=True)


def layer_factor(l_: sp.Expr) -> sp.Expr:
    """k_l = n_{l−1}·Var(W_l): what one linear layer multiplies the variance by."""
    return width[l_ - 1] * Var(weight[l_])


def layer_factor_at(n_prev: sp.Expr, weight_variance: sp.Expr) -> sp.Expr:
    """k = n_{l−1}·Var(W_l) with the width and the weight variance put in."""
    return layer_factor(layer).subs({width[layer - 1]: n_prev, Var(weight[layer]): weight_variance})


def depth_product(depth: sp.Expr) -> sp.Expr:
    """∏_{l=1}^{depth} n_{l−1}·Var(W_l)."""
    return sp.Product(layer_factor(layer), (layer, 1, depth))


@cache
def depth() -> Derivation:
    """Var(a_L) = ∏_{l=1}^{L} n_{l−1}Var(W_l)·Var(x); with W = c·I the signal scales as c^(L−1)."""
    one_layer = preactivation_variance().results["variance"]
    recursion = one_layer.subs(
        {width_symbol: width[L - 1], weight_symbol: weight[L], input_symbol: act[L - 1]},
        simultaneous=True,
    )
    identity = sp.ImmutableMatrix(c * sp.eye(2))
    steps = (
        Step(Var(act[L]), recursion, "one layer (2), linear regime", {Var(act[L]): recursion}),
        Step(recursion, layer_factor(L) * depth_product(L - 1) * Var(x),
             "induction hypothesis for $L - 1$ layers",
             {Var(act[L - 1]): depth_product(L - 1) * Var(x)}),
        Step(layer_factor(L) * depth_product(L - 1) * Var(x), depth_product(L) * Var(x),
             "definition of the product: its last factor split off",
             {layer_factor(L) * depth_product(L - 1): depth_product(L)}),
        Step(depth_product(L) * Var(x), factor**L * Var(x),
             f"equal layers: $n_{{l-1}} {VAR}(W_l) = k$", {layer_factor(layer): factor}),
        Step(factor**L, 0, "$k < 1$ (write $k = 1/(1+t)$, $t > 0$): vanishes",
             {factor: 1 / (1 + t)}, limit=L),
        Step(factor**L, 1, "$k = 1$: preserved", {factor: 1}, limit=L),
        Step(factor**L, sp.oo, "$k > 1$ (write $k = 1 + t$, $t > 0$): explodes",
             {factor: 1 + t}, limit=L),
        Step(sp.MatPow(identity, L - 1), sp.ImmutableMatrix(c ** (L - 1) * sp.eye(2)),
             "$L - 1$ hidden layers $W = cI$ act on $x$ as $c^{L-1} I$"),
        Step(c ** (L - 1), sp.Rational(19683, 512), "$c = 3/2$, $L = 10$: explodes",
             {c: sp.Rational(3, 2), L: 10}),
        Step(c ** (L - 1), sp.Rational(1, 512), "$c = 1/2$, $L = 10$: vanishes",
             {c: sp.Rational(1, 2), L: 10}),
    )
    return Derivation(
        key="depth",
        title="Through depth: the product over layers",
        summary=(
            "Stacking layers in the linear regime multiplies the variance by "
            f"$k_l = n_{{l-1}} {VAR}(W_l)$ at every layer, with $a_0 = x$. "
            "Over many layers the product vanishes, is preserved or explodes as the factor "
            "is below, at or above one. With the identity example, two units per layer and "
            "$W_l = cI$ for the $L - 1$ hidden layers, the output is $c^{L-1} W_L x$: "
            "signal and gradients grow or shrink exactly geometrically."
        ),
        assumptions=("Every layer satisfies the assumptions of (2).",
                     f"Activations are in the linear regime: ${VAR}(a_l) = {VAR}(z_l)$."),
        steps=steps,
        results={"variance": depth_product(L) * Var(x), "identity_gain": c ** (L - 1)},
    )
