"""The hard rules of SPEC §3, one function per rule, each `(timetable) -> list[Violation]`: the rule,
the occurrences and the inspectors, people or rooms involved (so callers filter on ids), and a plain
sentence naming the occurrence, day, time and who or what.

Sessions whose occurrence is unknown are reported by rule 1 only; the other rules skip them, so a
single mistake is not reported eleven times.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from models.inspection import (
    DAYS, PRACTITIONER_ONLY_TYPES, Activity, Inspection, Occurrence, format_minutes,
)
from models.timetable import Session, Timetable



@dataclass(frozen=True)
class Violation:
    """One rule broken: the rule (its function's name), the occurrences and the inspectors, people
    or rooms it concerns, and the sentence saying so."""

    rule: str
    occurrence_ids: tuple[str, ...]
    resource_ids: tuple[str, ...]
    text: str

    def __str__(self) -> str:
        return self.text


Rule = Callable[[Timetable], list[Violation]]


# --- shared helpers ----------------------------------------------------------------------------
def day_text(day: int) -> str:
    """'Tue'; a day outside the week (a broken timetable) is still named, never an IndexError."""
    return DAYS[day] if 0 <= day < len(DAYS) else f"day {day}"


def when(session: Session) -> str:
    """'Tue 10:00-11:00'."""
    return f"{day_text(session.day)} {format_minutes(session.start)}-{format_minutes(session.end)}"


def where(session: Session) -> str:
    """'FG1 on Tue 10:00-11:00': how every message names a session."""
    return f"{session.occurrence_id} on {when(session)}"


def _held(timetable: Timetable) -> Iterator[tuple[Session, Occurrence]]:
    """Every session of a known occurrence, with that occurrence, in time order."""
    by_id = timetable.inspection.occurrence_by_id
    for session in timetable.sorted_sessions():
        occurrence = by_id.get(session.occurrence_id)
        if occurrence is not None:
            yield session, occurrence


def _is_virtual(inspection: Inspection, room_id: str) -> bool:
    room = inspection.room_by_id.get(room_id)
    return room is not None and room.virtual


def _site(inspection: Inspection, room_id: str) -> str | None:
    room = inspection.room_by_id.get(room_id)
    return room.site if room else None


def _by_attendee_and_day(timetable: Timetable, *, in_person_only: bool = False,
                         inspectors: bool = True, people: bool = True,
                         ) -> dict[tuple[str, int], list[Session]]:
    """(inspector or person id, day) -> their sessions that day, in time order."""
    inspection = timetable.inspection
    out: dict[tuple[str, int], list[Session]] = defaultdict(list)
    for session, _ in _held(timetable):
        if in_person_only and _is_virtual(inspection, session.room_id):
            continue
        ids = (session.inspector_ids if inspectors else ()) + (session.attendee_ids if people else ())
        for resource_id in dict.fromkeys(ids):  # listed twice in one session is not two sessions
            out[(resource_id, session.day)].append(session)
    return out


def _kind(inspection: Inspection, resource_id: str) -> str:
    if resource_id in inspection.inspector_by_id:
        return "inspector"
    if resource_id in inspection.room_by_id:
        return "room"
    return "person"


def _adder(problems: list[Violation], rule: str):
    """add(text, *occurrence_ids, resources=()) notes one violation of `rule`."""
    def add(text: str, *occurrence_ids: str, resources: Iterable[str] = ()) -> None:
        problems.append(Violation(rule, tuple(dict.fromkeys(occurrence_ids)), tuple(resources), text))
    return add


def _ids(ids: Iterable[str]) -> str:
    return ", ".join(sorted(ids))


# --- the rules ---------------------------------------------------------------------------------
def every_must_held_once(timetable: Timetable) -> list[Violation]:
    """Every must occurrence is held, and no occurrence is held twice or is unknown."""
    inspection = timetable.inspection
    problems: list[Violation] = []
    add = _adder(problems, "every_must_held_once")
    counts = Counter(s.occurrence_id for s in timetable.sessions)
    for session in timetable.sorted_sessions():
        occurrence = inspection.occurrence_by_id.get(session.occurrence_id)
        if occurrence is None:
            add(f"{where(session)}: there is no such occurrence in the activities.", session.occurrence_id)
        elif occurrence.activity.id != session.activity_id:
            add(f"{where(session)}: the session names activity {session.activity_id}, "
                f"but the occurrence belongs to activity {occurrence.activity.id}.", session.occurrence_id)
    for occurrence_id, count in sorted(counts.items()):
        if count > 1:
            add(f"{occurrence_id} is held {count} times; it must be held once.", occurrence_id)
    for occurrence in inspection.occurrences:
        if occurrence.is_must and occurrence.id not in counts:
            add(f"{occurrence.id} is a must but is not held.", occurrence.id)
    return problems


def within_days_and_hours(timetable: Timetable) -> list[Violation]:
    """Each session is on an allowed day, inside the day's hours and its window, and on the grid
    or at its fixed start, and lasts exactly the activity's duration."""
    s = timetable.inspection.settings
    problems: list[Violation] = []
    add = _adder(problems, "within_days_and_hours")
    for session, occurrence in _held(timetable):
        activity = occurrence.activity
        here = where(session)
        if not 0 <= session.day < len(DAYS):
            add(f"{here}: day {session.day} is not a day of the inspection week.", session.occurrence_id)
            continue
        if session.day not in occurrence.days:
            allowed = ", ".join(DAYS[d] for d in occurrence.days)
            add(f"{here}: {day_text(session.day)} is not an allowed day (allowed: {allowed}).",
                session.occurrence_id)
        if session.end - session.start != activity.duration:
            add(f"{here}: it lasts {session.end - session.start} minutes, "
                f"but the activity lasts {activity.duration}.", session.occurrence_id)
        if session.start < s.day_start or session.end > s.day_end:
            add(f"{here}: outside the day's hours {format_minutes(s.day_start)}-"
                f"{format_minutes(s.day_end)}.", session.occurrence_id)
        if activity.earliest is not None and session.start < activity.earliest:
            add(f"{here}: starts before its earliest {format_minutes(activity.earliest)}.",
                session.occurrence_id)
        if activity.latest is not None and session.end > activity.latest:
            add(f"{here}: ends after its latest {format_minutes(activity.latest)}.", session.occurrence_id)
        if activity.fixed_time is not None:
            if session.start != activity.fixed_time:
                add(f"{here}: must start at its fixed start "
                    f"{format_minutes(activity.fixed_time)}.", session.occurrence_id)
            if activity.fixed_day is not None and session.day != activity.fixed_day:
                add(f"{here}: must be held on its fixed day {DAYS[activity.fixed_day]}.",
                    session.occurrence_id)
        elif (session.start - s.day_start) % s.slot_minutes:
            # the grid runs from day_start; only an existing meeting (fixed_start) may be off it
            add(f"{here}: starts off the {s.slot_minutes}-minute slot grid from "
                f"{format_minutes(s.day_start)}.", session.occurrence_id)
    return problems


def no_double_booking(timetable: Timetable) -> list[Violation]:
    """No inspector, person or physical room is in two sessions at once (virtual rooms may be)."""
    inspection = timetable.inspection
    problems: list[Violation] = []
    add = _adder(problems, "no_double_booking")
    by_resource: dict[tuple[str, int], list[Session]] = _by_attendee_and_day(timetable)
    for session, _ in _held(timetable):
        if not _is_virtual(inspection, session.room_id):
            by_resource.setdefault((session.room_id, session.day), []).append(session)
    for (resource_id, _day), sessions in sorted(by_resource.items()):
        kind = _kind(inspection, resource_id)
        active: list[Session] = []  # sessions still running when the next one starts
        for session in sorted(sessions, key=lambda x: (x.start, x.end, x.occurrence_id)):
            active = [a for a in active if a.end > session.start]
            for earlier in active:
                add(f"{kind.capitalize()} {resource_id} is in two sessions at once: "
                    f"{where(earlier)} and {where(session)}.",
                    earlier.occurrence_id, session.occurrence_id, resources=(resource_id,))
            active.append(session)
    return problems


def travel_between_sites(timetable: Timetable) -> list[Violation]:
    """Between one inspector's or person's consecutive in-person sessions on different sites there
    is at least the travel time; an online session in between neither needs nor breaks it."""
    inspection = timetable.inspection
    problems: list[Violation] = []
    add = _adder(problems, "travel_between_sites")
    by_person = _by_attendee_and_day(timetable, in_person_only=True)
    for (resource_id, _day), sessions in sorted(by_person.items()):
        ordered = sorted(sessions, key=lambda x: (x.start, x.end, x.occurrence_id))
        for before, after in zip(ordered, ordered[1:]):
            site_a, site_b = _site(inspection, before.room_id), _site(inspection, after.room_id)
            needed = inspection.travel_minutes(site_a, site_b)
            gap = after.start - before.end
            # Two sessions at once are the double booking's to say (rule 1), not a journey's.
            if 0 <= gap < needed:
                add(
                    f"{_kind(inspection, resource_id).capitalize()} {resource_id} has {gap} minutes "
                    f"to travel from {site_a} ({where(before)}) to {site_b} ({where(after)}); "
                    f"the journey takes {needed}.",
                    before.occurrence_id, after.occurrence_id, resources=(resource_id,))
    return problems


def rooms_fit(timetable: Timetable) -> list[Violation]:
    """Each session's room suits its mode, holds everyone, is on the required site, is accessible
    when an attendee needs it, and is the named room when one is named."""
    inspection = timetable.inspection
    problems: list[Violation] = []
    add = _adder(problems, "rooms_fit")
    for session, occurrence in _held(timetable):
        activity = occurrence.activity
        here = where(session)
        room = inspection.room_by_id.get(session.room_id)
        if room is None:
            add(f"{here}: room {session.room_id} is not in the rooms table.",
                session.occurrence_id, resources=(session.room_id,))
            continue
        if activity.room and room.id != activity.room:
            add(f"{here}: held in room {room.id}, but it must be held in {activity.room}.",
                session.occurrence_id, resources=(room.id,))
        if activity.mode == "in_person" and room.virtual:
            add(f"{here}: an in-person activity is held in virtual room {room.id}.",
                session.occurrence_id, resources=(room.id,))
        if activity.mode == "virtual" and not room.virtual:
            add(f"{here}: a virtual activity is held in physical room {room.id}.",
                session.occurrence_id, resources=(room.id,))
        if room.virtual:
            continue  # capacity, site and access are about the physical room only
        headcount = len(set(session.inspector_ids)) + len(set(session.attendee_ids))
        if room.capacity is not None and headcount > room.capacity:
            add(f"{here}: room {room.id} holds {room.capacity}, "
                f"but {headcount} people attend.", session.occurrence_id, resources=(room.id,))
        if activity.site and room.site != activity.site:
            add(f"{here}: room {room.id} is on site {room.site}, "
                f"but it must be held on site {activity.site}.", session.occurrence_id, resources=(room.id,))
        needing = [p for p in dict.fromkeys(session.attendee_ids)
                   if p in inspection.person_by_id and inspection.person_by_id[p].needs_accessible]
        if needing and not room.accessible:
            add(f"{here}: room {room.id} is not accessible, but {_ids(needing)} "
                f"need an accessible room.", session.occurrence_id, resources=(room.id, *needing))
    return problems


def _inspector_shortfall(inspection: Inspection, activity: Activity,
                         further: list[str]) -> tuple[list[str], int]:
    """What the `inspectorates` items lack given the further inspectors: (one line per missing
    item, how many further inspectors are left over)."""
    wanted = Counter(item for item in activity.inspectorates if item != "any")
    any_items = len(activity.inspectorates) - sum(wanted.values())
    have = Counter(inspection.inspector_by_id[i].inspectorate for i in further)
    missing = []
    for inspectorate, n in sorted(wanted.items()):
        if (short := n - have[inspectorate]) > 0:
            missing.append(f"{short} more {inspectorate} inspector{'s' if short > 1 else ''}")
    spare = sum(max(0, have[x] - wanted[x]) for x in have)  # these can fill the `any` items
    if spare < any_items:
        n = any_items - spare
        missing.append(f"{n} more inspector{'s' if n > 1 else ''} of any inspectorate")
    return missing, max(0, spare - any_items)


def inspectors_as_asked(timetable: Timetable) -> list[Violation]:
    """Named inspectors attend, each `inspectorates` item has its own further inspector, `all`
    means every inspector free at the time, and no inspector is added beyond that."""
    inspection = timetable.inspection
    problems: list[Violation] = []
    add = _adder(problems, "inspectors_as_asked")
    for session, occurrence in _held(timetable):
        activity = occurrence.activity
        here = where(session)
        listed = Counter(session.inspector_ids)
        for inspector_id, n in sorted(listed.items()):
            if n > 1:
                add(f"{here}: inspector {inspector_id} is listed {n} times.",
                    session.occurrence_id, resources=(inspector_id,))
        present = set(listed)
        unknown = sorted(i for i in present if i not in inspection.inspector_by_id)
        for inspector_id in unknown:
            add(f"{here}: {inspector_id} is not an inspector.",
                session.occurrence_id, resources=(inspector_id,))
        present -= set(unknown)
        if activity.all_inspectors:
            expected = {i.id for i in inspection.inspectors
                        if inspection.is_free(i.id, session.day, session.start, session.end)}
            for inspector_id in sorted(expected - present):
                add(f"{here}: inspector {inspector_id} is free, but missing from "
                    f"a session for all inspectors.", session.occurrence_id, resources=(inspector_id,))
            for inspector_id in sorted(present - expected):
                add(f"{here}: inspector {inspector_id} is unavailable at that time, so "
                    f"is not one of the 'all' inspectors.", session.occurrence_id, resources=(inspector_id,))
            if not expected:  # SPEC §6: one that has lost its last inspector is moved or cancelled
                add(f"{here}: every inspector is unavailable at that time, so a session for all "
                    "inspectors would have nobody.", session.occurrence_id)
            continue
        for inspector_id in activity.inspectors:
            if inspector_id not in present:
                add(f"{here}: named inspector {inspector_id} does not attend.",
                    session.occurrence_id, resources=(inspector_id,))
        further = sorted(present - set(activity.inspectors))
        missing, extra = _inspector_shortfall(inspection, activity, further)
        for line in missing:
            add(f"{here}: needs {line}.", session.occurrence_id)
        if extra:
            add(f"{here}: {extra} inspector{'s' if extra > 1 else ''} more than asked for "
                f"(further inspectors: {_ids(further)}; inspectorates asked for: "
                f"{';'.join(activity.inspectorates) or 'none'}).",
                session.occurrence_id, resources=tuple(further))
    return problems


def nobody_unavailable(timetable: Timetable) -> list[Violation]:
    """No inspector, person or room is used while unavailable."""
    inspection = timetable.inspection
    problems: list[Violation] = []
    add = _adder(problems, "nobody_unavailable")
    for session, _ in _held(timetable):
        for resource_id in dict.fromkeys(session.everyone + (session.room_id,)):
            if not inspection.is_free(resource_id, session.day, session.start, session.end):
                add(f"{where(session)}: {_kind(inspection, resource_id)} {resource_id} "
                    f"is unavailable then.", session.occurrence_id, resources=(resource_id,))
    return problems


def practitioners_apart_from_managers(timetable: Timetable) -> list[Violation]:
    """In a focus group or practitioner interview no attendee manages another, directly or further
    up the chain."""
    inspection = timetable.inspection
    problems: list[Violation] = []
    add = _adder(problems, "practitioners_apart_from_managers")
    for session, occurrence in _held(timetable):
        if occurrence.activity.type not in PRACTITIONER_ONLY_TYPES:
            continue
        attendees = set(session.attendee_ids)
        for person_id in sorted(attendees):
            for manager_id in inspection.managers_above(person_id):
                if manager_id in attendees:
                    add(f"{where(session)}: {manager_id} is in the line management of "
                        f"{person_id}, so they may not attend together.",
                        session.occurrence_id, resources=(manager_id, person_id))
    return problems


def lunch_and_contact_limits(timetable: Timetable) -> list[Violation]:
    """Each inspector has a free lunch break inside the lunch window on every day they work, and no
    more than the daily contact minutes."""
    inspection = timetable.inspection
    s = inspection.settings
    problems: list[Violation] = []
    add = _adder(problems, "lunch_and_contact_limits")
    by_inspector = _by_attendee_and_day(timetable, people=False)
    for (inspector_id, day), sessions in sorted(by_inspector.items()):
        busy = [(x.start, x.end) for x in sessions]
        if s.lunch_break(busy) is None:
            in_window = [x for x in sessions if s.in_lunch_window(x.start, x.end)]
            add(
                f"Inspector {inspector_id} has no free {s.lunch_minutes}-minute lunch break between "
                f"{format_minutes(s.lunch_earliest)} and {format_minutes(s.lunch_latest)} on "
                f"{day_text(day)} (busy: {', '.join(where(x) for x in in_window)}).",
                *(x.occurrence_id for x in in_window), resources=(inspector_id,))
        contact = sum(x.end - x.start for x in sessions)
        if contact > s.max_inspector_contact_minutes:
            add(f"Inspector {inspector_id} has {contact} contact minutes on {day_text(day)}, "
                f"more than the {s.max_inspector_contact_minutes} allowed "
                f"({', '.join(x.occurrence_id for x in sessions)}).",
                *(x.occurrence_id for x in sessions), resources=(inspector_id,))
    return problems


def person_daily_cap(timetable: Timetable) -> list[Violation]:
    """No person is in more than the allowed number of sessions a day."""
    cap = timetable.inspection.settings.max_person_sessions_per_day
    problems: list[Violation] = []
    add = _adder(problems, "person_daily_cap")
    by_person = _by_attendee_and_day(timetable, inspectors=False)
    for (person_id, day), sessions in sorted(by_person.items()):
        if len(sessions) > cap:
            add(f"Person {person_id} is in {len(sessions)} sessions on {day_text(day)} "
                f"({', '.join(x.occurrence_id for x in sessions)}); the most is {cap}.",
                *(x.occurrence_id for x in sessions), resources=(person_id,))
    return problems


def after_and_pools(timetable: Timetable) -> list[Violation]:
    """Every held occurrence of an `after` activity ends first; named attendees all attend, and
    pools get between pool_min and pool_max of their members and nobody else."""
    inspection = timetable.inspection
    problems: list[Violation] = []
    add = _adder(problems, "after_and_pools")
    held = list(_held(timetable))
    by_activity: dict[str, list[Session]] = defaultdict(list)
    for session, occurrence in held:
        by_activity[occurrence.activity.id].append(session)
    for session, occurrence in held:
        activity = occurrence.activity
        here = where(session)
        for earlier_id in activity.after:
            for earlier in by_activity.get(earlier_id, ()):
                if (earlier.day, earlier.end) > (session.day, session.start):
                    add(f"{here}: must start after {earlier_id} has ended, but "
                        f"{where(earlier)} has not.", session.occurrence_id, earlier.occurrence_id)
        named = set(activity.attendees)
        attending = Counter(session.attendee_ids)
        for person_id, n in sorted(attending.items()):
            if n > 1:
                add(f"{here}: attendee {person_id} is listed {n} times.",
                    session.occurrence_id, resources=(person_id,))
        for person_id in activity.attendees:
            if person_id not in attending:
                add(f"{here}: named attendee {person_id} does not attend.",
                    session.occurrence_id, resources=(person_id,))
        others = sorted(set(attending) - named)  # named attendees never count towards the pool
        if activity.pool is None:
            for person_id in others:
                add(f"{here}: attendee {person_id} was not asked for.",
                    session.occurrence_id, resources=(person_id,))
            continue
        group = inspection.group_by_id.get(activity.pool)
        members = set(group.members) if group else set()
        for person_id in others:
            if person_id not in members:
                add(f"{here}: {person_id} is not in pool {activity.pool}.",
                    session.occurrence_id, resources=(person_id,))
        count = sum(1 for p in others if p in members)
        if count < activity.pool_min:
            add(f"{here}: pool {activity.pool} has {count} member(s) attending, "
                f"fewer than pool_min {activity.pool_min}.", session.occurrence_id)
        if count > activity.pool_max:
            add(f"{here}: pool {activity.pool} has {count} member(s) attending, "
                f"more than pool_max {activity.pool_max}.", session.occurrence_id)
    return problems


# SPEC §3, in order; check_timetable runs them all.
RULES: tuple[Rule, ...] = (
    every_must_held_once,
    within_days_and_hours,
    no_double_booking,
    travel_between_sites,
    rooms_fit,
    inspectors_as_asked,
    nobody_unavailable,
    practitioners_apart_from_managers,
    lunch_and_contact_limits,
    person_daily_cap,
    after_and_pools,
)
