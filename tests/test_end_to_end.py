"""The bundled example, solved once through the CLI (tests/conftest.py), read back as a user would:
the files of SPEC §5, the rule checker, three calendar clients, the HTML week, `schedule show`, and
no child's name anywhere."""
from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cli import main
from exporters.folder import input_sha256
from exporters.ics import event_uid, invite_filename
from exporters.timetable_csv import read_timetable
from fixtures import EXAMPLE_DIR
from fixtures.example import FIRST_NAMES
from loader import load_inspection
from models import DAYS, format_minutes
from tests.conftest import EXAMPLE_SEED
from tests.test_ics import emails, expected_events, read_icaljs, read_icalendar, read_vobject

TIMETABLE_HEADER = ["occurrence_id", "activity_id", "title", "type", "date", "day", "start", "end",
                    "room", "site", "inspectors", "attendees", "sequence"]
STATUSES = {"OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN"}


def invoke(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture(scope="module")
def inspection():
    return load_inspection(EXAMPLE_DIR)


@pytest.fixture(scope="module")
def rows(solved_example) -> list[dict[str, str]]:
    with open(solved_example / "timetable.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def week(solved_example, inspection):
    return read_timetable(inspection, solved_example)


def test_solve_writes_every_file_of_a_timetable_folder(solved_example, week):
    top = sorted(p.name for p in solved_example.iterdir())
    assert top == ["calendars", "input", "invites", "solve.json", "timetable.csv", "timetable.html",
                   "timetable.xlsx", "unscheduled.csv"]
    # The input it was made from, as read (SPEC §5), loads to the same inspection.
    assert load_inspection(solved_example / "input") == load_inspection(EXAMPLE_DIR)
    # One invite per held occurrence, one calendar per inspector or person with a session.
    invites = sorted(p.name for p in (solved_example / "invites").iterdir())
    assert invites == sorted(invite_filename(s.occurrence_id) for s in week.sessions)
    calendars = sorted(p.name for p in (solved_example / "calendars").iterdir())
    assert calendars == sorted(f"{rid}.ics" for rid in {r for s in week.sessions for r in s.everyone})
    # No temporary sibling left behind by the atomic swap.
    assert [p.name for p in solved_example.parent.iterdir()] == [solved_example.name]


def test_the_checker_passes_the_written_timetable(solved_example):
    result = invoke("check", str(EXAMPLE_DIR), str(solved_example))
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"OK: \d+ sessions keep every rule\n", result.output)


def test_timetable_csv_has_the_spec_columns_and_well_formed_rows(rows, solved_example, inspection):
    with open(solved_example / "timetable.csv", newline="", encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == TIMETABLE_HEADER
    assert rows
    for row in rows:
        occurrence = inspection.occurrence_by_id[row["occurrence_id"]]
        activity = occurrence.activity
        assert row["activity_id"] == activity.id
        daily = f"{activity.id}@{row['day']}"
        assert row["occurrence_id"] == (daily if activity.recurs_daily else activity.id)
        assert row["title"] == activity.title and row["type"] == activity.type
        day = DAYS.index(row["day"])
        assert row["date"] == inspection.date_of(day).isoformat()
        assert re.fullmatch(r"\d\d:\d\d", row["start"]) and re.fullmatch(r"\d\d:\d\d", row["end"])
        room = inspection.room_by_id[row["room"]]
        assert row["site"] == ("" if room.virtual else room.site)
        assert re.fullmatch(r"\d+", row["sequence"])


def test_solve_json_fields_and_types(solved_example, inspection, week):
    summary = json.loads((solved_example / "solve.json").read_text(encoding="utf-8"))
    assert summary["status"] in STATUSES and summary["status"] in ("OPTIMAL", "FEASIBLE")
    assert type(summary["objective"]) is int and type(summary["best_bound"]) is int
    assert summary["objective"] == week.held_weight  # the held weight of what was written
    assert type(summary["gap"]) is float  # a JSON number, never a string like "12%"
    expected_gap = (summary["best_bound"] - summary["objective"]) / max(1, summary["best_bound"])
    assert summary["gap"] == (0.0 if summary["status"] == "OPTIMAL" else pytest.approx(expected_gap))
    assert isinstance(summary["wall_seconds"], (int, float)) and summary["wall_seconds"] > 0
    assert summary["scheduled"] == len(week.sessions)
    assert summary["scheduled"] + summary["unscheduled"] == len(inspection.occurrences)
    assert summary["seed"] == EXAMPLE_SEED
    assert re.fullmatch(r"[0-9a-f]{64}", summary["input_sha256"])
    assert summary["input_sha256"] == input_sha256(EXAMPLE_DIR)


def test_every_invite_and_calendar_reads_the_same_in_three_clients(solved_example, week):
    files: dict[str, list] = {}  # path -> [(session, attendee count)], as tests/test_ics.py expects
    for s in week.sessions:
        invite = solved_example / "invites" / invite_filename(s.occurrence_id)
        files[str(invite)] = [(s, len(emails(week, s)))]
    for path in sorted((solved_example / "calendars").iterdir()):
        files[str(path)] = [(s, 0) for s in week.sessions_of(path.stem)]  # PUBLISH: no attendees
    expected = expected_events(week, files)
    assert {path: read_icalendar(path) for path in expected} == expected
    assert {path: read_vobject(path) for path in expected} == expected
    assert read_icaljs(list(expected)) == expected


def test_uids_are_the_same_in_a_second_solve_with_the_same_seed(solved_example, tmp_path, inspection):
    again = tmp_path / "again"
    # A shorter search: it may hold fewer optional sessions, but every must, with the same UIDs.
    result = invoke("solve", "--out", str(again), "--time-limit", "8", "--seed", str(EXAMPLE_SEED))
    assert result.exit_code == 0, result.output

    def uids(folder: Path) -> dict[str, str]:
        found = {}
        for path in (folder / "invites").iterdir():
            line = next(l for l in path.read_bytes().decode("utf-8").split("\r\n") if l.startswith("UID:"))
            found[path.name] = line.removeprefix("UID:")
        return found

    first, second = uids(solved_example), uids(again)
    musts = {invite_filename(o.id) for o in inspection.occurrences if o.is_must}
    assert musts <= first.keys() and musts <= second.keys()
    # Both runs hold every must; whatever both hold has the same UID (built from identity only).
    common = first.keys() & second.keys()
    assert {name: first[name] for name in common} == {name: second[name] for name in common}
    by_file = {invite_filename(o.id): o.id for o in inspection.occurrences}
    assert all(uid == event_uid(inspection, by_file[name]) for name, uid in first.items())


class _Sessions(HTMLParser):
    """(occurrence id, day column, time text, title) of every session box in timetable.html."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str, str]] = []
        self.day = ""
        self.box: list[str] | None = None
        self.field: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "td" and "data-day" in attrs:
            self.day = attrs["data-day"]
        elif tag == "div" and "data-occurrence" in attrs:
            self.box = [attrs["data-occurrence"], self.day, "", ""]
        elif tag == "span" and self.box is not None and attrs.get("class") in ("time", "title"):
            self.field = attrs["class"]

    def handle_data(self, data):
        if self.box is not None and self.field is not None:
            self.box[2 if self.field == "time" else 3] += data

    def handle_endtag(self, tag):
        if tag == "span":
            self.field = None
        elif tag == "div" and self.box is not None:
            self.found.append(tuple(self.box))
            self.box = None


def test_every_held_occurrence_is_in_the_html_on_its_day_at_its_time(solved_example, week):
    parser = _Sessions()
    parser.feed((solved_example / "timetable.html").read_text(encoding="utf-8"))
    shown = set(parser.found)
    for s in week.sessions:
        title = week.inspection.occurrence_by_id[s.occurrence_id].activity.title
        times = f"{format_minutes(s.start)}–{format_minutes(s.end)}"
        boxes = {box for box in shown if box[0] == s.occurrence_id}
        assert boxes, f"{s.occurrence_id} is not in timetable.html"
        # Each view (by room, by inspector) shows it on its day at its time with its title.
        assert {(box[1], box[3]) for box in boxes} == {(DAYS[s.day], title)}, boxes
        assert all(box[2].replace("-", "–") == times for box in boxes), boxes
    assert {box[0] for box in shown} == {s.occurrence_id for s in week.sessions}


def test_schedule_show_prints_the_week(solved_example, week):
    result = invoke("show", str(solved_example), "--width", "200")
    assert result.exit_code == 0, result.output
    for day in sorted({s.day for s in week.sessions}):
        assert week.inspection.date_of(day).strftime("%a %d %b").replace(" 0", " ") in result.output
    by_inspector = invoke("show", str(solved_example), "--by", "inspector", "OF1", "--width", "200")
    assert by_inspector.exit_code == 0, by_inspector.output
    assert by_inspector.output.count("─") > 0 and "OF1" in by_inspector.output


def _output_texts(folder: Path) -> dict[str, str]:
    """Every text a user can see in the output folder: files unfolded, workbook cells."""
    texts = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix in (".csv", ".html", ".json", ".txt"):
            texts[str(path)] = path.read_text(encoding="utf-8")
        elif path.suffix == ".ics":
            texts[str(path)] = path.read_bytes().decode("utf-8").replace("\r\n ", "").replace("\\,", ",")
    workbook = openpyxl.load_workbook(folder / "timetable.xlsx")
    for sheet in workbook.worksheets:
        texts[f"timetable.xlsx:{sheet.title}"] = sheet.title + "\n" + "\n".join(
            str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    return texts


def test_no_child_name_anywhere_and_cases_by_reference(solved_example, week, inspection):
    for s in week.sessions:
        activity = inspection.occurrence_by_id[s.occurrence_id].activity
        if activity.type == "case_tracking":
            assert re.fullmatch(r"Case tracking: Case \d+( \(managers\))?", activity.title), activity.title
    staff = sorted({w.name for w in (*inspection.inspectors, *inspection.people)}, key=len, reverse=True)
    given = re.compile(r"\b(" + "|".join(FIRST_NAMES) + r")\b")
    for where, text in _output_texts(solved_example).items():
        for name in staff:  # staff names are what the input sends; nothing else may name anyone
            text = text.replace(name, "")
        assert not given.findall(text), (where, given.findall(text)[:5])
