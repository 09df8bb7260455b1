"""The JTAI week-3 domain in the users' words: frozen dataclasses, no solver or file formats."""
from models.errors import InputError, Infeasible, MailError, Problem, ScheduleError, TimeLimitReached
from models.inspection import (
    ACTIVITY_TYPES,
    DAYS,
    INSPECTORATES,
    MODES,
    PERSON_ROLES,
    PRIORITIES,
    PRIORITY_WEIGHT,
    Activity,
    Group,
    Inspection,
    Inspector,
    Occurrence,
    Person,
    Room,
    Settings,
    Unavailability,
    format_minutes,
)
from models.timetable import Session, SolveResult, Timetable, Unscheduled

__all__ = [
    "ACTIVITY_TYPES", "DAYS", "INSPECTORATES", "MODES", "PERSON_ROLES", "PRIORITIES",
    "PRIORITY_WEIGHT", "Activity", "Group", "Inspection", "Inspector", "Occurrence", "Person",
    "Room", "Settings", "Unavailability", "Session", "SolveResult", "Timetable", "Unscheduled", "InputError",
    "Infeasible", "MailError", "Problem", "ScheduleError", "TimeLimitReached", "format_minutes",
]
