"""A third-party adapter, installed as a package registering the `initproof.adapters` entry
point, is found by the registry, cross-checked, translated into and run from the CLI."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from verify.frameworks import GROUP, crosscheck, names
from verify.frameworks.translation import translate

ADAPTER = '''
"""A tiny framework whose initializers are verify's own sampler, one of them broken."""
from derive import SCHEMES, variance_scaling
from verify import sample
from verify.frameworks.protocol import Entry, Spelling, literal

CONVENTION = "torch"


def version():
    return "tiny 0.1"


def disturb():
    pass


def _he(factor):
    return lambda shape, dtype, seed: sample("he_normal", shape, rng=seed) * factor


def entries():
    return [Entry("he_normal", _he(1.0), ((256, 256),), SCHEMES["he_normal"]),
            Entry("he_normal, broken", _he(1.5), ((256, 256),), SCHEMES["he_normal"])]


def spell(target, role):
    if target.mode is None or role == "bias":
        return []
    return [Spelling(f"tiny.normal(w, {literal(target.scale)}, {target.mode!r})",
                     variance_scaling(target.scale, target.mode, "normal"))]
'''


@pytest.fixture()
def installed_tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """What `pip install tiny-initproof` leaves in site-packages: the module and its
    dist-info with the entry point."""
    (tmp_path / "tiny_initproof.py").write_text(ADAPTER, encoding="utf-8")
    info = tmp_path / "tiny_initproof-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tiny-initproof\nVersion: 0.1\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\ntiny = tiny_initproof\n",
                                           encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    return tmp_path


def test_a_registered_adapter_is_found_and_cross_checked(installed_tiny: Path) -> None:
    assert "tiny" in names()
    rows = {r.initializer: r for r in crosscheck("tiny")}
    assert rows["he_normal"].passed
    broken = rows["he_normal, broken"]
    assert not broken.passed and "variance" in broken.finding


def test_translate_writes_in_a_registered_framework(installed_tiny: Path) -> None:
    pytest.importorskip("torch")
    (weight,) = translate("torch", "kaiming_normal_", to=["tiny"])
    assert weight.exact and weight.call == "tiny.normal(w, 2, 'fan_in')"
    (uniform,) = translate("torch", "kaiming_uniform_", to=["tiny"])
    assert not uniform.exact and "nearest" in uniform.note


def test_the_cli_runs_a_registered_adapter(installed_tiny: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "initproof", "crosscheck", "tiny", "--json"],
                         capture_output=True, text=True, check=False,
                         env={"PYTHONPATH": str(installed_tiny), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert {(r["initializer"], r["passed"]) for r in rows} == {("he_normal", True),
                                                              ("he_normal, broken", False)}
