"""Read INPUT (a folder of CSV files or one .xlsx workbook) into plain tables of trimmed text.

Both sources end up as the same `Table`s, so a folder and a workbook holding the same cells give the
same inspection: workbook cells (numbers, time and date cells) are written as the text Excel would
put in a CSV file. Structural problems (missing tables, bad headers, bytes that are not UTF-8) are
noted as `Problem`s here; the meaning of the cells is checked in `loader.build`.
"""
from __future__ import annotations

import csv
import difflib
import functools
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
    "rooms": (("id", "name", "capacity"), ("site", "accessible", "virtual", "link")),
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

# What is read at most (SECURITY.md), so a damaged or hostile file is refused in seconds instead of
# filling the memory: far above a real inspection (2,000 activities and 5,000 people unpack to
# about 5 MB of workbook and a few thousand rows).
MAX_CELL_CHARACTERS = 32_767  # the most an Excel cell holds
MAX_ROWS = 100_000  # per table
MAX_COLUMNS = 1_000  # per table, the lead's own `#` columns included
MAX_WORKBOOK_BYTES = 32 * 2**20  # a workbook's parts, unpacked
_EACH_LISTED = 20  # merged ranges and formulas without a value listed one by one, per sheet
# Python's csv module refuses fields over 128 KB with an error naming no cell: let them through to
# the located "too long" problem below.
csv.field_size_limit(max(csv.field_size_limit(), 2**20))

# Control characters nobody can see in a spreadsheet (C0 and C1, which calendars and .xlsx refuse),
# and the Unicode line and paragraph separators, which some calendar, CSV and JavaScript readers
# take for a line end: tab and ordinary line breaks are kept in free text.
_HIDDEN_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
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
    # False when a required column is missing: its rows are read for their own problems, but what
    # refers to them is not reported again, row by row (a renamed id column is one mistake).
    complete: bool = True


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


def _known_table(name: str, problems: list[Problem], where: str, present: set[str] = frozenset()) -> str | None:
    """The table a file or sheet name stands for; a near miss of a known name is reported, unless
    that table is `present` under its own name (the near miss is then a copy, e.g. Excel's
    'activities (2)', and is left alone like any other sheet of the lead's)."""
    key = name.strip().lower()
    if key in COLUMNS:
        return key
    close = difflib.get_close_matches(key, TABLE_ORDER, n=1, cutoff=0.8)
    if close and close[0] not in present:
        problems.append(Problem(name, None, None, f"{where} '{name}' is not a table this tool reads: "
                                f"did you mean {close[0]}?"))
    return None


# A table as read: (row number as the spreadsheet shows it, cells as text) for each row that may
# hold something; rows a workbook does not store are simply absent.
Grid = list[tuple[int, list[str]]]


def _read_csv_folder(folder: Path, problems: list[Problem]) -> dict[str, Grid | None]:
    grids: dict[str, Grid | None] = {}
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


def _csv_grid(name: str, data: bytes, problems: list[Problem]) -> Grid | None:
    # surrogateescape keeps going past bytes that are not UTF-8, so each bad cell can be located.
    text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    # Excel set to a European locale saves "CSV" with ';' between columns (quoting any ';' in a cell).
    header = text.lstrip("\r\n").partition("\n")[0]
    delimiter = ";" if ";" in header and "," not in header else ","
    try:
        return list(enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1))
    except csv.Error as err:
        problems.append(Problem(name, None, None, f"is not a readable CSV file ({err})"))
        return None


