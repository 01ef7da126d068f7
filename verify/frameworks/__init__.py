"""Frameworks' initializers against derive's schemes, through adapters; `identify` a sample."""

from verify.frameworks.identification import Candidate, identify
from verify.frameworks.protocol import Adapter, Entry, Sampler
from verify.frameworks.registry import GROUP, adapter, installed, names, versions
from verify.frameworks.runner import ORTHOGONAL_TOL, Row, crosscheck

__all__ = ["GROUP", "ORTHOGONAL_TOL", "Adapter", "Candidate", "Entry", "Row", "Sampler",
           "adapter", "crosscheck", "identify", "installed", "names", "versions"]
