"""Say why: the smallest set of requirements found that cannot all hold, as plain sentences.

Two steps. Cheap pre-checks first, one must at a time (a window shorter than the session, no room
that fits, too few inspectors of an inspectorate, a named person or inspector never free when it
could be held). Then the model itself: every requirement family gets a switch literal (see
Variables.guard), the solver is asked, on one worker and with no objective, which switches are
sufficient for infeasibility, and a deletion filter drops each switch whose removal still leaves
the problem infeasible, within a time budget.
"""
from __future__ import annotations

import time

from ortools.sat.python import cp_model

from models import DAYS, Infeasible, Inspection, Occurrence, format_minutes
from models.inspection import PRACTITIONER_ONLY_TYPES
from scheduler.candidates import Candidates, Options, free_starts, minimum_headcount

Requirement = tuple[str, str]


# --- words ----------------------------------------------------------------------------------
def _title(inspection: Inspection, occurrence_id: str) -> str:
    occ = inspection.occurrence_by_id[occurrence_id]
    day = f" on {DAYS[occ.days[0]]}" if occ.activity.recurs_daily else ""
    return f"'{occ.activity.title}'{day}"


def _names(inspection: Inspection, ids) -> str:
    out = []
    for i in ids:
        who = inspection.inspector_by_id.get(i) or inspection.person_by_id.get(i) or inspection.room_by_id.get(i)
        out.append(f"{who.name} ({i})" if who else i)
    return ", ".join(out)


def _when(inspection: Inspection, occ: Occurrence) -> str:
    a = occ.activity
    days = "/".join(DAYS[d] for d in occ.days)
    if a.fixed_time is not None:
        return f"at {days} {format_minutes(a.fixed_time)}"
    s = inspection.settings
    lo = format_minutes(a.earliest if a.earliest is not None else s.day_start)
    hi = format_minutes(a.latest if a.latest is not None else s.day_end)
    return f"on {days} between {lo} and {hi}"


def _who_parts(inspection: Inspection, occ: Occurrence, inspectors_only: bool = False) -> list[str]:
    a = occ.activity
    parts = []
    if a.all_inspectors:
        parts.append("every inspector free at the time")
    if a.inspectors:
        parts.append(_names(inspection, a.inspectors))
    if a.inspectorates:
        parts.append(" and ".join(f"one {k} inspector" if k != "any" else "one more inspector"
                                  for k in a.inspectorates))
    if a.attendees and not inspectors_only:
        parts.append(_names(inspection, a.attendees))
    return parts


def _who(inspection: Inspection, occ: Occurrence) -> str:
    parts = _who_parts(inspection, occ)
    return f" with {'; '.join(parts)}" if parts else ""


def sentence(inspection: Inspection, requirement: Requirement, sites: tuple[str, ...] = ()) -> str:
    """One requirement in words; `sites` are the fixed sites of the musts in the same conflict."""
    kind, subject = requirement
    s = inspection.settings
    if kind == "must":
        occ = inspection.occurrence_by_id[subject]
        return (f"{_title(inspection, subject)} must be held {_when(inspection, occ)} "
                f"({occ.activity.duration} minutes){_who(inspection, occ)}.")
    name = _names(inspection, [subject])
    if kind == "unavailable":
        periods = "; ".join(
            f"{DAYS[d]} " + ("all day" if (a, b) == (0, 1440) else f"{format_minutes(a)}-{format_minutes(b)}")
            for d, a, b in inspection.unavailable.get(subject, ()))
        return f"{name} is unavailable ({periods})."
    if kind == "one place at a time":
        return f"{name} cannot be in two sessions at once."
    if kind == "travel":
        legs = [f"{a}-{b} {inspection.travel_minutes(a, b)} minutes"
                for i, a in enumerate(sites) for b in sites[i + 1:]]
        return f"{name} needs time to travel between sites{' (' + '; '.join(legs) + ')' if legs else ''}."
    if kind == "lunch":
        return (f"{name} needs a {s.lunch_minutes}-minute lunch break between "
                f"{format_minutes(s.lunch_earliest)} and {format_minutes(s.lunch_latest)}.")
    if kind == "contact minutes":
        return f"{name} may have at most {s.max_inspector_contact_minutes} minutes of sessions a day."
    if kind == "sessions a day":
        return f"{name} may attend at most {s.max_person_sessions_per_day} sessions a day."
    title = _title(inspection, subject)
    a = inspection.occurrence_by_id[subject].activity
    if kind == "room size":
        return f"{title} needs a room for everyone attending."
    if kind == "accessible room":
        return f"{title} needs an accessible room for an attendee."
    if kind == "inspectors":
        return f"{title} needs {'; '.join(_who_parts(inspection, inspection.occurrence_by_id[subject], True))}."
    if kind == "apart from managers":
        return f"{title} may not include anyone's line manager."
    if kind == "after":
        return f"{title} must start after {', '.join(repr(inspection.activity_by_id[x].title) for x in a.after)} ends."
    if kind == "pool":
        return f"{title} needs at least {a.pool_min} free member(s) of the pool '{a.pool}'."
    return f"{title}: {kind}."


