"""The orthogonal sampler and `check` on orthogonal claims: orthonormal to float precision,
Haar by the diagonal sums, the entry law and variance derive states; a QR without the sign
correction, a wrong gain and Gaussian weights passed off as orthogonal are caught."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from derive import parse_scheme
from derive.schemes import orthogonal
from tests.verify.frameworks.test_haar import qr_orthogonal
from verify import check, fans, sample
from verify.checking import distribution
from verify.checking.orthogonality import haar_z, matrix_view, orthogonal_error
from verify.sampling import child_seeds

SHAPES = ((256, 256), (512, 128), (128, 512), (64, 32, 3, 3), (16, 16))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("gain", [1.0, math.sqrt(2)])
def test_orthonormal_to_float_precision(shape: tuple[int, ...], gain: float) -> None:
    m = matrix_view(sample(orthogonal(gain), shape, rng=3), "torch")
    assert m.shape == (shape[0], math.prod(shape[1:]))
    assert orthogonal_error(m, gain) < 1e-12


def test_keras_layout_flattens_the_other_way() -> None:
    w = sample(orthogonal(1), (3, 3, 32, 64), rng=0, convention="keras")
    assert orthogonal_error(w.reshape(-1, 64), 1.0) < 1e-12  # (288, 64): columns orthonormal


def test_complex_draws_are_unitary() -> None:
    w = sample(orthogonal(2), (32, 32), rng=0, dtype=np.complex128)
    assert np.iscomplexobj(w) and orthogonal_error(w, 2.0) < 1e-12


def test_the_same_seed_gives_the_same_matrix() -> None:
    s = orthogonal(1)
    assert np.array_equal(sample(s, (32, 16), rng=5), sample(s, (32, 16), rng=5))
    assert not np.array_equal(sample(s, (32, 16), rng=5), sample(s, (32, 16), rng=6))


def test_the_diagonal_sum_is_standard_normal() -> None:
    """z of single draws at (32, 32) and (48, 16): KS against N(0, 1)."""
    for shape in ((32, 32), (48, 16)):
        z = [haar_z([sample(orthogonal(1), shape, rng=s)], 1.0)[0] for s in range(600)]
        assert stats.kstest(z, "norm").pvalue > 1e-6


def test_entries_follow_the_derived_law() -> None:
    """Entries of independent draws (one per draw, so independent) against derive's marginal,
    Beta((n-1)/2, (n-1)/2) on [-gain, gain], and its variance gain^2/max(fans)."""
    s = orthogonal(2)
    shape = (24, 40)
    law = distribution(s, *fans(shape))
    values = np.array([sample(s, shape, rng=seed)[seed % 24, seed % 40]
                       for seed in child_seeds(7, 2000)])
    assert stats.kstest(values, law.cdf).pvalue > 1e-6
    assert law.var() == pytest.approx(s.variance_at(*fans(shape)), rel=1e-12)
    wrong = stats.norm(0, 2 * math.sqrt(s.variance_at(*fans(shape))))
    assert stats.kstest(values, wrong.cdf).pvalue < 1e-6


def _qr(sign_corrected: bool, gain: float = 1.0):
    """numpy's QR of a Gaussian matrix in the torch layout, with or without the signs."""
    sample = qr_orthogonal(sign_corrected, gain)
    return lambda shape, seed: sample(shape, "float64", seed)


@pytest.mark.parametrize("shape", [(64, 64), (128, 32), (32, 16, 3, 3)])
def test_check_passes_the_sampler_and_catches_a_qr_without_signs(shape: tuple[int, ...]) -> None:
    for gain in (1.0, 2.0):
        s = parse_scheme(f"orthogonal(gain={gain})")
        assert check(lambda sh, sd, s=s: sample(s, sh, rng=sd), s, shape=shape).passed
        assert check(_qr(True, gain), s, shape=shape).passed
    bad = check(_qr(False), orthogonal(1), shape=shape)
    assert [c.name for c in bad.failed] == ["haar"] and "not Haar" in bad.headline()


def test_check_catches_gaussian_weights_and_a_wrong_gain() -> None:
    s = orthogonal(math.sqrt(2))
    gaussian = check(lambda sh, sd: sample("he_normal", sh, rng=sd), s, shape=(128, 128))
    assert "orthonormal" in [c.name for c in gaussian.failed]
    wrong_gain = check(_qr(True, 1.0), s, shape=(128, 128))
    assert [c.name for c in wrong_gain.failed] == ["orthonormal"]


def test_check_of_one_array_and_of_a_vector() -> None:
    s = orthogonal(1)
    assert check(sample(s, (64, 32), rng=1), s, shape=(64, 32)).passed
    report = check(np.ones(8), s, shape=(8,), fans=(8, 8))
    assert not report.passed and "needs a matrix" in report.headline()


def test_orthogonal_is_refused_where_values_are_drawn_one_by_one() -> None:
    from verify.sampling import draw

    with pytest.raises(ValueError, match="draws a whole matrix"):
        draw(orthogonal(1), 10, 4.0, 4.0, np.random.default_rng(0))
    from derive import modulus_law

    with pytest.raises(ValueError, match="no circular complex law"):
        modulus_law(orthogonal(1))
    with pytest.raises(ValueError, match="1 x 1 weight"):
        distribution(orthogonal(1), 1, 1)
