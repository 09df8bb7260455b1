"""Ruin and recreate (as Timefold's and jsprit's local search do it), with first fit: one step takes
an occurrence left out, at one of its starts, and takes out of its way the sessions holding what it
needs then (its named inspectors, attendees and room, one inspector of each inspectorate item picked
at random, a room at random half the time, and one more session of each of those inspectors whose
day it would overfill). It is placed first fit; then what was taken out goes back first fit (its
old start first), and then whatever else was left out that day. The step is kept when every must is
still held and the held weight is no less (so equal steps wander); else it is undone exactly.

The CP-SAT searches pick their neighbourhoods at random over the whole model; at 600 rows each step
of theirs takes seconds and the days searched again gained 1 in a minute, while these steps, many
per second, each aim at one session left out. Measured from the 600-row week's first fit (16794):
16948 after 3000 steps (24 s). The steps come from a seeded random generator and their number is
fixed by the caller, so the same input and seed give the same timetable on any machine.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace

from models import Inspection, Session
from scheduler.candidates import DAY, Candidates, Options
from scheduler.greedy import FirstFit, hardest_first, least_busy_that_day, musts_first, old_start_first
from scheduler.search import stop_requested

# Steps per second of --time-limit, for a week of this many occurrences (ruin_steps): a step takes
# longer the more is placed. Measured on this project's 2-core machines, about 1/1200 s on the
# example, 1/700 s at 110 rows, 1/380 s at 250 and 1/130 s at 600; so the steps take well under the
# seconds they stand for. Twice as many gained 1 more at 600 rows (16948 -> 16949).
STEP_RATE = 45_000


def ruin_steps(seconds: float, occurrences: int) -> int:
    """How many steps stand for `seconds` of a week with this many occurrences."""
    return int(seconds * STEP_RATE / max(occurrences, 60))


def ruined_and_recreated(inspection: Inspection, candidates: Candidates, sessions: list[Session], *,
                         steps: int, seed: int, on_gain: Callable[[int, int], None] | None = None
                         ) -> tuple[list[Session], bool]:
    """`sessions` (holding every must) after `steps` steps of ruin and recreate (module docstring):
    never less held weight, every rule kept as first fit keeps them; the sessions in the
    inspection's order, and whether Ctrl-C or Stop (scheduler.search.stoppable) ended the steps
    early, keeping the timetable of the last step kept. `on_gain(held weight, sessions)` is told
    of each gain."""
    fit = FirstFit(inspection, least_busy_that_day)
    for s in sessions:
        fit.book(s)
    rng = random.Random(seed)
    weight = {o.id: (0 if o.is_must else o.activity.weight) for o in inspection.occurrences}
    musts = {o.id for o in inspection.occurrences if o.is_must}
    inspectorate = {i.id: i.inspectorate for i in inspection.inspectors}
    cap = inspection.settings.max_inspector_contact_minutes
    in_order = [o for o in musts_first(inspection, candidates) if o.starts]
    kept = list(fit.placed)  # as the last step kept it: what Ctrl-C leaves, whatever it cut short
    held = {s.occurrence_id for s in kept}
    current = sum(weight[oid] for oid in held)
    interrupted = False
    try:
        for _ in range(steps):
            left = [o for o in in_order if o.occurrence.id not in held]
            if not left or stop_requested():
                interrupted = bool(left)
                break
            new = _step(fit, left, candidates, rng, inspectorate, cap, musts, weight, current)
            if new >= current:
                kept = list(fit.placed)
                held = {s.occurrence_id for s in kept}
                gained, current = new > current, new
                if on_gain is not None and gained:
                    on_gain(current, len(kept))
    except KeyboardInterrupt:
        interrupted = True
    by_id = {s.occurrence_id: s for s in kept}
    return [by_id[o.id] for o in inspection.occurrences if o.id in by_id], interrupted


def _step(fit: FirstFit, left: list[Options], candidates: Candidates, rng: random.Random,
          inspectorate: dict[str, str], cap: int, musts: set[str], weight: dict[str, int], current: int) -> int:
    """One step (module docstring) on `fit`, holding `current` weight: the held weight it makes
    (-1: it lost a must), `fit` left as it was when that is less."""
    target = rng.choices(left, weights=[weight[o.occurrence.id] or 1 for o in left])[0]
    t = rng.choice(target.starts)
    mark = fit.mark()
    out = _ruin(fit, target, t, rng, inspectorate, cap)
    fit.place(replace(target, starts=(t,)))
    for s, options in sorted(((s, candidates[s.occurrence_id]) for s in out), key=hardest_first):
        fit.place(old_start_first(options, s))
    now_held = {s.occurrence_id for s in fit.placed}
    if not musts <= now_held:
        fit.undo(mark)
        return -1
    day = t // DAY
    for options in left:
        if options.occurrence.id not in now_held and day in options.days:
            if fit.place(replace(options, starts=tuple(x for x in options.starts if x // DAY == day))):
                now_held.add(options.occurrence.id)
    new = sum(weight[oid] for oid in now_held)
    if new < current:
        fit.undo(mark)
    return new


def _ruin(fit: FirstFit, target: Options, t: int, rng: random.Random, inspectorate: dict[str, str],
          cap: int) -> list[Session]:
    """Take out of the way of `target` at start t what it needs then (module docstring): the
    sessions taken out."""
    activity = target.occurrence.activity
    day, begin, end = t // DAY, t % DAY, t % DAY + target.duration
    needs = set(target.named_inspectors) | set(target.all_inspectors) | set(target.named_attendees)
    if activity.room:
        needs.add(activity.room)
    chosen: list[str] = []
    for item in activity.inspectorates:
        pool = [i for i in target.inspector_pool if (item == "any" or inspectorate[i] == item) and i not in chosen]
        if pool:
            chosen.append(rng.choice(pool))
    needs.update(chosen)
    rooms = [r.id for r in target.rooms if not r.virtual]
    if rooms and not activity.room and rng.random() < 0.5:
        needs.add(rng.choice(rooms))
    out = {s.occurrence_id: s for s in fit.placed
           if s.day == day and s.start < end and begin < s.end and needs & ({*s.everyone, s.room_id})}
    # An inspector whose day the target would overfill gives up one more session that day.
    for i in [*target.named_inspectors, *chosen]:
        minutes = fit.diary.day_minutes[(i, day)] - sum(s.end - s.start for s in out.values() if i in s.inspector_ids)
        if minutes + target.duration > cap:
            theirs = [s for s in fit.placed if s.day == day and i in s.inspector_ids and s.occurrence_id not in out]
            if theirs:
                s = rng.choice(theirs)
                out[s.occurrence_id] = s
    taken = [out[oid] for oid in sorted(out)]
    for s in taken:
        fit.unbook(s)
    return taken
