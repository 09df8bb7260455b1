"""Nothing a lead has is ever lost, and nothing a user can do shows a traceback (SPEC §6): output
folders that would swallow the input or the baseline, dangling links, signals during the write,
hand-edited output folders, odd option values, and text that could drive a terminal."""
from __future__ import annotations

import csv
import io
import json
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


# --- hand-edited output folders: exit 2 naming the file, never a traceback ----------------------
def edited_copy(base: Path, where: Path, column: str, value: str, row: int = 0) -> Path:
    """A copy of an output folder with one timetable.csv cell edited by hand."""
    import shutil

    shutil.copytree(base, where)
    path = where / "timetable.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    rows[row][column] = value
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return where


@pytest.mark.parametrize("sequence", ["²", "9" * 30, "١"])
def test_a_sequence_that_is_no_sane_number_is_named(solved, tmp_path, sequence):
    input_dir, base = solved
    edited = edited_copy(base, tmp_path / "edited", "sequence", sequence)
    for args in (["check", input_dir, edited],
                 ["whatif", input_dir, "--baseline", edited, "--drop", "P1", "--out", tmp_path / "out"]):
        result = run(*args)
        assert result.exit_code == 2, result.output
        assert "  - timetable.csv, row 2, column sequence: " in result.output
    assert not (tmp_path / "out").exists()


def test_a_timetable_field_longer_than_the_csv_module_reads_is_no_traceback(solved, tmp_path):
    input_dir, base = solved
    edited = edited_copy(base, tmp_path / "edited", "title", "t" * 140_000)
    for args in (["check", input_dir, edited], ["show", edited]):
        result = run(*args)
        assert result.exit_code in (0, 2), result.output
        assert "Traceback" not in result.output


@pytest.mark.parametrize("request_json", [
    '{"drop": 5, "unavailable": [], "now": null}', "[1]", '{"drop": [], "unavailable": [[1]], "now": [1]}',
    '{"drop": [], "unavailable": [["P1", 9, 0, 60]], "now": null}', '{"drop": [], "unavailable": [], "now": [1]}',
    '{"drop": [], "unavailable": [], "now": [true, 600]}', "not json"])
def test_a_hand_edited_whatif_json_is_named(solved, tmp_path, request_json):
    import shutil

    input_dir, base = solved
    folder = shutil.copytree(base, tmp_path / "whatif")
    (folder / "whatif.json").write_text(request_json)
    result = run("check", input_dir, folder)
    assert result.exit_code == 2, result.output
    assert "  - whatif.json: cannot be read: " in result.output


# --- options and commands ------------------------------------------------------------------------
@pytest.mark.parametrize("limit", ["nan", "inf", "NaN", "1e999"])
def test_time_limits_that_are_no_number_of_seconds_are_refused(solved, tmp_path, limit):
    input_dir, _ = solved
    result = run("solve", input_dir, "--out", tmp_path / "out", "--time-limit", limit)
    assert result.exit_code == 2, result.output
    assert "is not a number of seconds" in result.output
    assert not (tmp_path / "out").exists()


