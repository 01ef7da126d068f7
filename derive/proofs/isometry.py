"""Derivation: orthogonal weights and dynamical isometry (Saxe et al. 2014; Pennington,
Schoenholz and Ganguli 2017).

J = D_L W_L ... D_1 W_1, D_l = diag(phi'(h_l)). For g times an orthogonal matrix every
entry has variance g^2/n, n the longer side; a deep linear orthogonal net has J J^T =
g^{2L} I. In the large-width limit the S-transforms multiply, so the spectrum of J J^T has
mean m_L = (sigma_w^2 mu_1)^L and variance over squared mean v_L = L (mu_2/mu_1^2 - 1 - s_1),
mu_k = E[phi'(h)^{2k}], s_1 = 0 for orthogonal and -1 for Gaussian weights.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from derive.derivation import Derivation, Step, chain, solve_one
from derive.notation import E, GaussianE, NumericGaussianE, Var

g = sp.Symbol("g", positive=True)
n = sp.Symbol("n", positive=True, integer=True)
L = sp.Symbol("L", positive=True, integer=True)
q = sp.Symbol("q", positive=True)
h = sp.Symbol("h", real=True)
z = sp.Symbol("z")
i, j = sp.symbols("i j", positive=True, integer=True)
sigma_w2 = sp.Symbol("sigma_w^2", positive=True)
sigma_b2 = sp.Symbol("sigma_b^2", nonnegative=True)
mu1, mu2 = sp.Symbol("mu_1", positive=True), sp.Symbol("mu_2", positive=True)
m1, m2 = sp.Symbol("m_1", positive=True), sp.Symbol("m_2", positive=True)
s1 = sp.Symbol("s_1", real=True)
m_prev = sp.Symbol("m_{L-1}", positive=True)
m_last, v_last = sp.Symbol("m_L", positive=True), sp.Symbol("v_L", nonnegative=True)
v_prev = sp.Symbol("v_{L-1}", real=True)
M, r, mean, nvar = (sp.IndexedBase(s) for s in ("M", "r", "m", "v"))
phi = sp.Function("phi")
S_JJ = sp.Function("S_{J_L J_L^T}")

DIGITS = 30
TANH_Q = sp.Rational(1, 64)
"""The tanh fixed point of the numeric step: q* = 1/64, as in Pennington et al. (2017)."""


class NumericE(NumericGaussianE):
    """derive's numeric Gaussian expectation, to `DIGITS` digits."""

    digits = DIGITS


def _entry_steps() -> tuple[Step, ...]:
    """Var(M_ij) = g^2/n for g times a Haar matrix with orthonormal rows of length n."""
    row = sp.Sum(M[i, j] ** 2, (j, 1, n))
    unknown = sp.Symbol("x")
    return (
        Step(E(row), g**2, "row $i$ of $M$ is $g$ times a unit vector: the sum is $g^2$ exactly",
             {E(row): g**2}),
        Step(E(row), n * E(M[i, 1] ** 2),
             "linearity; exchangeability: permuting the columns leaves the law of $M$ unchanged, "
             "so every $\\mathbb{E}[M_{ij}^2]$ is the same",
             {E(row): sp.Sum(E(M[i, 1] ** 2), (j, 1, n))}),
        Step(E(M[i, 1] ** 2), g**2 / n,
             "the two lines together: $n \\mathbb{E}[M_{i1}^2] = g^2$",
             {E(M[i, 1] ** 2): solve_one(n * unknown - g**2, unknown)}),
        Step(E(M[i, j]), 0, "flipping the sign of column $j$ leaves the law unchanged: "
             "$\\mathbb{E}[M_{ij}] = -\\mathbb{E}[M_{ij}]$",
             {E(M[i, j]): solve_one(2 * unknown, unknown)}),
        Step(Var(M[i, j]), g**2 / n,
             "$\\operatorname{Var}(M_{ij}) = \\mathbb{E}[M_{ij}^2] - \\mathbb{E}[M_{ij}]^2$, "
             "and every $\\mathbb{E}[M_{ij}^2]$ is $\\mathbb{E}[M_{i1}^2]$",
             {Var(M[i, j]): E(M[i, j] ** 2) - E(M[i, j]) ** 2, E(M[i, j] ** 2): g**2 / n,
              E(M[i, j]): 0}),
        Step(sp.gamma(sp.Rational(3, 2)) * sp.gamma(n / 2)
             / (sp.gamma(sp.Rational(1, 2)) * sp.gamma(n / 2 + 1)), 1 / n,
             "check: one coordinate $t$ of a uniform unit vector has density proportional to "
             "$(1 - t^2)^{(n-3)/2}$, so $\\mathbb{E}[t^2] = B(3/2, (n-1)/2) / B(1/2, (n-1)/2)$, "
             "a ratio of Gamma functions"),
    )


