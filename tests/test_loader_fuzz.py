"""Garbage in any cell of a valid input: `schedule validate` exits 0 or 2, never with a traceback,
and every problem it lists names its table, row and column."""
from __future__ import annotations

import csv
import io
import re
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from cli import main
from tests.test_loader import BASE

TABLES = "|".join(BASE)
# Every problem line: table, row and column, then the message, all on one line.
LOCATED = re.compile(rf"  - ({TABLES}), row \d+( \(.*?\))?, column [a-z_]+: \S.*")  # (activity)
# The one problem about a cell that is not there at all: the settings row week_start.
WEEK_START_MISSING = ("  - settings, column key: week_start is missing: add a row week_start with "
                      "the Monday of the on-site week (YYYY-MM-DD)")
MARK = "\x00CELL\x00"

# Every data cell of the base input: (table, row index, column).
CELLS = [(table, index, column) for table, rows in BASE.items()
         for index, row in enumerate(rows) for column in row]

garbage_text = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(max_codepoint=0x9F), max_size=12),  # control characters
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.sampled_from(["=1+1", "=HYPERLINK(\"http://x\")", "+SUM(A1)", "@cmd", "P1;P2", "OF1; all",
                     ";;;", "all", "24:00", "23:60", "-0", "1e9", "0x1E", "٦٠", "NaN", "Sat 10:00",
                     "2025-02-30", "31/02/2025", "9" * 5000, "a@b", "\ufeffOF1", "OF1\u2028x"]),
)
garbage_bytes = st.one_of(
    st.binary(max_size=20),
    st.sampled_from([b"\xe9t\xe9", b"\xff\xfe", b"\xc3", b"caf\xe9;\x80", b"\xed\xa0\x80"]),
)


def write_input(folder: Path, table: str, index: int, column: str, cell: bytes) -> None:
    """The base input with one cell replaced by raw bytes, kept inside its quoted CSV field. The
    Briefing Room is made accessible, as P2 needs it: every must of the base can then be held."""
    for name, rows in BASE.items():
        if name == "rooms":
            rows = [dict(row, accessible="yes") if row["id"] == "R2" else row for row in rows]
        header = list(rows[0])
        out = io.StringIO()
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(header)
        for i, row in enumerate(rows):
            writer.writerow([MARK if (name, i, c) == (table, index, column) else row[c]
                             for c in header])
        data = out.getvalue().encode("utf-8")
        (folder / f"{name}.csv").write_bytes(data.replace(MARK.encode(), cell.replace(b'"', b'""')))


def check_validate(table: str, index: int, column: str, cell: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        write_input(Path(folder), table, index, column, cell)
        result = CliRunner().invoke(main, ["validate", folder])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code == 0:
        assert result.output.startswith("OK\n")
        return
    if result.exit_code == 1:  # readable, but a must (say, its fixed start edited) cannot be held
        reasons = result.output.split("No timetable can hold every 'must' activity:\n")[1]
        assert all(line.startswith("  - ") for line in filter(None, reasons.split("\n"))), reasons
        return
    lines = result.output.split("\n")
    assert re.fullmatch(r"The input has \d+ problem\(s\):", lines[0])
    for line in filter(None, lines[1:]):
        assert LOCATED.fullmatch(line) or line == WEEK_START_MISSING, line


FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.sampled_from(CELLS), garbage_text)
def test_garbage_text_in_any_cell(where, text):
    check_validate(*where, text.encode("utf-8", errors="surrogatepass"))


@FUZZ
@given(st.sampled_from(CELLS), garbage_bytes)
def test_bytes_that_are_not_utf8_in_any_cell(where, data):
    check_validate(*where, data)


@FUZZ
@given(st.sampled_from([c for c in CELLS if c[2] in ("id", "person_id", "attendees", "inspectors",
                                                      "after", "pool", "room", "manager_id")]),
       st.text(alphabet=";, \t=+-@.\"'\x00\x07\n\r" + "abcP1OF", max_size=15))
def test_separators_and_formulas_in_id_cells(where, text):
    check_validate(*where, text.encode("utf-8"))
