"""The checker on a re-plan's week: its timetable judged against INPUT with the recorded dropouts
applied, where what only concerns sessions that already happened is history, not a broken rule.
Solver-free, like the rest of the checker."""
from __future__ import annotations

from checker import check_timetable
from models.changes import WhatIf
from models.dropout import apply_dropouts, frozen_sessions
from models.inspection import Inspection
from models.timetable import Session, Timetable


def whatif_violations(timetable: Timetable, frozen: dict[str, Session]) -> list[str]:
    """The checker on a re-plan's week (its inspection with the dropouts applied), leaving out what
    concerns the frozen past only."""
    live = {s.occurrence_id for s in timetable.sessions} - set(frozen)
    return [p for p in check_timetable(timetable)
            if not (any(f in p for f in frozen) and not any(o in p for o in live))]


def check_whatif(inspection: Inspection, timetable: Timetable, request: WhatIf) -> list[str]:
    """Rule violations of a re-plan's timetable, read back against the input and its request."""
    frozen = frozen_sessions(timetable, request)
    adjusted, _ = apply_dropouts(inspection, request, frozen)
    return whatif_violations(Timetable(adjusted, timetable.sessions, timetable.unscheduled), frozen)


__all__ = ["check_whatif", "whatif_violations"]
