"""Solve the week: build the CP-SAT model, search, read the answer back into a domain Timetable.

The phases, for speed and reproducibility:
0. `held weight` (SPEC §4.1) on the week without the travel rule (fast: _travel_free), from the
   best of four first-fit timetables (what each left out making way where it can:
   scheduler.greedy.best_first_fit_start);
   what the answer breaks of travel is then repaired first fit (scheduler.greedy.repaired). When
   the search found nothing beyond its hint, the best first fit placing fixed high sessions first
   takes the hint's place if it holds more (_fixed_high_first_if_better).
1. `held weight` alone on the whole week, on all workers, from the better of those two starts,
   with what phase 0 left of their budget (LEFT_FOR_PHASE_1): the deterministic budget that
   --time-limit stands for (scheduler.search.deterministic_budget) less IMPROVING_SHARE. Their
   workers interleave deterministically, so the answer is the same every run, proven or not.
2. Unless proven: what phase 1's answer left out makes way where it can (_polished); steps of
   ruin and recreate (scheduler.ruin_recreate) for RUIN_SHARE of the time limit; then each day is
   searched again with the other four held as they are (scheduler.day_by_day), one worker per day
   and as many days at once as there are workers, for the rest of IMPROVING_SHARE.
3. When the answer is proven optimal: the held weight is fixed at that optimum and the
   tie-breakers of §4.2 are optimised by ONE worker with what is left of the deterministic budget.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from models import Infeasible, Inspection, Session, SolveResult, Timetable
from scheduler.candidates import Candidates
from scheduler.day_by_day import day_by_day, deterministic_per_second, search_open_days
from scheduler.explain import explain_infeasible
from scheduler.greedy import (best_first_fit_start, fixed_high_first, greedy_timetable, musts_then_weight,
                              repaired)
from scheduler.objective import tie_break_terms, total
from scheduler.precheck import impossible_musts
from scheduler.ruin_recreate import ruin_steps, ruined_and_recreated
from scheduler.search import (Progress, Watcher, deterministic_budget, make_solver, run_search,
                              stopped_by_clock, time_limit_reached)
from scheduler.unscheduled import unscheduled_reasons
from scheduler.week_model import WeekModel


# Phase 3's budget in deterministic time (about 4-8 wall seconds on these machines): measured on a
# 40-row week, 0.5 and 2.0 found the same tie-break value, so the shorter one.
TIE_BREAK_DETERMINISTIC_TIME = 0.5
TIE_BREAK_SHARE = 0.5
# The share of --time-limit for improving the start (phase 2), the rest being phase 0's: once there
# is a start, steps aimed at what is left out, and days searched again, gain far more than the
# whole-week search (see LEFT_FOR_PHASE_1; the days added 40-110 on bench/'s weeks, docs/SEARCH.md).
IMPROVING_SHARE = 0.6
# Of it, what ruin and recreate (scheduler.ruin_recreate) takes first, in steps that stand for this
# part of --time-limit; the days search the rest. Measured (bench/, seed 1; the example, 110, 250 and
# 600 rows): all to the days 3715, 2967, 7140, 16795; 0.3 3733, 2967, 7168, 16948; 0.45 3715, 2966,
# 7151, 16949. At 600 rows the steps gain 153 where the days gained 1.
RUIN_SHARE = 0.3

# Phase 1 runs only on what phase 0 left of their budget, when that is more than this part of it:
# phase 0 then proved the week without travel and stopped early (small weeks, which phase 1 proves
# optimal with travel too), or gave no start. Else its start goes straight to the days: measured
# on bench/'s weeks (seed 1), phase 1 added 1-11 to it (the example 3603 -> 3614, 110 rows 2846 ->
# 2856, 250 rows 7064 -> 7074 for a first turn of 45 s, 600 rows nothing in 10 minutes), while with
# phase 0 given the whole budget, its start was better (the example seeds 0-2: 3704, 3603, 3684
# against 3504, 3475, 3684 with 40 % of it) and the days then reached 3733, 3725, 3742.
LEFT_FOR_PHASE_1 = 0.1


def solve(inspection: Inspection, *, time_limit: float = 60.0, seed: int = 0, workers: int = 2,
          on_progress: Progress | None = None, check: bool = True) -> SolveResult:
    """Build the best timetable found within the time limit (see the module docstring)."""
    started = time.monotonic()
    week = WeekModel(inspection)
    for activity_id, reasons in impossible_musts(inspection, week.candidates)[:1]:
        raise Infeasible(reasons, activity_ids=(activity_id,))  # cheap: one must on its own
    built = time.monotonic() - started
    greedy = greedy_timetable(inspection, week.candidates)
    first = best_first_fit_start(inspection, week.candidates, greedy)
    # The whole limit, not what the clock leaves of it after building: the budget must not depend
    # on how fast this machine built the model, or two runs would search for different lengths.
    variables = len(week.model.proto.variables)
    budget = (1 - IMPROVING_SHARE) * deterministic_budget(time_limit, workers)
    travel_free = _travel_free(inspection, week, first, seed=seed, workers=workers, deterministic=budget,
                               started=started, on_progress=on_progress)
    start = travel_free.start
    if travel_free.stuck and not travel_free.interrupted:
        start = _fixed_high_first_if_better(inspection, week.candidates, start)
    start_weight = Timetable(inspection, tuple(start)).held_weight

    holds_musts = _holds_every_must(inspection, start)
    if travel_free.interrupted and not holds_musts:
        raise KeyboardInterrupt  # Ctrl-C before any timetable holding every must
    left = budget - travel_free.deterministic_time
    if travel_free.proven or travel_free.interrupted or (holds_musts and left <= LEFT_FOR_PHASE_1 * budget):
        # Proven, Ctrl-C, or phase 0 spent the budget: the repaired timetable is the answer so far.
        status, interrupted = (cp_model.OPTIMAL if travel_free.proven else cp_model.FEASIBLE), travel_free.interrupted
        sessions, objective, bound = list(start), start_weight, travel_free.bound
        clock_stopped, spent, watcher = travel_free.clock_stopped, travel_free.deterministic_time, travel_free.watcher
        searched_whole_week = False
    else:
        week.hint(start)
        week.model.maximize(week.held_weight)
        # What phase 0 left; with no timetable holding every must yet, never less than half the
        # budget: without one there is no answer at all.
        solver = make_solver(seed, workers, deterministic=left if holds_musts else max(left, budget / 2))
        watcher = Watcher(week, started, on_progress)
        status, interrupted = run_search(solver, week.model, watcher)
        if status == cp_model.INFEASIBLE and not interrupted:
            explain_infeasible(inspection)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if interrupted:
                raise KeyboardInterrupt
            placed = {s.occurrence_id for s in start}
            raise time_limit_reached(time_limit, {o.activity.id: o.activity.title for o in inspection.occurrences
                                                  if o.is_must and o.id not in placed})
        objective = int(round(solver.objective_value))
        # The travel-free search's bound holds too: it searched a wider week.
        bound = min(int(round(solver.best_objective_bound)), travel_free.bound)
        sessions = week.read(solver)
        clock_stopped = stopped_by_clock(solver) or travel_free.clock_stopped
        spent = travel_free.deterministic_time + solver.deterministic_time
        searched_whole_week = True
    phase1 = time.monotonic() - started
    proven = status == cp_model.OPTIMAL or objective >= bound
    greedy_weight = Timetable(inspection, tuple(greedy)).held_weight
    if objective < start_weight and holds_musts:
        # Never worse than the quick start (a search cut short can end below its own hint).
        sessions, objective = list(start), start_weight
    searched = polished = ruined = objective
    best_at = watcher.best_at
    if not proven and not interrupted:
        if searched_whole_week:  # phase 0's start was made the same way already (greedy.repaired)
            sessions, objective = _polished(inspection, week.candidates, sessions, objective)
            polished = objective
        sessions, objective, recreated_at, interrupted = _ruined_and_recreated(
            inspection, week.candidates, sessions, objective, bound, seed=seed, started=started,
            on_progress=on_progress, seconds=RUIN_SHARE * time_limit)
        ruined, best_at = objective, recreated_at or best_at
        if not interrupted:
            days = (IMPROVING_SHARE - RUIN_SHARE) * time_limit * deterministic_per_second(variables) * workers
            sessions, objective, spent_on_days, improved_at, interrupted = _day_by_day(
                week, sessions, bound, seed=seed, started=started, on_progress=on_progress, parallel=workers,
                deterministic=days)
            spent += spent_on_days
            best_at = improved_at or best_at
        proven = objective >= bound

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
        ("first_fit_start_weight", Timetable(inspection, tuple(first)).held_weight),
        ("travel_free_weight", travel_free.weight),
        ("start_weight", start_weight),
        ("searched_weight", searched),  # before the polish
        ("polished_weight", polished),  # before ruin and recreate
        ("ruined_weight", ruined),  # before day by day
        ("best_seconds", best_at),
        ("phase1_seconds", round(phase1, 3)),
        ("deterministic_time", round(spent, 3)),
        ("deterministic_budget", round(budget, 3)),
        ("stopped_by_clock", clock_stopped),
    )
    return SolveResult(
        status="OPTIMAL" if proven else "FEASIBLE", timetable=timetable, objective=objective,
        best_bound=objective if proven else max(bound, objective), wall_seconds=round(wall, 3),
        seed=seed, first_solution_seconds=travel_free.watcher.first_at or watcher.first_at, stats=stats,
        interrupted=interrupted,
    )


@dataclass(frozen=True)
class TravelFree:
    """What phase 0 gives phase 1: a start keeping every rule, a bound on the held weight, and
    whether that start is already proven best."""

    start: list[Session]
    weight: int | None  # the travel-free timetable's held weight (None: no search was run)
    bound: int
    proven: bool
    interrupted: bool
    deterministic_time: float
    clock_stopped: bool
    watcher: Watcher
    stuck: bool = False  # the search found nothing beyond its hint, nor proved it best


def _travel_free(inspection: Inspection, week: WeekModel, first: list[Session], *, seed: int, workers: int,
                 deterministic: float, started: float, on_progress: Progress | None) -> TravelFree:
    """Phase 0: search the week without rule 4 (travel), then repair what breaks it (greedy.repaired).

    The travel rule is most of the model's weight (per-site cumulatives for every inspector and
    person), and without it each LNS step of the search is several times faster: on the 110-row
    week the travel-free search reached 2960 in 25 s, where the full one stood at 2851. Most of its
    sessions keep travel as they are; those that do not are re-placed. The travel-free bound is a
    bound on the real week too. The progress line meanwhile shows the first fit's weight, a
    timetable that exists, against that bound."""
    first_weight = Timetable(inspection, tuple(first)).held_weight
    relaxed = week.without_travel()
    report = None if on_progress is None else (
        lambda elapsed, _objective, bound, _held: on_progress(elapsed, first_weight, bound, len(first)))
    watcher = Watcher(relaxed or week, started, report)
    every_optional = sum(o.activity.weight for o in inspection.occurrences if not o.is_must)
    if relaxed is None:  # a week on one site: nothing to relax, phase 1 searches it all
        return TravelFree(first, None, every_optional, False, False, 0.0, False, watcher)
    relaxed.hint(first)
    relaxed.model.maximize(relaxed.held_weight)
    solver = make_solver(seed, workers, deterministic=deterministic)
    status, interrupted = run_search(solver, relaxed.model, watcher)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # Phase 1 finds out why, and says so (the solver may not have run: a Stop before it began).
        return TravelFree(first, None, every_optional, False, interrupted, 0.0, False, watcher)
    start, weight, holds_musts = first, first_weight, _holds_every_must(inspection, first)
    if not holds_musts or solver.objective_value > first_weight:
        # Repaired only when it found more than the start: on the 600-row week it found nothing in
        # its budget, and the repair (making way again, any weight) took 42 s to add 2.
        fixed = repaired(inspection, week.candidates, relaxed.read(solver))
        fixed_weight = Timetable(inspection, tuple(fixed)).held_weight
        if _holds_every_must(inspection, fixed) and (not holds_musts or fixed_weight >= first_weight):
            start, weight, holds_musts = fixed, fixed_weight, True
    bound = int(round(solver.best_objective_bound))
    proven = holds_musts and weight >= bound
    return TravelFree(start, int(round(solver.objective_value)), bound, proven, interrupted,
                      solver.deterministic_time, stopped_by_clock(solver), watcher,
                      stuck=not proven and solver.objective_value <= first_weight)


def _fixed_high_first_if_better(inspection: Inspection, candidates: Candidates,
                                start: list[Session]) -> list[Session]:
    """The best first fit placing musts and high sessions at a fixed time first
    (greedy.fixed_high_first), when it holds more than `start` (phase 0's hint, which its search
    could not better). On the 600-row week phase 0 finds nothing beyond its hint, 16488, and this
    holds 16794: the team meeting of every inspector, a must free to move, no longer takes the only
    times of two high observations. Where the search finds more, it makes the answer, not the start
    (bench/, seed 1): as phase 0's hint (6909 against 6650) the 250-row week ended at 6934, not
    7140; in place of phase 0's repaired answer the example ended at 3706, not 3715."""
    other = best_first_fit_start(inspection, candidates, order=fixed_high_first)
    if musts_then_weight(inspection, other) > musts_then_weight(inspection, start):
        return other
    return start