def _read_workbook(path: Path, problems: list[Problem]) -> dict[str, Grid | None] | None:
    import openpyxl  # only workbooks need it

    unpacked = _unpacked_size(path)
    if unpacked is not None and unpacked > MAX_WORKBOOK_BYTES:
        problems.append(Problem(str(path), None, None, f"is too large: it unpacks to "
                                f"{unpacked / 2**20:.0f} MB, and at most {MAX_WORKBOOK_BYTES // 2**20} MB "
                                "are read; keep only the inspection's tables in it"))
        return None
    try:
        # data_only: the values Excel shows, not the formulas behind them.
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # a corrupt or foreign file can fail in many ways inside openpyxl
        problems.append(Problem(str(path), None, None, "cannot be opened as an .xlsx workbook (it is damaged, "
                                "or not a workbook): save it again from Excel as .xlsx"))
        return None
    grids: dict[str, Grid | None] = {}
    titles: dict[str, str] = {}  # table -> the title of the sheet read for it
    try:
        present = {sheet.title.strip().lower() for sheet in book.worksheets}
        for sheet in book.worksheets:
            name = _known_table(sheet.title, problems, "the sheet", present)
            if name is None:
                continue
            if name in grids:
                hidden = " (hidden)" if sheet.sheet_state != "visible" else ""
                problems.append(Problem(name, None, None, f"two sheets hold this table ('{titles[name]}' and "
                                        f"'{sheet.title}'{hidden}): keep one"))
                continue
            titles[name] = sheet.title
            grids[name] = _sheet_grid(book, sheet, name, problems)
    except Exception:  # a damaged sheet part
        problems.append(Problem(str(path), None, None, "cannot be read as an .xlsx workbook (a sheet in it is "
                                "damaged): save it again from Excel as .xlsx"))
        return None
    finally:
        book.close()
    return grids


def _unpacked_size(path: Path) -> int | None:
    """The bytes a workbook's parts unpack to (None when it is not a zip file: openpyxl says so)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return sum(member.file_size for member in archive.infolist())
    except (OSError, zipfile.BadZipFile, ValueError):
        return None


def _sheet_grid(book, sheet, name: str, problems: list[Problem]) -> Grid | None:
    """The rows of one sheet. The sheet's own XML is scanned first, since what the sheet declares
    cannot be trusted: its size (`<dimension>`) may be stale, which would drop rows and columns,
    or absurd (A1:XFD1048576), which would make a reader build billions of empty cells."""
    # A read-only sheet keeps the path of its XML part; openpyxl opens it the same way.
    with book._archive.open(sheet._worksheet_path) as xml:
        scan = scan_sheet(xml)
    where = "the sheet"
    if scan.rows > MAX_ROWS or scan.columns > MAX_COLUMNS:
        problems.append(Problem(name, None, None, f"{where} holds data as far as cell "
                                f"{_letter(scan.columns - 1)}{scan.rows}; at most {MAX_ROWS:,} rows and "
                                f"{MAX_COLUMNS:,} columns are read: delete what lies beyond the table"))
        return None
    if scan.declared and (scan.declared[0] > MAX_ROWS or scan.declared[1] > MAX_COLUMNS):
        problems.append(Problem(name, None, None, f"{where} says it runs to cell "
                                f"{_letter(scan.declared[1] - 1)}{scan.declared[0]}, beyond the "
                                f"{MAX_ROWS:,} rows and {MAX_COLUMNS:,} columns read, although its data "
                                f"ends at {_letter(max(scan.columns, 1) - 1)}{max(scan.rows, 1)}: the "
                                "program that wrote it gave it a wrong size; open it in Excel and save "
                                "it again"))
    elif scan.declared and (scan.rows > scan.declared[0] or scan.columns > scan.declared[1]):
        problems.append(Problem(name, None, None, f"{where} says it ends at cell "
                                f"{_letter(scan.declared[1] - 1)}{scan.declared[0]} but holds data as far "
                                f"as {_letter(scan.columns - 1)}{scan.rows}: the program that wrote it "
                                "left its size out of date, so other programs may not see every row; "
                                "open it in Excel and save it again"))
    for first, last in scan.merged[:_EACH_LISTED]:
        problems.append(Problem(name, first[0], None, f"cells {_letter(first[1] - 1)}{first[0]}:"
                                f"{_letter(last[1] - 1)}{last[0]} are merged, and only the first of "
                                "them holds the value: unmerge them and fill in each cell"))
    for row, column, formula in scan.uncalculated[:_EACH_LISTED]:
        problems.append(Problem(name, row, None, f"cell {_letter(column - 1)}{row} holds a formula "
                                f"({show(formula)}) whose value was never calculated: open the workbook "
                                "in Excel and save it again, or type the value"))
    for row, column, error, formula in scan.errors[:_EACH_LISTED]:
        behind = f" from its formula ({show(formula)})" if formula else ""
        problems.append(Problem(name, row, None, f"cell {_letter(column - 1)}{row} shows the Excel error "
                                f"{show(error)}{behind}: fix the formula, or type the value"))
    more = sum(max(0, len(found) - _EACH_LISTED) for found in (scan.merged, scan.uncalculated, scan.errors))
    if more:
        problems.append(Problem(name, None, None, f"{where} has {more:,} more merged ranges, formulas "
                                "without their value or Excel errors like those above"))
    if not scan.rows:
        return []
    sheet.reset_dimensions()  # read every row and column that holds data, and no further
    rows = sheet.iter_rows(min_row=1, max_row=scan.rows, values_only=True)
    return [(number, [_cell_text(v) for v in row]) for number, row in enumerate(rows, start=1) if row]


@dataclass
class SheetScan:
    """What a worksheet's XML really holds."""

    declared: tuple[int, int] | None = None  # (rows, columns) its <dimension> claims
    rows: int = 0  # the last row with a cell holding a value
    columns: int = 0  # the last column with a cell holding a value
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    uncalculated: list[tuple[int, int, str]] = field(default_factory=list)  # (row, column, formula)
    errors: list[tuple[int, int, str, str | None]] = field(default_factory=list)  # (row, column, #N/A, formula)


