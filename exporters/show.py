"""The timetable as people read it: display rows for every held session, and the terminal view of
`schedule show`.

`ShownSession` is the display-ready form of a session (title, type, room label, names) that the
terminal table, timetable.html and timetable.xlsx all draw from. It is built either from a
Timetable (names from the inspection) or from an output folder's timetable.csv alone (ids stand
in for names), so `schedule show DIR` needs no input tables.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

# The CSV row reader is shared with `schedule check`, so both read timetable.csv alike.
from exporters.timetable_csv import TIMETABLE_COLUMNS, UNSCHEDULED_COLUMNS, read_ids, read_rows, start_and_end
from models import DAYS, InputError, Problem, Timetable, Unscheduled, format_minutes

TYPE_LABELS: dict[str, str] = {
    "focus_group": "Focus group",
    "practitioner_interview": "Practitioner interview",
    "manager_interview": "Manager interview",
    "leader_meeting": "Meeting with leaders",
    "kit_meeting": "KiT meeting",
    "observation": "Observation of practice",
    "case_tracking": "Case tracking",
    "team_meeting": "Team meeting",
    "feedback": "Feedback",
    "other": "Other",
}
BY_KINDS: tuple[str, ...] = ("room", "inspector", "person")
TIMETABLE_CSV = "timetable.csv"
UNSCHEDULED_CSV = "unscheduled.csv"
_COLUMN_SHARE = {"Title": 3, "Type": 2, "Room": 2, "Inspectors": 2, "Attendees": 3}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def type_label(activity_type: str) -> str:
    return TYPE_LABELS.get(activity_type, activity_type)


def day_text(day: int, on: date) -> str:
    """'Mon 10 Nov', the same whatever the machine's locale."""
    return f"{DAYS[day]} {on.day} {_MONTHS[on.month - 1]}"


def room_label(name: str, site: str | None, virtual: bool = False) -> str:
    if virtual:
        return f"{name} (online)"
    return f"{name} · {site}" if site else name


@dataclass(frozen=True)
class ShownSession:
    """A held session with everything a reader needs to see, names resolved."""

    occurrence_id: str
    title: str
    type: str
    date: date
    day: int
    start: int
    end: int
    room_id: str
    room_label: str  # "Room name · site", "Room name (online)", or the id when names are unknown
    site: str
    inspector_ids: tuple[str, ...]
    inspector_names: tuple[str, ...]  # parallel to inspector_ids
    attendee_ids: tuple[str, ...]
    attendee_names: tuple[str, ...]  # parallel to attendee_ids

    @property
    def time_text(self) -> str:
        return f"{format_minutes(self.start)}-{format_minutes(self.end)}"

    @property
    def day_text(self) -> str:
        return day_text(self.day, self.date)


@dataclass(frozen=True)
class ShownWeek:
    sessions: tuple[ShownSession, ...]  # in time order
    not_held: tuple[Unscheduled, ...] = ()


def shown_sessions(timetable: Timetable) -> tuple[ShownSession, ...]:
    """Every held session in time order, with the inspection's names and room labels."""
    insp = timetable.inspection
    inspectors = {i.id: i.name for i in insp.inspectors}
    people = {p.id: p.name for p in insp.people}
    rows = []
    for s in timetable.sorted_sessions():
        occurrence = insp.occurrence_by_id.get(s.occurrence_id)
        activity = occurrence.activity if occurrence else insp.activity_by_id.get(s.activity_id)
        room = insp.room_by_id.get(s.room_id)
        rows.append(ShownSession(
            occurrence_id=s.occurrence_id,
            title=activity.title if activity else s.activity_id,
            type=activity.type if activity else "other",
            date=insp.date_of(s.day),
            day=s.day, start=s.start, end=s.end,
            room_id=s.room_id,
            room_label=room_label(room.name, room.site, room.virtual) if room else s.room_id,
            site=(room.site or "") if room and not room.virtual else "",
            inspector_ids=s.inspector_ids,
            inspector_names=tuple(inspectors.get(i, i) for i in s.inspector_ids),
            attendee_ids=s.attendee_ids,
            attendee_names=tuple(people.get(p, p) for p in s.attendee_ids),
        ))
    return tuple(rows)


