"""One cross-check per framework per test session, shared by the adapter tests and the
docs/crosscheck.md staleness test."""

from __future__ import annotations

from functools import cache

from verify.frameworks import Row, crosscheck


@cache
def rows_of(framework: str) -> list[Row]:
    """`crosscheck(framework)` at the defaults (seed 0, alpha 1e-6), run once."""
    return crosscheck(framework)
