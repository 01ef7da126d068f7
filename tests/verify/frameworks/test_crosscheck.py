"""Cross-check of every built-in library: the findings, identify, the docs and the CLI (each
library's own findings are tested in its test_<library>_adapter.py).

Framework tests skip when the framework is not installed. Each framework is
cross-checked once (fixed seed 0, sample sizes from `verify.check`'s power rule).
"""

from __future__ import annotations

import importlib
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

import derive
from initproof.cli import main
from tests.verify.frameworks.shared import rows_of
from verify import check, crosscheck, identify, sample
from verify.checking import power_z
from verify.frameworks import adapter
from verify.frameworks.runner import _moment_row

EXPECTED_MISMATCHES = {
    "torch": {"trunc_normal_(std=0.02)", "trunc_normal_(std=1)", "sparse_(sparsity=0.1)",
              "xavier_uniform_"},
    "jax": {"glorot_normal", "lecun_normal", "he_normal", "truncated_normal(stddev=0.02)",
            "uniform(scale=0.05)", "flax.linen.Dense kernel", "flax.linen.Conv kernel",
            "variance_scaling(1.0, 'fan_in', 'truncated_normal') complex64",
            "glorot_uniform", "lecun_uniform", "he_uniform"},
    "keras": {"VarianceScaling(1.0, 'fan_in', 'normal')", "GlorotNormal", "LecunNormal",
              "HeNormal", "TruncatedNormal(stddev=0.02)"},
}
FRAMEWORKS = ("torch", "jax", "keras", "haiku", "equinox", "tinygrad", "timm", "mlx", "paddle")
"""The built-in adapters; the other six keep their expected findings in their own test file."""


def _expected(framework: str) -> set[str]:
    if framework in EXPECTED_MISMATCHES:
        return EXPECTED_MISMATCHES[framework]
    module = importlib.import_module(f"tests.verify.frameworks.test_{framework}_adapter")
    return module.EXPECTED_MISMATCHES


def _installed_rows(framework: str) -> list:
    try:
        adapter(framework)
    except ImportError as e:
        pytest.skip(f"{framework} is not installed ({e})")
    return rows_of(framework)


@pytest.fixture(scope="module", params=FRAMEWORKS)
def rows(request: pytest.FixtureRequest) -> list:
    return _installed_rows(request.param)


@pytest.fixture(scope="module", params=tuple(EXPECTED_MISMATCHES))
def core_rows(request: pytest.FixtureRequest) -> list:
    """PyTorch's, JAX's and Keras's rows, for the findings tested here."""
    return _installed_rows(request.param)


def _by_name(rows: list, name: str) -> list:
    return [r for r in rows if r.initializer == name]


def test_the_mismatches_are_the_known_findings(rows: list) -> None:
    fw = rows[0].framework
    assert {r.initializer for r in rows if not r.passed} == _expected(fw)
    for r in rows:
        if not r.passed:
            assert r.finding, f"{r.initializer} mismatches without an explanation"


def test_every_match_could_have_seen_a_two_percent_error(rows: list) -> None:
    for r in rows:
        if r.sees is not None:
            assert r.sees < 0.021, (r.initializer, r.sees)


def test_reproducible_whatever_the_global_state(rows: list) -> None:
    bad = {r.initializer for r in rows if not r.reproducible}
    assert bad == ({"sparse_(sparsity=0.1)"} if rows[0].framework == "torch" else set())


def test_low_precision_mismatches_are_16_bit_uniforms_only(core_rows: list) -> None:
    """JAX's 16-bit uniforms take 2^mantissa levels; PyTorch's bfloat16 uniform_ drops its top
    level where the bound rounds down (512x128)."""
    names = {"jax": ("glorot_uniform", "lecun_uniform", "he_uniform"),
             "torch": ("xavier_uniform_",)}.get(core_rows[0].framework, ())
    jax = core_rows[0].framework == "jax"
    for name in names:
        dtypes = {r.dtype for r in _by_name(core_rows, name) if not r.passed}
        assert dtypes == ({"bfloat16", "float16"} if jax else {"bfloat16"})
    if core_rows[0].framework == "torch":
        failing = {r.shape for r in _by_name(core_rows, "xavier_uniform_") if not r.passed}
        assert failing == {(512, 128)}


def test_uncorrected_truncation_has_the_truncnorm_variance(core_rows: list) -> None:
    name = {"torch": "trunc_normal_(std=1)", "jax": "truncated_normal(stddev=0.02)",
            "keras": "TruncatedNormal(stddev=0.02)"}[core_rows[0].framework]
    ratio = stats.truncnorm(-2, 2).var()  # an independent source for 0.8796²
    for r in _by_name(core_rows, name):
        assert r.observed_var / r.expected_var == pytest.approx(ratio, rel=0.02)


