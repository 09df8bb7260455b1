"""The timetable as people read it: display rows for every held session, and the terminal view of
`schedule show`.

`ShownSession` is the display-ready form of a session (title, type, room label, names) that the
terminal table, timetable.html and timetable.xlsx all draw from. It is built either from a
Timetable (names from the inspection) or from an output folder's timetable.csv alone (ids stand
in for names), so `schedule show DIR` needs no input tables.
"""
from __future__ import annotations

import difflib
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

# The CSV row reader is shared with `schedule check`, so both read timetable.csv alike.
from exporters.changes import read_change_marks
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
    changed: tuple[tuple[str, str], ...] = ()  # a re-plan's: occurrence id -> its mark (CHANGE_MARKS)


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


@dataclass(frozen=True)
class Names:
    """Who and what the ids in a timetable.csv stand for, from the folder's copy of its input."""

    people: dict[str, str]  # inspector and person id -> name
    rooms: dict[str, tuple[str, str | None, bool]]  # room id -> (name, site, virtual)


def folder_names(directory: Path) -> Names | None:
    """The names in the folder's input/ (the tables it was made from), or None when it has none
    that loads: ids then stand in for names."""
    from loader import load_inspection

    if not (directory / "input").is_dir():
        return None
    try:
        inspection = load_inspection(directory / "input")
    except InputError:
        return None
    return Names({**{p.id: p.name for p in inspection.people},
                  **{i.id: i.name for i in inspection.inspectors}},
                 {r.id: (r.name, r.site, r.virtual) for r in inspection.rooms})


def read_folder(directory: Path | str) -> ShownWeek:
    """The week in an output folder's timetable.csv (and unscheduled.csv when present), with the
    names of its input/ copy when it has one (ids stand in for names otherwise). A missing or
    garbled file is an InputError (exit 2)."""
    directory = Path(directory)
    if (directory / "explanation.txt").is_file() and not (directory / TIMETABLE_CSV).is_file():
        raise InputError([Problem(TIMETABLE_CSV, None, None, f"the run that wrote {directory} found "
                                  f"no timetable: see {directory / 'explanation.txt'}")])
    problems: list[Problem] = []
    rows = read_rows(directory / TIMETABLE_CSV, TIMETABLE_COLUMNS, problems)
    names = folder_names(directory) if rows else None
    sessions = [s for number, row in rows if (s := _shown_from_row(row, number, problems, names))]
    not_held = []
    if (directory / UNSCHEDULED_CSV).is_file():
        not_held = [Unscheduled(row["activity_id"].strip(), row["priority"].strip(), row["reason"])
                    for _, row in read_rows(directory / UNSCHEDULED_CSV, UNSCHEDULED_COLUMNS, problems)]
    changed = tuple(read_change_marks(directory).items())
    if problems:
        raise InputError(problems)
    sessions.sort(key=lambda r: (r.day, r.start, r.room_id, r.occurrence_id))
    return ShownWeek(tuple(sessions), tuple(not_held), changed)


