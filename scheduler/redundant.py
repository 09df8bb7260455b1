"""Redundant constraints: implied by the rules, added only to give the solver a stronger bound.

Each inspector's contact minutes are capped per day (rule 9), but the linear relaxation sees that
cap through "inspector i attends occurrence o on day d" products, which it can make fractional and
nearly free. Summed over an inspectorate and written over the occurrences' day literals directly,
the same cap tells the bound early that, say, one HMIP inspector cannot do ten hours of sessions on
a Tuesday.
"""
from __future__ import annotations

from collections import defaultdict

from models.inspection import INSPECTORATES
from scheduler.candidates import DAY
from scheduler.variables import Variables


def _day_capacity(v: Variables, inspector_id: str, day: int) -> int:
    """Contact minutes an inspector can give on a day: the cap, or less when partly unavailable."""
    s = v.inspection.settings
    free = s.day_end - s.day_start
    for d, start, end in v.inspection.unavailable.get(inspector_id, ()):
        if d == day:
            free -= max(0, min(end, s.day_end) - max(start, s.day_start))
    return max(0, min(s.max_inspector_contact_minutes, free - s.lunch_minutes))


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
            if on is None:
                continue
            if options.all_inspectors:  # who attends depends on the time: one term per inspector
                for i in options.all_inspectors:
                    lit = v.attends_on(i, oid, v.inspector[oid][i], day)
                    total_terms.append(options.duration * lit)
                    per_inspectorate[inspection.inspector_by_id[i].inspectorate].append(options.duration * lit)
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


def inspectors_at_once(v: Variables) -> None:
    """Per inspectorate (and for all inspectors together): at any moment, the inspectors that the
    sessions under way ask for, plus those at lunch or unavailable, are no more than there are.
    Each inspector's NoOverlap says this one inspector at a time; the cumulative lets the solver
    reason about a whole inspectorate over a stretch of the day (three Ofsted inspectors cannot
    cover four Ofsted places between 15:00 and 16:00)."""
    inspection = v.inspection
    m = v.model
    groups = defaultdict(list)
    for i in inspection.inspectors:
        groups[i.inspectorate].append(i.id)
    groups["all"] = [i.id for i in inspection.inspectors]
    for name, members in groups.items():
        if len(members) < 2:
            continue  # one inspector: their NoOverlap says it all
        member_set = set(members)
        intervals, demands = [], []
        for options in v.candidates:
            oid = options.occurrence.id
            if options.all_inspectors:
                lits = [v.inspector[oid][i] for i in options.all_inspectors if i in member_set]
                if len(lits) == 1:
                    intervals.append(v.interval[oid])
                    demands.append(lits[0])
                elif lits:  # a cumulative's demand must be a single variable
                    intervals.append(v.interval[oid])
                    demands.append(v.define(f"inspectors_at[{oid},{name}]", 0, len(lits), 0,
                                            [(1, lit) for lit in lits]))
                continue
            a = options.occurrence.activity
            named = sum(1 for i in options.named_inspectors if i in member_set)
            items = len(a.inspectorates) if name == "all" else a.inspectorates.count(name)
            if named + items:
                intervals.append(v.interval[oid])
                demands.append(named + items)
        if not intervals:
            continue
        for i in members:
            away = _merged(inspection.unavailable.get(i, ()))
            for day, start, end in away:
                intervals.append(m.new_fixed_size_interval_var(day * DAY + start, end - start,
                                                               f"away[{i},{day},{start}]"))
                demands.append(1)
            for day in range(5):  # a break may fall in an absence: counted only on days without one
                if (i, day) in v.lunch_break and not any(d == day for d, _, _ in away):
                    intervals.append(v.lunch_break[(i, day)])
                    demands.append(1)
        m.add_cumulative(intervals, demands, len(members))


def _merged(periods) -> list[tuple[int, int, int]]:
    """(day, start, end) periods with overlapping ones joined."""
    out: list[list[int]] = []
    for day, start, end in sorted(periods):
        if out and out[-1][0] == day and start <= out[-1][2]:
            out[-1][2] = max(out[-1][2], end)
        else:
            out.append([day, start, end])
    return [tuple(p) for p in out]


REDUNDANT = (inspectorate_daily_minutes, inspector_weekly_minutes, inspectors_at_once)
