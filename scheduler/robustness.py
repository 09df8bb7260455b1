"""Robustness (SPEC §6): who the week cannot lose. One question per inspector, per partner person
with a session at or after the start, and per room: "what if they dropped out from then on?",
each answered by the project's re-plan (`whatif --drop ID --now START`) on the baseline.

Each question is a pure function of data — the inspection, the baseline timetable, the question,
the seed and the time limit — returning a small frozen `Answer`, so the sweep runs unchanged on a
local process pool or on a Dask cluster: only those go over the wire, never a CP-SAT object.
Each re-plan uses one CP-SAT worker; the parallelism is across questions, one per core.
"""
from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from models import Infeasible, Inspection, ScheduleError, Timetable
from models.changes import WhatIf
from models.errors import TimeLimitReached
from models.robustness import Answer, Question, Report

# (the answer, how many answered, how many asked); called once with None and 0 before the first.
OnAnswer = Callable[[Answer | None, int, int], None]

DEFAULT_TIME_LIMIT = 10.0  # seconds per question
STOP_NOTICE = 0.2  # seconds: how soon a sweep run by the workbench notices its Stop button


def cores() -> int:
    """The cores this process may use (the default --workers)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# --- the questions ------------------------------------------------------------------------------
def questions(baseline: Timetable, start: tuple[int, int], earlier: WhatIf | None = None) -> tuple[Question, ...]:
    """Every inspector, every partner person in a session at or after `start`, every room; none
    already out in `earlier`, the what-if the baseline was re-planned for (kept in each question)."""
    inspection = baseline.inspection
    out = set(earlier.drop) if earlier else set()
    later = [s for s in baseline.sessions if (s.day, s.start) >= start]

    def count(resource_id: str) -> int:
        return sum(resource_id in s.everyone or resource_id == s.room_id for s in later)

    busy = {p for s in later for p in s.attendee_ids}
    asked = ([(i, "inspector") for i in inspection.inspectors]
             + [(p, "person") for p in inspection.people if p.id in busy]
             + [(r, "room") for r in inspection.rooms])
    return tuple(Question(who.id, who.name, kind, count(who.id), start, earlier) for who, kind in asked
                 if who.id not in out)


# --- one answer ---------------------------------------------------------------------------------
def _replan(inspection: Inspection, baseline: Timetable, request: WhatIf, seed: int, time_limit: float):
    """The project's one re-plan, on one CP-SAT worker. The only call to it in this module."""
    from scheduler.whatif import whatif

    return whatif(inspection, baseline, request, time_limit=time_limit, seed=seed, workers=1)


def answer(inspection: Inspection, baseline: Timetable, question: Question, seed: int = 0,
           time_limit: float = DEFAULT_TIME_LIMIT) -> Answer:
    """What the week loses if `question.id` drops out from `question.start` on."""
    started, cpu = time.monotonic(), time.process_time()
    request = question.request(known=inspection.knows)
    try:
        result = _replan(inspection, baseline, request, seed, time_limit)
    except Infeasible as err:
        unknown = isinstance(err, TimeLimitReached)  # none found in time; nothing proven impossible
        why = tuple(err.reasons) + (() if err.minimal else ("(this set of reasons may not be minimal)",))
        return Answer(question, "UNKNOWN" if unknown else "INFEASIBLE",
                      None if unknown else max(1, len(err.activity_ids)), None, None, why,
                      _elapsed(started), _elapsed(cpu, time.process_time), _peak_memory_mb())
    lost = _lost(inspection, baseline, result.timetable, question)
    return Answer(question, result.status, sum(musts for musts, _ in lost),
                  _held_weight(inspection, baseline) - result.held_weight, result.changes,
                  tuple(text for _, text in lost), _elapsed(started), _elapsed(cpu, time.process_time),
                  _peak_memory_mb())


def _held_weight(inspection: Inspection, baseline: Timetable) -> int:
    """The baseline's held weight by INPUT's priorities (as the re-plan's is counted)."""
    known = inspection.occurrence_by_id
    return Timetable(inspection, tuple(s for s in baseline.sessions if s.occurrence_id in known)).held_weight


