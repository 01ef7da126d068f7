"""Bugs real initializers ship, planted one at a time: each is caught at default settings by
the check whose name says what it saw, and correct initializers pass.

Seeds are fixed; the battery's family-wise alpha is 1e-6.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import derive
from verify import check, sample
from verify.checking.precision import round_to
from verify.sampling import child_seeds
from verify.testing.bugs import BUGS

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


@pytest.mark.parametrize("name", BUGS)
def test_a_planted_bug_is_named_by_the_check_that_sees_it(name: str) -> None:
    bug = BUGS[name]
    assert bug.seen_by in failed(bug.init, bug.scheme, shape=bug.shape), name


def test_one_value_at_minus_100_sigma_is_named_with_its_index() -> None:
    w = sample("glorot_normal", (1000, 1000), rng=5)
    w[123, 456] = -100 * sd("glorot_normal", w.shape)
    report = check(w, "glorot_normal", shape=w.shape)
    tail = next(c for c in report.failed if c.name == "tail")
    assert "flat index 123456" in tail.detail and "outlier" in tail.detail


# correct initializers that must pass

def test_an_in_place_initializer_passes_with_a_note() -> None:
    buffer = np.empty(SHAPE)

    def fill(shape, seed):
        buffer[...] = sample("he_uniform", shape, rng=seed)
        return buffer

    report = check(fill, "he_uniform", shape=SHAPE, seed=3)
    assert report.passed, str(report)
    assert any("same buffer object" in n for n in report.notes)


@pytest.mark.parametrize("scheme", ["he_normal", "glorot_uniform", "lecun_truncated_normal"])
@pytest.mark.parametrize("shape", [(1024, 2), (2, 2), (64, 3, 7, 7)])
def test_low_precision_passes(scheme: str, shape: tuple[int, ...]) -> None:
    n = 40_000 if math.prod(shape) < 16 else None  # tiny arrays: many calls; keep it quick
    for seed in child_seeds(7, 3):
        half = check(lambda s, k: sample(scheme, s, rng=k).astype(np.float16), scheme,
                     shape=shape, seed=seed, n_samples=n)
        brain = check(lambda s, k: round_to("bfloat16", sample(scheme, s, rng=k)), scheme,
                      shape=shape, seed=seed, dtype="bfloat16", n_samples=n)
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


def _complex_normal(shape: tuple[int, ...], seed: int, part_variance: float = 0.5,
                    rho: float = 0.0) -> np.ndarray:
    """Circular complex normal with E|w|^2 = he_normal's variance (each part half of it)."""
    rng = np.random.default_rng(seed)
    v = sd("he_normal", shape) ** 2
    x, y = rng.standard_normal(shape), rng.standard_normal(shape)
    y = rho * x + math.sqrt(1 - rho * rho) * y
    return math.sqrt(v * part_variance) * x + 1j * math.sqrt(v * (1 - part_variance)) * y


def test_complex_normal_passes_and_its_bugs_are_named() -> None:
    assert check(_complex_normal, "he_normal", shape=SHAPE, seed=1).passed
    assert check(_complex_normal(SHAPE, 2).astype(np.complex64), "he_normal",
                 shape=SHAPE).passed
    each_part = check(lambda s, k: math.sqrt(2) * _complex_normal(s, k), "he_normal",
                      shape=SHAPE, seed=1)
    assert "variance" in {c.name for c in each_part.failed}
    lopsided = check(lambda s, k: _complex_normal(s, k, part_variance=0.7), "he_normal",
                     shape=SHAPE, seed=1)
    assert "circularity" in {c.name for c in lopsided.failed}
    uniform_parts = check(lambda s, k: sample("he_uniform", s, rng=k) / math.sqrt(2) * (1 + 1j),
                          "he_normal", shape=SHAPE, seed=1)
    assert "modulus" in {c.name for c in uniform_parts.failed}


@pytest.mark.parametrize("name", ["he_uniform", "he_truncated_normal"])
def test_complex_disk_and_cut_normal_pass(name: str) -> None:
    draw = lambda s, k: sample(name, s, rng=k, dtype=np.complex64)  # noqa: E731
    assert check(draw, name, shape=SHAPE, seed=1).passed


def test_complex_square_claimed_as_disk_is_caught_by_the_modulus() -> None:
    """Independent uniform parts of the right E|w|^2 fill a square, not a disk."""
    def square(shape: tuple[int, ...], seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        b = math.sqrt(3 / 2) * sd("he_uniform", shape)  # each part carries half of E|w|^2
        return rng.uniform(-b, b, shape) + 1j * rng.uniform(-b, b, shape)

    failed = {c.name for c in check(square, "he_uniform", shape=SHAPE, seed=1).failed}
    assert {"modulus", "within_bound"} <= failed and "variance" not in failed


def test_complex_cut_normal_scaled_without_the_kept_mass_is_caught_by_the_variance() -> None:
    """JAX divides by the mean of |z|^2 below the cut but forgets the kept mass."""
    law = derive.modulus_law(derive.SCHEMES["he_truncated_normal"])
    kept = stats.expon.cdf(float(law.cut))  # an independent source for 1 − e^{−K}
    bug = lambda s, k: sample("he_truncated_normal", s, rng=k,  # noqa: E731
                              dtype=np.complex128) / math.sqrt(kept)
    failed = {c.name for c in check(bug, "he_truncated_normal", shape=SHAPE, seed=1).failed}
    assert "variance" in failed


def test_the_headline_names_the_check_and_the_cause() -> None:
    report = check(lambda s, k: 1.2 * sample("he_normal", s, rng=k), "he_normal", shape=SHAPE)
    head = str(report).splitlines()[0]
    assert head.startswith("FAIL: variance (observed variance is 1.44")
    assert "wrong gain" in head
    passing = check(good("he_normal"), "he_normal", shape=SHAPE).to_dict()
    assert all(c["detail"] == "" for c in passing["checks"])
