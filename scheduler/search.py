"""Running CP-SAT: solver parameters, the progress callback, and a search Ctrl-C can stop."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator, TypeVar

from ortools.sat.python import cp_model

from models import TimeLimitReached

T = TypeVar("T")
Progress = Callable[[float, int, int, int], None]  # elapsed, objective, bound, sessions held

STATUS = {cp_model.OPTIMAL: "OPTIMAL", cp_model.FEASIBLE: "FEASIBLE",
          cp_model.INFEASIBLE: "INFEASIBLE", cp_model.MODEL_INVALID: "MODEL_INVALID"}


# --- time: what --time-limit means ---------------------------------------------------------------
# Every search stops on CP-SAT's deterministic time (a count of work done, the same on every run and
# every machine), never on the clock, so the same input, seed and options give the same timetable
# whether or not it is proven optimal. --time-limit S is turned into a deterministic budget by the
# calibration below: S seconds of the given number of workers, each on a core of its own.
#
# Measured on an idle machine (2 cores, bench/, the solver settings of make_solver) in CPU time,
# which is what the search itself used, so the figures hold on a busy machine too. Interleaved
# search, 2 workers: the bundled example 5.11 units in 169 CPU-s and the 110-row week 4.85 in 164,
# so 0.03 units per CPU-second. A larger week is not steady: on the 250-row week the LP worker's
# first step counts 6.7-9 units in 13-33 s (up to 0.3 a second), while an LNS step counts 0.1 in
# 3-25 s. A rate scaled up with the model's size to fill the time at 250 rows ran for 18 minutes
# instead of 2, once the LNS steps had the budget; 0.03 ends the 250-row week in about 85 s of 120,
# and the 600-row week, where the LP worker's first step alone runs past the budget, in 360-390 s.
# One plain worker, 110 rows: 1.15 units in 39.6 CPU-s, so 0.03.
# On a loaded machine a run takes longer than S by about load/cores, and gives the same answer.
DETERMINISTIC_PER_CPU_SECOND = 0.03   # interleaved search (2+ workers)
DETERMINISTIC_PER_CPU_SECOND_ONE_WORKER = 0.03
# The clock is only a safety net against a machine many times slower than the calibration: a run
# stopped by it is not reproducible (SolveResult.stats say so). Generous on purpose.
WALL_SAFETY_FACTOR = 10.0
WALL_SAFETY_SECONDS = 60.0


# The travel-free first search's share of a solve's or re-plan's time (scheduler.solve). Measured on
# bench/'s weeks, seed 1, 2 workers: 0.4 gave the 110-row week 2956-2963 in 60 s (the single search:
# 2881) and the 250-row week 7074 in 120 s (6860); 0.25 gave 110 rows 2851, as its shorter search
# repaired worse.
TRAVEL_FREE_SHARE = 0.4

WEAK_FULL_SUBSOLVERS = ("fixed", "no_lp", "quick_restart", "quick_restart_no_lp", "pseudo_costs",
                        "reduced_costs", "max_lp_sym")
INTERLEAVE_BATCH = 8
# The deterministic limit is checked between batches, and a batch's wall grows with the model (each
# LNS step works on a copy of it): on the 600-row week (141,000 variables without travel) each step
# took 7-66 s for its 0.1 units, so one batch of 8 ran 130 s, and the first search ended at 138 s
# instead of its 48. Above this many variables a batch is smaller, in proportion, down to 2.
LARGE_MODEL_VARIABLES = 40_000


def batch_size(variables: int) -> int:
    """Tasks per batch of the interleaved search on a model of this many variables."""
    return max(2, min(INTERLEAVE_BATCH, INTERLEAVE_BATCH * LARGE_MODEL_VARIABLES // max(1, variables)))


def deterministic_budget(seconds: float, workers: int) -> float:
    """The deterministic time that `seconds` of search on `workers` idle cores stands for."""
    rate = DETERMINISTIC_PER_CPU_SECOND if workers > 1 else DETERMINISTIC_PER_CPU_SECOND_ONE_WORKER
    return max(0.01, seconds) * workers * rate


def seconds_of(deterministic: float, workers: int) -> float:
    """The inverse of deterministic_budget: calibrated seconds for a deterministic time."""
    return deterministic / deterministic_budget(1.0, workers)


def make_solver(seed: int, workers: int, time_limit: float | None = None, deterministic: float | None = None):
    """A CP-SAT solver that gives the same answer on every run: its parallel workers interleave
    deterministically, and it stops on deterministic time, `deterministic` units or else the
    calibrated equivalent of `time_limit` seconds (see deterministic_budget). Run it with
    run_search, which drops a hint the interleaved search could crash on (_drop_unproven_hint) and
    sets the batch size for the model (batch_size)."""
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.random_seed = seed
    p.num_workers = workers
    # Parallel workers take turns in fixed batches instead of racing, so what they share and when
    # does not depend on thread timing. One worker is deterministic as it is.
    p.interleave_search = workers > 1
    # Probing and repeated presolve passes cost many seconds on weeks of 100+ rows (measured:
    # 21 s of presolve at 110 rows, 8 s after) for little gain: the hint already gives a timetable.
    p.catch_sigint_signal = False  # run_search turns Ctrl-C into stop_search itself
    p.cp_model_probing_level = 0
    p.max_presolve_iterations = 1
    if p.interleave_search:
        # Measured on the bundled example (60 s, bench/): the full-search workers below found nothing
        # that LNS and `core` did not, while each of their turns costs a whole deterministic unit;
        # without them LNS gets more turns (3694 against 3605). Batches of 8 give LNS more turns again
        # (3713, gap 0.8 %, in the same deterministic time). The batch size is set by run_search,
        # which knows the model (batch_size: INTERLEAVE_BATCH, smaller on large models).
        p.ignore_subsolvers.extend(WEAK_FULL_SUBSOLVERS)
    if deterministic is None and time_limit is not None:
        deterministic = deterministic_budget(time_limit, workers)
    if deterministic is not None:
        p.max_deterministic_time = deterministic
        p.max_time_in_seconds = WALL_SAFETY_FACTOR * seconds_of(deterministic, workers) + WALL_SAFETY_SECONDS
    return solver


def stopped_by_clock(solver: cp_model.CpSolver) -> bool:
    """The safety net stopped the search (the answer may differ on another run)."""
    p = solver.parameters
    return solver.wall_time >= p.max_time_in_seconds - 0.5 and solver.deterministic_time < p.max_deterministic_time


# A Stop button is Ctrl-C for a search run outside the main thread (the workbench's): set, it ends
# every search of the solve or what-if under way, which then keeps what it found, as after Ctrl-C.
_STOP: ContextVar[threading.Event | None] = ContextVar("stop", default=None)


@contextmanager
def stoppable(stop: threading.Event) -> Iterator[None]:
    """Searches run by this thread inside the block stop, like on Ctrl-C, once `stop` is set."""
    token = _STOP.set(stop)
    try:
        yield
    finally:
        _STOP.reset(token)


def stop_requested() -> bool:
    """This thread runs inside `stoppable` and its Stop has been pressed (a sweep of many
    searches checks between answers; run_search checks on its own)."""
    stop = _STOP.get()
    return stop is not None and stop.is_set()


def hint_is_solution(model: cp_model.CpModel) -> bool:
    """The model's hint keeps every constraint: every hinted variable fixed, without presolve, and
    whatever is left unhinted found by a short search. 0.1 CPU-s at 110 rows, 2.9 at 600."""
    check = cp_model.CpSolver()
    p = check.parameters
    p.num_workers = 1
    p.catch_sigint_signal = False
    p.fix_variables_to_their_hinted_value = True
    p.cp_model_presolve = False
    p.stop_after_first_solution = True
    p.max_deterministic_time = 0.5
    p.max_time_in_seconds = WALL_SAFETY_SECONDS
    return check.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def _drop_unproven_hint(solver: cp_model.CpSolver, model: cp_model.CpModel) -> None:
    """CP-SAT 9.15's interleaved search aborts the whole process ("Check failed:
    heuristics.fixed_search != nullptr") when the model has no solution at all and carries a hint
    (seen on an infeasible week and a re-plan whose musts cannot all be held). A hint that is itself
    a solution proves that cannot happen; any other hint is dropped before an interleaved search."""
    if not solver.parameters.interleave_search or not len(model.proto.solution_hint.vars):
        return
    if not hint_is_solution(model):
        model.clear_hints()


def run_search(solver: cp_model.CpSolver, model: cp_model.CpModel, callback=None) -> tuple[int, bool]:
    """Solve in a worker thread so that Ctrl-C (or `stoppable`'s event) reaches Python at once: it
    stops the search, and whatever timetable was found so far is kept. Once a worker of the
    interleaved search has proven the answer optimal, the search stops then rather than when the
    batch under way ends (a `core` worker's turn ran 10 s more on a re-plan proven at 4.6 s); the
    timetable is the same, as nothing better can be found after the proof. Returns (status,
    interrupted)."""
    stop = _STOP.get()
    if stop is not None and stop.is_set():
        return cp_model.UNKNOWN, True
    _drop_unproven_hint(solver, model)
    if solver.parameters.interleave_search:
        solver.parameters.interleave_batch_size = batch_size(len(model.proto.variables))
    outcome: dict[str, int] = {}
    done = threading.Event()  # not Thread.join: a join cut short by Ctrl-C can lose track of the thread

    def search() -> None:
        try:
            outcome["status"] = solver.solve(model, callback)
        finally:
            done.set()

    def stop_soon() -> None:
        # CP-SAT 9.15's interleaved search aborts the process when stopped in the instant between
        # reporting the hint as its first solution and starting its batches (reproduced: a stop
        # from the first solution callback; 0.2 s later is safe). Half a second of grace.
        if solver.parameters.interleave_search:
            threading.Timer(0.5, solver.stop_search).start()
        else:
            solver.stop_search()

    proven = threading.Event()
    if solver.parameters.interleave_search:
        _on_proof(solver, proven.set)
    threading.Thread(target=search, daemon=True).start()
    interrupted = stopping = False
    while not done.is_set():
        try:
            done.wait(0.1)
        except KeyboardInterrupt:
            if not interrupted:
                interrupted = True
                stop_soon()
        if stop is not None and stop.is_set() and not interrupted:
            interrupted = True
            stop_soon()
        if proven.is_set() and not stopping and not interrupted:
            stopping = True
            stop_soon()
    return outcome.get("status", cp_model.UNKNOWN), interrupted


def _on_proof(solver: cp_model.CpSolver, then: Callable[[], None]) -> None:
    """Call `then` when a worker of the interleaved search has finished it: its search space is
    exhausted, so the answer is proven. CP-SAT 9.15 reports that only in its log ("#Done"), not
    to the bound callback, so the log is read, never printed."""
    p = solver.parameters
    p.log_search_progress = True
    p.log_to_stdout = False
    solver.log_callback = lambda line: then() if line.startswith("#Done") else None


def run_together(searches: list[Callable[[], T]]) -> list[T]:
    """Run each search in a thread of its own, all at once (CP-SAT works outside Python's lock),
    and return their results in the order given. Ctrl-C, or the Stop of an enclosing `stoppable`,
    stops every one of them (run_search then keeps what each found). One search runs here."""
    if len(searches) == 1:
        return [searches[0]()]
    stop, outer = threading.Event(), _STOP.get()
    results: list = [None] * len(searches)
    errors: list[BaseException] = []
    running = [len(searches)]
    lock, done = threading.Lock(), threading.Event()  # not Thread.join (see run_search)

    def run(i: int, search: Callable[[], T]) -> None:
        try:
            with stoppable(stop):
                results[i] = search()
        except BaseException as error:  # raised again below, in the caller's thread
            errors.append(error)
        finally:
            with lock:
                running[0] -= 1
                if not running[0]:
                    done.set()

    for i, search in enumerate(searches):
        threading.Thread(target=run, args=(i, search), daemon=True).start()
    while not done.is_set():
        try:
            done.wait(0.1)
        except KeyboardInterrupt:
            stop.set()
        if outer is not None and outer.is_set():
            stop.set()
    if errors:
        raise errors[0]
    return results


class Watcher(cp_model.CpSolverSolutionCallback):
    """Reports each improving timetable (for the progress line) and when the first and best came."""

    def __init__(self, week, started: float, on_progress: Progress | None):  # week: a WeekModel
        super().__init__()
        self.week, self.started, self.on_progress = week, started, on_progress
        self.first_at: float | None = None
        self.best_at: float | None = None

    def on_solution_callback(self) -> None:
        elapsed = time.monotonic() - self.started
        if self.first_at is None:
            self.first_at = elapsed
        self.best_at = elapsed
        if self.on_progress:
            held = sum(self.boolean_value(h) for h in self.week.vars.held.values())
            self.on_progress(elapsed, int(self.objective_value), int(self.best_objective_bound), held)


def time_limit_reached(time_limit: float, not_placed: dict[str, str] | None = None) -> TimeLimitReached:
    """The search stopped with no timetable holding every must and nothing proven: the limit was
    too short. `not_placed` (activity id -> title): the musts the quick first-fit could not place
    either, worth naming when there are any (they are no proof of a clash)."""
    reasons = [f"the time limit ({time_limit:g} s) ran out before a timetable holding every must was "
               "found, and no clash between the musts was proven: give a longer --time-limit"]
    if not_placed:
        reasons.append("the quick first-fit could not place these musts either: "
                       + ", ".join(f"'{title}'" for title in not_placed.values()))
    return TimeLimitReached(reasons, activity_ids=tuple(not_placed or ()))