def _polished(inspection: Inspection, candidates: Candidates, sessions: list[Session],
              weight: int) -> tuple[list[Session], int]:
    """What the search left out may still fit by making way: greedy.repaired keeps every session
    that fits (all do here), then tries chains of moves for each one left out, which LNS seldom
    finds. The better of the two timetables, with its held weight. Measured on the bundled
    example, 60 s (bench/): seed 1 3635 -> 3646, seed 3 3634 -> 3683, seed 5 3635 -> 3674."""
    polished = repaired(inspection, candidates, sessions)
    better = Timetable(inspection, tuple(polished)).held_weight
    if better > weight and _holds_every_must(inspection, polished):
        return polished, better
    return sessions, weight


def _ruined_and_recreated(inspection: Inspection, candidates: Candidates, sessions: list[Session], weight: int,
                          bound: int, *, seed: int, started: float, on_progress: Progress | None, seconds: float):
    """Phase 2's steps of ruin and recreate (scheduler.ruin_recreate), as many as `seconds` of the
    time limit stand for: the timetable, its held weight, when (s) the last gain came (None: none
    did) and whether Ctrl-C or Stop came. The progress line shows each gain against the bound."""
    gained_at = None

    def gain(held_weight: int, held: int) -> None:
        nonlocal gained_at
        gained_at = round(time.monotonic() - started, 3)
        if on_progress is not None:
            on_progress(gained_at, held_weight, bound, held)
    steps = ruin_steps(seconds, len(inspection.occurrences))
    recreated, interrupted = ruined_and_recreated(inspection, candidates, sessions, steps=steps, seed=seed,
                                                  on_gain=gain)
    better = Timetable(inspection, tuple(recreated)).held_weight
    if better > weight:
        return recreated, better, gained_at, interrupted
    return sessions, weight, None, interrupted


