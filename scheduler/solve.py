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
from scheduler.candidates import DAY, Candidates
from scheduler.explain import explain_infeasible, precheck
from scheduler.greedy import greedy_timetable
from scheduler.objective import held_weight, tie_break_terms, total
from scheduler.redundant import REDUNDANT
from scheduler.rules import post_rules
from scheduler.unscheduled import unscheduled_reasons
from scheduler.search import Progress, Watcher, make_solver, run_search
from scheduler.variables import Variables


# Phase 2's budget in deterministic time (about 4-8 wall seconds on these machines): measured on a
# 40-row week, 0.5 and 2.0 found the same tie-break value, so the shorter one.
TIE_BREAK_DETERMINISTIC_TIME = 0.5




class WeekModel:
    """The CP-SAT model of one inspection week, with its variables and objective pieces."""

    def __init__(self, inspection: Inspection, explain: bool = False, narrow=None):
        self.inspection = inspection
        self.model = cp_model.CpModel()
        self.candidates = Candidates(inspection, narrow)
        self.vars = Variables(self.model, inspection, self.candidates, explain=explain)
        post_rules(self.vars)
        if not explain:
            for cut in REDUNDANT:
                cut(self.vars)
        self.held_weight = held_weight(self.vars)

    def hint(self, sessions: list[Session]) -> None:
        """Start the search from a known timetable. Every variable the rules create is hinted
        (sites, lunch breaks, and-literals too): a complete hint is taken as a first solution
        straight after presolve instead of being repaired by search."""
        v, m = self.vars, self.model
        m.clear_hints()
        values: dict[int, int] = {v.true.index: 1}

        def put(var, value) -> None:
            if var.index >= 0 and var.index not in values:
                values[var.index] = int(value)
                m.add_hint(var, int(value))

        by_id = {s.occurrence_id: s for s in sessions}
        for options in self.candidates:
            oid = options.occurrence.id
            s = by_id.get(oid)
            put(v.held[oid], s is not None)
            put(v.start[oid], s.day * DAY + s.start if s else options.starts[0] if options.starts else 0)
            for day, lit in v.on_day[oid].items():
                put(lit, s is not None and day == s.day)
            for room_id, lit in v.room[oid].items():
                put(lit, s is not None and room_id == s.room_id)
            for site, lit in v.site[oid].items():
                put(lit, s is not None and self.inspection.room_by_id[s.room_id].site == site
                    and not self.inspection.room_by_id[s.room_id].virtual)
            for inspector, lit in v.inspector[oid].items():
                put(lit, s is not None and inspector in s.inspector_ids)
            for person, lit in v.pool[oid].items():
                put(lit, s is not None and person in s.attendee_ids)
        for (inspector, day), var in v.lunch.items():
            put(var, _lunch_start(self.inspection, sessions, inspector, day))

        def value(lit) -> int | None:
            if lit.index >= 0:
                return values.get(lit.index)
            positive = values.get(-lit.index - 1)
            return None if positive is None else 1 - positive

        for index, (a, b) in v.and_parts.items():  # in creation order: parts come first
            va, vb = value(a), value(b)
            if va is not None and vb is not None:
                put(m.get_bool_var_from_proto_index(index), va and vb)
        for var, offset, terms in v.definitions:  # likewise in creation order
            parts = [value(t) for _, t in terms]
            if None not in parts:
                put(var, offset + sum(c * p for (c, _), p in zip(terms, parts)))

    def read(self, solver: cp_model.CpSolver) -> list[Session]:
        v = self.vars
        sessions = []
        for options in self.candidates:
            oid = options.occurrence.id
            if not solver.boolean_value(v.held[oid]):
                continue
            start = solver.value(v.start[oid])
            room = next(r for r, lit in v.room[oid].items() if solver.boolean_value(lit))
            inspectors = tuple(i for i, lit in v.inspector[oid].items() if solver.boolean_value(lit))
            pool = tuple(p for p, lit in v.pool[oid].items() if solver.boolean_value(lit))
            sessions.append(Session(
                occurrence_id=oid, activity_id=options.occurrence.activity.id,
                day=start // DAY, start=start % DAY, end=start % DAY + options.duration, room_id=room,
                inspector_ids=inspectors, attendee_ids=tuple(options.named_attendees) + pool,
            ))
        return sessions


def _lunch_start(inspection: Inspection, sessions: list[Session], inspector: str, day: int) -> int:
    """The earliest free lunch break of an inspector on a day, in week minutes."""
    st = inspection.settings
    busy = sorted((s.start, s.end) for s in sessions if s.day == day and inspector in s.inspector_ids)
    for t in [st.lunch_earliest] + [e for _, e in busy]:
        if st.lunch_earliest <= t <= st.lunch_latest - st.lunch_minutes and all(
                e <= t or b >= t + st.lunch_minutes for b, e in busy):
            return day * DAY + t
    return day * DAY + st.lunch_earliest


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
        missing = tuple(dict.fromkeys(o.activity.id for o in inspection.occurrences
                                      if o.is_must and o.id not in placed))
        raise Infeasible([f"the time limit ({time_limit:g} s) was reached before a timetable holding "
                          "every must was found; no conflict was proven, so a longer --time-limit may "
                          "find one. The quick first-fit could not place: "
                          + ", ".join(f"'{inspection.activity_by_id[a].title}'" for a in missing)],
                         minimal=False, activity_ids=missing)
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
            raise AssertionError("the solver broke a rule (a bug):\n" + "\n".join(violations))
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
