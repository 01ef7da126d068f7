"""initproof.verify: calibrated statistical checks of initializers against derive's formulas.

Every number checked against is computed from `derive`; nothing is re-typed here.
"""

from verify.check import Check, Report, assert_initializer, check
from verify.fans import CONVENTIONS, fans
from verify.sampling import sample

__all__ = ["CONVENTIONS", "Check", "Report", "assert_initializer", "check", "fans", "sample"]
