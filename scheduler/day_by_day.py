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
the open days only. Rules reaching across days (`after`) then see the other days as fixed, so each
answer keeps every rule of the whole week.

With two workers, two days (or two pairs of days) that share none are searched at once, one
worker each, from the same timetable, and what each gained on its own days is put together. Two
answers can clash only through what neither day held before (both placing one left-out
occurrence, or `after` between two of them), so the whole is kept only when the week's model
accepts it (WeekModel.keeps_every_rule); else the better answer alone.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from itertools import combinations

from ortools.sat.python import cp_model

from models import Session
from scheduler.candidates import DAY, Candidates, Options
from scheduler.search import Watcher, make_solver, run_search, run_together


DAY_UNITS_PER_SECOND = 0.06


def deterministic_per_second(week_variables: int) -> float:
    """The deterministic units one worker searching days does per second on a week model of this
    many variables, model building included. Measured with two days searched at once on an idle
    machine (seed 1, from the first day's search to the last one's end): the bundled example (5,300
    variables) 5.40 units in 45 s, 0.060 a second; the 110-row week (6,700) 4.82 in 33 s, 0.073; the
    250-row week (31,600) 4.42 in 43 s, 0.051; the 600-row week (151,000) 2.02 in 42 s, 0.024 (on a
    busy machine). So 0.06, falling slowly with the week's size: 0.058 at 110 rows, 0.046 at 250 and
    0.036 at 600. The square root of the size (0.031 at 250 rows) left the 250-row week 25 s of its
    120 unused."""
    return DAY_UNITS_PER_SECOND * min(1.0, (5300 / max(1, week_variables)) ** 0.15)


# A search given less than this finds nothing: on the 250-row week, searches of 0.034 units each
# took 2-4 s (presolve, mostly) and gained nothing.
MIN_DAY_BUDGET = 0.1

# Two days need longer than one to gain anything: on the example, Monday with Wednesday found
# nothing in 0.2 units and gained 70 in 0.5. While the units last, each pair gets at least this.
# Not more, so that a round reaches every pair: with 0.5, the example's seed 5 ran out after 8 of
# the 10 and stayed at 3634; with 0.25 each got 0.41 and the tenth (Monday with Thursday) gained 89.
PAIR_UNITS = 0.25

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


def together(hoods: list[tuple[int, ...]], parallel: int) -> list[tuple[tuple[int, ...], ...]]:
    """The neighbourhoods in batches of up to `parallel` that share no day, so that each batch's
    answers can be put together. The hood with the fewest partners left goes first: the ten pairs
    of five days then make five batches of two."""
    left, batches = list(hoods), []

    def partners(hood, pool) -> int:
        return sum(not set(hood) & set(other) for other in pool)

    while left:
        batch = [min(left, key=lambda hood: partners(hood, left))]
        while len(batch) < parallel:
            fits = [h for h in left if h not in batch and not any(set(h) & set(b) for b in batch)]
            if not fits:
                break
            batch.append(min(fits, key=lambda hood: partners(hood, left)))
        batches.append(tuple(sorted(batch)))
        left = [h for h in left if h not in batch]
    return batches


def put_together(sessions: list[Session], answers: list[tuple[tuple[int, ...], list[Session]]]) -> list[Session] | None:
    """One timetable from answers for days that share none: each answer's sessions on its own days,
    the rest as `sessions` hold them. None when two answers hold the same occurrence (each placed
    what the timetable had left out)."""
    days = {day for hood, _ in answers for day in hood}
    out = [s for s in sessions if s.day not in days]
    for hood, found in answers:
        out.extend(s for s in found if s.day in hood)
    ids = [s.occurrence_id for s in out]
    return out if len(ids) == len(set(ids)) else None


def day_by_day(candidates: Candidates, sessions: list[Session], search: DaySearch,
               better: Callable[[list[Session], list[Session]], bool], deterministic: float, *,
               parallel: int = 1, keeps_rules: Callable[[list[Session]], bool] | None = None,
               proven: Callable[[list[Session]], bool] | None = None) -> tuple[list[Session], float, bool]:
    """Search each day in turn (Monday first) around the best timetable so far, keeping what
    `better` prefers, and go round the week again while a day gains: a day changed opens new
    choices to the others. Once a round gains nothing, two days at a time (a session may then
    change day), and after any gain there, single days again. It ends when a round of pairs gains
    nothing or the `deterministic` units are spent; in each round a search may spend its even
    share of what the searches before it left (a pair at least PAIR_UNITS).

    With `parallel` > 1, that many neighbourhoods sharing no day are searched at once from the same
    timetable (`together`), and their gains put together when `keeps_rules` accepts the whole
    (rules such as `after` can reach from one day to another); else the best gain is kept.
    `proven` says a timetable reaches the bound known beforehand: nothing better exists, so the
    search ends there (a re-plan after a window moved reached it after 14 s of 25).
    Returns the timetable, the units spent and whether a search was interrupted (Ctrl-C or Stop:
    nothing is searched after it)."""
    days = sorted({t // DAY for options in candidates for t in options.starts})
    # (the neighbourhoods of a round, the least a search of it may spend while units are left)
    rounds = [([(day,) for day in days], 0.0), (list(combinations(days, 2)), PAIR_UNITS)]
    left, level = deterministic, 0
    while left > MIN_DAY_BUDGET and level < len(rounds):
        gained = False
        hoods, least = rounds[level]
        waiting = len(hoods)
        for batch in together(hoods, parallel):
            share = min(left / len(batch), max(least, left / waiting))
            if share < MIN_DAY_BUDGET:
                break
            waiting -= len(batch)
            start = sessions
            answers = run_together([partial(search, days_open(candidates, start, hood), start, share)
                                    for hood in batch])
            left -= sum(spent for _, spent, _ in answers)
            gains = [(hood, found) for hood, (found, _, _) in zip(batch, answers)
                     if found is not None and better(found, start)]
            for _, found in gains:
                if better(found, sessions):
                    sessions = found
            whole = put_together(start, gains) if len(gains) > 1 and keeps_rules is not None else None
            if whole is not None and better(whole, sessions) and keeps_rules(whole):
                sessions = whole
            gained = gained or bool(gains)
            if any(interrupted for _, _, interrupted in answers):
                return sessions, deterministic - left, True
            if gains and proven is not None and proven(sessions):
                return sessions, deterministic - left, False
        level = 0 if gained else level + 1
    return sessions, deterministic - left, False


__all__ = ["DaySearch", "day_by_day", "days_open", "deterministic_per_second", "put_together",
           "search_open_days", "together"]
