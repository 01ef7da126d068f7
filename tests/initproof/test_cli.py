"""The command line: exit codes, one-line errors, atomic writes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from initproof.cli import main


def test_unknown_scheme_names_the_closest(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["derive", "glorot_norml"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "unknown scheme 'glorot_norml'" in err and "glorot_normal" in err


def test_derive_shows_a_scheme(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["derive", "he_uniform"]) == 0
    out = capsys.readouterr().out
    assert "sqrt(6)/sqrt(fan_in)" in out and "proved" in out


def test_derive_writes_the_documents(tmp_path: Path) -> None:
    assert main(["derive", "--out", str(tmp_path / "d")]) == 0
    names = {p.name for p in (tmp_path / "d").iterdir()}
    assert "initproof-derivations.tex" in names and "01-product-variance.md" in names
    assert not [n for n in names if n.endswith(".tmp")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_out_is_a_clear_error(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    assert main(["derive", "--out", str(locked)]) == 2
    assert "cannot write to" in capsys.readouterr().err
    assert list(locked.iterdir()) == []


def test_out_that_is_a_file_is_a_clear_error(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("keep me")
    assert main(["derive", "--out", str(blocker / "sub")]) == 2
    assert "cannot write to" in capsys.readouterr().err
    assert blocker.read_text() == "keep me"


def test_failed_write_leaves_the_old_file_whole(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from initproof import files

    (tmp_path / "a.md").write_text("old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError):
        files.write_files({"a.md": "new"}, tmp_path)
    assert (tmp_path / "a.md").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]


def test_bad_subcommand_exits_2() -> None:
    with pytest.raises(SystemExit) as e:
        main(["nonsense"])
    assert e.value.code == 2


def test_verify_passes_and_reports(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "he_uniform", "glorot_truncated_normal", "--shape", "32x16x3x3"]) == 0
    out = capsys.readouterr().out
    assert "2 passed, 0 failed" in out and "max_near_bound" in out


def test_verify_json(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["verify", "lecun_normal", "--json", "--samples", "50000"]) == 0
    (report,) = json.loads(capsys.readouterr().out)
    assert report["passed"] and report["scheme"] == "lecun_normal" and report["n"] >= 50000


def test_written_files_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        assert main(["derive", "--out", str(tmp_path / "d")]) == 0
    finally:
        os.umask(old)
    modes = {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "d").iterdir()}
    assert modes == {0o644}


def test_version_and_module_entry(capsys: pytest.CaptureFixture[str]) -> None:
    from initproof import __version__

    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"initproof {__version__}"
    run = subprocess.run([sys.executable, "-m", "initproof", "--version"], capture_output=True,
                         text=True, check=False)
    assert run.returncode == 0 and run.stdout.strip() == f"initproof {__version__}"


@pytest.mark.parametrize("argv", [
    ["verify", "--shape", "5"], ["verify", "--samples", "0"], ["verify", "he_nrmal"],
    ["verify", "--alpha", "2"], ["verify", "he_uniform", "--seed", "-1"],
    ["verify", "he_uniform", "--shape", "100000,100000"],
    ["propagate", "--width", "100000"],
    ["propagate", "--bias", "nan"], ["propagate", "--bias", "inf"], ["propagate", "--bias", "-1"],
    ["propagate", "--slope", "nan"],
    ["propagate", "--plot", "noext"], ["propagate", "--plot", "curves.xyz"],
    ["propagate", "--depth", "0"], ["propagate", "--alpha", "0"],
])
def test_bad_input_is_one_line_and_exit_2(argv: list[str],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as e:  # argparse's own usage errors
        code = e.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("initproof")


def test_output_paths_are_checked_before_the_work(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    folder, blocker = tmp_path / "a-folder", tmp_path / "a-file"
    folder.mkdir()
    blocker.write_text("keep me")
    assert main(["propagate", "--depth", "2", "--width", "8", "--plot",
                 str(blocker / "x.png")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert main(["crosscheck", "torch", "--out", str(folder)]) == 2
    assert "it is a folder" in capsys.readouterr().err
    assert sorted(tmp_path.iterdir()) == [blocker, folder] and blocker.read_text() == "keep me"


def test_json_has_no_nan(capsys: pytest.CaptureFixture[str]) -> None:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in JSON")

    main(["propagate", "--init", "zeros", "--depth", "2", "--width", "8", "--batch", "4",
          "--json"])
    data = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert data["measured"]["var"] == [0.0, 0.0]


def test_ctrl_c_ends_with_one_line_and_130(monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from initproof import runs

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(runs, "prove", interrupted)
    monkeypatch.setattr("initproof.cli.prove", interrupted)
    assert main(["derive"]) == 130
    assert capsys.readouterr().err.strip().startswith("initproof: interrupted")


def test_progress_without_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from initproof.runs import Progress

    progress = Progress(every=0.0)
    for k in (1, 2, 3):
        progress(k, 3)
    assert capsys.readouterr().err.splitlines()[-1].strip().startswith("3/3")
