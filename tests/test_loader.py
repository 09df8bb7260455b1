"""The loader: valid tables become the expected Inspection; each broken rule of SPEC §2 is reported
with its table, row, column and an exact message; all problems of an input come together."""
from __future__ import annotations

import copy
import csv
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest

from loader import load_inspection, summary
from models import (
    Activity, Group, InputError, Inspector, Person, Problem, Room, Settings, Unavailability,
)

# A small valid inspection, one dict per row; column order = key order of the first row.
BASE: dict[str, list[dict[str, str]]] = {
    "settings": [
        {"key": "inspection_name", "value": "JTAI Northmere"},
        {"key": "local_authority", "value": "Northmere"},
        {"key": "week_start", "value": "2025-11-10"},
        {"key": "organiser_name", "value": "JTAI Scheduling"},
        {"key": "organiser_email", "value": "jtai@northmere.gov.uk"},
        {"key": "day_end", "value": "17:00"},
    ],
    "inspectors": [
        {"id": "OF1", "name": "Olive Field", "email": "olive.field@ofsted.example.org",
         "inspectorate": "Ofsted", "role": "lead"},
        {"id": "OF2", "name": "Owen Ford", "email": "", "inspectorate": "ofsted", "role": ""},
        {"id": "CQ1", "name": "Cara Quinn", "email": "cq1@cqc.example.org", "inspectorate": "CQC",
         "role": "inspector"},
        {"id": "HC1", "name": "Hal Cole", "email": "", "inspectorate": "HMICFRS", "role": ""},
        {"id": "PR1", "name": "Pat Rowe", "email": "", "inspectorate": "HMIP", "role": ""},
    ],
    "people": [
        {"id": "L1", "name": "Lee Lord", "email": "l1@northmere.gov.uk", "agency": "Children's social care",
         "role": "leader", "manager_id": "", "needs_accessible": ""},
        {"id": "M1", "name": "Mo Mann", "email": "", "agency": "Children's social care",
         "role": "manager", "manager_id": "L1", "needs_accessible": "no"},
        {"id": "P1", "name": "Pam Pratt", "email": "p1@northmere.gov.uk", "agency": "Children's social care",
         "role": "practitioner", "manager_id": "M1", "needs_accessible": "N"},
        {"id": "P2", "name": "Phil Police", "email": "", "agency": "Police",
         "role": "practitioner", "manager_id": "", "needs_accessible": "TRUE"},
        {"id": "P3", "name": "Hattie Health", "email": "", "agency": "Health",
         "role": "Practitioner", "manager_id": "", "needs_accessible": "0"},
    ],
    "rooms": [
        {"id": "R1", "name": "Council Chamber", "site": "Town Hall", "capacity": "12",
         "accessible": "yes", "virtual": ""},
        {"id": "R2", "name": "Briefing Room", "site": "Police HQ", "capacity": "6",
         "accessible": "", "virtual": "no"},
        {"id": "V1", "name": "Teams room", "site": "", "capacity": "", "accessible": "",
         "virtual": "y"},
        {"id": "R3", "name": "Library Room", "site": "Town Hall", "capacity": "8", "accessible": "",
         "virtual": ""},
    ],
    "travel": [{"from_site": "Town Hall", "to_site": "Police HQ", "minutes": "20"}],
    "groups": [
        {"group_id": "G1", "person_id": "P1"},
        {"group_id": "G2", "person_id": "L1"},
        {"group_id": "G1", "person_id": "P2"},
        {"group_id": "G1", "person_id": "P3"},
    ],
    "unavailability": [
        {"id": "CQ1", "day": "Tue", "start": "", "end": "", "reason": "training"},
        {"id": "R2", "day": "2025-11-12", "start": "09:00", "end": "12:10", "reason": ""},
    ],
    "activities": [
        {"id": "KIT", "type": "kit_meeting", "title": "Keep in Touch", "duration": "30",
         "days": "", "recurs": "daily", "earliest": "", "latest": "", "fixed_start": "16:30",
         "site": "", "room": "R1", "mode": "", "inspectors": "all", "inspectorates": "",
         "attendees": "L1", "pool": "", "pool_min": "", "pool_max": "", "priority": "must",
         "after": "", "notes": ""},
        {"id": "FG1", "type": "focus_group", "title": "Practitioners focus group", "duration": "90",
         "days": "Mon; Tue", "recurs": "", "earliest": "10:00", "latest": "16:00",
         "fixed_start": "", "site": "Town Hall", "room": "", "mode": "in_person", "inspectors": "",
         "inspectorates": "ofsted;CQC", "attendees": "", "pool": "G1", "pool_min": "",
         "pool_max": "3", "priority": "", "after": "", "notes": ""},
        {"id": "MI1", "type": "Manager interview", "title": "Manager interview", "duration": "60",
         "days": "", "recurs": "", "earliest": "", "latest": "", "fixed_start": "",
         "site": "", "room": "", "mode": "either", "inspectors": "OF2", "inspectorates": "",
         "attendees": "M1", "pool": "", "pool_min": "", "pool_max": "", "priority": "High",
         "after": "FG1", "notes": ""},
        {"id": "OBS1", "type": "observation", "title": "Strategy meeting", "duration": "60",
         "days": "", "recurs": "", "earliest": "", "latest": "", "fixed_start": "Wed 14:05",
         "site": "", "room": "R2", "mode": "", "inspectors": "HC1", "inspectorates": "",
         "attendees": "P1;P2", "pool": "", "pool_min": "", "pool_max": "", "priority": "",
         "after": "", "notes": ""},
        {"id": "CT1", "type": "case_tracking", "title": "Case 3 discussion", "duration": "45",
         "days": "2025-11-13;Fri", "recurs": "", "earliest": "", "latest": "12:00", "fixed_start": "",
         "site": "", "room": "", "mode": "virtual", "inspectors": "PR1", "inspectorates": "any",
         "attendees": "P3", "pool": "", "pool_min": "", "pool_max": "", "priority": "low",
         "after": "", "notes": "Case 3; worker and manager"},
    ],
}


