"""Turn the tables into a validated Inspection, noting every problem (SPEC §2) on the way.

Tables are read in dependency order (settings, then inspectors, people and rooms, then the tables
that refer to them); the settings table is read in loader.settings and the activities in
loader.activities. A reference into a table that is missing or to an id that was itself reported
is not reported again, so each mistake shows up once.
"""
from __future__ import annotations

import difflib
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Iterator

from models import (
    PERSON_ROLES, Activity, Group, InputError, Inspection, Inspector, Person, Problem, Room, Unavailability,
    format_minutes,
)
from models.inspection import INSPECTORATES, INSPECTOR_ROLES, WHOLE_DAY
from loader.activities import ActivitiesReader
from loader.cells import Cells
from loader.loops import find_loops
from loader.settings import DAY_MINUTES, DEFAULT_SETTINGS
from loader.tables import REQUIRED_TABLES, TABLE_ORDER, Source, read_source, show

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
        problems = sorted(_name_activities(source),
                          key=lambda p: (order.get(p.table, -1), p.row or 0))  # stable: row order kept
        raise InputError(problems)
    return inspection


def _name_activities(source: Source) -> list[Problem]:
    """Each problem on an activities row names the activity (id and title, as written), since
    a row number alone sends the lead hunting through a long sheet."""
    table = source.tables.get("activities")
    named = {}
    for row in table.rows if table else ():
        activity_id, title = (row.cells.get(c, "") if c not in row.unreadable else ""
                              for c in ("id", "title"))
        named[row.number] = " ".join(part for part in (show(activity_id, 30),
                                                       f"'{show(title, 50)}'" if title else "")
                                     if part)
    return [replace(p, what=named.get(p.row, "")) if p.table == "activities" else p
            for p in source.problems]


class _Builder(ActivitiesReader):
    """Settings (loader.settings) and activities (loader.activities) are read by the parts it
    mixes in; the resources they refer to, and the references themselves, are read here."""
    def __init__(self, source: Source):
        self.tables = source.tables
        self.problems = source.problems
        # tables whose absence or breakage is already reported: references into them stay quiet
        self.unknowable = (set(REQUIRED_TABLES) | source.found) - {n for n, t in source.tables.items() if t.complete}
        self.owner: dict[str, tuple[str, int]] = {}  # lower-cased id -> (table, row) that defines it
        self.reported: set[str] = set()  # ids already reported as broken: references stay quiet
        self.week_start: date | None = None
        self.settings = DEFAULT_SETTINGS
        self.inspectors: dict[str, Inspector] = {}
        self.people: dict[str, Person] = {}
        self.rooms: dict[str, Room] = {}
        self.groups: dict[str, list[str]] = {}
        self.partial_groups: set[str] = set()  # a member row was wrong: the size is not known
        self.group_spelling: dict[str, tuple[str, int]] = {}  # lower-cased -> (as first written, its row)
        self.activities: dict[str, Activity] = {}
        self.activity_rows: dict[str, int] = {}
        self.activity_ids: dict[str, str] = {}  # lower-cased -> as written: unique in any case
        self.team_known = True  # every inspector row read cleanly, so inspectorates can be counted
        self.person_rows: dict[str, int] = {}
        self.close_matches_left = 200  # unknown ids that get a "did you mean" from a close match

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
        self.check_organiser(inspectors, people)
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
                    accessible=cells.yes_no("accessible"), virtual=virtual, link=cells.link("link"))
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

    def check_organiser(self, inspectors: list[Inspector], people: list[Person]) -> None:
        """The organiser sends the invites and is not one of the attendees: an invite from
        yourself to yourself confuses Outlook."""
        organiser = self.settings.organiser_email.lower()
        for who in (*inspectors, *people):
            if organiser and who.email.lower() == organiser:
                self.problems.append(Problem(
                    "settings", self.setting_rows.get("organiser_email"), "value",
                    f"organiser_email {show(organiser)} is also the email of {show(who.name)} ({who.id}): "
                    "the organiser sends the invitations and cannot also attend; use a scheduling "
                    "mailbox of its own"))

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
            message += self.did_you_mean(ref, list(found))
        self.problems.append(Problem(table, row, column, message))
        return False

    def did_you_mean(self, ref: str, known: list[str]) -> str:
        """' (did you mean PRB009?)' when one known id is the same in another case or close to
        it. Close matches are sought for the first few unknown ids only: a sheet of thousands of
        wrong ids should not take minutes to report."""
        close = [k for k in known if k.lower() == ref.lower()]
        if not close and self.close_matches_left > 0:
            self.close_matches_left -= 1
            close = difflib.get_close_matches(ref, known, n=1, cutoff=0.8)
        return f" (did you mean {close[0]}?)" if close else ""

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
        spelt = self.group_spelling.setdefault(group_id.lower(), (group_id, cells.number))
        if spelt[0] != group_id:  # one group written two ways would split into two pools
            cells.problem("group_id", f"'{group_id}' differs from '{spelt[0]}' (row {spelt[1]}) only in letter "
                                      "case: write the group the same way on every row")
            self.reported.add(group_id)
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
            known = [k for t in resources for k in self.found(t)]
            cells.problem("id", f"no inspector, person or room has id '{resource_id}'"
                                + self.did_you_mean(resource_id, known))
            return None
        if resource_id is None or day is None:
            return None
        return Unavailability(resource_id=resource_id, day=day,
                              start=WHOLE_DAY[0] if start is None else start,
                              end=WHOLE_DAY[1] if end is None else end,
                              reason=cells.text("reason"))
