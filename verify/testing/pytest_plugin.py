"""pytest plugin (entry point `pytest11`): a `statistical` marker, seed and alpha options.

Imports nothing heavy at load; use the fixtures with `verify.assert_initializer`:

    @pytest.mark.statistical
    def test_my_init(initproof_seed, initproof_alpha):
        assert_initializer(my_init, "he_normal", shape=(256, 128),
                           seed=initproof_seed, alpha=initproof_alpha)
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("initproof")
    group.addoption("--initproof-seed", type=int, default=0,
                    help="seed for statistical initializer checks (default: 0)")
    group.addoption("--initproof-alpha", type=float, default=1e-6,
                    help="family-wise error rate of each check (default: 1e-6)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "statistical: a calibrated statistical check of an initializer (initproof)")


@pytest.fixture
def initproof_seed(request: pytest.FixtureRequest) -> int:
    return int(request.config.getoption("--initproof-seed"))


@pytest.fixture
def initproof_alpha(request: pytest.FixtureRequest) -> float:
    return float(request.config.getoption("--initproof-alpha"))
