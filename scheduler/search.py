"""Running CP-SAT: solver parameters, the progress callback, and a search Ctrl-C can stop."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator

from ortools.sat.python import cp_model

from models import TimeLimitReached

Progress = Callable[[float, int, int, int], None]  # elapsed, objective, bound, sessions held

STATUS = {cp_model.OPTIMAL: "OPTIMAL", cp_model.FEASIBLE: "FEASIBLE",
          cp_model.INFEASIBLE: "INFEASIBLE", cp_model.MODEL_INVALID: "MODEL_INVALID"}


def make_solver(seed: int, workers: int, time_limit: float | None = None, deterministic: float | None = None):
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.random_seed = seed
    p.num_workers = workers
    # Probing and repeated presolve passes cost many seconds on weeks of 100+ rows (measured:
    # 21 s of presolve at 110 rows, 8 s after) for little gain: the hint already gives a timetable.
    p.catch_sigint_signal = False  # run_search turns Ctrl-C into stop_search itself
    p.cp_model_probing_level = 0
    p.max_presolve_iterations = 1
    if time_limit is not None:
        p.max_time_in_seconds = max(0.05, time_limit)
    if deterministic is not None:
        p.max_deterministic_time = deterministic
    return solver


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


def run_search(solver: cp_model.CpSolver, model: cp_model.CpModel, callback=None) -> tuple[int, bool]:
    """Solve in a worker thread so that Ctrl-C (or `stoppable`'s event) reaches Python at once: it
    stops the search, and whatever timetable was found so far is kept. Returns (status, interrupted)."""
    stop = _STOP.get()
    if stop is not None and stop.is_set():
        return cp_model.UNKNOWN, True
    outcome: dict[str, int] = {}
    done = threading.Event()  # not Thread.join: a join cut short by Ctrl-C can lose track of the thread

    def search() -> None:
        try:
            outcome["status"] = solver.solve(model, callback)
        finally:
            done.set()

    threading.Thread(target=search, daemon=True).start()
    interrupted = False
    while not done.is_set():
        try:
            done.wait(0.1)
        except KeyboardInterrupt:
            interrupted = True
            solver.stop_search()
        if stop is not None and stop.is_set() and not interrupted:
            interrupted = True
            solver.stop_search()
    return outcome.get("status", cp_model.UNKNOWN), interrupted


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
