"""The inspection: settings, inspectors, partner staff, rooms, travel, pools, unavailability and
the activities to hold. Times are integer minutes after midnight; days are indices 0..4 (Mon..Fri).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

DAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri")
INSPECTORATES: tuple[str, ...] = ("Ofsted", "CQC", "HMICFRS", "HMIP")
INSPECTOR_ROLES: tuple[str, ...] = ("lead", "inspector")
PERSON_ROLES: tuple[str, ...] = ("practitioner", "manager", "leader", "other")
ACTIVITY_TYPES: tuple[str, ...] = (
    "focus_group", "practitioner_interview", "manager_interview", "leader_meeting",
    "kit_meeting", "observation", "case_tracking", "team_meeting", "feedback", "other",
)
MODES: tuple[str, ...] = ("in_person", "virtual", "either")
PRIORITIES: tuple[str, ...] = ("must", "high", "medium", "low")
# SPEC §4.1: the held weight of each optional occurrence (musts are always held).
PRIORITY_WEIGHT: dict[str, int] = {"must": 0, "high": 100, "medium": 10, "low": 1}
# Sessions of these types must not mix a practitioner with anyone up their line (SPEC §3.8).
PRACTITIONER_ONLY_TYPES: frozenset[str] = frozenset({"focus_group", "practitioner_interview"})
WHOLE_DAY = (0, 24 * 60)


def format_minutes(minutes: int) -> str:
    """480 -> '08:00'."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def moment_text(moment: tuple[int, int]) -> str:
    """(2, 540) -> 'Wed 09:00': a day of the week and a time, as a lead writes --now."""
    return f"{DAYS[moment[0]]} {format_minutes(moment[1])}"


def period_text(day: int, start: int, end: int) -> str:
    """(3, 540, 720) -> 'Thu 09:00-12:00'; the whole day -> 'Thu all day'."""
    span = "all day" if (start, end) == WHOLE_DAY else f"{format_minutes(start)}-{format_minutes(end)}"
    return f"{DAYS[day]} {span}"


def free_gap(busy, window_start: int, window_end: int, length: int) -> int | None:
    """The start of the earliest stretch of `length` free minutes inside [window_start, window_end]
    that misses every busy (start, end) period, or None when there is none."""
    cursor = window_start
    for start, end in sorted(busy):
        if min(start, window_end) - cursor >= length:
            return cursor
        cursor = max(cursor, end)
    return cursor if window_end - cursor >= length else None


def minutes_covered(periods, window_start: int, window_end: int) -> int:
    """How many minutes of [window_start, window_end] the (start, end) periods cover, overlaps
    counted once."""
    covered, cursor = 0, window_start
    for start, end in sorted(periods):
        start, end = max(start, cursor), min(end, window_end)
        if end > start:
            covered += end - start
            cursor = end
    return covered


@dataclass(frozen=True)
class Settings:
    week_start: date
    inspection_name: str = "JTAI"
    local_authority: str = ""
    timezone: str = "Europe/London"
    day_start: int = 9 * 60
    day_end: int = 17 * 60 + 30
    slot_minutes: int = 15
    lunch_earliest: int = 12 * 60
    lunch_latest: int = 14 * 60
    lunch_minutes: int = 30
    organiser_name: str = ""
    organiser_email: str = ""
    default_travel_minutes: int = 30
    max_inspector_contact_minutes: int = 360
    max_person_sessions_per_day: int = 2
    change_cost: int = 4  # a re-plan's price of one change to a published session, in held weight (§4)

    def date_of(self, day: int) -> date:
        return self.week_start + timedelta(days=day)

    def lunch_break(self, busy, day: int = 0) -> int | None:
        """SPEC §3 rule 9, one inspector's day: where their earliest free lunch break starts, given
        their busy (start, end) periods, or None when they have none. Minutes of the day, or of the
        week when `day` is given and the periods are week minutes (day * 1440 + minute)."""
        offset = day * 24 * 60
        return free_gap(busy, offset + self.lunch_earliest, offset + self.lunch_latest, self.lunch_minutes)

    def in_lunch_window(self, start: int, end: int) -> bool:
        """The period (minutes of the day) overlaps the lunch window."""
        return start < self.lunch_latest and end > self.lunch_earliest


