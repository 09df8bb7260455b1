"""What the workbench's buttons do, as library calls on a Workspace (no web code): the same
functions the CLI calls, into the same output folders.

A search runs in a background thread (`Jobs`): one at a time per workspace (a lock file, so a
second server on the same folder is refused too), its progress kept for the page to poll, and a
Stop that ends the search the way Ctrl-C ends the CLI's: the best timetable found is kept.
"""
from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from models import Infeasible, InputError, ScheduleError, SolveResult
from models.changes import Change, WhatIf
from workbench.workspace import Run, Workspace

log = logging.getLogger("workbench")

LOCK = ".lock"


# --- one search into one output folder ------------------------------------------------------------
def solve_into(source: Path, out_dir: Path, *, time_limit: float, seed: int = 0, workers: int = 2,
               on_progress=None) -> SolveResult:
    """`schedule solve SOURCE --out OUT_DIR`: the timetable, or (musts that cannot all hold) the
    explanation folder and Infeasible raised."""
    from exporters.folder import check_replaceable, write_infeasible_error, write_output
    from loader import load_inspection
    from scheduler import solve

    inspection = load_inspection(source)
    check_replaceable(out_dir, {"input": source})
    started = time.monotonic()
    try:
        result = solve(inspection, time_limit=time_limit, seed=seed, workers=workers, on_progress=on_progress)
    except Infeasible as err:
        write_infeasible_error(out_dir, inspection, err, source, seed, time.monotonic() - started)
        raise
    write_output(result, out_dir, source=source)
    return result


def replan_into(source: Path, baseline_dir: Path, request: WhatIf, out_dir: Path, *, time_limit: float,
                seed: int = 0, workers: int = 2, on_progress=None,
                on_engine_done: Callable[[], None] | None = None) -> tuple[SolveResult, tuple[Change, ...]]:
    """`schedule whatif SOURCE --baseline BASELINE_DIR ... --out OUT_DIR`: the re-planned folder
    with changes.csv and outbox/, and the changes. `on_engine_done` is told when the search has
    returned, before the folder is written (the bench times the result's way to the screen)."""
    from exporters.folder import check_replaceable, read_baseline, write_infeasible_error, write_replan_output
    from loader import load_inspection
    from scheduler.whatif import whatif

    inspection = load_inspection(source)
    baseline, _ = read_baseline(baseline_dir, inspection)  # against its input/: edits since are re-planned
    check_replaceable(out_dir, {"input": source, "baseline": baseline_dir})
    started = time.monotonic()
    try:
        result = whatif(inspection, baseline, request, time_limit=time_limit, seed=seed, workers=workers,
                        on_progress=on_progress)
    except Infeasible as err:
        write_infeasible_error(out_dir, inspection, err, source, seed, time.monotonic() - started)
        raise
    if on_engine_done:
        on_engine_done()
    return result, write_replan_output(result, out_dir, source, baseline, inspection, request, baseline_dir)


def replan_request(inspection, who: str, from_text: str, away: str = "") -> WhatIf:
    """'IN3' or 'Ines Hale' drops out from 'Wed 09:00' (blank: from the start of the week), as
    `schedule whatif --drop IN3 --now "Wed 09:00"`; or, given `away` ('Thu' or 'Thu 09:00-12:00'),
    is away for that period only, what starts before `from_text` having happened, as `--unavailable
    "IN3 Thu 09:00-12:00" --now ...`. Each field is read as the command reads it."""
    from loader.request import RequestError, known_id, period

    try:
        resource = known_id(inspection, _id_of(inspection, who))
    except RequestError as err:
        raise ScheduleError(f"Who: {err}") from None
    now = from_time(inspection, from_text)
    if not away.strip():
        return WhatIf(drop=(resource,), now=now)
    try:
        return WhatIf(unavailable=(period(inspection, f"{resource} {away.strip()}"),), now=now)
    except RequestError as err:
        raise ScheduleError(f"Away: {err}") from None


def in_force(request: WhatIf, baseline_dir: Path, inspection, back: str = "") -> WhatIf:
    """What the workbench re-plans for: `request` with the what-if the current timetable (in
    `baseline_dir`) was re-planned for still in force (WhatIf.carried_forward), less `back`, an id
    or name the lead says is back; as `schedule whatif` does given the earlier --drop and
    --unavailable again. Without it a second re-plan would put whoever dropped out back in."""
    from exporters.changes import read_request

    earlier = read_request(baseline_dir)  # a damaged whatif.json is an error, not everyone back
    if back.strip():
        out = earlier.who_is_out if earlier else ()
        resource = _id_of(inspection, back, among=out)
        if resource not in out:
            raise ScheduleError(f"Back: {back.strip()!r} is not out in the current timetable")
        earlier = earlier.without(resource)
    return request.carried_forward(earlier, known=inspection.knows)


def _id_of(inspection, text: str, among=None) -> str:
    """The id of whoever (or whichever room) `text` names, by id or by name in any case, of
    `among` (default: every inspector, person and room); else `text` itself, for the caller to refuse."""
    text = text.strip()
    ids = among if among is not None else [x.id for x in (*inspection.inspectors, *inspection.people, *inspection.rooms)]
    return {inspection.name_of(i).strip().casefold(): i for i in ids}.get(text.casefold(), text)


def from_time(inspection, from_text: str) -> tuple[int, int] | None:
    """'Wed 09:00' as (day, minute), read as `--now` and `--from` read it; blank: None."""
    from loader.request import RequestError, day_time

    try:
        return day_time(inspection, from_text.strip()) if from_text.strip() else None
    except RequestError as err:
        raise ScheduleError(f"From: {err}") from None


