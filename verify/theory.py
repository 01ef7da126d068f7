"""Mean-field theory of signal propagation: `predict`, its Monte Carlo tolerances, and `gain`.

Forward: q_l = σ_l²·n_{l−1}·E[a_{l−1}²] + σ_b², E[a_l^k] = E[φ(√q_l z)^k], z ~ N(0, 1);
for a linear net this is derive's product Var(a_L) = ∏_l n_{l−1}Var(W_l)·Var(x).
Backward: Var(δ_L) = E[φ'(z_L)²], Var(δ_l) = n_{l+1}σ_{l+1}²·Var(δ_{l+1})·E[φ'(z_l)²].

Tolerances follow from the spread of the estimates. Given a_{l−1}, layer l's
n_l units are independent, so the log of their mean square has variance
(κ_l − 1)/n_l with κ = E[φ⁴]/E[φ²]² (2/n for linear, 5/n for ReLU), and the
error carried in log q_l passes on with elasticity d log E[φ²]/d log q:
s_l² = e_l²·s_{l−1}² + (κ_l − 1)/n_l, so s_L ≈ √(5L/n) for ReLU, whatever the batch.
Each prediction is re-evaluated at q_l·e^{±k·s_q}, and the largest move it makes
there is added to its own fresh noise: k·√((κ_c − 1)/n) for log Var(a) (κ_c the
central kurtosis), k·√(Var(a)/n) for the mean, and for the gradients
k·√(Σ (3κ'_m − 1)/n_m) with κ' = E[φ'⁴]/E[φ'²]², the moves summed over the
layers above. k is the two-sided normal quantile at α / (number of comparisons).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from verify.gaussian import Activation, activation, expect
from verify.montecarlo import Profile, layer_widths

STEP = 1e-3  # central difference in log q for the elasticities


def weight_variances(init: object, widths: Sequence[int]) -> np.ndarray:
    """σ_l² = scheme.variance_at(n_{l−1}, n_l) for a scheme or scheme name."""
    from derive import SCHEMES, Scheme

    scheme = SCHEMES.get(init) if isinstance(init, str) else init
    if not isinstance(scheme, Scheme):
        raise TypeError(f"predict needs a scheme or a scheme name, got {init!r}")
    return np.array([scheme.variance_at(widths[l - 1], widths[l]) for l in range(1, len(widths))])


def linear_variances(sigma2: np.ndarray, widths: Sequence[int]) -> np.ndarray:
    """Var(a_l) = ∏_{m≤l} k_m with derive's layer factor k_m = n_{m−1}·Var(W_m), Var(x) = 1."""
    from derive.depth import layer_factor, weight, width
    from derive.notation import Var

    factors = []
    for l in range(1, len(widths)):
        k = layer_factor(l).subs({width[l - 1]: widths[l - 1], Var(weight[l]): sigma2[l - 1]})
        factors.append(float(k))
    return np.cumprod(factors)


def _moments(phi: Activation, q: float) -> dict[str, float]:
    """E[φ^k] for k = 1..4, E[φ'^2], E[φ'^4] at x ~ N(0, q), and E[φ²]'s elasticity in q."""
    fns = [phi, lambda x: phi(x) ** 2, lambda x: phi(x) ** 3, lambda x: phi(x) ** 4,
           lambda x: phi.grad(x) ** 2, lambda x: phi.grad(x) ** 4]
    m1, m2, m3, m4, d2, d4 = expect(fns, q)
    out = {"m1": m1, "m2": m2, "var": max(m2 - m1**2, 0.0), "d2": d2,
           "kappa": m4 / m2**2 if m2 > 0 else 0.0,
           "kappa_grad": d4 / d2**2 if d2 > 0 else 0.0}
    central4 = m4 - 4 * m1 * m3 + 6 * m1**2 * m2 - 3 * m1**4
    out["kappa_c"] = central4 / out["var"] ** 2 if out["var"] > 0 else 0.0
    out["e_m2"] = 0.0  # the elasticity d log E[φ²] / d log q, by a central difference
    if q > 0:
        up, down = (expect(fns[1:2], q * np.exp(sign * STEP))[0] for sign in (1, -1))
        if up > 0 and down > 0:
            out["e_m2"] = float(np.log(up / down) / (2 * STEP))
    return out


