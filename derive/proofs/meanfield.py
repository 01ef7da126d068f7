"""Derivation: mean field through depth, the length and correlation maps and the edge of
chaos (Poole et al. 2016; Schoenholz et al. 2017).

With sigma_w^2 = fan_in Var(W), sigma_b^2 = Var(b) and z ~ N(0, 1): the length map
q' = sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2, its fixed point q*; the correlation map
c' = (sigma_w^2 E[phi(u_1) phi(u_2)] + sigma_b^2)/q*, whose slope at c = 1 is
chi_1 = sigma_w^2 E[phi'(u)^2] (Price's theorem); the depth scale xi = -1/log chi.
ReLU exactly (the arc-cosine kernel of Cho and Saul): chi_1 = sigma_w^2/2, and at the
critical point 1 - c_l ~ 9 pi^2/(2 l^2). tanh: the critical line passes through (1, 0);
its numbers at gain 5/3 and at sigma_b^2 = 0.05 are numeric.
"""

from __future__ import annotations

from functools import cache

import mpmath
import sympy as sp
from sympy.printing.latex import LatexPrinter

from derive.derivation import Derivation, Step, chain, solve_one
from derive.notation import E, GaussianE, Notation, NumericGaussianE, Var, fan_in
from derive.proofs.activations import relu
from derive.proofs.product_variance import product_rule

sigma_w2 = sp.Symbol("sigma_w^2", positive=True)
sigma_b2 = sp.Symbol("sigma_b^2", nonnegative=True)
q = sp.Symbol("q", positive=True)
q_prev = sp.Symbol("q_{l-1}", positive=True)
q_star = sp.Symbol("q^*", positive=True)
q0 = sp.Symbol("q_0", positive=True)
c = sp.Symbol("c", real=True)
c_next = sp.Symbol("c'", real=True)
q_next = sp.Symbol("q'", positive=True)
C = sp.Symbol("C", positive=True)
z = sp.Symbol("z", real=True)
u, u1, u2 = sp.symbols("u u_1 u_2", real=True)
x = sp.Symbol("x", real=True)
r, theta = sp.symbols("r theta", positive=True)
t = sp.Symbol("t", positive=True)
g = sp.Symbol("g", positive=True)
l = sp.Symbol("l", positive=True)
k0 = sp.Symbol("k", real=True)
a_s, b_s = sp.symbols("A B", positive=True)
chi, xi = sp.Symbol("chi", positive=True), sp.Symbol("xi", positive=True)
chi1 = sp.Symbol("chi_1", positive=True)
w, a, b = sp.symbols("w a b")
h_a, h_b, a_a, a_b = sp.symbols("h^a h^b a^a a^b")
K, M = sp.Function("K"), sp.Function("M")

SIGMA_W = r"$\sigma_w^2 = \mathrm{fan}_{\mathrm{in}} \operatorname{Var}(w)$"
FAN_IN = r"$\mathrm{fan}_{\mathrm{in}}$"
DIGITS = 20
"""Significant digits of the numeric steps (computed by mpmath at DIGITS + 15)."""


class phi(Notation, sp.Function):
    """The activation phi(u) (any; kept abstract)."""

    def latex_form(self, printer: LatexPrinter) -> str:
        return rf"\phi\left({printer._print(self.args[0])}\right)"


class dphi(Notation, sp.Function):
    """Its derivative phi'(u)."""

    def latex_form(self, printer: LatexPrinter) -> str:
        return rf"\phi'\left({printer._print(self.args[0])}\right)"


class ddphi(Notation, sp.Function):
    """Its second derivative phi''(u)."""

    def latex_form(self, printer: LatexPrinter) -> str:
        return rf"\phi''\left({printer._print(self.args[0])}\right)"


class step(Notation, sp.Function):
    """The step function H(u) = 1 for u > 0, else 0 (ReLU's derivative)."""

    def _eval_rewrite_as_Heaviside(self, y: sp.Expr, **kwargs: object) -> sp.Expr:
        return sp.Heaviside(y)

    def latex_form(self, printer: LatexPrinter) -> str:
        return rf"H\left({printer._print(self.args[0])}\right)"