def test_an_empty_now_is_refused(solved, tmp_path):
    input_dir, base = solved
    result = run("whatif", input_dir, "--baseline", base, "--drop", "P1", "--now", "", "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "--now" in result.output and "is not a day and a time" in result.output
    assert not (tmp_path / "out").exists()


def test_init_into_a_folder_that_cannot_be_made_exits_2(tmp_path):
    (tmp_path / "afile").write_text("x")
    result = run("init", tmp_path / "afile" / "work")
    assert result.exit_code == 2, result.output
    assert f"cannot write the example into {tmp_path / 'afile' / 'work'}" in result.output


def test_init_into_a_folder_that_has_the_example_exits_2(tmp_path):
    assert run("init", tmp_path).exit_code == 0
    result = run("init", tmp_path)
    assert result.exit_code == 2, result.output
    assert "already exist: nothing was written" in result.output


def test_a_time_limit_too_short_says_so_with_status_unknown(solved, tmp_path, monkeypatch):
    """The search stopping with nothing found is not a proof that the musts clash; on main before
    the fix it said "No timetable can hold every 'must'", status INFEASIBLE, with an empty list of
    what the first-fit could not place."""
    import importlib

    from ortools.sat.python import cp_model

    input_dir, _ = solved
    monkeypatch.setattr(importlib.import_module("scheduler.solve"), "run_search", lambda solver, model, callback=None: (cp_model.UNKNOWN, False))
    out = tmp_path / "out"
    result = run("solve", input_dir, "--out", out, "--time-limit", "0.1")
    assert result.exit_code == 1, result.output
    assert result.output.splitlines() == [
        "No timetable holding every 'must' activity was found in time:",
        "  - the time limit (0.1 s) ran out before a timetable holding every must was found, and no "
        "clash between the musts was proven: give a longer --time-limit"]
    assert json.loads((out / "solve.json").read_text())["status"] == "UNKNOWN"
    explanation = (out / "explanation.txt").read_text()
    assert explanation.startswith("No timetable holding every 'must' activity was found in time:")
    assert "cannot all hold" not in explanation and "may not be minimal" not in explanation


# --- the terminal ----------------------------------------------------------------------------------
def test_show_prints_no_terminal_control_sequence(solved, tmp_path):
    _, base = solved
    title = ("\x1b]8;;https://evil.example\x1b\\Practitioners\x1b]8;;\x1b\\ \x1b]0;window title\x07"
             "\x9b31mgroup\u202e\x1b[2J")
    edited = edited_copy(base, tmp_path / "edited", "title", title)
    with (edited / "unscheduled.csv").open("a", encoding="utf-8", newline="") as handle:
        handle.write('CT1,low,"why \x1b]0;title\x07 not"\r\n')
    result = run("show", edited)
    assert result.exit_code == 0, result.output
    for char in "\x1b\x07\x9b\u202e":
        assert char not in result.output
    assert "Practitioners group" in " ".join(result.output.split())
    assert "why  not" in result.output


def test_a_baseline_that_lost_a_must_is_named_as_such(solved, tmp_path):
    """On main before the fix: "'Keep in Touch' on Mon ... no start time fits" (exit 1); since the
    re-plan places musts the baseline lacks, the note says why one is added."""
    import shutil

    input_dir, base = solved
    edited = shutil.copytree(base, tmp_path / "edited")
    path = edited / "timetable.csv"
    path.write_bytes(b"".join(line for line in path.read_bytes().splitlines(keepends=True)
                              if not line.startswith(b"KIT@Mon,")))
    result = run("whatif", input_dir, "--baseline", edited, "--drop", "P1", "--out", tmp_path / "out",
                 "--time-limit", 2, "--workers", 1)
    assert result.exit_code == 0, result.output
    assert (f"Note: the baseline does not hold the must 'Keep in Touch' (KIT@Mon) and does not say why: "
            f"its row was taken out of {edited / 'timetable.csv'}; the re-plan places it as new.") in result.output
    assert "no start time fits" not in result.output


# --- settings and ids validate must catch (on main before the fix: OK, then a crash or lost files)
def validated(tmp_path: Path, edit) -> object:
    data = feasible_base()
    edit(data)
    write_tables(data, csv_dir=tmp_path / "input")
    return run("validate", tmp_path / "input")


def setting(data, key: str, value: str) -> None:
    rows = [row for row in data["settings"] if row["key"] != key]
    data["settings"][:] = rows + [{"key": key, "value": value}]


@pytest.mark.parametrize("monday", ["9999-12-27", "0001-01-01"])
def test_a_week_start_at_the_ends_of_the_calendar_is_refused(tmp_path, monday):
    def edit(data):
        setting(data, "week_start", monday)
        for table in ("activities", "unavailability"):
            for row in data[table]:
                for column in ("days", "day"):
                    if column in row:
                        row[column] = row[column].replace("2025-11-12", "Wed").replace("2025-11-13", "Thu")
    result = validated(tmp_path, edit)
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[1:] == [
        f"  - settings, row 7, column value: {monday} is not a plausible inspection week: give a Monday "
        "from 2000 to 2099"]
    solved = run("solve", tmp_path / "input", "--out", tmp_path / "out", "--time-limit", 2)
    assert solved.exit_code == 2 and not (tmp_path / "out").exists()


def test_a_time_zone_no_invite_can_describe_is_refused_by_validate(tmp_path):
    result = validated(tmp_path, lambda data: setting(data, "timezone", "Africa/Casablanca"))
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[1] == (
        "  - settings, row 8, column value: settings timezone 'Africa/Casablanca' does not switch to "
        "and from summer time once a year by a fixed weekday rule, so no Outlook-safe VTIMEZONE can be "
        "written; use Europe/London")


@pytest.mark.parametrize("bad_id", [".LM-CSC", ".", "..", "_x", "-x"])
def test_an_id_must_start_with_a_letter_or_digit(tmp_path, bad_id):
    result = validated(tmp_path, lambda data: data["activities"][1].update(id=bad_id))
    assert result.exit_code == 2, result.output
    assert (f"  - activities, row 3 ({bad_id} 'Practitioners focus group'), column id: '{bad_id}' is not "
            "a valid id: use only letters, "
            "digits, '.', '_' and '-', starting with a letter or digit") in result.output


def test_ids_that_differ_only_in_letter_case_are_refused(tmp_path):
    def edit(data):
        data["activities"][2]["id"] = data["activities"][1]["id"].lower()
        data["activities"][2]["after"] = ""
    result = validated(tmp_path, edit)
    assert result.exit_code == 2, result.output
    assert ("  - activities, row 4 (fg1 'Manager interview'), column id: activity 'fg1' is already "
            "defined in row 3") in result.output


def test_an_activity_named_like_another_ones_cancellation_file_is_refused(tmp_path):
    result = validated(tmp_path, lambda data: data["activities"].append(
        dict(data["activities"][3], id="FG1.cancel")))
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[1:] == [
        "  - activities, row 7 (FG1.cancel 'Strategy meeting'), column id: 'FG1.cancel' and activity 'FG1' "
        "(row 3) would share the file "
        "name FG1.cancel.ics (the invite of one, the cancellations of the other): choose another id"]


def test_a_dry_run_folder_may_not_hold_the_output_folder_it_sends(solved, tmp_path):
    import shutil

    _, base = solved
    work = tmp_path / "W"
    work.mkdir()
    (work / "recipients.csv").write_text("person,email,files\r\n")  # an earlier dry run's folder
    shutil.copytree(base, work / "out")
    before = snapshot(work)
    for dry_run in (work, work / "out", work / "out" / "eml"):
        result = run("send", work / "out", "--dry-run", dry_run)
        assert result.exit_code == 2, result.output
        assert "the output folder is never modified" in result.output
    assert snapshot(work) == before
