"""`initproof phase`: the critical line and the depth scales, as a table, as JSON, as a
figure; bad input is one line and exit code 2."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from derive.proofs.meanfield import meanfield
from initproof.cli import main

R = meanfield().results


def test_tanh_table_shows_the_published_critical_points(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["phase", "tanh", "--bias-variance", "0,0.05"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line[:1].isdigit()}
    assert rows["0.05"][1] == f"{float(R['tanh_critical_weight_variance']):.4g}" == "1.761"
    assert rows["0.05"][2] == f"{float(R['tanh_critical_q_star']):.3g}"
    assert rows["0"][1:3] == ["1", "0"]  # through (1, 0), where q* = 0
    assert "keeps its memory" in out  # q* = 0 below it is explained, not printed as nonsense


def test_json_has_the_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["phase", "tanh", "--bias-variance", "0.05", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (row,) = data["rows"]
    assert row["critical_weight_variance"] == pytest.approx(
        float(R["tanh_critical_weight_variance"]), rel=1e-12)
    assert row["q_star"] == pytest.approx(float(R["tanh_critical_q_star"]), rel=1e-12)
    assert row["lengths"] == "fixed point" and row["notes"] == []
    assert [p["phase"] for p in row["points"]] == ["ordered", "ordered", "chaotic", "chaotic"]
    assert all(p["xi_c"] > 1 and p["xi_q"] > 0 for p in row["points"])


def test_relu_says_where_there_is_no_critical_point(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["phase", "relu", "--bias-variance", "0,0.1", "--json"]) == 0
    zero, biased = json.loads(capsys.readouterr().out)["rows"]
    assert zero["critical_weight_variance"] == biased["critical_weight_variance"] == float(
        R["relu_critical_weight_variance"])
    assert zero["lengths"] == "any" and "every length is a fixed point" in zero["notes"][0]
    assert biased["lengths"] == "infinite" and biased["q_star"] is None
    assert "no critical point at finite length" in biased["notes"][0]
    assert biased["points"][2]["phase"] == "no fixed point"
    assert biased["points"][2]["xi_c"] is None  # infinite: JSON null, not a number
    assert main(["phase", "relu", "--bias-variance", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "inf" in out and "no critical point at finite length" in out


def test_unknown_activation_is_one_line_naming_the_choices(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["phase", "tahn"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "unknown activation 'tahn' (did you mean tanh?); choose from: linear, tanh" in err


@pytest.mark.parametrize(("value", "message"), [
    ("-1", "finite and >= 0, got -1"), ("0,x", "expected numbers like 0,0.05,0.1"),
    ("inf", "finite and >= 0")])
def test_bad_bias_variances(value: str, message: str,
                            capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["phase", "tanh", "--bias-variance", value])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_plot_writes_the_phase_diagram(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib", reason="plots need the plot extra")
    path = tmp_path / "relu.png"
    assert main(["phase", "relu", "--bias-variance", "0.1,0.2", "--plot", str(path)]) == 0
    assert path.stat().st_size > 10_000
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]
    assert "wrote" in capsys.readouterr().err


def test_plot_needs_an_image_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["phase", "tanh", "--plot", "diagram.txt"])
    assert e.value.code == 2
    assert "needs an image extension" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_plot_into_a_locked_folder_fails_before_any_work(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    assert main(["phase", "tanh", "--plot", str(locked / "p.png")]) == 2
    captured = capsys.readouterr()
    assert "cannot write" in captured.err and captured.out == ""


def test_the_experiment_grid_is_pure() -> None:
    """Each Monte Carlo task of the phase diagram carries its own seed: measuring it twice,
    or in any order, gives the same result (so the grid can be mapped in parallel)."""
    from initproof.theory.criticality import grid_tasks, measure_point

    tasks = grid_tasks(points=((1.0, 0.05), (3.0, 0.1)))
    first, again = measure_point(tasks[1], 5), measure_point(tasks[1], 5)
    assert first.measured.slope == again.measured.slope
    assert first.xi_theory == pytest.approx(again.xi_theory)
