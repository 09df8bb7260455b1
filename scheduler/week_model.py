"""The CP-SAT model of one inspection week: the variables, every rule of SPEC §3, the redundant
cuts and the held weight; a timetable can be given to it as a hint and read back from a solver."""
from __future__ import annotations

from functools import partial

from ortools.sat.python import cp_model

from models import Inspection, Session
from scheduler.candidates import DAY, Candidates
from scheduler.objective import held_weight
from scheduler.redundant import REDUNDANT
from scheduler.search import hint_is_solution
from scheduler.rules import RULES, TRAVEL_FREE_RULES, post_rules, travel_between_sites
from scheduler.variables import Variables


class WeekModel:
    """The CP-SAT model of one inspection week, with its variables and objective pieces."""

    def __init__(self, inspection: Inspection, explain: bool = False, narrow=None,
                 candidates: Candidates | None = None, rules=RULES):
        self.inspection = inspection
        self.model = cp_model.CpModel()
        self.candidates = candidates or Candidates(inspection, narrow)
        self.vars = Variables(self.model, inspection, self.candidates, explain=explain)
        post_rules(self.vars, rules)
        if not explain:
            for cut in REDUNDANT:
                cut(self.vars)
        self.held_weight = held_weight(self.vars)

    def without_travel(self) -> "WeekModel | None":
        """The same week without rule 4 (travel), for a quick first search (scheduler.solve);
        None when travel constrains nothing here (one site). Call it before adding to this model."""
        relaxed = WeekModel(self.inspection, candidates=self.candidates, rules=TRAVEL_FREE_RULES)
        return None if len(relaxed.model.proto.constraints) == len(self.model.proto.constraints) else relaxed

    def with_travel_for(self, resources) -> "WeekModel":
        """The same week with rule 4 (travel) for these inspectors and people only."""
        return WeekModel(self.inspection, candidates=self.candidates,
                         rules=TRAVEL_FREE_RULES + (partial(travel_between_sites, only=frozenset(resources)),))

    def hint(self, sessions: list[Session]) -> None:
        """Start the search from a known timetable. Every variable the rules create is hinted
        (sites, lunch breaks, and-literals too): a complete hint is taken as a first solution
        straight after presolve instead of being repaired by search."""
        v, m = self.vars, self.model
        m.clear_hints()
        values: dict[int, int] = {v.true.index: 1}

        def put(var, value) -> None:
            if var.index >= 0 and var.index not in values:
                values[var.index] = int(value)
                m.add_hint(var, int(value))

        by_id = {s.occurrence_id: s for s in sessions}
        for options in self.candidates:
            oid = options.occurrence.id
            s = by_id.get(oid)
            put(v.held[oid], s is not None)
            put(v.start[oid], s.day * DAY + s.start if s else options.starts[0] if options.starts else 0)
            for day, lit in v.on_day[oid].items():
                put(lit, s is not None and day == s.day)
            for room_id, lit in v.room[oid].items():
                put(lit, s is not None and room_id == s.room_id)
            for site, lit in v.site[oid].items():
                put(lit, s is not None and self.inspection.room_by_id[s.room_id].site == site
                    and not self.inspection.room_by_id[s.room_id].virtual)
            for inspector, lit in v.inspector[oid].items():
                put(lit, s is not None and inspector in s.inspector_ids)
            for person, lit in v.pool[oid].items():
                put(lit, s is not None and person in s.attendee_ids)
        for (inspector, day), var in v.lunch.items():
            put(var, _lunch_start(self.inspection, sessions, inspector, day))

        def value(lit) -> int | None:
            if lit.index >= 0:
                return values.get(lit.index)
            positive = values.get(-lit.index - 1)
            return None if positive is None else 1 - positive

        for index, (a, b) in v.and_parts.items():  # in creation order: parts come first
            va, vb = value(a), value(b)
            if va is not None and vb is not None:
                put(m.get_bool_var_from_proto_index(index), va and vb)
        for var, offset, terms in v.definitions:  # likewise in creation order
            parts = [value(t) for _, t in terms]
            if None not in parts:
                put(var, offset + sum(c * p for (c, _), p in zip(terms, parts)))

    def keeps_every_rule(self, sessions: list[Session]) -> bool:
        """The timetable keeps every constraint of this model (the rules, and whatever a caller
        added, such as a re-plan's pinned past); the model's hint is then that timetable."""
        self.hint(sessions)
        return hint_is_solution(self.model)

    def read(self, solver: cp_model.CpSolver) -> list[Session]:
        v = self.vars
        sessions = []
        for options in self.candidates:
            oid = options.occurrence.id
            if not solver.boolean_value(v.held[oid]):
                continue
            start = solver.value(v.start[oid])
            room = next(r for r, lit in v.room[oid].items() if solver.boolean_value(lit))
            inspectors = tuple(i for i, lit in v.inspector[oid].items() if solver.boolean_value(lit))
            pool = tuple(p for p, lit in v.pool[oid].items() if solver.boolean_value(lit))
            sessions.append(Session(
                occurrence_id=oid, activity_id=options.occurrence.activity.id,
                day=start // DAY, start=start % DAY, end=start % DAY + options.duration, room_id=room,
                inspector_ids=inspectors, attendee_ids=tuple(options.named_attendees) + pool,
            ))
        return sessions


def _lunch_start(inspection: Inspection, sessions: list[Session], inspector: str, day: int) -> int:
    """The earliest free lunch break of an inspector on a day, in week minutes."""
    st = inspection.settings
    busy = [(s.start, s.end) for s in sessions if s.day == day and inspector in s.inspector_ids]
    start = st.lunch_break(busy)
    return day * DAY + (st.lunch_earliest if start is None else start)
