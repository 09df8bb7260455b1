"""A fast first-fit timetable: the search's starting hint and the baseline bench/ compares against.

Occurrences are placed one at a time (musts first, then by priority; fewest start options first),
each at the earliest start, smallest fitting room and first free inspectors and pool members that
keep every rule of SPEC §3 against what is already placed. It never moves what it placed.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from models import Inspection, Session
from models.inspection import PRACTITIONER_ONLY_TYPES, PRIORITIES
from scheduler.candidates import DAY, Candidates, Options


@dataclass
class _Diary:
    """What is already placed, per resource, for quick rule checks."""

    inspection: Inspection
    busy: dict[str, list[tuple[int, int, str | None]]] = field(default_factory=lambda: defaultdict(list))
    day_minutes: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    day_sessions: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))

    def free(self, resource: str, start: int, end: int, site: str | None) -> bool:
        day = start // DAY
        if not self.inspection.is_free(resource, day, start % DAY, end % DAY or DAY):
            return False
        for s, e, other_site in self.busy[resource]:
            if s < end and start < e:
                return False
            if site and other_site and other_site != site and s // DAY == day:
                travel = self.inspection.travel_minutes(site, other_site)
                if s < end + travel and start - travel < e:
                    return False
        return True

    def inspector_ok(self, inspector: str, start: int, end: int, site: str | None) -> bool:
        s = self.inspection.settings
        day = start // DAY
        if self.day_minutes[(inspector, day)] + end - start > s.max_inspector_contact_minutes:
            return False
        if not self.free(inspector, start, end, site):
            return False
        # a free lunch break must remain inside the window
        taken = [(b, e) for b, e, _ in self.busy[inspector] if b // DAY == day] + [(start, end)]
        return s.lunch_break(taken, day) is not None

    def person_ok(self, person: str, start: int, end: int, site: str | None) -> bool:
        cap = self.inspection.settings.max_person_sessions_per_day
        return self.day_sessions[(person, start // DAY)] < cap and self.free(person, start, end, site)

    def book(self, resource: str, start: int, end: int, site: str | None, is_inspector: bool) -> None:
        self.busy[resource].append((start, end, site))
        day = start // DAY
        if is_inspector:
            self.day_minutes[(resource, day)] += end - start
        else:
            self.day_sessions[(resource, day)] += 1


def _order(inspection: Inspection, candidates: Candidates) -> list[Options]:
    rank = {p: i for i, p in enumerate(PRIORITIES)}
    position = {o.id: i for i, o in enumerate(inspection.occurrences)}
    return sorted(
        candidates,
        key=lambda o: (rank[o.occurrence.activity.priority], o.occurrence.activity.fixed_time is None,
                       len(o.starts), position[o.occurrence.id]),
    )


class FirstFit:
    """What is placed so far, and first-fit placement of one more occurrence around it."""

    def __init__(self, inspection: Inspection):
        self.inspection = inspection
        self.diary = _Diary(inspection)
        self.by_activity: dict[str, list[Session]] = defaultdict(list)
        self.placed: list[Session] = []

    def book(self, session: Session) -> None:
        """Take a session as placed (e.g. one that already happened)."""
        room = self.inspection.room_by_id[session.room_id]
        site = None if room.virtual else room.site
        begin, end = session.day * DAY + session.start, session.day * DAY + session.end
        for i in session.inspector_ids:
            self.diary.book(i, begin, end, site, True)
        for p in session.attendee_ids:
            self.diary.book(p, begin, end, site, False)
        if not room.virtual:
            self.diary.book(room.id, begin, end, None, False)
        self.by_activity[session.activity_id].append(session)
        self.placed.append(session)

    def place(self, options: Options) -> Session | None:
        """Hold the occurrence at its first start (in the order given) where it fits, if any."""
        session = _first_fit(self.inspection, options, self.diary, self.by_activity)
        if session is not None:
            self.book(session)
        return session


def greedy_timetable(inspection: Inspection, candidates: Candidates | None = None) -> list[Session]:
    """Place what fits, first fit; returns the sessions held (musts may be missing)."""
    candidates = candidates or Candidates(inspection)
    fit = FirstFit(inspection)
    for options in _order(inspection, candidates):
        fit.place(options)
    by_id = {s.occurrence_id: s for s in fit.placed}
    return [by_id[o.id] for o in inspection.occurrences if o.id in by_id]


def _respects_after(inspection: Inspection, options: Options, start: int, end: int,
                    held_by_activity: dict[str, list[Session]]) -> bool:
    activity = options.occurrence.activity
    for earlier in activity.after:
        if any(s.day * DAY + s.end > start for s in held_by_activity.get(earlier, ())):
            return False
    for later in inspection.activities:
        if activity.id in later.after and any(s.day * DAY + s.start < end for s in held_by_activity.get(later.id, ())):
            return False
    return True


def _first_fit(inspection: Inspection, options: Options, diary: _Diary,
               held_by_activity: dict[str, list[Session]]) -> Session | None:
    activity = options.occurrence.activity
    rooms = sorted(options.rooms, key=lambda r: (r.virtual, r.capacity or 10**6, r.id))
    for start in options.starts:
        end = start + options.duration
        if not _respects_after(inspection, options, start, end, held_by_activity):
            continue
        by_site: dict[str | None, list[str] | None] = {}  # the inspectors free depend on the site only
        for room in rooms:
            site = None if room.virtual else room.site
            if not room.virtual and not diary.free(room.id, start, end, None):
                continue
            if room.virtual and not inspection.is_free(room.id, start // DAY, start % DAY, end % DAY):
                continue
            if site not in by_site:
                by_site[site] = _pick_inspectors(inspection, options, diary, start, end, site)
            inspectors = by_site[site]
            if inspectors is None:
                continue
            if not all(diary.person_ok(p, start, end, site) for p in options.named_attendees):
                continue
            room_left = (room.capacity if room.capacity is not None and not room.virtual else 10**6) \
                - len(inspectors) - len(options.named_attendees)
            if room_left < 0:
                continue
            pool = _pick_pool(inspection, options, diary, start, end, site, room, room_left)
            if pool is None:
                continue
            return Session(
                occurrence_id=options.occurrence.id, activity_id=activity.id, day=start // DAY,
                start=start % DAY, end=end % DAY or DAY, room_id=room.id,
                inspector_ids=tuple(inspectors), attendee_ids=tuple(options.named_attendees) + tuple(pool),
            )
    return None


def _pick_inspectors(inspection, options: Options, diary: _Diary, start, end, site) -> list[str] | None:
    if options.all_inspectors:
        present = [i for i in options.all_inspectors
                   if inspection.is_free(i, start // DAY, start % DAY, end % DAY or DAY)]
        return present if all(diary.inspector_ok(i, start, end, site) for i in present) else None
    chosen = list(options.named_inspectors)
    if not all(diary.inspector_ok(i, start, end, site) for i in chosen):
        return None
    items = sorted(options.occurrence.activity.inspectorates, key=lambda k: k == "any")
    for item in items:
        pick = next((i for i in options.inspector_pool if i not in chosen
                     and (item == "any" or inspection.inspector_by_id[i].inspectorate == item)
                     and diary.inspector_ok(i, start, end, site)), None)
        if pick is None:
            return None
        chosen.append(pick)
    return chosen


def _pick_pool(inspection, options: Options, diary: _Diary, start, end, site, room, room_left) -> list[str] | None:
    activity = options.occurrence.activity
    if activity.pool is None:
        return []
    separate = activity.type in PRACTITIONER_ONLY_TYPES
    present = set(options.named_attendees)
    chosen: list[str] = []
    for person in options.pool_members:
        if len(chosen) >= min(activity.pool_max, room_left):
            break
        if inspection.person_by_id[person].needs_accessible and not room.virtual and not room.accessible:
            continue
        if separate and _manages_or_managed(inspection, person, present):
            continue
        if diary.person_ok(person, start, end, site):
            chosen.append(person)
            present.add(person)
    return chosen if len(chosen) >= activity.pool_min else None


def _manages_or_managed(inspection: Inspection, person: str, present: set[str]) -> bool:
    if any(m in present for m in inspection.managers_above(person)):
        return True
    return any(person in inspection.managers_above(other) for other in present)
