"""What `schedule solve` leaves behind when things go wrong (SPEC §5, §6), through the CLI: Ctrl-C,
a destination that cannot be written, a folder that is not ours, formula-looking text, and an
infeasible week. A previous output folder is either replaced whole or left byte for byte."""
from __future__ import annotations

import csv
import errno
import io
import json
import os
import zipfile
from dataclasses import replace
from pathlib import Path

import icalendar
import openpyxl
import pytest
from click.testing import CliRunner

import exporters.folder as folder
import scheduler
from cli import main
from fixtures.example import write_tables
from tests.test_fuzz_inputs import feasible_base
from tests.test_ics import read_icaljs, read_icalendar, read_vobject

# Text that a spreadsheet would run as a formula if it were not stored as text.
FORMULA_TEXTS = {
    "KIT": "=1+1",
    "FG1": "+44 20 7946 0000 focus group",
    "MI1": "-2 days: manager interview",
    "OBS1": "@SUM(A1:A9)",
    "CT1": '=HYPERLINK("http://example.invalid","Case 3")',
}


def solve(input_dir: Path, out: Path, *more: str):
    result = CliRunner().invoke(main, ["solve", str(input_dir), "--out", str(out), "--time-limit", "5",
                                       *more])
    # No traceback, ever: the only exception that may end a command is click's own exit.
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}")
    assert "Traceback" not in result.output
    return result


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def siblings(path: Path) -> list[str]:
    """What sits next to the output folder: a temporary folder left behind would show here."""
    return sorted(p.name for p in path.parent.iterdir())


@pytest.fixture
def input_dir(tmp_path) -> Path:
    return write_tables(feasible_base(), csv_dir=tmp_path / "input")[0].parent


@pytest.fixture
def previous(tmp_path, input_dir) -> tuple[Path, dict[str, bytes]]:
    """An output folder written by an earlier, successful run."""
    out = tmp_path / "out"
    result = solve(input_dir, out)
    assert result.exit_code == 0, result.output
    return out, snapshot(out)


# --- (a) Ctrl-C -----------------------------------------------------------------------------------
def test_ctrl_c_in_the_search_leaves_the_previous_folder_byte_identical(monkeypatch, input_dir, previous):
    out, before = previous

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(scheduler, "solve", interrupted)  # cli imports it when the command runs
    result = solve(input_dir, out)
    assert result.exit_code == 130
    assert "Interrupted: nothing written." in result.output
    assert snapshot(out) == before
    assert siblings(out) == ["input", "out"]