def scan_sheet(xml) -> SheetScan:
    """One streaming pass over a worksheet's XML (a file object): its declared size, the extent of
    the cells holding a value, merged ranges, and formulas saved without their value (written by a
    program, never opened in Excel: they would read as blank). expat's callbacks build nothing, so
    memory stays flat and the pass costs a fraction of reading the values."""
    from xml.parsers.expat import ParserCreate

    scan = SheetScan()
    cell: dict[str, object] = {}  # the cell being read: row, column, type, value, formula
    at = {"row": 0, "column": 0, "text": None}

    def start(tag: str, attributes: dict[str, str]) -> None:
        tag = tag.rpartition(":")[2]
        if tag == "row":
            at["row"], at["column"] = int(attributes.get("r") or at["row"] + 1), 0
        elif tag == "c":
            reference = attributes.get("r")
            row, column = _coordinate(reference) if reference else (at["row"], at["column"] + 1)
            at["row"], at["column"] = row, column
            cell.clear()
            cell.update(row=row, column=column, type=attributes.get("t"), value="", formula=None)
        elif tag in ("v", "t", "f") and cell:
            at["text"] = []
        elif tag == "dimension" and attributes.get("ref"):
            low_row, low_column, high_row, high_column = _range(attributes["ref"])
            scan.declared = (high_row, high_column) if high_row else None
        elif tag == "mergeCell" and attributes.get("ref"):
            low_row, low_column, high_row, high_column = _range(attributes["ref"])
            if high_row and (low_row, low_column) != (high_row, high_column):
                scan.merged.append(((low_row, low_column), (high_row, high_column)))

    def text(data: str) -> None:
        if at["text"] is not None:
            at["text"].append(data)

    def end(tag: str) -> None:
        tag = tag.rpartition(":")[2]
        if tag in ("v", "t") and cell and at["text"] is not None:
            cell["value"] = str(cell["value"]) + "".join(at["text"])
            at["text"] = None
        elif tag == "f" and cell and at["text"] is not None:
            cell["formula"] = "=" + "".join(at["text"])
            at["text"] = None
        elif tag == "c" and cell:
            row, column = int(cell["row"]), int(cell["column"])
            if cell["value"]:
                scan.rows, scan.columns = max(scan.rows, row), max(scan.columns, column)
                if cell["type"] == "e":  # what a failed formula shows (#N/A, #REF!): never a value
                    scan.errors.append((row, column, str(cell["value"]), cell["formula"]))
            elif cell["formula"] is not None and cell["type"] != "str":  # a text formula may give ""
                scan.uncalculated.append((row, column, str(cell["formula"])))
            cell.clear()

    parser = ParserCreate(namespace_separator=":")
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = text
    parser.ParseFile(xml)
    return scan


