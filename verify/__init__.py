"""initproof.verify: calibrated statistical checks of initializers against derive's formulas.

Every number checked against is computed from `derive`; nothing is re-typed here.
Four capabilities, each in its own package: `checking` (one initializer against a
claim), `propagation` (signal through depth, theory against Monte Carlo), `frameworks`
(frameworks' initializers through adapters) and `auditing` (whole models). Names load on first use,
so that the pytest plugin imports nothing heavy.
"""

from __future__ import annotations

import importlib

_HOME = {
    "CONVENTIONS": "verify.layout", "fans": "verify.layout",
    "Initializer": "verify.sampling", "sample": "verify.sampling",
    "child_seeds": "verify.sampling", "initializer": "verify.sampling",
    "Check": "verify.checking", "Report": "verify.checking", "check": "verify.checking",
    "assert_initializer": "verify.checking",
    "Profile": "verify.propagation", "Tolerance": "verify.propagation",
    "Comparison": "verify.propagation", "Gain": "verify.propagation",
    "propagate": "verify.propagation", "predict": "verify.propagation",
    "compare": "verify.propagation", "gain": "verify.propagation",
    "coord_check": "verify.width_scaling", "CoordCheck": "verify.width_scaling",
    "jacobian_spectrum": "verify.propagation", "predict_spectrum": "verify.propagation",
    "q_star": "verify.propagation", "chi1": "verify.propagation",
    "correlation_map": "verify.propagation", "depth_scales": "verify.propagation",
    "critical_weight_variance": "verify.propagation",
    "Residual": "verify.propagation", "predict_residual": "verify.propagation",
    "Adapter": "verify.frameworks", "Entry": "verify.frameworks", "Row": "verify.frameworks",
    "Candidate": "verify.frameworks", "crosscheck": "verify.frameworks",
    "identify": "verify.frameworks", "translate": "verify.frameworks",
    "Translation": "verify.frameworks", "Spelling": "verify.frameworks",
    "audit": "verify.auditing", "assert_model_init": "verify.auditing",
    "AuditReport": "verify.auditing", "compare_models": "verify.auditing",
}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> object:
    if name not in _HOME:
        raise AttributeError(f"module 'verify' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name]), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