def base_tables() -> dict[str, list[dict[str, str]]]:
    return copy.deepcopy(BASE)


def write_tables(folder: Path, tables: dict[str, list[dict[str, str]]]) -> Path:
    """One CSV per table; the header is every key seen, in order of first appearance."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        header = list(dict.fromkeys(k for row in rows for k in row))
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows([row.get(column, "") for column in header] for row in rows)
    return folder


def problems_of(folder: Path) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        load_inspection(folder)
    return list(caught.value.problems)


def problems_with(tmp_path: Path, table: str, index: int, **cells: str) -> list[Problem]:
    """The problems of the base input with some cells of one row (0 = first data row) changed."""
    tables = base_tables()
    tables[table][index].update(cells)
    return problems_of(write_tables(tmp_path / "input", tables))


# --- a valid input ---------------------------------------------------------------------------------
def test_valid_folder_loads_to_the_expected_domain(tmp_path):
    inspection = load_inspection(write_tables(tmp_path / "input", base_tables()))

    assert inspection.settings == Settings(
        week_start=date(2025, 11, 10), inspection_name="JTAI Northmere", local_authority="Northmere",
        organiser_name="JTAI Scheduling", organiser_email="jtai@northmere.gov.uk", day_end=17 * 60)
    assert inspection.inspectors[:2] == (
        Inspector("OF1", "Olive Field", "Ofsted", "olive.field@ofsted.example.org", "lead"),
        Inspector("OF2", "Owen Ford", "Ofsted", "", "inspector"),  # 'ofsted' stored canonical
    )
    assert inspection.people[1] == Person("M1", "Mo Mann", "Children's social care", "manager",
                                          manager_id="L1")
    assert inspection.people[3].needs_accessible is True  # TRUE
    assert inspection.people[4].role == "practitioner"  # 'Practitioner'
    assert inspection.rooms == (
        Room("R1", "Council Chamber", "Town Hall", 12, accessible=True),
        Room("R2", "Briefing Room", "Police HQ", 6),
        Room("V1", "Teams room", None, None, virtual=True),
        Room("R3", "Library Room", "Town Hall", 8),
    )
    assert inspection.travel == (("Town Hall", "Police HQ", 20),)
    # groups in order of first appearance, members in row order
    assert inspection.groups == (Group("G1", ("P1", "P2", "P3")), Group("G2", ("L1",)))
    assert inspection.unavailability == (
        Unavailability("CQ1", 1, 0, 1440, "training"),  # blank start/end: the whole day
        Unavailability("R2", 2, 9 * 60, 12 * 60 + 10),  # an ISO date inside the week; any minute
    )
    kit, fg1, mi1, obs1, ct1 = inspection.activities
    assert kit == Activity("KIT", "kit_meeting", "Keep in Touch", 30, recurs_daily=True,
                           fixed_time=16 * 60 + 30, room="R1", all_inspectors=True,
                           attendees=("L1",))
    assert fg1 == Activity("FG1", "focus_group", "Practitioners focus group", 90, days=(0, 1),
                           earliest=600, latest=960, site="Town Hall", inspectorates=("Ofsted", "CQC"),
                           pool="G1", pool_min=1, pool_max=3)  # blank pool_min = 1
    assert mi1 == Activity("MI1", "manager_interview", "Manager interview", 60, mode="either",
                           inspectors=("OF2",), attendees=("M1",), priority="high", after=("FG1",))
    assert (obs1.fixed_day, obs1.fixed_time, obs1.room, obs1.attendees) == (2, 14 * 60 + 5, "R2",
                                                                           ("P1", "P2"))
    assert (ct1.days, ct1.latest, ct1.mode, ct1.inspectorates, ct1.priority, ct1.notes) == (
        (3, 4), 720, "virtual", ("any",), "low", "Case 3; worker and manager")
    assert [o.id for o in inspection.occurrences] == [
        "KIT@Mon", "KIT@Tue", "KIT@Wed", "KIT@Thu", "KIT@Fri", "FG1", "MI1", "OBS1", "CT1"]


def test_blank_pool_max_is_the_whole_group(tmp_path):
    tables = base_tables()
    tables["activities"][1].update(pool_min="2", pool_max="")
    activity = load_inspection(write_tables(tmp_path / "input", tables)).activities[1]
    assert (activity.pool_min, activity.pool_max) == (2, 3)


def test_pool_max_above_the_group_is_the_whole_group(tmp_path):
    """A lead writes "up to 8" and finds seven volunteers: a cap, not an error (SPEC §3)."""
    tables = base_tables()
    tables["activities"][1].update(pool_min="2", pool_max="8")
    activity = load_inspection(write_tables(tmp_path / "input", tables)).activities[1]
    assert (activity.pool_min, activity.pool_max) == (2, 3)


def test_optional_tables_may_be_absent(tmp_path):
    tables = base_tables()
    for name in ("travel", "unavailability"):
        del tables[name]
    inspection = load_inspection(write_tables(tmp_path / "input", tables))
    assert inspection.travel == () and inspection.unavailability == ()


def test_what_excel_writes_is_accepted(tmp_path):
    """UTF-8 BOM, CRLF, blank rows, upper-case headers, padded cells, a dd/mm/yyyy date."""
    folder = write_tables(tmp_path / "input", base_tables())
    (folder / "people.csv").write_bytes(
        "\ufeffID,Name,Agency, Role ,Manager_ID\r\n"
        " L1 ,Lee Lord,Children's social care,leader,\r\n"
        ",,,,\r\n"
        "M1,Mo Mann,Children's social care,manager,L1\r\n"
        "P1,Pam Pratt,Children's social care,practitioner,M1\r\n"
        "P2,Phil Police,Police,practitioner,\r\n"
        "P3,Hattie Health,Health,practitioner,\r\n\r\n".encode("utf-8"))
    (folder / "unavailability.csv").write_text("id,day\nCQ1,11/11/2025\n", encoding="utf-8")
    inspection = load_inspection(folder)
    assert [p.id for p in inspection.people] == ["L1", "M1", "P1", "P2", "P3"]
    assert inspection.people[1].manager_id == "L1"
    assert inspection.unavailability == (Unavailability("CQ1", 1),)


def test_blank_rows_still_count_in_row_numbers(tmp_path):
    folder = write_tables(tmp_path / "input", base_tables())
    (folder / "rooms.csv").write_text(
        "id,name,site,capacity,virtual\n\n,,,,\nR1,Chamber,Town Hall,12,\n"
        "R2,Briefing,Police HQ,none,\nV1,Teams,,,yes\n", encoding="utf-8")
    assert problems_of(folder) == [Problem("rooms", 5, "capacity", "'none' is not a whole number")]


def test_summary_counts_and_inspector_minutes(tmp_path):
    inspection = load_inspection(write_tables(tmp_path / "input", base_tables()))
    text = summary(inspection)
    assert "Inspectors: 5 (CQC 1, HMICFRS 1, HMIP 1, Ofsted 2)" in text
    assert "People: 5 (Children's social care 3, Health 1, Police 1)" in text
    assert "Rooms: 4 (Police HQ 1, Town Hall 2, virtual 1)" in text
    assert "by priority (must 3, high 1, low 1)" in text
    assert "Occurrences: 9 (7 must)" in text
    # must: KIT 5 days × 30 min × all 5 inspectors = 750; FG1 90 × 2 = 180; OBS1 60 × 1 = 60
    # available: 5 inspectors × 5 days × 480 min, less CQ1's whole Tuesday (480) = 11520
    assert "Must-hold inspector minutes: 990 of 11520 available in the week (9%)" in text


# --- workbook --------------------------------------------------------------------------------------
def write_workbook(path: Path, tables: dict[str, list[dict[str, object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in tables.items():
        sheet = book.create_sheet(name)
        header = list(dict.fromkeys(k for row in rows for k in row))
        sheet.append(header)
        for row in rows:
            sheet.append([row.get(column, "") if row.get(column, "") != "" else None
                          for column in header])
    book.save(path)
    return path


def test_workbook_with_time_and_date_cells_equals_the_csv_folder(tmp_path):
    from_csv = load_inspection(write_tables(tmp_path / "input", base_tables()))
    tables: dict[str, list[dict[str, object]]] = base_tables()
    tables["settings"][2]["value"] = date(2025, 11, 10)  # a date cell
    tables["settings"][5]["value"] = time(17, 0)  # a time cell
    tables["unavailability"][1].update(day=datetime(2025, 11, 12), start=time(9, 0),
                                       end=time(12, 9, 59, 999999))  # Excel's float noise
    tables["activities"][1].update(earliest=time(10, 0), latest=time(16, 0), duration=90,
                                   pool_max=3.0)
    tables["activities"][0]["fixed_start"] = time(16, 30)
    tables["rooms"][0]["capacity"] = 12
    tables["people"][3]["needs_accessible"] = True
    from_book = load_inspection(write_workbook(tmp_path / "input.xlsx", tables))
    assert from_book == from_csv


def test_workbook_missing_sheet_and_empty_sheet(tmp_path):
    tables = base_tables()
    del tables["people"]
    tables["inspectors"] = []
    book_path = write_workbook(tmp_path / "input.xlsx", tables)
    assert problems_of(book_path) == [
        Problem("inspectors", None, None, "is empty: it needs a header row with the column names"),
        Problem("people", None, None, "the required table is missing: add a sheet named people"),
    ]


# --- files and paths -------------------------------------------------------------------------------
def test_missing_path(tmp_path):
    missing = tmp_path / "nowhere"
    assert problems_of(missing) == [Problem(str(missing), None, None, "does not exist: give a "
                                            "folder of CSV files or an .xlsx workbook")]


def test_not_a_workbook(tmp_path):
    fake = tmp_path / "input.xlsx"
    fake.write_text("not a zip")
    [problem] = problems_of(fake)
    assert problem.table == str(fake)
    assert problem.message.startswith("cannot be opened as an .xlsx workbook")


def test_missing_required_table_and_misspelt_table(tmp_path):
    folder = write_tables(tmp_path / "input", base_tables())
    (folder / "rooms.csv").unlink()
    (folder / "unavailability.csv").rename(folder / "unavailabilty.csv")
    problems = problems_of(folder)
    assert Problem("rooms", None, None, "the required table is missing: add a file named "
                   "rooms.csv") in problems
    assert Problem("unavailabilty", None, None, "the file 'unavailabilty' is not a table this tool "
                   "reads: did you mean unavailability?") in problems


def test_non_utf8_cell_is_located(tmp_path):
    folder = write_tables(tmp_path / "input", base_tables())
    data = (folder / "people.csv").read_bytes().replace(b"Hattie", b"H\xe9ttie")  # cp1252 é
    (folder / "people.csv").write_bytes(data)
    assert problems_of(folder) == [Problem("people", 6, "name", "holds characters that are not "
                                           "UTF-8 text: save the file as 'CSV UTF-8'")]


def test_unreadable_file(tmp_path, monkeypatch):
    folder = write_tables(tmp_path / "input", base_tables())
    real_read = Path.read_bytes

    def refuse_travel(path: Path) -> bytes:
        if path.name == "travel.csv":
            raise PermissionError(13, "Permission denied")
        return real_read(path)

    monkeypatch.setattr(Path, "read_bytes", refuse_travel)
    assert problems_of(folder) == [
        Problem("travel", None, None, "cannot read travel.csv: Permission denied")]


def test_empty_csv_file(tmp_path):
    folder = write_tables(tmp_path / "input", base_tables())
    (folder / "groups.csv").write_bytes(b"\r\n\r\n")
    assert problems_of(folder) == [
        Problem("groups", None, None, "is empty: it needs a header row with the column names")]


# --- one broken rule at a time: (table, row index, changed cells) -> the exact problem -------------
BROKEN = [
    # types, enumerations
    ("rooms", 1, {"capacity": "six"}, ("rooms", 3, "capacity", "'six' is not a whole number")),
    ("people", 1, {"needs_accessible": "maybe"},
     ("people", 3, "needs_accessible", "'maybe' is not yes or no (use yes/no, y/n, true/false or 1/0)")),
    ("inspectors", 2, {"inspectorate": "Ofstead"},
     ("inspectors", 4, "inspectorate", "'Ofstead' is not a valid inspectorate: use one of Ofsted, "
                                       "CQC, HMICFRS, HMIP")),
    ("inspectors", 0, {"role": "chief"},
     ("inspectors", 2, "role", "'chief' is not a valid role: use one of lead, inspector")),
    ("people", 0, {"role": "boss"},
     ("people", 2, "role", "'boss' is not a valid person role: use one of practitioner, manager, "
                           "leader, other")),
    ("activities", 2, {"type": "workshop"},
     ("activities", 4, "type", "'workshop' is not a valid activity type: use one of focus_group, "
                               "practitioner_interview, manager_interview, leader_meeting, "
                               "kit_meeting, observation, case_tracking, team_meeting, feedback, "
                               "other")),
    ("activities", 2, {"priority": "urgent"},
     ("activities", 4, "priority", "'urgent' is not a valid priority: use one of must, high, "
                                   "medium, low")),
    ("activities", 2, {"mode": "hybrid"},
     ("activities", 4, "mode", "'hybrid' is not a valid mode: use one of in_person, virtual, either")),
    ("activities", 2, {"recurs": "weekly"},
     ("activities", 4, "recurs", "'weekly' is not a valid recurs: leave it blank or write daily")),
    ("activities", 4, {"inspectorates": "Ofsted;Police"},
     ("activities", 6, "inspectorates", "'Police' is not a valid inspectorate: use one of Ofsted, "
                                        "CQC, HMICFRS, HMIP, any")),
    # times, grid, days
    ("activities", 1, {"earliest": "10.00"},
     ("activities", 3, "earliest", "'10.00' is not a time HH:MM (24-hour, e.g. 09:30)")),
    ("activities", 1, {"earliest": "10:10"},
     ("activities", 3, "earliest", "10:10 is not on the 15-minute grid that starts at 09:00")),
    ("activities", 2, {"duration": "50"},
     ("activities", 4, "duration", "50 is not a multiple of the 15-minute slot")),
    ("activities", 2, {"duration": "0"},
     ("activities", 4, "duration", "0 is too small: it must be at least 1")),
    ("activities", 2, {"duration": "495"},
     ("activities", 4, "duration", "495 minutes is longer than the day (09:00–17:00)")),
    ("activities", 1, {"days": "Mon;Sat"},
     ("activities", 3, "days", "'Sat' is not a day: use Mon..Fri or a date of the inspection week")),
    ("activities", 4, {"days": "2025-11-17"},
     ("activities", 6, "days", "2025-11-17 is not in the inspection week (2025-11-10 to 2025-11-14)")),
    ("activities", 1, {"earliest": "15:00"},
     ("activities", 3, "latest", "the window 15:00–16:00 is shorter than the duration (90 minutes)")),
    ("activities", 1, {"earliest": "16:00", "latest": "11:00"},
     ("activities", 3, "latest", "latest 11:00 must be after earliest 16:00")),
    # fixed_start
    ("activities", 3, {"fixed_start": "Wed 16:30"},
     ("activities", 5, "fixed_start", "a start at 16:30 for 60 minutes does not fit in the day "
                                      "(09:00–17:00)")),
    ("activities", 3, {"fixed_start": "Thu 10:00", "days": "Mon;Wed"},
     ("activities", 5, "fixed_start", "Thu is not one of the activity's days (Mon; Wed)")),
    ("activities", 0, {"fixed_start": "Tue 16:30"},
     ("activities", 2, "fixed_start", "a daily activity takes a time only (e.g. 10:00): it is held "
                                      "at that time on each of its days")),
    ("activities", 3, {"fixed_start": "next Wed 10:00"},
     ("activities", 5, "fixed_start", "'next Wed 10:00' is not a start: write a day and a time "
                                      "(Tue 10:00) or just a time (10:00)")),
    ("activities", 3, {"latest": "15:00"},
     ("activities", 5, "fixed_start", "a start at 14:05 for 60 minutes is outside the "
                                      "earliest–latest window (09:00–15:00)")),
    ("activities", 3, {"fixed_start": "Wed"},
     ("activities", 5, "fixed_start", "'Wed' is not a start: write a day and a time (Tue 10:00) or "
                                      "just a time (10:00)")),
    ("activities", 3, {"fixed_start": "Wed 2pm"},
     ("activities", 5, "fixed_start", "'2pm' is not a time HH:MM (24-hour, e.g. 09:30)")),
    # ids and references
    ("rooms", 2, {"id": "V 1"},
     ("rooms", 4, "id", "'V 1' is not a valid id: use only letters, digits, '.', '_' and '-', "
                        "starting with a letter or digit")),
    ("rooms", 2, {"id": "cq1"},
     ("rooms", 4, "id", "'cq1' is already used in inspectors, row 4: ids must be unique across "
                        "inspectors, people and rooms")),
    ("activities", 2, {"id": "A" * 65},
     ("activities", 4, "id", f"'{'A' * 39}…' is too long for an id: use at most 64 characters")),
    ("rooms", 0, {"capacity": "1" + "0" * 20},
     ("rooms", 2, "capacity", "'100000000000000000000' is too large: it must be at most 100000")),
    ("people", 2, {"manager_id": "M9"}, ("people", 4, "manager_id", "no person has id 'M9'")),
    ("people", 2, {"manager_id": "OF1"},
     ("people", 4, "manager_id", "'OF1' is an inspector, not a person")),
    ("people", 0, {"manager_id": "P1"},
     ("people", 2, "manager_id", "the line managers make a loop: L1 → P1 → M1 → L1")),
    ("people", 3, {"manager_id": "P2"}, ("people", 5, "manager_id", "P2 cannot be their own line manager")),
    ("groups", 2, {"person_id": "P7"}, ("groups", 4, "person_id", "no person has id 'P7'")),
    ("groups", 2, {"group_id": "g1"},  # one pool written two ways would quietly lose a member
     ("groups", 4, "group_id", "'g1' differs from 'G1' (row 2) only in letter case: write the group the same "
                               "way on every row")),
    ("activities", 2, {"attendees": "M1;m2"}, ("activities", 4, "attendees", "no person has id 'm2'")),
    ("activities", 2, {"attendees": "OF1"},
     ("activities", 4, "attendees", "'OF1' is an inspector, not a person")),
    ("activities", 2, {"inspectors": "of2"},
     ("activities", 4, "inspectors", "no inspector has id 'of2' (did you mean OF2?)")),
    ("activities", 2, {"inspectors": "all;OF1"},
     ("activities", 4, "inspectors", "write either all or a list of inspector ids, not both")),
    ("activities", 3, {"room": "R9"}, ("activities", 5, "room", "no room has id 'R9'")),
    ("activities", 1, {"site": "Library"},
     ("activities", 3, "site", "no room is on site 'Library' (sites: Police HQ, Town Hall)")),
    ("activities", 1, {"pool": "G9"}, ("activities", 3, "pool", "no group has id 'G9'")),
    ("activities", 2, {"after": "FG9"}, ("activities", 4, "after", "no activity has id 'FG9'")),
    ("activities", 2, {"after": "MI1"}, ("activities", 4, "after", "MI1 cannot come after itself")),
    ("activities", 1, {"after": "MI1"}, ("activities", 3, "after",
                                         "the after links make a loop: FG1 → MI1 → FG1")),
    ("activities", 3, {"id": "fg1"}, ("activities", 5, "id", "activity 'fg1' is already defined in row 3")),
    ("unavailability", 0, {"id": "XX1"},
     ("unavailability", 2, "id", "no inspector, person or room has id 'XX1'")),
    # pools
    ("activities", 2, {"pool_max": "2"},
     ("activities", 4, "pool_max", "is given but pool is blank: name the group in pool")),
    ("activities", 1, {"pool_min": "3", "pool_max": "2"},
     ("activities", 3, "pool_min", "pool_min 3 is more than pool_max 2")),
    ("activities", 1, {"pool_min": "4", "pool_max": ""},
     ("activities", 3, "pool_min", "pool_min 4 is more than the 3 member(s) of group 'G1'")),
    ("activities", 1, {"pool_min": "3", "attendees": "P1"},
     ("activities", 3, "pool_min", "pool_min 3 needs more members of group 'G1' than the 2 who "
                                   "are not named attendees")),
    # rooms, modes, sites
    ("rooms", 2, {"site": "Town Hall"},
     ("rooms", 4, "site", "a virtual room has no site: leave site blank")),
    ("rooms", 3, {"site": ""},
     ("rooms", 5, "site", "is blank but a room that is not virtual needs a site")),
    ("rooms", 3, {"capacity": ""},
     ("rooms", 5, "capacity", "is blank but a room that is not virtual needs a capacity")),
    ("activities", 3, {"mode": "virtual"},
     ("activities", 5, "room", "'R2' is a physical room but mode is virtual")),
    ("activities", 4, {"room": "V1", "mode": "in_person"},
     ("activities", 6, "room", "'V1' is a virtual room but mode is in_person")),
    ("activities", 1, {"mode": "virtual"},
     ("activities", 3, "site", "an online (mode virtual) activity has no site: leave site blank or "
                               "change mode")),
    ("activities", 3, {"site": "Town Hall"},
     ("activities", 5, "room", "'R2' is on site 'Police HQ', not on the activity's site 'Town Hall'")),
    ("activities", 3, {"attendees": "P1;P2;P3;M1;L1;P3"},  # 1 inspector + 5 people > 6? no: = 6
     None),
    ("activities", 3, {"attendees": "P1;P2;P3;M1;L1", "inspectorates": "Ofsted"},
     ("activities", 5, "room", "room 'R2' holds 6 but this activity needs at least 7 places")),
    ("activities", 1, {"inspectorates": "CQC;CQC"},
     ("activities", 3, "inspectorates", "asks for 2 further CQC inspector(s) but only 1 CQC "
                                        "inspector(s) are not already named")),
    ("activities", 0, {"inspectorates": "any"},
     ("activities", 2, "inspectorates", "with inspectors = all every inspector already attends: "
                                        "leave inspectorates blank")),
    # travel
    ("travel", 0, {"minutes": "-5"}, ("travel", 2, "minutes", "-5 is too small: it must be at least 0")),
    ("travel", 0, {"to_site": "Library"},
     ("travel", 2, "to_site", "no room is on site 'Library' (sites: Police HQ, Town Hall)")),
    ("travel", 0, {"to_site": "Town Hall"},
     ("travel", 2, "to_site", "is the same site as from_site: travel within a site takes 0 minutes")),
    # unavailability
    ("unavailability", 1, {"end": ""},
     ("unavailability", 3, "end", "is blank but start is given: give both, or neither for the whole "
                                  "day")),
    ("unavailability", 1, {"start": "13:00"},
     ("unavailability", 3, "end", "end 12:10 must be after start 13:00")),
    ("unavailability", 0, {"day": "Sun"},
     ("unavailability", 2, "day", "'Sun' is not a day: use Mon..Fri or a date of the inspection week")),
    # emails, required cells
    ("inspectors", 0, {"email": "olive field@ofsted.example.org"},
     ("inspectors", 2, "email", "'olive field@ofsted.example.org' is not a valid email address")),
    ("people", 0, {"email": "l1@northmere.gov.uk;m1@northmere.gov.uk"},
     ("people", 2, "email", "'l1@northmere.gov.uk;m1@northmere.gov.uk' is not a valid email address")),
    ("inspectors", 1, {"name": ""}, ("inspectors", 3, "name", "is blank but required")),
    ("activities", 2, {"title": "  "}, ("activities", 4, "title", "is blank but required")),
    ("activities", 2, {"notes": "ring\x07bell"},
     ("activities", 4, "notes", "holds a hidden control character (U+0007): retype the cell")),
    # settings
    ("settings", 2, {"value": "2025-11-11"},
     ("settings", 4, "value", "2025-11-11 is a Tuesday: week_start must be the Monday of the "
                              "on-site week")),
    ("settings", 2, {"value": "next week"},
     ("settings", 4, "value", "'next week' is not a date (use YYYY-MM-DD, e.g. 2025-11-10)")),
    ("settings", 0, {"key": "inspection_title"},
     ("settings", 2, "key", "unknown setting 'inspection_title': the settings are week_start, "
                            "inspection_name, local_authority, timezone, day_start, day_end, "
                            "slot_minutes, lunch_earliest, lunch_latest, lunch_minutes, "
                            "organiser_name, organiser_email, default_travel_minutes, "
                            "max_inspector_contact_minutes, max_person_sessions_per_day, change_cost")),
    ("settings", 0, {"key": "local_authority"},
     ("settings", 3, "key", "local_authority is already set in row 2")),
    ("settings", 4, {"value": "jtai@northmere@gov.uk"},
     ("settings", 6, "value", "'jtai@northmere@gov.uk' is not a valid email address")),
    ("settings", 5, {"value": "08:30"},
     ("settings", 7, "value", "day_end 08:30 must be after day_start 09:00")),
    ("settings", 5, {"value": "17:10"},
     ("settings", 7, "value", "day_end 17:10 is not on the 15-minute grid that starts at day_start "
                              "09:00")),
    ("settings", 5, {"key": "lunch_latest", "value": "12:20"},
     ("settings", 7, "value", "the lunch window 12:00–12:20 is shorter than lunch_minutes (30)")),
    ("settings", 5, {"key": "lunch_earliest", "value": "08:00"},
     ("settings", 7, "value", "the lunch window 08:00–14:00 must lie inside the day 09:00–17:30")),
    ("settings", 5, {"key": "slot_minutes", "value": "0"},
     ("settings", 7, "value", "0 is too small: it must be at least 1")),
    ("settings", 5, {"key": "timezone", "value": "London"},
     ("settings", 7, "value", "'London' is not a time zone name (e.g. Europe/London)")),
]


@pytest.mark.parametrize("table, index, cells, expected", BROKEN,
                         ids=[f"{t}-{'-'.join(c)}-{i}" for i, (t, _, c, _) in enumerate(BROKEN)])
def test_each_broken_rule_is_reported_exactly(tmp_path, table, index, cells, expected):
    if expected is None:  # the boundary case that must still load
        tables = base_tables()
        tables[table][index].update(cells)
        load_inspection(write_tables(tmp_path / "input", tables))
        return
    assert problems_with(tmp_path, table, index, **cells) == [Problem(*expected)]


def test_week_start_missing(tmp_path):
    tables = base_tables()
    del tables["settings"][2]
    assert problems_of(write_tables(tmp_path / "input", tables)) == [
        Problem("settings", None, "key", "week_start is missing: add a row week_start with the "
                                         "Monday of the on-site week (YYYY-MM-DD)")]


def test_header_problems(tmp_path):
    """Unknown, duplicated and missing columns are named; a nameless column holding data too."""
    folder = write_tables(tmp_path / "input", base_tables())
    (folder / "rooms.csv").write_text(
        "ID,Name,Site,Colour,name\nR1,Chamber,Town Hall,red,x\nR2,Briefing,Police HQ,blue,,stray\n",
        encoding="utf-8")
    assert problems_of(folder) == [
        Problem("rooms", 1, "colour", "unknown column 'Colour': rooms has the columns id, name, "
                                      "capacity, site, accessible, virtual, link (a column whose "
                                      "name starts with # is your own and is ignored)"),
        Problem("rooms", 1, "name", "the column appears twice (columns B and E)"),
        Problem("rooms", 1, "capacity", "the required column is missing"),
        Problem("rooms", 3, None, "column F holds 'stray' but has no name in the header row"),
    ]


def test_several_problems_are_reported_together(tmp_path):
    tables = base_tables()
    tables["rooms"][0]["capacity"] = "lots"
    tables["activities"][2].update(duration="50", attendees="P99")
    tables["settings"][2]["value"] = "2025-11-12"
    tables["unavailability"][0]["day"] = "Someday"
    assert problems_of(write_tables(tmp_path / "input", tables)) == [
        Problem("settings", 4, "value", "2025-11-12 is a Wednesday: week_start must be the Monday "
                                        "of the on-site week"),
        Problem("rooms", 2, "capacity", "'lots' is not a whole number"),
        Problem("unavailability", 2, "day", "'Someday' is not a day: use Mon..Fri or a date of the "
                                            "inspection week"),
        Problem("activities", 4, "duration", "50 is not a multiple of the 15-minute slot"),
        Problem("activities", 4, "attendees", "no person has id 'P99'"),
    ]


def test_problem_reads_as_the_user_sees_it():
    problem = Problem("activities", 7, "duration", "50 is not a multiple of the 15-minute slot")
    assert str(problem) == ("activities, row 7, column duration: 50 is not a multiple of the "
                            "15-minute slot")