class NumericE(NumericGaussianE):
    """derive's numeric Gaussian expectation to `DIGITS` digits; the variance is shown to
    12 digits."""

    digits = DIGITS

    def latex_form(self, printer: LatexPrinter) -> str:
        f, var, variance = (_short(e) for e in self.args)
        return (rf"\mathbb{{E}}_{{{printer._print(var)} \sim \mathcal{{N}}(0,\, "
                rf"{printer._print(variance)})}}\left[{printer._print(f)}\right]")


def _short(e: sp.Expr) -> sp.Expr:
    """e with its floating-point numbers shown to 12 digits."""
    return e.xreplace({f: sp.Float(f, 12) for f in e.atoms(sp.Float)})


def _rounded(value: sp.Float) -> sp.Float:
    """A 30-digit constant as the numeric steps state it: to `DIGITS` digits (in decimal,
    as `NumericE.doit` rounds)."""
    with mpmath.workdps(DIGITS + 15):
        return sp.Float(mpmath.nstr(mpmath.mpf(str(value)), DIGITS), DIGITS)


# The tanh numbers to 30 digits (mpmath), each re-checked by its step at DIGITS digits.
TANH_GAIN_VARIANCE = sp.Rational(25, 9)
"""sigma_w^2 of PyTorch's tanh gain 5/3."""
TANH_Q_STAR = sp.Float("1.17848049038590771739653872852", 30)
TANH_CHI1 = sp.Float("1.20983132038282859506238795401", 30)
TANH_BIAS = sp.Rational(1, 20)
"""The sigma_b^2 at which Schoenholz et al. quote the critical sigma_w^2."""
TANH_CRITICAL_W = sp.Float("1.76095463960673913163155202433", 30)
TANH_CRITICAL_Q = sp.Float("0.57004788164076414999015557592", 30)


def _abstract() -> dict[str, sp.Expr]:
    """The maps for any activation, the expectations kept abstract."""
    length = sigma_w2 * E(phi(u) ** 2) + sigma_b2
    covariance = sigma_w2 * E(phi(u1) * phi(u2)) + sigma_b2
    return {
        "length_map": length,
        "covariance_map": covariance,
        "correlation_map": covariance / length,
        "correlation_gap": sigma_w2 * E((phi(u1) - phi(u2)) ** 2) / (2 * length),
        "correlation_slope": sigma_w2 * q * E(dphi(u1) * dphi(u2)) / length,
        "chi1": sigma_w2 * E(dphi(u) ** 2),
        "chi_c": sigma_w2 * E(dphi(u1) * dphi(u2)),
        "length_slope": sigma_w2 * (E(dphi(u) ** 2) + E(phi(u) * ddphi(u))),
        "depth_scale": -1 / sp.log(chi),
    }


def _length_steps() -> list[Step]:
    """Var(h) = sigma_w^2 E[phi(sqrt(q_{l-1}) z)^2] + sigma_b^2."""
    h = sp.Symbol("h")
    zero_mean_w = product_rule(w, a).subs(E(w), 0)
    return chain(
        Var(h),
        (fan_in * Var(w * a) + Var(b), f"$h = \\sum_j w_j a_j + b$: {FAN_IN} independent "
         "terms and an independent bias", {Var(h): fan_in * Var(w * a) + Var(b)}),
        (fan_in * Var(w) * E(a**2) + sigma_b2, "variance of a product (1) with "
         "$\\mathbb{E}[w] = 0$",
         {Var(w * a): zero_mean_w, Var(a): E(a**2) - E(a) ** 2, Var(b): sigma_b2}),
        (sigma_w2 * E(phi(sp.sqrt(q_prev) * z) ** 2) + sigma_b2,
         f"{SIGMA_W}; wide layers: $h_{{l-1}} \\sim \\mathcal{{N}}(0, q_{{l-1}})$",
         {fan_in: sigma_w2 / Var(w), E(a**2): E(phi(sp.sqrt(q_prev) * z) ** 2)}),
    )