_COORDINATE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")


def _coordinate(reference: str) -> tuple[int, int]:
    """'B12' -> (12, 2); ValueError for anything else (a damaged sheet)."""
    match = _COORDINATE.fullmatch(reference)
    if not match:
        raise ValueError(f"not a cell reference: {reference!r}")
    return int(match[2]), _column_number(match[1].upper())


@functools.lru_cache(maxsize=4096)
def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _range(reference: str) -> tuple[int, int, int, int]:
    """'A1:U30' -> (1, 1, 30, 21); a single cell is a range of one; zeros when unreadable."""
    try:
        corners = [_coordinate(part) for part in reference.split(":")]
    except ValueError:
        return 0, 0, 0, 0
    return (*corners[0], *corners[-1])


def _cell_text(value: object) -> str:
    """A workbook cell as the text a CSV export would hold (time and date cells in ISO form)."""
    if value is None:
        return ""
    if isinstance(value, bool):  # as Excel shows it (a yes/no column reads TRUE and FALSE too)
        return "TRUE" if value else "FALSE"
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


def _table_from_grid(name: str, grid: Grid, problems: list[Problem]) -> Table | None:
    """Find the header, check the columns, and keep the non-blank rows with their numbers."""
    filled = [(number, row) for number, row in grid if any(cell.strip() for cell in row)]
    if filled and (filled[-1][0] > MAX_ROWS or max(len(row) for _, row in filled) > MAX_COLUMNS):
        problems.append(Problem(name, None, None, f"is too large: at most {MAX_ROWS:,} rows and "
                                f"{MAX_COLUMNS:,} columns are read"))
        return None
    if not filled:
        problems.append(Problem(name, None, None, "is empty: it needs a header row with the column "
                                "names"))
        return None
    required, optional = COLUMNS[name]
    at = _header_at(filled, required, optional)
    (header_number, header), body = filled[at], filled[at + 1:]
    columns: list[str | None] = []  # None: nameless or '#', ignored (nameless: when blank)
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
        if not column or column.startswith("#"):  # blank, or the lead's own notes: ignored
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
            close = difflib.get_close_matches(column, required + optional, n=1, cutoff=0.75)
            hint = f"did you mean {close[0]}? " if close else ""
            problems.append(Problem(name, header_number, show(column),
                                    f"unknown column '{show(raw.strip())}': {hint}"
                                    f"{name} has the columns {', '.join(required + optional)} "
                                    "(a column whose name starts with # is your own and is ignored)"))
    missing = [column for column in required if column not in seen]
    for column in missing if header_ok else ():
        problems.append(Problem(name, header_number, column, "the required column is missing"))
    known = set(required + optional)
    notes = {position for position, raw in enumerate(header) if normalise_column(raw).startswith("#")}
    rows: list[Row] = []
    for number, raw_row in body:
        if all(position in notes for position, raw in enumerate(raw_row) if raw.strip()):
            continue  # only the lead's own notes: a blank row to the table
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
            if len(text) > MAX_CELL_CHARACTERS:
                problems.append(Problem(name, number, column, f"holds {len(text):,} characters; a cell "
                                        f"may hold at most {MAX_CELL_CHARACTERS:,}"))
                unreadable.add(column)
            elif _NOT_UTF8.search(text):
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
    return Table(name, tuple(c for c in seen if c in known), tuple(rows), complete=not missing)


HEADER_SEARCH = 10  # rows a title or the lead's notes above the header may take


def _header_at(filled: Grid, required: tuple[str, ...], optional: tuple[str, ...]) -> int:
    """Where the header is among the first rows holding something: the first naming every required
    column, when no row before it names any column (a title above the table, say 'Partner staff
    list'); else the first row, whose column names are then checked as they are."""
    names = set(required + optional)
    for index, (_, row) in enumerate(filled[:HEADER_SEARCH]):
        found = {normalise_column(cell) for cell in row}
        if set(required) <= found:
            return index
        if found & names:
            break
    return 0


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
