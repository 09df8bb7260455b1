"""Reading one row's cells: each parser notes a Problem for a bad cell and returns None.

Messages say what is wrong with the cell in a timetabling lead's words; the table, row and column
come from the Problem they are wrapped in.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

from models import Problem
from loader.tables import Row, show

# Letters, digits, '.', '_' and '-', starting with a letter or digit (SPEC §2): ids become file
# names, and '.x' is hidden while '.' and '..' are no file at all.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")
_INT = re.compile(r"[+-]?[0-9]+(?:\.0*)?")
_UK_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
YES = frozenset({"yes", "y", "true", "1"})
NO = frozenset({"no", "n", "false", "0"})
# Mon..Fri, the full names and the abbreviations leads write (Tues, Weds, Thur, Thurs, ...).
_DAY_SPELLINGS: tuple[tuple[str, ...], ...] = (
    ("mon", "monday", "mo", "mond"),
    ("tue", "tuesday", "tu", "tues"),
    ("wed", "wednesday", "we", "weds", "wedn"),
    ("thu", "thursday", "th", "thur", "thurs"),
    ("fri", "friday", "fr"),
)
DAY_NAMES = {spelling: index for index, spellings in enumerate(_DAY_SPELLINGS)
             for spelling in spellings}


def day_index(text: str) -> int | None:
    """'Tue', 'TUES', 'tuesday' or 'Tue.' -> 1; None when it is not a day name."""
    return DAY_NAMES.get(text.strip().lower().rstrip("."))


MAX_ID_LENGTH = 64  # ids become file names (calendars/ID.ics) and calendar UIDs
MAX_LINK_LENGTH = 2000  # Teams join links run to a few hundred characters
MAX_NUMBER = 100_000  # far above any real count or minutes; keeps the solver's numbers sane


# Columns counted in minutes, where '1:30' (or an Excel time cell) means 90.
MINUTE_COLUMNS = frozenset({"duration", "minutes"})
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::00)?")


def split_list(text: str) -> tuple[str, ...]:
    """'a; b;;c ' -> ('a', 'b', 'c')."""
    return tuple(item.strip() for item in text.split(";") if item.strip())


def plausible_email(text: str) -> bool:
    """One @, something either side, a dot in the domain, nothing that breaks a calendar line."""
    local, at, domain = text.partition("@")
    return (bool(at) and bool(local) and "." in domain.strip(".") and "@" not in domain
            and "'" not in domain and not re.search(r"[\s;,:\"<>\\\x00-\x1f\x7f]", text))


def plausible_link(text: str) -> bool:
    """https://host/... with nothing that could break a calendar line or an HTML attribute."""
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unclosed [ in the host
        return False
    return (parts.scheme.lower() == "https" and bool(parts.hostname) and len(text) <= MAX_LINK_LENGTH
            and not re.search(r"[\s\"'<>\\`\x00-\x1f\x7f]", text))


def parse_time(text: str) -> int | None:
    """'09:30' (or '9:30', '09:30:00') -> 570; None when it is not a clock time."""
    match = _TIME.fullmatch(text)
    if not match:
        return None
    hours, minutes, seconds = int(match[1]), int(match[2]), int(match[3] or 0)
    if minutes > 59 or seconds or hours * 60 + minutes > 24 * 60:  # 24:00 ends a day
        return None
    return hours * 60 + minutes


def week_text(week_start: date) -> str:
    return f"{week_start.isoformat()} to {(week_start + timedelta(days=4)).isoformat()}"


class Cells:
    """One row of one table, with parsers that note problems against it."""

    def __init__(self, table: str, row: Row, problems: list[Problem]):
        self.table = table
        self.row = row
        self.number = row.number
        self.problems = problems

    def problem(self, column: str | None, message: str) -> None:
        self.problems.append(Problem(self.table, self.number, column, message))

    def text(self, column: str) -> str:
        """The trimmed cell, "" when blank, missing or already reported as unreadable."""
        if column in self.row.unreadable:
            return ""
        return self.row.cells.get(column, "")

    def has(self, column: str) -> bool:
        """The column is in the table's header."""
        return column in self.row.cells

    def given(self, column: str) -> bool:
        return bool(self.text(column)) or column in self.row.unreadable

    def required(self, column: str) -> str | None:
        text = self.text(column)
        if not text:
            if column not in self.row.unreadable and column in self.row.cells:
                self.problem(column, "is blank but required")
            return None
        return text

    def id(self, column: str, required: bool = True) -> str | None:
        text = self.required(column) if required else self.text(column)
        if not text:
            return None
        return text if self.valid_id(column, text) else None

    def items(self, column: str) -> tuple[str, ...]:
        """A `;` list. Commas where `;` is meant ('Wed, Thu') are reported once, and the items
        read as meant so that the rest of the cell is still checked."""
        text = self.text(column).replace("\r\n", "\n")
        for separator, words in ((",", "commas"), ("\n", "line breaks")):
            if separator in text:
                example = "; ".join(split_list(text.replace(separator, ";"))[:2])
                self.problem(column, f"'{show(text)}' separates its items with {words}: use ';' "
                                     f"(e.g. {show(example)})")
                text = text.replace(separator, ";")
        return split_list(text)

    def ids(self, column: str, items: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """A `;` list of ids (or the column's `items` already split), duplicates dropped; bad
        items are reported and left out."""
        out: list[str] = []
        for item in self.items(column) if items is None else items:
            if self.valid_id(column, item) and item not in out:
                out.append(item)
        return tuple(out)

    def valid_id(self, column: str, text: str) -> bool:
        if not ID_PATTERN.fullmatch(text):
            self.problem(column, f"'{show(text)}' is not a valid id: use only letters, digits, "
                                 "'.', '_' and '-', starting with a letter or digit")
            return False
        if len(text) > MAX_ID_LENGTH:
            self.problem(column, f"'{show(text)}' is too long for an id: use at most "
                                 f"{MAX_ID_LENGTH} characters")
            return False
        return True

    def integer(self, column: str, *, minimum: int = 0, maximum: int = MAX_NUMBER,
                required: bool = False) -> int | None:
        text = self.required(column) if required else self.text(column)
        if not text:
            return None
        if not _INT.fullmatch(text):
            hours = _CLOCK.fullmatch(text) if column in MINUTE_COLUMNS else None
            hint = f": give it in minutes (e.g. {int(hours[1]) * 60 + int(hours[2])})" if hours else ""
            self.problem(column, f"'{show(text)}' is not a whole number{hint}")
            return None
        whole = text.split(".")[0]
        if len(whole.lstrip("+-").lstrip("0")) > 12:  # no need to build a huge int to refuse it
            self.problem(column, f"'{show(text)}' is too large: it must be at most {maximum}")
            return None
        value = int(whole)
        if value < minimum:
            self.problem(column, f"{value} is too small: it must be at least {minimum}")
            return None
        if value > maximum:
            self.problem(column, f"{value} is too large: it must be at most {maximum}")
            return None
        return value

    def yes_no(self, column: str) -> bool:
        """yes/no, y/n, true/false, 1/0 in any case; blank = no."""
        text = self.text(column).lower()
        if not text or text in NO:
            return False
        if text in YES:
            return True
        self.problem(column, f"'{show(text)}' is not yes or no (use yes/no, y/n, true/false or 1/0)")
        return False

    def choice(self, column: str, options: tuple[str, ...], default: str | None = None,
               what: str | None = None) -> str | None:
        """One of `options`, in any case and with spaces or hyphens for underscores."""
        text = self.text(column)
        if not text:
            if default is None and column in self.row.cells and column not in self.row.unreadable:
                self.problem(column, "is blank but required")
            return default
        canonical = {option.lower(): option for option in options}
        key = re.sub(r"[\s\-]+", "_", text.lower())
        if key in canonical:
            return canonical[key]
        self.problem(column, f"'{show(text)}' is not a valid {what or column}: use one of "
                             f"{', '.join(options)}")
        return None

    def time(self, column: str) -> int | None:
        return self.time_value(column, self.text(column))

    def time_value(self, column: str, text: str) -> int | None:
        """A clock time HH:MM; "" (blank) -> None without a problem."""
        if not text:
            return None
        minutes = parse_time(text)
        if minutes is None:
            self.problem(column, f"'{show(text)}' is not a time HH:MM (24-hour, e.g. 09:30)")
        return minutes

    def email(self, column: str) -> str:
        text = self.text(column)
        if text and not plausible_email(text):
            self.problem(column, f"'{show(text)}' is not a valid email address")
            return ""
        return text

    def link(self, column: str) -> str:
        """An https web address (a meeting's join link); "" when blank or reported."""
        text = self.text(column)
        if text and not plausible_link(text):
            self.problem(column, f"'{show(text)}' is not an https link: give the whole join "
                                 "address, starting https://")
            return ""
        return text

    def date(self, column: str) -> date | None:
        text = self.text(column)
        if not text:
            return None
        value = parse_date(text)
        if value is None:
            self.problem(column, f"'{show(text)}' is not a date (use YYYY-MM-DD, e.g. 2025-11-10)")
        return value

    def day_value(self, column: str, text: str, week_start: date | None) -> int | None:
        """'Tue', 'tuesday' or a date inside the inspection week -> 1."""
        index = day_index(text)
        if index is not None:
            return index
        when = parse_date(text)
        if when is None:
            self.problem(column, f"'{show(text)}' is not a day: use Mon..Fri or a date of the "
                                 "inspection week")
            return None
        if week_start is None:  # week_start itself is wrong and reported: nothing to compare with
            return None
        offset = (when - week_start).days
        if not 0 <= offset <= 4:
            self.problem(column, f"{when.isoformat()} is not in the inspection week "
                                 f"({week_text(week_start)})")
            return None
        return offset


def parse_date(text: str) -> date | None:
    """ISO 2025-11-10, or 10/11/2025 as a UK Excel writes it in a CSV file."""
    try:
        if _ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
        match = _UK_DATE.fullmatch(text)
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        return None
    return None
