"""initproof.verify: calibrated statistical checks of initializers against derive's formulas.

Every number checked against is computed from `derive`; nothing is re-typed here.
Names load on first use, so that the pytest plugin imports nothing heavy.
"""

from __future__ import annotations

import importlib

_HOME = {
    "CONVENTIONS": "verify.layout", "fans": "verify.layout", "sample": "verify.sampling",
    "Check": "verify.battery", "Report": "verify.battery", "check": "verify.battery",
    "assert_initializer": "verify.battery", "propagate": "verify.montecarlo",
    "Profile": "verify.montecarlo", "predict": "verify.theory", "compare": "verify.theory",
    "gain": "verify.theory", "crosscheck": "verify.frameworks",
    "identify": "verify.identification",
}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> object:
    if name not in _HOME:
        raise AttributeError(f"module 'verify' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name]), name)
