"""Derivation: the variance through L residual blocks, and the scalings that bound it.

A block adds a branch to the stream, x_l = x_{l-1} + alpha*F_l(x_{l-1}) (post-add, no
normalization) or x_l = x_{l-1} + alpha*F_l(LN(x_{l-1})) (pre-normalization). The
variances add: exponential growth without normalization, linear with it; GPT-2, Fixup
and DeepNet each scale the branches so that a deep stack stays bounded.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from derive.derivation import Derivation, Step, chain, solve_one
from derive.notation import E, Var

# the stream and the branch
L = sp.Symbol("L", positive=True, integer=True)
l = sp.Symbol("l", positive=True, integer=True)
alpha = sp.Symbol("alpha", positive=True)
k = sp.Symbol("k", positive=True)
v = sp.Symbol("v", positive=True)
x, F = sp.IndexedBase("x"), sp.IndexedBase("F")
q, V = sp.Symbol("q", positive=True), sp.Symbol("V", positive=True)  # Var(x_{l-1}), Var(F_l)
# GPT-2
n_layer = sp.Symbol("n_layer", positive=True, integer=True)
sigma_0 = sp.Symbol("sigma_0", positive=True)
s = sp.Symbol("s", positive=True)
# Fixup
c, eta, g = sp.Symbol("c", positive=True), sp.Symbol("eta", positive=True), sp.Symbol("g")
m = sp.Symbol("m", positive=True, integer=True)
i, j = sp.Symbol("i", positive=True, integer=True), sp.Symbol("j", positive=True, integer=True)
w, P = sp.IndexedBase("w"), sp.Symbol("P", positive=True)
# DeepNet
alpha_D, beta_D = sp.Symbol("alpha_D", positive=True), sp.Symbol("beta_D", positive=True)
v_D, w_D = sp.Symbol("v", positive=True), sp.Symbol("w", positive=True)
y, u = sp.Symbol("y"), sp.Symbol("u")
delta, back = sp.Symbol("delta"), sp.Symbol("delta_M")
K, N, M = (sp.Symbol(name, positive=True, integer=True) for name in ("K", "N", "M"))


def _block_steps() -> list[Step]:
    """Var(x_l) = Var(x_{l-1}) + alpha^2 Var(F_l) for a zero-mean branch uncorrelated with x."""
    xp, f = x[l - 1], F[l]
    square = E(xp**2) + 2 * alpha * E(xp * f) + alpha**2 * E(f**2)
    return chain(
        Var(x[l]),
        (Var(xp + alpha * f), "the block: $x_l = x_{l-1} + \\alpha F_l$",
         {Var(x[l]): Var(xp + alpha * f)}),
        (E((xp + alpha * f) ** 2) - E(xp + alpha * f) ** 2, "definition of variance",
         {Var(xp + alpha * f): E((xp + alpha * f) ** 2) - E(xp + alpha * f) ** 2}),
        (square - (E(xp) + alpha * E(f)) ** 2, "linearity of $E$",
         {E((xp + alpha * f) ** 2): square, E(xp + alpha * f): E(xp) + alpha * E(f)}),
        (E(xp**2) - E(xp) ** 2 + alpha**2 * E(f**2),
         "the branch has zero mean and is uncorrelated with the stream: "
         "$\\mathbb{E}[F_l] = 0$, $\\mathbb{E}[x_{l-1} F_l] = 0$", {E(f): 0, E(xp * f): 0}),
        (Var(xp) + alpha**2 * Var(f), "$\\mathbb{E}[U^2] = \\operatorname{Var}(U) + "
                                      "\\mathbb{E}[U]^2$, $\\mathbb{E}[F_l] = 0$",
         {E(xp**2): Var(xp) + E(xp) ** 2, E(f**2): Var(f)}),
    )


def _depth_steps() -> tuple[list[Step], sp.Expr, sp.Expr]:
    """Without normalization (1 + alpha^2 k)^L; with pre-normalization linear in L."""
    one = Var(x[l - 1]) + alpha**2 * Var(F[l])
    plain = (1 + alpha**2 * k) ** L * Var(x[0])
    prenorm = Var(x[0]) + L * alpha**2 * v
    steps = [
        Step(one, (1 + alpha**2 * k) * Var(x[l - 1]),
             "no normalization, branch gain $k$: $\\operatorname{Var}(F_l) = k "
             "\\operatorname{Var}(x_{l-1})$",
             {Var(F[l]): k * Var(x[l - 1])}),
        Step((1 + alpha**2 * k) * Var(x[L - 1]), plain,
             "induction hypothesis for $L - 1$ blocks",
             {Var(x[L - 1]): (1 + alpha**2 * k) ** (L - 1) * Var(x[0])}),
        Step(sp.log(plain / Var(x[0])) / L, sp.log(1 + alpha**2 * k),
             "the growth is exponential: $\\log(1 + \\alpha^2 k)$ per block"),
        Step(plain / Var(x[0]), sp.oo, "for every $\\alpha > 0$, $k > 0$: explodes with $L$",
             limit=L),
        Step(one, Var(x[l - 1]) + alpha**2 * v,
             "pre-normalization: $\\operatorname{LN}(x_{l-1})$ has unit variance, so "
             "$\\operatorname{Var}(F_l) = v$",
             {Var(F[l]): v}),
        Step(Var(x[L - 1]) + alpha**2 * v, prenorm, "induction hypothesis for $L - 1$ blocks",
             {Var(x[L - 1]): Var(x[0]) + (L - 1) * alpha**2 * v}),
        Step(prenorm / Var(x[0]) / L, alpha**2 * v / Var(x[0]),
             "the growth is linear: $\\alpha^2 v / \\operatorname{Var}(x_0)$ per block", limit=L),
    ]
    return steps, plain, prenorm


def _gpt2_steps() -> tuple[list[Step], sp.Expr, sp.Expr]:
    """2 n_layer additions, each with its projection's std scaled by s: s = 1/sqrt(2 n_layer)."""
    additions = 2 * n_layer
    scale = solve_one(additions * s**2 * v - v, s)
    std = sigma_0 * scale
    steps = [
        Step(Var(F[l]), s**2 * v,
             "GPT-2: the last projection's std times $s$; a linear layer's variance times $s^2$",
             {Var(F[l]): s**2 * v}),
        Step(additions * s**2 * v, v,
             "$2 n_{\\mathrm{layer}}$ additions (attention and MLP) add the variance of one block",
             {s: scale}),
        Step(s, 1 / sp.sqrt(2 * n_layer), "solved for $s$", {s: scale}),
        Step(sigma_0 * s, sp.sqrt(6) / 600,
             "$\\sigma_0 = 0.02$, $n_{\\mathrm{layer}} = 12$: $0.02/\\sqrt{24}$",
             {s: scale, sigma_0: sp.Rational(1, 50), n_layer: 12}),
        Step(Var(x[0]) + additions * alpha**2 * s**2 * v, Var(x[0]) + v,
             "pre-normalized stack, $\\alpha = 1$: bounded whatever the depth",
             {alpha: 1, s: scale}),
    ]
    return steps, std, scale


