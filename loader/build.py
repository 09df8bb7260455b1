"""Turn the tables into a validated Inspection, noting every problem (SPEC §2) on the way.

Tables are read in dependency order (settings, then inspectors, people and rooms, then the tables
that refer to them); a reference into a table that is missing or to an id that was itself reported
is not reported again, so each mistake shows up once.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import fields, replace
from datetime import date
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

from models import (
    ACTIVITY_TYPES, DAYS, INSPECTORATES, MODES, PERSON_ROLES, PRIORITIES, Activity, Group,
    InputError, Inspection, Inspector, Person, Problem, Room, Settings, Unavailability,
    format_minutes,
)
from models.inspection import INSPECTOR_ROLES, WHOLE_DAY
from loader.cells import Cells, MAX_NUMBER, parse_time, split_list
from loader.tables import REQUIRED_TABLES, TABLE_ORDER, Source, read_source, show

DAY_MINUTES = 24 * 60
_DEFAULTS = Settings(week_start=date(2000, 1, 3))  # a Monday; only the other defaults are used
SETTING_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Settings))
_TIME_SETTINGS = ("day_start", "day_end", "lunch_earliest", "lunch_latest")
_TEXT_SETTINGS = ("inspection_name", "local_authority", "organiser_name")
# key -> (smallest, largest) allowed value
_NUMBER_SETTINGS = {
    "slot_minutes": (1, DAY_MINUTES),
    "lunch_minutes": (1, DAY_MINUTES),
    "default_travel_minutes": (0, DAY_MINUTES),
    "max_inspector_contact_minutes": (1, DAY_MINUTES),
    "max_person_sessions_per_day": (1, MAX_NUMBER),
}
INSPECTORATE_ITEMS: tuple[str, ...] = INSPECTORATES + ("any",)
_KIND = {"inspectors": "an inspector", "people": "a person", "rooms": "a room", "groups": "a group",
         "activities": "an activity"}
_WHAT = {"inspectors": "inspector", "people": "person", "rooms": "room", "groups": "group",
         "activities": "activity"}


def load_inspection(path: Path) -> Inspection:
    """Read INPUT (a CSV folder or an .xlsx workbook); raise InputError listing every problem."""
    source = read_source(Path(path))
    inspection = _Builder(source).build()
    if source.problems:
        order = {name: index for index, name in enumerate(TABLE_ORDER)}
        problems = sorted(source.problems,
                          key=lambda p: (order.get(p.table, -1), p.row or 0))  # stable: row order kept
        raise InputError(problems)
    return inspection


def find_loops(links: dict[str, tuple[str, ...]]) -> list[list[str]]:
    """Loops in `links` (id -> ids it points to): at least one wherever there is one, which is
    enough to tell the user where to cut. An explicit stack, so a long chain cannot overflow."""
    loops: list[list[str]] = []
    seen_loops: set[frozenset[str]] = set()
    done: set[str] = set()
    for start in links:
        if start in done:
            continue
        path, walks = [start], [iter(links[start])]
        while walks:
            target = next(walks[-1], None)
            if target is None:
                done.add(path.pop())
                walks.pop()
            elif target in path:
                loop = path[path.index(target):]
                if frozenset(loop) not in seen_loops:
                    seen_loops.add(frozenset(loop))
                    loops.append(loop + [target])
            elif target not in done and target in links:
                path.append(target)
                walks.append(iter(links[target]))
    return loops


class _Builder:
    def __init__(self, source: Source):
        self.tables = source.tables
        self.problems = source.problems
        # tables whose absence or breakage is already reported: references into them stay quiet
        self.unknowable = (set(REQUIRED_TABLES) | source.found) - set(source.tables)
        self.owner: dict[str, tuple[str, int]] = {}  # lower-cased id -> (table, row) that defines it
        self.reported: set[str] = set()  # ids already reported as broken: references stay quiet
        self.week_start: date | None = None
        self.settings = _DEFAULTS
        self.inspectors: dict[str, Inspector] = {}
        self.people: dict[str, Person] = {}
        self.rooms: dict[str, Room] = {}
        self.groups: dict[str, list[str]] = {}
        self.partial_groups: set[str] = set()  # a member row was wrong: the size is not known
        self.activities: dict[str, Activity] = {}
        self.activity_rows: dict[str, int] = {}
        self.activity_ids: dict[str, str] = {}  # lower-cased -> as written: unique in any case
        self.team_known = True  # every inspector row read cleanly, so inspectorates can be counted
        self.person_rows: dict[str, int] = {}

    def rows(self, table: str) -> Iterator[Cells]:
        found = self.tables.get(table)
        for row in found.rows if found else ():
            yield Cells(table, row, self.problems)

    def build(self) -> Inspection:
        settings = self.read_settings()
        before = len(self.problems)
        inspectors = [i for i in map(self.read_inspector, self.rows("inspectors")) if i]
        # a wrong inspector row leaves the team's make-up unknown: do not count inspectorates
        self.team_known = len(self.problems) == before and "inspectors" not in self.unknowable
        people = [p for p in map(self.read_person, self.rows("people")) if p]
        rooms = [r for r in map(self.read_room, self.rows("rooms")) if r]
        self.check_managers()
        travel = [t for t in map(self.read_travel, self.rows("travel")) if t]
        for cells in self.rows("groups"):
            self.read_group_member(cells)
        unavailability = [u for u in map(self.read_unavailability, self.rows("unavailability")) if u]
        after_cells = []
        for cells in self.rows("activities"):
            activity = self.read_activity(cells)
            if activity:
                after_cells.append((activity, cells))
        activities = [self.resolve_after(activity, cells) for activity, cells in after_cells]
        self.check_after_loops(activities)
        return Inspection(
            settings=settings,
            inspectors=tuple(inspectors),
            people=tuple(people),
            rooms=tuple(rooms),
            activities=tuple(activities),
            travel=tuple(travel),
            groups=tuple(Group(g, tuple(m)) for g, m in self.groups.items()),
            unavailability=tuple(unavailability),
        )

    # --- settings ------------------------------------------------------------------------------
    def read_settings(self) -> Settings:
        values: dict[str, object] = {}
        rows: dict[str, int] = {}
        bad: set[str] = set()
        for cells in self.rows("settings"):
            key = cells.text("key").lower().replace(" ", "_")
            if not key:
                if cells.text("value"):
                    cells.problem("key", "is blank but the row has a value")
                continue
            if key not in SETTING_KEYS:
                cells.problem("key", f"unknown setting '{show(key)}': the settings are "
                                     f"{', '.join(SETTING_KEYS)}")
                continue
            if key in rows:
                cells.problem("key", f"{key} is already set in row {rows[key]}")
                continue
            rows[key] = cells.number
            before = len(self.problems)
            value = self.setting_value(key, cells)
            if len(self.problems) > before or value is None and key == "week_start":
                bad.add(key)
            elif value is not None:
                values[key] = value
        if "settings" in self.tables and "week_start" not in rows:
            self.problems.append(Problem("settings", None, "key", "week_start is missing: add a row "
                                         "week_start with the Monday of the on-site week (YYYY-MM-DD)"))
        if "organiser_email" in rows and "organiser_email" not in values and "organiser_email" not in bad:
            # Every invite and calendar needs an organiser: said now, not after a whole solve.
            self.problems.append(Problem(
                "settings", rows["organiser_email"], "value",
                "organiser_email is blank: give the scheduling mailbox that sends the invitations "
                "(Outlook needs an organiser, who is not one of the attendees)"))
        self.week_start = values.pop("week_start", None)
        settings = self.check_day_hours(values, rows, bad)
        self.settings = settings
        return settings

    def setting_value(self, key: str, cells: Cells) -> object | None:
        if key == "week_start":
            if not cells.required("value"):
                return None
            monday = cells.date("value")
            if monday is not None and monday.weekday() != 0:
                cells.problem("value", f"{monday.isoformat()} is a {monday.strftime('%A')}: "
                                       "week_start must be the Monday of the on-site week")
                return None
            return monday
        if key in _TIME_SETTINGS:
            return cells.time("value")
        if key in _NUMBER_SETTINGS:
            low, high = _NUMBER_SETTINGS[key]
            return cells.integer("value", minimum=low, maximum=high)
        if key == "organiser_email":
            return cells.email("value") or None
        if key == "timezone":
            zone = cells.text("value")
            if zone and not _known_zone(zone):
                cells.problem("value", f"'{show(zone)}' is not a time zone name (e.g. Europe/London)")
                return None
            return zone or None
        return cells.text("value") or None

    def check_day_hours(self, values: dict[str, object], rows: dict[str, int], bad: set[str]
                        ) -> Settings:
        """Day hours in order and on the slot grid, then the lunch window inside the day and wide
        enough. A value found wrong falls back to its default so later checks stay meaningful."""
        def problem(keys: tuple[str, ...], message: str) -> None:
            for key in keys:
                values.pop(key, None)
            if bad.intersection(keys):  # a value already reported: comparing it says nothing new
                return
            row = next((rows[k] for k in keys if k in rows), None)
            if row is not None:  # the defaults are consistent, so some key was given
                self.problems.append(Problem("settings", row, "value", message))

        s = Settings(week_start=_DEFAULTS.week_start, **values)
        if s.day_start >= s.day_end:
            problem(("day_end", "day_start"), f"day_end {format_minutes(s.day_end)} must be after "
                                              f"day_start {format_minutes(s.day_start)}")
        elif (s.day_end - s.day_start) % s.slot_minutes:
            problem(("day_end", "slot_minutes", "day_start"),
                    f"day_end {format_minutes(s.day_end)} is not on the {s.slot_minutes}-minute grid "
                    f"that starts at day_start {format_minutes(s.day_start)}")
        s = Settings(week_start=_DEFAULTS.week_start, **values)
        lunch = f"{format_minutes(s.lunch_earliest)}–{format_minutes(s.lunch_latest)}"
        if s.lunch_earliest < s.day_start or s.lunch_latest > s.day_end:
            problem(("lunch_earliest", "lunch_latest", "day_start", "day_end"),
                    f"the lunch window {lunch} must lie inside the day "
                    f"{format_minutes(s.day_start)}–{format_minutes(s.day_end)}")
        elif s.lunch_latest - s.lunch_earliest < s.lunch_minutes:
            problem(("lunch_latest", "lunch_earliest", "lunch_minutes"),
                    f"the lunch window {lunch} is shorter than lunch_minutes ({s.lunch_minutes})")
        return Settings(week_start=self.week_start or _DEFAULTS.week_start, **values)

    # --- inspectors, people, rooms -------------------------------------------------------------
    def claim_id(self, cells: Cells) -> str | None:
        """The row's id, unique (in any case) across inspectors, people and rooms."""
        given = cells.text("id")
        resource_id = cells.id("id")
        if resource_id is None:
            self.reported.add(given)
            return None
        key = resource_id.lower()
        if key in self.owner:
            table, row = self.owner[key]
            cells.problem("id", f"'{resource_id}' is already used in {table}, row {row}: ids must be "
                                "unique across inspectors, people and rooms")
            self.reported.add(resource_id)
            return None
        self.owner[key] = (cells.table, cells.number)
        return resource_id

    def read_inspector(self, cells: Cells) -> Inspector | None:
        inspector_id = self.claim_id(cells)
        inspector = Inspector(
            id=inspector_id or "",
            name=cells.required("name") or "",
            email=cells.email("email"),
            inspectorate=cells.choice("inspectorate", INSPECTORATES) or "",
            role=cells.choice("role", INSPECTOR_ROLES, default="inspector") or "inspector",
        )
        if inspector_id:
            self.inspectors[inspector_id] = inspector
            return inspector
        return None

    def read_person(self, cells: Cells) -> Person | None:
        person_id = self.claim_id(cells)
        person = Person(
            id=person_id or "",
            name=cells.required("name") or "",
            email=cells.email("email"),
            agency=cells.required("agency") or "",
            role=cells.choice("role", PERSON_ROLES, what="person role") or "",
            manager_id=cells.id("manager_id", required=False),
            needs_accessible=cells.yes_no("needs_accessible"),
        )
        if person_id:
            self.people[person_id] = person
            self.person_rows[person_id] = cells.number
            return person
        return None

    def read_room(self, cells: Cells) -> Room | None:
        room_id = self.claim_id(cells)
        virtual = cells.yes_no("virtual")
        site = cells.text("site") or None
        capacity = cells.integer("capacity", minimum=1)
        if virtual and site:
            cells.problem("site", "a virtual room has no site: leave site blank")
        if not virtual:
            if not cells.given("site"):
                cells.problem("site", "is blank but a room that is not virtual needs a site")
            if not cells.given("capacity") and cells.has("capacity"):
                cells.problem("capacity", "is blank but a room that is not virtual needs a capacity")
        room = Room(id=room_id or "", name=cells.required("name") or "", site=site, capacity=capacity,
                    accessible=cells.yes_no("accessible"), virtual=virtual)
        if room_id:
            self.rooms[room_id] = room
            return room
        return None

    def check_managers(self) -> None:
        """manager_id names another person, and no chain of line managers loops back."""
        links: dict[str, tuple[str, ...]] = {}
        for person_id, person in self.people.items():
            manager = person.manager_id
            if manager is None:
                continue
            row = self.person_rows[person_id]
            if manager == person_id:
                self.problems.append(Problem("people", row, "manager_id", f"{person_id} cannot be "
                                             "their own line manager"))
            elif self.refer(manager, "people", "people", row, "manager_id"):
                links[person_id] = (manager,)
        for loop in find_loops(links):
            self.problems.append(Problem("people", self.person_rows[loop[0]], "manager_id",
                                         f"the line managers make a loop: {' → '.join(loop)}"))

    def refer(self, ref: str, wanted: str, table: str, row: int, column: str) -> bool:
        """True when `ref` is an id of the `wanted` table; otherwise say what it is instead."""
        if ref in self.reported or wanted in self.unknowable:
            return False  # already reported: the broken id, or the missing table
        found = self.found(wanted)
        if ref in found:
            return True
        elsewhere = next((t for t in ("inspectors", "people", "rooms") if ref in self.found(t)), None)
        if elsewhere:
            message = f"'{ref}' is {_KIND[elsewhere]}, not {_KIND[wanted]}"
        else:
            message = f"no {_WHAT[wanted]} has id '{ref}'"
            close = [k for k in found if k.lower() == ref.lower()]
            if close:
                message += f" (did you mean {close[0]}?)"
        self.problems.append(Problem(table, row, column, message))
        return False

    def found(self, table: str) -> dict:
        return {"inspectors": self.inspectors, "people": self.people, "rooms": self.rooms,
                "groups": self.groups, "activities": self.activities}[table]

    # --- travel, groups, unavailability --------------------------------------------------------
    @property
    def sites(self) -> tuple[str, ...]:
        return tuple(sorted({r.site for r in self.rooms.values() if r.site and not r.virtual}))

    def known_site(self, cells: Cells, column: str) -> str | None:
        site = cells.required(column) if column != "site" else cells.text(column)
        if not site:
            return None
        if "rooms" not in self.unknowable and site not in self.sites:
            known = ", ".join(show(x) for x in self.sites) or "no room has a site yet"
            cells.problem(column, f"no room is on site '{show(site)}' (sites: {known})")
            return None
        return site

    def read_travel(self, cells: Cells) -> tuple[str, str, int] | None:
        from_site = self.known_site(cells, "from_site")
        to_site = self.known_site(cells, "to_site")
        minutes = cells.integer("minutes", maximum=DAY_MINUTES, required=True)
        if from_site and from_site == to_site:
            cells.problem("to_site", "is the same site as from_site: travel within a site takes 0 "
                                     "minutes")
            return None
        if from_site and to_site and minutes is not None:
            return (from_site, to_site, minutes)
        return None

    def read_group_member(self, cells: Cells) -> None:
        group_id = cells.id("group_id")
        person_id = cells.id("person_id")
        if group_id is None:
            self.reported.add(cells.text("group_id"))
            return
        members = self.groups.setdefault(group_id, [])
        if person_id and self.refer(person_id, "people", "groups", cells.number, "person_id"):
            if person_id not in members:  # listing someone twice changes nothing
                members.append(person_id)
        else:
            self.partial_groups.add(group_id)

    def read_unavailability(self, cells: Cells) -> Unavailability | None:
        resource_id = cells.id("id")
        day_text = cells.required("day")
        day = cells.day_value("day", day_text, self.week_start) if day_text else None
        start, end = cells.time("start"), cells.time("end")
        if cells.given("start") != cells.given("end"):
            blank, given = ("end", "start") if cells.given("start") else ("start", "end")
            cells.problem(blank, f"is blank but {given} is given: give both, or neither for the "
                                 "whole day")
        elif start is not None and end is not None and start >= end:
            cells.problem("end", f"end {format_minutes(end)} must be after start "
                                 f"{format_minutes(start)}")
        resources = ("inspectors", "people", "rooms")
        if (resource_id and resource_id not in self.reported
                and not self.unknowable.intersection(resources)
                and not any(resource_id in self.found(t) for t in resources)):
            cells.problem("id", f"no inspector, person or room has id '{resource_id}'")
            return None
        if resource_id is None or day is None:
            return None
        return Unavailability(resource_id=resource_id, day=day,
                              start=WHOLE_DAY[0] if start is None else start,
                              end=WHOLE_DAY[1] if end is None else end,
                              reason=cells.text("reason"))

    # --- activities ----------------------------------------------------------------------------
    def read_activity(self, cells: Cells) -> Activity | None:
        activity_id = cells.id("id")
        if activity_id is None:
            self.reported.add(cells.text("id"))
        elif activity_id.lower() in self.activity_ids:
            other = self.activity_ids[activity_id.lower()]
            cells.problem("id", f"activity '{activity_id}' is already defined in row "
                                f"{self.activity_rows[other]}")
            activity_id = None
        else:
            self.activity_rows[activity_id] = cells.number
            self.activity_ids[activity_id.lower()] = activity_id
        kind = cells.choice("type", ACTIVITY_TYPES, what="activity type") or ""
        title = cells.required("title") or ""
        duration = self.read_duration(cells)
        days = self.read_days(cells)
        recurs = cells.text("recurs").lower()
        if recurs not in ("", "daily"):
            cells.problem("recurs", f"'{show(recurs)}' is not a valid recurs: leave it blank or "
                                    "write daily")
        earliest, latest = self.on_grid(cells, "earliest"), self.on_grid(cells, "latest")
        self.check_window(cells, duration, earliest, latest)
        fixed_day, fixed_time = self.read_fixed_start(cells, duration, days, recurs == "daily",
                                                      earliest, latest)
        mode = cells.choice("mode", MODES, default="in_person") or "in_person"
        site, room = self.read_place(cells, mode)
        named, everyone = self.read_inspectors(cells)
        inspectorates = self.read_inspectorates(cells, named, everyone)
        attendees = tuple(a for a in cells.ids("attendees")
                          if self.refer(a, "people", "activities", cells.number, "attendees"))
        pool, pool_min, pool_max = self.read_pool(cells, attendees)
        if room in self.rooms and not self.rooms[room].virtual and self.rooms[room].capacity:
            needed = len(named) + len(inspectorates) + len(attendees) + pool_min
            if needed > self.rooms[room].capacity:
                cells.problem("room", f"room '{room}' holds {self.rooms[room].capacity} but this "
                                      f"activity needs at least {needed} places")
        activity = Activity(
            id=activity_id or "",
            type=kind,
            title=title,
            duration=duration or 0,
            days=days or tuple(range(len(DAYS))),
            recurs_daily=recurs == "daily",
            earliest=earliest,
            latest=latest,
            fixed_day=fixed_day,
            fixed_time=fixed_time,
            site=site,
            room=room,
            mode=mode,
            inspectors=named,
            all_inspectors=everyone,
            inspectorates=inspectorates,
            attendees=attendees,
            pool=pool,
            pool_min=pool_min,
            pool_max=pool_max,
            priority=cells.choice("priority", PRIORITIES, default="must") or "must",
            notes=cells.text("notes"),
        )
        if activity_id:
            self.activities[activity_id] = activity
            return activity
        return None

    def read_duration(self, cells: Cells) -> int | None:
        s = self.settings
        duration = cells.integer("duration", minimum=1, maximum=DAY_MINUTES, required=True)
        if duration is None:
            return None
        if duration % s.slot_minutes:
            cells.problem("duration", f"{duration} is not a multiple of the {s.slot_minutes}-minute "
                                      "slot")
            return None
        if duration > s.day_end - s.day_start > 0:
            cells.problem("duration", f"{duration} minutes is longer than the day "
                                      f"({format_minutes(s.day_start)}–{format_minutes(s.day_end)})")
            return None
        return duration

    def read_days(self, cells: Cells) -> tuple[int, ...]:
        days = {cells.day_value("days", item, self.week_start) for item in split_list(cells.text("days"))}
        return tuple(sorted(d for d in days if d is not None))

    def on_grid(self, cells: Cells, column: str) -> int | None:
        """A time on the slot grid that runs from day_start."""
        s = self.settings
        minutes = cells.time(column)
        if minutes is not None and (minutes - s.day_start) % s.slot_minutes:
            cells.problem(column, f"{format_minutes(minutes)} is not on the {s.slot_minutes}-minute "
                                  f"grid that starts at {format_minutes(s.day_start)}")
            return None
        return minutes

    def check_window(self, cells: Cells, duration: int | None, earliest: int | None,
                     latest: int | None) -> None:
        s = self.settings
        if earliest is not None and latest is not None and earliest >= latest:
            cells.problem("latest", f"latest {format_minutes(latest)} must be after earliest "
                                    f"{format_minutes(earliest)}")
            return
        start = max(s.day_start, earliest if earliest is not None else s.day_start)
        end = min(s.day_end, latest if latest is not None else s.day_end)
        if duration and (earliest is not None or latest is not None) and end - start < duration:
            cells.problem("latest" if latest is not None else "earliest",
                          f"the window {format_minutes(start)}–{format_minutes(end)} is shorter than "
                          f"the duration ({duration} minutes)")

    def read_fixed_start(self, cells: Cells, duration: int | None, days: tuple[int, ...],
                         daily: bool, earliest: int | None, latest: int | None
                         ) -> tuple[int | None, int | None]:
        """'Tue 10:00' -> (1, 600); '10:00' -> (None, 600). Any minute is allowed."""
        text = cells.text("fixed_start")
        if not text:
            return None, None
        parts = text.split()
        day, clock = None, None
        if len(parts) == 2:
            day = cells.day_value("fixed_start", parts[0], self.week_start)
            clock = cells.time_value("fixed_start", parts[1])
        elif len(parts) == 1 and parse_time(text) is not None:
            clock = parse_time(text)
        else:
            cells.problem("fixed_start", f"'{show(text)}' is not a start: write a day and a time "
                                         "(Tue 10:00) or just a time (10:00)")
        if clock is None:
            return None, None
        s = self.settings
        if day is not None and daily:
            cells.problem("fixed_start", "a daily activity takes a time only (e.g. 10:00): it is "
                                         "held at that time on each of its days")
        elif day is not None and cells.given("days") and days and day not in days:
            cells.problem("fixed_start", f"{DAYS[day]} is not one of the activity's days "
                                         f"({'; '.join(DAYS[d] for d in days)})")
        if duration:
            end = clock + duration
            start_text = f"a start at {format_minutes(clock)} for {duration} minutes"
            if clock < s.day_start or end > s.day_end:
                cells.problem("fixed_start", f"{start_text} does not fit in the day "
                                             f"({format_minutes(s.day_start)}–"
                                             f"{format_minutes(s.day_end)})")
            elif (earliest is not None and clock < earliest) or (latest is not None and end > latest):
                window = (f"{format_minutes(s.day_start if earliest is None else earliest)}–"
                          f"{format_minutes(s.day_end if latest is None else latest)}")
                cells.problem("fixed_start", f"{start_text} is outside the earliest–latest window "
                                             f"({window})")
        return day, clock

    def read_place(self, cells: Cells, mode: str) -> tuple[str | None, str | None]:
        site = self.known_site(cells, "site")
        if site and mode == "virtual":
            cells.problem("site", "an online (mode virtual) activity has no site: leave site blank "
                                  "or change mode")
        room = cells.id("room", required=False)
        if room and self.refer(room, "rooms", "activities", cells.number, "room"):
            named = self.rooms[room]
            if named.virtual and mode == "in_person":
                cells.problem("room", f"'{room}' is a virtual room but mode is in_person")
            elif not named.virtual and mode == "virtual":
                cells.problem("room", f"'{room}' is a physical room but mode is virtual")
            elif site and not named.virtual and named.site != site:
                cells.problem("room", f"'{room}' is on site '{show(named.site or '')}', not on the "
                                      f"activity's site '{show(site)}'")
        return site, room

    def read_inspectors(self, cells: Cells) -> tuple[tuple[str, ...], bool]:
        """Named inspector ids, or `all`."""
        items = split_list(cells.text("inspectors"))
        if any(item.lower() == "all" for item in items):
            if len(items) > 1:
                cells.problem("inspectors", "write either all or a list of inspector ids, not both")
            return (), True
        return tuple(i for i in cells.ids("inspectors")
                     if self.refer(i, "inspectors", "activities", cells.number, "inspectors")), False

    def read_inspectorates(self, cells: Cells, named: tuple[str, ...], everyone: bool
                           ) -> tuple[str, ...]:
        """One further inspector per item; there must be enough inspectors left to fill them."""
        wanted = []
        for item in split_list(cells.text("inspectorates")):
            canonical = {i.lower(): i for i in INSPECTORATE_ITEMS}.get(item.lower())
            if canonical is None:
                cells.problem("inspectorates", f"'{show(item)}' is not a valid inspectorate: use "
                                               f"one of {', '.join(INSPECTORATE_ITEMS)}")
            else:
                wanted.append(canonical)
        if wanted and everyone:
            cells.problem("inspectorates", "with inspectors = all every inspector already attends: "
                                           "leave inspectorates blank")
            return tuple(wanted)
        if not self.team_known:
            return tuple(wanted)
        spare = [i for i in self.inspectors.values() if i.id not in named]
        for inspectorate, count in Counter(w for w in wanted if w != "any").items():
            left = sum(1 for i in spare if i.inspectorate == inspectorate)
            if count > left:
                cells.problem("inspectorates", f"asks for {count} further {inspectorate} "
                                               f"inspector(s) but only {left} {inspectorate} "
                                               "inspector(s) are not already named")
        if len(wanted) > len(spare):
            cells.problem("inspectorates", f"asks for {len(wanted)} further inspectors but only "
                                           f"{len(spare)} are not already named")
        return tuple(wanted)

    def read_pool(self, cells: Cells, attendees: tuple[str, ...]) -> tuple[str | None, int, int]:
        """The pool and its resolved bounds: blank pool_min = 1, blank pool_max = the whole group."""
        pool = cells.id("pool", required=False)
        pool_min = cells.integer("pool_min", minimum=0)
        pool_max = cells.integer("pool_max", minimum=1)
        if not cells.given("pool"):
            for column in ("pool_min", "pool_max"):
                if cells.given(column):
                    cells.problem(column, "is given but pool is blank: name the group in pool")
            return None, 0, 0
        if pool is None or not self.refer(pool, "groups", "activities", cells.number, "pool"):
            return pool, 0, 0
        if any(cells.given(c) and v is None for c, v in (("pool_min", pool_min),
                                                          ("pool_max", pool_max))):
            return pool, 0, 0  # a bound already reported
        members = self.groups[pool]
        low = 1 if pool_min is None else pool_min
        high = len(members) if pool_max is None else pool_max
        if pool in self.partial_groups:  # its size is unknown until its rows are put right
            return pool, low, high
        if high > len(members):
            cells.problem("pool_max", f"pool_max {high} is more than the {len(members)} "
                                      f"member(s) of group '{pool}'")
        elif low > high:
            cells.problem("pool_min", f"pool_min {low} is more than pool_max {high}")
        elif low > len([m for m in members if m not in attendees]):
            free = len([m for m in members if m not in attendees])
            cells.problem("pool_min", f"pool_min {low} needs more members of group '{pool}' "
                                      f"than the {free} who are not named attendees")
        return pool, low, high

    def resolve_after(self, activity: Activity, cells: Cells) -> Activity:
        after = []
        for other in cells.ids("after"):
            if other == activity.id:
                cells.problem("after", f"{other} cannot come after itself")
            elif self.refer(other, "activities", "activities", cells.number, "after"):
                after.append(other)
        return replace(activity, after=tuple(after))

    def check_after_loops(self, activities: list[Activity]) -> None:
        for loop in find_loops({a.id: a.after for a in activities}):
            self.problems.append(Problem("activities", self.activity_rows[loop[0]], "after",
                                         f"the after links make a loop: {' → '.join(loop)}"))


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # not found, a malformed key, or an odd path
        return False
    return True
