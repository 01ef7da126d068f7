"""pytest plugin (entry point `pytest11`): a `statistical` marker, seed and alpha options.

Imports nothing heavy at load; use the fixtures with `verify.assert_initializer`:

    @pytest.mark.statistical
    def test_my_init(initproof_seed, initproof_alpha):
        assert_initializer(my_init, "he_normal", shape=(256, 128),
                           seed=initproof_seed, alpha=initproof_alpha)
"""

from __future__ import annotations

import pytest


def _seed(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def _alpha(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise ValueError(text)
    return value


_seed.__name__ = "non-negative integer seed"  # what pytest's usage error calls a bad value
_alpha.__name__ = "alpha in (0, 1)"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("initproof")
    group.addoption("--initproof-seed", type=_seed, default=0,
                    help="seed for statistical initializer checks, >= 0 (default: 0)")
    group.addoption("--initproof-alpha", type=_alpha, default=1e-6,
                    help="family-wise error rate of each check, in (0, 1) (default: 1e-6)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "statistical: a calibrated statistical check of an initializer (initproof)")


# Session-scoped, so that hypothesis's @given tests may use them (it refuses function-scoped
# fixtures, which would not be reset between its examples).
@pytest.fixture(scope="session")
def initproof_seed(pytestconfig: pytest.Config) -> int:
    return int(pytestconfig.getoption("--initproof-seed"))


@pytest.fixture(scope="session")
def initproof_alpha(pytestconfig: pytest.Config) -> float:
    return float(pytestconfig.getoption("--initproof-alpha"))
