"""What leads write is accepted, and what is wrong is said in their words (issue 12), seen through
the CLI: a hand-written week (tests/fixtures/lead_week: mixed-case headers, `#` columns, Tues/Thurs,
a pool_max above its group, a Teams join link) validates and solves; each near miss gets a hint."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from loader import load_inspection
from loader.cells import day_index
from tests.test_loader import base_tables, write_tables
from tests.test_validate_cli import week

LEAD_WEEK = Path(__file__).parent / "fixtures" / "lead_week"


def run(*args) -> object:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def validate_tables(tmp_path: Path, tables) -> object:
    return run("validate", write_tables(tmp_path / "input", tables))


@pytest.fixture(scope="module")
def solved_lead_week(tmp_path_factory) -> Path:
    """The lead's week solved once, with a copy of its input in input/ (as the folder keeps it)."""
    out = tmp_path_factory.mktemp("lead") / "out"
    result = run("solve", LEAD_WEEK, "--out", out, "--time-limit", 20, "--workers", 1)
    assert result.exit_code == 0, result.output
    if not (out / "input").is_dir():
        shutil.copytree(LEAD_WEEK, out / "input")
    return out


# --- accept what leads write ------------------------------------------------------------------
def test_a_week_written_as_a_lead_writes_it_validates(tmp_path):
    result = run("validate", LEAD_WEEK)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK\n")
    inspection = load_inspection(LEAD_WEEK)
    by_id = inspection.activity_by_id
    # pool_max 8 with five volunteers: the whole group, not an error
    assert (by_id["FG1"].pool_min, by_id["FG1"].pool_max) == (2, 5)
    assert by_id["FG1"].days == (1, 3)  # Tues;Thur
    assert by_id["KIT"].days == (1, 2, 3)  # Tues;Weds;Thurs
    assert by_id["OBS1"].fixed_day == 2  # Weds 14:00
    assert [(u.resource_id, u.day) for u in inspection.unavailability] == [("CQ1", 3), ("P3", 1), ("R2", 2)]
    assert inspection.room_by_id["V1"].link.startswith("https://teams.microsoft.com/")


def test_the_same_week_as_a_workbook_validates(tmp_path):
    result = run("validate", _lead_workbook(tmp_path / "week.xlsx"))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("text, day", [
    ("Mon", 0), ("monday", 0), ("Tues", 1), ("TUE", 1), ("tu", 1), ("Weds", 2), ("wednesday", 2),
    ("Thur", 3), ("thurs", 3), ("THU", 3), ("Fri.", 4), ("friday", 4), ("Sat", None), ("T", None),
])
def test_day_names_and_abbreviations_in_any_case(text, day):
    assert day_index(text) == day


def test_pool_min_above_the_group_stays_an_error(tmp_path):
    tables = week()
    tables["activities"][1].update(pool_min="4", pool_max="8")  # G1 has three members
    result = validate_tables(tmp_path, tables)
    assert result.exit_code == 2
    assert ("activities, row 3 (FG1 'Practitioners focus group'), column pool_min: pool_min 4 is "
            "more than the 3 member(s) of group 'G1'") in result.output


def test_hash_columns_are_the_leads_own_and_a_near_miss_gets_did_you_mean(tmp_path):
    tables = week()
    for row in tables["activities"]:
        row["# who asked"] = "Ruth"
        row["Pool Maximum"] = ""
    result = validate_tables(tmp_path, tables)
    assert result.exit_code == 2
    problems = [line for line in result.output.splitlines() if line.startswith("  - ")]
    assert len(problems) == 1  # the # column is not one of them
    assert "activities, row 1, column pool_maximum: unknown column 'Pool Maximum': did you mean " \
           "pool_max?" in problems[0]


def test_commas_where_semicolons_are_meant_are_named(tmp_path):
    tables = week()
    tables["activities"][1]["days"] = "Mon, Tue"
    tables["activities"][3]["attendees"] = "P1,P2"
    result = validate_tables(tmp_path, tables)
    assert result.exit_code == 2
    assert ("activities, row 3 (FG1 'Practitioners focus group'), column days: 'Mon, Tue' separates "
            "its items with commas: use ';' (e.g. Mon; Tue)") in result.output
    assert ("activities, row 5 (OBS1 'Strategy meeting'), column attendees: 'P1,P2' separates its "
            "items with commas: use ';' (e.g. P1; P2)") in result.output
    assert "The input has 2 problem(s)" in result.output  # read as meant: nothing else reported
    # Line breaks between ids get the same hint; a duration written as a time, its minutes.
    tables["activities"][1]["days"], tables["activities"][1]["duration"] = "Mon;Tue", "1:30"
    tables["activities"][3]["attendees"] = "P1\nP2"
    said = " ".join(validate_tables(tmp_path / "again", tables).output.split())
    assert "column attendees: 'P1 P2' separates its items with line breaks: use ';' (e.g. P1; P2)" in said
    assert "column duration: '1:30' is not a whole number: give it in minutes (e.g. 90)" in said


