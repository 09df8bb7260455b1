"""Benchmark the robustness sweep: solve a seeded ~110-row week, then ask every dropout question
from Tue 12:00 on a local pool of 1, then 2 processes, and print a table: questions, wall time,
speed-up, time per question (wall and CPU), the worker processes' peak memory, statuses, and whether the two
runs gave the same rows (they should, row for row, wherever a re-plan is reproducible).

    python -m bench.bench_robustness                         # 110 rows, --workers 1 and 2
    python -m bench.bench_robustness --workers 2 --time-limit 5

The machine's load average is printed before and after each run: on a shared machine the
speed-up is only as good as the cores that were free.
"""
from __future__ import annotations

import argparse
import os
import statistics
from collections import Counter

from bench.bench import TIME_LIMITS, load
from models import DAYS, format_minutes
from scheduler.robustness import DEFAULT_TIME_LIMIT, sweep

START = (1, 12 * 60)  # Tuesday 12:00


def load_text() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    from scheduler import solve

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=110)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, help="seconds per question")
    parser.add_argument("--baseline-time-limit", type=float, default=None)
    args = parser.parse_args()

    inspection = load(args.rows, args.seed)
    limit = args.baseline_time_limit or TIME_LIMITS.get(args.rows, 60.0)
    base = solve(inspection, time_limit=limit, seed=args.seed, workers=2)
    print(f"{args.rows} rows (seed {args.seed}): baseline {base.status}, {len(base.timetable.sessions)} sessions, "
          f"held weight {base.objective}, {base.wall_seconds:.0f}s; dropouts from "
          f"{DAYS[START[0]]} {format_minutes(START[1])}, {args.time_limit:g} s per question, {os.cpu_count()} cores")
    header = ("workers", "questions", "wall s", "speed-up", "s/question (mean, median, max)", "CPU s/question (mean)",
              "peak MB per worker process (median, max)", "statuses", "musts at risk", "load before", "load after")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    reports = {}
    for workers in args.workers:
        before = load_text()
        report = sweep(inspection, base.timetable, START, seed=args.seed, time_limit=args.time_limit,
                       workers=workers)
        reports[workers] = report
        seconds = [a.seconds for a in report.answers]
        memory = [a.peak_memory_mb for a in report.answers]
        first = reports[args.workers[0]].wall_seconds
        statuses = Counter(a.status for a in report.answers)
        at_risk = sum(bool(a.musts_lost) for a in report.answers)
        print(" | ".join([
            str(workers), f"{len(report.answers)}/{report.questions}", f"{report.wall_seconds:.1f}",
            f"{first / report.wall_seconds:.2f}x",
            f"{statistics.mean(seconds):.2f}, {statistics.median(seconds):.2f}, {max(seconds):.2f}",
            f"{statistics.mean(a.cpu_seconds for a in report.answers):.2f}",
            f"{statistics.median(memory):.0f}, {max(memory):.0f}",
            " ".join(f"{k} {v}" for k, v in sorted(statuses.items())), str(at_risk), before, load_text(),
        ]), flush=True)
    if len(reports) > 1:
        runs = list(reports.values())
        rows = [{a.question.id: a.outcome for a in r.answers} for r in runs]
        differ = sorted(i for i in rows[0] if any(other.get(i) != rows[0][i] for other in rows[1:]))
        by_id = {a.question.id: a for a in runs[0].answers}
        print(f"\nsame rows in every run: {len(rows[0]) - len(differ)}/{len(rows[0])}"
              + (f"; differing: {', '.join(f'{i} ({by_id[i].status})' for i in differ)}" if differ else ""))
    top = reports[args.workers[-1]].answers[:10]
    print("\nmost harmful: " + "; ".join(
        f"{a.question.id} ({a.question.kind}) musts {a.musts_lost} weight {a.held_weight_lost} changes {a.changes} "
        f"{a.status}" for a in top))


if __name__ == "__main__":
    main()
