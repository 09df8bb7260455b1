"""Benchmark: solve seeded, realistic weeks of about 40, 110, 250 and 600 activity rows and print a
table, next to the simple first-fit greedy baseline (scheduler.greedy), so every run shows the ratio.

    python -m bench.bench                 # all sizes, 2 workers, the issue's time limits
    python -m bench.bench --sizes 40 110 --time-limit 30

Each size runs in its own process so that peak memory is that size's own.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.instances import SIZES, instance_tables

TIME_LIMITS = {40: 30.0, 110: 60.0, 250: 120.0, 600: 180.0}


def load(rows: int, seed: int):
    from fixtures.example import write_tables
    from loader import load_inspection

    with tempfile.TemporaryDirectory() as tmp:
        write_tables(instance_tables(rows, seed=seed), csv_dir=Path(tmp))
        return load_inspection(Path(tmp))


def held_by_priority(timetable) -> str:
    by_id = timetable.inspection.occurrence_by_id
    held = Counter(by_id[s.occurrence_id].activity.priority for s in timetable.sessions)
    total = Counter(o.activity.priority for o in timetable.inspection.occurrences)
    return " ".join(f"{p[0]}{held[p]}/{total[p]}" for p in ("must", "high", "medium", "low"))


def run_one(rows: int, seed: int, time_limit: float, workers: int, queue) -> None:
    from models import ScheduleError, Timetable
    from scheduler import solve
    from scheduler.greedy import greedy_timetable

    inspection = load(rows, seed)
    t0 = time.monotonic()
    greedy = Timetable(inspection, tuple(greedy_timetable(inspection)))
    greedy_seconds = time.monotonic() - t0
    musts = sum(o.is_must for o in inspection.occurrences)
    greedy_musts = sum(inspection.occurrence_by_id[s.occurrence_id].is_must for s in greedy.sessions)
    row = dict(rows=len(inspection.activities), occurrences=len(inspection.occurrences))
    try:
        result = solve(inspection, time_limit=time_limit, seed=seed, workers=workers)
        stats = dict(result.stats)
        row.update(status=result.status, variables=stats["variables"], constraints=stats["constraints"],
                   first=result.first_solution_seconds, best=stats["best_seconds"], wall=result.wall_seconds,
                   objective=result.objective, bound=result.best_bound, gap=result.gap,
                   held=held_by_priority(result.timetable))
    except ScheduleError as err:
        row.update(status=f"failed: {err}".splitlines()[0][:60])
    row.update(greedy_objective=greedy.held_weight, greedy_seconds=greedy_seconds,
               greedy_musts=f"{greedy_musts}/{musts}", greedy_held=held_by_priority(greedy),
               peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    queue.put(row)


def fmt(value, spec="") -> str:
    if value is None:
        return "-"
    return format(value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=None, help="override the per-size limits")
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    header = ("rows", "occ", "vars", "cons", "first s", "best s", "wall s", "status", "objective",
              "bound", "gap", "held m/h/m/l", "greedy", "greedy s", "greedy musts", "ratio", "peak MB")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for size in args.sizes:
        queue = ctx.Queue()
        limit = args.time_limit or TIME_LIMITS.get(size, 120.0)
        proc = ctx.Process(target=run_one, args=(size, args.seed, limit, args.workers, queue))
        proc.start()
        row = queue.get()
        proc.join()
        ratio = row.get("objective", 0) / max(1, row["greedy_objective"])
        print(" | ".join([
            str(row["rows"]), str(row["occurrences"]), fmt(row.get("variables")), fmt(row.get("constraints")),
            fmt(row.get("first"), ".1f"), fmt(row.get("best"), ".1f"), fmt(row.get("wall"), ".1f"),
            row["status"], fmt(row.get("objective")), fmt(row.get("bound")), fmt(row.get("gap"), ".2%"),
            row.get("held", "-"), str(row["greedy_objective"]), f"{row['greedy_seconds']:.2f}",
            row["greedy_musts"], f"{ratio:.2f}", f"{row['peak_mb']:.0f}",
        ]), flush=True)


if __name__ == "__main__":
    main()
