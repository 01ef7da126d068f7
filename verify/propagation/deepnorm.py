"""DeepNorm's update: how far one SGD step moves a Post-LN stack, measured and predicted.

The stack (DeepNet's Theorem 4.1 model, Wang et al. 2022): x_0 = LN(z), z ~ N(0, I);
sublayer i: h_i = α·x_{i−1} + v_i·w_i·(x_{i−1}·A_iᵀ)·B_iᵀ, x_i = LN(h_i), with A_i, B_i
square, entries N(0, 1/n) (Xavier normal), and v_i = w_i = β at initialization.
Per example b, ℓ_b = ⟨g_b, x_K⟩/√n with g_b ~ N(0, I); an SGD step on the scalars
(v_i, w_i) moves ℓ_b by −η·U_b to first order, U_b = Σ_i (∂ℓ_b/∂v_i)² + (∂ℓ_b/∂w_i)²,
found here by back-propagation (LN's backward: (δ − mean δ − y·mean(δ·y))/σ).

derive's sensitivity predicts E[U_b] = Σ_i α²(v² + w²)/(α² + v²w²)² when every block
passes the gradient with mean-square gain 1; LN's projection (it removes the directions
of 1 and of its output) can only lower that, so the prediction is an upper bound. U_b
is, per sublayer, one squared Gaussian projection (∂ℓ/∂v and ∂ℓ/∂w are parallel), so
U_b sums K independent scaled χ²₁ and is near normal for K ≳ 10: `band` is Student's t
quantile at a two-sided α with B − 1 degrees of freedom times the standard error of the
batch mean. At DeepNet's α, β the skip dominates and the prediction holds to O(1/n);
at vanilla Post-LN (α = v = w = 1) the blocks' gains fluctuate and U_b is heavy-tailed,
so its batch mean is only a rough measurement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from verify.propagation.residual import layer_norm
from verify.sampling import child_seeds


@dataclass(frozen=True)
class DeepNormUpdate:
    """The update U (mean over the batch), its standard error, the mean share of each
    sublayer, the stream's variance after each sublayer, and the batch size."""

    update: float
    stderr: float
    per_sublayer: np.ndarray
    var: np.ndarray
    batch: int

    def band(self, alpha: float = 1e-6) -> float:
        """Half-width of a two-sided level-α interval: t_{B−1} quantile × standard error."""
        return float(stats.t.isf(alpha / 2, self.batch - 1) * self.stderr)


def _check(alpha: float, beta: float, sublayers: int) -> None:
    for name, value in (("alpha", alpha), ("beta", beta)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    if isinstance(sublayers, bool) or not isinstance(sublayers, int) or sublayers < 1:
        raise ValueError(f"sublayers must be a positive integer, got {sublayers!r}")


def deepnorm_update(alpha: float, beta: float, *, sublayers: int, width: int, batch: int,
                    seed: int = 0) -> DeepNormUpdate:
    """Measure U over `batch` examples through `sublayers` DeepNorm sublayers of `width`."""
    _check(alpha, beta, sublayers)
    if isinstance(width, bool) or not isinstance(width, int) or width < 3:
        raise ValueError(f"width must be an integer of at least 3, got {width!r}")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 2:
        raise ValueError(f"batch must be an integer of at least 2, got {batch!r}")
    n, v, w = width, beta, beta
    input_seed, grad_seed, *seeds = child_seeds(seed, 2 * sublayers + 2)
    x = layer_norm(np.random.default_rng(input_seed).standard_normal((batch, n)))
    saved, var = [], np.empty(sublayers)
    for i in range(sublayers):
        a_i, b_i = (np.random.default_rng(s).normal(0.0, 1 / np.sqrt(n), (n, n))
                    for s in seeds[2 * i: 2 * i + 2])
        t = x @ a_i.T @ b_i.T
        h = alpha * x + v * w * t
        centred = h - h.mean(axis=1, keepdims=True)
        sd = np.sqrt((centred * centred).mean(axis=1, keepdims=True))
        x = centred / sd
        saved.append((a_i, b_i, t, x, sd))
        var[i] = x.var()
    delta = np.random.default_rng(grad_seed).standard_normal((batch, n)) / np.sqrt(n)
    shares = np.empty((sublayers, batch))
    for i in range(sublayers - 1, -1, -1):
        a_i, b_i, t, y, sd = saved[i]
        dh = (delta - delta.mean(axis=1, keepdims=True)
              - y * (delta * y).mean(axis=1, keepdims=True)) / sd
        along = (dh * t).sum(axis=1)  # ⟨dh, t⟩ per example
        shares[i] = (w * along) ** 2 + (v * along) ** 2
        delta = alpha * dh + v * w * (dh @ b_i @ a_i)
        saved[i] = None  # free as we go
    per_example = shares.sum(axis=0)
    return DeepNormUpdate(float(per_example.mean()),
                          float(per_example.std(ddof=1) / np.sqrt(batch)),
                          shares.mean(axis=1), var, batch)


def predict_deepnorm_update(alpha: float, beta: float, *, sublayers: int) -> float:
    """derive's K·α²(v² + w²)/(α² + v²w²)² at v = w = β: an upper bound on E[U]."""
    from derive import residual as residual_proof

    _check(alpha, beta, sublayers)
    expr = residual_proof().results["deepnet_sensitivity"]
    values = {s: {"alpha_D": alpha, "v": beta, "w": beta}[s.name] for s in expr.free_symbols}
    return sublayers * float(expr.subs(values))
