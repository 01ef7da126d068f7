"""Orthogonal claims: orthonormality of the 2-D view, and Haar distribution by diagonal sums.

orthonormal:  max |M^T M - gain^2 I| on the 2-D view M (the smaller Gram matrix), within
              `ORTHOGONAL_TOL` of the dtype
Haar:         t = sum_{i<k} M_ii/gain over R draws (k the short side, n the long one);
              E[M_ii] = 0 and E[M_ii M_jj] = delta_ij/n, so z = sum t * sqrt(n/(k R)) is
              close to N(0, 1) (Diaconis-Shahshahani); a QR without the sign correction of
              R's diagonal makes M_ii lean to one sign and z grow like sqrt(2 k R/pi)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

from derive import Scheme
from verify.checking.result import Check, Finding, Report
from verify.layout import check_shape, out_first
from verify.layout import fans as layout_fans
from verify.sampling import Initializer, child_seeds

ORTHOGONAL_TOL = {"float64": 1e-10, "float32": 2e-5, "complex64": 2e-5}
HAAR_DRAWS = 8
HAAR_MIN_SIDE = 16


def matrix_view(w: np.ndarray, convention: str) -> np.ndarray:
    """The 2-D view: out x rest where the layout puts the output first, rest x out else."""
    return w.reshape(w.shape[0], -1) if out_first(convention, w.ndim) else \
        w.reshape(-1, w.shape[-1])


def orthogonal_error(m: np.ndarray, gain: float) -> float:
    """max |M^T M - gain^2 I| on the 2-D view M, the smaller of the two Gram matrices."""
    gram = m.conj().T @ m if m.shape[0] >= m.shape[1] else m @ m.conj().T
    return float(np.abs(gram - gain**2 * np.eye(gram.shape[0])).max())


def haar_z(matrices: Sequence[np.ndarray], gain: float) -> tuple[float, float]:
    """(z, two-sided p) of the diagonal sums of R draws (see the module's docstring)."""
    k, n = min(matrices[0].shape), max(matrices[0].shape)
    total = sum(float(np.trace(m[:k, :k]).real) / gain for m in matrices)
    z = total * math.sqrt(n / (k * len(matrices)))
    return z, float(2 * stats.norm.sf(abs(z)))


def marginal(scheme: Scheme, fan_in: float, fan_out: float) -> stats.rv_continuous:
    """The law of one entry of a dense orthogonal weight: gain times a coordinate t of a
    uniform unit vector in R^n, n = max(fan_in, fan_out), with (t + 1)/2 ~ Beta(a, a) and
    a = (n - 1)/2 (the isometry derivation's `marginal_shape`); variance gain^2/n."""
    gain = gain_of(scheme)
    side = max(fan_in, fan_out)
    if side < 2:
        raise ValueError(f"{scheme.name} on a 1 x 1 weight is +-{gain:g}, which has no "
                         "density; valid: a weight with a side of at least 2")
    from derive import isometry  # deferred: building the derivation takes a second

    shape = isometry().results["marginal_shape"]
    (side_symbol,) = shape.free_symbols
    a = float(shape.subs(side_symbol, side))
    return stats.beta(a, a, loc=-gain, scale=2 * gain)


def gain_of(scheme: Scheme) -> float:
    """The gain of an orthogonal scheme: its scale is gain^2."""
    if scheme.distribution != "orthogonal":
        raise ValueError(f"{scheme.name} is not orthogonal (distribution "
                         f"{scheme.distribution!r}); valid: an orthogonal(gain) scheme")
    return math.sqrt(float(scheme.scale))


def _dtype_name(array: np.ndarray, dtype: str | None) -> str:
    return str(dtype) if dtype is not None else str(array.dtype)


def check_orthogonal(init: Initializer | np.ndarray, scheme: Scheme, *, shape: Sequence[int],
                     convention: str = "torch", seed: int = 0, alpha: float = 1e-6,
                     dtype: str | None = None, **axes: object) -> Report:
    """The checks of an orthogonal claim: shape, floating dtype, finite, orthonormal on the
    2-D view (every draw), Haar by the diagonal sums (`HAAR_DRAWS` draws of a callable, the
    one array else; real, short side at least `HAAR_MIN_SIDE`), the same seed giving the same
    array and different seeds different arrays. The Haar test is the only p-valued one."""
    gain = gain_of(scheme)
    shape = check_shape(shape, 1)
    if len(shape) < 2:
        return Report(scheme.name, shape, convention, 1, 1, math.prod(shape), alpha,
                      (Check.outright("shape", "2 or more dimensions", str(shape), False,
                                      f"an orthogonal claim needs a matrix, not shape "
                                      f"{shape}"),), ())
    fan_in, fan_out = layout_fans(shape, convention, **axes)  # type: ignore[arg-type]
    seeds = child_seeds(seed, HAAR_DRAWS) if callable(init) else []
    arrays = [np.array(init(shape, s), copy=True) for s in seeds] if callable(init) \
        else [np.asarray(init)]
    first = arrays[0]
    checks = [Check.outright("shape", str(shape), str(first.shape), first.shape == shape,
                             f"the array has shape {first.shape}, not {shape}")]
    floating = np.issubdtype(first.dtype, np.inexact) or str(first.dtype) == "bfloat16"
    checks.append(Check.outright("dtype", "floating", str(first.dtype), floating,
                                 f"dtype {first.dtype} is not a floating type"))
    notes: list[str] = []
    if not all(c.passed for c in checks):
        return Report(scheme.name, shape, convention, fan_in, fan_out, first.size, alpha,
                      tuple(checks), ())
    nonfinite = sum(int(np.sum(~np.isfinite(a))) for a in arrays)
    checks.append(Check.outright("finite", 0, nonfinite, nonfinite == 0,
                                 f"{nonfinite} values are NaN or infinite"))
    views = [matrix_view(a.astype(np.complex128 if np.iscomplexobj(a) else np.float64),
                         convention) for a in arrays]
    tol = ORTHOGONAL_TOL.get(_dtype_name(first, dtype), 1e-2)
    error = max(orthogonal_error(v, gain) for v in views) if nonfinite == 0 else math.inf
    checks.append(Check.outright("orthonormal", tol, error, error <= tol,
                                 f"max |M^T M - gain^2 I| is {error:.3g} over {len(views)} "
                                 f"draw(s), above {tol:g}: not {gain:g} times orthonormal rows "
                                 "or columns"))
    if callable(init):
        again = np.asarray(init(shape, seeds[0]))
        same = bool(np.array_equal(again, first, equal_nan=True))
        checks.append(Check.outright("same_seed_same_array", "equal",
                                     "equal" if same else "different", same,
                                     "calling init twice with the same seed gave different "
                                     "arrays: it draws from a global random state"))
        distinct = len({a.tobytes() for a in arrays})
        checks.append(Check.outright("distinct_arrays", f"{len(arrays)} distinct",
                                     f"{distinct} distinct", distinct == len(arrays),
                                     f"{len(arrays) - distinct} of {len(arrays)} arrays drawn "
                                     "with different seeds repeat an earlier one"))
    if np.iscomplexobj(first) or min(views[0].shape) < HAAR_MIN_SIDE or nonfinite:
        notes.append(f"Haar test left out: it needs real values and a short side of at least "
                     f"{HAAR_MIN_SIDE}")
    else:
        z, p = haar_z(views, gain)
        finding = Finding("haar", z, p, 0.0, z,
                          f"the diagonal sums of {len(views)} draw(s) give z = {z:.1f} "
                          f"(p = {p:.2g}): not Haar, as a QR without the sign correction "
                          "of R's diagonal is")
        checks.append(Check.judged(finding, p >= alpha))
    return Report(scheme.name, shape, convention, fan_in, fan_out,
                  sum(a.size for a in arrays), alpha, tuple(checks), tuple(notes))