def _linear_steps() -> tuple[Step, ...]:
    """r_L = |J x|^2/|x|^2 = g^{2L}: every singular value of a deep linear orthogonal net."""
    r1 = sp.ImmutableMatrix([[sp.Rational(3, 5), -sp.Rational(4, 5)],
                             [sp.Rational(4, 5), sp.Rational(3, 5)]])
    r2 = sp.ImmutableMatrix([[sp.Rational(5, 13), -sp.Rational(12, 13)],
                             [sp.Rational(12, 13), sp.Rational(5, 13)]])
    example = g**2 * (r2 * r1)
    return (
        Step(r[L], g**2 * r[L - 1], "$\\phi' = 1$ and $W_L/g$ is orthogonal: "
             "$|W_L y|^2 = g^2 |y|^2$ for every $y$", {r[L]: g**2 * r[L - 1]}),
        Step(g**2 * r[L - 1], g ** (2 * L),
             "induction hypothesis $r_{L-1} = g^{2(L-1)}$, from $r_0 = 1$",
             {r[L - 1]: g ** (2 * L - 2)}),
        Step(sp.sqrt(r[L]), g**L, "a singular value $s$ of $J$ is $\\sqrt{r_L}$ at its "
             "singular vector $x$: all of them equal $g^L$", {r[L]: g ** (2 * L)}),
        Step(g**L, 1, "at gain $g = 1$: $J$ is an isometry", {g: 1}),
        Step(sp.MatMul(example, example.T, evaluate=False), sp.ImmutableMatrix(g**4 * sp.eye(2)),
             "example, $L = 2$: $J$ is the product of two rotations with rational entries, each "
             "times $g$"),
    )


def _s_transform_steps() -> tuple[Step, ...]:
    """S(z) = (1 - v z)/m_1 + O(z^2), v = m_2/m_1^2 - 1, from the moment series."""
    chi = z / m1 - m2 * z**2 / m1**3
    return (
        Step(m1 * chi + m2 * chi**2, z + sp.O(z**3),
             "$M(z) = m_1 z + m_2 z^2 + O(z^3)$ has the inverse "
             "$\\chi(z) = z/m_1 - m_2 z^2/m_1^3 + O(z^3)$: $M(\\chi(z)) = z + O(z^3)$"),
        Step((1 + z) / z * chi, (1 - (m2 / m1**2 - 1) * z) / m1 + sp.O(z**2),
             "the S-transform $S(z) = \\chi(z) (1 + z)/z$"),
    )