# --- pre-checks -----------------------------------------------------------------------------
def precheck(inspection: Inspection, options: Options) -> list[str]:
    """Reasons, on its own, that one occurrence cannot be held (empty: none found)."""
    occ, a = options.occurrence, options.occurrence.activity
    title = _title(inspection, occ.id)
    if not options.starts:
        return [f"{title} lasts {a.duration} minutes but can only be held {_when(inspection, occ)}, "
                f"inside the day's hours {format_minutes(inspection.settings.day_start)}-"
                f"{format_minutes(inspection.settings.day_end)}: no start time fits."]
    if not options.rooms:
        return [_no_room(inspection, occ)]
    reasons = []
    for item in sorted(set(a.inspectorates)):
        if item == "any":
            continue
        named = [i for i in a.inspectors if inspection.inspector_by_id[i].inspectorate == item]
        have = [i.id for i in inspection.inspectors if i.inspectorate == item and i.id not in named]
        need = a.inspectorates.count(item)
        if len(have) < need:
            reasons.append(f"{title} needs {need} {item} inspector(s) besides those named, "
                           f"but the inspection has {len(have)}{': ' + ', '.join(have) if have else ''}.")
    for resource in a.inspectors + a.attendees + ((a.room,) if a.room else ()):
        if not free_starts(inspection, resource, options.starts, options.duration):
            reasons.append(f"{title} must be held {_when(inspection, occ)} with {_names(inspection, [resource])}, "
                           f"but {_names(inspection, [resource])} is unavailable at every such time.")
    if a.type in PRACTITIONER_ONLY_TYPES:
        for person in a.attendees:
            for manager in inspection.managers_above(person):
                if manager in a.attendees:
                    reasons.append(f"{title} is a {a.type.replace('_', ' ')}, which keeps practitioners apart "
                                   f"from their managers, but its attendees include "
                                   f"{_names(inspection, [person])} and their line manager {_names(inspection, [manager])}.")
    if a.pool:
        free = [m for m in options.pool_members if free_starts(inspection, m, options.starts, options.duration)]
        if len(free) < a.pool_min:
            reasons.append(f"{title} needs at least {a.pool_min} member(s) of the pool '{a.pool}', "
                           f"but only {len(free)} are ever free when it could be held.")
    return reasons


def _no_room(inspection: Inspection, occ: Occurrence) -> str:
    a, title = occ.activity, _title(inspection, occ.id)
    need = minimum_headcount(inspection, occ)
    physical = [r for r in inspection.rooms if not r.virtual]
    if a.room:
        room = inspection.room_by_id[a.room]
        return (f"{title} must be held in {room.name} ({room.id}), which does not fit it "
                f"(mode {a.mode}, {need} people, capacity {room.capacity}, "
                f"{'accessible' if room.accessible else 'not accessible'}).")
    if a.mode == "virtual":
        return f"{title} is to be held online, but there is no virtual room."
    if a.site:
        physical = [r for r in physical if r.site == a.site]
    accessible = any(inspection.person_by_id[p].needs_accessible for p in a.attendees)
    biggest = max((r.capacity or 0 for r in physical), default=0)
    if biggest < need:
        where = f" at {a.site}" if a.site else ""
        return f"{title} needs a room for {need} people, but the largest room{where} holds {biggest}."
    if accessible:
        return f"{title} needs an accessible room{' at ' + a.site if a.site else ''} for {need} people, but there is none."
    return f"{title} has no room that fits its mode, site and size."