def _correlation_steps() -> list[Step]:
    """c' = (sigma_w^2 E[phi(u_1)phi(u_2)] + sigma_b^2)/q*; c = 1 is fixed; the gap form."""
    maps = _abstract()
    at_fixed_point = {q_star: maps["length_map"]}
    cov = fan_in * Var(w) * E(a_a * a_b) + sigma_b2
    fixed = (sigma_w2 * E(phi(u1) * phi(u2)) + sigma_b2) / q_star
    square = {E((phi(u1) - phi(u2)) ** 2): E(phi(u1) ** 2) - 2 * E(phi(u1) * phi(u2))
              + E(phi(u2) ** 2), E(phi(u2) ** 2): E(phi(u) ** 2), E(phi(u1) ** 2): E(phi(u) ** 2)}
    return [
        *chain(E(h_a * h_b),
               (cov, "the same sum for two inputs $a$, $b$: cross terms vanish as "
                "$\\mathbb{E}[w] = 0$", {E(h_a * h_b): cov}),
               (maps["covariance_map"], "$(h^a, h^b)$ of layer $l - 1$ Gaussian: "
                "$a^a = \\phi(u_1)$, $a^b = \\phi(u_2)$",
                {fan_in: sigma_w2 / Var(w), E(a_a * a_b): E(phi(u1) * phi(u2))})),
        Step(c_next, maps["correlation_map"],
             "$c' = \\mathbb{E}[h^a h^b]/q'$, $q'$ the length map",
             {c_next: maps["covariance_map"] / maps["length_map"]}),
        Step(maps["correlation_map"], fixed, "at the fixed point $q = q^*$ the denominator "
             "is $q^*$", at_fixed_point),
        Step(fixed, 1, "$c = 1$: $u_1 = u_2 = u$, so $c = 1$ is always a fixed point",
             {u1: u, u2: u, **at_fixed_point}),
        Step(1 - fixed, sigma_w2 * E((phi(u1) - phi(u2)) ** 2) / (2 * q_star),
             "the gap $1 - c'$: expand the square; $u_1$ and $u_2$ have the same law",
             {**square, **at_fixed_point}),
    ]


def _slope_steps() -> list[Step]:
    """Price's theorem: dc'/dc = sigma_w^2 E[phi'(u_1) phi'(u_2)]; chi_1 at c = 1."""
    x1, x2 = sp.symbols("x_1 x_2", real=True)
    p = sp.Function("p")
    density = sp.exp(-(q * x1**2 - 2 * C * x1 * x2 + q * x2**2) / (2 * (q**2 - C**2))) / (
        2 * sp.pi * sp.sqrt(q**2 - C**2))
    one_d = sp.exp(-(x**2) / (2 * q)) / sp.sqrt(2 * sp.pi * q)
    general = (sigma_w2 * K(C) + sigma_b2) / q_next
    slope_general = sigma_w2 * q * E(dphi(u1) * dphi(u2)) / q_next
    chi_c = sigma_w2 * E(dphi(u1) * dphi(u2))
    price = {sp.Derivative(K(C), C): E(dphi(u1) * dphi(u2))}
    second = {sp.Derivative(M(q), q): E(dphi(u) ** 2) + E(phi(u) * ddphi(u))}
    return [
        Step(p(x1, x2, C), density, "the density of $(u_1, u_2)$ at covariance $C = q c$",
             {p(x1, x2, C): density}),
        Step(sp.Derivative(p(x1, x2, C), C) - sp.Derivative(p(x1, x2, C), x1, x2), 0,
             "it solves $\\partial_C p = \\partial_{x_1} \\partial_{x_2} p$",
             {p(x1, x2, C): density}),
        Step(sp.Derivative(general, C) * sp.Derivative(q * c, c),
             sigma_w2 * q * sp.Derivative(K(C), C) / q_next,
             "chain rule: $c' = (\\sigma_w^2 K(C) + \\sigma_b^2)/q'$, "
             "$K(C) = \\mathbb{E}[\\phi(u_1) \\phi(u_2)]$"),
        Step(sigma_w2 * q * sp.Derivative(K(C), C) / q_next, slope_general,
             "Price's theorem: so $\\partial_C$ under the integral, and by parts in $x_1$, "
             "$x_2$", price),
        Step(slope_general, chi_c, "at the fixed point $q' = q = q^*$: $\\chi_c$",
             {q_next: q}),
        Step(chi_c, sigma_w2 * E(dphi(u) ** 2), "at $c = 1$: $u_1 = u_2 = u$: $\\chi_1$",
             {u1: u, u2: u}),
        Step(p(x, q), one_d, "the $\\mathcal{N}(0, q)$ density", {p(x, q): one_d}),
        Step(sp.Derivative(p(x, q), q) - sp.Derivative(p(x, q), x, 2) / 2, 0,
             "it solves $\\partial_q p = \\partial_x^2 p/2$", {p(x, q): one_d}),
        Step(sp.Derivative(sigma_w2 * M(q) + sigma_b2, q),
             sigma_w2 * (E(dphi(u) ** 2) + E(phi(u) * ddphi(u))),
             "the length map's slope, $M(q) = \\mathbb{E}[\\phi(u)^2]$: by parts, "
             "$M'(q) = \\mathbb{E}[(\\phi^2)'']/2$", second),
        Step(chi**l, sp.exp(-l / xi),
             "near its fixed point a map of slope $\\chi$ shrinks distances as $\\chi^l$",
             {xi: -1 / sp.log(chi)}),
    ]