def _shown_from_row(row: dict[str, str], number: int, problems: list[Problem],
                    names: Names | None = None) -> ShownSession | None:
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
    who = names.people if names else {}
    room = names.rooms.get(cells["room"]) if names else None
    return ShownSession(
        occurrence_id=cells["occurrence_id"], title=row["title"], type=cells["type"], date=on,
        day=DAYS.index(cells["day"]), start=start, end=end, room_id=cells["room"],
        room_label=room_label(*room) if room else room_label(cells["room"], cells["site"]),
        site=cells["site"],
        inspector_ids=inspectors, inspector_names=tuple(who.get(i, i) for i in inspectors),
        attendee_ids=attendees, attendee_names=tuple(who.get(p, p) for p in attendees),
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
    if resource_id is not None:
        by, resource_id = _find(week.sessions, by, resource_id)
    groups = _groups(week.sessions, by)
    if resource_id is not None:
        groups = {resource_id: groups[resource_id]}
    shown: list = [] if week.sessions else ["No sessions in this timetable."]
    marks = dict(week.changed)
    shown += [_table(heading, rows, by, marks) for heading, rows in groups.items()]
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


def _find(sessions: tuple[ShownSession, ...], by: str | None, wanted: str) -> tuple[str, str]:
    """(kind, id) of whom or what `wanted` names: an id as written, an id in any case, or a full
    name. `--by person` takes an inspector too (people and inspectors are both people to a lead);
    without `by` an id says itself what it is (ids are unique across rooms, inspectors, people)."""
    kinds = {None: BY_KINDS, "room": ("room",), "inspector": ("inspector",),
             "person": ("person", "inspector")}[by]
    known: dict[str, tuple[str, str]] = {}  # id -> (kind, name)
    for s in sessions:
        for kind in kinds:
            for resource_id, name in _ids_and_names(s, kind):
                known.setdefault(resource_id, (kind, name))
    def plain(text: str) -> str:
        return " ".join(text.split()).casefold()
    key = plain(wanted)
    for matches in ((i for i in known if i == wanted), (i for i in known if i.casefold() == key),
                    (i for i, (_, name) in known.items() if key in map(plain, _spellings(name)))):
        found = list(dict.fromkeys(matches))
        if len(found) == 1:
            return known[found[0]][0], found[0]
        if len(found) > 1:
            listed = ", ".join(f"{known[i][1]} ({i})" for i in found)
            raise InputError([Problem(TIMETABLE_CSV, None, None, f"{wanted!r} could be any of "
                                      f"{listed}: give the id")])
    what = {None: "room, inspector or person", "person": "person or inspector"}.get(by, by)
    names = {plain(name): i for i, (_, name) in known.items()}
    close = difflib.get_close_matches(key, names, n=5, cutoff=0.6)
    ids = [names[c] for c in close] or sorted(known)[:SHOWN_CHOICES]
    listed = ", ".join(f"{known[i][1]} ({i})" if known[i][1] != i else i for i in ids) or "none"
    more = "" if close or len(known) <= SHOWN_CHOICES else f" and {len(known) - SHOWN_CHOICES} more"
    said = "the closest names" if close else "those that do"
    raise InputError([Problem(TIMETABLE_CSV, None, None, f"no {what} {wanted!r} has a session in "
                              f"this timetable ({said}: {listed}{more})")])


def _groups(sessions: tuple[ShownSession, ...], by: str | None) -> dict[str, list[ShownSession]]:
    """Heading (a day, or a room / inspector / person id) -> its sessions in time order."""
    groups: dict[str, list[ShownSession]] = {}
    for s in sessions:
        keys = {None: (s.day_text,), "room": (s.room_id,), "inspector": s.inspector_ids,
                "person": s.attendee_ids}[by]
        for key in keys:
            groups.setdefault(key, []).append(s)
    return groups if by is None else dict(sorted(groups.items()))


SHOWN_CHOICES = 20  # ids listed when a name matches none (a week has a hundred people)


def _spellings(name: str) -> tuple[str, ...]:
    """A name as shown, and a room's as the rooms table has it ('Council Chamber' for the label
    'Council Chamber · Civic Centre' or 'Teams 1' for 'Teams 1 (online)')."""
    return name, name.split(" · ")[0], name.removesuffix(" (online)")


def _ids_and_names(session: ShownSession, kind: str) -> tuple[tuple[str, str], ...]:
    """(id, name) of the session's room, inspectors or attendees."""
    if kind == "room":
        return ((session.room_id, session.room_label),)
    if kind == "inspector":
        return tuple(zip(session.inspector_ids, session.inspector_names))
    return tuple(zip(session.attendee_ids, session.attendee_names))


def _named(resource_id: str, session: ShownSession, by: str) -> str:
    """'Pam Pratt (P1)' when the person's name is known, else the id (a room's id is its name
    in the table's rows already)."""
    name = dict(_ids_and_names(session, by)).get(resource_id, resource_id) if by != "room" else resource_id
    return resource_id if name == resource_id else f"{name} ({resource_id})"


def _table(heading: str, rows: list[ShownSession], by: str | None, marks: dict[str, str]) -> Table:
    title = heading if by is None else f"{by.capitalize()} {_named(heading, rows[0], by)}: " \
        f"{len(rows)} session(s)"
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
            "Day": s.day_text, "Time": s.time_text, "Type": type_label(s.type),
            "Title": s.title + (f" [{marks[s.occurrence_id]}]" if s.occurrence_id in marks else ""),
            "Room": s.room_label, "Inspectors": ", ".join(s.inspector_names),
            "Attendees": ", ".join(s.attendee_names),
        }
        # Text, not str: a title like "[bold]" prints as written, never as rich markup.
        table.add_row(*(Text(printable(cells[c])) for c in columns))
    return table
