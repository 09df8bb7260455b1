"""A timetable: the sessions held (occurrences placed in time and room, with who attends) and the
optional activities left out, with the reason in words."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from models.inspection import DAYS, Inspection, format_minutes


@dataclass(frozen=True)
class Session:
    """A held occurrence."""

    occurrence_id: str
    activity_id: str
    day: int
    start: int  # minutes after midnight
    end: int
    room_id: str
    inspector_ids: tuple[str, ...]
    attendee_ids: tuple[str, ...]  # named attendees and chosen pool members
    sequence: int = 0  # the calendar SEQUENCE, raised whenever the occurrence changes

    @property
    def day_name(self) -> str:
        return DAYS[self.day]

    @property
    def start_text(self) -> str:
        return format_minutes(self.start)

    @property
    def end_text(self) -> str:
        return format_minutes(self.end)

    @property
    def everyone(self) -> tuple[str, ...]:
        return self.inspector_ids + self.attendee_ids

    def overlaps(self, other: "Session") -> bool:
        return self.day == other.day and self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Unscheduled:
    activity_id: str
    priority: str
    reason: str
    occurrence_id: str | None = None  # for one day of a daily activity


@dataclass(frozen=True)
class Timetable:
    inspection: Inspection
    sessions: tuple[Session, ...]
    unscheduled: tuple[Unscheduled, ...] = ()
    # (occurrence id, the SEQUENCE its CANCEL carried) for each occurrence a re-plan of the chain
    # cancelled and none has held since: held again, its invite must go above that number, or
    # Outlook ignores it as older than the cancellation.
    cancelled: tuple[tuple[str, int], ...] = ()
    # (occurrence id, UID) for each occurrence whose invitations went out under that UID (a re-plan's
    # baseline, as its invites/ hold them): it keeps it, however UIDs are made for new occurrences.
    uids: tuple[tuple[str, str], ...] = ()

    @cached_property
    def uid_by_occurrence(self) -> dict[str, str]:
        """`uids` looked up by occurrence id (read once per timetable, not once per invitation)."""
        return dict(self.uids)

    def sorted_sessions(self) -> tuple[Session, ...]:
        return tuple(sorted(self.sessions, key=lambda s: (s.day, s.start, s.room_id, s.occurrence_id)))

    def session(self, occurrence_id: str) -> Session | None:
        return next((s for s in self.sessions if s.occurrence_id == occurrence_id), None)

    def sessions_of(self, resource_id: str) -> tuple[Session, ...]:
        """Every session an inspector or person attends, or a room hosts, in time order."""
        return tuple(
            s for s in self.sorted_sessions() if resource_id in s.everyone or s.room_id == resource_id
        )

    def musts_missing(self) -> tuple[str, ...]:
        """Occurrence ids of musts neither held nor listed as not held: in a folder `schedule`
        wrote there are none, so a baseline with some was edited by hand (a row taken out)."""
        held = {s.occurrence_id for s in self.sessions}
        listed = {u.occurrence_id or u.activity_id for u in self.unscheduled}
        return tuple(o.id for o in self.inspection.occurrences
                     if o.is_must and o.id not in held and o.id not in listed and o.activity.id not in listed)

    @property
    def held_weight(self) -> int:
        """SPEC §4.1: the priority weight of the optional occurrences held."""
        by_id = self.inspection.occurrence_by_id
        return sum(by_id[s.occurrence_id].activity.weight for s in self.sessions)


@dataclass(frozen=True)
class SolveResult:
    """What a solve (or what-if) returns: the timetable and how good it is."""

    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN
    timetable: Timetable | None
    objective: int  # the held weight of SPEC §4.1 (a re-plan: its score of §4, see held_weight)
    best_bound: int
    wall_seconds: float
    seed: int
    first_solution_seconds: float | None = None
    interrupted: bool = False
    changes: int | None = None  # re-plan (what-if) only, as the rest of this block
    changes_proven_minimal: bool | None = None
    held_weight: int | None = None  # a re-plan's `objective` is held_weight - change_cost x changes
    change_cost: int | None = None
    stats: tuple[tuple[str, object], ...] = ()  # model size and timings, for bench/

    @property
    def gap(self) -> float:
        return (self.best_bound - self.objective) / max(1, self.best_bound)