def _fixup_steps() -> tuple[list[Step], sp.Expr]:
    """A branch of m homogeneous layers, each scaled by c: its SGD update is eta c^(2m-2);
    L branches add L c^(2m-2), which is 1 at c = L^(-1/(2m-2))."""
    scale = L ** (-1 / (2 * m - 2))
    scaled = sp.Product(c * w[i], (i, 1, m))
    grad = c ** (m - 1) * sp.Product(w[i], (i, 1, m)) / w[j]
    steps = [
        Step(scaled, c**m * sp.Product(w[i], (i, 1, m)),
             "a branch of $m$ layers, each scaled by $c$, is homogeneous of degree $m$"),
        Step(scaled / (c * w[j]), grad,
             "its gradient in layer $j$'s weights (the other $m - 1$ factors) scales as "
             "$c^{m-1}$"),
        Step(sp.Sum(grad**2, (j, 1, m)), c ** (2 * m - 2) * sp.Sum((P / w[j]) ** 2, (j, 1, m)),
             "an SGD step moves the branch by $\\eta g$ times the squared gradient, summed "
             "over its layers", {sp.Product(w[i], (i, 1, m)): P}),
        Step(L * c ** (2 * m - 2), 1,
             "Fixup: $L$ branches move the output by $\\Theta(\\eta)$ when "
             "$L c^{2m-2} = 1$, so $c = L^{-1/(2m-2)}$", {c: scale}),
        Step(c, sp.sqrt(6) / 18, "ResNet-110: $L = 54$ blocks of $m = 2$ layers: $54^{-1/2}$",
             {c: scale, L: 54, m: 2}),
        Step((1 + k * c ** (2 * m)) ** L, 1,
             "the forward variance: the branch's gain is $c^{2m} k$; with $m = 2$ the stack's "
             "$(1 + k/L^2)^L$ tends to 1", {c: scale, m: 2}, limit=L),
    ]
    return steps, scale


