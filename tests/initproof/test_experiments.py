"""The classic experiments: their claims, their document, and `initproof propagate`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from initproof import experiments
from initproof.cli import main
from tests.conftest import DOCS
from verify.training import init_params, train


def test_identity_example_is_exact() -> None:
    _, runs = experiments.identity_example((1.5, 0.5))
    for c, prof in runs.items():
        layers = np.arange(1, 11)
        assert np.allclose(prof.std / prof.std[0], c ** (layers - 1), rtol=1e-12)
        assert np.allclose(prof.grad_var / prof.grad_var[-1], c ** (2 * (10 - layers)),
                           rtol=1e-12)


def test_tanh_experiment_shows_collapse_saturation_spread() -> None:
    _, runs = experiments.tanh_saturation()
    assert all(c.agree for c in runs.values())
    assert runs["small_normal"].measured.std[-1] < 1e-5
    assert np.mean(np.abs(runs["standard_normal"].measured.values[-1]) > 0.99) > 0.8
    spread = runs["lecun_normal"].measured
    assert 0.1 < spread.std[-1] < 0.5 and np.mean(np.abs(spread.values[-1]) > 0.99) < 0.01


def test_relu_depth_experiment() -> None:
    _, runs = experiments.relu_depth(depths=(30,), width=128, batch=64)
    assert all(c.agree for c in runs.values())
    ratio = runs["lecun_normal", 30].measured.var[-1] / runs["he_normal", 30].measured.var[-1]
    assert ratio == pytest.approx(2.0**-30, rel=1e-9)


def test_convergence_experiment() -> None:
    _, curves, _ = experiments.convergence(steps=500)
    assert np.all(curves["zeros"] == curves["zeros"][0])
    assert curves["small_normal"][-1] > 0.99 * curves["small_normal"][0]
    assert curves["lecun_normal"][-1] < 0.5 * curves["lecun_normal"][0]


@settings(max_examples=25, deadline=None)
@given(const=st.floats(-2, 2), steps=st.integers(0, 15), seed=st.integers(0, 2**16),
       hidden=st.integers(2, 9))
def test_constant_init_keeps_hidden_units_identical(const: float, steps: int, seed: int,
                                                    hidden: int) -> None:
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(20, 3)), np.sign(rng.normal(size=20))
    params = init_params(lambda shape, s: np.full(shape, const), [3, hidden, hidden, 1], 0)
    trained, _ = train(params, x, y, steps, lr=0.5)
    for w in trained[:4]:
        assert np.ptp(w, axis=0).max() <= 1e-12 * (1 + np.abs(w).max())


@pytest.mark.torch
def test_experiment_docs_are_current() -> None:
    pytest.importorskip("torch", reason="docs/experiments records PyTorch's gains: the torch "
                                        "extra (make frameworks)")
    code = "import sys, initproof.experiments as e; sys.stdout.write(e.document()[0])"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, **experiments.PINNED_KERNELS})
    assert (DOCS / "experiments" / "README.md").read_text(encoding="utf-8") == run.stdout, (
        "docs/experiments is stale: run `make docs` and commit")
    figures = re.findall(r"\]\((.*\.png)\)", run.stdout)
    assert figures and all((DOCS / "experiments" / f).stat().st_size > 10_000 for f in figures)


def test_experiments_refuse_without_their_extras(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from initproof import extras

    monkeypatch.setattr(extras, "find_spec", lambda name: None)
    for name, value in experiments.PINNED_KERNELS.items():  # as if re-started with them pinned
        monkeypatch.setenv(name, value)
    assert experiments.main([str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "needs torch, matplotlib" in err and "nothing was written" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.plot
def test_cli_propagate_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib", reason="plots need the plot extra")
    plot = tmp_path / "p.png"
    assert main(["propagate", "--init", "lecun_normal", "--activation", "tanh", "--depth", "4",
                 "--width", "64", "--batch", "64", "--plot", str(plot)]) == 0
    assert "agree within tolerance" in capsys.readouterr().out
    assert plot.stat().st_size > 10_000
    assert [p.name for p in tmp_path.iterdir()] == ["p.png"]


def test_cli_propagate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["propagate", "--depth", "3", "--width", "32", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["agree"] and len(data["measured"]["var"]) == 3
    assert main(["propagate", "--depth", "3", "--width", "4,5"]) == 2
    assert "depth + 1" in capsys.readouterr().err
    assert main(["propagate", "--init", "hee_normal"]) == 2


def test_experiments_refuse_an_unwritable_folder_before_running(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me")
    monkeypatch.setattr(experiments, "require", lambda *args: None)
    monkeypatch.setattr(experiments, "document", lambda: pytest.fail("ran the experiments"))
    for name, value in experiments.PINNED_KERNELS.items():
        monkeypatch.setenv(name, value)
    assert experiments.main([str(blocker / "out")]) == 2
    assert "is not a folder" in capsys.readouterr().err and blocker.read_text() == "keep me"