def _band(phi: Activation, row: dict[str, float], s_q: float, k: float,
          n: int) -> dict[str, float]:
    """How far q within e^{±k·s_q} moves the predictions: the mean (absolute, plus
    k·√(Var(a)/n) for the spread of the unit means), log Var(a) and log E[φ'²]."""
    fns = [phi, lambda x: phi(x) ** 2, lambda x: phi.grad(x) ** 2]
    band = [expect(fns, row["q"] * np.exp(sign * k * s_q)) for sign in (1, -1)]
    var = [max(m2 - m1**2, 0.0) for m1, m2, _ in band]

    def log_shift(values: list[float], centre: float) -> float:
        if centre <= 0:
            return 0.0 if all(v == 0 for v in values) else np.inf
        return max(abs(np.log(v / centre)) if v > 0 else np.inf for v in values)

    return {"mean_tol": max(abs(m1 - row["m1"]) for m1, _, _ in band)
            + k * np.sqrt(max(row["var"], *var) / n),
            "var_shift": log_shift(var, row["var"]),
            "grad_shift": log_shift([d2 for _, _, d2 in band], row["d2"])}


def predict(init: object, activation_name: str, *, depth: int, width: int | Sequence[int],
            bias: float = 0.0, slope: float = 0.01, alpha: float = 1e-6) -> Profile:
    """The per-layer mean, std, var and grad_var `propagate` should measure, with tolerances.

    `tolerance['var']` and `['grad_var']` are half-widths in log space,
    `['mean']` is absolute.
    """
    widths = layer_widths(width, depth)
    sigma2 = weight_variances(init, widths)
    phi = activation(activation_name, slope)
    k = stats.norm.isf(alpha / (2 * 3 * depth))
    rows: list[dict[str, float]] = []
    m2, s_m2 = 1.0, np.sqrt(2 / widths[0])  # the unit-Gaussian input
    for l in range(1, depth + 1):
        signal = sigma2[l - 1] * widths[l - 1] * m2
        q = signal + bias**2
        row = _moments(phi, q) | {"q": q, "s_q": (signal / q if q > 0 else 0.0) * s_m2}
        if activation_name == "linear" and not bias:
            row["m2"] = row["var"] = float(linear_variances(sigma2, widths)[l - 1])
        row |= _band(phi, row, row["s_q"], k, widths[l])
        rows.append(row)
        s_m2 = np.sqrt((row["e_m2"] * row["s_q"]) ** 2 + max(row["kappa"] - 1, 0) / widths[l])
        m2 = row["m2"]

    grad = np.empty(depth)
    g = 1.0  # Var of the unit-Gaussian output gradient
    for l in range(depth, 0, -1):
        g *= rows[l - 1]["d2"]
        grad[l - 1] = g
        g *= widths[l - 1] * sigma2[l - 1]

    col = {key: np.array([r[key] for r in rows]) for key in rows[0]}
    n = np.array(widths[1:], dtype=float)
    var_tol = col["var_shift"] + k * np.sqrt(np.maximum(col["kappa_c"] - 1, 0) / n)
    fresh = np.maximum(3 * col["kappa_grad"] - 1, 0) / n
    grad_tol = k * np.sqrt(np.cumsum(fresh[::-1])[::-1]) + np.cumsum(col["grad_shift"][::-1])[::-1]
    return Profile("predicted", activation_name, widths, col["m1"], np.sqrt(col["var"]),
                   col["var"], grad, pre_var=col["q"],
                   tolerance={"var": var_tol, "mean": col["mean_tol"], "grad_var": grad_tol})