def test_ctrl_c_in_the_search_with_no_previous_folder_writes_nothing(monkeypatch, input_dir, tmp_path):
    monkeypatch.setattr(scheduler, "solve", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    result = solve(input_dir, tmp_path / "out")
    assert result.exit_code == 130
    assert not (tmp_path / "out").exists()
    assert siblings(tmp_path / "out") == ["input"]


def test_ctrl_c_while_the_files_are_written_leaves_the_previous_folder(monkeypatch, input_dir, previous):
    out, before = previous
    real_open = open
    opened = []

    def open_then_interrupt(path, *args, **kwargs):
        opened.append(path)
        if len(opened) == 5:  # part-way through the new folder
            raise KeyboardInterrupt
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(folder, "open", open_then_interrupt, raising=False)
    result = solve(input_dir, out)
    assert result.exit_code == 130
    assert len(opened) == 5
    assert snapshot(out) == before
    assert siblings(out) == ["input", "out"]  # the half-written folder is gone


def test_an_interrupted_search_with_a_timetable_writes_it_marked_interrupted(monkeypatch, input_dir,
                                                                             tmp_path):
    """SPEC §6: Ctrl-C after a timetable holding every must was found writes it, status FEASIBLE,
    `interrupted: true` in solve.json (what the solver returns then, written by the CLI)."""
    real = scheduler.solve
    monkeypatch.setattr(scheduler, "solve", lambda inspection, **kw: replace(
        real(inspection, **kw), status="FEASIBLE", interrupted=True))
    out = tmp_path / "out"
    result = solve(input_dir, out)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Interrupted: this timetable holds every must but is not proven optimal.")
    summary = json.loads((out / "solve.json").read_text())
    assert summary["interrupted"] is True and summary["status"] == "FEASIBLE"


# --- (b) a destination that cannot be written -----------------------------------------------------
def test_a_failing_file_write_leaves_the_previous_folder_unchanged(monkeypatch, input_dir, previous):
    out, before = previous
    real_open = open
    opened = []

    def open_or_fail(path, *args, **kwargs):
        opened.append(path)
        if len(opened) == 3:  # tests run as root, so a read-only folder would not stop us
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(folder, "open", open_or_fail, raising=False)
    result = solve(input_dir, out)
    assert result.exit_code == 2
    assert f"Error: cannot write the output folder {out}: Permission denied; the previous folder is " \
           "unchanged" in result.output
    assert snapshot(out) == before
    assert siblings(out) == ["input", "out"]


def test_a_full_disk_on_the_first_write_leaves_no_folder(monkeypatch, input_dir, tmp_path):
    def no_space(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(folder, "open", no_space, raising=False)
    result = solve(input_dir, tmp_path / "out")
    assert result.exit_code == 2
    assert "No space left on device; the previous folder is unchanged" in result.output
    assert siblings(tmp_path / "out") == ["input"]


def test_a_failing_swap_puts_the_previous_folder_back(monkeypatch, input_dir, previous):
    out, before = previous
    real_rename = os.rename
    renames = []

    def rename(source, target):
        renames.append((Path(source), Path(target)))
        if ".out.new-" in Path(source).name:  # the new folder moving in
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_rename(source, target)

    monkeypatch.setattr(folder.os, "rename", rename)
    result = solve(input_dir, out)
    assert result.exit_code == 2
    assert "Invalid cross-device link; the previous folder is unchanged" in result.output
    assert len(renames) == 3  # old away, new in (fails), old back
    assert snapshot(out) == before
    assert siblings(out) == ["input", "out"]


# --- (c) a folder schedule did not write ----------------------------------------------------------
def test_a_non_empty_folder_without_solve_json_is_refused_before_solving(monkeypatch, input_dir, tmp_path):
    out = tmp_path / "reports"
    (out / "old").mkdir(parents=True)
    (out / "notes.docx").write_bytes(b"someone's own work")
    (out / "old" / "timetable.csv").write_bytes(b"a,b\r\n")
    before = snapshot(out)
    calls = []
    monkeypatch.setattr(scheduler, "solve", lambda *a, **k: calls.append(a))
    result = solve(input_dir, out)
    assert result.exit_code == 2
    assert result.output == (f"Error: {out} is not empty and was not written by schedule (it has no "
                             "solve.json); it is left as it is: choose another --out, or empty it first\n")
    assert calls == []  # refused before the search, not after it
    assert snapshot(out) == before and sorted(p.name for p in out.iterdir()) == ["notes.docx", "old"]


def test_a_file_as_the_output_folder_is_refused(input_dir, tmp_path):
    out = tmp_path / "timetable.csv"
    out.write_bytes(b"not a folder")
    result = solve(input_dir, out)
    assert result.exit_code == 2
    assert f"Invalid value for '--out': Directory '{out}' is a file." in result.output  # said by click
    assert out.read_bytes() == b"not a folder"


def test_an_empty_folder_is_filled(input_dir, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    result = solve(input_dir, out)
    assert result.exit_code == 0, result.output
    assert (out / "solve.json").is_file() and (out / "timetable.csv").is_file()


# --- (d) text that looks like a formula -----------------------------------------------------------
def test_formula_looking_text_is_verbatim_in_csv_and_text_in_xlsx(input_dir, tmp_path):
    tables = feasible_base()
    for row in tables["activities"]:
        row["title"] = FORMULA_TEXTS[row["id"]]
    tables["inspectors"][0]["name"] = "=cmd|' /C calc'!A0"
    tables["rooms"][0]["name"] = "+Council Chamber"
    write_tables(tables, csv_dir=input_dir)
    out = tmp_path / "out"
    result = solve(input_dir, out)
    assert result.exit_code == 0, result.output

    data = (out / "timetable.csv").read_bytes()
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    held = {row["activity_id"]: row["title"] for row in rows}
    assert held == FORMULA_TEXTS  # the week has room for every activity
    # RFC 4180: quoted only where the text needs it, quotes doubled; nothing added in front.
    assert b',"=HYPERLINK(""http://example.invalid"",""Case 3"")",' in data
    assert b"'=" not in data and b"'+" not in data and b"\t=" not in data
    assert data.count(b"\r\n") == len(rows) + 1

    workbook = openpyxl.load_workbook(out / "timetable.xlsx")
    risky = [c for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))]
    assert {c.value for c in risky} >= set(held.values())
    assert any(c.value.startswith("=cmd|' /C calc'!A0; ") for c in risky)  # OF1 first of the inspectors
    assert all(c.data_type == "s" for c in risky), [(c.coordinate, c.data_type) for c in risky]
    with zipfile.ZipFile(out / "timetable.xlsx") as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and not any(b"<f>" in archive.read(n) or b"<f " in archive.read(n) for n in sheets)


# --- (e) an infeasible week -----------------------------------------------------------------------
def test_an_infeasible_week_exits_1_with_only_the_explanation_files(input_dir, previous):
    out, _ = previous  # a folder schedule wrote: replaced by the explanation
    tables = feasible_base()
    # HC1 is the only inspector of the must 'Strategy meeting' (OBS1) and is away all week.
    tables["unavailability"] += [{"id": "HC1", "day": day, "start": "", "end": "", "reason": "leave"}
                                 for day in ("Mon", "Tue", "Wed", "Thu", "Fri")]
    write_tables(tables, csv_dir=input_dir)
    result = solve(input_dir, out)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("No timetable can hold every 'must' activity:\n")
    assert "Strategy meeting" in result.output
    assert sorted(p.name for p in out.rglob("*")) == ["explanation.txt", "solve.json", "unscheduled.csv"]
    summary = json.loads((out / "solve.json").read_text())
    assert summary["status"] == "INFEASIBLE" and summary["scheduled"] == 0
    with open(out / "unscheduled.csv", newline="", encoding="utf-8") as handle:
        unscheduled = list(csv.DictReader(handle))
    assert [(u["activity_id"], u["priority"]) for u in unscheduled] == [("OBS1", "must")]
    assert "Strategy meeting" in (out / "explanation.txt").read_text()
    assert siblings(out) == ["input", "out"]


# --- what validate accepts, solve can write -------------------------------------------------------
def test_an_apostrophe_in_an_email_is_accepted_by_validate_and_solve_alike(input_dir, tmp_path):
    """o'neill@… is a valid address: validate accepted it, yet solve used to search the whole week
    and then stop with exit 2, 'organiser_email is missing or not a plain email address'."""
    tables = feasible_base()
    for row in tables["settings"]:
        if row["key"] == "organiser_email":
            row["value"] = "jtai.o'neill@northmere.gov.uk"
    tables["people"][0]["email"] = "lee.o'brien@northmere.gov.uk"  # L1, at every daily KiT
    write_tables(tables, csv_dir=input_dir)
    out = tmp_path / "out"
    result = solve(input_dir, out)
    assert result.exit_code == 0, result.output
    invite = str(out / "invites" / "KIT@Mon.ics")
    event = icalendar.Calendar.from_ical(Path(invite).read_bytes()).walk("VEVENT")[0]
    assert str(event["ORGANIZER"]) == "mailto:jtai.o'neill@northmere.gov.uk"
    assert "mailto:lee.o'brien@northmere.gov.uk" in [str(a) for a in event["ATTENDEE"]]
    # The three clients read the same event, every attendee included.
    read = read_icalendar(invite)
    assert read_vobject(invite) == read
    assert read_icaljs([invite])[invite] == read
    assert read[0][3] == len(event["ATTENDEE"])


# --- options beyond what the solver takes ---------------------------------------------------------
@pytest.mark.parametrize("option", [("--seed", "2147483648"), ("--seed", str(10**20)),
                                    ("--workers", str(10**10))])
def test_a_seed_or_workers_beyond_32_bits_is_refused_with_exit_2(input_dir, tmp_path, option):
    result = CliRunner().invoke(main, ["solve", str(input_dir), "--out", str(tmp_path / "out"),
                                       "--time-limit", "1", *option])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2
    assert not (tmp_path / "out").exists()


def test_time_limit_without_every_must_says_so_and_lists_the_musts_left(monkeypatch, input_dir, previous):
    # The search ends (time limit) with no timetable holding every must, and the quick first-fit
    # placed none of them either: exit 1, a plain sentence, the musts in unscheduled.csv.
    import importlib

    from ortools.sat.python import cp_model

    solve_module = importlib.import_module("scheduler.solve")  # the module, not the function it exports

    monkeypatch.setattr(solve_module, "run_search", lambda *a, **k: (cp_model.UNKNOWN, False))
    monkeypatch.setattr(solve_module, "greedy_timetable", lambda *a, **k: [])
    monkeypatch.setattr(solve_module, "best_first_fit_start", lambda inspection, candidates, greedy: greedy)
    out, _ = previous
    result = solve(input_dir, out)
    assert result.exit_code == 1
    assert "time limit" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in out.iterdir()) == ["explanation.txt", "solve.json", "unscheduled.csv"]
    listed = list(csv.DictReader(io.StringIO((out / "unscheduled.csv").read_text(encoding="utf-8"))))
    musts = {r["id"] for r in feasible_base()["activities"] if r.get("priority", "must") in ("", "must")}
    assert {r["activity_id"] for r in listed} == musts and {r["priority"] for r in listed} == {"must"}