def _lost(inspection: Inspection, baseline: Timetable, replanned: Timetable,
          question: Question) -> list[tuple[bool, str]]:
    """(is a must, in words) for each baseline session the re-plan no longer holds, musts first."""
    from scheduler.explain import sentence
    from scheduler.precheck import names_of

    held = {s.occurrence_id for s in replanned.sessions}
    reasons = {u.occurrence_id or u.activity_id: u.reason for u in replanned.unscheduled}
    out = []
    for s in baseline.sorted_sessions():
        if s.occurrence_id in held or (s.day, s.start) < question.start:
            continue
        occurrence = inspection.occurrence_by_id.get(s.occurrence_id)
        if occurrence is None:
            continue  # the lead removed it from INPUT: not this dropout's doing
        reason = reasons.get(s.occurrence_id) or reasons.get(s.activity_id) or "cancelled by the re-plan"
        if occurrence.is_must:
            out.append((True, f"{sentence(inspection, ('must', s.occurrence_id))} Without "
                               f"{names_of(inspection, [question.id])} it is lost: {reason}."))
        else:
            day = f" on {s.day_name}" if occurrence.activity.recurs_daily else ""
            out.append((False, f"'{occurrence.activity.title}'{day} ({occurrence.activity.priority}) is "
                               f"cancelled: {reason}."))
    return sorted(out, key=lambda lost: not lost[0])


def _elapsed(started: float, clock=time.monotonic) -> float:
    return round(clock() - started, 3)


def _peak_memory_mb() -> float:
    """This process's peak resident memory so far (ru_maxrss is in KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --- the sweep ----------------------------------------------------------------------------------
def sweep(inspection: Inspection, baseline: Timetable, start: tuple[int, int], *, seed: int = 0,
          time_limit: float = DEFAULT_TIME_LIMIT, workers: int | None = None, dask: str | None = None,
          on_answer: OnAnswer | None = None, only: Iterable[str] | None = None,
          earlier: WhatIf | None = None) -> Report:
    """Ask every question (or those about the ids in `only`) on a local process pool of `workers`
    processes (default: one per core), or on the Dask cluster at `dask` (tcp://HOST:PORT).
    `earlier`: the what-if the baseline was re-planned for, kept in force in every question.
    Ctrl-C stops it: the report then holds what was answered, marked partial."""
    from scheduler.whatif import replannable

    start = WhatIf(now=start).after(earlier).now  # what had happened by `earlier` is past for every question
    replannable(inspection, baseline, WhatIf(now=start))  # bad input is said once, before any question
    asked = questions(baseline, start, earlier)
    if only is not None:
        wanted = set(only)
        asked = tuple(q for q in asked if q.id in wanted)
    started = time.monotonic()
    answers: list[Answer] = []

    def collect(a: Answer) -> None:
        answers.append(a)
        if on_answer:
            on_answer(a, len(answers), len(asked))

    if on_answer:
        on_answer(None, 0, len(asked))
    run = _on_dask if dask else _on_pool
    partial = False
    try:
        run(inspection, baseline, asked, seed, time_limit, collect, dask if dask else (workers or cores()))
    except KeyboardInterrupt:
        partial = True
    return Report(start, Report.ranked(answers), len(asked), partial or len(answers) < len(asked),
                  seed, time_limit, round(time.monotonic() - started, 3))


# The inspection and baseline of the week being swept, sent once to each pool process.
_WEEK: tuple[Inspection, Timetable] | None = None


def _pool_process_start(inspection: Inspection, baseline: Timetable) -> None:
    """In each pool process: keep the week; Ctrl-C is the parent's to handle (it ends the pool)."""
    global _WEEK
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WEEK = (inspection, baseline)


def _answer_in_pool(question: Question, seed: int, time_limit: float) -> Answer:
    return answer(*_WEEK, question, seed, time_limit)


def _on_pool(inspection, baseline, asked, seed, time_limit, collect, workers: int) -> None:
    """A pool of fresh ("spawn") processes: none inherits the parent's solver threads."""
    before = set(multiprocessing.active_children())
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(asked) or 1)), mp_context=context,
                               initializer=_pool_process_start, initargs=(inspection, baseline))
    try:
        with _sigint_ignored():  # the processes start with Ctrl-C ignored, before their initializer runs
            futures = [pool.submit(_answer_in_pool, q, seed, time_limit) for q in asked]
        for a in _as_answered(futures, lambda pending: wait(pending, STOP_NOTICE, FIRST_COMPLETED)):
            collect(a)
    except KeyboardInterrupt:
        ours = set(multiprocessing.active_children()) - before
        for process in ours:
            process.terminate()  # a question half-answered is not answered
        for process in ours:
            process.join(5)
            if process.is_alive():  # still there after 5 s (seen once in CI, on a loaded machine)
                process.kill()
                process.join(5)
        # Waited for: the pool's own thread joins the same processes, and a process it reaped
        # while we joined it stayed listed as a child (1 run in 3 of tests/test_robustness.py).
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()