def _relu_steps() -> tuple[list[Step], dict[str, sp.Expr]]:
    """The arc-cosine kernel, Price's theorem for it, chi_1 and the critical map."""
    theta0 = sp.acos(c)
    polar = q / (2 * sp.pi) * sp.Integral(
        r**3 * sp.exp(-(r**2) / 2) * sp.cos(theta) * sp.cos(theta - theta0),
        (r, 0, sp.oo), (theta, theta0 - sp.pi / 2, sp.pi / 2))
    kernel = q / (2 * sp.pi) * (sp.sqrt(1 - c**2) + (sp.pi - sp.acos(c)) * c)
    orthant = sp.Integral(r * sp.exp(-(r**2) / 2) / (2 * sp.pi),
                          (r, 0, sp.oo), (theta, theta0 - sp.pi / 2, sp.pi / 2))
    orthant_value = (sp.pi - sp.acos(c)) / (2 * sp.pi)
    pair = E(relu(u1) * relu(u2))
    pair_h = E(step(u1) * step(u2))
    critical_map = (sp.sqrt(1 - c**2) + (sp.pi - sp.acos(c)) * c) / sp.pi
    length = sigma_w2 * GaussianE(relu(u) ** 2, u, q) + sigma_b2
    fixed = solve_one(q - (sigma_w2 * q / 2 + sigma_b2), q)
    chi_relu = sigma_w2 * GaussianE(step(u) ** 2, u, q)
    critical = solve_one(sigma_w2 / 2 - 1, sigma_w2)
    gap_moment = q * ((sp.pi - theta) * g + theta - sp.sin(theta)) / sp.pi
    gap_map = sigma_w2 / 2 * ((sp.pi - theta) * g + theta - sp.sin(theta)) / sp.pi
    at_angle = {sp.acos(sp.cos(theta)): theta, sp.sqrt(1 - sp.cos(theta) ** 2): sp.sin(theta)}
    steps = [
        Step(pair, polar, "polar coordinates $z_1 = r \\cos\\theta$, $z_2 = r \\sin\\theta$; "
             "$u_1, u_2 > 0$ on this arc", {pair: polar}),
        Step(polar, kernel, "integrate: the arc-cosine kernel of Cho and Saul"),
        Step(pair_h, orthant, "the same arc for $\\operatorname{relu}' = H$", {pair_h: orthant}),
        Step(orthant, orthant_value, "Sheppard's orthant probability"),
        Step(sp.Derivative(kernel.subs(c, C / q), C), orthant_value.subs(c, C / q),
             "Price's theorem holds for ReLU: $dK/dC = \\mathbb{E}[H(u_1) H(u_2)]$"),
        Step(sp.Subs(kernel, c, 1), q / 2, "at $c = 1$: the ReLU half-moment (3)"),
        Step(chi_relu, sigma_w2 / 2, "$\\chi_1$ of ReLU: half the mass"),
        Step(sigma_w2, 2, "critical: $\\chi_1 = \\sigma_w^2/2 = 1$", {sigma_w2: critical}),
        Step(length, sigma_w2 * q / 2 + sigma_b2, "the length map of ReLU"),
        Step(q_star, 2 * sigma_b2 / (2 - sigma_w2), "its fixed point, for $\\sigma_w^2 < 2$",
             {q_star: fixed}),
        Step(sigma_w2 * (q0 + l * sigma_b2) / 2 + sigma_b2, q0 + (l + 1) * sigma_b2,
             "at $\\sigma_w^2 = 2$ each layer adds $\\sigma_b^2$: no fixed point if "
             "$\\sigma_b^2 > 0$", {sigma_w2: 2}),
        Step((sigma_w2 * kernel + sigma_b2) / q, critical_map,
             "the critical map: $\\sigma_w^2 = 2$, $\\sigma_b^2 = 0$, any $q$",
             {sigma_w2: 2, sigma_b2: 0}),
        Step(1 - critical_map.subs(c, sp.cos(theta)),
             ((sp.pi - theta) * (1 - sp.cos(theta)) + theta - sp.sin(theta)) / sp.pi,
             "$c = \\cos\\theta$, $0 \\le \\theta \\le \\pi$: both terms are non-negative",
             at_angle),
        Step(E((relu(u1) - relu(u2)) ** 2), gap_moment,
             "so, with $g = 1 - c = 1 - \\cos\\theta$, the gap's moment",
             {E((relu(u1) - relu(u2)) ** 2): q - 2 * kernel.subs(c, sp.cos(theta)),
              sp.cos(theta): 1 - g, **at_angle}),
        Step(sigma_w2 * gap_moment / (2 * q), gap_map,
             "and the gap map at a fixed point $q^*$, for any $\\sigma_w^2$"),
    ]
    results = {
        "relu_second_moment": q / 2, "relu_slope_moment": sp.Rational(1, 2),
        "relu_kernel": kernel, "relu_orthant": orthant_value, "relu_chi1": sigma_w2 / 2,
        "relu_critical_weight_variance": critical, "relu_length_map": sigma_w2 * q / 2 + sigma_b2,
        "relu_length_fixed_point": 2 * sigma_b2 / (2 - sigma_w2),
        "relu_correlation_map": (sigma_w2 * kernel + sigma_b2) / (sigma_w2 * q / 2 + sigma_b2),
        "relu_gap_moment": gap_moment, "relu_gap_map": gap_map,
        "relu_angle": 2 * sp.asin(sp.sqrt(g / 2)),
        "relu_critical_map": critical_map,
    }
    return steps, results


