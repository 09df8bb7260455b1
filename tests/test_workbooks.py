"""Workbooks written by programs other than Excel, or by a hostile hand (tests/fixtures/workbooks,
made by its make.py): nothing in them is silently dropped, and no size they declare makes the
loader do more work than the cells they hold."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import loader.tables as tables
from cli import main
from fixtures.example import write_tables
from loader import load_inspection
from tests.test_fuzz_inputs import feasible_base

CORPUS = Path(__file__).parent / "fixtures" / "workbooks"


def validate(path: Path):
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


# workbook -> the problem lines validate must list (exit 2), or None: valid (exit 0)
EXPECTED = {
    "stale-dimension-rows.xlsx": [
        "  - activities: the sheet says it ends at cell U3 but holds data as far as U6: the program "
        "that wrote it left its size out of date, so other programs may not see every row; open it "
        "in Excel and save it again"],
    "stale-dimension-columns.xlsx": [
        "  - activities: the sheet says it ends at cell R6 but holds data as far as U6: the program "
        "that wrote it left its size out of date, so other programs may not see every row; open it "
        "in Excel and save it again"],
    "dimension-whole-sheet.xlsx": [
        "  - activities: the sheet says it runs to cell XFD1048576, beyond the 100,000 rows and 1,000 "
        "columns read, although its data ends at U6: the program that wrote it gave it a wrong size; "
        "open it in Excel and save it again"],
    "stray-cell-far-away.xlsx": [
        "  - activities: the sheet holds data as far as cell XFD1048576; at most 100,000 rows and "
        "1,000 columns are read: delete what lies beyond the table"],
    "formula-without-value.xlsx": [
        "  - activities, row 5 (OBS1 'Strategy meeting'): "
        'cell S5 holds a formula (="low") whose value was never calculated: '
        "open the workbook in Excel and save it again, or type the value"],
    "formula-with-value.xlsx": None,
    "merged-cells.xlsx": [
        "  - activities, row 3 (FG1 'Practitioners focus group'): cells E3:E4 are merged, and only the first of them holds the value: "
        "unmerge them and fill in each cell"],
    "huge-cell.xlsx": [
        "  - activities, row 6 (CT1 'Case 3 discussion'), column notes: holds 40,000 characters; a cell may "
        "hold at most 32,767"],
}


def test_the_corpus_is_all_here():
    assert sorted(p.name for p in CORPUS.glob("*.xlsx")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_crafted_workbook_is_read_whole_or_refused_naming_why(name, monkeypatch):
    # The work is bounded by the cells the sheet holds: a reader that believed A1:XFD1048576 would
    # convert 17 billion empty cells (on main before the fix, validate ran out of memory).
    calls = []
    real = tables._cell_text

    def counted(value):
        calls.append(1)
        if len(calls) > 100_000:
            raise AssertionError("more cells read than the workbook holds")
        return real(value)

    monkeypatch.setattr(tables, "_cell_text", counted)
    result = validate(CORPUS / name)
    expected = EXPECTED[name]
    if expected is None:
        assert result.exit_code == 0, result.output
        assert len(calls) < 1_000
    else:
        assert result.exit_code == 2, result.output
        assert result.output.splitlines()[1:] == expected


def test_a_stale_dimension_loses_no_activity_and_no_column_once_read():
    """What the stale sheets hold, read whole, is the inspection the sheet shows in Excel: the
    problem is reported, not guessed around, but nothing was cut before it was judged."""
    grids = tables._read_workbook(CORPUS / "stale-dimension-rows.xlsx", problems := [])
    assert [number for number, _ in grids["activities"]] == [1, 2, 3, 4, 5, 6]
    grids = tables._read_workbook(CORPUS / "stale-dimension-columns.xlsx", problems := [])
    assert all(len(row) == 21 for _, row in grids["activities"])
    assert len(problems) == 1


def test_a_formula_with_its_value_reads_as_the_value():
    inspection = load_inspection(CORPUS / "formula-with-value.xlsx")
    assert inspection.activity_by_id["OBS1"].priority == "low"


def test_a_workbook_that_unpacks_too_large_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "week.xlsx"
    write_tables(feasible_base(), xlsx_path=path)
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(i.file_size for i in archive.infolist())
    monkeypatch.setattr(tables, "MAX_WORKBOOK_BYTES", unpacked - 1)
    result = validate(path)
    assert result.exit_code == 2
    assert "is too large: it unpacks to" in result.output


def test_a_csv_cell_over_the_cap_is_named_not_a_whole_file_refused(tmp_path):
    """Python's csv module stops at 131,072 characters with an error that names no cell."""
    data = feasible_base()
    data["activities"][1]["notes"] = "n" * 200_000
    write_tables(data, csv_dir=tmp_path)
    result = validate(tmp_path)
    assert result.exit_code == 2
    assert result.output.splitlines()[1:] == [
        "  - activities, row 3 (FG1 'Practitioners focus group'), column notes: holds 200,000 characters; a "
        "cell may hold at most 32,767"]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029"])
def test_line_and_paragraph_separators_are_refused(tmp_path, separator):
    """Calendar, CSV and JavaScript readers may take them for a line end."""
    data = feasible_base()
    data["activities"][1]["notes"] = f"first{separator}second"
    write_tables(data, csv_dir=tmp_path)
    result = validate(tmp_path)
    assert result.exit_code == 2
    assert result.output.splitlines()[1:] == [
        f"  - activities, row 3 (FG1 'Practitioners focus group'), column notes: holds a hidden control "
        f"character "
        f"(U+{ord(separator):04X}): retype the cell"]