class _sigint_ignored:
    """Ctrl-C ignored while the pool's processes are started (so they inherit "ignore"); only
    possible, and only needed, on the main thread."""

    def __enter__(self):
        self.main = threading.current_thread() is threading.main_thread()
        if self.main:
            self.previous = signal.signal(signal.SIGINT, signal.SIG_IGN)

    def __exit__(self, *exc):
        if self.main:
            signal.signal(signal.SIGINT, self.previous)


def _on_dask(inspection, baseline, asked, seed, time_limit, collect, address: str) -> None:
    """On an existing Dask cluster: the week is sent once to every worker, then one task a question."""
    try:
        from distributed import Client, wait as dask_wait
    except ImportError:
        raise ClusterUnreachable("--dask needs the 'distributed' package: pip install 'jtai-schedule[dask]'")
    client = _connect(Client, address)
    futures = []
    try:
        week_inspection, week_baseline = client.scatter([inspection, baseline], broadcast=True)
        run = uuid.uuid4().hex[:8]
        futures = [client.submit(answer, week_inspection, week_baseline, q, seed, time_limit,
                                 key=f"robustness-{run}-{n}", pure=False) for n, q in enumerate(asked)]
        for a in _as_answered(futures, lambda pending: _dask_some(dask_wait, pending)):
            collect(a)
    except KeyboardInterrupt:
        client.cancel(futures)
        raise
    finally:
        client.close()


def _dask_some(dask_wait, pending):
    try:
        return dask_wait(pending, timeout=STOP_NOTICE, return_when="FIRST_COMPLETED")
    except TimeoutError:  # none finished yet
        return set(), pending


def _as_answered(futures, wait_some) -> Iterable[Answer]:
    """Each future's answer as it comes. `wait_some(pending)` waits a moment for some to finish:
    (done, still pending). A Stop (the workbench's, scheduler.search.stoppable) ends the sweep
    within that moment, as Ctrl-C does."""
    from scheduler.search import stop_requested

    pending = set(futures)
    while pending:
        if stop_requested():
            raise KeyboardInterrupt
        done, pending = wait_some(pending)
        for future in done:
            yield future.result()


class ClusterUnreachable(ScheduleError):
    """The Dask scheduler given with --dask does not answer; nothing was asked or written."""

    exit_code = 3  # as `send` when the mail server cannot be reached


CONNECT_SECONDS = 10.0  # to open the connection, and as long again for the scheduler's handshake


def _connect(client_class, address: str):
    """A client of the Dask scheduler at `address`, or ClusterUnreachable. Dask bounds only the
    connection, not its handshake: something else listening there (a web server, a mail server)
    left it waiting for ever, or failed deep inside it. So the client is made on a thread of its
    own and given up on after a deadline, whatever it raises."""
    made: dict[str, object] = {}
    seconds = CONNECT_SECONDS

    def attempt() -> None:
        try:
            made["client"] = client_class(address, timeout=f"{seconds:g}s")
        except BaseException as err:  # noqa: BLE001 - whatever it is, the scheduler did not answer
            made["error"] = err
    thread = threading.Thread(target=attempt, name="dask-connect", daemon=True)
    thread.start()
    thread.join(2 * seconds)
    if thread.is_alive():
        raise ClusterUnreachable(f"cannot reach the Dask scheduler at {address}: something answers there, but "
                                 f"not as a Dask scheduler, within {2 * seconds:g} s (is it the scheduler's "
                                 "address and port, usually 8786?)")
    if "error" in made:
        err = made["error"]
        if isinstance(err, KeyboardInterrupt):
            raise err
        said = str(err) if isinstance(err, (OSError, TimeoutError, ValueError)) else f"{type(err).__name__}: {err}"
        said = " ".join(said.split())[:200]  # one line, whatever the library put in it
        raise ClusterUnreachable(f"cannot reach the Dask scheduler at {address}: {said}") from None
    return made["client"]


__all__ = ["ClusterUnreachable", "answer", "cores", "questions", "sweep", "DEFAULT_TIME_LIMIT"]
