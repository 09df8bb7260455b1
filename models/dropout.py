"""What a dropout does to an inspection (SPEC §6 `whatif`): plain domain code, no solver.

A dropped inspector, person or room is unavailable from `now` on (`--unavailable`: for a period,
also from `now` on); a dropped named inspector becomes one more `inspectorates` item of the same
inspectorate, so another can step in; a dropped named attendee is no longer required, and a session
left with no partner attendee (team meetings and pools aside) is cancelled. What started before
`now` has happened: it is frozen as it was.
"""
from __future__ import annotations

from dataclasses import replace

from models.changes import WhatIf
from models.inspection import WHOLE_DAY, Inspection, Unavailability
from models.timetable import Session, Timetable

DAY = WHOLE_DAY[1]
NEEDS_SUBSTITUTE = "needs a substitute"
ALL_PARTNERS_OUT = "its partner attendees have all dropped out"


def now_minute(request: WhatIf) -> int:
    """`now` in week minutes (-1 without `now`: nothing has happened)."""
    return -1 if request.now is None else request.now[0] * DAY + request.now[1]


def frozen_sessions(baseline: Timetable, request: WhatIf) -> dict[str, Session]:
    """Sessions that started before `now`: they have happened and stay exactly as they were."""
    now = now_minute(request)
    return {s.occurrence_id: s for s in baseline.sessions if s.day * DAY + s.start < now}


def _from_now(resource: str, periods, request: WhatIf, frozen: dict[str, Session],
              reason: str) -> list[Unavailability]:
    """The (day, start, end) periods a resource is out, from `now` on: the past has happened (it
    may have been in a session then), and a session under way at `now` finishes first."""
    if request.now is None:
        return [Unavailability(resource, d, start, end, reason) for d, start, end in periods]
    day, minute = request.now
    cut = max([minute] + [s.end for s in frozen.values() if s.day == day and resource in s.everyone + (s.room_id,)])
    out = []
    for d, start, end in periods:
        start = max(start, cut) if d == day else start
        if d >= day and start < end:
            out.append(Unavailability(resource, d, start, end, reason))
    return out


def apply_dropouts(inspection: Inspection, request: WhatIf, frozen: dict[str, Session]
                   ) -> tuple[Inspection, dict[str, str]]:
    """The inspection as it stands after the dropouts, and the activities cancelled for want of
    partner attendees (activity id -> reason)."""
    dropped = set(request.drop)
    whole_week = [(d, *WHOLE_DAY) for d in range(5)]
    extra = [u for r in request.drop for u in _from_now(r, whole_week, request, frozen, "dropped out")]
    extra += [u for r, d, s, e in request.unavailable
              for u in _from_now(r, [(d, s, e)], request, frozen, "unavailable (what-if)")]
    cancelled: dict[str, str] = {}
    activities = []
    for a in inspection.activities:
        gone_inspectors = [i for i in a.inspectors if i in dropped]
        if gone_inspectors and not a.all_inspectors:
            a = replace(a, inspectors=tuple(i for i in a.inspectors if i not in dropped),
                        inspectorates=a.inspectorates + tuple(
                            inspection.inspector_by_id[i].inspectorate for i in gone_inspectors))
        if any(p in dropped for p in a.attendees):
            left = tuple(p for p in a.attendees if p not in dropped)
            if not left and a.pool is None and a.type != "team_meeting":
                cancelled[a.id] = NEEDS_SUBSTITUTE if a.is_must else ALL_PARTNERS_OUT
                a = replace(a, priority="low")  # no longer a must: it cannot go ahead
            a = replace(a, attendees=left)
        activities.append(a)
    adjusted = replace(inspection, activities=tuple(activities),
                       unavailability=inspection.unavailability + tuple(extra))
    return adjusted, cancelled


__all__ = ["ALL_PARTNERS_OUT", "NEEDS_SUBSTITUTE", "apply_dropouts", "frozen_sessions", "now_minute"]
