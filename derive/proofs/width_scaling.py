"""Width scaling: Adam's first update is a sign, so a hidden layer's update grows with width; muP.

Adam's first step is ΔW = −η·sign(g). For h_i = Σ_j W_ij x_j and one example, g_ij = δ_i x_j,
so Δh_i = −η·sign(δ_i)·Σ_j |x_j|, of size η·n·E|x|: linear in the width n under the standard
parametrization (SP). muP (Yang et al. 2022, Table 3) divides the hidden and output learning
rates by fan_in and the output variance by fan_in², which makes every update Θ(1) in n.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from derive.derivation import Derivation, Step, chain, solve_one
from derive.notation import E, GaussianE, fan_in
from derive.proofs.conditions import conditions

n = sp.Symbol("n", positive=True, integer=True)
d = sp.Symbol("d", positive=True, integer=True)
eta = sp.Symbol("eta", positive=True)
beta1, beta2 = sp.Symbol("beta_1", positive=True), sp.Symbol("beta_2", positive=True)
eps = sp.Symbol("epsilon", positive=True)
g = sp.Symbol("g", real=True, nonzero=True)
m0, v0, m1, v1 = sp.symbols("m_0 v_0 m_1 v_1")
mhat, vhat = sp.Symbol(r"\hat{m}_1"), sp.Symbol(r"\hat{v}_1")
step_count = sp.Symbol("t", positive=True, integer=True)
c = sp.Symbol("c", positive=True)
c_in, c_hid, c_out = (sp.Symbol(f"c_{{\\mathrm{{{k}}}}}", positive=True)
                      for k in ("in", "hid", "out"))
sigma_v = sp.Symbol("sigma_v", positive=True)
p = sp.Symbol("p", real=True)
i, j = sp.symbols("i j", positive=True, integer=True)
x, a, v = (sp.IndexedBase(s, real=True, nonzero=True) for s in ("x", "a", "v"))
delta = sp.IndexedBase("delta", real=True, nonzero=True)
dphi = sp.IndexedBase("\\phi'", positive=True)
delta_f = sp.Symbol("delta_f", real=True, nonzero=True)
xs, as_, zs = sp.Symbol("x", real=True), sp.Symbol("a", real=True), sp.Symbol("z", real=True)
dphis = sp.Symbol("\\phi'", positive=True)
total_s = sp.Symbol("s", positive=True)
MEAN_ABS_V = GaussianE(sp.Abs(zs), zs, sigma_v**2)
HALF_NORMAL = sp.sqrt(2 / sp.pi) * sigma_v

LAYERS = ("input", "hidden", "output")


def exponent(size: sp.Expr) -> sp.Expr:
    """lim_{n→∞} log(size)/log(n): the power of the width a size grows like."""
    return sp.log(size) / sp.log(n)


def _sum(term: sp.Expr, index: sp.Symbol, count: sp.Expr = n) -> sp.Sum:
    return sp.Sum(term, (index, 1, count))


def _adam_steps() -> list[Step]:
    return [
        Step(beta1 * m0 + (1 - beta1) * g, (1 - beta1) * g,
             "Adam's first moment after one step, from $m_0 = 0$", {m0: 0}),
        Step(beta2 * v0 + (1 - beta2) * g**2, (1 - beta2) * g**2,
             "its second moment, from $v_0 = 0$", {v0: 0}),
        Step(m1 / (1 - beta1**step_count), g, "bias correction at $t = 1$",
             {m1: (1 - beta1) * g, step_count: 1}),
        Step(v1 / (1 - beta2**step_count), g**2, "bias correction at $t = 1$",
             {v1: (1 - beta2) * g**2, step_count: 1}),
        Step(-eta * mhat / (sp.sqrt(vhat) + eps), -eta * g / sp.Abs(g),
             "the update as $\\epsilon \\to 0$, continuous there as $g \\neq 0$",
             {mhat: g, vhat: g**2, eps: 0}),
        Step(-eta * g / sp.Abs(g), -eta * sp.sign(g), "$g / \\lvert g \\rvert = "
                                                      "\\operatorname{sign}(g)$"),
        Step(sp.sign(c * g, evaluate=False), sp.sign(g),
             "a positive factor $c$ of the gradient drops out"),
    ]


def _hidden_steps() -> tuple[list[Step], sp.Expr, sp.Expr]:
    """Steps from sign(δ_i x_j) to E|Δh_i| = η·n·E|x|; also the update and its size."""
    total = _sum(sp.Abs(x[j]), j)
    update = -eta * sp.sign(delta[i]) * total
    size = eta * n * E(sp.Abs(xs))
    steps = [
        Step(sp.sign(delta[i] * x[j]), sp.sign(delta[i]) * sp.sign(x[j]),
             "one example: $g_{ij} = \\delta_i x_j$, and "
             "$\\operatorname{sign}(u) = u / \\lvert u \\rvert$"),
        Step(_sum(-eta * sp.sign(delta[i]) * sp.sign(x[j]) * x[j], j), update,
             "$\\Delta h_i = \\sum_j \\Delta W_{ij} x_j$, and "
             "$x_j \\operatorname{sign}(x_j) = \\lvert x_j \\rvert$"),
        Step(sp.Abs(update, evaluate=False), eta * total,
             "its size, exactly: $\\lvert \\operatorname{sign}(\\delta_i) \\rvert = 1$",
             {sp.Abs(delta[i] / sp.Abs(delta[i])): 1}),
        *chain(E(eta * total),
               (eta * _sum(E(sp.Abs(x[j])), j), "linearity of $E$",
                {E(eta * total): eta * _sum(E(sp.Abs(x[j])), j)}),
               (size, "the $x_j$ are identically distributed",
                {E(sp.Abs(x[j])): E(sp.Abs(xs))})),
    ]
    return steps, update, size


def _output_steps() -> tuple[list[Step], sp.Expr, sp.Expr]:
    """Steps to the first-order change of f = Σ_i v_i a_i: its two terms' expected sizes,
    Δv·a of c_out·n·E|a| and v·Δa of c_hid·n²·E|x|·σ_v·√(2/π)·E[φ']."""
    through_v = -c_hid * sp.sign(delta_f) * total_s * _sum(sp.Abs(v[i]) * dphi[i], i)
    through_v_size = c_hid * n * E(sp.Abs(xs)) * n * HALF_NORMAL * E(dphis)
    steps = [
        Step(_sum(-c_out * sp.sign(delta_f) * sp.sign(a[i]) * a[i], i),
             -c_out * sp.sign(delta_f) * _sum(sp.Abs(a[i]), i),
             "$\\Delta v \\cdot a$: as for a hidden layer, with $g_i = \\delta_f a_i$"),
        Step(sp.sign(dphi[i] * v[i] * delta_f), sp.sign(v[i]) * sp.sign(delta_f),
             "$\\delta_i = \\phi'_i v_i \\delta_f$ with $\\phi' > 0$"),
        Step(_sum(v[i] * dphi[i] * (-c_hid * sp.sign(v[i]) * sp.sign(delta_f) * total_s), i),
             through_v, "$v \\cdot \\Delta a$, $\\Delta a_i = \\phi'_i \\Delta h_i$, "
                        "$s = \\sum_j \\lvert x_j \\rvert$: the signs of $v_i$ cancel"),
        Step(MEAN_ABS_V, HALF_NORMAL, "the mean size of $v_i \\sim \\mathcal{N}(0, \\sigma_v^2)$"),
        Step(E(sp.Abs(through_v)), through_v_size,
             "its expected size: $s$ as in the hidden layer, $v$ independent of $h$ at init",
             {E(sp.Abs(through_v)): c_hid * E(total_s) * n * MEAN_ABS_V * E(dphis),
              E(total_s): n * E(sp.Abs(xs))}),
    ]
    return steps, c_out * n * E(sp.Abs(as_)), through_v_size


def _sgd_steps() -> tuple[list[Step], sp.Expr]:
    """SGD: Δh_i = −η·δ_i·Σ_j x_j², of size η·n·E[x²]·E|δ_i|, E|δ_i| = E|v|·E[φ']·|δ_f|."""
    mean_delta = HALF_NORMAL * E(dphis) * sp.Abs(delta_f)
    update = -eta * delta[i] * _sum(x[j] ** 2, j)
    steps = [
        Step(_sum(-eta * delta[i] * x[j] * x[j], j), update,
             "SGD: $\\Delta W_{ij} = -\\eta \\delta_i x_j$, not normalized"),
        Step(sp.Abs(update, evaluate=False), eta * sp.Abs(delta[i]) * n * E(xs**2),
             "law of large numbers: $\\sum_j x_j^2 \\approx n \\mathbb{E}[x^2]$",
             {_sum(x[j] ** 2, j): n * E(xs**2)}),
        Step(E(sp.Abs(delta[i])), mean_delta,
             "$\\delta_i = v_i \\phi'_i \\delta_f$, $v$ independent of $h$ at init",
             {E(sp.Abs(delta[i])): MEAN_ABS_V * E(dphis) * sp.Abs(delta_f)}),
    ]
    return steps, eta * mean_delta * n * E(xs**2)


def _limit(size: sp.Expr) -> sp.Expr:
    return sp.limit(exponent(size), n, sp.oo)


def _rate_power(size: sp.Expr, lr: sp.Symbol) -> sp.Expr:
    """The p for which a learning rate η·n^p puts the size at exponent 0."""
    return solve_one(_limit(size.subs(lr, eta * n**p)), p)


@cache
def width_scaling() -> Derivation:
    """Adam: ΔW = −η·sign(g); hidden Δh_i of size η·n·E|x| (exponent 1 in SP, 0 in muP)."""
    adam = _adam_steps()
    hidden, update, hidden_size = _hidden_steps()
    output, out_by_v, out_by_a = _output_steps()
    sgd, sgd_size = _sgd_steps()
    hidden_size_c = hidden_size.subs(eta, c_hid)
    input_size_c = hidden_size.subs({eta: c_in, n: d})
    fan_in_variance = conditions().results["fan_in"]

    sp_lr = {k: eta for k in LAYERS}
    sp_var = {"input": fan_in_variance.subs(fan_in, d),
              "hidden": fan_in_variance.subs(fan_in, n),
              "output": fan_in_variance.subs(fan_in, n)}
    # muP: each rate eta n^p with the p that makes its update Theta(1), then the output's scale
    mup_lr = {"input": eta * n ** _rate_power(input_size_c, c_in),
              "hidden": eta * n ** _rate_power(hidden_size_c, c_hid),
              "output": eta * n ** _rate_power(out_by_v, c_out)}
    by_a_power = out_by_a.subs({c_hid: mup_lr["hidden"], sigma_v: n**p})
    mup_var = {**sp_var, "output": n ** (2 * solve_one(_limit(by_a_power), p))}
    searches = [
        Step(exponent(hidden_size_c.subs(c_hid, eta * n**p)), p + 1,
             "a hidden rate $\\eta n^p$: $p = -1$ makes it $\\Theta(1)$", limit=n),
        Step(exponent(out_by_v.subs(c_out, eta * n**p)), p + 1,
             "$\\Delta v \\cdot a$ at output rate $\\eta n^p$: $p = -1$", limit=n),
        Step(exponent(by_a_power), p + 1,
             "$v \\cdot \\Delta a$ at hidden rate $\\eta/n$, $\\sigma_v = n^p$: $p = -1$",
             limit=n),
    ]

    def sizes(lrs: dict[str, sp.Expr], var: dict[str, sp.Expr]) -> dict[str, sp.Expr]:
        rates = {c_in: lrs["input"], c_hid: lrs["hidden"], c_out: lrs["output"],
                 sigma_v: sp.sqrt(var["output"])}
        return {"input": input_size_c.subs(rates), "hidden": hidden_size_c.subs(rates),
                "output": (out_by_v + out_by_a).subs(rates)}

    size = {"sp": sizes(sp_lr, sp_var), "mup": sizes(mup_lr, mup_var)}
    claims = {
        ("sp", "input"): (sp.Integer(0), "input layer, SP and muP: $d$ terms, $d$ fixed"),
        ("sp", "hidden"): (sp.Integer(1), "SP hidden layer, $c_{\\mathrm{hid}} = \\eta$"),
        ("sp", "output"): (sp.Rational(3, 2), "SP output, $c = \\eta$ and $\\sigma_v^2 = 1/n$"),
        ("mup", "hidden"): (sp.Integer(0), "muP hidden layer, $c_{\\mathrm{hid}} = \\eta/n$"),
        ("mup", "output"): (sp.Integer(0), "muP output, $c = \\eta/n$ and "
                                           "$\\sigma_v^2 = 1/n^2$"),
    }
    exponents = {key: Step(exponent(size[key[0]][key[1]]), value, reason, limit=n)
                 for key, (value, reason) in claims.items()}
    exponents["mup", "input"] = exponents["sp", "input"]
    own = Step(exponent(out_by_v.subs(c_out, sp_lr["output"])), sp.Integer(1),
               "SP output, its own update $\\Delta v \\cdot a$ alone", limit=n)
    sgd_exponents = [
        Step(exponent(sgd_size.subs(sigma_v, sp.sqrt(sp_var["output"]))), sp.Rational(1, 2),
             "SGD in SP: $\\delta_i$ is of order $n^{-1/2}$", limit=n),
        Step(exponent(sgd_size.subs(sigma_v, sp.sqrt(mup_var["output"]))), sp.Integer(0),
             "SGD with $\\sigma_v = 1/n$: the $1/n$ of $\\delta_i$ absorbs the sum", limit=n),
    ]
    steps = (*adam, *hidden, *output, *sgd, *searches,
             *(exponents[key] for key in claims), own, *sgd_exponents)
    results: dict[str, sp.Expr] = {"adam_first_update": adam[5].new, "hidden_update": update,
                                   "hidden_update_size": hidden_size}
    for name, var, lrs in (("sp", sp_var, sp_lr), ("mup", mup_var, mup_lr)):
        results |= {f"{name}_{k}_exponent": exponents[name, k].new for k in LAYERS}
        results |= {f"{name}_{k}_variance": var[k] for k in LAYERS}
        results |= {f"{name}_{k}_lr": lrs[k] for k in LAYERS}
    results |= {"sp_output_own_exponent": own.new,
                "sgd_sp_hidden_exponent": sgd_exponents[0].new,
                "sgd_mup_hidden_exponent": sgd_exponents[1].new}
    return Derivation(
        key="width_scaling",
        title="Width scaling: why hidden updates grow with width, and muP",
        summary=(
            "Adam's first step divides the gradient by its own size: with $\\epsilon \\to 0$ "
            "it is $\\Delta W = -\\eta \\operatorname{sign}(g)$, whatever the scale of $g$. "
            "For a hidden layer $h_i = \\sum_{j=1}^{n} W_{ij} x_j$ and one example, "
            "$g_{ij} = \\delta_i x_j$, so every $\\Delta W_{ij} x_j$ has the sign of "
            "$-\\delta_i$ and the $n$ terms of $\\Delta h_i$ add up: "
            "$|\\Delta h_i| = \\eta \\sum_j |x_j|$, of mean $\\eta n \\mathbb{E}|x|$. Under the "
            "standard "
            "parametrization (SP: variance $1/\\mathrm{fan}_{\\mathrm{in}}$, rate $\\eta$ "
            "for every layer) the hidden update grows like $n$ and the output's like "
            "$n^{3/2}$. SGD does not normalize: its update carries the size of $\\delta$, "
            "$n^{-1/2}$ in SP, and grows like $n^{1/2}$. muP (Yang and Hu 2021; Yang et al. "
            "2022, Table 3) chooses each rate $\\eta n^p$ and the output's scale so that "
            "every update is $\\Theta(1)$: rate $\\eta$ for the input layer, "
            "$\\eta/\\mathrm{fan}_{\\mathrm{in}}$ for hidden and output layers, and output "
            "variance $1/\\mathrm{fan}_{\\mathrm{in}}^2$."
        ),
        assumptions=(
            "An MLP $x \\to h^{(1)} \\to h^{(2)} \\to f$ with input dimension $d$ fixed, hidden "
            "width $n \\to \\infty$, activation $\\phi$ with $\\phi' > 0$ (e.g. tanh), "
            "$a_i = \\phi(h_i)$ and scalar output $f = \\sum_i v_i a_i$. For a layer, $x$ is "
            "its input: the data ($d$ coordinates) for the input layer, $a^{(1)}$ ($n$) for "
            "the hidden layer.",
            "The Adam rates of the input, hidden and output layers are $c_{\\mathrm{in}}$, "
            "$c_{\\mathrm{hid}}$ and $c_{\\mathrm{out}}$; $\\sigma_v^2$ is the variance of "
            "the output weights $v_i$; $\\phi'_i = \\phi'(h_i)$.",
            "Adam with $m_0 = v_0 = 0$ and $\\epsilon \\to 0$; one example, so "
            "$g_{ij} = \\delta_i x_j$ with $\\delta_i = \\partial \\ell / \\partial h_i$ and "
            "$\\delta_f = \\partial \\ell / \\partial f \\neq 0$.",
            "At init the coordinates of $x$ (and of $a$) are identically distributed with "
            "$\\mathbb{E}|x| > 0$ not depending on $n$; $v_i \\sim \\mathcal{N}(0, \\sigma_v^2)$ "
            "is independent "
            "of $h_i$.",
            "First order in the step: $\\Delta a_i = \\phi'_i \\Delta h_i$. The other terms "
            "of $\\Delta h = \\Delta W x + W \\Delta x$ keep the order of $\\Delta x$ (an "
            "i.i.d. matrix of variance $1/n$ maps $\\Theta(1)$ coordinates to $\\Theta(1)$), "
            "so in SP they are smaller than $\\Delta W x$ and in muP of the same order.",
            "The exponent of a size $s(n)$ is $\\lim_{n \\to \\infty} \\log s / \\log n$.",
        ),
        steps=steps,
        results=results,
    )
