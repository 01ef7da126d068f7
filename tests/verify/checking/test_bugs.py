"""Bugs real initializers ship, planted one at a time: each is caught at default settings by
the check whose name says what it saw, and correct initializers pass.

Seeds are fixed; the battery's family-wise alpha is 1e-6.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from verify import check, sample
from verify.sampling import child_seeds

SHAPE = (96, 64)  # torch layout: fan_in 64, fan_out 96


def good(name: str):
    return lambda shape, seed: sample(name, shape, rng=seed)


def failed(init, scheme: str, shape=SHAPE, **kwargs) -> set[str]:
    report = check(init, scheme, shape=shape, seed=20261123, **kwargs)
    return {c.name for c in report.failed}


def sd(name: str, shape=SHAPE) -> float:
    from derive import SCHEMES
    from verify import fans

    return math.sqrt(SCHEMES[name].variance_at(*fans(shape)))


# dependence with exact marginals

def test_serial_correlation_in_memory_order() -> None:
    def ar1(shape, seed, rho=0.05):
        x = sample("he_normal", shape, rng=seed).reshape(-1)
        y = np.empty_like(x)
        y[0] = x[0]
        for i in range(1, x.size):  # an AR(1) filter: y stays N(0, σ²)
            y[i] = rho * y[i - 1] + math.sqrt(1 - rho * rho) * x[i]
        return y.reshape(shape)

    assert "serial_correlation" in failed(ar1, "he_normal")


def test_rows_that_sum_to_zero() -> None:
    def centred_rows(shape, seed):
        w = sample("he_normal", shape, rng=seed)
        return (w - w.mean(axis=1, keepdims=True)) * math.sqrt(shape[1] / (shape[1] - 1))

    assert "row_sums" in failed(centred_rows, "he_normal")


def test_a_low_rank_component() -> None:
    def spiked(shape, seed, share=0.1):
        rng = np.random.default_rng(seed)
        u, v = rng.standard_normal(shape[0]), rng.standard_normal(shape[1])
        w = sample("glorot_normal", shape, rng=seed)
        return math.sqrt(1 - share) * w + math.sqrt(share) * sd("glorot_normal", shape) * \
            np.outer(u, v)

    assert "top_singular_value" in failed(spiked, "glorot_normal", shape=(256, 256))


def test_columns_that_are_permutations_of_one_another() -> None:
    def permuted(shape, seed):
        rng = np.random.default_rng(seed)
        column = sample("lecun_uniform", (shape[0], 1), rng=seed)[:, 0] * \
            sd("lecun_uniform", shape) / sd("lecun_uniform", (shape[0], 1))
        return np.stack([rng.permutation(column) for _ in range(shape[1])], axis=1)

    assert "ties" in failed(permuted, "lecun_uniform")


# repeated values

def test_every_value_twice() -> None:
    def doubled(shape, seed):
        half = sample("he_uniform", (math.prod(shape) // 2,), rng=seed) if False else \
            np.random.default_rng(seed).permutation(
                np.repeat(sample("he_uniform", shape, rng=seed).reshape(-1)[::2], 2))
        return half.reshape(shape)

    assert "ties" in failed(doubled, "he_uniform")


def test_seeds_from_a_small_pool() -> None:
    pool = good("he_normal")
    assert "distinct_arrays" in failed(lambda shape, seed: pool(shape, seed % 8), "he_normal")


def test_tiled_blocks() -> None:
    def tiled(shape, seed):
        return np.tile(sample("glorot_uniform", (shape[0] // 2, shape[1]), rng=seed), (2, 1)) * \
            sd("glorot_uniform", shape) / sd("glorot_uniform", (shape[0] // 2, shape[1]))

    assert "ties" in failed(tiled, "glorot_uniform")


# shape, tails and the fourth moment

def test_another_law_beyond_the_first_200000_values() -> None:
    w = sample("he_normal", (1024, 512), rng=1)
    b = math.sqrt(3) * sd("he_normal", (1024, 512))
    w[400:] = np.random.default_rng(2).uniform(-b, b, w[400:].shape)  # right variance
    assert "histogram" in failed(w, "he_normal", shape=w.shape)


def test_a_heavier_tail_at_the_right_variance() -> None:
    def student(shape, seed, dof=50):
        t = np.random.default_rng(seed).standard_t(dof, shape)
        return t * sd("he_normal", shape) / math.sqrt(dof / (dof - 2))

    assert "fourth_moment" in failed(student, "he_normal")


def test_a_normal_cut_at_three_sigma_claimed_untruncated() -> None:
    from scipy import stats

    def cut(shape, seed):
        z = stats.truncnorm.rvs(-3, 3, size=shape, random_state=seed)
        return z * sd("lecun_normal", shape) / stats.truncnorm(-3, 3).std()

    found = failed(cut, "lecun_normal")
    assert "tail" in found


def test_one_value_at_minus_100_sigma_is_named_with_its_index() -> None:
    w = sample("glorot_normal", (1000, 1000), rng=5)
    w[123, 456] = -100 * sd("glorot_normal", w.shape)
    report = check(w, "glorot_normal", shape=w.shape)
    tail = next(c for c in report.failed if c.name == "tail")
    assert "flat index 123456" in tail.detail and "outlier" in tail.detail


# narrow local defects

def test_a_gap_in_a_uniform_support() -> None:
    def gapped(shape, seed, start=0.3, width=0.02):
        b = math.sqrt(3) * sd("glorot_uniform", shape)
        u = np.random.default_rng(seed).uniform(-1, 1 - width, shape)
        return b * np.where(u >= start, u + width, u)

    assert "histogram" in failed(gapped, "glorot_uniform")


def test_a_coarse_grid_of_levels() -> None:
    def coarse(shape, seed, levels=256):
        b = math.sqrt(3) * sd("he_uniform", shape)
        k = np.random.default_rng(seed).integers(0, levels, shape)
        return b * ((2 * k + 1) / levels - 1)

    found = failed(coarse, "he_uniform")
    assert "ties" in found and "histogram" in found


# correct initializers that must pass

def test_an_in_place_initializer_passes_with_a_note() -> None:
    buffer = np.empty(SHAPE)

    def fill(shape, seed):
        buffer[...] = sample("he_uniform", shape, rng=seed)
        return buffer

    report = check(fill, "he_uniform", shape=SHAPE, seed=3)
    assert report.passed, str(report)
    assert any("same buffer object" in n for n in report.notes)


def _bfloat16(x: np.ndarray) -> np.ndarray:
    """Round float64 values to bfloat16 (to nearest, ties to even), returned as float32."""
    bits = x.astype(np.float32).view(np.uint32)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return rounded.astype(np.uint32).view(np.float32)


@pytest.mark.parametrize("scheme", ["he_normal", "glorot_uniform", "lecun_truncated_normal"])
@pytest.mark.parametrize("shape", [(1024, 2), (2, 2), (64, 3, 7, 7)])
def test_low_precision_passes(scheme: str, shape: tuple[int, ...]) -> None:
    for seed in child_seeds(7, 3):
        half = check(lambda s, k: sample(scheme, s, rng=k).astype(np.float16), scheme,
                     shape=shape, seed=seed)
        brain = check(lambda s, k: _bfloat16(sample(scheme, s, rng=k)), scheme, shape=shape,
                      seed=seed, dtype="bfloat16")
        assert half.passed, str(half)
        assert brain.passed, str(brain)


def test_a_single_value_says_so() -> None:
    report = check(np.array([[0.01]]), "he_normal", shape=(1, 1))
    assert report.passed and any("too few values" in n for n in report.notes)


def test_an_initializer_returning_none_is_named() -> None:
    def forgets_to_return(shape, seed):
        sample("he_normal", shape, rng=seed)

    with pytest.raises(TypeError, match=r"forgets_to_return.*returned NoneType"):
        check(forgets_to_return, "he_normal", shape=SHAPE)


def test_complex_arrays_are_refused_plainly() -> None:
    w = sample("he_normal", SHAPE, rng=0) + 1j * sample("he_normal", SHAPE, rng=1)
    report = check(w, "he_normal", shape=SHAPE)
    assert [c.name for c in report.failed] == ["dtype"]
    assert "complex" in report.failed[0].detail


def test_the_headline_names_the_check_and_the_cause() -> None:
    report = check(lambda s, k: 1.2 * sample("he_normal", s, rng=k), "he_normal", shape=SHAPE)
    head = str(report).splitlines()[0]
    assert head.startswith("FAIL: variance (observed variance is 1.44")
    assert "wrong gain" in head
    passing = check(good("he_normal"), "he_normal", shape=SHAPE).to_dict()
    assert all(c["detail"] == "" for c in passing["checks"])
