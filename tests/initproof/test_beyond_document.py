"""docs/experiments/beyond.md: current, with its figures, and refused without matplotlib."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from initproof import experiments
from initproof.theory import document
from tests.conftest import DOCS


def test_beyond_document_is_current(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="its figures need the plot extra")
    code = ("import sys, pathlib, initproof.theory.document as d; "
            "sys.stdout.write(d.document(pathlib.Path(sys.argv[1])))")
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                         text=True, check=True, env={**os.environ, **experiments.PINNED_KERNELS})
    on_disk = (DOCS / "experiments" / document.NAME).read_text(encoding="utf-8")
    changed = [f"- {a}\n+ {b}" for a, b in zip(on_disk.splitlines(), run.stdout.splitlines(),
                                                 strict=False) if a != b]
    assert on_disk == run.stdout, ("docs/experiments/beyond.md is stale: run `make docs` and "
                                   "commit; first changed lines:\n" + "\n".join(changed[:3]))
    figures = document.FIGURE.findall(run.stdout)
    assert figures and {f for f in figures} <= {p.name for p in tmp_path.glob("*.png")}
    assert all((DOCS / "experiments" / f).stat().st_size > 10_000 for f in figures)


def test_beyond_document_refuses_without_matplotlib(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from initproof import extras

    monkeypatch.setattr(extras, "find_spec", lambda name: None)
    for name, value in experiments.PINNED_KERNELS.items():  # as if re-started with them pinned
        monkeypatch.setenv(name, value)
    code = experiments.generate("initproof.theory", "", document.write, [str(tmp_path / "out")])
    assert code == 1
    assert "needs matplotlib" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
