"""Solve the week: build the CP-SAT model, search, read the answer back into a domain Timetable.

Two phases, for speed and reproducibility:
1. `held weight` (SPEC §4.1) alone, on all workers, hinted with the first-fit timetable (what it
   left out making way where it can: scheduler.greedy.first_fit_start), under
   the deterministic budget that --time-limit stands for (scheduler.search.deterministic_budget).
   Its workers interleave deterministically, so the answer is the same every run, proven or not.
2. When phase 1 proved its answer optimal: the held weight is fixed at that optimum and the
   tie-breakers of §4.2 are optimised by ONE worker with what is left of the deterministic budget.
"""
from __future__ import annotations

import time

from ortools.sat.python import cp_model

from models import Infeasible, Inspection, Session, SolveResult, Timetable
from scheduler.explain import explain_infeasible
from scheduler.greedy import first_fit_start, greedy_timetable
from scheduler.objective import tie_break_terms, total
from scheduler.precheck import impossible_musts
from scheduler.search import (Progress, Watcher, deterministic_budget, make_solver, run_search, stopped_by_clock,
                              time_limit_reached)
from scheduler.unscheduled import unscheduled_reasons
from scheduler.week_model import WeekModel


# Phase 2's budget in deterministic time (about 4-8 wall seconds on these machines): measured on a
# 40-row week, 0.5 and 2.0 found the same tie-break value, so the shorter one.
TIE_BREAK_DETERMINISTIC_TIME = 0.5
TIE_BREAK_SHARE = 0.5


def solve(inspection: Inspection, *, time_limit: float = 60.0, seed: int = 0, workers: int = 2,
          on_progress: Progress | None = None, check: bool = True) -> SolveResult:
    """Build the best timetable found within the time limit (see the module docstring)."""
    started = time.monotonic()
    week = WeekModel(inspection)
    for activity_id, reasons in impossible_musts(inspection, week.candidates)[:1]:
        raise Infeasible(reasons, activity_ids=(activity_id,))  # cheap: one must on its own
    built = time.monotonic() - started
    greedy = greedy_timetable(inspection, week.candidates)
    start = first_fit_start(inspection, week.candidates, greedy)
    week.hint(start)
    week.model.maximize(week.held_weight)

    # The whole limit, not what the clock leaves of it after building: the budget must not depend
    # on how fast this machine built the model, or two runs would search for different lengths.
    solver = make_solver(seed, workers, time_limit=time_limit)
    watcher = Watcher(week, started, on_progress)
    status, interrupted = run_search(solver, week.model, watcher)
    phase1 = time.monotonic() - started
    if status == cp_model.INFEASIBLE and not interrupted:
        explain_infeasible(inspection)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if interrupted:
            raise KeyboardInterrupt
        placed = {s.occurrence_id for s in start}
        raise time_limit_reached(time_limit, {o.activity.id: o.activity.title for o in inspection.occurrences
                                              if o.is_must and o.id not in placed})
    objective = int(round(solver.objective_value))
    bound = int(round(solver.best_objective_bound))
    sessions = week.read(solver)
    proven = status == cp_model.OPTIMAL
    greedy_weight = Timetable(inspection, tuple(greedy)).held_weight
    start_weight = Timetable(inspection, tuple(start)).held_weight
    if objective < start_weight and _holds_every_must(inspection, start):
        # Never worse than the quick start (a search cut short can end below its own hint).
        sessions, objective = list(start), start_weight

    clock_stopped = stopped_by_clock(solver)
    if proven and not interrupted:
        # Half the time limit on one worker: a fixed budget, never what phase 1 left, as phase 1
        # stops once proven at a moment the clock chooses (scheduler.search.run_search).
        left = deterministic_budget(TIE_BREAK_SHARE * time_limit, 1)
        sessions = _tie_break(week, seed, objective, start, left) or sessions
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
        ("greedy_weight", greedy_weight),
        ("greedy_sessions", len(greedy)),
        ("start_weight", start_weight),
        ("best_seconds", watcher.best_at),
        ("phase1_seconds", round(phase1, 3)),
        ("deterministic_time", round(solver.deterministic_time, 3)),
        ("deterministic_budget", round(deterministic_budget(time_limit, workers), 3)),
        ("stopped_by_clock", clock_stopped),
    )
    return SolveResult(
        status="OPTIMAL" if proven else "FEASIBLE", timetable=timetable, objective=objective,
        best_bound=objective if proven else max(bound, objective), wall_seconds=round(wall, 3),
        seed=seed, first_solution_seconds=watcher.first_at, stats=stats, interrupted=interrupted,
    )


def _holds_every_must(inspection: Inspection, sessions: list[Session]) -> bool:
    held = {s.occurrence_id for s in sessions}
    return all(o.id in held for o in inspection.occurrences if o.is_must)


def _tie_break(week: WeekModel, seed: int, optimum: int, start: list[Session], left: float):
    """Phase 2: the §4.2 tie-breakers at the fixed optimum, by one worker. A try that finds nothing
    is followed by a longer one while what is left of the deterministic budget allows."""
    model = week.model
    model.add(week.held_weight >= optimum)
    model.maximize(total(tie_break_terms(week.vars)))
    week.hint(start)
    budget = TIE_BREAK_DETERMINISTIC_TIME
    while left > 0:
        solver = make_solver(seed, 1, deterministic=min(budget, left))
        status, interrupted = run_search(solver, model)
        if interrupted:
            return None
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return week.read(solver)
        left -= min(budget, left)
        budget *= 4
    return None
