"""Nothing a lead has is ever lost, and nothing a user can do shows a traceback (SPEC §6): output
folders that would swallow the input or the baseline, dangling links, signals during the write,
hand-edited output folders, odd option values, and text that could drive a terminal."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from fixtures.example import write_tables
from tests.test_fuzz_inputs import feasible_base

ROOT = Path(__file__).resolve().parent.parent


def run(*args: object):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def schedule_wrote(folder: Path) -> Path:
    """A folder an earlier run wrote (it holds solve.json), so it may be replaced."""
    folder.mkdir(parents=True)
    (folder / "solve.json").write_text("{}")
    return folder


@pytest.fixture(scope="module")
def solved(tmp_path_factory) -> tuple[Path, Path]:
    """A small input folder and its solved output folder (the baseline of a what-if)."""
    root = tmp_path_factory.mktemp("safety")
    write_tables(feasible_base(), csv_dir=root / "input")
    result = run("solve", root / "input", "--out", root / "base", "--time-limit", 5, "--workers", 1)
    assert result.exit_code == 0, result.output
    return root / "input", root / "base"


# --- the output folder never swallows what is being read ---------------------------------------
@pytest.mark.parametrize("form", ["folder", "workbook"])
def test_solve_refuses_an_output_folder_that_holds_the_input(tmp_path, form):
    work = schedule_wrote(tmp_path / "W")
    if form == "folder":
        write_tables(feasible_base(), csv_dir=work / "myinput")
        source = work / "myinput"
    else:
        write_tables(feasible_base(), xlsx_path=work / "my.xlsx")
        source = work / "my.xlsx"
    before = snapshot(work)
    result = run("solve", source, "--out", work, "--time-limit", 1)
    assert result.exit_code == 2, result.output
    assert f"--out {work} holds the input being read" in result.output
    assert snapshot(work) == before


def test_solve_refuses_an_output_folder_inside_the_input_however_spelt(tmp_path):
    write_tables(feasible_base(), csv_dir=tmp_path / "input")
    (tmp_path / "link").symlink_to(tmp_path)
    before = snapshot(tmp_path / "input")
    for out in (tmp_path / "input", tmp_path / "input" / "out", tmp_path / "link" / "input",
                tmp_path / "link"):
        result = run("solve", tmp_path / "input", "--out", out, "--time-limit", 1)
        assert result.exit_code == 2, result.output
        assert "the input is never modified" in result.output
    assert snapshot(tmp_path / "input") == before
    assert not (tmp_path / "input" / "out").exists()


def test_whatif_refuses_an_output_folder_that_holds_its_input(solved, tmp_path):
    input_dir, base = solved
    work = schedule_wrote(tmp_path / "W")
    write_tables(feasible_base(), csv_dir=work / "input")
    before = snapshot(work)
    result = run("whatif", work / "input", "--baseline", base, "--drop", "P1", "--out", work,
                 "--time-limit", 1)
    assert result.exit_code == 2, result.output
    assert "holds the input being read" in result.output
    assert snapshot(work) == before


def test_write_output_itself_refuses_a_folder_holding_its_source(solved, tmp_path):
    """The library guards the input too, whoever calls it."""
    from exporters.folder import OutputFolderError, check_replaceable

    input_dir, _ = solved
    with pytest.raises(OutputFolderError, match="holds the input"):
        check_replaceable(input_dir.parent, {"input": input_dir})


def test_a_dangling_output_link_is_named_as_one(solved, tmp_path):
    input_dir, _ = solved
    (tmp_path / "out").symlink_to(tmp_path / "nowhere")
    result = run("solve", input_dir, "--out", tmp_path / "out", "--time-limit", 1)
    assert result.exit_code == 2, result.output
    assert f"{tmp_path / 'out'} is a symbolic link to {tmp_path / 'nowhere'}, which does not exist" \
        in " ".join(result.output.split())
    assert (tmp_path / "out").is_symlink() and not (tmp_path / "nowhere").exists()


# --- signals ------------------------------------------------------------------------------------
def test_sigterm_during_the_write_leaves_no_temporary_folder_and_the_previous_one_kept(tmp_path):
    """Run in a child process: on main before the fix, SIGTERM killed the process mid-write."""
    previous = schedule_wrote(tmp_path / "out")
    (previous / "timetable.csv").write_text("kept")
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        import exporters.folder as folder
        real = folder._write_tree
        def write_then_terminated(root, files):
            real(root, dict(list(files.items())[:1]))
            os.kill(os.getpid(), signal.SIGTERM)
            real(root, files)
        folder._write_tree = write_then_terminated
        try:
            folder.replace_folder({str(previous)!r}, {{"a.txt": b"a", "b.txt": b"b"}})
        except KeyboardInterrupt:
            sys.exit(143)
        sys.exit(0)
    """)
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert child.returncode == 143, (child.returncode, child.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert snapshot(previous) == {"solve.json": b"{}", "timetable.csv": b"kept"}
