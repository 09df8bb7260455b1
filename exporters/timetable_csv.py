"""timetable.csv and unscheduled.csv: the timetable as data (SPEC §5), and reading them back for
`schedule check` and a what-if's baseline.

Written with the csv module (RFC 4180 quoting, CRLF line ends), text verbatim: these files are data,
not spreadsheets, so nothing is escaped against formulas here (timetable.xlsx does that).
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path

from models import DAYS, Inspection, InputError, Problem, Session, Timetable, Unscheduled

TIMETABLE_COLUMNS = ("occurrence_id", "activity_id", "title", "type", "date", "day", "start", "end",
                     "room", "site", "inspectors", "attendees", "sequence")
UNSCHEDULED_COLUMNS = ("activity_id", "priority", "reason")
CANCELLED_COLUMNS = ("occurrence_id", "sequence")
CANCELLED_FILE = "cancelled.csv"
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
# An occurrence's SEQUENCE goes up by one per published change: a million is far beyond any week,
# and keeps the number well inside the 32-bit INTEGER calendars store it in.
MAX_SEQUENCE = 1_000_000


def csv_text(columns: tuple[str, ...], rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def render_timetable_csv(timetable: Timetable) -> str:
    """One row per held occurrence, by day, start, room, occurrence id."""
    inspection = timetable.inspection
    rows = []
    for s in timetable.sorted_sessions():
        occurrence = inspection.occurrence_by_id.get(s.occurrence_id)
        activity = occurrence.activity if occurrence else inspection.activity_by_id.get(s.activity_id)
        room = inspection.room_by_id.get(s.room_id)
        rows.append((
            s.occurrence_id, s.activity_id,
            activity.title if activity else "", activity.type if activity else "",
            inspection.date_of(s.day).isoformat(), s.day_name, s.start_text, s.end_text,
            s.room_id, "" if room is None or room.virtual else (room.site or ""),
            ";".join(s.inspector_ids), ";".join(s.attendee_ids), s.sequence,
        ))
    return csv_text(TIMETABLE_COLUMNS, rows)


def unscheduled_csv(unscheduled: Iterable[Unscheduled]) -> str:
    """Every optional activity not held, with the reason in words."""
    return csv_text(UNSCHEDULED_COLUMNS, ((u.activity_id, u.priority, u.reason) for u in unscheduled))


def render_unscheduled_csv(timetable: Timetable) -> str:
    return unscheduled_csv(timetable.unscheduled)


def render_cancelled_csv(timetable: Timetable) -> str:
    """The occurrences cancelled along a chain of re-plans and not held since, with the SEQUENCE
    of their CANCEL (so that one held again is invited above it)."""
    return csv_text(CANCELLED_COLUMNS, sorted(timetable.cancelled))


def start_and_end(row: dict[str, str], bad) -> tuple[int | None, int | None]:
    """A timetable row's start and end in minutes; each problem goes to bad(column, message)."""
    start, end = _minutes(row["start"]), _minutes(row["end"])
    if start is None:
        bad("start", f"{row['start']!r} is not a time HH:MM")
    if end is None:
        bad("end", f"{row['end']!r} is not a time HH:MM")
    if start is not None and end is not None and end <= start:
        bad("end", f"ends at {row['end']}, not after its start {row['start']}")
    return start, end


# --- reading back -------------------------------------------------------------------------------
def read_rows(path: Path, columns: tuple[str, ...], problems: list[Problem],
              earlier: tuple[tuple[str, ...], ...] = ()) -> list[tuple[int, dict[str, str]]]:
    """(row number as a spreadsheet shows it, {column: text}) for each non-blank row. `earlier`:
    headers an earlier version wrote, also read (a column they lack reads as blank)."""
    table = path.name
    if not path.is_file():
        problems.append(Problem(table, None, None, f"{path} is missing: DIR must be an output "
                                                   "folder written by `schedule solve`"))
        return []
    try:
        text = path.read_bytes().decode("utf-8-sig")  # Excel may have added a BOM on a resave
    except (OSError, UnicodeDecodeError) as err:
        problems.append(Problem(table, None, None, f"cannot be read as UTF-8 text ({err})"))
        return []
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as err:  # e.g. a field over the csv module's limit, hand-pasted into the file
        problems.append(Problem(table, None, None, f"cannot be read as CSV ({err})"))
        return []
    header = tuple(h.strip().lower() for h in (rows[0] if rows else []))
    if header != columns and header not in earlier:
        found = ",".join(header) or "nothing"
        problems.append(Problem(table, 1, None, f"the header must be {','.join(columns)}; found {found}"))
        return []
    out = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(Problem(table, number, None,
                                    f"has {len(cells)} cells; expected {len(header)}"))
            continue
        out.append((number, {column: "" for column in columns} | dict(zip(header, cells))))
    return out


