"""Redundant constraints: implied by the rules, added only to give the solver a stronger bound.

Each inspector's contact minutes are capped per day (rule 9), but the linear relaxation sees that
cap through "inspector i attends occurrence o on day d" products, which it can make fractional and
nearly free. Summed over an inspectorate and written over the occurrences' day literals directly,
the same cap tells the bound early that, say, one HMIP inspector cannot do ten hours of sessions on
a Tuesday.
"""
from __future__ import annotations

from collections import defaultdict

from models.inspection import INSPECTORATES, minutes_covered
from scheduler.variables import Variables


def _day_capacity(v: Variables, inspector_id: str, day: int) -> int:
    """Contact minutes an inspector can give on a day: the cap, or less when partly unavailable.
    The lunch break comes off the free time only when no absence touches the lunch window: the
    break may be taken while away (say, out from 12:00 after a full morning)."""
    s = v.inspection.settings
    absences = [(start, end) for d, start, end in v.inspection.unavailable.get(inspector_id, ()) if d == day]
    # Overlapping absences count once (two rows 12:00-17:30 once made a 3-hour morning 0 minutes).
    free = s.day_end - s.day_start - minutes_covered(absences, s.day_start, s.day_end)
    lunch = 0 if any(s.in_lunch_window(start, end) for start, end in absences) else s.lunch_minutes
    return max(0, min(s.max_inspector_contact_minutes, free - lunch))


def inspectorate_daily_minutes(v: Variables) -> None:
    """Per inspectorate and day (and for all inspectors together): minutes asked ≤ minutes given."""
    inspection = v.inspection
    by_inspectorate = defaultdict(list)
    for i in inspection.inspectors:
        by_inspectorate[i.inspectorate].append(i.id)
    for day in range(5):
        total_terms = []
        per_inspectorate = defaultdict(list)
        for options in v.candidates:
            oid = options.occurrence.id
            on = v.on_day[oid].get(day)
            if on is None or options.all_inspectors:
                continue
            a = options.occurrence.activity
            count = {k: a.inspectorates.count(k) for k in INSPECTORATES}
            for i in options.named_inspectors:
                count[inspection.inspector_by_id[i].inspectorate] += 1
            people = len(options.named_inspectors) + len(a.inspectorates)
            if people:
                total_terms.append(options.duration * people * on)
            for k, n in count.items():
                if n:
                    per_inspectorate[k].append(options.duration * n * on)
        for k, terms in per_inspectorate.items():
            cap = sum(_day_capacity(v, i, day) for i in by_inspectorate[k])
            v.model.add(sum(terms) <= cap)
        if total_terms:
            cap = sum(_day_capacity(v, i.id, day) for i in inspection.inspectors)
            v.model.add(sum(total_terms) <= cap)


def inspector_weekly_minutes(v: Variables) -> None:
    """Per inspector: the week's contact minutes ≤ what their days can give (no day products)."""
    for inspector in v.inspection.inspectors:
        sessions = v.attendance.get(inspector.id, [])
        cap = sum(_day_capacity(v, inspector.id, day) for day in range(5))
        if sum(v.candidates[oid].duration for oid, _ in sessions) > cap:
            v.model.add(sum(v.candidates[oid].duration * lit for oid, lit in sessions) <= cap)


REDUNDANT = (inspectorate_daily_minutes, inspector_weekly_minutes)
