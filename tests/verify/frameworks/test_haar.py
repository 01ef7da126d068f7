"""Orthogonal entries: orthonormality, and Haar distribution through the diagonal sums, which
a QR without the sign correction of R's diagonal fails."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from verify.frameworks.protocol import Entry
from verify.frameworks.runner import _haar_p, _other_row

SHAPES = ((256, 256), (512, 128), (64, 288), (64, 32, 3, 3), (16, 16))


def qr_orthogonal(sign_corrected: bool, gain: float = 1.0) -> object:
    """numpy's QR of a Gaussian matrix (torch layout: rows are outputs)."""
    def sample(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        rows, cols = shape[0], int(np.prod(shape[1:]))
        a = np.random.default_rng(seed).standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        if sign_corrected:
            q = q * np.sign(np.diag(r))
        return gain * (q.T if rows < cols else q).reshape(shape)

    return sample


@pytest.mark.parametrize("shape", SHAPES)
def test_sign_corrected_qr_passes_and_plain_qr_is_not_haar(shape: tuple[int, ...]) -> None:
    for gain in (1.0, 2.0):
        good = _other_row("np", "torch", Entry("qr", qr_orthogonal(True, gain), (shape,),
                                              kind="orthogonal", value=gain),
                          shape, "float64", 0, 1e-6)
        assert good.passed, good.finding
    bad = _other_row("np", "torch", Entry("qr", qr_orthogonal(False), (shape,),
                                         kind="orthogonal", value=1.0), shape, "float64", 0, 1e-6)
    assert not bad.passed and "not Haar" in bad.finding


def test_a_wrong_gain_is_an_orthogonality_error() -> None:
    row = _other_row("np", "torch", Entry("qr", qr_orthogonal(True, 1.5), ((64, 64),),
                                         kind="orthogonal", value=1.0), (64, 64), "float64", 0,
                     1e-6)
    assert not row.passed and "M^T M" in row.finding


def test_the_diagonal_sum_is_standard_normal_for_haar_matrices() -> None:
    """z of single Haar draws at (32, 32) and (48, 16): KS against N(0, 1)."""
    sample = qr_orthogonal(True)
    for shape in ((32, 32), (48, 16)):
        z = [_haar_p([sample(shape, "float64", seed)], 1.0)[0] for seed in range(600)]
        assert stats.kstest(z, "norm").pvalue > 1e-6