# --- the core -------------------------------------------------------------------------------
def _solve_with(model: cp_model.CpModel, assumptions, seconds: float) -> int:
    """One worker: CP-SAT reports the assumptions behind an infeasibility only then."""
    from scheduler.search import make_solver

    model.clear_assumptions()
    model.add_assumptions(assumptions)
    solver = make_solver(seed=0, workers=1, time_limit=max(0.1, seconds))
    return solver.solve(model), solver


def infeasible_core(inspection: Inspection, budget: float = 20.0, narrow=None) -> tuple[list[Requirement], bool]:
    """A small set of requirements that cannot all hold, and whether it is proven minimal.
    `narrow` cuts the options as for the week model (a what-if's past, `now` and baseline)."""
    from scheduler.greedy import greedy_timetable
    from scheduler.solve import WeekModel

    deadline = time.monotonic() + budget
    week = WeekModel(inspection, explain=True, narrow=narrow)
    week.hint(greedy_timetable(inspection, week.candidates))  # most trials are feasible: start near one
    guards = week.vars.guards
    by_lit = {lit.index: key for key, lit in guards.items()}
    status, solver = _solve_with(week.model, list(guards.values()), deadline - time.monotonic())
    if status in (cp_model.FEASIBLE, cp_model.OPTIMAL):
        return [], True  # nothing clashes
    if status != cp_model.INFEASIBLE:
        return [], False
    core = [by_lit[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_lit]
    minimal = True
    for key in sorted(core, key=lambda k: k[0] == "must"):  # drop the other requirements first
        left = deadline - time.monotonic()
        if left <= 0:
            minimal = False
            break
        trial = [guards[k] for k in core if k != key]
        status, _ = _solve_with(week.model, trial, left)
        if status == cp_model.INFEASIBLE:
            core.remove(key)
        elif status != cp_model.FEASIBLE and status != cp_model.OPTIMAL:
            minimal = False
    return sorted(core, key=lambda k: (k[0] != "must", k)), minimal


def explanation(inspection: Inspection, budget: float = 20.0, narrow=None) -> tuple[list[str], bool]:
    """Sentences saying why the musts cannot all be held (none: they can), and whether the set
    is minimal."""
    candidates = Candidates(inspection, narrow)
    for options in candidates:
        if options.occurrence.is_must:
            reasons = precheck(inspection, options)
            if reasons:
                return reasons, True
    core, minimal = infeasible_core(inspection, budget, narrow)
    if not core and minimal:
        return [], True
    if not core:
        return (["no timetable holding every must was found in the time given "
                 "(no conflict was proven: try a longer --time-limit)"], False)
    musts = [inspection.occurrence_by_id[k[1]].activity for k in core if k[0] == "must"]
    sites = tuple(sorted({a.site or inspection.room_by_id[a.room].site for a in musts
                          if a.site or (a.room and inspection.room_by_id[a.room].site)}))
    return [sentence(inspection, key, sites) for key in core], minimal


def involved_activities(inspection: Inspection, reasons: list[str]) -> tuple[str, ...]:
    """The must activities an explanation names (by their quoted title)."""
    return tuple(a.id for a in inspection.activities
                 if a.is_must and any(f"'{a.title}'" in r for r in reasons))


def explain_infeasible(inspection: Inspection, budget: float = 20.0) -> None:
    """Raise Infeasible with the explanation."""
    reasons, minimal = explanation(inspection, budget)
    raise Infeasible(reasons, minimal=minimal, activity_ids=involved_activities(inspection, reasons))
