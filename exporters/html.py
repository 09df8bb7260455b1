"""timetable.html: the week by day and room and by inspector, self-contained and printable.

One page, inline CSS, no script and no network: it opens the same from an email attachment or a
USB stick. Every input string goes through jinja2's autoescape, so a name or title can never add
markup.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from exporters.show import ShownSession, day_text, shown_sessions, type_label
from models import ACTIVITY_TYPES, DAYS, Timetable

_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class _GridRow:
    """One row of a week grid: a room or an inspector, and its sessions on each day."""

    label: str
    detail: str
    cells: tuple[tuple[ShownSession, ...], ...]  # one per day, Mon..Fri


def render_html(timetable: Timetable, changed: Mapping[str, str] | None = None) -> str:
    """The whole page; the same timetable always gives the same text. `changed`: a re-plan's
    sessions it changed or added (occurrence id -> mark, exporters.changes.change_marks), marked."""
    insp = timetable.inspection
    sessions = shown_sessions(timetable)
    present = {s.type for s in sessions}
    titles = {a.id: a.title for a in insp.activities}
    return environment().get_template("timetable.html.j2").render(
        **week_context(timetable),
        session_count=len(sessions),
        legend=[t for t in ACTIVITY_TYPES if t in present] + sorted(present - set(ACTIVITY_TYPES)),
        by_room=rows_by("room", timetable, sessions),
        by_inspector=rows_by("inspector", timetable, sessions),
        unscheduled=[(u, titles.get(u.activity_id, u.activity_id)) for u in timetable.unscheduled],
        changed=dict(changed or {}),
    )


def environment(*more_folders: Path) -> Environment:
    """Jinja2 with autoescape and the week grid's filters; `more_folders` hold other templates
    (the workbench's) that import the grid from week_grid.j2."""
    env = Environment(loader=FileSystemLoader([*more_folders, _TEMPLATES]), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["type_label"] = type_label
    env.filters["type_class"] = lambda t: f"t-{t if t in ACTIVITY_TYPES else 'other'}"
    return env


def week_context(timetable: Timetable) -> dict[str, object]:
    """What the week grid macro reads from its template's context."""
    insp = timetable.inspection
    return dict(
        settings=insp.settings,
        days=[(d, day_text(d, insp.date_of(d))) for d in range(len(DAYS))],
        day_names=DAYS,
        week_text=f"{day_text(0, insp.date_of(0))} to {day_text(4, insp.date_of(4))} "
                  f"{insp.date_of(4).year}",
    )


def rows_by(kind: str, timetable: Timetable, sessions: tuple[ShownSession, ...]) -> list[_GridRow]:
    """The grid's rows: one per room, inspector or person (people only with a session)."""
    insp = timetable.inspection
    if kind == "room":
        room_ids = [r.id for r in insp.rooms]
        room_ids += sorted({s.room_id for s in sessions} - set(room_ids))  # defensive: unknown rooms
        rooms = insp.room_by_id
        return [_row(rooms[r].name if r in rooms else r, _room_detail(rooms.get(r)),
                     [s for s in sessions if s.room_id == r])
                for r in room_ids]
    if kind == "inspector":
        return [_row(i.name, f"{i.inspectorate}{' · lead' if i.role == 'lead' else ''} · {i.id}",
                     [s for s in sessions if i.id in s.inspector_ids])
                for i in insp.inspectors]
    attending = {p for s in sessions for p in s.attendee_ids}
    return [_row(p.name, f"{p.agency} · {p.role} · {p.id}", [s for s in sessions if p.id in s.attendee_ids])
            for p in insp.people if p.id in attending]


def _row(label: str, detail: str, sessions: list[ShownSession]) -> _GridRow:
    return _GridRow(label, detail, tuple(tuple(s for s in sessions if s.day == d)
                                         for d in range(len(DAYS))))


def _room_detail(room) -> str:
    if room is None:
        return ""
    if room.virtual:
        return "online"
    capacity = f" · {room.capacity} seats" if room.capacity else ""
    accessible = " · accessible" if room.accessible else ""
    return f"{room.site or ''}{capacity}{accessible}"