@dataclass(frozen=True)
class Inspector:
    id: str
    name: str
    inspectorate: str
    email: str = ""
    role: str = "inspector"


@dataclass(frozen=True)
class Person:
    """A member of partner staff (social care, police, health, education, ...)."""

    id: str
    name: str
    agency: str
    role: str
    email: str = ""
    manager_id: str | None = None
    needs_accessible: bool = False


@dataclass(frozen=True)
class Room:
    id: str
    name: str
    site: str | None = None
    capacity: int | None = None  # None: unlimited (virtual rooms only)
    accessible: bool = False
    virtual: bool = False
    link: str = ""  # an online meeting's https join link, put into the invites held there


@dataclass(frozen=True)
class Group:
    """A named pool of people, e.g. volunteers for a focus group."""

    id: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class Unavailability:
    """`resource_id` (inspector, person or room) is unavailable on `day` from `start` to `end`."""

    resource_id: str
    day: int
    start: int = WHOLE_DAY[0]
    end: int = WHOLE_DAY[1]
    reason: str = ""


@dataclass(frozen=True)
class Activity:
    """One row of the activities table: a session to hold (once, or daily if `recurs_daily`)."""

    id: str
    type: str
    title: str
    duration: int
    days: tuple[int, ...] = (0, 1, 2, 3, 4)
    recurs_daily: bool = False
    earliest: int | None = None
    latest: int | None = None
    fixed_day: int | None = None  # fixed_start's day, when it names one
    fixed_time: int | None = None  # fixed_start's time
    site: str | None = None
    room: str | None = None
    mode: str = "in_person"
    inspectors: tuple[str, ...] = ()  # named inspector ids
    all_inspectors: bool = False  # `inspectors` = all
    inspectorates: tuple[str, ...] = ()  # one further inspector per item: an inspectorate or "any"
    attendees: tuple[str, ...] = ()  # named person ids
    pool: str | None = None
    pool_min: int = 0  # resolved: blank pool_min = 1 when a pool is given
    pool_max: int = 0  # resolved: blank pool_max = the whole group
    priority: str = "must"
    after: tuple[str, ...] = ()
    notes: str = ""

    @property
    def is_must(self) -> bool:
        return self.priority == "must"

    @property
    def weight(self) -> int:
        return PRIORITY_WEIGHT[self.priority]


@dataclass(frozen=True)
class Occurrence:
    """One holding of an activity: the activity itself, or `<id>@<Day>` for a daily one."""

    id: str
    activity: Activity
    days: tuple[int, ...]  # the days this occurrence may be held on

    @property
    def fixed_start(self) -> int | None:
        return self.activity.fixed_time

    @property
    def is_must(self) -> bool:
        return self.activity.is_must


def expand_occurrences(activity: Activity) -> tuple[Occurrence, ...]:
    days = activity.days if activity.fixed_day is None else (activity.fixed_day,)
    if activity.recurs_daily:
        return tuple(Occurrence(f"{activity.id}@{DAYS[d]}", activity, (d,)) for d in days)
    return (Occurrence(activity.id, activity, days),)


