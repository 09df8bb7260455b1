"""Why each optional occurrence was left out, in words a timetabling lead can act on: either it
cannot be held at all (and which requirement rules out every time), or it competes for inspectors,
people or rooms with the sessions that were held (the most constraining first, at most five,
by title, day and time)."""
from __future__ import annotations

from models import DAYS, PRIORITIES, Session, Timetable, Unscheduled
from scheduler.candidates import DAY, Candidates, Options
from scheduler.precheck import precheck  # words shared with infeasibility explanations


MOST_NAMED = 5  # rivals named in one reason: enough to act on, short enough to read


def _required(options: Options) -> set[str]:
    """What the occurrence must have: its named inspectors and attendees, every inspector for
    `all`, and a named room (a pool member or an inspector of a wanted inspectorate is one of
    several who would do)."""
    required = set(options.named_inspectors) | set(options.named_attendees) | set(options.all_inspectors)
    room = options.occurrence.activity.room
    return required | {room} if room else required


def _competitors(timetable: Timetable, options: Options) -> list[tuple[Session, set[str]]]:
    """The held sessions that use what the occurrence could involve while it could be held, the
    most constraining first: those holding more of what it must have, then more of what it could
    use, then the higher priority, then the earlier."""
    required, needs = _required(options), options.could_involve()
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
    out.sort(key=lambda x: (-len(x[1] & required), -len(x[1]),
                            rank[by_id[x[0].occurrence_id].activity.priority], x[0].day, x[0].start))
    return out


def _reason(timetable: Timetable, options: Options) -> str:
    inspection = timetable.inspection
    blocked = precheck(inspection, options)
    if blocked:
        return "it cannot be held at all: " + blocked[0]
    rivals = _competitors(timetable, options)
    if not rivals:
        return ("no free combination of room, inspectors and attendees fits alongside the sessions held "
                "(lunch breaks, travel and daily limits included)")
    named = []
    for session, shared in rivals[:MOST_NAMED]:
        activity = inspection.occurrence_by_id[session.occurrence_id].activity
        who = ", ".join(sorted(inspection.name_of(i) for i in shared))
        named.append(f"'{activity.title}' ({DAYS[session.day]} {session.start_text}-{session.end_text}, "
                     f"{activity.priority}; {who})")
    return "it competes for the same inspectors, people or rooms with " + "; ".join(named)


def unscheduled_reasons(timetable: Timetable, candidates: Candidates) -> tuple[Unscheduled, ...]:
    held = {s.occurrence_id for s in timetable.sessions}
    out = []
    for options in candidates:
        occ = options.occurrence
        if occ.id in held or occ.is_must:
            continue
        reason = on_day(occ.id) + _reason(timetable, options)
        out.append(Unscheduled(occ.activity.id, occ.activity.priority, reason, occ.id))
    return tuple(out)


def on_day(occurrence_id: str | None) -> str:
    """'not held on Tue: ', which starts the reason of one day of a daily activity (`KIT@Tue`,
    as unscheduled.csv lists it by activity id); '' for any other occurrence."""
    return f"not held on {occurrence_id.split('@')[1]}: " if occurrence_id and "@" in occurrence_id else ""