def robustness_into(source: Path, baseline_dir: Path, out_dir: Path, *, start: tuple[int, int] | None,
                    time_limit: float, seed: int = 0, workers: int | None = None, dask: str | None = None,
                    on_answer=None):
    """`schedule robustness SOURCE --baseline BASELINE_DIR --from START --out OUT_DIR`: the ranked
    report (robustness.csv and robustness.html) of what each dropout from `start` (None: the start
    of the week) would cost. A Stop ends it as Ctrl-C does: what was answered is written, marked
    partial."""
    from exporters.changes import read_request
    from exporters.folder import check_replaceable, read_baseline, replace_folder
    from exporters.robustness import robustness_files
    from loader import load_inspection
    from scheduler.robustness import sweep

    inspection = load_inspection(source)
    baseline, _ = read_baseline(baseline_dir, inspection)
    check_replaceable(out_dir, {"input": source, "baseline": baseline_dir})
    report = sweep(inspection, baseline, start or (0, inspection.settings.day_start), seed=seed,
                   time_limit=time_limit, workers=workers, dask=dask, on_answer=on_answer,
                   earlier=read_request(baseline_dir))
    replace_folder(out_dir, robustness_files(report, source), keep={"input": source, "baseline": baseline_dir})
    return report


# --- the background search --------------------------------------------------------------------------
class Busy(ScheduleError):
    """Another search is running on this workspace."""


@dataclass
class Job:
    """A solve or re-plan under way (or just ended), as the progress panel shows it."""

    kind: str  # solve, replan or robustness
    run: Run
    time_limit: float
    started: float = field(default_factory=time.monotonic)
    stop: threading.Event = field(default_factory=threading.Event)
    elapsed: float = 0.0  # at the last improving timetable
    held: int | None = None  # sessions held in the best timetable so far
    objective: int | None = None
    bound: int | None = None
    answered: int | None = None  # a robustness sweep: questions answered, of `questions`
    questions: int | None = None
    state: str = "running"  # running, done, stopped (nothing found), failed
    message: str = ""
    problems: tuple[str, ...] = ()
    engine_done_at: float | None = None  # time.monotonic() when the search returned
    finished_at: float | None = None  # time.monotonic() when the folder was written (or it failed)

    def engine_done(self) -> None:
        self.engine_done_at = time.monotonic()

    def on_progress(self, elapsed: float, objective: int, bound: int, held: int) -> None:
        self.elapsed, self.objective, self.bound, self.held = elapsed, objective, bound, held

    def on_answer(self, _answer, answered: int, questions: int) -> None:
        self.answered, self.questions = answered, questions

    def snapshot(self) -> dict[str, object]:
        """What the progress panel shows now (no names: ids and numbers only)."""
        running = self.state == "running"
        return {"kind": self.kind, "run": self.run.name, "state": self.state,
                "seconds": round((time.monotonic() if running else self.finished_at) - self.started, 1),
                "limit": self.time_limit, "held": self.held, "objective": self.objective,
                "bound": self.bound, "answered": self.answered, "questions": self.questions,
                "stopping": self.stop.is_set() and running, "message": self.message}


class Jobs:
    """At most one search at a time on a workspace."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self.job: Job | None = None
        self._guard = threading.Lock()

    def running(self) -> Job | None:
        job = self.job
        return job if job is not None and job.state == "running" else None

    def start(self, kind: str, time_limit: float, search: Callable[[Job], None],
              workbook: Path | None = None) -> Job:
        """Start `search(job)` in a background thread, in a fresh run folder."""
        with self._guard:
            if self.running():
                raise Busy("a search is already running on this workspace: wait for it or stop it")
            lock = _take_lock(self.workspace.root / LOCK)
            try:
                run = self.workspace.new_run(kind, workbook)
            except BaseException:
                os.close(lock)
                raise
            job = self.job = Job(kind, run, time_limit)
        threading.Thread(target=self._run, args=(job, search, lock), daemon=True,
                         name=f"search-{run.name}").start()
        return job

    def _run(self, job: Job, search: Callable[[Job], None], lock: int) -> None:
        from scheduler.search import stoppable

        try:
            with stoppable(job.stop):
                search(job)
            job.state = "done"
        except KeyboardInterrupt:  # stopped before any timetable holding every must was found
            job.state, job.message = "stopped", "Stopped before a timetable holding every must was found: nothing written."
            shutil.rmtree(job.run.folder, ignore_errors=True)
        except Infeasible as err:
            job.state, job.message, job.problems = "failed", "No timetable can hold every must.", err.reasons
        except InputError as err:
            job.state, job.message = "failed", "The input has problems."
            job.problems = tuple(str(p) for p in err.problems)
        except ScheduleError as err:
            job.state, job.message = "failed", str(err)
        except Exception as err:  # a bug: its type only, since messages may quote staff names
            log.error("search %s failed: %s", job.run.name, type(err).__name__)
            job.state, job.message = "failed", f"Internal error ({type(err).__name__}); nothing was adopted."
        finally:
            job.finished_at = time.monotonic()
            if job.state != "done" and not job.run.finished:
                shutil.rmtree(job.run.folder, ignore_errors=True)
            os.close(lock)  # releases the lock


def _take_lock(path: Path) -> int:
    """An exclusive lock on WORKSPACE/.lock, held while a search runs (also across servers)."""
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(handle)
        raise Busy("another workbench is running a search on this workspace: wait for it") from None
    return handle
