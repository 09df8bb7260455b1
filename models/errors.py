"""The one small error hierarchy; the CLI maps each to a message and an exit code."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located where the user will look for it."""

    table: str
    row: int | None  # the row number the user sees in the spreadsheet (header = row 1)
    column: str | None
    message: str
    # the row's activity as the lead knows it ("PRB009 'Health focus group'"): shown, not compared
    what: str = field(default="", compare=False)

    def __str__(self) -> str:
        where = self.table
        if self.row is not None:
            where += f", row {self.row}"
        if self.what:
            where += f" ({self.what})"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class ScheduleError(Exception):
    """Anything a user can cause; never shown as a traceback."""

    exit_code = 1


class InputError(ScheduleError):
    """The input tables are wrong; carries every problem found."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class Infeasible(ScheduleError):
    """No timetable can keep every rule and hold every must; `reasons` are plain sentences."""

    exit_code = 1
    status = "INFEASIBLE"  # as solve.json reports it

    def __init__(self, reasons: list[str] | tuple[str, ...], minimal: bool = True,
                 activity_ids: tuple[str, ...] = ()):
        self.reasons = tuple(reasons)
        self.minimal = minimal
        self.activity_ids = activity_ids  # the musts involved, for unscheduled.csv
        super().__init__("\n".join(self.reasons))


class MailError(ScheduleError):
    """`send` could not reach the mail server, log in, or get a message accepted; sent.csv
    holds exactly what the server accepted before, so running again sends only the rest."""

    exit_code = 3


class TimeLimitReached(Infeasible):
    """The search ran out of time before any timetable holding every must was found, and nothing
    was proven impossible either: a longer time limit may find one."""

    status = "UNKNOWN"
