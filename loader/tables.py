"""Read INPUT (a folder of CSV files or one .xlsx workbook) into plain tables of trimmed text.

Both sources end up as the same `Table`s, so a folder and a workbook holding the same cells give the
same inspection: workbook cells (numbers, time and date cells) are written as the text Excel would
put in a CSV file. Structural problems (missing tables, bad headers, bytes that are not UTF-8) are
noted as `Problem`s here; the meaning of the cells is checked in `loader.build`.
"""
from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from models import Problem

# table -> (required columns, optional columns), as SPEC §2 spells them.
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "settings": (("key", "value"), ()),
    "inspectors": (("id", "name", "inspectorate"), ("email", "role")),
    "people": (("id", "name", "agency", "role"), ("email", "manager_id", "needs_accessible")),
    "rooms": (("id", "name", "capacity"), ("site", "accessible", "virtual")),
    "travel": (("from_site", "to_site", "minutes"), ()),
    "groups": (("group_id", "person_id"), ()),
    "unavailability": (("id", "day"), ("start", "end", "reason")),
    "activities": (
        ("id", "type", "title", "duration"),
        ("days", "recurs", "earliest", "latest", "fixed_start", "site", "room", "mode",
         "inspectors", "inspectorates", "attendees", "pool", "pool_min", "pool_max", "priority",
         "after", "notes"),
    ),
}
TABLE_ORDER: tuple[str, ...] = tuple(COLUMNS)
REQUIRED_TABLES: tuple[str, ...] = ("settings", "inspectors", "people", "rooms", "activities")

# Control characters nobody can see in a spreadsheet (C0 and C1, which calendars and .xlsx refuse);
# tab and line breaks are kept in free text.
_HIDDEN_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Where a CSV cell held bytes that are not UTF-8 (decoded with surrogateescape).
_NOT_UTF8 = re.compile(r"[\udc80-\udcff]")
_UNSHOWN = frozenset({"Cc", "Cs", "Zl", "Zp"})  # controls, stray bytes, line separators


@dataclass(frozen=True)
class Row:
    number: int  # as the user sees it: header = row 1, blank rows counted
    cells: dict[str, str]  # column -> trimmed text, "" when blank
    unreadable: frozenset[str] = frozenset()  # columns already reported as unreadable


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]


@dataclass
class Source:
    """The tables found in INPUT and the problems met while reading them."""

    tables: dict[str, Table] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    found: set[str] = field(default_factory=set)  # tables present, readable or not


def read_source(path: Path) -> Source:
    """Read every known table of a CSV folder or an .xlsx workbook."""
    source = Source()
    path = Path(path)
    label = str(path)
    if not path.exists():
        source.problems.append(Problem(label, None, None, "does not exist: give a folder of CSV "
                                       "files or an .xlsx workbook"))
        return source
    if path.is_dir():
        grids = _read_csv_folder(path, source.problems)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        grids = _read_workbook(path, source.problems)
        if grids is None:  # not a workbook at all: listing its missing sheets would only confuse
            return source
    else:
        source.problems.append(Problem(label, None, None, "is neither a folder of CSV files nor an "
                                       ".xlsx workbook"))
        return source
    source.found.update(grids)
    for name, grid in grids.items():
        table = None if grid is None else _table_from_grid(name, grid, source.problems)
        if table is not None:
            source.tables[name] = table
    where = "a file" if path.is_dir() else "a sheet"
    for name in REQUIRED_TABLES:
        if name not in grids:
            source.problems.append(Problem(name, None, None, f"the required table is missing: add "
                                           f"{where} named {name}{'.csv' if path.is_dir() else ''}"))
    return source


def tables_as_read(path: Path) -> dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]]:
    """The tables of INPUT as read, in table order: name -> (columns, rows of trimmed text), blank
    rows and the lead's own `#` columns left out. An output folder keeps them in input/, so a
    later re-plan can see what the lead edited since."""
    tables = read_source(Path(path)).tables
    return {name: (tables[name].columns, [tuple(row.cells.get(c, "") for c in tables[name].columns)
                                          for row in tables[name].rows])
            for name in TABLE_ORDER if name in tables}


def _known_table(name: str, problems: list[Problem], where: str) -> str | None:
    """The table a file or sheet name stands for; a near miss of a known name is reported."""
    key = name.strip().lower()
    if key in COLUMNS:
        return key
    close = difflib.get_close_matches(key, TABLE_ORDER, n=1, cutoff=0.8)
    if close:
        problems.append(Problem(name, None, None, f"{where} '{name}' is not a table this tool reads: "
                                f"did you mean {close[0]}?"))
    return None


def _read_csv_folder(folder: Path, problems: list[Problem]) -> dict[str, list[list[str]] | None]:
    grids: dict[str, list[list[str]] | None] = {}
    for file in sorted(folder.iterdir()):
        if file.suffix.lower() != ".csv" or not file.is_file():
            continue
        name = _known_table(file.stem, problems, "the file")
        if name is None:
            continue
        if name in grids:
            problems.append(Problem(name, None, None, f"two files hold this table ({file.name} and "
                                    "another spelling): keep one"))
            continue
        try:
            data = file.read_bytes()
        except OSError as err:
            problems.append(Problem(name, None, None, f"cannot read {file.name}: {err.strerror}"))
            grids[name] = None  # present but unreadable: already reported
            continue
        grids[name] = _csv_grid(name, data, problems)
    return grids


