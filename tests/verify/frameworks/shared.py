"""One cross-check per framework per test session, shared by the adapter tests and the
docs/crosscheck.md staleness test."""

from __future__ import annotations

from functools import cache

from verify.frameworks import Entry, Row, Spelling, crosscheck
from verify.frameworks.translation import claim_of, same_law


@cache
def rows_of(framework: str) -> list[Row]:
    """`crosscheck(framework)` at the defaults (seed 0, alpha 1e-6), run once."""
    return crosscheck(framework)


def exact_spellings(module: object) -> tuple[list[tuple[Entry, Spelling]], set[str]]:
    """Each entry that draws a law (`claim_of`) with the first offer of its own adapter's
    `spell` drawing that same law; and the names of the entries with no such offer."""
    found, missing = [], set()
    for entry in module.entries():  # type: ignore[attr-defined]
        law = claim_of(entry)
        if law is None:
            continue
        exact = [o for o in module.spell(law, entry.role)  # type: ignore[attr-defined]
                 if same_law(o.claim, law)]
        if exact:
            found.append((entry, exact[0]))
        else:
            missing.add(entry.name)
    return found, missing