def read_folder(directory: Path | str) -> ShownWeek:
    """The week in an output folder's timetable.csv (and unscheduled.csv when present), with no
    input tables: ids stand in for names. A missing or garbled file is an InputError (exit 2)."""
    directory = Path(directory)
    if (directory / "explanation.txt").is_file() and not (directory / TIMETABLE_CSV).is_file():
        raise InputError([Problem(TIMETABLE_CSV, None, None, f"the run that wrote {directory} found "
                                  f"no timetable: see {directory / 'explanation.txt'}")])
    problems: list[Problem] = []
    rows = read_rows(directory / TIMETABLE_CSV, TIMETABLE_COLUMNS, problems)
    sessions = [s for number, row in rows if (s := _shown_from_row(row, number, problems))]
    not_held = []
    if (directory / UNSCHEDULED_CSV).is_file():
        not_held = [Unscheduled(row["activity_id"].strip(), row["priority"].strip(), row["reason"])
                    for _, row in read_rows(directory / UNSCHEDULED_CSV, UNSCHEDULED_COLUMNS, problems)]
    if problems:
        raise InputError(problems)
    sessions.sort(key=lambda r: (r.day, r.start, r.room_id, r.occurrence_id))
    return ShownWeek(tuple(sessions), tuple(not_held))


def _shown_from_row(row: dict[str, str], number: int, problems: list[Problem]) -> ShownSession | None:
    """One timetable.csv row for display, or None after adding its problems."""
    found: list[Problem] = []

    def bad(column: str, message: str) -> None:
        found.append(Problem(TIMETABLE_CSV, number, column, message))

    cells = {column: text.strip() for column, text in row.items()}
    for column in ("occurrence_id", "title", "room"):
        if not cells[column]:
            bad(column, "is blank")
    if cells["day"] not in DAYS:
        bad("day", f"{cells['day']!r} is not one of {', '.join(DAYS)}")
    try:
        on = date.fromisoformat(cells["date"])
    except ValueError:
        bad("date", f"{cells['date']!r} is not a date YYYY-MM-DD")
    start, end = start_and_end(cells, bad)
    problems.extend(found)
    if found:
        return None
    inspectors, attendees = read_ids(cells["inspectors"]), read_ids(cells["attendees"])
    return ShownSession(
        occurrence_id=cells["occurrence_id"], title=row["title"], type=cells["type"], date=on,
        day=DAYS.index(cells["day"]), start=start, end=end, room_id=cells["room"],
        room_label=room_label(cells["room"], cells["site"]), site=cells["site"],
        inspector_ids=inspectors, inspector_names=inspectors,
        attendee_ids=attendees, attendee_names=attendees,
    )


# --- the terminal view ---------------------------------------------------------------------------
# A terminal obeys escape sequences in what it prints: a title in a hand-edited timetable.csv could
# set the window title, hide text, or show a link (OSC 8) that goes elsewhere than it says. Whole
# sequences go first (CSI, OSC/DCS/APC/PM up to their terminator, two-character ESC ones), then
# any control character left, and the invisible bidirectional overrides that reorder what is shown.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, clearing the screen
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC and friends
    r"|\x1b[ -/]*[0-~]")  # the rest: ESC and one final character
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def printable(text: str) -> str:
    """Text safe to print to a terminal: escape sequences and control characters removed (a tab
    or line break becomes a space)."""
    text = _ESCAPE_SEQUENCE.sub("", text)
    return _UNPRINTABLE.sub(lambda m: " " if m.group() in "\t\n\r\u2028\u2029" else "", text)