def test_jax_complex_truncated_normal_excess(core_rows: list) -> None:
    if core_rows[0].framework != "jax":
        pytest.skip("a JAX finding")
    excess = 1 / stats.expon.cdf(4)  # |z|² ~ Exp(1) cut at 4: the kept mass JAX leaves out
    for r in _by_name(core_rows, "variance_scaling(1.0, 'fan_in', 'truncated_normal') complex64"):
        se = r.sees / power_z(1e-6 / 5, 0.99)  # sees: power_z · se of E|w|²/v, 5 tests
        assert abs(r.observed_var / r.expected_var - excess) < 5 * se
        assert "E|w|^2 is" in r.finding and "beyond the law's top" in r.finding


def test_torch_default_weight_is_a_third_of_lecun(core_rows: list) -> None:
    if core_rows[0].framework != "torch":
        pytest.skip("a PyTorch finding")
    lecun = derive.SCHEMES["lecun_uniform"]
    for r in _by_name(core_rows, "nn.Linear"):
        assert r.passed
        assert r.expected_var / lecun.variance_at(r.fan_in, r.fan_out) == pytest.approx(1 / 3)


def test_identify_names_the_scheme() -> None:
    for name in ("he_normal", "glorot_truncated_normal", "lecun_uniform"):
        scheme = derive.SCHEMES[name]
        obs = [(sample(scheme, shape, rng=s), shape)
               for s, shape in enumerate([(512, 128), (64, 1024), (256, 256)])]
        best = identify(obs)[0]
        assert best.distribution == scheme.distribution and not best.tie
        assert best.scheme.variance == scheme.variance, (name, best.describe())


def test_identify_says_tie_when_one_shape_cannot_tell() -> None:
    """At one shape, 2/fan_in is 4/fan_out and 3/2 per fan_avg: the answer is a tie."""
    best = identify(sample("he_normal", (512, 256), rng=0), (512, 256))[0]
    assert best.tie and best.scheme.variance_at(256, 512) == pytest.approx(2 / 256)


def test_identify_fits_the_cut_and_the_correction() -> None:
    """Haiku's TruncatedNormal(0.02): N(0, 0.02^2) cut at 2 sigma, not variance-corrected."""
    claim = derive.variance_scaling(0.02**2, None, "truncated_normal", corrected=False)
    obs = [(sample(claim, shape, rng=s), shape) for s, shape in enumerate([(512, 128),
                                                                           (64, 1024)])]
    best = identify(obs)[0]
    assert (best.distribution, best.truncation, best.corrected, best.mode) == \
        ("truncated_normal", 2.0, False, None)
    assert best.scheme.variance_at(1, 1) == pytest.approx(claim.variance_at(1, 1), rel=1e-12)


def test_identify_sees_an_off_centre_uniform() -> None:
    x = np.random.default_rng(0).uniform(0, 0.01, (256, 256))
    best = identify(x, (256, 256))[0]
    assert (best.low, best.high) == (0, 0.01) and "uniform on [" in best.describe()
    assert check(x, best.scheme, shape=(256, 256)).passed  # a derive law check accepts
    with pytest.raises(ValueError, match="10 finite"):
        identify(np.array([1.0, np.nan] * 10), (4, 5))


def test_spacing_is_one_ulp() -> None:
    from verify.checking.precision import spacing

    assert spacing("float32", 1.5) == float(np.spacing(np.float32(1.5)))
    assert spacing("float16", 0.2) == float(np.spacing(np.float16(0.2)))


def test_unknown_framework_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="choose from"):
        crosscheck("mxnet")
    assert main(["crosscheck", "mxnet"]) == 2
    assert "torch, jax, keras, haiku, equinox, tinygrad, timm, mlx, paddle, all" in \
        capsys.readouterr().err


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_what_entries_really_draw_passes(framework: str) -> None:
    """An entry's `draws` (the law translate writes for it) is the law its float32 (or first
    dtype's) samples pass, at its first shape."""
    try:
        module = adapter(framework)
    except ImportError as e:
        pytest.skip(f"{framework} is not installed ({e})")
    for entry in (e for e in module.entries() if e.draws is not None):
        dtype = "float32" if "float32" in entry.dtypes else entry.dtypes[0]
        row = _moment_row(framework, module.CONVENTION, replace(entry, claim=entry.draws),
                          entry.shapes[0], dtype, 0, 1e-6)
        assert row.passed, (entry.name, row.finding)
