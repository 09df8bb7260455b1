"""What a what-if changed, occurrence by occurrence, compared with the baseline (SPEC §4, §5)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from models.inspection import Inspection, moment_text, period_text
from models.timetable import Session, Timetable

CHANGE_KINDS = ("added", "moved", "room", "inspectors", "attendees", "cancelled")


@dataclass(frozen=True)
class Change:
    occurrence_id: str
    change: str  # the first of CHANGE_KINDS that applies
    old: Session | None  # None: added (the baseline did not hold it)
    new: Session | None  # None: cancelled

    @property
    def notify(self) -> tuple[str, ...]:
        """Every inspector and person in the occurrence before or after the change."""
        ids = list(self.old.everyone) if self.old is not None else []
        if self.new is not None:
            ids += [i for i in self.new.everyone if i not in ids]
        return tuple(ids)

    @property
    def taken_out(self) -> tuple[str, ...]:
        """People in the occurrence before who are not in it after (they get a cancellation)."""
        if self.old is None:
            return ()
        after = set(self.new.everyone) if self.new is not None else set()
        return tuple(i for i in self.old.everyone if i not in after)


def cancel_sequence(old: Session) -> int:
    """The SEQUENCE of the CANCEL for a cancelled occurrence: one above what the diaries hold."""
    return old.sequence + 1


def change_kind(old: Session | None, new: Session | None) -> str | None:
    if old is None:
        return None if new is None else "added"
    if new is None:
        return "cancelled"
    if (old.day, old.start, old.end) != (new.day, new.start, new.end):
        return "moved"
    if old.room_id != new.room_id:
        return "room"
    if set(old.inspector_ids) != set(new.inspector_ids):
        return "inspectors"
    if set(old.attendee_ids) != set(new.attendee_ids):
        return "attendees"
    return None


def changes_between(baseline: Timetable, new: Timetable) -> tuple[Change, ...]:
    """One Change per baseline occurrence that was moved, re-roomed, re-peopled or cancelled, in
    the baseline's time order; then one per occurrence added, in the new timetable's time order.
    Only the first are changes in SPEC §4's sense (an added occurrence is not one)."""
    out = []
    after = {s.occurrence_id: s for s in new.sessions}
    for old in baseline.sorted_sessions():
        now = after.get(old.occurrence_id)
        kind = change_kind(old, now)
        if kind is not None:
            out.append(Change(old.occurrence_id, kind, old, now))
    before = {s.occurrence_id for s in baseline.sessions}
    out += [Change(s.occurrence_id, "added", None, s) for s in new.sorted_sessions() if s.occurrence_id not in before]
    return tuple(out)


def counted(changes: tuple[Change, ...]) -> int:
    """The number of changes in SPEC §4's sense: added occurrences are not changes."""
    return sum(c.change != "added" for c in changes)


def changes_in_words(baseline: Timetable, changes: tuple[Change, ...], inspection: Inspection | None = None) -> str:
    """'kept 91 of 97 sessions as they were; moved 3, changed people in 2, cancelled 1 (low);
    added 1 new' (or 'nothing changed'). A cancelled session is counted at its priority in
    `inspection` (INPUT as it is: one the lead lowered to low counts as low), 'removed' when gone
    from it."""
    if not changes:
        return f"nothing changed: kept all {len(baseline.sessions)} sessions as they were"
    kinds = [c.change for c in changes]
    kept = len(baseline.sessions) - counted(changes)
    parts = [f"moved {kinds.count('moved')}" if "moved" in kinds else "",
             f"changed rooms of {kinds.count('room')}" if "room" in kinds else "",
             f"changed people in {kinds.count('inspectors') + kinds.count('attendees')}"
             if "inspectors" in kinds or "attendees" in kinds else ""]
    cancelled = [c for c in changes if c.change == "cancelled"]
    if cancelled:
        by_id = (inspection or baseline.inspection).occurrence_by_id
        priorities = [by_id[c.occurrence_id].activity.priority if c.occurrence_id in by_id else "removed"
                      for c in cancelled]
        tally = ", ".join(f"{priorities.count(p)} {p}" if len(set(priorities)) > 1 else p
                          for p in dict.fromkeys(sorted(priorities, key=_PRIORITY_ORDER.index)))
        parts.append(f"cancelled {len(cancelled)} ({tally})")
    text = f"kept {kept} of {len(baseline.sessions)} sessions as they were"
    changed = ", ".join(p for p in parts if p)
    text += f"; {changed}" if changed else ""
    added = kinds.count("added")
    return text + (f"; added {added} new" if added else "")


_PRIORITY_ORDER = ("must", "high", "medium", "low", "removed")


