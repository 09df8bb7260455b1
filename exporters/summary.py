"""What a solve or a re-plan says when it ends, and its live progress line: sessions first, in a
lead's words ("All 36 musts held. Left out: 4 high, ..."), the solver's figures after."""
from __future__ import annotations

from collections import Counter

from models import PRIORITIES, Inspection, SolveResult
from models.inspection import PRIORITY_WEIGHT, format_minutes

OPTIONAL = tuple(p for p in PRIORITIES if p != "must")


def plain_summary(result: SolveResult, inspection: Inspection | None = None) -> list[str]:
    """The lines `solve` and `whatif` print: musts held, what was left out, how many more could
    fit, then held weight, bound, gap and time for those who want them. `inspection`: the one the
    lead wrote, when the timetable's own was adjusted (a what-if pins its past as musts)."""
    timetable = result.timetable
    by_id = (inspection or timetable.inspection).occurrence_by_id
    musts_held = sum(s.occurrence_id in by_id and by_id[s.occurrence_id].is_must
                     for s in timetable.sessions)
    # unscheduled.csv's own rows: a what-if's cancelled musts are there as musts
    cancelled = sum(u.priority == "must" for u in timetable.unscheduled)
    left = Counter(u.priority for u in timetable.unscheduled if u.priority != "must")
    if not cancelled:
        first = f"All {musts_held} musts held."
    else:  # a what-if cancels a must whose partner attendees all dropped out
        first = (f"{musts_held} of {musts_held + cancelled} musts held; {cancelled} cancelled, "
                 "needing a substitute (see unscheduled.csv).")
    lines = []
    if sum(left.values()):
        counts = ", ".join(f"{left[p]} {p}" for p in OPTIONAL if left[p])
        lines.append(f"{first} Left out: {counts} (see unscheduled.csv).")
        lines.append(_more_text(result, left))
    else:
        lines.append(f"{first} Every optional session held too.")
    score = "held weight" if result.held_weight is None else (
        f"held weight {result.held_weight} - {result.change_cost} x {result.changes} changes = score")
    lines.append(f"{len(timetable.sessions)} sessions in all. {result.status}: {score} "
                 f"{result.objective}, bound {result.best_bound}, gap {result.gap:.2%}, "
                 f"{result.wall_seconds:.1f} s.")
    if result.interrupted:
        lines.insert(0, "Interrupted: this timetable holds every must but is not proven optimal.")
    return lines


def _more_text(result: SolveResult, left: Counter) -> str:
    """How many of the left-out sessions the solver's bound still allows: the lightest first,
    while their weight fits in the gap between bound and held weight."""
    if result.held_weight is not None:  # a re-plan's bound is on its score, not on sessions
        if result.status == "OPTIMAL" or result.best_bound <= result.objective:
            return ("No re-plan scores higher (proven): the rest would cost more changes than they are worth, "
                    "or were not in the baseline (a re-plan adds only what the lead added or edited).")
        return "A longer run may find a re-plan that holds more or changes less."
    if result.status == "OPTIMAL" or result.best_bound <= result.objective:
        return "No timetable holds more (proven): the rest do not fit."
    room, more = result.best_bound - result.objective, 0
    for priority in reversed(OPTIONAL):  # low first: the most sessions for the weight
        weight = PRIORITY_WEIGHT[priority]
        fit = min(left[priority], room // weight) if weight else left[priority]
        more += fit
        room -= fit * weight
    if more == 0:
        return "None of them can fit: the bound leaves less room than the lightest one needs."
    return f"At most {more} more could fit: a longer run may find some."


def progress_text(elapsed: float, limit: float, best: tuple[int, int, int] | None) -> str:
    """The live line: time out of the limit, then the best so far (held weight, bound, sessions)."""
    clock = f"{elapsed:5.0f} s of {limit:g} s"
    if best is None:
        return f"{clock}  looking for a first timetable..."
    objective, bound, held = best
    gap = (bound - objective) / max(1, bound)
    return f"{clock}  {held} sessions  held weight {objective}  bound {bound}  gap {gap:.2%}"


def changes_summary(inspection: Inspection, changes, counted: int, proven_minimal: bool | None,
                    outbox: int, baseline: Inspection | None = None) -> list[str]:
    """A what-if's changes, one line each, with the session's title and the names to tell
    (`baseline`: the names of what the lead has since removed)."""
    from exporters.changes import PEOPLE_FIELD, name_of, people_changed, title_of, when

    proof = "proven minimal" if proven_minimal else "not proven minimal (time limit)"
    lines = [f"{counted} change(s) to the baseline, {proof}; {outbox} file(s) in outbox/ to send"]

    def name(resource_id: str) -> str:
        return name_of(resource_id, inspection, baseline)

    for c in changes:
        # Same start, other length (its duration edited): the end says what moved.
        longer = c.old is not None and c.new is not None and when(c.old) == when(c.new) and c.old.end != c.new.end

        def at(s):
            return f"{when(s)}-{format_minutes(s.end)}" if longer else when(s)
        before = "" if c.old is None else f"{at(c.old)}, {name(c.old.room_id)}"
        after = "" if c.new is None else f"{at(c.new)}, {name(c.new.room_id)}"
        # A change of people keeps the time and room: said once.
        where = before if c.change in PEOPLE_FIELD else " -> ".join(p for p in (before, after) if p)
        names = ", ".join(map(name, c.notify))
        who = people_changed(c, name)
        # 'attendees: without Pam Pratt', but 'moved; inspectors: Ann instead of Bo' (two changes).
        joined = "" if not who else ": " if c.change in PEOPLE_FIELD else "; "
        lines.append(f"  {c.occurrence_id} '{title_of(c, inspection, baseline)}': {c.change}"
                     f"{joined}{who} ({where}); tell {names or 'nobody'}")
    return lines
