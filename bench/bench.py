"""Benchmark: solve the bundled example and seeded, realistic weeks of about 40, 110, 250 and 600
activity rows and print a table: held weight, bound, gap, the time to the first timetable holding
every must, and whether two runs with the same seed agree, next to the first-fit greedy baseline.

    python -m bench.bench                       # every size, 2 workers, the issue's time limits
    python -m bench.bench --sizes example 110 --time-limit 30 --once

Each run is its own process so that peak memory is that size's own. Time limits are deterministic
(scheduler.search.deterministic_budget), so the held weight does not depend on the machine's load;
the seconds do, so the table prints the load average and the CPU-seconds used next to them.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import tempfile
import time
from collections import Counter
from pathlib import Path
from queue import Empty

from bench.instances import SIZES, instance_tables

TIME_LIMITS = {"example": 60.0, 40: 30.0, 110: 60.0, 250: 120.0, 600: 120.0}


def load(rows: int | str, seed: int):
    from fixtures.example import write_tables
    from loader import load_inspection

    if rows == "example":
        from fixtures import EXAMPLE_DIR
        return load_inspection(EXAMPLE_DIR)
    with tempfile.TemporaryDirectory() as tmp:
        write_tables(instance_tables(rows, seed=seed), csv_dir=Path(tmp))
        return load_inspection(Path(tmp))


def size_arg(text: str) -> int | str:
    """--sizes: 'example' or a row count the generator can make (argparse's type)."""
    if text == "example":
        return text
    from fixtures.example import MIN_ROWS

    if not text.isdigit() or int(text) < MIN_ROWS:
        raise argparse.ArgumentTypeError(f"{text!r}: give 'example' or a number of activity rows, at least {MIN_ROWS}")
    return int(text)


def held_by_priority(timetable) -> str:
    by_id = timetable.inspection.occurrence_by_id
    held = Counter(by_id[s.occurrence_id].activity.priority for s in timetable.sessions)
    total = Counter(o.activity.priority for o in timetable.inspection.occurrences)
    return " ".join(f"{p[0]}{held[p]}/{total[p]}" for p in ("must", "high", "medium", "low"))


def run_one(rows: int, seed: int, time_limit: float, workers: int, queue) -> None:
    """Solve one size in this (child) process and put its row on `queue`; on any failure a row
    saying so, so that the parent never waits for a row that will not come."""
    try:
        queue.put(_row(rows, seed, time_limit, workers))
    except BaseException as err:  # noqa: BLE001 - reported in the table, the run goes on
        queue.put(dict(rows=rows, occurrences="-", status=f"failed: {type(err).__name__}: {err}".splitlines()[0][:80]))


def _row(rows: int, seed: int, time_limit: float, workers: int) -> dict:
    from models import ScheduleError, Timetable
    from scheduler import solve
    from scheduler.greedy import greedy_timetable

    import hashlib
    import os

    from exporters.timetable_csv import render_timetable_csv

    inspection = load(rows, seed)
    t0 = time.monotonic()
    greedy = Timetable(inspection, tuple(greedy_timetable(inspection)))
    greedy_seconds = time.monotonic() - t0
    musts = sum(o.is_must for o in inspection.occurrences)
    greedy_musts = sum(inspection.occurrence_by_id[s.occurrence_id].is_must for s in greedy.sessions)
    row = dict(rows=len(inspection.activities), occurrences=len(inspection.occurrences))
    try:
        cpu = time.process_time()
        result = solve(inspection, time_limit=time_limit, seed=seed, workers=workers)
        stats = dict(result.stats)
        row.update(cpu=time.process_time() - cpu, load=os.getloadavg()[0], dtime=stats["deterministic_time"],
                   digest=hashlib.sha1(render_timetable_csv(result.timetable).encode()).hexdigest()[:10])
        row.update(status=result.status, variables=stats["variables"], constraints=stats["constraints"],
                   first=result.first_solution_seconds, best=stats["best_seconds"], wall=result.wall_seconds,
                   objective=result.objective, bound=result.best_bound, gap=result.gap,
                   held=held_by_priority(result.timetable))
    except ScheduleError as err:
        row.update(status=f"failed: {err}".splitlines()[0][:60])
    row.update(greedy_objective=greedy.held_weight, greedy_seconds=greedy_seconds,
               greedy_musts=f"{greedy_musts}/{musts}", greedy_held=held_by_priority(greedy),
               peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return row


def fmt(value, spec="") -> str:
    if value is None:
        return "-"
    return format(value, spec)


def solve_in_process(ctx, size, seed: int, limit: float, workers: int) -> dict:
    queue = ctx.Queue()
    proc = ctx.Process(target=run_one, args=(size, seed, limit, workers, queue))
    proc.start()
    while True:  # a child killed outright (out of memory, a crash in native code) puts no row
        try:
            row = queue.get(timeout=5)
            break
        except Empty:
            if not proc.is_alive():
                row = dict(rows=size, occurrences="-", status=f"failed: the solve's process ended ({proc.exitcode})")
                break
    proc.join()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", type=size_arg, default=["example", *SIZES[1:]],
                        help="'example' and/or row counts (default: example 110 250 600)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=None, help="override the per-size limits")
    parser.add_argument("--once", action="store_true", help="one run per size (no reproducibility check)")
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    header = ("rows", "occ", "limit s", "vars", "cons", "first s", "best s", "wall s", "cpu s", "load", "det. time",
              "status", "held weight", "bound", "gap", "held m/h/m/l", "greedy", "greedy musts", "above greedy", "two runs agree",
              "peak MB")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for size in args.sizes:
        limit = args.time_limit or TIME_LIMITS.get(size, 120.0)
        row = solve_in_process(ctx, size, args.seed, limit, args.workers)
        agree = "-"
        if not args.once and "digest" in row:
            again = solve_in_process(ctx, size, args.seed, limit, args.workers)
            agree = "yes" if again.get("digest") == row["digest"] else f"NO ({again.get('objective')})"
        objective = row.get("objective")
        print(" | ".join([
            str(size if size == "example" else row["rows"]), str(row["occurrences"]), f"{limit:g}",
            fmt(row.get("variables")), fmt(row.get("constraints")),
            fmt(row.get("first"), ".1f"), fmt(row.get("best"), ".1f"), fmt(row.get("wall"), ".1f"),
            fmt(row.get("cpu"), ".0f"), fmt(row.get("load"), ".1f"), fmt(row.get("dtime"), ".2f"),
            row["status"], fmt(objective), fmt(row.get("bound")), fmt(row.get("gap"), ".2%"),
            row.get("held", "-"), fmt(row.get("greedy_objective")), row.get("greedy_musts", "-"),
            fmt(None if objective is None else objective - row["greedy_objective"], "+d"), agree,
            fmt(row.get("peak_mb"), ".0f"),
        ]), flush=True)


if __name__ == "__main__":
    main()
