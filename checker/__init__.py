"""The solver-free checker: every rule of SPEC §3, run on any timetable (a solver's answer, a
what-if's, or one read back from an output folder)."""
from __future__ import annotations

from checker.rules import RULES, Violation
from models.timetable import Timetable


def check_timetable(timetable: Timetable) -> list[Violation]:
    """Every violation of SPEC §3, each with its ids and a plain sentence; an empty list means
    every rule is kept."""
    return [problem for rule in RULES for problem in rule(timetable)]


__all__ = ["RULES", "Violation", "check_timetable"]
