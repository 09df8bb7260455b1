"""The timetable as people read it: one display row per held session, and the terminal view of
`schedule show`.

`ShownSession` is the display-ready form of a session (title, type, room label, names) that the
terminal table, timetable.html and timetable.xlsx all draw from. It is built either from a
Timetable (names from the inspection) or from an output folder's timetable.csv alone (ids stand
in for names), so `schedule show DIR` needs no input tables.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from models import DAYS, InputError, Problem, Timetable, format_minutes

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
_REQUIRED_COLUMNS = ("occurrence_id", "title", "type", "date", "day", "start", "end", "room",
                     "site", "inspectors", "attendees")


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def type_label(activity_type: str) -> str:
    return TYPE_LABELS.get(activity_type, activity_type)


def day_text(day: int, on: date) -> str:
    """'Mon 10 Nov', the same whatever the machine's locale."""
    return f"{DAYS[day]} {on.day} {_MONTHS[on.month - 1]}"


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
            site=(room.site or "") if room else "",
            inspector_ids=s.inspector_ids,
            inspector_names=tuple(inspectors.get(i, i) for i in s.inspector_ids),
            attendee_ids=s.attendee_ids,
            attendee_names=tuple(people.get(p, p) for p in s.attendee_ids),
        ))
    return tuple(rows)


def room_label(name: str, site: str | None, virtual: bool = False) -> str:
    if virtual:
        return f"{name} (online)"
    return f"{name} · {site}" if site else name