def _deepnet_steps() -> tuple[list[Step], dict[str, sp.Expr]]:
    """Post-LN with an up-scaled skip: x_l = LN(alpha_D x + G(x)), G = v w u. The sublayer's
    sensitivity alpha^2 (v^2 + w^2)/(alpha^2 + v^2 w^2)^2 <= (v^2 + w^2)/alpha^2; K of them
    bound the update by K (v^2 + w^2)/alpha^2."""
    a, b = alpha_D, beta_D
    total = a**2 + v_D**2 * w_D**2
    out = (a * y + v_D * w_D * u) / sp.sqrt(total)
    d_v = a * w_D * (a * u - v_D * w_D * y) / total ** sp.Rational(3, 2)
    spread = a**2 * E(u**2) - 2 * a * v_D * w_D * E(y * u) + v_D**2 * w_D**2 * E(y**2)
    unit = {E(u**2): 1, E(y**2): 1, E(y * u): 0}
    sensitivity = a**2 * (v_D**2 + w_D**2) / total**2
    bound = (v_D**2 + w_D**2) / a**2
    update = sp.Sum(bound.subs({v_D: b, w_D: b}), (i, 1, K))
    alpha_k = solve_one(K / a**4 - 1, a)
    beta_k = (4 * K) ** sp.Rational(-1, 4)
    encoder = {K: 2 * N}
    steps = [
        Step(Var(a * y + v_D * w_D * u), total,
             "DeepNorm's sum: stream $y$ and sublayer output $v w u$, unit variances, "
             "uncorrelated (the block rule)",
             {Var(a * y + v_D * w_D * u): a**2 * Var(y) + v_D**2 * w_D**2 * Var(u),
              Var(y): 1, Var(u): 1}),
        Step(sp.Derivative(out, v_D), d_v,
             "LN divides by that standard deviation: the output's derivative in $v$"),
        Step(E(d_v**2), a**2 * w_D**2 * spread / total**3,
             "its mean square: the constants leave $E$ (linearity)",
             {E(d_v**2): a**2 * w_D**2 * E((a * u - v_D * w_D * y) ** 2) / total**3,
              E((a * u - v_D * w_D * y) ** 2): spread}),
        Step(a**2 * w_D**2 * spread / total**3, a**2 * w_D**2 / total**2,
             "unit variances, uncorrelated", unit),
        Step(a**2 * w_D**2 / total**2 + a**2 * v_D**2 / total**2, sensitivity,
             "with the derivative in $w$ (the same with $v$ and $w$ swapped)"),
        Step(sensitivity, bound / (1 + v_D**2 * w_D**2 / a**2) ** 2,
             "at most $(v^2 + w^2)/\\alpha_D^2$, the factor of DeepNet's Theorem 4.1"),
        Step((a**2 * E(delta**2) + v_D**2 * w_D**2 * E(back**2)) / total, E(delta**2),
             "backward, the block passes a gradient $\\delta$ as $(\\alpha_D \\delta + v w "
             "\\delta_M)/\\sqrt{\\alpha_D^2 + v^2 w^2}$, $\\delta_M = M^T \\delta$ of the "
             "same mean square: gain 1", {E(back**2): E(delta**2)}),
        Step(update, 2 * K * b**2 / a**2,
             "an SGD step moves the output by at most $\\eta g^2$ times the sum over $K$ "
             "sublayers, each with $v = w = \\beta_D$"),
        Step(2 * K * b**2 / a**2, K / a**4,
             "assumed split: $\\alpha_D^2 (v^2 + w^2) = 1$, i.e. $\\beta_D = 1/(\\sqrt{2} "
             "\\alpha_D)$", {b: 1 / (sp.sqrt(2) * a)}),
        Step(K / a**4, 1, "the update is $\\Theta(\\eta)$", {a: alpha_k}),
        Step(a, alpha_k, "solved for $\\alpha_D$", {a: alpha_k}),
        Step(b, beta_k, "and $\\beta_D = 1/(\\sqrt{2} \\alpha_D) = (4K)^{-1/4}$",
             {b: 1 / (sp.sqrt(2) * alpha_k)}),
        Step(a, (2 * N) ** sp.Rational(1, 4), "encoder-only, $N$ layers: $K = 2N$",
             {a: alpha_k, **encoder}),
        Step(b, (8 * N) ** sp.Rational(-1, 4), "encoder-only: $K = 2N$",
             {b: beta_k, **encoder}),
        Step(a, sp.root(2, 4) * sp.sqrt(10), "$N = 100$: $200^{1/4}$", {a: alpha_k, K: 200}),
        Step(b, 1 / (sp.root(8, 4) * sp.sqrt(10)), "$N = 100$: $800^{-1/4}$",
             {b: beta_k, K: 200}),
        Step(b, (12 * M) ** sp.Rational(-1, 4),
             "decoder-only, $M$ layers ($K = 3M$): the paper's other pair, with "
             "$\\alpha_D = (3M)^{1/4}$", {b: beta_k, K: 3 * M}),
        Step(sensitivity / bound, 1,
             "the bound is tight for deep stacks: $v w/\\alpha_D \\to 0$",
             {v_D: (8 * N) ** sp.Rational(-1, 4), w_D: (8 * N) ** sp.Rational(-1, 4),
              a: (2 * N) ** sp.Rational(1, 4)}, limit=N),
        Step(K * sensitivity, K / 2,
             "vanilla Post-LN ($\\alpha_D = v = w = 1$): the update grows with $K$",
             {a: 1, v_D: 1, w_D: 1}),
    ]
    results = {"deepnet_sensitivity": sensitivity, "deepnet_bound": bound,
               "deepnet_alpha_sublayers": alpha_k, "deepnet_beta_sublayers": beta_k,
               "deepnet_alpha": alpha_k.subs(encoder), "deepnet_beta": beta_k.subs(encoder)}
    return steps, results


