"""The signal through one dense layer, y = Wx + b, measured in one batch against what the
claims predict for these very inputs.

For inputs x_b (b = 1…B) with q_b = mean(x_b²), the measured ratio is
    R = (1/B)·Σ_b mean(y_b²)/q_b = (1/d_out)·Σ_j [w_jᵀ A w_j + 2 b_j w_j·s + b_j²·m],
A = (1/B)·Σ_b x_b x_bᵀ/q_b, s = (1/B)·Σ_b x_b/q_b, m = (1/B)·Σ_b 1/q_b; the rows j are
independent draws, so for weights of variance v and kurtosis κ, biases of v_b and κ_b:
    E[R] = d_in·v + m·v_b
    Var(R) = [2v²·tr(A²) + (κ − 3)v²·Σ A_ii² + 4·v·v_b·|s|² + (κ_b − 1)·v_b²·m²]/d_out
exactly, given the inputs (correlated inputs widen it; no input law is assumed). The
gradient back through the layer, g_x = Wᵀg_y, is the same with the columns of W: E = d_out·v.
R is compared with a Gamma law of that mean and variance (a sum of d_out independent
quadratic forms, skewed right), both tails.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def _moments(x: np.ndarray) -> tuple[np.ndarray, float, float, float, float]:
    """(q, tr(A²), Σ A_ii², |s|², m) of the rows of x."""
    q = np.mean(x * x, axis=1)
    keep = q > 0
    x, q = x[keep], q[keep]
    b = x.shape[0]
    gram = (x @ x.T) / np.sqrt(np.outer(q, q))
    trace_sq = float(np.sum(gram**2)) / b**2
    diag = np.sum(x * x / q[:, None], axis=0) / b
    s = np.sum(x / q[:, None], axis=0) / b
    return q, trace_sq, float(np.sum(diag**2)), float(s @ s), float(np.mean(1 / q))


def ratio(x: np.ndarray, y: np.ndarray) -> float:
    """The measured R: mean over the batch of mean(y_b²)/mean(x_b²)."""
    q_in, q_out = np.mean(x * x, axis=1), np.mean(y * y, axis=1)
    keep = q_in > 0
    return float(np.mean(q_out[keep] / q_in[keep]))


def predicted(x: np.ndarray, width_out: int, v: float, kappa: float, v_b: float = 0.0,
              kappa_b: float = 3.0) -> tuple[float, float]:
    """(E[R], sd(R)) for inputs x (B × d_in) through d_out rows of the claimed law."""
    _, trace_sq, diag_sq, s2, m = _moments(x)
    mean = x.shape[1] * v + m * v_b
    var = (2 * v * v * trace_sq + (kappa - 3) * v * v * diag_sq + 4 * v * v_b * s2
           + (kappa_b - 1) * v_b * v_b * m * m) / width_out
    return mean, math.sqrt(max(var, 0.0))


def pvalue(measured: float, mean: float, sd: float) -> float:
    """Two-sided, under a Gamma law of this mean and sd."""
    if sd <= 0:
        return 1.0 if math.isclose(measured, mean, rel_tol=1e-9) else 0.0
    law = stats.gamma(mean**2 / sd**2, scale=sd**2 / mean)
    return float(min(1.0, 2 * min(law.cdf(measured), law.sf(measured))))
