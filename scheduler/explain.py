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

from models import Infeasible, Inspection, format_minutes
from models.inspection import period_text
from scheduler.candidates import Candidates
from scheduler.greedy import greedy_timetable
from scheduler.precheck import impossible_musts, names_of, occurrence_title, when_allowed, who_parts, with_whom
from scheduler.search import make_solver
from scheduler.week_model import WeekModel

Requirement = tuple[str, str]


def sentence(inspection: Inspection, requirement: Requirement, sites: tuple[str, ...] = ()) -> str:
    """One requirement in words; `sites` are the fixed sites of the musts in the same conflict."""
    kind, subject = requirement
    s = inspection.settings
    if kind == "must":
        occ = inspection.occurrence_by_id[subject]
        return (f"{occurrence_title(inspection, subject)} must be held {when_allowed(inspection, occ)} "
                f"({occ.activity.duration} minutes){with_whom(inspection, occ)}.")
    name = names_of(inspection, [subject])
    if kind == "unavailable":
        periods = "; ".join(period_text(d, a, b) for d, a, b in inspection.unavailable.get(subject, ()))
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
    title = occurrence_title(inspection, subject)
    a = inspection.occurrence_by_id[subject].activity
    if kind == "room size":
        return f"{title} needs a room for everyone attending."
    if kind == "accessible room":
        return f"{title} needs an accessible room for an attendee."
    if kind == "inspectors":
        return f"{title} needs {'; '.join(who_parts(inspection, inspection.occurrence_by_id[subject], True))}."
    if kind == "apart from managers":
        return f"{title} may not include anyone's line manager."
    if kind == "after":
        return f"{title} must start after {', '.join(repr(inspection.activity_by_id[x].title) for x in a.after)} ends."
    if kind == "pool":
        return f"{title} needs at least {a.pool_min} free member(s) of the pool '{a.pool}'."
    return f"{title}: {kind}."


# --- the core -------------------------------------------------------------------------------
def _solve_with(model: cp_model.CpModel, assumptions, seconds: float) -> int:
    """One worker: CP-SAT reports the assumptions behind an infeasibility only then."""
    model.clear_assumptions()
    model.add_assumptions(assumptions)
    solver = make_solver(seed=0, workers=1, time_limit=max(0.1, seconds))
    return solver.solve(model), solver


def infeasible_core(inspection: Inspection, budget: float = 20.0, narrow=None) -> tuple[list[Requirement], bool]:
    """A small set of requirements that cannot all hold, and whether it is proven minimal.
    `narrow` cuts the options as for the week model (a what-if's past, `now` and baseline)."""
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
    for _, reasons in impossible_musts(inspection, Candidates(inspection, narrow))[:1]:
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
