"""The output folder (SPEC §5, §6): the CSV files, solve.json, which files are written, and that a
failure at any point leaves the previous folder exactly as it was."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

import exporters.folder as folder
from exporters.folder import (
    OutputFolderError, check_replaceable, input_sha256, output_files, write_infeasible, write_output,
)
from exporters.timetable_csv import read_timetable, render_timetable_csv, render_unscheduled_csv
from models import InputError, SolveResult, Unscheduled
from tests.builders import activity, inspection, inspector, person, room, session, timetable

TRICKY_TITLE = '=HYPERLINK("x"), "quoted"; semi\nsecond line'


def small_timetable():
    insp = inspection(
        inspectors=[inspector("OF1"), inspector("CQ1", "CQC"), inspector("HM1", "HMIP")],
        people=[person("P1"), person("P2"), person("P3")],
        rooms=[room("R2", site="Depot"), room("R1"), room("V1", virtual=True, capacity=None)],
        activities=[
            activity("KIT", type="kit_meeting", recurs_daily=True, days=(0, 1), title="Keep in Touch"),
            activity("FG1", type="focus_group", title=TRICKY_TITLE, mode="virtual"),
            activity("LM1", type="leader_meeting", title="Leaders", priority="high"),
            activity("OB1", type="observation", title="Strategy meeting", priority="low"),
        ],
    )
    t = timetable(
        insp,
        # Given out of order: the file sorts by day, start, room, occurrence id.
        session("FG1", 1, 9 * 60, 10 * 60, "V1", ("CQ1",), ("P2", "P3")),
        session("KIT@Tue", 1, 9 * 60, 10 * 60, "R1", ("OF1",), ("P1",)),
        session("LM1", 0, 9 * 60, 10 * 60, "R2", ("CQ1",), ()),
        replace(session("KIT@Mon", 0, 9 * 60, 10 * 60, "R1", ("OF1", "CQ1"), ("P1",)), sequence=2),
    )
    return replace(t, unscheduled=(Unscheduled("OB1", "low", 'no room free, "all" booked'),))


def result_of(t, status="OPTIMAL", **kw):
    values = dict(status=status, timetable=t, objective=100, best_bound=100, wall_seconds=1.23456, seed=7)
    values.update(kw)
    return SolveResult(**values)


@pytest.fixture
def views(monkeypatch):
    """timetable.html and timetable.xlsx belong to their own modules (tested there): fast stand-ins
    here, so these tests are about the folder."""
    monkeypatch.setattr(folder, "_views", lambda changed: {
        "timetable.html": lambda t: b"<html>week</html>", "timetable.xlsx": lambda t: b"PK-xlsx"})


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def siblings(root: Path) -> list[str]:
    return sorted(p.name for p in root.parent.iterdir())


@pytest.fixture
def previous(tmp_path, views):
    """An output folder written by an earlier run."""
    out = tmp_path / "out"
    write_output(result_of(small_timetable()), out, source=None)
    (out / "invites" / "OLD.ics").write_bytes(b"from an earlier run")
    return out, snapshot(out)


# --- timetable.csv and unscheduled.csv ----------------------------------------------------------
def test_timetable_csv_is_sorted_rfc4180_with_titles_verbatim_and_no_site_online():
    text = render_timetable_csv(small_timetable())
    assert text.split("\r\n") == [
        "occurrence_id,activity_id,title,type,date,day,start,end,room,site,inspectors,attendees,sequence",
        "KIT@Mon,KIT,Keep in Touch,kit_meeting,2025-11-10,Mon,09:00,10:00,R1,Town Hall,OF1;CQ1,P1,2",
        "LM1,LM1,Leaders,leader_meeting,2025-11-10,Mon,09:00,10:00,R2,Depot,CQ1,,0",
        'KIT@Tue,KIT,Keep in Touch,kit_meeting,2025-11-11,Tue,09:00,10:00,R1,Town Hall,OF1,P1,0',
        'FG1,FG1,"=HYPERLINK(""x""), ""quoted""; semi\nsecond line",focus_group,2025-11-11,Tue,'
        "09:00,10:00,V1,,CQ1,P2;P3,0",
        "",
    ]


def test_unscheduled_csv_lists_each_optional_activity_left_out_with_its_reason():
    assert render_unscheduled_csv(small_timetable()) == (
        'activity_id,priority,reason\r\nOB1,low,"no room free, ""all"" booked"\r\n')


def test_read_timetable_gives_back_the_sessions_sequences_and_unscheduled(tmp_path):
    t = small_timetable()
    (tmp_path / "timetable.csv").write_text(render_timetable_csv(t), newline="")
    # Excel resaves with a BOM: still read.
    (tmp_path / "unscheduled.csv").write_bytes(b"\xef\xbb\xbf" + render_unscheduled_csv(t).encode())
    back = read_timetable(t.inspection, tmp_path)
    assert set(back.sessions) == set(t.sessions)
    assert back.session("KIT@Mon").sequence == 2
    assert back.unscheduled == t.unscheduled


def test_read_timetable_names_the_file_row_and_column_of_each_problem(tmp_path):
    t = small_timetable()
    lines = render_timetable_csv(t).split("\r\n")[:-1]  # no blank last row
    lines[1] = lines[1].replace("09:00", "9h", 1).replace(",R1,", ",R9,")
    lines[2] = lines[2].replace("CQ1", "ZZ9")
    lines.append(lines[3])  # KIT@Tue twice
    (tmp_path / "timetable.csv").write_text("\r\n".join(lines), newline="")
    with pytest.raises(InputError) as err:
        read_timetable(t.inspection, tmp_path)
    problems = {(p.table, p.row, p.column) for p in err.value.problems}
    assert problems == {("timetable.csv", 2, "start"), ("timetable.csv", 2, "room"),
                        ("timetable.csv", 3, "inspectors"), ("timetable.csv", 6, "occurrence_id"),
                        ("unscheduled.csv", None, None)}
    assert err.value.exit_code == 2
    assert "unscheduled.csv is missing" in str(err.value)


def test_read_timetable_refuses_a_folder_without_a_timetable(tmp_path):
    with pytest.raises(InputError, match="timetable.csv is missing"):
        read_timetable(small_timetable().inspection, tmp_path)
    (tmp_path / "timetable.csv").write_text("id,when\r\nA,Mon\r\n")
    (tmp_path / "unscheduled.csv").write_text(render_unscheduled_csv(small_timetable()))
    with pytest.raises(InputError, match="the header must be occurrence_id,activity_id"):
        read_timetable(small_timetable().inspection, tmp_path)


# --- which files ----------------------------------------------------------------------------------
def test_output_folder_holds_every_file_of_spec_5(tmp_path, views):
    out = tmp_path / "out"
    write_output(result_of(small_timetable()), out, source=None)
    assert sorted(snapshot(out)) == [
        "calendars/CQ1.ics", "calendars/OF1.ics", "calendars/P1.ics", "calendars/P2.ics",
        "calendars/P3.ics",  # HM1 has no session: no calendar
        "invites/FG1.ics", "invites/KIT@Mon.ics", "invites/KIT@Tue.ics", "invites/LM1.ics",
        "solve.json", "timetable.csv", "timetable.html", "timetable.xlsx", "unscheduled.csv",
    ]
    assert (out / "invites" / "KIT@Mon.ics").read_bytes().count(b"BEGIN:VEVENT") == 1
    assert (out / "calendars" / "CQ1.ics").read_bytes().count(b"BEGIN:VEVENT") == 3
    assert siblings(out) == ["out"]  # no temporary folder left behind
    assert oct(out.stat().st_mode & 0o777) == oct(0o777 & ~folder._umask())


def test_the_real_html_and_xlsx_views_are_written(tmp_path):
    files = output_files(result_of(small_timetable()), source=None)
    assert files["timetable.html"].lstrip().lower().startswith(b"<!doctype html")
    assert files["timetable.xlsx"].startswith(b"PK")  # a zip, as every .xlsx is


def test_a_whatif_adds_its_own_files(tmp_path, views):
    out = tmp_path / "out"
    write_output(result_of(small_timetable(), changes=1, changes_proven_minimal=True), out, source=None,
                 extra_files={"changes.csv": b"occurrence_id\r\n", "outbox/LM1.ics": b"x"})
    assert (out / "changes.csv").exists() and (out / "outbox" / "LM1.ics").read_bytes() == b"x"
    summary = json.loads((out / "solve.json").read_text())
    assert summary["changes"] == 1 and summary["changes_proven_minimal"] is True


# --- solve.json ---------------------------------------------------------------------------------
def test_solve_json_has_the_fields_of_spec_5(tmp_path, views):
    workbook = tmp_path / "inspection.xlsx"
    workbook.write_bytes(b"workbook bytes")
    out = tmp_path / "out"
    write_output(result_of(small_timetable()), out, source=workbook)
    text = (out / "solve.json").read_text()
    summary = json.loads(text)
    assert summary == {
        "status": "OPTIMAL", "objective": 100, "best_bound": 100, "gap": 0.0, "wall_seconds": 1.235,
        "scheduled": 4, "unscheduled": 1,  # five occurrences, OB1 not held
        "seed": 7, "input_sha256": hashlib.sha256(b"workbook bytes").hexdigest(),
    }
    assert '"gap": 0.0' in text  # a JSON number, not a string


def test_solve_json_of_an_interrupted_feasible_run(tmp_path, views):
    out = tmp_path / "out"
    write_output(result_of(small_timetable(), status="FEASIBLE", objective=90, best_bound=111,
                           interrupted=True), out, source=None)
    summary = json.loads((out / "solve.json").read_text())
    assert summary["gap"] == pytest.approx((111 - 90) / 111)
    assert summary["interrupted"] is True
    assert "changes" not in summary and "input_sha256" not in summary


def test_input_sha256_of_a_folder_covers_each_csv_name_and_bytes(tmp_path):
    source = tmp_path / "inspection"
    source.mkdir()
    (source / "rooms.csv").write_bytes(b"id,name\r\nR1,Hall\r\n")
    (source / "settings.csv").write_bytes(b"key,value\r\n")
    first = input_sha256(source)
    (source / "notes.txt").write_text("not input")
    assert input_sha256(source) == first
    (source / "rooms.csv").write_bytes(b"id,name\r\nR1,Hal\r\n")
    assert input_sha256(source) != first
    (source / "rooms.csv").write_bytes(b"id,name\r\nR1,Hall\r\n")
    (source / "rooms.csv").rename(source / "people.csv")  # same bytes, another table
    assert input_sha256(source) != first


# --- what may be replaced -----------------------------------------------------------------------
def test_only_a_folder_schedule_wrote_or_an_empty_one_is_replaced(tmp_path, views):
    check_replaceable(tmp_path / "new")  # not there yet
    (tmp_path / "empty").mkdir()
    check_replaceable(tmp_path / "empty")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "report.docx").write_bytes(b"someone's work")
    with pytest.raises(OutputFolderError, match="not written by schedule") as err:
        write_output(result_of(small_timetable()), mine, source=None)
    assert err.value.exit_code == 2
    assert snapshot(mine) == {"report.docx": b"someone's work"}
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(OutputFolderError, match="is a file"):
        check_replaceable(afile)


def test_a_new_run_replaces_the_whole_previous_folder(previous, views):
    out, _ = previous
    t = small_timetable()
    write_output(result_of(replace(t, sessions=t.sessions[:1])), out, source=None)
    files = snapshot(out)
    assert "invites/OLD.ics" not in files and "invites/KIT@Mon.ics" not in files
    assert "invites/FG1.ics" in files
    assert siblings(out) == ["out"]


# --- atomicity ----------------------------------------------------------------------------------
def test_a_renderer_failing_half_way_leaves_the_previous_folder_as_it_was(previous, monkeypatch):
    out, before = previous
    calls = []

    def fails_on_third(timetable, session):
        calls.append(session)
        if len(calls) == 3:
            raise RuntimeError("renderer broke")
        return b"x"

    monkeypatch.setattr(folder, "render_invite", fails_on_third)
    with pytest.raises(RuntimeError, match="renderer broke"):
        write_output(result_of(small_timetable()), out, source=None)
    assert snapshot(out) == before
    assert siblings(out) == ["out"]


def test_a_write_failing_half_way_leaves_the_previous_folder_as_it_was(previous, monkeypatch):
    out, before = previous
    real_fsync, calls = os.fsync, []

    def disk_full(fd):
        calls.append(fd)
        if len(calls) == 5:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(folder.os, "fsync", disk_full)
    with pytest.raises(OutputFolderError, match="No space left on device") as err:
        write_output(result_of(small_timetable()), out, source=None)
    assert err.value.exit_code == 2 and "previous folder is unchanged" in str(err.value)
    assert snapshot(out) == before
    assert siblings(out) == ["out"]  # the half-written folder is gone


def test_a_swap_failing_puts_the_previous_folder_back(previous, monkeypatch):
    out, before = previous
    real_rename = os.rename

    def refuse_new_folder(src, dst):
        if Path(src).name.startswith(".out.new-"):
            raise OSError(13, "Permission denied")
        real_rename(src, dst)

    monkeypatch.setattr(folder.os, "rename", refuse_new_folder)
    with pytest.raises(OutputFolderError, match="Permission denied"):
        write_output(result_of(small_timetable()), out, source=None)
    assert snapshot(out) == before
    assert siblings(out) == ["out"]


def test_an_unwritable_parent_is_refused_and_the_previous_folder_kept(previous, monkeypatch):
    out, before = previous

    def no_permission(**kw):
        raise PermissionError(13, "Permission denied")

    # Tests run as root in CI, where chmod cannot make a folder unwritable: refuse the temp folder.
    monkeypatch.setattr(folder.tempfile, "mkdtemp", no_permission)
    with pytest.raises(OutputFolderError, match="Permission denied"):
        write_output(result_of(small_timetable()), out, source=None)
    assert snapshot(out) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a read-only folder")
def test_a_read_only_parent_is_refused(previous):
    out, before = previous
    out.parent.chmod(0o555)
    try:
        with pytest.raises(OutputFolderError):
            write_output(result_of(small_timetable()), out, source=None)
    finally:
        out.parent.chmod(0o755)
    assert snapshot(out) == before


def test_a_parent_that_is_a_file_is_refused(tmp_path, views):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputFolderError, match="cannot write the output folder"):
        write_output(result_of(small_timetable()), tmp_path / "afile" / "out", source=None)


# --- infeasible ---------------------------------------------------------------------------------
def test_an_infeasible_run_leaves_only_the_explanation_solve_json_and_unscheduled(previous):
    out, _ = previous
    left_out = [Unscheduled("FG1", "must", "no CQC inspector is free on Tuesday")]
    write_infeasible(out, ["CQC inspectors CQ1 and CQ2 are both unavailable on Tuesday"],
                     result_of(None, status="INFEASIBLE", objective=0, best_bound=0), left_out,
                     minimal=False)
    files = snapshot(out)
    assert sorted(files) == ["explanation.txt", "solve.json", "unscheduled.csv"]
    explanation = files["explanation.txt"].decode()
    assert "- CQC inspectors CQ1 and CQ2 are both unavailable on Tuesday" in explanation
    assert "may not be minimal" in explanation
    summary = json.loads(files["solve.json"])
    assert summary == {"status": "INFEASIBLE", "best_bound": 0, "wall_seconds": 1.235,
                       "scheduled": 0, "unscheduled": 1, "seed": 7}
    assert files["unscheduled.csv"] == (
        b"activity_id,priority,reason\r\nFG1,must,no CQC inspector is free on Tuesday\r\n")
    assert siblings(out) == ["out"]


def test_an_infeasible_run_without_a_result_still_says_so(tmp_path):
    write_infeasible(tmp_path / "out", ["A must be held on Monday, which is a bank holiday"], None, [])
    summary = json.loads((tmp_path / "out" / "solve.json").read_text())
    assert summary == {"status": "INFEASIBLE", "scheduled": 0, "unscheduled": 0}


# --- file names from ids ---------------------------------------------------------------------------
def test_two_sessions_whose_invites_share_a_file_name_in_any_case_write_nothing(tmp_path, views):
    """On Windows and macOS `LM-CSC.ics` and `lm-csc.ics` are one file: one invite would replace
    the other (on main before the fix, 49 sessions gave 47 invites)."""
    insp = inspection(inspectors=[inspector("OF1")], people=[person("P1")], rooms=[room("R1")],
                      activities=[activity("LM-CSC", title="One"), activity("lm-csc", title="Two")])
    t = timetable(insp, session("LM-CSC", 0, 9 * 60, 10 * 60, "R1", ("OF1",), ("P1",)),
                  session("lm-csc", 1, 9 * 60, 10 * 60, "R1", ("OF1",), ("P1",)))
    with pytest.raises(OutputFolderError, match="would both be named invites/LM-CSC.ics"):
        write_output(result_of(t), tmp_path / "out", source=None)
    assert not (tmp_path / "out").exists()


def test_a_whatif_file_may_not_take_the_name_of_another(previous, views):
    """An activity `FG1.cancel` has the invite of FG1's cancellation for the people taken out."""
    out, before = previous
    with pytest.raises(OutputFolderError, match="would both be named invites/FG1.ics"):
        write_output(result_of(small_timetable()), out, source=None, extra_files={"invites/fg1.ics": b"x"})
    assert snapshot(out) == before