def test_an_unknown_id_close_to_a_real_one_gets_did_you_mean(tmp_path):
    tables = week()
    tables["activities"][2]["attendees"] = "M01"
    tables["activities"][2]["after"] = "FG01"
    tables["unavailability"][0]["id"] = "CQ01"
    result = validate_tables(tmp_path, tables)
    assert result.exit_code == 2
    assert "column attendees: no person has id 'M01' (did you mean M1?)" in result.output
    assert "column after: no activity has id 'FG01' (did you mean FG1?)" in result.output
    assert "unavailability, row 2, column id: no inspector, person or room has id 'CQ01' (did you " \
           "mean CQ1?)" in result.output


def test_every_activities_problem_names_the_activity(tmp_path):
    tables = week()
    tables["activities"][3].update(room="R3", attendees="P1;P2;P3;L1;M1", inspectorates="any;any;any")
    result = validate_tables(tmp_path, tables)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith("  - activities")]
    assert lines and all(line.startswith("  - activities, row 5 (OBS1 'Strategy meeting'), column ")
                         for line in lines), lines


def test_an_organiser_who_is_also_an_attendee_is_refused(tmp_path):
    tables = week()
    tables["settings"][4]["value"] = "P1@Northmere.gov.uk"  # Pam Pratt's address, in another case
    result = validate_tables(tmp_path, tables)
    assert result.exit_code == 2
    assert ("settings, row 6, column value: organiser_email p1@northmere.gov.uk is also the email of "
            "Pam Pratt (P1): the organiser sends the invitations and cannot also attend") in result.output


@pytest.mark.parametrize("link", ["http://zoom.us/j/1", "teams.microsoft.com/l/x", "https://", "https://a b"])
def test_a_room_link_must_be_an_https_address(tmp_path, link):
    tables = week()
    tables["rooms"][2]["link"] = link
    result = validate_tables(tmp_path, tables)
    assert result.exit_code == 2
    assert "rooms, row 4, column link:" in result.output and "is not an https link" in result.output


def test_invites_held_in_a_room_with_a_link_carry_it(solved_lead_week):
    link = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_eastbrook%40thread.v2/0"
    invite = (solved_lead_week / "invites" / "CT1.ics").read_bytes().replace(b"\r\n ", b"").decode()
    assert f"\r\nURL:{link}\r\n" in invite
    assert f"\r\nLOCATION:Teams meeting (online): {link}\r\n" in invite
    assert f"\\nJoin online: {link}" in invite
    in_person = (solved_lead_week / "invites" / "SETUP.ics").read_bytes().replace(b"\r\n ", b"")
    assert b"URL:" not in in_person and b"Join online" not in in_person


# --- validate finds the musts that cannot be held on their own ------------------------------------
def test_validate_reports_musts_impossible_on_their_own_with_exit_1(tmp_path):
    result = validate_tables(tmp_path, base_tables())  # the Briefing Room is not accessible
    assert result.exit_code == 1, result.output
    assert "OK" not in result.output.splitlines()
    assert "No timetable can hold every 'must' activity:" in result.output
    assert ("'Strategy meeting' must be held in Briefing Room (R2), which does not fit it (mode "
            "in_person, 3 people, capacity 6, not accessible).") in result.output


