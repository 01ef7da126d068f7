"""docs/crosscheck.md: current, when every library is installed at the recorded versions."""

from __future__ import annotations

import pytest

from initproof.documents import crosscheck_document
from tests.conftest import DOCS
from tests.verify.frameworks.shared import rows_of
from verify.frameworks import installed, names, versions

DOC = DOCS / "crosscheck.md"


@pytest.mark.torch
@pytest.mark.jax
@pytest.mark.keras
def test_full_document_is_current() -> None:
    """Regenerate docs/crosscheck.md with every library and compare (versions must match)."""
    absent = sorted(set(names()) - set(installed()))
    if absent:
        pytest.skip(f"needs {', '.join(absent)} (make frameworks)")
    text = DOC.read_text(encoding="utf-8")
    ran = "Versions: " + "; ".join(versions(fw) for fw in names()) + "."
    if ran not in text:
        pytest.skip(f"docs/crosscheck.md was generated with other versions than {ran}")
    rows = [r for fw in names() for r in rows_of(fw)]
    assert crosscheck_document(rows, 1e-6) == text, "docs/crosscheck.md is stale: run `make docs`"