def _weight_steps() -> tuple[Step, ...]:
    """v of W W^T: 0 for orthogonal weights; 1 + 1/n, tending to 1, for Gaussian ones."""
    w = sp.MatrixSymbol("W", n, n)
    trace2 = E(sp.Trace(w * w.T * w * w.T))
    pairings = (sigma_w2 / n) ** 2 * (n * n**2 + n * n + n**2 * n)
    return (
        Step(m2 / m1**2 - 1, 0, "orthogonal: $W W^T = g^2 I$, so $m_1 = g^2$, $m_2 = g^4$",
             {m1: g**2, m2: g**4}),
        Step(trace2, sigma_w2**2 * (2 * n + 1),
             "Gaussian $\\mathcal{N}(0, \\sigma_w^2/n)$: Wick's three pairings of "
             "$W_{ij} W_{kj} W_{kl} W_{il}$ count $n \\cdot n^2$, $n \\cdot n$ and $n^2 \\cdot n$ "
             "terms", {trace2: pairings}),
        Step(m2 / m1**2 - 1, 1 + 1 / n, "$m_1 = \\operatorname{tr}(W W^T)/n = \\sigma_w^2$, "
             "$m_2 = \\mathbb{E}[\\operatorname{tr}(W W^T W W^T)]/n$",
             {m1: sigma_w2, m2: sigma_w2**2 * (2 * n + 1) / n}),
        Step(1 + 1 / n, 1, "large width: $s_1 = -v = -1$ (Marchenko-Pastur)", limit=n),
    )


def _product_steps(term: sp.Expr) -> tuple[Step, ...]:
    """The S-transform of J_L J_L^T layer by layer: m_L and v_L."""
    s_prev = (1 - v_prev * z) / m_prev
    s_w = (1 + s1 * z) / sigma_w2
    s_d = (1 - (mu2 / mu1**2 - 1) * z) / mu1
    product = (1 - (v_prev + term) * z) / (m_prev * sigma_w2 * mu1) + sp.O(z**2)
    c = sp.Symbol("c")
    return (
        Step(S_JJ(z), s_prev * s_w * s_d,
             "freeness: $S_{J_L J_L^T} = S_{J_{L-1} J_{L-1}^T} S_{W W^T} S_{D^2}$, each to first "
             "order; $D^2$ has the moments $\\mu_k$", {S_JJ(z): s_prev * s_w * s_d}),
        Step(s_prev * s_w * s_d, product, "multiply; keep the terms of order $z$"),
        Step(sigma_w2 * mu1 * mean[L - 1], (sigma_w2 * mu1) ** L,
             "read off: $m_L = \\sigma_w^2 \\mu_1 m_{L-1}$; induction from $m_0 = 1$ ($J_0 = I$)",
             {mean[L - 1]: (sigma_w2 * mu1) ** (L - 1)}),
        Step(nvar[L - 1] + c, L * c,
             "read off: $v_L = v_{L-1} + c$ with $c = \\mu_2/\\mu_1^2 - 1 - s_1$; "
             "induction from $v_0 = 0$", {nvar[L - 1]: (L - 1) * c}),
    )


def _case_steps(variance: sp.Expr) -> tuple[Step, ...]:
    """The four closed cases, and ReLU's mu_k = 1/2."""
    relu_mu = {mu1: sp.Rational(1, 2), mu2: sp.Rational(1, 2)}
    return (
        Step(GaussianE(sp.Heaviside(h) ** 2, h, q), sp.Rational(1, 2),
             "ReLU: $\\phi'(h) = \\theta(h)$, the unit step, so "
             "$\\mu_1 = \\operatorname{P}(h > 0)$"),
        Step(GaussianE(sp.Heaviside(h) ** 4, h, q), sp.Rational(1, 2),
             "and $\\mu_2 = 1/2$ too: $\\mu_2/\\mu_1^2 = 2$"),
        Step(variance, L, "linear ($\\mu_1 = \\mu_2 = 1$), Gaussian ($s_1 = -1$)",
             {mu1: 1, mu2: 1, s1: -1}),
        Step(variance, 0, "linear, orthogonal ($s_1 = 0$)", {mu1: 1, mu2: 1, s1: 0}),
        Step(variance, L, "ReLU, orthogonal", {**relu_mu, s1: 0}),
        Step(variance, 2 * L, "ReLU, Gaussian", {**relu_mu, s1: -1}),
    )


