"""Experiments beyond Glorot and He: criticality, residual depth, isometry, width scaling.

Each topic is one module with `experiment(out_dir) -> str`: it runs its Monte Carlo,
writes its figures into `out_dir` and returns its Markdown section. Every predicted
number comes from derive or verify; the section states each tolerance and where
it comes from.
"""

from __future__ import annotations

SEED = 2017  # the year of Schoenholz et al. and Pennington et al.


def table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def verdict(measured: float, predicted: float, tolerance: float) -> str:
    """'differs' outside the tolerance; 'inconclusive' within it when the tolerance would
    also admit a factor 2 (which moves the value by at least |predicted|/2); else 'agrees'."""
    if abs(measured - predicted) > tolerance:
        return "differs"
    return "inconclusive" if tolerance >= abs(predicted) / 2 else "agrees"
