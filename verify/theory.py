"""Mean-field theory of signal propagation: `predict`, its Monte Carlo tolerances, and `gain`.

Forward: q_l = σ_l²·n_{l−1}·E[a_{l−1}²] + σ_b², E[a_l^k] = E[φ(√q_l z)^k], z ~ N(0, 1);
for a linear net this is derive's product Var(a_L) = ∏_l n_{l−1}Var(W_l)·Var(x).
Backward: Var(δ_L) = E[φ'(z_L)²], Var(δ_l) = n_{l+1}σ_{l+1}²·Var(δ_{l+1})·E[φ'(z_l)²].

Tolerances follow from the spread of the estimates. Given a_{l−1}, layer l's
n_l units are independent, so the log of one input's mean square has variance
(κ_l − 1)/n_l with κ = E[φ⁴]/E[φ²]² (2/n for linear, 5/n for ReLU), and the
error carried in log q_l passes on with elasticity e_l = d log E[φ²]/d log q:
s_l² = e_l²·s_{l−1}² + (κ_l − 1)/n_l, so s_L ≈ √(5L/n) for ReLU. e_l is the
largest secant elasticity from q_l to q_l·e^{±k·s_l}, so that the tails follow
the map where it is not a power of q (SiLU, GELU), and a bias dilutes the
spread by signal/q at the upper tail, not the centre.

The measured statistics pool B inputs. Their fresh noise is
Var f / B + (1 − 1/B)·(mean over input pairs of Cov(f(u), f(v))), and by Mehler's
expansion Cov = Σ_k c_k²ρ^k ≤ c_1²·E[ρ] + (Var f − c_1²)·E[ρ²], with c_1 = E[f·z]
and ρ the pre-activations' correlation between two inputs. Bounds on E[ρ] and E[ρ²]
are carried through the layers by the correlation map plus a finite-width noise
≤ E[φ(u)²φ(v)²]/(n·E[φ²]²). When inputs stay decorrelated (linear, tanh) this shrinks
the spread by up to √B; when they correlate (ReLU: E[ρ] → 1) it does not. The
pooled spread p_l follows the same recursion. It is kept at or above the
Fenton–Wilkinson spread of a mean of B lognormals of spread s_l, because one
heavy-tailed input dominates a batch mean.

A prediction's tolerance is the sum of three parts: its largest move when q_l is
re-evaluated at q_l·e^{±k·p_l}; k times the sd of its fresh noise; and the drift of a
batch mean, which is E[a], E[a²] or Var(a) averaged over inputs whose log q spreads
by s_l (Gauss–Hermite).
Gradients pool their fresh noise the same way (one input's is (3κ'_m − 1)/n_m with
κ' = E[φ'⁴]/E[φ'²]², summed over the layers above), but keep one input's moves of
E[φ'²] at q_l·e^{±k·s_l}, summed over the layers above. k is the two-sided normal
quantile at α / (number of comparisons).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from verify.gaussian import Activation, activation, expect
from verify.montecarlo import Profile, layer_widths

STEP = 1e-3  # central difference in log q for the elasticities
LOG_Q_CAP = 40.0  # the widest band in log q: e^40·q is past every scale that matters
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(7)
HERMITE = (_NODES, _WEIGHTS / _WEIGHTS.sum())  # expectations over z ~ N(0, 1)


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
    """E[φ^k] for k = 1..4, E[φ'^2], E[φ'^4], the first Hermite coefficients
    a1 = E[φ·z], b1 = E[φ²·z] and g1 = E[φ'²·z], all at x = √q·z, and E[φ²]'s
    elasticity in q."""
    r = np.sqrt(q) if q > 0 else 1.0
    fns = [phi, lambda x: phi(x) ** 2, lambda x: phi(x) ** 3, lambda x: phi(x) ** 4,
           lambda x: phi.grad(x) ** 2, lambda x: phi.grad(x) ** 4,
           lambda x: phi(x) * x / r, lambda x: phi(x) ** 2 * x / r,
           lambda x: phi.grad(x) ** 2 * x / r]
    m1, m2, m3, m4, d2, d4, a1, b1, g1 = expect(fns, q)
    out = {"m1": m1, "m2": m2, "m4": m4, "var": max(m2 - m1**2, 0.0), "d2": d2, "d4": d4,
           "a1": a1, "b1": b1, "g1": g1,
           "kappa": m4 / m2**2 if m2 > 0 else 0.0,
           "kappa_grad": d4 / d2**2 if d2 > 0 else 0.0}
    out["central4"] = m4 - 4 * m1 * m3 + 6 * m1**2 * m2 - 3 * m1**4
    out["e_m2"] = 0.0  # the elasticity d log E[φ²] / d log q, by a central difference
    if q > 0:
        up, down = (expect(fns[1:2], q * np.exp(sign * STEP))[0] for sign in (1, -1))
        if up > 0 and down > 0:
            out["e_m2"] = float(np.log(up / down) / (2 * STEP))
    return out


def _band(phi: Activation, row: dict[str, float], s_q: float,
          k: float) -> dict[str, float]:
    """How far q within e^{±k·s_q} moves the predictions: the mean (absolute),
    log Var(a) and log E[φ'²]; the largest Var(a) in the band; the largest
    secant elasticity of E[φ²] from q to either edge, which carries the k·s_q
    tails of log q through the layer where the map is not a power of q; and
    E[φ²] at the upper edge."""
    fns = [phi, lambda x: phi(x) ** 2, lambda x: phi.grad(x) ** 2]
    width = min(k * s_q, LOG_Q_CAP)
    band = [expect(fns, row["q"] * np.exp(sign * width)) for sign in (1, -1)]
    var = [max(m2 - m1**2, 0.0) for m1, m2, _ in band]

    def log_shift(values: list[float], centre: float) -> float:
        if centre <= 0:
            return 0.0 if all(v == 0 for v in values) else np.inf
        return max(abs(np.log(v / centre)) if v > 0 else np.inf for v in values)

    (_, up, _), (_, down, _) = band
    centre = row["m2"]
    secant = [np.log(up / centre), np.log(centre / down)] if width > 0 and down > 0 else [0.0]
    return {"mean_shift": max(abs(m1 - row["m1"]) for m1, _, _ in band),
            "var_max": max(row["var"], *var),
            "var_shift": log_shift(var, row["var"]),
            "grad_shift": log_shift([d2 for _, _, d2 in band], row["d2"]),
            "e_band": max(max(secant) / width if width > 0 else 0.0, row["e_m2"]),
            "m2_up": up}


def _drift(phi: Activation, row: dict[str, float], log_bias: float,
           s_q: float) -> dict[str, float]:
    """The pooled statistics' second-order drift: E[a], E[a²], Var(a) and E[φ'²] averaged over
    inputs whose q_b = q·e^δ spread with δ ~ N(log_bias − s_q²/2, s_q²) (so E[q_b] =
    q·e^{log_bias}), by Gauss–Hermite in δ, against their values at q."""
    nodes, weights = HERMITE
    fns = [phi, lambda x: phi(x) ** 2, lambda x: phi.grad(x) ** 2]
    m1, m2, d2 = weights @ np.array([expect(fns, row["q"] * np.exp(
        np.clip(log_bias - s_q**2 / 2 + s_q * t, -LOG_Q_CAP, LOG_Q_CAP)))
                                 for t in nodes])
    var = max(m2 - m1**2, 0.0)

    def log_ratio(value: float, centre: float) -> float:
        return 0.0 if value == centre else np.log(value / centre) if value * centre > 0 else np.inf

    return {"mean_drift": abs(m1 - row["m1"]), "m2_drift": log_ratio(m2, row["m2"]),
            "var_drift": abs(log_ratio(var, row["var"])),
            "grad_drift": abs(log_ratio(d2, row["d2"]))}


def _cross(c1: float, var: float, mu: tuple[float, float]) -> float:
    """A bound on the average over input pairs of Cov(f(u), f(v)), corr(u, v) = ρ:
    Mehler's Σ_{k≥1} c_k²ρ^k ≤ c_1²·E[ρ] + (Var f − c_1²)·E[ρ²], as |ρ^k| ≤ ρ² for k ≥ 2."""
    return min(max(c1**2 * mu[0] + (var - c1**2) * mu[1], 0.0), var)


def _pooled(var: float, cross: float, batch: int) -> float:
    """Var of one unit's f averaged over `batch` inputs: Var f / B + (1 − 1/B)·mean cross Cov."""
    return var / batch + (1 - 1 / batch) * cross


def _fenton_wilkinson(s: float, batch: int) -> float:
    """The log-spread of the mean of `batch` independent lognormals of log-spread s, by
    Fenton–Wilkinson: √log(1 + (e^{s²} − 1)/B). A floor for the pooled spread, which the
    linear recursion underestimates once one input's spread s is large."""
    return float(np.sqrt(np.log1p(np.expm1(min(s * s, 700.0)) / batch)))


def _fresh(row: dict[str, float], mu: tuple[float, float], batch: int,
           n: int) -> dict[str, float]:
    """Layer l's own noise, given a_{l−1}, in statistics pooled over n units and `batch`
    inputs: the relative variances of E[a²] and Var(a) (Var(a) = E[g], g = (φ − E[φ])²,
    Var g = μ4 − Var(a)², g's first Hermite coefficient E[φ²z] − 2E[φ]E[φz]), the
    variance of the mean, E[η²] ≤ E[φ(u)²φ(v)²]/(n·E[φ²]²) for the next correlation, and
    the cross covariance of φ'² between two inputs relative to E[φ'²]², for the gradients."""
    m2, var = row["m2"], row["var"]
    var_m2 = row["m4"] - m2**2
    cross_m2 = _cross(row["b1"], var_m2, mu)
    var_g = max(row["central4"] - var**2, 0.0)
    cross_g = _cross(row["b1"] - 2 * row["m1"] * row["a1"], var_g, mu)
    return {"m2": _pooled(var_m2, cross_m2, batch) / (n * m2**2) if m2 > 0 else 0.0,
            "var": _pooled(var_g, cross_g, batch) / (n * var**2) if var > 0 else 0.0,
            "mean": _pooled(var, _cross(row["a1"], var, mu), batch) / n,
            "noise": (1 + cross_m2 / m2**2) / n if m2 > 0 else 1.0,
            "grad_cross": (_cross(row["g1"], row["d4"] - row["d2"] ** 2, mu) / row["d2"] ** 2
                           if row["d2"] > 0 else 0.0)}


def _correlations(mu: tuple[float, float], prev: dict[str, float], gain: float, q: float,
                  noise: float) -> tuple[float, float]:
    """Bounds on E[ρ], E[ρ²] over input pairs of the next pre-activation correlation
    ρ' = R(ρ) + η, R(ρ) = (g·E[φ(u)φ(v)] + σ_b²)/q = r0 + r1·ρ + Σ_{j≥2} r_j ρ^j, r_j ≥ 0,
    with g = σ²·n, Σ_{j≥2} r_j = g·(E[φ²] − E[φ]² − a1²)/q, and E[η²] ≤ `noise`."""
    r0 = (q - gain * (prev["m2"] - prev["m1"] ** 2)) / q  # (g·E[φ]² + σ_b²)/q
    r1 = gain * prev["a1"] ** 2 / q
    rest = max(gain * (prev["m2"] - prev["m1"] ** 2 - prev["a1"] ** 2) / q, 0.0)
    mu1 = r0 + r1 * mu[0] + rest * mu[1]
    mu2 = (r0**2 + 2 * r0 * r1 * np.sqrt(mu[1])
           + (r1**2 + rest**2 + 2 * rest * (r0 + r1)) * mu[1] + noise)
    return min(mu1, 1.0), min(mu2, 1.0)


def predict(init: object, activation_name: str, *, depth: int, width: int | Sequence[int],
            batch: int = 1, bias: float = 0.0, slope: float = 0.01,
            alpha: float = 1e-6) -> Profile:
    """The per-layer mean, std, var and grad_var `propagate` should measure, with tolerances
    for statistics pooled over `batch` independent unit-Gaussian inputs.

    `tolerance['var']` and `['grad_var']` are half-widths in log space,
    `['mean']` is absolute.
    """
    widths = layer_widths(width, depth)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be a positive integer, got {batch!r}")
    sigma2 = weight_variances(init, widths)
    phi = activation(activation_name, slope)
    k = stats.norm.isf(alpha / (2 * 3 * depth))
    rows: list[dict[str, float]] = []
    # the unit-Gaussian input: log E[x²]'s spread per input and pooled, its drift, and
    # E[ρ], E[ρ²] of the cosine between two inputs
    m2, s_m2, p_m2, m2_drift = 1.0, np.sqrt(2 / widths[0]), np.sqrt(2 / (widths[0] * batch)), 0.0
    m2_up = m2  # E[a²] at the upper edge of one input's band
    mu, noise = (0.0, 1 / widths[0]), 0.0
    for l in range(1, depth + 1):
        gain = sigma2[l - 1] * widths[l - 1]
        signal = gain * m2
        q = signal + bias**2
        frac = signal / q if q > 0 else 0.0
        # the bias dilutes a spread in E[a²] by signal/q, less so in the upper tail
        tail = max(frac, gain * m2_up / (gain * m2_up + bias**2) if m2_up > 0 else 0.0)
        if rows:
            mu = _correlations(mu, rows[-1], gain, q, noise)
        else:  # the bias, shared by all inputs, correlates their pre-activations
            mu = (1 - frac, (1 - frac) ** 2 + frac**2 * mu[1])
        row = _moments(phi, q) | {"q": q, "s_q": tail * s_m2,
                                  "p_q": tail * max(p_m2, _fenton_wilkinson(s_m2, batch))}
        if activation_name == "linear" and not bias:
            row["m2"] = row["var"] = float(linear_variances(sigma2, widths)[l - 1])
        log_bias = np.log((signal * np.exp(m2_drift) + bias**2) / q) if q > 0 else 0.0
        row |= _drift(phi, row, log_bias, row["s_q"])
        row |= _band(phi, row, row["p_q"], k)
        one = _band(phi, row, row["s_q"], k)
        row |= {key: one[key] for key in ("grad_shift", "e_band", "m2_up")}
        fresh = _fresh(row, mu, batch, widths[l])
        row["grad_cross"] = fresh["grad_cross"]
        row["var_tol"] = row["var_drift"] + row["var_shift"] + k * np.sqrt(fresh["var"])
        row["mean_tol"] = (row["mean_drift"] + row["mean_shift"]
                           + k * np.sqrt(fresh["mean"] * (row["var_max"] / row["var"]
                                                          if row["var"] > 0 else 1.0)))
        rows.append(row)
        s_m2 = np.sqrt((row["e_band"] * row["s_q"]) ** 2 + max(row["kappa"] - 1, 0) / widths[l])
        p_m2 = np.sqrt((row["e_band"] * row["p_q"]) ** 2 + fresh["m2"])
        m2_drift, m2_up, noise = row["m2_drift"], row["m2_up"], fresh["noise"]
        m2 = row["m2"]

    grad = np.empty(depth)
    g = 1.0  # Var of the unit-Gaussian output gradient
    for l in range(depth, 0, -1):
        g *= rows[l - 1]["d2"]
        grad[l - 1] = g
        g *= widths[l] * sigma2[l - 1]  # back through W_l: n_l·σ_l²

    col = {key: np.array([r[key] for r in rows]) for key in rows[0]}
    return Profile("predicted", activation_name, widths, col["m1"], np.sqrt(col["var"]),
                   col["var"], grad, pre_var=col["q"],
                   tolerance={"var": col["var_tol"], "mean": col["mean_tol"],
                              "grad_var": _grad_tolerance(col, widths, batch, k)})


def _grad_tolerance(col: dict[str, np.ndarray], widths: Sequence[int], batch: int,
                    k: float) -> np.ndarray:
    """log Var(δ_l)'s tolerance: the fresh noise of every layer m ≥ l, pooled over the batch,
    plus the moves of E[φ'²] within one input's band q_m·e^{±k·s_m} and its drift. The
    moves stay per input: a batch's gradient follows its inputs with the largest q, whose
    E[φ'²] is off in the same direction at every layer.

    One unit's δ² = X²φ'(z)², X = (W_{m+1}ᵀδ_{m+1})_j Gaussian and independent of z:
    relative variance 3κ' − 1. Between two inputs X correlates by ρ_δ, the cosine of
    their δ_{m+1}, so the cross covariance is ≤ Cov(φ'(u)², φ'(v)²)/E[φ'²]² + 2κ'·E[ρ_δ²],
    with E[ρ_δ²] = 0 under the independent output gradients and growing downwards by
    E[X_b²X_c²φ'_b²φ'_c²]/(n·E[φ'²]²) ≤ (1 + cross + 2κ'·E[ρ_δ²])/n. The pooled spread
    is kept at or above Fenton–Wilkinson's for one input's spread."""
    n = np.array(widths[1:], dtype=float)
    one = np.maximum(3 * col["kappa_grad"] - 1, 0) / n
    pooled, rho2 = np.empty_like(one), 0.0
    for m in range(len(n) - 1, -1, -1):
        cross = col["grad_cross"][m] + 2 * col["kappa_grad"][m] * rho2
        pooled[m] = _pooled(one[m], min(cross / n[m], one[m]), batch)
        rho2 = min(rho2 + (1 + cross) / n[m], 1.0)
    spread = np.maximum(np.sqrt(np.cumsum(pooled[::-1])[::-1]),
                        [_fenton_wilkinson(s, batch) for s in np.sqrt(np.cumsum(one[::-1])[::-1])])
    moves = np.cumsum((col["grad_shift"] + col["grad_drift"])[::-1])[::-1]
    return k * spread + moves


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
