"""Mean-field theory of one layer: the Gaussian moments of φ and φ' at pre-activation variance q.

Forward: q_l = σ_l²·n_{l−1}·E[a_{l−1}²] + σ_b², E[a_l^k] = E[φ(√q_l z)^k], z ~ N(0, 1);
for a linear net this is derive's product Var(a_L) = ∏_l n_{l−1}Var(W_l)·Var(x).
Backward: Var(δ_L) = E[φ'(z_L)²], Var(δ_l) = n_{l+1}σ_{l+1}²·Var(δ_{l+1})·E[φ'(z_l)²].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from derive import Scheme
from verify.propagation.quadrature import Activation, expect
from verify.sampling import resolve

STEP = 1e-3  # central difference in log q for the elasticity of E[φ²]


@dataclass(frozen=True)
class GaussianMoments:
    """At x = √q·z, z ~ N(0, 1): E[φ^k] (m1, m2, m4), Var φ, E[φ'²] (d2), E[φ'⁴] (d4), the
    first Hermite coefficients a1 = E[φ·z], b1 = E[φ²·z], g1 = E[φ'²·z], the kurtoses
    κ = E[φ⁴]/E[φ²]² and κ' = E[φ'⁴]/E[φ'²]², the fourth central moment, and E[φ²]'s
    elasticity e_m2 = d log E[φ²] / d log q."""

    q: float
    m1: float
    m2: float
    m4: float
    var: float
    d2: float
    d4: float
    a1: float
    b1: float
    g1: float
    kappa: float
    kappa_grad: float
    central4: float
    e_m2: float


def gaussian_moments(phi: Activation, q: float) -> GaussianMoments:
    """The moments of φ and φ' at pre-activation variance q."""
    r = np.sqrt(q) if q > 0 else 1.0
    fns = [phi, lambda x: phi(x) ** 2, lambda x: phi(x) ** 3, lambda x: phi(x) ** 4,
           lambda x: phi.grad(x) ** 2, lambda x: phi.grad(x) ** 4,
           lambda x: phi(x) * x / r, lambda x: phi(x) ** 2 * x / r,
           lambda x: phi.grad(x) ** 2 * x / r]
    m1, m2, m3, m4, d2, d4, a1, b1, g1 = expect(fns, q)
    e_m2 = 0.0
    if q > 0:
        up, down = (expect(fns[1:2], q * np.exp(sign * STEP))[0] for sign in (1, -1))
        if up > 0 and down > 0:
            e_m2 = float(np.log(up / down) / (2 * STEP))
    return GaussianMoments(
        q=q, m1=m1, m2=m2, m4=m4, var=max(m2 - m1**2, 0.0), d2=d2, d4=d4, a1=a1, b1=b1, g1=g1,
        kappa=m4 / m2**2 if m2 > 0 else 0.0, kappa_grad=d4 / d2**2 if d2 > 0 else 0.0,
        central4=m4 - 4 * m1 * m3 + 6 * m1**2 * m2 - 3 * m1**4, e_m2=e_m2)


def weight_variances(init: Scheme | str, widths: Sequence[int]) -> np.ndarray:
    """σ_l² = scheme.variance_at(n_{l−1}, n_l) for a scheme or scheme name."""
    if not isinstance(init, str | Scheme):
        raise TypeError(f"predict needs a scheme or a scheme name, got {init!r}")
    scheme = resolve(init)
    return np.array([scheme.variance_at(widths[l - 1], widths[l]) for l in range(1, len(widths))])


def linear_variances(sigma2: np.ndarray, widths: Sequence[int]) -> np.ndarray:
    """Var(a_l) = ∏_{m≤l} k_m with derive's layer factor k_m = n_{m−1}·Var(W_m), Var(x) = 1."""
    import sympy as sp

    from derive import layer_factor_at

    n, v = sp.symbols("n v", positive=True)
    factor = sp.lambdify((n, v), layer_factor_at(n, v), "math")
    return np.cumprod([float(factor(widths[l - 1], float(sigma2[l - 1])))
                       for l in range(1, len(widths))])
