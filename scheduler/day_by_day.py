"""Day by day: one day of the week, then two, searched again with every other day held as it is.

A whole-week search spends its turns on neighbourhoods CP-SAT picks at random; what it leaves on
the table is often one day's puzzle (which sessions share an inspector's afternoon, which room
takes which), and with the other four days held, that day is a model a fifth the size which one
worker often proves optimal in a second. Measured on bench/'s weeks after a 60 s solve (seed 1,
one worker per day): the bundled example 3646 -> 3705 in 5.3 s, every day proven; the 110-row week
2956 -> 2967 (its bound 2968) in 4.7 s; the 250-row week (120 s) 7093 -> 7130 in 103 s, no day
proven in 1 unit. Where single days stall, two days at a time let sessions change day: from the
example's 3635, Monday with Wednesday gave 3705 in 0.5 units (7.6 s).

The days' model is the week's own (scheduler.week_model), on candidates narrowed so: a session
held on another day keeps exactly its start, room and people; every other occurrence may start on
the open days only. Rules reaching across days (an inspector's weekly minutes) then see the other
days as fixed, so each answer keeps every rule of the whole week.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from itertools import combinations

from ortools.sat.python import cp_model

from models import Session
from scheduler.candidates import DAY, Candidates, Options
from scheduler.search import Watcher, make_solver, run_search


def deterministic_per_second(week_variables: int) -> float:
    """The deterministic units one worker searching days does per second on a week model of this
    many variables. Measured (one worker, model building included): the bundled example's days
    (5,300 variables in the week) 0.76 units in 5.3 s, so 0.14 a second; the 250-row week's
    (31,600) 5 units in 103 s, 0.05. A day's model grows with the week, so the rate is taken to
    fall as the square root of its size (which gives 0.057 at 250 rows); never above 0.14."""
    return 0.14 * min(1.0, (5300 / max(1, week_variables)) ** 0.5)


# Less than this left, a day's search could hardly finish building its model.
MIN_DAY_BUDGET = 0.01

# Two days need longer than one to gain anything: on the example, Monday with Wednesday found
# nothing in 0.2 units and gained 70 in 0.5. While the units last, each pair gets at least this.
PAIR_UNITS = 0.5

# A day's search: (the week's candidates narrowed to that day, the timetable to start from, its
# deterministic budget) -> (a timetable it found or None, the deterministic time it spent, whether
# it was interrupted).
DaySearch = Callable[[Candidates, list[Session], float], tuple[list[Session] | None, float, bool]]


def search_open_days(model: cp_model.CpModel, read: Callable[[cp_model.CpSolver], list[Session]], *, seed: int,
                     deterministic: float, watcher: Watcher | None) -> tuple[list[Session] | None, float, bool]:
    """One search of the open days' model (its objective and hint set), by one worker, as a
    DaySearch returns it. Stopped before it began (Ctrl-C, Stop), it counts its whole budget."""
    solver = make_solver(seed, 1, deterministic=deterministic)
    status, interrupted = run_search(solver, model, watcher)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, deterministic, interrupted
    return read(solver), solver.deterministic_time, interrupted


def days_open(candidates: Candidates, sessions: list[Session], days: tuple[int, ...]) -> Candidates:
    """The candidates with every session held on another day kept exactly as it is, and every
    other occurrence allowed to start on `days` only."""
    held = {s.occurrence_id: s for s in sessions}

    def narrow(options: Options) -> Options:
        options = candidates.narrow(options)
        session = held.get(options.occurrence.id)
        if session is not None and session.day not in days:
            return options.held_as(session)
        return replace(options, starts=tuple(t for t in options.starts if t // DAY in days))
    return Candidates(candidates.inspection, narrow)


def day_by_day(candidates: Candidates, sessions: list[Session], search: DaySearch,
               better: Callable[[list[Session], list[Session]], bool],
               deterministic: float) -> tuple[list[Session], float, bool]:
    """Search each day in turn (Monday first) around the best timetable so far, keeping what
    `better` prefers, and go round the week again while a day gains: a day changed opens new
    choices to the others. Once a round gains nothing, two days at a time (a session may then
    change day), and after any gain there, single days again. It ends when a round of pairs gains
    nothing or the `deterministic` units are spent; in each round a search may spend its even
    share of what the searches before it left (a pair at least PAIR_UNITS). Returns the timetable,
    the units spent and whether a search was interrupted (Ctrl-C or Stop: nothing is searched
    after it)."""
    days = sorted({t // DAY for options in candidates for t in options.starts})
    # (the neighbourhoods of a round, the least a search of it may spend while units are left)
    rounds = [([(day,) for day in days], 0.0), (list(combinations(days, 2)), PAIR_UNITS)]
    left, level = deterministic, 0
    while left > MIN_DAY_BUDGET and level < len(rounds):
        gained = False
        hoods, least = rounds[level]
        for i, hood in enumerate(hoods):
            if left <= MIN_DAY_BUDGET:
                break
            share = min(left, max(least, left / (len(hoods) - i)))
            found, spent, interrupted = search(days_open(candidates, sessions, hood), sessions, share)
            left -= spent
            if found is not None and better(found, sessions):
                sessions, gained = found, True
            if interrupted:
                return sessions, deterministic - left, True
        level = 0 if gained else level + 1
    return sessions, deterministic - left, False


__all__ = ["DaySearch", "day_by_day", "days_open", "deterministic_per_second", "search_open_days"]
