"""The CP-SAT variables, in one container keyed by domain ids, shared by every rule function.

Per occurrence: `held`, `start` (week minutes), one literal per possible day, per candidate room,
per candidate inspector and per pool member. Every resource (inspector, person, room) has a list of
(occurrence, literal-that-it-attends) and a list of busy intervals that `post_no_overlaps` turns into
one NoOverlap each — so lunch breaks and sessions share one constraint per inspector.
"""
from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from models import Inspection
from scheduler.candidates import DAY, Candidates, Options

Literal = cp_model.IntVar  # a Boolean variable or its negation


class Variables:
    def __init__(self, model: cp_model.CpModel, inspection: Inspection, candidates: Candidates,
                 explain: bool = False):
        self.model = model
        self.explain = explain  # give each requirement a switch (see `guard`)
        self.guards: dict[tuple[str, str], Literal] = {}
        self.inspection = inspection
        self.candidates = candidates
        self.true = model.new_constant(1)
        self.held: dict[str, Literal] = {}
        self.start: dict[str, cp_model.IntVar] = {}
        self.interval: dict[str, cp_model.IntervalVar] = {}
        self.on_day: dict[str, dict[int, Literal]] = {}
        self.room: dict[str, dict[str, Literal]] = {}
        self.site: dict[str, dict[str, Literal]] = {}  # physical sites only
        self.inspector: dict[str, dict[str, Literal]] = {}  # every inspector who may attend
        self.pool: dict[str, dict[str, Literal]] = {}  # chosen pool members
        self.attendance: dict[str, list[tuple[str, Literal]]] = defaultdict(list)  # resource -> (occ, lit)
        self.busy: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)  # resource -> intervals
        self._both: dict[tuple[int, int], Literal] = {}
        self.and_parts: dict[int, tuple[Literal, Literal]] = {}  # and-literal index -> its parts
        self.lunch: dict[tuple[str, int], cp_model.IntVar] = {}  # (inspector, day) -> break start
        # var = offset + sum(coef * term): helpers the rules define, so a hint can fill them in
        self.definitions: list[tuple[cp_model.IntVar, int, list[tuple[int, cp_model.IntVar]]]] = []
        for options in candidates:
            self._add_occurrence(options)

    # --- construction ------------------------------------------------------------------------
    def _add_occurrence(self, options: Options) -> None:
        m, occ = self.model, options.occurrence
        oid, dur = occ.id, options.duration
        held = self.true if occ.is_must and not self.explain else m.new_bool_var(f"held[{oid}]")
        if occ.is_must and self.explain:
            m.add_implication(self.guard("must", oid), held)
        self.held[oid] = held
        starts = options.starts or (0,)  # an empty domain: nothing fits; the rules make it unheld
        start = m.new_int_var_from_domain(cp_model.Domain.from_values(starts), f"start[{oid}]")
        self.start[oid] = start
        self.interval[oid] = m.new_optional_fixed_size_interval_var(start, dur, held, f"session[{oid}]")
        if not options.starts:
            m.add(held == 0)
        days = options.days
        if len(days) == 1:
            self.on_day[oid] = {days[0]: held}
        else:
            self.on_day[oid] = {d: m.new_bool_var(f"on_day[{oid},{d}]") for d in days}
            m.add(sum(self.on_day[oid].values()) == held)
            for d, lit in self.on_day[oid].items():
                m.add_linear_expression_in_domain(
                    start, cp_model.Domain(d * DAY, d * DAY + DAY - 1)).only_enforce_if(lit)
        self.room[oid] = self._choice(oid, "room", [r.id for r in options.rooms], held)
        self.site[oid] = {}
        for site in options.sites():
            lits = [self.room[oid][r.id] for r in options.rooms if not r.virtual and r.site == site]
            self.site[oid][site] = lits[0] if len(lits) == 1 else self._or(lits, f"site[{oid},{site}]")
        chosen = self._choice(oid, "inspector", options.inspector_pool, None)
        everyone = {i: held for i in options.named_inspectors}
        everyone.update(chosen)
        everyone.update({i: m.new_bool_var(f"all[{oid},{i}]") for i in options.all_inspectors})
        self.inspector[oid] = everyone
        self.pool[oid] = self._choice(oid, "pool", options.pool_members, None)
        for resource, lit in everyone.items():
            self.attendance[resource].append((oid, lit))
        for person in options.named_attendees:
            self.attendance[person].append((oid, held))
        for person, lit in self.pool[oid].items():
            self.attendance[person].append((oid, lit))
        for room_id, lit in self.room[oid].items():
            self.attendance[room_id].append((oid, lit))
        for lit in list(chosen.values()) + list(self.pool[oid].values()):
            m.add_implication(lit, held)

    def _choice(self, oid: str, kind: str, ids, exactly_one_if) -> dict[str, Literal]:
        lits = {i: self.model.new_bool_var(f"{kind}[{oid},{i}]") for i in ids}
        if exactly_one_if is not None:
            self.model.add(sum(lits.values()) == exactly_one_if)
        return lits

    def _or(self, lits, name: str) -> Literal:
        out = self.model.new_bool_var(name)
        self.model.add_max_equality(out, lits)
        return out

    # --- what rules ask ----------------------------------------------------------------------
    def guard(self, kind: str, subject: str) -> Literal:
        """The switch of one requirement (e.g. ("travel", "P1")): a fresh literal when explaining
        infeasibility, so the solver can say which requirements clash; else always true."""
        if not self.explain:
            return self.true
        key = (kind, subject)
        if key not in self.guards:
            self.guards[key] = self.model.new_bool_var(f"require[{kind},{subject}]")
        return self.guards[key]

    def when(self, kind: str, subject: str, *literals: Literal) -> list[Literal]:
        """Enforcement literals for a constraint of requirement (kind, subject)."""
        lits = [lit for lit in literals if lit is not self.true]
        if self.explain:
            lits.append(self.guard(kind, subject))
        return lits

    def define(self, name: str, lo: int, hi: int, offset: int, terms: list[tuple[int, Literal]]):
        """A new variable equal to offset + sum(coef * var) (recorded for complete hints)."""
        var = self.model.new_int_var(lo, hi, name)
        self.model.add(var == offset + sum(c * t for c, t in terms))
        self.definitions.append((var, offset, terms))
        return var

    def end(self, oid: str):
        return self.start[oid] + self.candidates[oid].duration

    def both(self, a: Literal, b: Literal) -> Literal:
        """A literal that is true whenever a and b both are (cached: one per pair).

        Every use is monotone (an interval's presence, a term of an upper-bounded sum), so only
        "a and b imply it" is posted; the solver never gains by setting it true on its own."""
        if a is self.true:
            return b
        if b is self.true or a is b:
            return a
        key = (min(a.index, b.index), max(a.index, b.index))
        if key not in self._both:
            lit = self.model.new_bool_var(f"and[{a.name},{b.name}]")
            self.model.add_bool_or([a.negated(), b.negated(), lit])
            self._both[key] = lit
            self.and_parts[lit.index] = (a, b)
        return self._both[key]

    def attends_on(self, resource: str, oid: str, lit: Literal, day: int) -> Literal | None:
        """True when `resource` attends occurrence `oid` on `day` (None: it cannot be that day)."""
        on_day = self.on_day[oid].get(day)
        if on_day is None:
            return None
        if on_day is self.held[oid]:
            return lit  # one possible day: attending already implies it is held that day
        return self.both(lit, on_day)

    def resource_interval(self, oid: str, lit: Literal, before: int = 0, after: int = 0, demand_tag: str = ""):
        """The session's interval as seen by one resource, optionally widened by travel time."""
        if lit is self.held[oid] and not before and not after:
            return self.interval[oid]
        start = self.start[oid]
        size = self.candidates[oid].duration + before + after
        return self.model.new_optional_fixed_size_interval_var(
            start - before, size, lit, f"iv[{oid},{lit.name}{demand_tag}]")

    def post_no_overlaps(self) -> None:
        for resource, intervals in self.busy.items():
            if len(intervals) > 1:
                self.model.add_no_overlap(intervals)
