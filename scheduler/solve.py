"""Solve the week: build the CP-SAT model, search, read the answer back into a domain Timetable.

Two phases, for speed and reproducibility:
1. `held weight` (SPEC §4.1) alone, on all workers, hinted with the greedy first-fit timetable, under
   the wall-time limit. This is where the proof of optimality comes from.
2. When phase 1 proved its answer optimal: the held weight is fixed at that optimum and the
   tie-breakers of §4.2 are optimised by ONE worker under a deterministic-time limit. One worker
   with a deterministic limit follows the same path every run, so the same input and seed give the
   same timetable, whichever of the equal-weight optima phase 1's parallel workers happened on.
"""
from __future__ import annotations

import time

from ortools.sat.python import cp_model

from models import Infeasible, Inspection, Session, SolveResult, Timetable
from scheduler.explain import explain_infeasible
from scheduler.greedy import greedy_timetable
from scheduler.objective import tie_break_terms, total
from scheduler.precheck import precheck
from scheduler.search import Progress, Watcher, make_solver, run_search, time_limit_reached
from scheduler.unscheduled import unscheduled_reasons
from scheduler.week_model import WeekModel


# Phase 2's budget in deterministic time (about 4-8 wall seconds on these machines): measured on a
# 40-row week, 0.5 and 2.0 found the same tie-break value, so the shorter one.
TIE_BREAK_DETERMINISTIC_TIME = 0.5


def solve(inspection: Inspection, *, time_limit: float = 60.0, seed: int = 0, workers: int = 2,
          on_progress: Progress | None = None, check: bool = True) -> SolveResult:
    """Build the best timetable found within the time limit (see the module docstring)."""
    started = time.monotonic()
    week = WeekModel(inspection)
    for options in week.candidates:  # cheap reasons first: one must on its own cannot be held
        if options.occurrence.is_must and (reasons := precheck(inspection, options)):
            raise Infeasible(reasons, activity_ids=(options.occurrence.activity.id,))
    built = time.monotonic() - started
    greedy = greedy_timetable(inspection, week.candidates)
    week.hint(greedy)
    week.model.maximize(week.held_weight)

    solver = make_solver(seed, workers, time_limit=time_limit - (time.monotonic() - started))
    watcher = Watcher(week, started, on_progress)
    status, interrupted = run_search(solver, week.model, watcher)
    phase1 = time.monotonic() - started
    if status == cp_model.INFEASIBLE and not interrupted:
        explain_infeasible(inspection)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if interrupted:
            raise KeyboardInterrupt
        placed = {s.occurrence_id for s in greedy}
        raise time_limit_reached(time_limit, {o.activity.id: o.activity.title for o in inspection.occurrences
                                              if o.is_must and o.id not in placed})
    objective = int(round(solver.objective_value))
    bound = int(round(solver.best_objective_bound))
    sessions = week.read(solver)
    proven = status == cp_model.OPTIMAL

    if proven and not interrupted:
        sessions = _tie_break(week, seed, objective, greedy, time_limit - (time.monotonic() - started)) or sessions
    wall = time.monotonic() - started
    timetable = Timetable(inspection, tuple(sessions))
    timetable = Timetable(inspection, timetable.sessions, unscheduled_reasons(timetable, week.candidates))
    if check:
        from checker import check_timetable
        violations = check_timetable(timetable)
        if violations:
            raise AssertionError("the solver broke a rule (a bug):\n" + "\n".join(map(str, violations)))
    stats = (
        ("variables", len(week.model.proto.variables)),
        ("constraints", len(week.model.proto.constraints)),
        ("build_seconds", round(built, 3)),
        ("greedy_weight", Timetable(inspection, tuple(greedy)).held_weight),
        ("greedy_sessions", len(greedy)),
        ("best_seconds", watcher.best_at),
        ("phase1_seconds", round(phase1, 3)),
    )
    return SolveResult(
        status="OPTIMAL" if proven else "FEASIBLE", timetable=timetable, objective=objective,
        best_bound=objective if proven else max(bound, objective), wall_seconds=round(wall, 3),
        seed=seed, first_solution_seconds=watcher.first_at, stats=stats, interrupted=interrupted,
    )


def _tie_break(week: WeekModel, seed: int, optimum: int, greedy: list[Session], seconds_left: float):
    """Phase 2: the §4.2 tie-breakers at the fixed optimum, by one deterministic worker. Deterministic
    time, not wall time, must be what stops each try for the answer to be reproducible; a try that
    finds nothing is followed by a longer one while time is left."""
    deadline = time.monotonic() + seconds_left
    model = week.model
    model.add(week.held_weight >= optimum)
    model.maximize(total(tie_break_terms(week.vars)))
    week.hint(greedy)
    budget = TIE_BREAK_DETERMINISTIC_TIME
    while deadline - time.monotonic() > 0.5:
        solver = make_solver(seed, 1, time_limit=deadline - time.monotonic(), deterministic=budget)
        status, interrupted = run_search(solver, model)
        if interrupted:
            return None
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return week.read(solver)
        budget *= 4
    return None
