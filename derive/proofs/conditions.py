"""Derivation 5: the variance a layer's weights need, forward, backward and with ReLU."""

from __future__ import annotations

from functools import cache

import sympy as sp

from derive.derivation import Derivation, Step, solve_one
from derive.notation import EXPECT, FAN_IN, FAN_OUT, VAR, E, Var, fan_in, fan_out
from derive.proofs.activations import activations, slope
from derive.proofs.preactivation import a, n, preactivation_variance, w
from derive.proofs.product_variance import product_rule

z, z_prev, g_a, g_z = sp.symbols("z z_prev g_a g_z")
v_fwd, v_bwd = sp.Symbol("sigma_fwd^2", positive=True), sp.Symbol("sigma_bwd^2", positive=True)


@cache
def conditions() -> Derivation:
    """Forward 1/fan_in, backward 1/fan_out, their harmonic mean 2/(fan_in+fan_out), He 2/fan_in."""
    one_layer = preactivation_variance().results["variance"]
    fwd_gain = one_layer.subs(n, fan_in) / Var(a)
    bwd_gain = one_layer.subs(n, fan_out) / Var(a)
    forward = solve_one(fwd_gain - 1, Var(w))
    backward = solve_one(bwd_gain - 1, Var(w))
    harmonic = 2 / (1 / v_fwd + 1 / v_bwd)
    geometric = sp.sqrt(v_fwd * v_bwd)
    means = {v_fwd: forward, v_bwd: backward}
    relu_ratio = activations().results["relu_ratio"]
    leaky_ratio = activations().results["leaky_relu_ratio"]
    relu_input = fan_in * product_rule(w, a).subs(E(w), 0)
    he = solve_one(fan_in * Var(w) * relu_ratio - 1, Var(w))
    leaky = solve_one(fan_in * Var(w) * leaky_ratio - 1, Var(w))
    steps = (
        Step(Var(z), fan_in * Var(w) * Var(a), f"forward: one layer (2) sums ${FAN_IN}$ terms",
             {Var(z): one_layer.subs(n, fan_in)}),
        Step(Var(w), 1 / fan_in, f"${VAR}(z) = {VAR}(a)$ requires ${FAN_IN} {VAR}(w) = 1$",
             {Var(w): forward}),
        Step(Var(g_a), fan_out * Var(w) * Var(g_z),
             f"backward: an input's gradient sums ${FAN_OUT}$ terms (2)",
             {Var(g_a): one_layer.subs({n: fan_out, a: g_z})}),
        Step(Var(w), 1 / fan_out,
             f"${VAR}(g_a) = {VAR}(g_z)$ requires ${FAN_OUT} {VAR}(w) = 1$",
             {Var(w): backward}),
        Step(harmonic, 2 / (fan_in + fan_out),
             "compromise: the harmonic mean of the two conditions", means),
        Step(geometric, 1 / sp.sqrt(fan_in * fan_out), "or their geometric mean", means),
        Step(Var(z), fan_in * Var(w) * E(a**2),
             f"ReLU inputs have ${EXPECT}[a] \\neq 0$: (1) with ${EXPECT}[w] = 0$",
             {Var(z): relu_input, E(a**2): Var(a) + E(a) ** 2}),
        Step(fan_in * Var(w) * E(a**2), fan_in * Var(w) * Var(z_prev) / 2,
             f"ReLU half-moment (3): ${EXPECT}[a^2] = {VAR}(z_{{\\mathrm{{prev}}}})/2$",
             {E(a**2): relu_ratio * Var(z_prev)}),
        Step(Var(w), 2 / fan_in, f"He: ${FAN_IN} {VAR}(w)/2 = 1$", {Var(w): he}),
        Step(Var(w), 2 / ((1 + slope**2) * fan_in),
             f"leaky ReLU: ${FAN_IN} {VAR}(w) (1 + \\alpha^2)/2 = 1$", {Var(w): leaky}),
    )
    return Derivation(
        key="conditions",
        title="Conditions: forward, backward, their compromise, and He",
        summary=(
            f"A layer preserves the variance of its signal when ${FAN_IN} {VAR}(w) = 1$ and "
            f"of its back-propagated gradient when ${FAN_OUT} {VAR}(w) = 1$. Both hold only "
            "when the fans are equal; Glorot and Bengio take the harmonic mean of the two "
            f"variances, which is $1/{VAR}(w) = ({FAN_IN} + {FAN_OUT})/2$. "
            "Behind a ReLU only half of the second moment survives, and He et al. double "
            "the variance to make up for it."
        ),
        assumptions=("Each layer satisfies the assumptions of (2), forward and backward.",
                     "Linear regime, except where ReLU is named."),
        steps=steps,
        results={
            "fan_in": forward,
            "fan_out": backward,
            "fan_avg": harmonic.subs(means),
            "fan_geo_avg": geometric.subs(means),
            "he": he,
            "he_gain": sp.simplify(he / forward),
            "leaky_he": leaky,
        },
    )
