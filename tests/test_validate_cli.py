"""`schedule validate INPUT`: OK and a summary (exit 0), or every problem located (exit 2)."""
from __future__ import annotations

from click.testing import CliRunner

from cli import main
from tests.test_loader import base_tables, write_tables, write_workbook


def validate(path) -> object:
    return CliRunner().invoke(main, ["validate", str(path)])


def week() -> dict[str, list[dict[str, str]]]:
    """The loader's base tables, with the Briefing Room made accessible: Phil Police needs it for
    the strategy meeting held there, so without it that must could never be held."""
    tables = base_tables()
    tables["rooms"][1]["accessible"] = "yes"
    return tables


def test_valid_folder_prints_ok_and_the_summary(tmp_path):
    result = validate(write_tables(tmp_path / "input", week()))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "OK"
    assert lines[1] == ("JTAI Northmere, Northmere: week of Mon 2025-11-10, day 09:00–17:00, "
                        "15-minute slots")
    assert "Activities: 5 by type (case_tracking 1, focus_group 1, kit_meeting 1, " \
           "manager_interview 1, observation 1)" in lines
    assert "Must-hold inspector minutes: 990 of 11520 available in the week (9%)" in lines


def test_valid_workbook_prints_ok(tmp_path):
    result = validate(write_workbook(tmp_path / "input.xlsx", week()))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK\n")


def test_problems_are_listed_with_exit_2(tmp_path):
    tables = base_tables()
    tables["activities"][5 - 2]["duration"] = "50"  # row 5 of the activities sheet
    tables["rooms"][0]["capacity"] = "-1"
    result = validate(write_tables(tmp_path / "input", tables))
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.splitlines() == [
        "The input has 2 problem(s):",
        "  - rooms, row 2, column capacity: -1 is too small: it must be at least 1",
        "  - activities, row 5 (OBS1 'Strategy meeting'), column duration: 50 is not a multiple "
        "of the 15-minute slot",
    ]


def test_must_time_beyond_the_week_is_flagged(tmp_path):
    tables = week()
    for row in tables["unavailability"]:
        row.update(id="OF1")
    tables["inspectors"] = tables["inspectors"][:1]  # only OF1, away Tuesday and Wednesday morning
    for row in tables["activities"]:
        row.update(inspectors="OF1", inspectorates="", duration="450", fixed_start="", days="",
                   earliest="", latest="", recurs="", priority="must", room="", site="", mode="either")
    result = validate(write_tables(tmp_path / "input", tables))
    assert result.exit_code == 0, result.output
    # 5 × 450 needed; 5 × 480 less a whole Tuesday and 09:00–12:10 on Wednesday = 1730 available
    assert "Must-hold inspector minutes: 2250 of 1730 available in the week (130%)" in result.output
    assert "Warning: the must activities need more inspector time than the week has." in result.output


def test_missing_path_exits_2_without_traceback(tmp_path):
    result = validate(tmp_path / "nope")
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output
