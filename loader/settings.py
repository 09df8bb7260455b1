"""The settings table: one key and value a row, read into Settings (SPEC §2).

Mixed into the loader's builder (loader.build), whose `rows`, `problems` and `tables` it uses.
"""
from __future__ import annotations

from dataclasses import fields
from datetime import date
from zoneinfo import ZoneInfo

from models import Problem, Settings, format_minutes
from loader.cells import Cells, MAX_NUMBER
from loader.tables import show

DAY_MINUTES = 24 * 60
DEFAULT_SETTINGS = Settings(week_start=date(2000, 1, 3))  # a Monday; only the other defaults are used
# The Mondays a week may start on: calendars, time zone rules and date arithmetic (a week starting
# 9999-12-27 ends in year 10000) all hold well inside them.
FIRST_MONDAY, LAST_MONDAY = date(2000, 1, 3), date(2099, 12, 28)
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
    "change_cost": (0, MAX_NUMBER),
}


class SettingsReader:
    """Reads the settings table first: the day hours and slot it fixes are what later tables are
    checked against."""
    week_start: date | None
    settings: Settings
    problems: list[Problem]
    setting_rows: dict[str, int]  # key -> its row in the settings table

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
        self.setting_rows = rows
        self.week_start = values.pop("week_start", None)
        if "timezone" in values and self.week_start is not None:
            self.check_calendar_zone(str(values["timezone"]), rows["timezone"])
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
            if monday is not None and not FIRST_MONDAY <= monday <= LAST_MONDAY:
                cells.problem("value", f"{monday.isoformat()} is not a plausible inspection week: give "
                                       f"a Monday from {FIRST_MONDAY.year} to {LAST_MONDAY.year}")
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

    def check_calendar_zone(self, zone: str, row: int) -> None:
        """A zone the invites cannot describe is said now, not after a whole search."""
        from exporters.ics import CalendarError, vtimezone_lines  # the one place that knows the rule

        try:
            vtimezone_lines(zone, self.week_start.year)
        except CalendarError as err:
            self.problems.append(Problem("settings", row, "value", str(err)))

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

        s = Settings(week_start=DEFAULT_SETTINGS.week_start, **values)
        if s.day_start >= s.day_end:
            problem(("day_end", "day_start"), f"day_end {format_minutes(s.day_end)} must be after "
                                              f"day_start {format_minutes(s.day_start)}")
        elif (s.day_end - s.day_start) % s.slot_minutes:
            problem(("day_end", "slot_minutes", "day_start"),
                    f"day_end {format_minutes(s.day_end)} is not on the {s.slot_minutes}-minute grid "
                    f"that starts at day_start {format_minutes(s.day_start)}")
        s = Settings(week_start=DEFAULT_SETTINGS.week_start, **values)
        lunch = f"{format_minutes(s.lunch_earliest)}–{format_minutes(s.lunch_latest)}"
        if s.lunch_earliest < s.day_start or s.lunch_latest > s.day_end:
            problem(("lunch_earliest", "lunch_latest", "day_start", "day_end"),
                    f"the lunch window {lunch} must lie inside the day "
                    f"{format_minutes(s.day_start)}–{format_minutes(s.day_end)}")
        elif s.lunch_latest - s.lunch_earliest < s.lunch_minutes:
            problem(("lunch_latest", "lunch_earliest", "lunch_minutes"),
                    f"the lunch window {lunch} is shorter than lunch_minutes ({s.lunch_minutes})")
        return Settings(week_start=self.week_start or DEFAULT_SETTINGS.week_start, **values)


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # not found, a malformed key, or an odd path
        return False
    return True
