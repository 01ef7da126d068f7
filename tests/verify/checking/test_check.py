"""check: a battery that passes good samplers and names what breaks."""

from __future__ import annotations

import math

import numpy as np
import pytest

import derive
from verify import assert_initializer, check, fans, sample
from verify.checking import statistics as st

SCHEMES = derive.SCHEMES
DISTINCT = sorted({s.name for s in SCHEMES.values()})
SHAPE = (96, 64)  # non-square: fan_in 64, fan_out 96 (torch)


def sampler(scheme: derive.Scheme, factor: float = 1.0):
    return lambda shape, seed: sample(scheme, shape, rng=seed) * factor


@pytest.mark.parametrize("name", DISTINCT)
def test_builtin_samplers_pass(name: str) -> None:
    report = check(sampler(SCHEMES[name]), name, shape=SHAPE, seed=20261122)
    assert report.passed, str(report)


def test_an_array_can_be_checked() -> None:
    w = sample(SCHEMES["he_uniform"], (512, 256, 3), rng=7)
    report = assert_initializer(w, "he_uniform", shape=w.shape)
    assert report.n == w.size and "same_seed_same_array" not in {c.name for c in report.checks}


def test_a_large_or_misshapen_array() -> None:
    w = sample(SCHEMES["glorot_uniform"], (1100, 1000), rng=3)  # more than one chunk
    assert check(w, "glorot_uniform", shape=w.shape).passed
    report = check(w.T, "glorot_uniform", shape=w.shape)
    assert {c.name for c in report.failed} == {"shape"}


def _failed(init, scheme: str, **kwargs) -> set[str]:
    report = check(init, scheme, shape=kwargs.pop("shape", SHAPE), seed=1, **kwargs)
    return {c.name for c in report.failed}


def test_scale_errors_are_caught_by_the_variance_test() -> None:
    for name in ("lecun_normal", "glorot_uniform", "he_truncated_normal"):
        assert "variance" in _failed(sampler(SCHEMES[name], math.sqrt(1.05)), name)


def test_normal_where_uniform_was_meant() -> None:
    failed = _failed(sampler(SCHEMES["glorot_normal"]), "glorot_uniform")
    assert {"within_bound", "ks", "histogram"} <= failed and "variance" not in failed


def test_missing_truncation() -> None:
    def untruncated(shape, seed):
        s = SCHEMES["he_truncated_normal"]
        return np.random.default_rng(seed).normal(0, s.sigma_at(*fans(shape)), shape)

    assert {"within_bound", "variance"} <= _failed(untruncated, "he_truncated_normal")


def test_uncorrected_truncated_normal() -> None:
    """truncnorm(±2) drawn with σ = √variance: the 0.8796 correction is missing."""
    from scipy import stats

    def uncorrected(shape, seed):
        sd = math.sqrt(SCHEMES["glorot_truncated_normal"].variance_at(*fans(shape)))
        return stats.truncnorm.rvs(-2, 2, scale=sd, size=shape, random_state=seed)

    failed = _failed(uncorrected, "glorot_truncated_normal")
    assert "variance" in failed and "within_bound" not in failed


def test_wrong_fan() -> None:
    assert "variance" in _failed(sampler(SCHEMES["glorot_normal"]), "lecun_normal")
    def fan_out_he(shape, seed):
        return sample(SCHEMES["he_normal"], shape[::-1], rng=seed).T
    assert "variance" in _failed(fan_out_he, "he_normal")


def test_structural_faults_are_named() -> None:
    good = sampler(SCHEMES["lecun_normal"])

    def shifted(shape, seed):
        return good(shape, seed) + 0.05 * math.sqrt(SCHEMES["lecun_normal"].variance_at(64, 96))

    def with_nan(shape, seed):
        w = good(shape, seed)
        w[0, 0] = np.nan
        return w

    def repeated_rows(shape, seed):
        w = good(shape, seed)
        w[1] = w[0]
        return w

    def ignores_seed(shape, seed):
        return good(shape, 0)

    def global_state(shape, seed):
        return good(shape, None)

    assert "mean" in _failed(shifted, "lecun_normal")
    assert "finite" in _failed(with_nan, "lecun_normal")
    assert _failed(repeated_rows, "lecun_normal") == {"ties"}
    assert "distinct_arrays" in _failed(ignores_seed, "lecun_normal")
    assert "same_seed_same_array" in _failed(global_state, "lecun_normal")
    assert "dtype" in _failed(lambda s, seed: np.ones(s, dtype=int), "zeros")
    assert "shape" in _failed(lambda s, seed: good(s[::-1], seed), "lecun_normal")


def test_assert_initializer_raises_with_the_report() -> None:
    with pytest.raises(AssertionError, match="variance"):
        assert_initializer(sampler(SCHEMES["he_normal"], 2.0), "he_normal", shape=SHAPE)


def test_holm() -> None:
    assert st.holm([0.01, 0.04, 0.03], 0.05) == [True, False, False]
    assert st.holm([0.01, 0.02, 0.03], 0.05) == [True, True, True]
    assert st.holm([0.5], 0.05) == [False]


def test_sample_size_and_detectable_are_inverse() -> None:
    n = st.samples_for(0.02, 1.8, 1e-7)
    assert st.detectable(n, 1.8, 1e-7) == pytest.approx(0.02, rel=1e-3)


def test_bad_check_arguments() -> None:
    with pytest.raises(ValueError, match="unknown scheme 'he_norml'"):
        check(np.zeros((2, 2)), "he_norml", shape=(2, 2))
    with pytest.raises(ValueError, match="alpha"):
        check(np.zeros((2, 2)), "zeros", shape=(2, 2), alpha=0)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_sixteen_bit_levels_on_bin_edges(dtype: str) -> None:
    """A cut at ±0.04 puts many histogram edges exactly on 16-bit levels; the law's levels
    are binned by the same arithmetic as the values (before, every seed failed here).
    The values come from scipy's truncated normal, rounded to the dtype."""
    from scipy import stats

    from verify.checking.precision import round_to

    law = stats.truncnorm(-2, 2, scale=0.02)
    claim = derive.fixed_truncated_normal(0.02, bounds=(-0.04, 0.04))
    for seed in range(4):
        def draw(shape: tuple[int, ...], s: int, seed: int = seed) -> np.ndarray:
            rng = np.random.default_rng([seed, s])
            values = law.rvs(size=shape, random_state=rng).astype(np.float32)
            return round_to(dtype, values).astype(np.float32)

        report = check(draw, claim, shape=(256, 256), dtype=dtype, seed=seed)
        assert report.passed, report
