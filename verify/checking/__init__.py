"""Checking one initializer against a derive scheme: the battery and its statistics."""

from verify.checking.battery import (
    CHUNK,
    DEFAULT_DELTA,
    DEFAULT_POWER,
    PVALUED,
    assert_initializer,
    check,
    default_samples,
)
from verify.checking.precision import MANTISSA_BITS
from verify.checking.result import Check, Finding, Report
from verify.checking.statistics import (
    detectable,
    distribution,
    holm,
    kurtosis,
    power_z,
    samples_for,
    z_two_sided,
)

__all__ = ["CHUNK", "DEFAULT_DELTA", "DEFAULT_POWER", "MANTISSA_BITS", "PVALUED", "Check",
           "Finding", "Report", "assert_initializer", "check", "default_samples", "detectable",
           "distribution", "holm", "kurtosis", "power_z", "samples_for", "z_two_sided"]
