"""Why each optional occurrence was left out, in words a timetabling lead can act on."""
from __future__ import annotations

from models import DAYS, Timetable, Unscheduled
from scheduler.candidates import Candidates, Options


def _no_slot_reason(options: Options) -> str | None:
    a = options.occurrence.activity
    if not options.starts:
        return f"no start time fits {a.duration} minutes inside its allowed days and hours"
    if not options.rooms:
        return "no room fits: check its mode, site, named room, size and accessibility"
    return None


def unscheduled_reasons(timetable: Timetable, candidates: Candidates) -> tuple[Unscheduled, ...]:
    held = {s.occurrence_id for s in timetable.sessions}
    out = []
    for options in candidates:
        occ = options.occurrence
        if occ.id in held or occ.is_must:
            continue
        reason = _no_slot_reason(options) or (
            "every time it could be held clashes with sessions of higher or equal priority "
            "for the inspectors, people or rooms it needs")
        if occ.activity.recurs_daily:
            reason = f"not held on {DAYS[occ.days[0]]}: {reason}"
        out.append(Unscheduled(occ.activity.id, occ.activity.priority, reason, occ.id))
    return tuple(out)
