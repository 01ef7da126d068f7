"""The pytest plugin: loaded by entry point, marker registered, options reach the fixtures."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]


@pytest.mark.statistical
def test_marker_and_fixtures(initproof_seed: int, initproof_alpha: float) -> None:
    from derive import SCHEMES
    from verify import assert_initializer, sample

    report = assert_initializer(lambda shape, seed: sample(SCHEMES["he_normal"], shape, rng=seed),
                                "he_normal", shape=(64, 32), seed=initproof_seed,
                                alpha=initproof_alpha)
    assert report.alpha == initproof_alpha == 1e-6


def test_options_are_passed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.statistical
        def test_it(initproof_seed, initproof_alpha):
            assert (initproof_seed, initproof_alpha) == (7, 1e-3)
        """
    )
    result = pytester.runpytest("--strict-markers", "--initproof-seed=7", "--initproof-alpha=1e-3")
    result.assert_outcomes(passed=1)


def test_plugin_imports_nothing_heavy() -> None:
    code = ("import sys, verify.testing.pytest_plugin; "
            "print(sorted(m for m in ('numpy', 'scipy', 'sympy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_fixtures_work_under_hypothesis(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from hypothesis import given, settings, strategies as st

        @settings(max_examples=5)
        @given(st.integers(1, 3))
        def test_it(initproof_seed, initproof_alpha, k):
            assert initproof_seed == 0 and initproof_alpha == 1e-6 and k >= 1
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize("option", ["--initproof-alpha=2", "--initproof-alpha=x",
                                    "--initproof-seed=-1"])
def test_bad_options_are_refused_at_start_up(pytester: pytest.Pytester, option: str) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest(option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*argument --initproof-*invalid*value*"])
