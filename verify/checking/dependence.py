"""Tests of independence: values that are each right but not independent of one another.

serial, lag k:   zₖ = Σ(wᵢ − w̄)(wᵢ₊ₖ − w̄) / (s²·√(n − k)), N(0, 1) for independent values
                 and independent of one another across lags: Σₖ zₖ² ~ χ² with one degree a lag
row sums:        on the 2-D view (R rows × c columns) of the first array, the share of the
                 centred sum of squares in the row sums, Σᵢ(rᵢ − c·w̄)²/c / Σ(w − w̄)², is
                 Beta((R − 1)/2, R(c − 1)/2) for normal values; so for columns. Both tails:
                 shared factors inflate it, rows summing to zero deflate it
top singular:    λ = σ_max²/s² of the view against the largest eigenvalue of a white
                 Wishart matrix, centred and scaled by Johnstone (2001); the Tracy–Widom
                 upper tail is bounded by exp(−(2/3)·t^{3/2}), so the p-value is conservative
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats
from scipy.sparse.linalg import svds

from verify.checking.result import Finding
from verify.checking.stream import LAGS, Stream, dot

MIN_SIDE = 16  # the singular-value test needs both sides at least this long
MIN_LINES = 8  # and the line sums at least this many lines of this many values: on a 2x2
# bfloat16 array two rows have equal sums often enough to break the continuous Beta law


def serial(s: Stream) -> Finding:
    mean = s.total / s.n
    centred = s.squares / s.n - mean**2
    zs = [(lagged - pairs * mean**2) / (centred * math.sqrt(pairs))
          if centred > 0 and pairs > 0 else 0.0
          for lagged, pairs in zip(s.lagged, s.pairs, strict=True)]
    lags = sum(pairs > 0 for pairs in s.pairs)  # a lag needs a pair of values
    worst = int(np.argmax(np.abs(zs)))
    total = float(sum(z * z for z in zs))
    r = zs[worst] / math.sqrt(s.pairs[worst]) if s.pairs[worst] else 0.0
    p = float(stats.chi2.sf(total, lags)) if lags else 1.0
    return Finding("serial_correlation", total, p, 0.0, r,
                   f"neighbours in memory order correlate (r = {r:+.3g} at lag {LAGS[worst]}): "
                   "a filter or a reused stream", effect=r)


def line_sums(view: np.ndarray) -> list[Finding]:
    """Row sums and column sums of the view, each against its law: for R lines of c values,
    centred by the grand mean and scaled by the view's own variance, S/(R·c) is
    Beta((R − 1)/2, R(c − 1)/2) for normal values (exactly) and more concentrated for the
    lighter-tailed uniform and truncated laws, so the test is exact or conservative. The
    view comes centred by its grand mean."""
    total = dot(view.reshape(-1), view.reshape(-1))
    if total == 0:
        return []
    found = []
    for axis, name, lines in ((1, "row_sums", "rows"), (0, "column_sums", "columns")):
        count, length = view.shape[1 - axis], view.shape[axis]
        if min(count, length) < MIN_LINES:
            continue
        share = float(np.sum(view.sum(axis=axis) ** 2) / length) / total
        law = stats.beta((count - 1) / 2, count * (length - 1) / 2)
        p = float(min(1.0, 2 * min(law.cdf(share), law.sf(share))))
        ratio = share / float(law.mean())
        what = ("too large: a shared factor or a low-rank part" if ratio > 1
                else "too small: the " + lines + " are constrained, e.g. to sum to zero")
        found.append(Finding(name, share, p, float(law.mean()), share,
                             f"the {lines}' sums spread {ratio:.3g} x what independent "
                             f"values give, {what}", effect=ratio - 1))
    return found


def top_singular(view: np.ndarray) -> Finding | None:
    """λ of the view, centred by its grand mean, against the Marchenko–Pastur edge."""
    rows, cols = view.shape
    if min(rows, cols) < MIN_SIDE:
        return None
    s2 = dot(view.reshape(-1), view.reshape(-1)) / view.size
    if s2 == 0:
        return None
    if max(rows, cols) <= 512:
        top = float(np.linalg.norm(view, 2))
    else:
        v0 = np.ones(min(rows, cols))
        top = float(svds(view, k=1, v0=v0, return_singular_vectors=False)[0])
    lam = top**2 / s2
    a, b = math.sqrt(rows - 0.5), math.sqrt(cols - 0.5)
    centre, width = (a + b) ** 2, (a + b) * (1 / a + 1 / b) ** (1 / 3)
    t = (lam - centre) / width
    p = 1.0 if t <= 0 else math.exp(-2 / 3 * t**1.5)
    return Finding("top_singular_value", t, p, centre, lam,
                   f"the largest singular value squared is {lam / centre:.3g} x the "
                   "Marchenko-Pastur edge: a low-rank component", effect=lam / centre - 1)