def _day_by_day(week: WeekModel, sessions: list[Session], bound: int, *, seed: int, started: float,
                on_progress: Progress | None, deterministic: float, parallel: int = 1):
    """Each day searched again, by one worker, `parallel` days at once, with the rest of the week
    held as it is (see scheduler.day_by_day): the timetable, its held weight, the deterministic
    time spent, when (s) the last gain came (None: none did) and whether Ctrl-C or Stop came. The
    progress line shows the week's held weight against the week's bound."""
    inspection = week.inspection
    improved_at = None

    def weight_of(found: list[Session]) -> int:
        return Timetable(inspection, tuple(found)).held_weight

    shown = [weight_of(sessions)]  # the progress line never goes back (two days report at once)
    lock = threading.Lock()

    def report(elapsed: float, objective: int, _bound: int, held: int) -> None:
        with lock:
            if objective <= shown[0]:
                return
            shown[0] = objective
        on_progress(elapsed, objective, bound, held)

    def search(candidates: Candidates, start: list[Session], budget: float):
        day = WeekModel(inspection, candidates=candidates)
        day.hint(start)
        day.model.maximize(day.held_weight)
        return search_open_days(day.model, day.read, seed=seed, deterministic=budget,
                                watcher=Watcher(day, started, report if on_progress else None))

    def better(found: list[Session], best: list[Session]) -> bool:
        nonlocal improved_at
        if weight_of(found) > weight_of(best) and _holds_every_must(inspection, found):
            improved_at = round(time.monotonic() - started, 3)  # as the search that found it ended
            return True
        return False

    sessions, spent, interrupted = day_by_day(week.candidates, sessions, search, better, deterministic,
                                              parallel=parallel, keeps_rules=week.keeps_every_rule,
                                              proven=lambda found: weight_of(found) >= bound)
    return sessions, weight_of(sessions), spent, improved_at, interrupted


def _holds_every_must(inspection: Inspection, sessions: list[Session]) -> bool:
    held = {s.occurrence_id for s in sessions}
    return all(o.id in held for o in inspection.occurrences if o.is_must)


def _tie_break(week: WeekModel, seed: int, optimum: int, start: list[Session], left: float):
    """Phase 3: the §4.2 tie-breakers at the fixed optimum, by one worker. A try that finds nothing
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