def _csv_grid(name: str, data: bytes, problems: list[Problem]) -> list[list[str]] | None:
    # surrogateescape keeps going past bytes that are not UTF-8, so each bad cell can be located.
    text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as err:
        problems.append(Problem(name, None, None, f"is not a readable CSV file ({err})"))
        return None


def _read_workbook(path: Path, problems: list[Problem]) -> dict[str, list[list[str]]] | None:
    import openpyxl  # only workbooks need it

    try:
        # data_only: the values Excel shows, not the formulas behind them.
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # a corrupt or foreign file can fail in many ways inside openpyxl
        problems.append(Problem(str(path), None, None, f"cannot be opened as an .xlsx workbook "
                                f"({type(err).__name__}): save it again from Excel as .xlsx"))
        return None
    grids: dict[str, list[list[str]]] = {}
    try:
        for sheet in book.worksheets:
            name = _known_table(sheet.title, problems, "the sheet")
            if name is None:
                continue
            if name in grids:
                problems.append(Problem(name, None, None, "two sheets hold this table: keep one"))
                continue
            grids[name] = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except Exception as err:  # a damaged sheet part
        problems.append(Problem(str(path), None, None, f"cannot be read as an .xlsx workbook "
                                f"({type(err).__name__}): save it again from Excel as .xlsx"))
        return None
    finally:
        book.close()
    return grids


def _cell_text(value: object) -> str:
    """A workbook cell as the text a CSV export would hold (time and date cells in ISO form)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        if value.date() in (date(1899, 12, 30), date(1899, 12, 31)):  # Excel's day zero: a time
            return _time_text(value.time())
        if value.time() == time(0):
            return value.date().isoformat()
        return f"{value.date().isoformat()} {_time_text(value.time())}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return _time_text(value)
    if isinstance(value, timedelta):
        seconds = round(value.total_seconds())
        return _clock(seconds)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _time_text(value: time) -> str:
    # Excel stores times as fractions of a day: round away the float noise to whole seconds.
    seconds = round(value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6)
    return _clock(seconds)


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def normalise_column(name: str) -> str:
    """Column names are case-insensitive; 'Pool Min' and 'pool-min' mean pool_min."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _table_from_grid(name: str, grid: list[list[str]], problems: list[Problem]) -> Table | None:
    """Find the header, check the columns, and keep the non-blank rows with their numbers."""
    numbered = [(index + 1, row) for index, row in enumerate(grid)]
    filled = [(number, row) for number, row in numbered if any(cell.strip() for cell in row)]
    if not filled:
        problems.append(Problem(name, None, None, "is empty: it needs a header row with the column "
                                "names"))
        return None
    (header_number, header), body = filled[0], filled[1:]
    required, optional = COLUMNS[name]
    columns: list[str | None] = []  # None: a nameless column, ignored when it holds nothing
    seen: dict[str, int] = {}
    header_ok = True
    for position, raw in enumerate(header):
        if _NOT_UTF8.search(raw):
            problems.append(Problem(name, header_number, None, f"the name of column {_letter(position)} "
                                    "is not UTF-8 text: save the file as 'CSV UTF-8'"))
            columns.append(None)
            header_ok = False
            continue
        column = normalise_column(raw)
        if not column:
            columns.append(None)
            continue
        if column in seen:
            problems.append(Problem(name, header_number, show(column), f"the column appears twice "
                                    f"(columns {_letter(seen[column])} and {_letter(position)})"))
            columns.append(None)
            continue
        seen[column] = position
        columns.append(column)
        if column not in required and column not in optional:
            # Shown on one line, shortened: a header can hold anything, even a whole file behind a
            # stray quote.
            problems.append(Problem(name, header_number, show(column),
                                    f"unknown column '{show(raw.strip())}': "
                                    f"{name} has the columns {', '.join(required + optional)}"))
    for column in required:
        if column not in seen and header_ok:
            problems.append(Problem(name, header_number, column, "the required column is missing"))
    known = set(required + optional)
    rows: list[Row] = []
    for number, raw_row in body:
        cells = {column: "" for column in seen if column in known}
        unreadable: set[str] = set()
        for position, raw in enumerate(raw_row):
            column = columns[position] if position < len(columns) else None
            text = raw.strip()
            if column is None:
                nameless = position >= len(header) or not header[position].strip()
                if text and nameless:
                    problems.append(Problem(name, number, None, f"column {_letter(position)} holds "
                                            f"'{show(text)}' but has no name in the header row"))
                continue
            if column not in known:  # an unknown column, already reported on the header
                continue
            if _NOT_UTF8.search(text):
                problems.append(Problem(name, number, column, "holds characters that are not UTF-8 "
                                        "text: save the file as 'CSV UTF-8'"))
                unreadable.add(column)
            elif _HIDDEN_CONTROL.search(text):
                code = ord(_HIDDEN_CONTROL.search(text).group())
                problems.append(Problem(name, number, column, f"holds a hidden control character "
                                        f"(U+{code:04X}): retype the cell"))
                unreadable.add(column)
            cells[column] = text
        rows.append(Row(number, cells, frozenset(unreadable)))
    return Table(name, tuple(c for c in seen if c in known), tuple(rows))


def _letter(position: int) -> str:
    """0 -> A, 26 -> AA: the spreadsheet's column letter."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def show(text: str, limit: int = 40) -> str:
    """A cell quoted in a message: one line, shortened, with hidden characters made visible."""
    text = "".join(" " if c in "\t\r\n" else "?" if unicodedata.category(c) in _UNSHOWN else c
                   for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