def read_shown_sessions(directory: Path) -> tuple[ShownSession, ...]:
    """The sessions of an output folder's timetable.csv; every garbled cell is reported."""
    path = Path(directory) / TIMETABLE_CSV
    if not path.is_file():
        raise InputError([Problem(TIMETABLE_CSV, None, None,
                                  f"{directory} holds no {TIMETABLE_CSV}: give the folder "
                                  f"`schedule solve --out` wrote")])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError([Problem(TIMETABLE_CSV, None, None, f"cannot be read: {err}")]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = {c.strip().lower(): c for c in reader.fieldnames or ()}
    missing = [c for c in _REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InputError([Problem(TIMETABLE_CSV, 1, None,
                                  f"missing column(s): {', '.join(missing)}")])
    rows, problems = [], []
    for number, raw in enumerate(reader, start=2):
        cells = {c: (raw.get(columns[c]) or "").strip() for c in _REQUIRED_COLUMNS}
        if not any(cells.values()):
            continue  # a blank row, as Excel leaves them
        row = _shown_from_cells(cells, number, problems)
        if row:
            rows.append(row)
    if problems:
        raise InputError(problems)
    return tuple(sorted(rows, key=lambda r: (r.day, r.start, r.room_id, r.occurrence_id)))


def _shown_from_cells(cells: dict[str, str], number: int, problems: list[Problem]) -> ShownSession | None:
    def bad(column: str, message: str) -> None:
        problems.append(Problem(TIMETABLE_CSV, number, column, message))

    found = len(problems)
    for column in ("occurrence_id", "title", "room"):
        if not cells[column]:
            bad(column, "is blank")
    if cells["day"] not in DAYS:
        bad("day", f"{cells['day']!r} is not one of {', '.join(DAYS)}")
    try:
        on = date.fromisoformat(cells["date"])
    except ValueError:
        bad("date", f"{cells['date']!r} is not a date YYYY-MM-DD")
    start, end = _minutes(cells["start"]), _minutes(cells["end"])
    if start is None:
        bad("start", f"{cells['start']!r} is not a time HH:MM")
    if end is None:
        bad("end", f"{cells['end']!r} is not a time HH:MM")
    if start is not None and end is not None and end <= start:
        bad("end", f"{cells['end']} is not after the start {cells['start']}")
    if len(problems) > found:
        return None
    inspectors, attendees = _ids(cells["inspectors"]), _ids(cells["attendees"])
    return ShownSession(
        occurrence_id=cells["occurrence_id"], title=cells["title"], type=cells["type"], date=on,
        day=DAYS.index(cells["day"]), start=start, end=end, room_id=cells["room"],
        room_label=room_label(cells["room"], cells["site"]), site=cells["site"],
        inspector_ids=inspectors, inspector_names=inspectors,
        attendee_ids=attendees, attendee_names=attendees,
    )


def _minutes(text: str) -> int | None:
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        return None
    if int(hours) > 23 or int(minutes) > 59:
        return None
    return int(hours) * 60 + int(minutes)


def _ids(cell: str) -> tuple[str, ...]:
    return tuple(i.strip() for i in cell.split(";") if i.strip())


# --- the terminal view -----------------------------------------------------------------------------

def render_table(timetable: Timetable, by: str | None = None, resource_id: str | None = None,
                 width: int = 120) -> str:
    """The week as terminal tables: by day, or grouped by room / inspector / person (one of them
    when `resource_id` is given)."""
    return render_shown(shown_sessions(timetable), by, resource_id, width)


def render_shown(sessions: tuple[ShownSession, ...], by: str | None = None,
                 resource_id: str | None = None, width: int = 120) -> str:
    """The terminal tables of `render_table`, from display rows (e.g. read from timetable.csv)."""
    if by is None and resource_id:
        by = _kind_of(sessions, resource_id)
    if by is not None and by not in BY_KINDS:
        raise InputError([Problem("--by", None, None, f"{by!r} is not one of {', '.join(BY_KINDS)}")])
    groups = _groups(sessions, by)
    if resource_id is not None:
        if resource_id not in groups:
            known = ", ".join(sorted(groups)) or "none"
            raise InputError([Problem(TIMETABLE_CSV, None, by, f"no session has {by} {resource_id!r} "
                                      f"(this timetable has: {known})")])
        groups = {resource_id: groups[resource_id]}
    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False,
                      emoji=False, highlight=False)
    if not sessions:
        console.print(Text("No sessions in this timetable."))
    for heading, rows in groups.items():
        console.print(_table(heading, rows, by))
    return console.file.getvalue()


def _kind_of(sessions: tuple[ShownSession, ...], resource_id: str) -> str:
    """Ids are unique across rooms, inspectors and people, so an id alone says which it is."""
    for kind in BY_KINDS:
        if resource_id in _groups(sessions, kind):
            return kind
    raise InputError([Problem(TIMETABLE_CSV, None, None,
                              f"no room, inspector or person {resource_id!r} in this timetable")])


def _groups(sessions: tuple[ShownSession, ...], by: str | None) -> dict[str, list[ShownSession]]:
    """Heading (a day, or a resource id) -> its sessions in time order; headings sorted."""
    groups: dict[str, list[ShownSession]] = {}
    if by is None:
        for s in sessions:
            groups.setdefault(s.day_text, []).append(s)
        return groups
    for s in sessions:
        keys = {"room": (s.room_id,), "inspector": s.inspector_ids, "person": s.attendee_ids}[by]
        for key in keys:
            groups.setdefault(key, []).append(s)
    return dict(sorted(groups.items()))


def _table(heading: str, rows: list[ShownSession], by: str | None) -> Table:
    title = heading
    if by is not None:
        title = f"{by.capitalize()} {heading}: {len(rows)} session(s)"
    table = Table(title=Text(title), title_justify="left", show_lines=False, expand=False)
    columns = ["Time", "Title", "Type", "Room", "Inspectors", "Attendees"]
    if by is not None:
        columns.insert(0, "Day")
    if by == "room":
        columns.remove("Room")
    for column in columns:
        table.add_column(column, overflow="fold")
    for s in rows:
        cells = {
            "Day": s.day_text, "Time": s.time_text, "Title": s.title, "Type": type_label(s.type),
            "Room": s.room_label, "Inspectors": ", ".join(s.inspector_names),
            "Attendees": ", ".join(s.attendee_names),
        }
        # Text, not str: a title like "[bold]" must print as written, never as rich markup.
        table.add_row(*(Text(cells[c]) for c in columns))
    return table
