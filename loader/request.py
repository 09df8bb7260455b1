"""The what-if request as a lead types it ('IN3', 'Tue 13:00', 'P1 Tue 09:00-12:00'), read against
the inspection. Shared by the command line (--drop, --now, --unavailable, --from) and the
workbench's re-plan form; each skin says which field a RequestError came from."""
from __future__ import annotations

from datetime import date

from loader.cells import day_index, parse_time
from models import Inspection


class RequestError(ValueError):
    """A field of the request that cannot be read; str() is the reason in words."""


def known_id(inspection: Inspection, resource_id: str) -> str:
    resource_id = resource_id.strip()
    if not inspection.knows(resource_id):
        raise RequestError(f"{resource_id!r} is not an inspector, person or room of this inspection")
    return resource_id


def day(inspection: Inspection, text: str) -> int:
    """Mon..Fri (or Monday..Friday), or an ISO date inside the inspection week."""
    if day_index(text) is not None:
        return day_index(text)
    try:
        offset = (date.fromisoformat(text) - inspection.settings.week_start).days
    except ValueError:
        offset = -1
    if 0 <= offset <= 4:
        return offset
    raise RequestError(f"{text!r} is not a day Mon..Fri or a date of the inspection week")


def time_of_day(text: str) -> int:
    minutes = parse_time(text)
    if minutes is None:
        raise RequestError(f"{text!r} is not a time HH:MM")
    return minutes


def day_time(inspection: Inspection, text: str) -> tuple[int, int]:
    """'Tue 13:00' -> (1, 780)."""
    parts = text.split()
    if len(parts) != 2:
        raise RequestError(f"{text!r} is not a day and a time like \"Tue 13:00\"")
    return day(inspection, parts[0]), time_of_day(parts[1])


def period(inspection: Inspection, text: str) -> tuple[str, int, int, int]:
    """'ID Tue 09:00-12:00' (or 'ID Tue' for the whole day) -> (id, day, start, end)."""
    parts = text.split(None, 2)
    if len(parts) < 2:
        raise RequestError(f"{text!r} is not like \"ID Tue 09:00-12:00\"")
    resource_id, on = known_id(inspection, parts[0]), day(inspection, parts[1])
    if len(parts) == 2:
        return resource_id, on, 0, 24 * 60
    times = "".join(parts[2].split()).split("-")
    if len(times) != 2:
        raise RequestError(f"{parts[2]!r} is not a period like 09:00-12:00")
    start, end = time_of_day(times[0]), time_of_day(times[1])
    if end <= start:
        raise RequestError(f"{parts[2]!r} ends before it starts")
    return resource_id, on, start, end


__all__ = ["RequestError", "day_time", "known_id", "period"]