def _minutes(text: str) -> int | None:
    match = _TIME.match(text.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        return None
    return int(match[1]) * 60 + int(match[2])


def read_ids(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(";") if part.strip())


def _session(inspection: Inspection, number: int, row: dict[str, str],
             problems: list[Problem]) -> Session | None:
    """One timetable.csv row as a Session, or None after adding its problems."""
    found: list[Problem] = []

    def bad(column: str, message: str) -> None:
        found.append(Problem("timetable.csv", number, column, message))

    occurrence_id = row["occurrence_id"].strip()
    occurrence = inspection.occurrence_by_id.get(occurrence_id)
    if occurrence is None:
        bad("occurrence_id", f"{occurrence_id!r} is not an occurrence of this inspection's activities")
    activity_id = row["activity_id"].strip()
    if occurrence is not None and activity_id != occurrence.activity.id:
        bad("activity_id", f"{activity_id!r} does not match occurrence {occurrence_id!r}")
    day_text = row["day"].strip().capitalize()
    day = DAYS.index(day_text) if day_text in DAYS else None
    if day is None:
        bad("day", f"{row['day']!r} is not one of {', '.join(DAYS)}")
    elif row["date"].strip() and row["date"].strip() != inspection.date_of(day).isoformat():
        bad("date", f"{row['date']!r} is not {day_text} of the week starting "
                    f"{inspection.settings.week_start.isoformat()}")
    start, end = start_and_end(row, bad)
    room_id = row["room"].strip()
    if room_id not in inspection.room_by_id:
        bad("room", f"{room_id!r} is not a room of this inspection")
    inspector_ids, attendee_ids = read_ids(row["inspectors"]), read_ids(row["attendees"])
    for column, ids, known in (("inspectors", inspector_ids, inspection.inspector_by_id),
                               ("attendees", attendee_ids, inspection.person_by_id)):
        unknown = [i for i in ids if i not in known]
        if unknown:
            bad(column, f"unknown id(s): {', '.join(unknown)}")
    sequence = _sequence(row["sequence"], bad)
    problems.extend(found)
    if found:
        return None
    return Session(occurrence_id=occurrence_id, activity_id=activity_id, day=day, start=start,
                   end=end, room_id=room_id, inspector_ids=inspector_ids,
                   attendee_ids=attendee_ids, sequence=sequence)


def _sequence(text: str, bad) -> int | None:
    """A calendar SEQUENCE cell (blank: 0); None, told to `bad`, when it is not one."""
    sequence_text = text.strip() or "0"
    if not (sequence_text.isascii() and sequence_text.isdigit()):  # '²' is a digit but no number
        bad("sequence", f"{text!r} is not a whole number")
    elif len(sequence_text) > len(str(MAX_SEQUENCE)) or int(sequence_text) > MAX_SEQUENCE:
        bad("sequence", f"{sequence_text[:20]}{'…' * (len(sequence_text) > 20)} is more than any "
                        f"calendar sequence: at most {MAX_SEQUENCE:,}")
    else:
        return int(sequence_text)
    return None


def read_timetable(inspection: Inspection, directory: Path | str) -> Timetable:
    """The timetable in an output folder (timetable.csv and unscheduled.csv, sequences included).
    A missing or garbled file is an InputError (exit 2) naming the file, row and column."""
    directory = Path(directory)
    problems: list[Problem] = []
    sessions: list[Session] = []
    seen: dict[str, int] = {}
    for number, row in read_rows(directory / "timetable.csv", TIMETABLE_COLUMNS, problems):
        session = _session(inspection, number, row, problems)
        if session is None:
            continue
        if session.occurrence_id in seen:
            first = seen[session.occurrence_id]
            problems.append(Problem("timetable.csv", number, "occurrence_id",
                                    f"{session.occurrence_id!r} is already on row {first}"))
            continue
        seen[session.occurrence_id] = number
        sessions.append(session)
    unscheduled = []
    for number, row in read_rows(directory / "unscheduled.csv", UNSCHEDULED_COLUMNS, problems):
        unscheduled.append(Unscheduled(activity_id=row["activity_id"].strip(),
                                       priority=row["priority"].strip(), reason=row["reason"]))
    cancelled = []
    if (directory / CANCELLED_FILE).is_file():  # only a re-plan that cancelled something has one
        for number, row in read_rows(directory / CANCELLED_FILE, CANCELLED_COLUMNS, problems):
            sequence = _sequence(row["sequence"], lambda column, message, number=number: problems.append(
                Problem(CANCELLED_FILE, number, column, message)))
            if sequence is not None:
                cancelled.append((row["occurrence_id"].strip(), sequence))
    if problems:
        raise InputError(problems)
    return Timetable(inspection=inspection, sessions=tuple(sessions), unscheduled=tuple(unscheduled),
                     cancelled=tuple(cancelled))


__all__ = ["CANCELLED_FILE", "TIMETABLE_COLUMNS", "UNSCHEDULED_COLUMNS", "render_cancelled_csv", "render_timetable_csv",
           "render_unscheduled_csv", "unscheduled_csv", "read_timetable"]
