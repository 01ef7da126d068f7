"""Frameworks' initializers against derive's schemes, through adapters; `identify` a sample."""

from verify.frameworks.identification import Candidate, identify
from verify.frameworks.protocol import Adapter, Entry, Sampler, Speller, Spelling
from verify.frameworks.registry import GROUP, adapter, installed, names, versions
from verify.frameworks.runner import HAAR_DRAWS, ORTHOGONAL_TOL, Row, crosscheck
from verify.frameworks.translation import Translation, translate

__all__ = ["GROUP", "HAAR_DRAWS", "ORTHOGONAL_TOL", "Adapter", "Candidate", "Entry", "Row",
           "Sampler", "Speller", "Spelling", "Translation", "adapter", "crosscheck", "identify",
           "installed", "names", "translate", "versions"]
