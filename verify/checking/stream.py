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


def dot(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.einsum("i,i->", a, b))


@dataclass
class Stream:
    """Streaming sums over the values less `centre`; `edges` are the histogram's bin edges
    about the centre (values below the first or above the last land in two overflow bins)."""

    edges: np.ndarray
    stride: int
    centre: float = 0.0
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
        if self.centre:
            w = w - self.centre
        start = self._seen
        self._seen += w.size
        top, bottom = float(w.max()), float(w.min())  # NaN or ±inf here if anywhere
        bad = 0
        if not (np.isfinite(top) and np.isfinite(bottom)):
            finite = np.isfinite(w)
            bad = int(w.size - finite.sum())
            w = np.where(finite, w, 0.0)
            top, bottom = float(w.max()), float(w.min())
        self.nonfinite += bad
        self.n += w.size - bad
        self.total += float(w.sum())
        sq = w * w
        self.squares += float(sq.sum())
        self.fourth += dot(sq, sq)
        if max(top, -bottom) > self.max_abs:
            self.max_abs = max(top, -bottom)
            self.max_index = start + int(np.argmax(w) if top >= -bottom else np.argmin(w))
        for i, lag in enumerate(LAGS):
            if w.size > lag:
                self.lagged[i] += dot(w[:-lag], w[lag:])
                self.pairs[i] += w.size - lag
            edge = np.concatenate([self._tail[-lag:], w[:lag]])  # pairs across the chunks
            if edge.size > lag:
                self.lagged[i] += dot(edge[:-lag], edge[lag:])
                self.pairs[i] += edge.size - lag
        self._tail = np.concatenate([self._tail, w[-max(LAGS):]])[-max(LAGS):]
        self._count(w)
        offset = (-start) % self.stride
        self.thinned.append(w[offset :: self.stride].copy())

    def _count(self, w: np.ndarray) -> None:
        counted = np.bincount(bin_index(w, self.edges), minlength=self.edges.size + 1)
        self.counts = counted if self.counts is None else self.counts + counted

    def sample(self) -> np.ndarray:
        """The thinned sample: every `stride`-th value from the first on."""
        return np.concatenate(self.thinned) if self.thinned else np.empty(0)


def bin_index(w: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The histogram bin of each value, by arithmetic on the equal-width edges: bin k + 1
    holds [edges[k], edges[k + 1]) up to rounding at the edges, bins 0 and B + 1 what lies
    below and above. The law's masses must be binned by this same function."""
    bins = edges.size - 1
    scale = bins / (edges[-1] - edges[0])
    position = w * scale
    position += 1 - edges[0] * scale
    np.clip(position, 0, bins + 1, out=position)
    return position.astype(np.intp)