@dataclass(frozen=True)
class Inspection:
    settings: Settings
    inspectors: tuple[Inspector, ...]
    people: tuple[Person, ...]
    rooms: tuple[Room, ...]
    activities: tuple[Activity, ...]
    travel: tuple[tuple[str, str, int], ...] = ()  # (from_site, to_site, minutes) as given
    groups: tuple[Group, ...] = ()
    unavailability: tuple[Unavailability, ...] = ()

    # --- lookups -------------------------------------------------------------------------------
    @cached_property
    def occurrences(self) -> tuple[Occurrence, ...]:
        return tuple(o for a in self.activities for o in expand_occurrences(a))

    @cached_property
    def inspector_by_id(self) -> dict[str, Inspector]:
        return {i.id: i for i in self.inspectors}

    @cached_property
    def person_by_id(self) -> dict[str, Person]:
        return {p.id: p for p in self.people}

    @cached_property
    def room_by_id(self) -> dict[str, Room]:
        return {r.id: r for r in self.rooms}

    @cached_property
    def activity_by_id(self) -> dict[str, Activity]:
        return {a.id: a for a in self.activities}

    @cached_property
    def occurrence_by_id(self) -> dict[str, Occurrence]:
        return {o.id: o for o in self.occurrences}

    @cached_property
    def group_by_id(self) -> dict[str, Group]:
        return {g.id: g for g in self.groups}

    @cached_property
    def sites(self) -> tuple[str, ...]:
        return tuple(sorted({r.site for r in self.rooms if r.site}))

    @cached_property
    def _travel_table(self) -> dict[tuple[str, str], int]:
        table: dict[tuple[str, str], int] = {}
        for a, b, minutes in self.travel:
            for key in ((a, b), (b, a)):  # symmetric: the larger of both directions applies
                table[key] = max(table.get(key, 0), minutes)
        return table

    def travel_minutes(self, from_site: str | None, to_site: str | None) -> int:
        """Minutes to get between two sites; 0 for the same site or an online session."""
        if not from_site or not to_site or from_site == to_site:
            return 0
        return self._travel_table.get((from_site, to_site), self.settings.default_travel_minutes)

    @cached_property
    def unavailable(self) -> dict[str, tuple[tuple[int, int, int], ...]]:
        """resource id -> ((day, start, end), ...)."""
        out: dict[str, list[tuple[int, int, int]]] = {}
        for u in self.unavailability:
            out.setdefault(u.resource_id, []).append((u.day, u.start, u.end))
        return {k: tuple(sorted(v)) for k, v in out.items()}

    def is_free(self, resource_id: str, day: int, start: int, end: int) -> bool:
        """True when no unavailability of the resource overlaps [start, end) on `day`."""
        periods = self.unavailable.get(resource_id)
        return not periods or all(d != day or e <= start or s >= end for d, s, e in periods)

    def knows(self, resource_id: str) -> bool:
        """`resource_id` is an inspector, person or room of this inspection."""
        return any(resource_id in known for known in (self.inspector_by_id, self.person_by_id, self.room_by_id))

    def name_of(self, resource_id: str) -> str:
        """The name of an inspector, person or room as the input gives it; the id when unknown."""
        who = (self.inspector_by_id.get(resource_id) or self.person_by_id.get(resource_id)
               or self.room_by_id.get(resource_id))
        return who.name if who else resource_id

    def managers_above(self, person_id: str) -> tuple[str, ...]:
        """The person's line managers, directly and further up the chain."""
        chain: list[str] = []
        current = self.person_by_id[person_id].manager_id if person_id in self.person_by_id else None
        while current and current not in chain and current in self.person_by_id:
            chain.append(current)
            current = self.person_by_id[current].manager_id
        return tuple(chain)

    def slot_starts(self, day: int | None = None) -> range:
        """Grid starts from day_start to day_end."""
        s = self.settings
        return range(s.day_start, s.day_end, s.slot_minutes)

    def date_of(self, day: int) -> date:
        return self.settings.date_of(day)


def day_name(day: int) -> str:
    return DAYS[day]


__all__ = [
    "DAYS", "INSPECTORATES", "INSPECTOR_ROLES", "PERSON_ROLES", "ACTIVITY_TYPES", "MODES",
    "PRIORITIES", "PRIORITY_WEIGHT", "PRACTITIONER_ONLY_TYPES", "Settings", "Inspector", "Person",
    "Room", "Group", "Unavailability", "Activity", "Occurrence", "Inspection",
    "expand_occurrences", "format_minutes", "period_text", "day_name"
]