def _relu_depth_steps() -> tuple[list[Step], dict[str, sp.Expr]]:
    """1 - c' = (1 - c) - A (1 - c)^(3/2) + ..., so 1 - c_l ~ 9 pi^2/(2 l^2)."""
    slope = 2 * sp.sqrt(2) / (3 * sp.pi)
    half_angle = 2 * sp.asin(t / sp.sqrt(2))
    gap = ((sp.pi - theta) * t**2 + theta - sp.sin(theta)) / sp.pi
    s = sp.Function("s")
    ansatz = {s(l + 1): (a_s / 2 * l + 2 * b_s / a_s * sp.log(l) + k0).subs(l, l + 1),
              s(l): a_s / 2 * l + 2 * b_s / a_s * sp.log(l) + k0}
    coefficients = {theta: half_angle, a_s: slope, b_s: 3 * slope**2 / 8}
    constant, rate = 9 * sp.pi**2 / 2, sp.Integer(-3)
    steps = [
        Step(sp.cos(half_angle), 1 - t**2,
             "at the critical point write $1 - c = t^2$: $\\theta = 2 \\arcsin(t/\\sqrt{2})$"),
        Step(gap, t**2 - a_s * t**3 + sp.O(t**5),
             "series: $1 - c' = (1 - c) - A (1 - c)^{3/2} + O((1 - c)^{5/2})$", coefficients),
        Step(1 / sp.sqrt(gap), 1 / t + a_s / 2 + b_s * t + sp.O(t**2),
             "so $s_l = (1 - c_l)^{-1/2}$ grows by $A/2 + B/s_l + O(s_l^{-2})$", coefficients),
        Step(l**2 / sp.log(l) * (s(l + 1) - s(l) - a_s / 2 - b_s / s(l)), 8 * b_s**2 / a_s**3,
             "$s_l = A l/2 + (2B/A) \\log l + k$ solves it up to $O(\\log(l)/l^2)$, summable",
             ansatz, limit=l),
        Step(l**2 / s(l) ** 2, 4 / a_s**2, "so $l^2 (1 - c_l) = l^2/s_l^2$ tends to $4/A^2$",
             ansatz, limit=l),
        Step(4 / a_s**2, constant, "with $A = 2 \\sqrt{2}/(3 \\pi)$", coefficients),
        Step(l / sp.log(l) * (a_s**2 * l**2 / (4 * s(l) ** 2) - 1), -8 * b_s / a_s**2,
             "the ratio to $4/(A^2 l^2)$ is $1 - (8B/A^2) \\log(l)/l + O(1/l)$",
             ansatz, limit=l),
        Step(-8 * b_s / a_s**2, rate, "with $B = 3 A^2/8$", coefficients),
    ]
    results = {"relu_series_coefficient": slope, "relu_depth_constant": constant,
               "relu_depth_rate": rate}
    return steps, results