# --- solve: never the example over real work; plain answers ---------------------------------------
def test_solve_without_input_refuses_a_folder_made_from_another_input(solved_lead_week, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(solved_lead_week, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    result = run("solve", "--out", out, "--time-limit", 1)
    assert result.exit_code == 2
    assert "holds a timetable made from another input" in result.output
    assert f"name your input (schedule solve my-week.xlsx --out {out})" in result.output
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_solve_ends_with_a_plain_summary(solved_lead_week):
    result = run("solve", LEAD_WEEK, "--out", solved_lead_week.parent / "again", "--time-limit", 20,
                 "--workers", 1)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "All 6 musts held. Every optional session held too."
    assert lines[1].startswith("10 sessions in all. OPTIMAL: held weight 211, bound 211, gap 0.00%, ")
    assert lines[2] == f"Written to {solved_lead_week.parent / 'again'}/"
    assert json.loads((solved_lead_week.parent / "again" / "solve.json").read_text())["objective"] == 211


# --- names -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("wanted", ["OF1", "of1", "Ruth Adeyemi", "ruth  adeyemi"])
def test_show_by_person_takes_an_inspector_any_case_or_a_full_name(solved_lead_week, wanted):
    result = run("show", solved_lead_week, wanted, "--by", "person", "--width", 200)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Inspector Ruth Adeyemi (OF1): ")
    assert "Grace Mills" in result.output  # attendees by name, from the folder's input/


def test_show_a_person_by_name_and_an_ambiguous_or_unknown_one(solved_lead_week):
    result = run("show", solved_lead_week, "grace mills", "--width", 200)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Person Grace Mills (L1): ")
    result = run("show", solved_lead_week, "Nobody Here", "--by", "person")
    assert result.exit_code == 2
    assert "no person or inspector 'Nobody Here' has a session" in result.output
    assert "Ruth Adeyemi (OF1)" in result.output


# --- workbooks as council staff save them ---------------------------------------------------------
def _lead_workbook(path: Path, edit=None) -> Path:
    """The lead's week as a workbook, one sheet per table, with `edit(book)` applied."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for csv_path in sorted(LEAD_WEEK.glob("*.csv")):
        sheet = book.create_sheet(csv_path.stem)
        with open(csv_path, newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                sheet.append(row)
    if edit:
        edit(book)
    book.save(path)
    return path


def test_a_title_above_the_header_a_notes_only_row_and_a_copied_sheet_are_read_as_meant(tmp_path):
    """A title row above a table, a row holding only the lead's own # notes, and Excel's copy of a
    sheet ('activities (2)') beside the real one: the week reads exactly as without them."""
    def edit(book):
        people = book["people"]
        people.insert_rows(1)
        people["A1"] = "Partner staff list (as at 3 Nov)"
        activities = book["activities"]
        activities.cell(1, activities.max_column + 1).value = "# status"
        activities.insert_rows(3)
        activities.cell(3, activities.max_column).value = "--- Tuesday ---"
        copy = book.copy_worksheet(activities)
        copy.title = "activities (2)"
    path = _lead_workbook(tmp_path / "week.xlsx", edit)
    assert run("validate", path).exit_code == 0, run("validate", path).output
    assert load_inspection(path) == load_inspection(_lead_workbook(tmp_path / "plain.xlsx"))


def test_a_renamed_id_column_is_said_once_not_at_every_reference(tmp_path):
    def edit(book):
        book["people"]["A1"] = "Person ID"
    result = run("validate", _lead_workbook(tmp_path / "week.xlsx", edit))
    assert result.exit_code == 2
    problems = [line for line in result.output.splitlines() if line.startswith("  - ")]
    assert "people, row 1, column person_id: unknown column 'Person ID'" in problems[0]
    assert any("people, row 1, column id: the required column is missing" in p for p in problems)
    assert not any("no person has id" in p for p in problems), problems


def test_an_excel_error_a_failed_formula_shows_is_refused_naming_the_cell(tmp_path):
    """#N/A from a lookup gone wrong would otherwise become a session's title in every invite."""
    def edit(book):
        book["activities"]["C2"] = "#N/A"  # openpyxl writes it as an error cell, as Excel saves one
    result = run("validate", _lead_workbook(tmp_path / "week.xlsx", edit))
    assert result.exit_code == 2
    assert "activities, row 2" in result.output and "cell C2 shows the Excel error #N/A: fix the formula, " \
        "or type the value" in " ".join(result.output.split())


def test_two_sheets_for_one_table_are_both_named(tmp_path):
    def edit(book):
        copy = book.copy_worksheet(book["activities"])
        copy.title, copy.sheet_state = "Activities ", "hidden"
    result = run("validate", _lead_workbook(tmp_path / "week.xlsx", edit))
    assert result.exit_code == 2
    assert "activities: two sheets hold this table ('activities' and 'Activities ' (hidden)): keep one" in \
        " ".join(result.output.split())


def test_a_true_cell_reads_as_excel_shows_it(tmp_path):
    def edit(book):
        book["activities"]["C2"] = True  # a title typed as TRUE
    path = _lead_workbook(tmp_path / "week.xlsx", edit)
    first = load_inspection(path).activities[0]
    assert first.title == "TRUE"


def test_a_csv_folder_saved_with_semicolons_reads_as_with_commas(tmp_path):
    """European Excel saves 'CSV' with ';' between columns (and quotes a cell holding one)."""
    folder = tmp_path / "semicolons"
    folder.mkdir()
    for path in LEAD_WEEK.glob("*.csv"):
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        with open(folder / path.name, "w", newline="", encoding="utf-8-sig") as handle:
            csv.writer(handle, delimiter=";").writerows(rows)
    assert load_inspection(folder) == load_inspection(LEAD_WEEK)


@pytest.mark.parametrize("wanted", ["council chamber", "Council Chamber · Town Hall", "R1"])
def test_show_takes_a_room_by_its_name_in_the_rooms_table(solved_lead_week, wanted):
    assert ",R1," in (solved_lead_week / "timetable.csv").read_text()  # the Council Chamber is used
    result = run("show", solved_lead_week, wanted, "--by", "room", "--width", 200)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Room R1: "), result.output
