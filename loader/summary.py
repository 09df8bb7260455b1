"""The short overview `schedule validate` prints for an input that loads cleanly."""
from __future__ import annotations

from collections import Counter

from loader.tables import show
from models import DAYS, PRIORITIES, Inspection, format_minutes


def summary(inspection: Inspection) -> str:
    """Who, where and what, and whether the must-hold inspector time fits in the week."""
    s = inspection.settings
    rooms = Counter("virtual" if r.virtual else r.site for r in inspection.rooms)
    activities = inspection.activities
    occurrences = inspection.occurrences
    needed = must_inspector_minutes(inspection)
    available = available_inspector_minutes(inspection)
    share = f" ({needed / available:.0%})" if available else ""
    title = show(s.inspection_name + (f", {s.local_authority}" if s.local_authority else ""), 80)
    lines = [
        f"{title}: week of {DAYS[0]} {s.week_start.isoformat()}, day {format_minutes(s.day_start)}–"
        f"{format_minutes(s.day_end)}, {s.slot_minutes}-minute slots",
        f"Inspectors: {len(inspection.inspectors)} ({_counts(i.inspectorate for i in inspection.inspectors)})",
        f"People: {len(inspection.people)} ({_counts(p.agency for p in inspection.people)})",
        f"Rooms: {len(inspection.rooms)} ({_counts_of(rooms)})",
        f"Activities: {len(activities)} by type ({_counts(a.type for a in activities)})",
        f"  by priority ({_counts_of(Counter(a.priority for a in activities), PRIORITIES)})",
        f"Occurrences: {len(occurrences)} ({sum(o.is_must for o in occurrences)} must)",
        f"Must-hold inspector minutes: {needed} of {available} available in the week{share}",
    ]
    if needed > available:
        lines.append("  Warning: the must activities need more inspector time than the week has.")
    return "\n".join(lines)


def must_inspector_minutes(inspection: Inspection) -> int:
    """Sum over must occurrences of duration × inspectors needed (`all` = every inspector)."""
    total = 0
    for occurrence in inspection.occurrences:
        activity = occurrence.activity
        if not activity.is_must:
            continue
        if activity.all_inspectors:
            needed = len(inspection.inspectors)
        else:
            needed = len(activity.inspectors) + len(activity.inspectorates)
        total += activity.duration * needed
    return total


def available_inspector_minutes(inspection: Inspection) -> int:
    """Each inspector's day hours over the five days, less their unavailability within them."""
    s = inspection.settings
    total = 0
    for inspector in inspection.inspectors:
        for day in range(len(DAYS)):
            busy = sorted((max(start, s.day_start), min(end, s.day_end))
                          for d, start, end in inspection.unavailable.get(inspector.id, ())
                          if d == day)
            free = s.day_end - s.day_start
            covered_to = s.day_start
            for start, end in busy:  # merge overlaps so no minute is taken off twice
                start = max(start, covered_to)
                if end > start:
                    free -= end - start
                    covered_to = end
            total += free
    return total


def _counts(values) -> str:
    return _counts_of(Counter(values))


def _counts_of(counter: Counter, order: tuple[str, ...] | None = None) -> str:
    keys = [k for k in order if counter[k]] if order else sorted(counter, key=str)
    return ", ".join(f"{show(str(key), 60)} {counter[key]}" for key in keys) or "none"
