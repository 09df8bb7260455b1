"""Benchmark the what-if: solve a baseline week, then drop in turn a few people and one inspector
who still have sessions after `--now` (Tuesday noon), and print how long each re-solve took, how
many occurrences changed, whether that number is proven minimal, how many musts are still held,
and the held weight (SPEC §4.1) with the solver's bound on it (equal when proven).

    python -m bench.bench_whatif                      # 110 and 250 rows, the bench's time limits
    python -m bench.bench_whatif --sizes 110 --whatif-time-limit 30

Each drop is its own what-if from the same baseline (not cumulative). Where dropping the busiest
inspector leaves a must that cannot be held (say, the only HMIP inspector), that row says why and
the next busiest inspector is dropped instead.
"""
from __future__ import annotations

import argparse
import time
from collections import Counter

from bench.bench import TIME_LIMITS, load
from models import DAYS, ScheduleError, Timetable, format_minutes
from models.changes import WhatIf, changes_between

NOW = (1, 12 * 60)  # Tuesday 12:00


def _after_now(baseline: Timetable, now: tuple[int, int]):
    return [s for s in baseline.sessions if (s.day, s.start) >= now]


def dropouts(baseline: Timetable, now: tuple[int, int], people: int) -> list[tuple[str, str]]:
    """(id, why chosen): the busiest person after `now`, a pool member, the only named attendee of
    a must (so it needs a substitute), then the next busiest people, and the busiest inspector."""
    inspection = baseline.inspection
    later = _after_now(baseline, now)
    busy = Counter(p for s in later for p in s.attendee_ids)
    ranked = [p for p, _ in sorted(busy.items(), key=lambda kv: (-kv[1], kv[0]))]
    activity = {s.occurrence_id: inspection.occurrence_by_id[s.occurrence_id].activity for s in later}
    pool_only = [p for p in ranked if any(p in s.attendee_ids and p not in activity[s.occurrence_id].attendees
                                          for s in later)]
    sole = [p for p in ranked if any(activity[s.occurrence_id].is_must and activity[s.occurrence_id].pool is None
                                     and activity[s.occurrence_id].attendees == (p,) for s in later)]
    chosen: list[tuple[str, str]] = []
    for pick, why in ((ranked[:1], "busiest person"), (pool_only[:1], "pool member"),
                      (sole[:1], "sole attendee of a must")):
        if pick and pick[0] not in {c for c, _ in chosen}:
            chosen.append((pick[0], why))
    for p in ranked:
        if len(chosen) >= people:
            break
        if p not in {c for c, _ in chosen}:
            chosen.append((p, "busy person"))
    return chosen[:people]


def busiest_inspectors(baseline: Timetable, now: tuple[int, int]) -> list[str]:
    """Inspectors by sessions after `now`, busiest first."""
    inspectors = Counter(i for s in _after_now(baseline, now) for i in s.inspector_ids)
    return [i for i, _ in sorted(inspectors.items(), key=lambda kv: (-kv[1], kv[0]))]


def musts_held(timetable: Timetable, baseline: Timetable) -> str:
    by_id = baseline.inspection.occurrence_by_id
    before = [s.occurrence_id for s in baseline.sessions if by_id[s.occurrence_id].is_must]
    after = {s.occurrence_id for s in timetable.sessions}
    return f"{sum(o in after for o in before)}/{len(before)}"


def main() -> None:
    from scheduler import solve
    from scheduler.whatif import whatif

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[110, 250])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--people", type=int, default=3, help="people to drop (one at a time)")
    parser.add_argument("--inspectors", type=int, default=99,
                        help="inspectors to try, busiest first, until one can drop out feasibly")
    parser.add_argument("--whatif-time-limit", type=float, default=60.0)
    args = parser.parse_args()
    now_text = f"{DAYS[NOW[0]]} {format_minutes(NOW[1])}"
    header = ("rows", "baseline", "dropped", "why", "seconds", "status", "changes", "proven minimal",
              "musts held", "held weight", "score", "bound on score")
    print(f"--now {now_text}; what-if time limit {args.whatif_time_limit:g} s, {args.workers} workers")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for size in args.sizes:
        inspection = load(size, args.seed)
        base = solve(inspection, time_limit=TIME_LIMITS.get(size, 120.0), seed=args.seed, workers=args.workers)
        baseline = base.timetable
        described = f"{base.status} {len(baseline.sessions)} held, weight {base.objective}, {base.wall_seconds:.0f}s"
        def row(dropped: str, why: str) -> bool:
            """Print one what-if's row; False when the week became infeasible."""
            started = time.monotonic()
            try:
                result = whatif(inspection, baseline, WhatIf(drop=(dropped,), now=NOW),
                                time_limit=args.whatif_time_limit, seed=args.seed, workers=args.workers)
            except ScheduleError as err:
                reason = " ".join(str(err).split())
                cells = [f"{time.monotonic() - started:.1f}", f"infeasible: {reason[:160]}", "-", "-", "-", "-", "-", "-"]
                ok = False
            else:
                changes = changes_between(baseline, result.timetable)
                assert sum(c.change != "added" for c in changes) == result.changes
                cells = [f"{result.wall_seconds:.1f}", result.status, str(result.changes),
                         "yes" if result.changes_proven_minimal else "no", musts_held(result.timetable, baseline),
                         str(result.held_weight), str(result.objective), str(result.best_bound)]
                ok = True
            print(" | ".join([str(len(inspection.activities)), described, dropped, why, *cells]), flush=True)
            return ok

        for dropped, why in dropouts(baseline, NOW, args.people):
            row(dropped, why)
        # The busiest inspector; when losing them leaves a must impossible, the next busiest too.
        for rank, inspector in enumerate(busiest_inspectors(baseline, NOW)[:args.inspectors]):
            if row(inspector, "busiest inspector" if rank == 0 else f"inspector no. {rank + 1} by sessions"):
                break


if __name__ == "__main__":
    main()
