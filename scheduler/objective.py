"""What makes one timetable better (SPEC §4), as labelled, weighted terms.

`held_weight` is §4.1 and is optimised first, on its own. The tie-breaking terms of §4.2 are then
optimised with the held weight fixed at its best; a what-if prepends its own terms (keep the
baseline, fewest changes) through the same Term shape.
"""
from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.candidates import DAY
from scheduler.variables import Variables

LATE = 17 * 60  # SPEC §4.2: fewer sessions after 17:00


@dataclass(frozen=True)
class Term:
    """weight × expression, to maximise; the label explains the score."""

    label: str
    weight: int
    expression: cp_model.LinearExprT


def held_weight(v: Variables) -> cp_model.LinearExprT:
    """SPEC §4.1: high 100, medium 10, low 1 per held optional occurrence."""
    return sum(o.activity.weight * v.held[o.id] for o in v.inspection.occurrences if not o.is_must)


def pools_filled(v: Variables) -> Term:
    """More pool members invited, up to pool_max."""
    return Term("pool members invited", 100, sum(sum(p.values()) for p in v.pool.values()))


def balanced_inspector_loads(v: Variables) -> Term:
    """A lower peak of any inspector's contact minutes on any day."""
    peak = v.model.new_int_var(0, 24 * 60, "peak_inspector_day_minutes")
    for inspector in v.inspection.inspectors:
        sessions = v.attendance.get(inspector.id, [])
        for day in range(5):
            minutes = []
            for oid, lit in sessions:
                on = v.attends_on(inspector.id, oid, lit, day)
                if on is not None:
                    minutes.append(v.candidates[oid].duration * on)
            if minutes:
                v.model.add(peak >= sum(minutes))
    return Term("peak inspector minutes in a day", -10, peak)


def fewer_site_changes(v: Variables) -> Term:
    """Fewer sites an inspector goes to in a day: after the first, each is at least one change of
    site (exactly one when the sessions at a site are held together)."""
    visits: dict[tuple[str, int], dict[str, cp_model.IntVar]] = {}  # (inspector, day) -> site -> visited
    for inspector in v.inspection.inspectors:
        for oid, lit in v.attendance.get(inspector.id, []):
            for day in v.on_day[oid]:
                on = v.attends_on(inspector.id, oid, lit, day)
                for site, at in v.site[oid].items():
                    sites = visits.setdefault((inspector.id, day), {})
                    if site not in sites:
                        sites[site] = v.model.new_bool_var(f"visits[{inspector.id},{day},{site}]")
                    v.model.add_bool_or([on.negated(), at.negated(), sites[site]])
    # The first site of a day is no change: one credit a day for an inspector at any site at all.
    firsts = []
    for (inspector_id, day), sites in visits.items():
        first = v.model.new_bool_var(f"first_site[{inspector_id},{day}]")
        v.model.add_bool_or([first.negated(), *sites.values()])
        firsts.append(first)
    return Term("site changes of inspectors (sites in a day after the first)", -5,
                sum(x for sites in visits.values() for x in sites.values()) - sum(firsts))


def fewer_late_sessions(v: Variables) -> Term:
    """Fewer sessions ending after 17:00."""
    late = []
    for options in v.candidates:
        oid = options.occurrence.id
        ok = [t for t in options.starts if t % DAY + options.duration <= LATE]
        if len(ok) == len(options.starts):
            continue
        is_late = v.model.new_bool_var(f"late[{oid}]")
        if ok:
            v.model.add_linear_expression_in_domain(
                v.start[oid], cp_model.Domain.from_values(ok)).only_enforce_if(is_late.negated())
        else:
            v.model.add(is_late == v.held[oid])
        v.model.add_implication(is_late, v.held[oid])
        late.append(is_late)
    return Term("sessions ending after 17:00", -1, sum(late))


TIE_BREAKERS = (pools_filled, balanced_inspector_loads, fewer_site_changes, fewer_late_sessions)


def tie_break_terms(v: Variables) -> list[Term]:
    return [term(v) for term in TIE_BREAKERS]


def total(terms: list[Term]) -> cp_model.LinearExprT:
    return sum(t.weight * t.expression for t in terms)
