"""docs/audit.md is what the generator writes now; the planted faults are each found by
the check that should see them, and the fixed model passes."""

from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="the audits need the torch extra")
pytest.importorskip("transformers", reason="docs/audit.md audits transformers models")
pytest.importorskip("keras", reason="docs/audit.md audits a Keras model")
pytest.importorskip("flax", reason="docs/audit.md audits a Flax NNX model")
pytest.importorskip("haiku", reason="docs/audit.md audits a Haiku tree")
pytest.importorskip("equinox", reason="docs/audit.md audits an Equinox model")

from initproof import audits
from tests.conftest import DOCS
from verify import audit

pytestmark = [pytest.mark.torch, pytest.mark.transformers]


def _tiny(faults: bool) -> object:
    case = next(c for c in audits.cases() if c.name.startswith("TinyGPT")
                and ("faults" in c.name) == faults)
    return audit(case.build(), case.rules, constants=case.constants)


def test_every_planted_fault_is_found_by_the_right_check() -> None:
    report = _tiny(faults=True)
    rows = {r.path: r for r in report.rows if not r.passed}
    assert set(rows) == {"h.1.c_proj.weight", "h.2.c_proj.weight", "h.3.attn.in_proj_weight"}
    assert "100 sd, at flat index 2567" in rows["h.1.c_proj.weight"].detail  # the outlier
    assert "observed variance is 8.0" in rows["h.2.c_proj.weight"].detail  # rule not applied
    assert rows["h.3.attn.in_proj_weight"].observed_variance / \
        rows["h.3.attn.in_proj_weight"].expected_variance == pytest.approx(2, rel=0.03)
    identical = [f.paths for f in report.findings if f.kind == "identical"]
    assert identical == [("h.0.c_fc.weight", "h.1.c_fc.weight")]


def test_the_fixed_model_passes() -> None:
    assert _tiny(faults=False).passed


def test_audit_md_is_current() -> None:
    assert (DOCS / "audit.md").read_text(encoding="utf-8") == audits.document(), \
        "docs/audit.md is stale: run make docs"
