"""Solver-free reasons that one occurrence cannot be held on its own (a window shorter than the
session, no room that fits, too few inspectors of an inspectorate, a named person or inspector never
free when it could be held), and the words shared with the explanations of infeasibility."""
from __future__ import annotations

from models import DAYS, Inspection, Occurrence, format_minutes
from models.inspection import PRACTITIONER_ONLY_TYPES
from scheduler.candidates import Candidates, Options, free_starts, minimum_headcount


# --- words ----------------------------------------------------------------------------------
def occurrence_title(inspection: Inspection, occurrence_id: str) -> str:
    occ = inspection.occurrence_by_id[occurrence_id]
    day = f" on {DAYS[occ.days[0]]}" if occ.activity.recurs_daily else ""
    return f"'{occ.activity.title}'{day}"


def names_of(inspection: Inspection, ids) -> str:
    out = []
    for i in ids:
        who = inspection.inspector_by_id.get(i) or inspection.person_by_id.get(i) or inspection.room_by_id.get(i)
        out.append(f"{who.name} ({i})" if who else i)
    return ", ".join(out)


def when_allowed(inspection: Inspection, occ: Occurrence) -> str:
    a = occ.activity
    days = "/".join(DAYS[d] for d in occ.days)
    if a.fixed_time is not None:
        return f"at {days} {format_minutes(a.fixed_time)}"
    s = inspection.settings
    lo = format_minutes(a.earliest if a.earliest is not None else s.day_start)
    hi = format_minutes(a.latest if a.latest is not None else s.day_end)
    return f"on {days} between {lo} and {hi}"


def who_parts(inspection: Inspection, occ: Occurrence, inspectors_only: bool = False) -> list[str]:
    a = occ.activity
    parts = []
    if a.all_inspectors:
        parts.append("every inspector free at the time")
    if a.inspectors:
        parts.append(names_of(inspection, a.inspectors))
    if a.inspectorates:
        parts.append(" and ".join(f"one {k} inspector" if k != "any" else "one more inspector"
                                  for k in a.inspectorates))
    if a.attendees and not inspectors_only:
        parts.append(names_of(inspection, a.attendees))
    return parts


def with_whom(inspection: Inspection, occ: Occurrence) -> str:
    parts = who_parts(inspection, occ)
    return f" with {'; '.join(parts)}" if parts else ""


# --- pre-checks -----------------------------------------------------------------------------
def impossible_musts(inspection: Inspection, candidates: Candidates | None = None
                     ) -> list[tuple[str, list[str]]]:
    """(activity id, reasons) for every must occurrence that cannot be held even on its own,
    found by the pre-checks alone (no search): what `validate` reports and `solve` stops on."""
    out = []
    for options in candidates or Candidates(inspection):
        if options.occurrence.is_must and (reasons := precheck(inspection, options)):
            out.append((options.occurrence.activity.id, reasons))
    return out


def precheck(inspection: Inspection, options: Options) -> list[str]:
    """Reasons, on its own, that one occurrence cannot be held (empty: none found)."""
    occ, a = options.occurrence, options.occurrence.activity
    title = occurrence_title(inspection, occ.id)
    if not options.starts:
        return [f"{title} lasts {a.duration} minutes but can only be held {when_allowed(inspection, occ)}, "
                f"inside the day's hours {format_minutes(inspection.settings.day_start)}-"
                f"{format_minutes(inspection.settings.day_end)}: no start time fits."]
    if not options.rooms:
        return [_no_room(inspection, occ)]
    reasons = []
    for item in sorted(set(a.inspectorates)):
        if item == "any":
            continue
        named = [i for i in a.inspectors if inspection.inspector_by_id[i].inspectorate == item]
        have = [i.id for i in inspection.inspectors if i.inspectorate == item and i.id not in named]
        need = a.inspectorates.count(item)
        if len(have) < need:
            reasons.append(f"{title} needs {need} {item} inspector(s) besides those named, "
                           f"but the inspection has {len(have)}{': ' + ', '.join(have) if have else ''}.")
    for resource in a.inspectors + a.attendees + ((a.room,) if a.room else ()):
        if not free_starts(inspection, resource, options.starts, options.duration):
            reasons.append(f"{title} must be held {when_allowed(inspection, occ)} with {names_of(inspection, [resource])}, "
                           f"but {names_of(inspection, [resource])} is unavailable at every such time.")
    if a.type in PRACTITIONER_ONLY_TYPES:
        for person in a.attendees:
            for manager in inspection.managers_above(person):
                if manager in a.attendees:
                    reasons.append(f"{title} is a {a.type.replace('_', ' ')}, which keeps practitioners apart "
                                   f"from their managers, but its attendees include "
                                   f"{names_of(inspection, [person])} and their line manager {names_of(inspection, [manager])}.")
    if a.pool:
        free = [m for m in options.pool_members if free_starts(inspection, m, options.starts, options.duration)]
        if len(free) < a.pool_min:
            reasons.append(f"{title} needs at least {a.pool_min} member(s) of the pool '{a.pool}', "
                           f"but only {len(free)} are ever free when it could be held.")
    return reasons


def _no_room(inspection: Inspection, occ: Occurrence) -> str:
    a, title = occ.activity, occurrence_title(inspection, occ.id)
    need = minimum_headcount(inspection, occ)
    physical = [r for r in inspection.rooms if not r.virtual]
    if a.room:
        room = inspection.room_by_id[a.room]
        return (f"{title} must be held in {room.name} ({room.id}), which does not fit it "
                f"(mode {a.mode}, {need} people, capacity {room.capacity}, "
                f"{'accessible' if room.accessible else 'not accessible'}).")
    if a.mode == "virtual":
        return f"{title} is to be held online, but there is no virtual room."
    if a.site:
        physical = [r for r in physical if r.site == a.site]
    accessible = any(inspection.person_by_id[p].needs_accessible for p in a.attendees)
    biggest = max((r.capacity or 0 for r in physical), default=0)
    if biggest < need:
        where = f" at {a.site}" if a.site else ""
        return f"{title} needs a room for {need} people, but the largest room{where} holds {biggest}."
    if accessible:
        return f"{title} needs an accessible room{' at ' + a.site if a.site else ''} for {need} people, but there is none."
    return f"{title} has no room that fits its mode, site and size."