@dataclass(frozen=True)
class Comparison:
    """Measured against predicted, per layer; `ok[name]` says which layers agree."""

    measured: Profile
    predicted: Profile
    ok: dict[str, np.ndarray]

    @property
    def agree(self) -> bool:
        return all(bool(v.all()) for v in self.ok.values())

    def __str__(self) -> str:
        m, p, t = self.measured, self.predicted, self.predicted.tolerance or {}
        head = (f"{'layer':>5} {'mean':>10} {'predicted':>10} {'±':>8}  {'std':>10} "
                f"{'predicted':>10} {'log ±':>6}")
        if m.grad_var is not None:
            head += f"  {'grad var':>10} {'predicted':>10} {'log ±':>6}"
        lines = [head]
        for i in range(m.depth):
            flag = "" if all(v[i] for v in self.ok.values()) else "  <- differs"
            line = (f"{i + 1:>5} {m.mean[i]:>10.4g} {p.mean[i]:>10.4g} {t['mean'][i]:>8.2g}  "
                    f"{m.std[i]:>10.4g} {p.std[i]:>10.4g} {t['var'][i] / 2:>6.3f}")
            if m.grad_var is not None:
                line += (f"  {m.grad_var[i]:>10.4g} {p.grad_var[i]:>10.4g} "
                         f"{t['grad_var'][i]:>6.3f}")
            lines.append(line + flag)
        lines.append("agree within tolerance" if self.agree else "DIFFER beyond tolerance")
        return "\n".join(lines)


def _log_close(measured: np.ndarray, predicted: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """|log m − log p| ≤ tol where both are positive; otherwise both must be zero."""
    both = (measured > 0) & (predicted > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.abs(np.log(np.where(both, measured, 1.0)) - np.log(np.where(both, predicted, 1)))
    return np.where(both, diff <= tol, (measured == 0) & (predicted == 0))


def compare(measured: Profile, predicted: Profile) -> Comparison:
    """Per layer: the log variances and the means within the predicted tolerances."""
    if measured.widths != predicted.widths:
        raise ValueError(f"widths differ: {measured.widths} and {predicted.widths}")
    tol = predicted.tolerance or {}
    ok = {"var": _log_close(measured.var, predicted.var, tol["var"]),
          "mean": np.abs(measured.mean - predicted.mean) <= tol["mean"]}
    if measured.grad_var is not None and predicted.grad_var is not None:
        ok["grad_var"] = _log_close(measured.grad_var, predicted.grad_var, tol["grad_var"])
    return Comparison(measured, predicted, ok)


@dataclass(frozen=True)
class Gain:
    """Gains that keep E[a²] (forward) or E[δ²] (backward) at 1 per layer with Var(W) = g²/n."""

    activation: str
    forward: float
    backward: float
    forward_exact: object | None
    backward_exact: object | None


def gain(activation_name: str, slope: float = 0.01) -> Gain:
    """forward = 1/√E[φ(z)²], backward = 1/√E[φ'(z)²], z ~ N(0, 1); sympy's where it integrates."""
    import sympy as sp

    from derive.activations import slope as slope_symbol
    from derive.nonlinear import exact_moment

    phi = activation(activation_name, slope)
    numeric = expect([lambda x: phi(x) ** 2, lambda x: phi.grad(x) ** 2], 1.0)
    out = []
    for which, value in zip(("forward", "backward"), numeric, strict=True):
        m = exact_moment(activation_name, which)
        exact = None if m is None else (1 / sp.sqrt(m)).subs(slope_symbol, sp.nsimplify(slope))
        out.append((float(exact) if exact is not None else 1 / np.sqrt(value), exact))
    (fwd, fwd_exact), (bwd, bwd_exact) = out
    return Gain(activation_name, fwd, bwd, fwd_exact, bwd_exact)