@dataclass(frozen=True)
class WhatIf:
    """Who drops out, and from when (SPEC §6 `whatif`)."""

    drop: tuple[str, ...] = ()  # inspector, person or room ids, out from `now` on
    unavailable: tuple[tuple[str, int, int, int], ...] = ()  # (id, day, start, end)
    now: tuple[int, int] | None = None  # (day, minute): what starts before has happened
    # (id, day, minute): a drop carried from an earlier re-plan, out since then (said so in words)
    since: tuple[tuple[str, int, int], ...] = ()

    def in_words(self, name: Callable[[str], str] = str, *, with_now: bool = True) -> list[str]:
        """What was asked, a line each, `name` giving an id's name: 'Anna Clarke drops out from Wed
        09:00', 'Anna Clarke is away Thu 09:00-12:00', 'what starts before Wed 09:00 has happened'
        (that last one only `with_now`)."""
        when = "" if self.now is None else moment_text(self.now)
        since = {i: (day, minute) for i, day, minute in self.since}
        lines = [f"{name(i)} drops out from {moment_text(since[i])}" if i in since else
                 f"{name(i)} drops out {f'from {when}' if when else 'for the whole week'}" for i in self.drop]
        lines += [f"{name(resource)} is away {period_text(day, start, end)}"
                  for resource, day, start, end in self.unavailable]
        if when and with_now:
            lines.append(f"what starts before {when} has happened and stays as it was")
        return lines

    def after(self, earlier: WhatIf | None) -> WhatIf:
        """This request as a re-plan of one made for `earlier` (the what-if the baseline was
        re-planned for): what had happened by its `now` is still past (the later `now` of the two),
        and whoever it had out and this one drops again is out since then (`since`). A re-plan of
        a re-plan never takes back what has happened."""
        if earlier is None:
            return self
        nows = [n for n in (self.now, earlier.now) if n is not None]
        now = max(nows) if nows else None
        return replace(self, now=now, since=_since(self, earlier, now))

    def carried_forward(self, earlier: WhatIf | None, known: Callable[[str], bool] = lambda _: True) -> WhatIf:
        """This request with `earlier` (the what-if the baseline was re-planned for) still in force:
        who dropped out stays out and who was away stays away (ids still `known` to the input), as
        a re-plan `after` it. Without it a re-plan of a re-plan would put the people who dropped out
        back into sessions."""
        if earlier is None:
            return self
        return replace(self, drop=tuple(dict.fromkeys(self.drop + tuple(i for i in earlier.drop if known(i)))),
                       unavailable=tuple(dict.fromkeys(self.unavailable + tuple(
                           u for u in earlier.unavailable if known(u[0]))))).after(earlier)

    def not_repeated(self, earlier: WhatIf | None, known: Callable[[str], bool] = lambda _: True) -> WhatIf:
        """What `earlier` asked that this request does not ask again, and so lifts: its drops and
        absences, of ids still `known` to the input and not dropped here (a drop covers an absence)."""
        if earlier is None:
            return WhatIf()
        return WhatIf(drop=tuple(i for i in earlier.drop if i not in self.drop and known(i)),
                      unavailable=tuple(u for u in earlier.unavailable if u not in self.unavailable
                                        and u[0] not in self.drop and known(u[0])),
                      now=earlier.now, since=earlier.since)

    def without(self, resource_id: str) -> WhatIf:
        """This request with `resource_id` back: neither dropped out nor away."""
        return replace(self, drop=tuple(i for i in self.drop if i != resource_id),
                       unavailable=tuple(u for u in self.unavailable if u[0] != resource_id),
                       since=tuple(x for x in self.since if x[0] != resource_id))

    @property
    def who_is_out(self) -> tuple[str, ...]:
        """The ids dropped out or away, each once."""
        return tuple(dict.fromkeys(self.drop + tuple(u[0] for u in self.unavailable)))

    @property
    def anyone_out(self) -> bool:
        return bool(self.who_is_out)


def _since(later: WhatIf, earlier: WhatIf, now: tuple[int, int] | None) -> tuple[tuple[str, int, int], ...]:
    """When each of `later`'s drops first dropped out, where that is before `now`: the time
    recorded for them, or `earlier`'s now for its own drops (the week's start without one)."""
    recorded = {i: (day, minute) for i, day, minute in (*later.since, *earlier.since)}
    out = []
    for i in later.drop:
        times = [t for t in (recorded.get(i), (earlier.now or (0, 0)) if i in earlier.drop else None) if t]
        if times and min(times) != now:
            out.append((i, *min(times)))
    return tuple(out)