def render_table(timetable: Timetable, by: str | None = None, resource_id: str | None = None,
                 width: int = 120) -> str:
    """The week as terminal tables: one per day, or one per room / inspector / person (only
    `resource_id`'s when given)."""
    week = ShownWeek(shown_sessions(timetable), timetable.unscheduled)
    return render_week(week, by, resource_id, width)


def render_week(week: ShownWeek, by: str | None = None, resource_id: str | None = None,
                width: int = 120) -> str:
    """`render_table` for display rows, e.g. read from an output folder by `read_folder`.
    Without `by`, an id alone says what it is: ids are unique across rooms, inspectors, people."""
    if by is not None and by not in BY_KINDS:
        raise InputError([Problem("show", None, "--by", f"{by!r} is not one of {', '.join(BY_KINDS)}")])
    if by is None and resource_id is not None:
        by = next((k for k in BY_KINDS if resource_id in _groups(week.sessions, k)), None)
        if by is None:
            raise InputError([Problem(TIMETABLE_CSV, None, None, f"no room, inspector or person "
                                      f"{resource_id!r} has a session in this timetable")])
    groups = _groups(week.sessions, by)
    if resource_id is not None:
        if resource_id not in groups:
            known = ", ".join(groups) or "none"
            raise InputError([Problem(TIMETABLE_CSV, None, None, f"no {by} {resource_id!r} has a "
                                      f"session in this timetable (the {by}s that do: {known})")])
        groups = {resource_id: groups[resource_id]}
    shown: list = [] if week.sessions else ["No sessions in this timetable."]
    shown += [_table(heading, rows, by) for heading, rows in groups.items()]
    if by is None and week.not_held:
        shown.append(f"Not held ({len(week.not_held)}):")
        shown += [printable(f"  {u.occurrence_id or u.activity_id} ({u.priority}): {u.reason}")
                  for u in week.not_held]
    return plain_text(shown, width)


def plain_text(renderables, width: int) -> str:
    """Rich tables and lines as plain text `width` columns wide: no colour, and no markup read
    from the strings (a title like "[bold]" prints as written)."""
    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False,
                      emoji=False, highlight=False, markup=False)
    for renderable in renderables:
        console.print(renderable)
    # rich pads every line to the width; trailing blanks only get in the way of copy and paste.
    return "".join(line.rstrip() + "\n" for line in console.file.getvalue().splitlines())


def _groups(sessions: tuple[ShownSession, ...], by: str | None) -> dict[str, list[ShownSession]]:
    """Heading (a day, or a room / inspector / person id) -> its sessions in time order."""
    groups: dict[str, list[ShownSession]] = {}
    for s in sessions:
        keys = {None: (s.day_text,), "room": (s.room_id,), "inspector": s.inspector_ids,
                "person": s.attendee_ids}[by]
        for key in keys:
            groups.setdefault(key, []).append(s)
    return groups if by is None else dict(sorted(groups.items()))


def _table(heading: str, rows: list[ShownSession], by: str | None) -> Table:
    title = heading if by is None else f"{by.capitalize()} {heading}: {len(rows)} session(s)"
    columns = ["Day"] * (by is not None) + ["Time", "Title", "Type"] + ["Room"] * (by != "room") \
        + ["Inspectors", "Attendees"]
    table = Table(title=Text(printable(title)), title_justify="left", expand=True)
    for column in columns:
        if column in ("Day", "Time"):
            table.add_column(column, no_wrap=True)
        else:  # the rest share what is left, titles and attendee lists the most
            table.add_column(column, overflow="fold", ratio=_COLUMN_SHARE[column])
    for s in rows:
        cells = {
            "Day": s.day_text, "Time": s.time_text, "Title": s.title, "Type": type_label(s.type),
            "Room": s.room_label, "Inspectors": ", ".join(s.inspector_names),
            "Attendees": ", ".join(s.attendee_names),
        }
        # Text, not str: a title like "[bold]" prints as written, never as rich markup.
        table.add_row(*(Text(printable(cells[c])) for c in columns))
    return table
