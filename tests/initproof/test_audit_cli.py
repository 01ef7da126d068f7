"""`initproof audit`: bad input is one line and exit 2; a model audits to a table or JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import derive
from initproof.cli import main

FACTORY = '''
def good():
    import torch  # inside: the bad-input tests import this module without torch
    from torch import nn

    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(32, 64), nn.LayerNorm(64))


def wide():
    model = good()
    model[0].weight.data *= 1.5
    return model


def broken():
    raise RuntimeError("no such checkpoint")
'''


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "zoo_for_audit.py").write_text(FACTORY)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("argv", "message"), [
    (["audit", "nocolon"], "expected MODULE:FACTORY"),
    (["audit", "no_such_module_here:build"], "cannot import 'no_such_module_here'"),
    (["audit", "zoo_for_audit:missing"], "has no 'missing'"),
    (["audit", "zoo_for_audit:good", "--rules", "absent.toml"], "cannot read absent.toml"),
    (["audit", "zoo_for_audit:good", "--rules", "bad.toml"], "not valid TOML"),
    (["audit", "zoo_for_audit:good", "--rules", "rule.toml"], "rule '*.weight'"),
    (["audit", "zoo_for_audit:good", "--rules", "table.toml"], "unknown table(s) rule"),
    (["audit", "zoo_for_audit:good", "--input-shape", "0,5"], "must be positive"),
    (["audit", "zoo_for_audit:good", "--input-shape", "100000,100000,100"], "not fit in memory"),
])
def test_bad_input_is_one_line_and_exit_2(folder: Path, argv: list[str], message: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "bad.toml").write_text("[rules\n")
    (folder / "rule.toml").write_text('[rules]\n"*.weight" = "normal(std=d**-0.5)"\n')
    (folder / "table.toml").write_text('[rule]\n"*" = "zeros"\n')
    try:
        code = main(argv)
    except SystemExit as e:  # argparse's own usage errors
        code = e.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


def test_a_factory_that_raises_is_one_line(folder: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    assert main(["audit", "zoo_for_audit:broken"]) == 2
    assert "raised RuntimeError: no such checkpoint" in capsys.readouterr().err


@pytest.mark.torch
def test_audit_table_json_and_strict(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    assert main(["audit", "zoo_for_audit:good", "--strict", "--input-shape", "64,32"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("PASS") and "ok   0 (Linear): forward" in out
    assert main(["audit", "zoo_for_audit:good", "--input-shape", "64,31"]) == 2
    assert "did not run on a unit-Gaussian batch of shape (64, 31)" in capsys.readouterr().err
    (folder / "rules.toml").write_text('[constants]\nd = 32\n[rules]\n'
                                       '"0.weight" = "uniform(-d**-0.5, d**-0.5)"\n')
    assert main(["audit", "zoo_for_audit:wide", "--rules", "rules.toml", "--json",
                 "--strict"]) == 1
    data = json.loads(capsys.readouterr().out)
    row = next(r for r in data["rows"] if r["path"] == "0.weight")
    assert not data["passed"] and row["source"] == "rule 0.weight" and not row["passed"]


PORT = '''
import torch
from torch import nn
from flax import nnx


def torch_mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 256), nn.Linear(256, 64))


class FlaxMLP(nnx.Module):
    def __init__(self, rngs):
        self.fc1, self.fc2 = nnx.Linear(64, 256, rngs=rngs), nnx.Linear(256, 64, rngs=rngs)


def flax_mlp():
    return FlaxMLP(nnx.Rngs(0))


def torch_mlp_again():
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(64, 256), nn.Linear(256, 64))
'''


@pytest.mark.torch
@pytest.mark.jax
def test_compare_finds_the_changed_defaults_of_a_port(folder: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("flax.nnx")
    (folder / "port_for_compare.py").write_text(PORT)
    assert main(["compare", "port_for_compare:torch_mlp", "port_for_compare:torch_mlp_again",
                 "--strict"]) == 0
    assert capsys.readouterr().out.startswith("SAME")
    (folder / "map.toml").write_text('[map]\n"0.weight" = "fc1/kernel"\n')
    assert main(["compare", "port_for_compare:torch_mlp", "port_for_compare:flax_mlp",
                 "--map", "map.toml", "--json", "--strict"]) == 1
    data = json.loads(capsys.readouterr().out)
    first = data["rows"][0]
    assert (first["a"], first["b"]) == ("0.weight", "fc1/kernel") and not first["passed"]
    ratio = float(re.search(r"variances differ by ([0-9.]+)x", first["detail"]).group(1))
    schemes = derive.SCHEMES  # PyTorch's U(+-1/sqrt(fan_in)) against Flax's LeCun normal
    expected = schemes["uniform_inv_sqrt"].variance_at(64, 256) / \
        schemes["lecun_truncated_normal"].variance_at(64, 256)
    assert ratio == pytest.approx(expected, rel=0.05)
    (folder / "badmap.toml").write_text('[map]\n"0.weight" = "nowhere"\n')
    assert main(["compare", "port_for_compare:torch_mlp", "port_for_compare:flax_mlp",
                 "--map", "badmap.toml"]) == 2
    assert "B does not have: nowhere" in capsys.readouterr().err