def tanh_terms(variance: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """(mu_1, mu_2) of tanh at pre-activation variance `variance`: E[sech^4], E[sech^8]."""
    cls = NumericE if variance.is_number else GaussianE
    return cls(sp.sech(h) ** 4, h, variance), cls(sp.sech(h) ** 8, h, variance)


def _tanh_steps() -> tuple[Step, ...]:
    """tanh: mu_2/mu_1^2 - 1 = 8 q^2 + O(q^3), and its value at q* = 1/64."""
    small1, small2 = 1 - 2 * q + 7 * q**2, 1 - 4 * q + 26 * q**2
    series1 = 1 - 2 * h**2 + sp.Rational(7, 3) * h**4
    series2 = 1 - 4 * h**2 + sp.Rational(26, 3) * h**4
    at = tanh_terms(TANH_Q)
    ratio = at[1] / at[0] ** 2 - 1
    fixed_point = sigma_w2 * E(phi(h) ** 2) + sigma_b2 - q
    return (
        Step(sigma_w2, 1 / mu1, "criticality: $\\sigma_w^2 \\mu_1 = 1$",
             {sigma_w2: solve_one(sigma_w2 * mu1 - 1, sigma_w2)}),
        Step(sigma_b2, q - sigma_w2 * E(phi(h) ** 2),
             "the bias that makes $q$ the fixed point of the length map",
             {sigma_b2: solve_one(fixed_point, sigma_b2)}),
        Step(sp.sech(h) ** 4, series1 + sp.O(h**6),
             "tanh: $\\phi'(h)^2 = \\operatorname{sech}^4(h)$, Taylor series at 0"),
        Step(sp.sech(h) ** 8, series2 + sp.O(h**6), "and its square"),
        Step(GaussianE(series1, h, q), small1,
             "$\\mathbb{E}[h^2] = q$, $\\mathbb{E}[h^4] = 3 q^2$: $\\mu_1$"),
        Step(GaussianE(series2, h, q), small2, "$\\mu_2$, both up to $O(q^3)$"),
        Step(small2 / small1**2 - 1, 8 * q**2 + sp.O(q**3),
             "so tanh adds $8 q^2$ per layer with orthogonal weights: small for small $q$"),
        Step(ratio, ratio.doit(), f"numeric ({DIGITS} digits, quadrature) at $q = 1/64$"),
    )


@cache
def isometry() -> Derivation:
    """Orthogonal entries have variance g^2/n; deep linear orthogonal nets are isometries;
    the spectrum of J J^T has mean (sigma_w^2 mu_1)^L and variance over squared mean
    L (mu_2/mu_1^2 - 1 - s_1)."""
    term = mu2 / mu1**2 - 1 - s1
    normalized = L * term
    variance = (sigma_w2 * mu1) ** (2 * L) * normalized
    critical = variance.subs(sigma_w2, 1 / mu1)
    m2_sym = sp.Symbol("m_2^{J}", positive=True)
    steps = (
        *_entry_steps(),
        *_linear_steps(),
        *_s_transform_steps(),
        *_weight_steps(),
        *_product_steps(term),
        *chain(m2_sym - m_last**2,
               (m_last**2 * v_last, "$v_L$ is the variance over the squared mean",
                {m2_sym: m_last**2 * (1 + v_last)}),
               (variance, "the two recursions solved",
                {m_last: (sigma_w2 * mu1) ** L, v_last: normalized})),
        Step(variance, normalized, "criticality $\\sigma_w^2 \\mu_1 = 1$: the mean is 1",
             {sigma_w2: 1 / mu1}),
        *_case_steps(critical),
        *_tanh_steps(),
    )
    return Derivation(
        key="isometry",
        title="Dynamical isometry: orthogonal weights and the spectrum of the Jacobian",
        summary=(
            "The input-output Jacobian of an $L$-layer net is $J = D_L W_L \\cdots D_1 W_1$ "
            "with $D_l = \\mathrm{diag}(\\phi'(h_l))$. A matrix $M$ with orthonormal rows "
            "(or columns) times a gain $g$ has entries of variance $g^2/n$, $n$ its longer "
            "side. A deep linear net of such square matrices has $J J^T = g^{2L} I$: every "
            "singular value is $g^L$, exactly 1 at $g = 1$ (Saxe et al. 2014). With "
            "nonlinearities, free probability gives the moments of the spectrum of $J J^T$ "
            "at large width (Pennington et al. 2017): mean $(\\sigma_w^2 \\mu_1)^L$ and, "
            "at criticality $\\sigma_w^2 \\mu_1 = 1$, variance "
            "$L (\\mu_2/\\mu_1^2 - 1 - s_1)$, with $\\mu_k = \\mathbb{E}[\\phi'(h)^{2k}]$ and "
            "$s_1 = 0$ for orthogonal, $-1$ for Gaussian weights. The variance grows like "
            "$L$ for linear Gaussian and ReLU orthogonal nets, like $2L$ for ReLU Gaussian "
            "ones, stays 0 for linear orthogonal ones, and is about $8 q^2 L$ for tanh with "
            "orthogonal weights at a small fixed point $q$."
        ),
        assumptions=(
            "Every layer is square, $n \\times n$: $h_l = W_l x_{l-1} + b_l$, "
            "$x_l = \\phi(h_l)$, and $J = \\partial x_L / \\partial x_0$.",
            "Orthogonal weights: $W = g Q$, $Q$ Haar-distributed on the matrices with "
            "orthonormal rows or columns; its law is unchanged by permuting the columns and "
            "by flipping the sign of a column. $\\sigma_w^2 = n \\operatorname{Var}(w) = g^2$.",
            "Gaussian weights: i.i.d. $\\mathcal{N}(0, \\sigma_w^2/n)$.",
            "Large width: the $W_l$ and the $D_l$ are asymptotically free, so the "
            "S-transforms of $W W^T$, $D^2$ and $J J^T$ multiply (Voiculescu; cited as in "
            "Pennington et al. 2017). For a spectrum with moments $m_1, m_2$: moment series "
            "$M(z) = \\sum_k m_k z^k$, S-transform $S(z) = M^{-1}(z) (1 + z)/z$, and "
            "$v = m_2/m_1^2 - 1$.",
            "The pre-activations are at a fixed point $q$ of the length map "
            "$q = \\sigma_w^2 \\mathbb{E}[\\phi(h)^2] + \\sigma_b^2$, so every $D_l$ has the "
            "law of $\\phi'(h)$, $h \\sim \\mathcal{N}(0, q)$, and "
            "$\\mu_k = \\mathbb{E}[\\phi'(h)^{2k}]$.",
        ),
        steps=steps,
        results={
            "entry_variance": g**2 / n,
            "marginal_shape": (n - 1) / 2,
            "linear_singular_value": g**L,
            "mean_step": sigma_w2 * mu1 * m_prev,
            "variance_step": v_prev + term,
            "spectrum_mean": (sigma_w2 * mu1) ** L,
            "normalized_variance": normalized,
            "spectrum_variance": variance,
            "critical_variance": critical,
            "critical_weight_variance": 1 / mu1,
            "critical_bias_variance": q - sigma_w2 * E(phi(h) ** 2),
            "length_map": sigma_w2 * E(phi(h) ** 2) + sigma_b2,
            "variance_of_spectrum": m_last**2 * v_last,
            "s1_orthogonal": sp.Integer(0),
            "s1_gaussian": sp.Integer(-1),
            "gaussian_ratio": 2 + 1 / n,
            "relu_mu": sp.Rational(1, 2),
            "tanh_small_q": 8 * q**2,
            "tanh_orthogonal_term": steps[-1].new,
        },
    )
