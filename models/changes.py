"""What a what-if changed, occurrence by occurrence, compared with the baseline (SPEC §4, §5)."""
from __future__ import annotations

from dataclasses import dataclass

from models.timetable import Session, Timetable

CHANGE_KINDS = ("moved", "room", "inspectors", "attendees", "cancelled")


@dataclass(frozen=True)
class Change:
    occurrence_id: str
    change: str  # the first of CHANGE_KINDS that applies
    old: Session
    new: Session | None  # None: cancelled

    @property
    def notify(self) -> tuple[str, ...]:
        """Every inspector and person in the occurrence before or after the change."""
        ids = list(self.old.everyone)
        if self.new is not None:
            ids += [i for i in self.new.everyone if i not in ids]
        return tuple(ids)

    @property
    def taken_out(self) -> tuple[str, ...]:
        """People in the occurrence before who are not in it after (they get a cancellation)."""
        after = set(self.new.everyone) if self.new is not None else set()
        return tuple(i for i in self.old.everyone if i not in after)


def change_kind(old: Session, new: Session | None) -> str | None:
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
    """One Change per baseline occurrence that was moved, re-roomed, re-peopled or cancelled."""
    out = []
    for old in baseline.sorted_sessions():
        now = new.session(old.occurrence_id)
        kind = change_kind(old, now)
        if kind is not None:
            out.append(Change(old.occurrence_id, kind, old, now))
    return tuple(out)


@dataclass(frozen=True)
class WhatIf:
    """Who drops out, and from when (SPEC §6 `whatif`)."""

    drop: tuple[str, ...] = ()  # inspector, person or room ids, out from `now` on
    unavailable: tuple[tuple[str, int, int, int], ...] = ()  # (id, day, start, end)
    now: tuple[int, int] | None = None  # (day, minute): what starts before has happened
