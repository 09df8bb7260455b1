"""The checker on a re-plan's week: its timetable judged against INPUT with the recorded dropouts
applied, where what only concerns sessions that already happened is history, not a broken rule.
Solver-free, like the rest of the checker."""
from __future__ import annotations

from checker import Violation, check_timetable
from models.changes import WhatIf
from models.dropout import apply_dropouts, frozen_sessions
from models.inspection import Inspection
from models.timetable import Session, Timetable


def whatif_violations(timetable: Timetable, frozen: dict[str, Session]) -> list[Violation]:
    """The checker on a re-plan's week (its inspection with the dropouts applied), leaving out what
    concerns the frozen past only (every occurrence it names has happened)."""
    return [v for v in check_timetable(timetable)
            if not (v.occurrence_ids and all(o in frozen for o in v.occurrence_ids))]


def check_whatif(inspection: Inspection, timetable: Timetable, request: WhatIf) -> list[Violation]:
    """Rule violations of a re-plan's timetable, read back against the input and its request."""
    frozen = frozen_sessions(timetable, request)
    adjusted, _ = apply_dropouts(inspection, request, frozen)
    return whatif_violations(Timetable(adjusted, timetable.sessions, timetable.unscheduled), frozen)


__all__ = ["check_whatif", "whatif_violations"]
