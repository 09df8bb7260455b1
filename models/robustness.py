"""Robustness (SPEC §6 `robustness`): for each inspector, partner person and room, what the week
would lose if they dropped out from a given time on, ranked by harm."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from models.changes import WhatIf

# The columns of robustness.csv, in order (SPEC §6).
COLUMNS = ("id", "name", "kind", "sessions", "musts_lost", "held_weight_lost", "changes", "status", "seconds")


@dataclass(frozen=True)
class Question:
    """"What if `id` dropped out from `start` on?" — one re-plan of the baseline."""

    id: str
    name: str
    kind: str  # inspector, person or room
    sessions: int  # baseline sessions they are in (or a room hosts) at or after `start`
    start: tuple[int, int]  # (day, minute): what starts before has happened
    # The what-if the baseline was re-planned for (models.changes.WhatIf), still in force: whoever
    # dropped out then stays out in this question's re-plan too.
    earlier: WhatIf | None = None

    def request(self, known: Callable[[str], bool] = lambda _: True) -> WhatIf:
        """The re-plan this question asks for: its id out from `start`, the earlier what-if kept."""
        return WhatIf(drop=(self.id,), now=self.start).carried_forward(self.earlier, known)


@dataclass(frozen=True)
class Answer:
    """What the week loses without one id. `held_weight_lost` and `changes` are None when no
    re-plan holding every other must exists (INFEASIBLE) or none was found in time (UNKNOWN)."""

    question: Question
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE or UNKNOWN (as in solve.json)
    musts_lost: int | None  # must sessions that can no longer be held; None: UNKNOWN
    held_weight_lost: int | None
    changes: int | None
    why: tuple[str, ...] = ()  # in words: which sessions go and why (musts first)
    seconds: float = 0.0  # wall time of the re-plan: varies from run to run
    cpu_seconds: float = 0.0  # CPU time it used: what it costs on an idle core (varies a little)
    peak_memory_mb: float = 0.0  # the worker process's peak resident memory: varies too

    @property
    def outcome(self) -> tuple:
        """Everything but the run-dependent timings: what the pool and a cluster must agree on."""
        return (self.question, self.status, self.musts_lost, self.held_weight_lost, self.changes, self.why)

    @property
    def harm(self) -> tuple:
        """Sorts the most harmful first: musts lost, then no re-plan at all (INFEASIBLE, then none
        found in time), then held weight lost, then changes; ties by id."""
        return (-(self.musts_lost or 0), self.status != "INFEASIBLE", self.status != "UNKNOWN",
                -(self.held_weight_lost or 0), -(self.changes or 0), self.question.id)


@dataclass(frozen=True)
class Report:
    """The answers, most harmful first; `partial` when the sweep was stopped before the end."""

    start: tuple[int, int]
    answers: tuple[Answer, ...]
    questions: int  # how many were asked
    partial: bool = False
    seed: int = 0
    time_limit: float = 0.0  # per question
    wall_seconds: float = 0.0

    @staticmethod
    def ranked(answers) -> tuple[Answer, ...]:
        return tuple(sorted(answers, key=lambda a: a.harm))