def _tanh_steps() -> list[Step]:
    """At sigma_b^2 = 0, sigma_w^2 <= 1: q* = 0 and chi_1 = sigma_w^2; the numeric points."""
    square = sp.tanh(sp.sqrt(q) * z) ** 2
    linear = {E(square - q * z**2): E(square) - q * E(z**2), E(z**2): 1}
    gain, qs, wc, qc = TANH_GAIN_VARIANCE, TANH_Q_STAR, TANH_CRITICAL_W, TANH_CRITICAL_Q
    return [
        Step(sp.Derivative(x - sp.tanh(x), x), sp.tanh(x) ** 2,
             "tanh: $x - \\tanh x$ increases from 0, so $\\tanh(x)^2 < x^2$ for $x \\neq 0$"),
        Step(sigma_w2 * E(square) - q, sigma_w2 * E(square - q * z**2) + (sigma_w2 - 1) * q,
             "$\\sigma_b^2 = 0$: for $q > 0$ and $\\sigma_w^2 \\le 1$ both terms are "
             "negative, so $q^* = 0$", linear),
        Step(sigma_w2 * sp.Subs(sp.Derivative(sp.tanh(x), x) ** 2, x, 0), sigma_w2,
             "at $q^* = 0$: $\\chi_1 = \\sigma_w^2 \\tanh'(0)^2$"),
        Step(sigma_w2, 1, "critical at $\\sigma_b^2 = 0$: the line passes through (1, 0)",
             {sigma_w2: solve_one(sigma_w2 - 1, sigma_w2)}),
        Step(sp.Subs(sp.Derivative(sigma_w2 * (q - 2 * q**2), q), q, 0), sigma_w2,
             "the length map's slope at $q = 0$, from "
             "$\\mathbb{E}[\\tanh(u)^2] = q - 2 q^2 + O(q^3)$ (3)"),
        Step(NumericE(gain * sp.tanh(u) ** 2, u, qs), _rounded(qs),
             f"numeric ({DIGITS} digits): $q^*$ at $\\sigma_w^2 = 25/9$ (gain 5/3), "
             "$\\sigma_b^2 = 0$"),
        Step(NumericE(gain * sp.sech(u) ** 4, u, qs), _rounded(TANH_CHI1),
             "numeric: $\\chi_1$ there, so gradients grow by about 1.21 a layer"),
        Step(NumericE(wc * sp.tanh(u) ** 2 + TANH_BIAS, u, qc), _rounded(qc),
             "numeric: $q^*$ at $\\sigma_b^2 = 0.05$ and the critical $\\sigma_w^2$ below"),
        Step(NumericE(wc * sp.sech(u) ** 4, u, qc), 1,
             f"numeric: $\\chi_1 = 1$ at $\\sigma_w^2 = {sp.Float(wc, 8)}$, "
             "$\\sigma_b^2 = 0.05$"),
    ]


MEANFIELD_SYMBOLS: dict[str, object] = {
    "sigma_w2": sigma_w2, "sigma_b2": sigma_b2, "q": q, "c": c, "g": g, "theta": theta,
    "u": u, "u1": u1, "u2": u2, "chi": chi, "phi": phi, "dphi": dphi}
"""The symbols and functions the mean-field results are written in, for those who evaluate
them: σ_w², σ_b², q, c, the gap g = 1 − c, the angle θ, the pre-activations u, u₁, u₂, a
slope χ, and φ, φ'."""


