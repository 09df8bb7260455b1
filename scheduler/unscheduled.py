"""Why each optional occurrence was left out, in words a timetabling lead can act on: either it
cannot be held at all (and which requirement rules out every time), or it competes for inspectors,
people or rooms with the sessions that were held (named, highest priority first)."""
from __future__ import annotations

from models import DAYS, PRIORITIES, Session, Timetable, Unscheduled
from scheduler.candidates import DAY, Candidates, Options
from scheduler.precheck import precheck  # words shared with infeasibility explanations


def _competitors(timetable: Timetable, options: Options) -> list[tuple[Session, set[str]]]:
    needs = options.could_involve()
    window = [(t, t + options.duration) for t in options.starts]
    lo = min((s for s, _ in window), default=0)
    hi = max((e for _, e in window), default=0)
    out = []
    for s in timetable.sessions:
        begin, end = s.day * DAY + s.start, s.day * DAY + s.end
        shared = needs & (set(s.everyone) | {s.room_id})
        if shared and begin < hi and lo < end and s.day in options.days:
            out.append((s, shared))
    by_id = timetable.inspection.occurrence_by_id
    rank = {p: i for i, p in enumerate(PRIORITIES)}  # must first, then high, medium, low
    out.sort(key=lambda x: (rank[by_id[x[0].occurrence_id].activity.priority], x[0].day, x[0].start))
    return out


def _reason(timetable: Timetable, options: Options) -> str:
    blocked = precheck(timetable.inspection, options)
    if blocked:
        return "it cannot be held at all: " + blocked[0]
    rivals = _competitors(timetable, options)
    if not rivals:
        return ("no free combination of room, inspectors and attendees fits alongside the sessions held "
                "(lunch breaks, travel and daily limits included)")
    by_id = timetable.inspection.occurrence_by_id
    named = []
    for session, shared in rivals[:3]:
        activity = by_id[session.occurrence_id].activity
        named.append(f"'{activity.title}' ({activity.priority}, {DAYS[session.day]} {session.start_text}; "
                     f"{', '.join(sorted(shared))})")
    more = f" and {len(rivals) - 3} more" if len(rivals) > 3 else ""
    return "it competes for the same inspectors, people or rooms with " + "; ".join(named) + more


def unscheduled_reasons(timetable: Timetable, candidates: Candidates) -> tuple[Unscheduled, ...]:
    held = {s.occurrence_id for s in timetable.sessions}
    out = []
    for options in candidates:
        occ = options.occurrence
        if occ.id in held or occ.is_must:
            continue
        reason = _reason(timetable, options)
        if occ.activity.recurs_daily:
            reason = f"not held on {DAYS[occ.days[0]]}: {reason}"
        out.append(Unscheduled(occ.activity.id, occ.activity.priority, reason, occ.id))
    return tuple(out)
