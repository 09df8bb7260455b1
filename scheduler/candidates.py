"""What each occurrence could possibly use: start times, rooms, inspectors and pool members.

Pure domain logic (no solver): the CP-SAT model and the greedy first-fit both start from these sets,
so a rule that only narrows a choice (allowed days, the slot grid, the room's mode, site and size,
an inspector's inspectorate) is written once, here.

Time is "week minutes": day * 1440 + minutes after midnight, so one integer orders the whole week.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Callable

from models import Inspection, Occurrence, Session
from models.inspection import Room

DAY = 24 * 60


def week_minute(day: int, minute: int) -> int:
    return day * DAY + minute


@dataclass(frozen=True)
class Options:
    """The choices one occurrence has before any interaction with other occurrences."""

    occurrence: Occurrence
    starts: tuple[int, ...]  # week minutes, sorted
    rooms: tuple[Room, ...]
    named_inspectors: tuple[str, ...]
    inspector_pool: tuple[str, ...]  # candidates for the `inspectorates` items
    all_inspectors: tuple[str, ...]  # with `inspectors = all`: everyone (who attends depends on time)
    named_attendees: tuple[str, ...]
    pool_members: tuple[str, ...]  # the pool minus named attendees

    @property
    def duration(self) -> int:
        return self.occurrence.activity.duration

    @property
    def days(self) -> tuple[int, ...]:
        return tuple(sorted({s // DAY for s in self.starts}))

    def sites(self) -> tuple[str, ...]:
        return tuple(sorted({r.site for r in self.rooms if not r.virtual and r.site}))

    def held_as(self, session: Session) -> "Options":
        """Only the choices the session made: its start, room, inspectors and pool members. With
        `inspectors = all`, those who were there: whoever was out then (a dropout the lead now
        dates later, say) is not due at a session that has happened."""
        return replace(self, starts=(session.day * DAY + session.start,),
                       rooms=tuple(r for r in self.rooms if r.id == session.room_id),
                       inspector_pool=tuple(i for i in self.inspector_pool if i in session.inspector_ids),
                       all_inspectors=tuple(i for i in self.all_inspectors if i in session.inspector_ids),
                       pool_members=tuple(p for p in self.pool_members if p in session.attendee_ids))

    def could_involve(self) -> set[str]:
        """Every inspector and person the occurrence could involve, and the room it names."""
        ids = set(self.named_inspectors) | set(self.inspector_pool) | set(self.all_inspectors)
        ids |= set(self.named_attendees) | set(self.pool_members)
        room = self.occurrence.activity.room
        return ids | {room} if room else ids


def allowed_starts(inspection: Inspection, occurrence: Occurrence) -> tuple[int, ...]:
    """SPEC §3.2: allowed days, inside day hours and earliest/latest, on the grid or at fixed_start."""
    s = inspection.settings
    activity = occurrence.activity
    lo = max(s.day_start, activity.earliest if activity.earliest is not None else s.day_start)
    hi = min(s.day_end, activity.latest if activity.latest is not None else s.day_end)
    out: list[int] = []
    for day in occurrence.days:
        if activity.fixed_time is not None:
            minutes = [activity.fixed_time]
        else:
            minutes = range(s.day_start, s.day_end, s.slot_minutes)
        out.extend(week_minute(day, m) for m in minutes if m >= lo and m + activity.duration <= hi)
    return tuple(out)


def minimum_headcount(inspection: Inspection, occurrence: Occurrence) -> int:
    """Inspectors and attendees a room must hold at the least (pool at its minimum)."""
    a = occurrence.activity
    # With `all`, who attends depends on the time; the model checks that capacity exactly.
    inspectors = 0 if a.all_inspectors else len(a.inspectors) + len(a.inspectorates)
    return inspectors + len(a.attendees) + a.pool_min


def candidate_rooms(inspection: Inspection, occurrence: Occurrence) -> tuple[Room, ...]:
    """SPEC §3.5 as far as the room alone decides: mode, named room, site, size, accessibility."""
    a = occurrence.activity
    need_access = any(inspection.person_by_id[p].needs_accessible for p in a.attendees)
    headcount = minimum_headcount(inspection, occurrence)
    rooms = []
    for room in inspection.rooms:
        if a.room is not None and room.id != a.room:
            continue
        if a.mode == "in_person" and room.virtual or a.mode == "virtual" and not room.virtual:
            continue
        if not room.virtual:
            if a.site is not None and room.site != a.site:
                continue
            if need_access and not room.accessible:
                continue
            if room.capacity is not None and room.capacity < headcount:
                continue
        rooms.append(room)
    return tuple(rooms)


def inspector_candidates(inspection: Inspection, occurrence: Occurrence) -> tuple[str, ...]:
    """Inspectors who could fill one of the `inspectorates` items (never a named one)."""
    a = occurrence.activity
    wanted = set(a.inspectorates)
    if not wanted:
        return ()
    return tuple(
        i.id for i in inspection.inspectors
        if i.id not in a.inspectors and ("any" in wanted or i.inspectorate in wanted)
    )


def pool_candidates(inspection: Inspection, occurrence: Occurrence) -> tuple[str, ...]:
    a = occurrence.activity
    if a.pool is None:
        return ()
    return tuple(m for m in inspection.group_by_id[a.pool].members if m not in a.attendees)


def free_starts(inspection: Inspection, resource_id: str, starts: tuple[int, ...], duration: int) -> tuple[int, ...]:
    """The starts at which the resource has no unavailability overlapping the session (§3.7)."""
    if resource_id not in inspection.unavailable:
        return starts
    return tuple(
        t for t in starts if inspection.is_free(resource_id, t // DAY, t % DAY, t % DAY + duration)
    )


def options_for(inspection: Inspection, occurrence: Occurrence) -> Options:
    a = occurrence.activity
    return Options(
        occurrence=occurrence,
        starts=allowed_starts(inspection, occurrence),
        rooms=candidate_rooms(inspection, occurrence),
        named_inspectors=a.inspectors if not a.all_inspectors else (),
        inspector_pool=inspector_candidates(inspection, occurrence),
        all_inspectors=tuple(i.id for i in inspection.inspectors) if a.all_inspectors else (),
        named_attendees=a.attendees,
        pool_members=pool_candidates(inspection, occurrence),
    )


class Candidates:
    """Options for every occurrence of an inspection, computed once. `narrow`, when given, may cut
    an occurrence's options further (a what-if: the past pinned, nothing new before `now`)."""

    def __init__(self, inspection: Inspection, narrow: Callable[[Options], Options] | None = None):
        self.inspection = inspection
        self.narrow = narrow or (lambda options: options)

    @cached_property
    def by_occurrence(self) -> dict[str, Options]:
        return {o.id: self.narrow(options_for(self.inspection, o)) for o in self.inspection.occurrences}

    def __getitem__(self, occurrence_id: str) -> Options:
        return self.by_occurrence[occurrence_id]

    def __iter__(self):
        return iter(self.by_occurrence.values())
