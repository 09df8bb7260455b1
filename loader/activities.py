"""The activities table: each row read into an Activity, checked against the settings and the
inspectors, people, rooms and groups read before it (SPEC §2).

Mixed into the loader's builder (loader.build), whose tables, `refer` and `known_site` it uses.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace

from models import (
    ACTIVITY_TYPES, DAYS, INSPECTORATES, MODES, PRIORITIES, Activity, Problem, format_minutes,
)
from loader.cells import Cells, parse_time
from loader.loops import find_loops
from loader.settings import DAY_MINUTES, SettingsReader
from loader.tables import show

INSPECTORATE_ITEMS: tuple[str, ...] = INSPECTORATES + ("any",)


class ActivitiesReader(SettingsReader):
    def cancel_file_clash(self, activity_id: str) -> str | None:
        """The activity already read whose invite file names would meet this one's: a what-if writes
        `X.cancel.ics` for the people taken out of X, which is also activity `X.cancel`'s invite."""
        key = activity_id.lower()
        other = key.removesuffix(".cancel") if key.endswith(".cancel") else key + ".cancel"
        return self.activity_ids.get(other)

    def read_activity(self, cells: Cells) -> Activity | None:
        activity_id = cells.id("id")
        if activity_id is None:
            self.reported.add(cells.text("id"))
        elif activity_id.lower() in self.activity_ids:
            other = self.activity_ids[activity_id.lower()]
            cells.problem("id", f"activity '{activity_id}' is already defined in row "
                                f"{self.activity_rows[other]}")
            activity_id = None
        elif clash := self.cancel_file_clash(activity_id):
            named = max(clash, activity_id, key=len)
            cells.problem("id", f"'{activity_id}' and activity '{clash}' (row {self.activity_rows[clash]}) "
                                f"would share the file name {named}.ics (the invite of one, the "
                                "cancellations of the other): choose another id")
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
        days = {cells.day_value("days", item, self.week_start) for item in cells.items("days")}
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
        items = cells.items("inspectors")
        if any(item.lower() == "all" for item in items):
            if len(items) > 1:
                cells.problem("inspectors", "write either all or a list of inspector ids, not both")
            return (), True
        return tuple(i for i in cells.ids("inspectors", items)
                     if self.refer(i, "inspectors", "activities", cells.number, "inspectors")), False

    def read_inspectorates(self, cells: Cells, named: tuple[str, ...], everyone: bool
                           ) -> tuple[str, ...]:
        """One further inspector per item; there must be enough inspectors left to fill them."""
        wanted = []
        for item in cells.items("inspectorates"):
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
        """The pool and its resolved bounds: blank pool_min = 1; a blank pool_max, or one above the
        group's size, = the whole group."""
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
        # A lead writes "up to 8" and later finds seven volunteers: a cap, not an error (SPEC §3).
        high = min(high, len(members))
        free = len([m for m in members if m not in attendees])
        if low > len(members):
            cells.problem("pool_min", f"pool_min {low} is more than the {len(members)} "
                                      f"member(s) of group '{pool}'")
        elif low > high:
            cells.problem("pool_min", f"pool_min {low} is more than pool_max {high}")
        elif low > free:
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