@cache
def meanfield() -> Derivation:
    """The length and correlation maps, chi_1, the depth scales; ReLU exact, tanh at (1, 0)."""
    relu_steps, relu_results = _relu_steps()
    depth_steps, depth_results = _relu_depth_steps()
    steps = (*_length_steps(), *_correlation_steps(), *_slope_steps(), *relu_steps,
             *depth_steps, *_tanh_steps())
    return Derivation(
        key="meanfield",
        title="Mean field: the length map, the correlation map and the edge of chaos",
        summary=(
            "Two inputs enter a deep, wide network whose weights have "
            "$\\sigma_w^2 = \\mathrm{fan}_{\\mathrm{in}} \\operatorname{Var}(w)$ and whose "
            "biases have variance $\\sigma_b^2$; at layer $l$ their pre-activations have the "
            "length $q_l$ (the variance of one unit) and the correlation $c_l$. Let $z$, "
            "$z_1$, $z_2$ be independent $\\mathcal{N}(0, 1)$ and $u = \\sqrt{q} z$, "
            "$u_1 = \\sqrt{q} z_1$, $u_2 = \\sqrt{q} (c z_1 + \\sqrt{1 - c^2} z_2)$. "
            "A layer maps $q$ by the length map to "
            "$q' = \\sigma_w^2 \\mathbb{E}[\\phi(u)^2] + \\sigma_b^2$, whose fixed point is "
            "$q^*$, and $c$ by the correlation map to $c'$. The slope of the correlation map "
            "at $c = 1$ is $\\chi_1 = \\sigma_w^2 \\mathbb{E}[\\phi'(u)^2]$ at $q^*$. Below 1 "
            "(the ordered phase) nearby inputs merge; above 1 (the chaotic phase) they "
            "separate; on the critical line $\\chi_1 = 1$, the edge of chaos, signals and "
            "gradients both survive through depth. Off the line $|c_l - c^*|$ falls as "
            "$e^{-l/\\xi_c}$, where $\\xi_c = -1/\\log \\chi_c$ and $\\chi_c$ is the slope at "
            "the stable fixed point $c^*$; $|q_l - q^*|$ falls as $e^{-l/\\xi_q}$, where "
            "$\\xi_q = -1/\\log(\\chi_1 + \\sigma_w^2 \\mathbb{E}[\\phi''(u) \\phi(u)])$. "
            "ReLU is exact: $\\chi_1 = \\sigma_w^2/2$, critical at $\\sigma_w^2 = 2$ and "
            "$\\sigma_b^2 = 0$, where $1 - c_l$ falls only as $9 \\pi^2/(2 l^2)$. For tanh "
            "the critical line passes through $(1, 0)$; its other points are numeric."
        ),
        assumptions=(
            "Weights $w$ are i.i.d. with mean 0; biases $b$ are i.i.d. with variance "
            "$\\sigma_b^2$; all are independent of each other and of the inputs.",
            "Wide layers: the pre-activations $h$ of a layer are jointly Gaussian over the "
            "weights (the central limit), so $a = \\phi(h)$ has the law of $\\phi(u)$, and "
            "the pair of inputs that of $(\\phi(u_1), \\phi(u_2))$.",
            "$\\phi$ grows at most polynomially, so the boundary terms of integrations by "
            "parts vanish; where $\\phi$ has a kink, $\\phi(0) = 0$, so $\\phi \\phi''$ has no "
            "delta term.",
            "ReLU: $\\operatorname{relu}(u) = \\max(u, 0)$ and $H$ is the step function; "
            "$\\theta = \\arccos c$; the series use $A = 2 \\sqrt{2}/(3 \\pi)$ and "
            "$B = 3 A^2/8$.",
        ),
        steps=steps,
        results={**_abstract(), **relu_results, **depth_results,
                 "tanh_zero_bias_chi1": sigma_w2,
                 "tanh_zero_bias_critical_weight_variance": solve_one(sigma_w2 - 1, sigma_w2),
                 "tanh_gain_weight_variance": TANH_GAIN_VARIANCE,
                 "tanh_q_star": _rounded(TANH_Q_STAR), "tanh_chi1": _rounded(TANH_CHI1),
                 "tanh_bias_variance": TANH_BIAS,
                 "tanh_critical_weight_variance": _rounded(TANH_CRITICAL_W),
                 "tanh_critical_q_star": _rounded(TANH_CRITICAL_Q)},
    )
