"""Benchmark the re-plan after an edit to INPUT (SPEC §6 `whatif`, issue 14's targets): solve a
baseline week, then make one edit at a time to its input (an activity added, one removed, a window
edited, unavailability lifted, unavailability added) and re-plan each from the same baseline; then
a person's dropout and the busiest inspector's from `--now` (Tuesday 12:00). Each row prints the
seconds, the status, the changes (and whether proven minimal), the held weight, the §4 score
(held weight - change_cost x changes) and the bound on it, and for the inspector the first-fit
"mended" re-plan's score next to it.

    python -m bench.bench_replan                       # 110 rows, 2 workers
    python -m bench.bench_replan --sizes 110 250 --replan-time-limit 30
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace

from bench.bench import TIME_LIMITS, load
from bench.bench_whatif import NOW, busiest_inspectors, dropouts
from models import Inspection, ScheduleError, Timetable, Unavailability
from models.changes import WhatIf, changes_between, counted

TARGETS = {110: (5.0, 10.0), 250: (None, 30.0)}  # (single edit or person, busiest inspector) seconds


def single_edits(inspection: Inspection, baseline: Timetable) -> list[tuple[str, Inspection]]:
    """(what, edited inspection): one of each kind of edit the issue names, chosen from the baseline."""
    by_id = {s.occurrence_id: s for s in baseline.sessions}
    acts = inspection.activity_by_id
    held = [acts[s.activity_id] for s in baseline.sorted_sessions() if not acts[s.activity_id].recurs_daily]
    optional = next(a for a in held if not a.is_must and a.fixed_time is None)
    edits = []
    new = replace(optional, id="NEW1", title=optional.title + " (extra)")
    edits.append((f"add {new.id} (a copy of {optional.id}, {new.priority})",
                  replace(inspection, activities=inspection.activities + (new,))))
    edits.append((f"remove {optional.id} ({optional.priority})",
                  replace(inspection, activities=tuple(a for a in inspection.activities if a.id != optional.id))))
    movable = next(a for a in held if a.is_must and a.fixed_time is None
                   and by_id[a.id].start + 60 + a.duration <= (a.latest or inspection.settings.day_end))
    later = replace(movable, earliest=by_id[movable.id].start + 60)
    edits.append((f"edit {movable.id}'s window (earliest {later.earliest // 60:02d}:{later.earliest % 60:02d})",
                   replace(inspection, activities=tuple(later if a.id == movable.id else a
                                                        for a in inspection.activities))))
    lifted = inspection.unavailability[0]
    edits.append((f"lift {lifted.resource_id}'s unavailability",
                  replace(inspection, unavailability=inspection.unavailability[1:])))
    busy = next(s for s in baseline.sorted_sessions() if s.day >= 2 and s.attendee_ids)
    person = busy.attendee_ids[0]
    edits.append((f"add unavailability for {person} at {busy.occurrence_id}",
                  replace(inspection, unavailability=inspection.unavailability
                          + (Unavailability(person, busy.day, busy.start, busy.end, "bench"),))))
    return edits


def main() -> None:
    from scheduler import solve
    from scheduler.whatif import whatif

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[110])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--replan-time-limit", type=float, default=60.0)
    parser.add_argument("--inspectors", type=int, default=99)
    args = parser.parse_args()
    header = ("rows", "edit", "seconds", "status", "changes", "proven minimal", "held weight", "score",
              "bound", "first-fit score", "target")
    print(f"{args.workers} workers, re-plan limit {args.replan_time_limit:g} s")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for size in args.sizes:
        inspection = load(size, args.seed)
        base = solve(inspection, time_limit=TIME_LIMITS.get(size, 120.0), seed=args.seed, workers=args.workers)
        baseline = base.timetable
        print(f"baseline {size} rows: {base.status}, {len(baseline.sessions)} held, weight {base.objective}, "
              f"{base.wall_seconds:.0f} s", flush=True)
        single, inspector_target = TARGETS.get(size, (None, None))

        def row(what: str, edited: Inspection, request: WhatIf, target: float | None) -> bool:
            started = time.monotonic()
            try:
                result = whatif(edited, baseline, request, time_limit=args.replan_time_limit, seed=args.seed,
                                workers=args.workers)
            except ScheduleError as err:
                reason = " ".join(str(err).split())[:120]
                cells = [f"{time.monotonic() - started:.1f}", f"infeasible: {reason}"] + ["-"] * 7
                ok = False
            else:
                assert counted(changes_between(baseline, result.timetable)) == result.changes
                cells = [f"{result.wall_seconds:.1f}", result.status, str(result.changes),
                         "yes" if result.changes_proven_minimal else "no", str(result.held_weight),
                         str(result.objective), str(result.best_bound), str(dict(result.stats)["mended_score"]),
                         f"< {target:g} s" if target else "-"]
                ok = True
            print(" | ".join([str(len(edited.activities)), what, *cells]), flush=True)
            return ok

        for what, edited in single_edits(inspection, baseline):
            row(what, edited, WhatIf(), single)
        for person, why in dropouts(baseline, NOW, 1):
            row(f"{person} out from Tue 12:00 ({why})", inspection, WhatIf(drop=(person,), now=NOW), single)
        for rank, inspector in enumerate(busiest_inspectors(baseline, NOW)[:args.inspectors]):
            why = "busiest inspector" if rank == 0 else f"inspector no. {rank + 1}"
            if row(f"{inspector} out from Tue 12:00 ({why})", inspection, WhatIf(drop=(inspector,), now=NOW),
                   inspector_target):
                break


if __name__ == "__main__":
    main()