@cache
def residual() -> Derivation:
    """Var(x_L) through L residual blocks, and the GPT-2, Fixup and DeepNet scalings."""
    block = _block_steps()
    depth_steps, plain, prenorm = _depth_steps()
    gpt2, std, gpt2_scale = _gpt2_steps()
    fixup, fixup_scale = _fixup_steps()
    deepnet, deepnet_results = _deepnet_steps()
    return Derivation(
        key="residual",
        title="Residual networks: variance through $L$ blocks and the scalings that bound it",
        summary=(
            "A residual block adds a branch $F_l$ of $m$ layers to the stream: "
            "$x_l = x_{l-1} + \\alpha F_l(x_{l-1})$, or $x_l = x_{l-1} + \\alpha "
            "F_l(\\operatorname{LN}(x_{l-1}))$ "
            "with pre-normalization. A zero-mean branch uncorrelated with the stream adds its "
            "variance. Without normalization a branch of gain $k = "
            "\\operatorname{Var}(F_l)/\\operatorname{Var}(x_{l-1})$ "
            "multiplies the variance by $1 + \\alpha^2 k$ per block, exponentially in $L$; "
            "with pre-normalization every branch adds the same $v$, linearly in $L$. "
            "GPT-2 (Radford et al. 2019) scales the std of the last projection of each of its "
            "$2 n_{\\mathrm{layer}}$ branches by $1/\\sqrt{2 n_{\\mathrm{layer}}}$, so that "
            "together they add the "
            "variance of one: $0.02/\\sqrt{24}$ for 12 layers. Fixup (Zhang, Dauphin and Ma "
            "2019) scales each of the $m$ layers of each of $L$ branches by $L^{-1/(2m-2)}$, "
            "so that one SGD step moves the output by $\\Theta(\\eta)$ whatever $L$. DeepNet "
            "(Wang et al. 2022) writes $x_l = \\operatorname{LN}(\\alpha_D x_{l-1} + G(x_{l-1}))$ "
            "and bounds "
            "the update of $K$ sublayers by $K (v^2 + w^2)/\\alpha_D^2$; with $v = w = \\beta_D$ "
            "and the split $\\alpha_D^2 (v^2 + w^2) = 1$ this gives, for $N$ encoder layers, "
            "$\\alpha_D = (2N)^{1/4}$ and $\\beta_D = (8N)^{-1/4}$ (the paper's $\\alpha$, "
            "$\\beta$)."
        ),
        assumptions=(
            "The branch's output has zero mean and is uncorrelated with the stream "
            "(its last layer's weights are independent, zero-mean draws).",
            "Without normalization the branch multiplies the variance of its input by the "
            "gain $k$ (a homogeneous branch: linear or ReLU layers, no bias).",
            "With pre-normalization the branch sees unit variance and returns variance $v$.",
            "GPT-2: every one of the $2 n_{\\mathrm{layer}}$ branches ends in a linear projection "
            "whose "
            "std is scaled; one branch alone would add $v$.",
            "Fixup: a branch is homogeneous of degree one in each layer's weights, and at the "
            "standard initialization its gradient and the loss's gradient $g$ are "
            "$\\Theta(1)$; its weights are scaled by $c$.",
            "DeepNet (the paper's Theorem 4.1 model): a sublayer's output is $v w u$, $u$ of "
            "unit variance and uncorrelated with the stream $y$, $v$ and $w$ the scales of its "
            "two projections; first-order SGD.",
            "DeepNet's split $\\alpha_D^2 (v^2 + w^2) = 1$ is a modelling choice: the update "
            "bound fixes only $K (v^2 + w^2)/\\alpha_D^2 = 1$; the split shares the factor "
            "$1/K$ evenly between the up-scaled skip and the down-scaled sublayers, and it is "
            "what the published pairs satisfy (encoder-only, decoder-only and both halves of "
            "encoder-decoder, where $0.81 \\cdot 0.87 \\approx 1/\\sqrt{2}$).",
        ),
        steps=tuple(block + depth_steps + gpt2 + fixup + deepnet),
        results={
            "block": q + alpha**2 * V,
            "plain": plain.subs(Var(x[0]), 1),
            "prenorm": prenorm.subs(Var(x[0]), q),
            "growth_rate": sp.log(1 + alpha**2 * k),
            "gpt2_scale": gpt2_scale,
            "gpt2_std": std,
            "fixup_scale": fixup_scale,
            "fixup_gain": c ** (2 * m),
            **deepnet_results,
        },
    )
