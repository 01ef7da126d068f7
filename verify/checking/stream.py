"""One pass over every value, chunk by chunk, keeping only sums: memory does not grow with n.

For values w₁…wₙ in memory order (across chunks and calls): n, Σw, Σw², Σw⁴, the
largest |w| and where it is, Σwᵢwᵢ₊ₖ for the serial lags, counts in equal-width bins
over the claimed support, and an evenly thinned sample that spans all of it. Dot
products go through einsum, not BLAS, whose threads busy-wait on a loaded machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LAGS = (1, 2)
THINNED = 200_000
"""The thinned sample's size: every ⌈n/THINNED⌉-th value, so it spans the whole array."""


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.einsum("i,i->", a, b))


@dataclass
class Stream:
    """Streaming sums over the values; `edges` are the histogram's bin edges (values below
    the first or above the last land in two overflow bins)."""

    edges: np.ndarray
    stride: int
    n: int = 0
    total: float = 0.0
    squares: float = 0.0
    fourth: float = 0.0
    max_abs: float = 0.0
    max_index: int = -1
    nonfinite: int = 0
    lagged: list[float] = field(default_factory=lambda: [0.0] * len(LAGS))
    pairs: list[int] = field(default_factory=lambda: [0] * len(LAGS))
    counts: np.ndarray | None = None
    thinned: list[np.ndarray] = field(default_factory=list)
    _tail: np.ndarray = field(default_factory=lambda: np.empty(0))
    _seen: int = 0  # values seen, non-finite ones included: positions in memory order

    def add(self, chunk: np.ndarray) -> None:
        w = np.asarray(chunk, dtype=np.float64).reshape(-1)
        start = self._seen
        self._seen += w.size
        finite = np.isfinite(w)
        if not finite.all():
            self.nonfinite += int(w.size - finite.sum())
            w = np.where(finite, w, 0.0)
        self.n += int(finite.sum())
        self.total += float(w.sum())
        sq = w * w
        self.squares += float(sq.sum())
        self.fourth += _dot(sq, sq)
        top, bottom = float(w.max()), float(w.min())
        if max(top, -bottom) > self.max_abs:
            self.max_abs = max(top, -bottom)
            self.max_index = start + int(np.argmax(w) if top >= -bottom else np.argmin(w))
        joined = np.concatenate([self._tail, w]) if self._tail.size else w
        for i, lag in enumerate(LAGS):
            if joined.size > lag:
                self.lagged[i] += _dot(joined[:-lag], joined[lag:])
                self.pairs[i] += joined.size - lag
        self._tail = joined[-max(LAGS):].copy()
        bins = np.searchsorted(self.edges, w, side="right")
        counted = np.bincount(bins, minlength=self.edges.size + 1)
        self.counts = counted if self.counts is None else self.counts + counted
        offset = (-start) % self.stride
        self.thinned.append(w[offset :: self.stride].copy())

    def sample(self) -> np.ndarray:
        """The thinned sample: every `stride`-th value from the first on."""
        return np.concatenate(self.thinned) if self.thinned else np.empty(0)
