"""The re-plan search (SPEC §4 for `whatif`): on a week model already narrowed to what the re-plan
may do, find the timetable with the most `held weight - change_cost x changes`, then the fewest
changes, then the least change to each changed occurrence and solve's tie-breakers.

Up to three searches:
1. the score, and among equal scores the most occurrences unchanged, on all workers (half the
   time unless proven sooner); skipped when the start reaches the score's ceiling (every
   optional held, nothing changed) or the bound known beforehand (the travel-free search's);
   unless it proved its score, the same objective is then searched day by day, the rest of the
   week held (ReplanSearch.day_by_day, a fifth of the time, one worker per day, as many days at
   once as there are workers). When the travel-free search before it proved nothing (`whole_week`
   False), the start goes straight to the days, with DAYS_INSTEAD_OF_PHASE_1 of the time: measured
   on bench/'s hardest re-plans (seed 1, 60 s), the 250-row week's window edit 6755 -> 6775 in 100
   -> 71 s, HC1 out 6769 -> 6796 (55 -> 39 s), CQ1 out 6694 -> 6683 (71 -> 57 s); the 110-row
   week's HC2 out 2742 -> 2750 (21 -> 41 s), OF2 out 2755 -> 2763 (22 -> 24 s);
2. unless that proved the fewest changes: the most unchanged at that score, on all workers;
3. at those two, what the changed occurrences keep of themselves and the tie-breakers of §4.2, by
   one worker (a tenth of the time), the occurrences kept unchanged staying so.
The first version put all three levels in one scaled objective; with a busy inspector out of the
110-row week it kept less (held weight 2868-2878 against 2884-2887 in three searches, in 30-60 s).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ortools.sat.python import cp_model

from models import Session
from models.changes import change_kind
from scheduler.candidates import DAY, Candidates
from scheduler.day_by_day import day_by_day, deterministic_per_second, search_open_days
from scheduler.objective import tie_break_terms, total
from scheduler.search import Watcher, hint_is_solution, make_solver, run_search, seconds_of
from scheduler.week_model import WeekModel

# Shares of --time-limit: phase 1 (when its start holds every must), the days searched again after
# it (when it proved nothing), phase 3; phase 2 has the rest.
PHASE_1_SHARE = 0.5
DAY_BY_DAY_SHARE = 0.2
PHASE_3_SHARE = 0.1
# The days' share when phase 1 is skipped (`whole_week` False: the travel-free search proved nothing).
DAYS_INSTEAD_OF_PHASE_1 = 0.6


@dataclass(frozen=True)
class Found:
    """What the search found: the sessions, its score part (weight + change_cost x unchanged, over
    the occurrences still open) with a bound on it, and what was proven."""

    sessions: list[Session]
    score: int
    bound: int
    score_proven: bool
    changes_proven: bool
    interrupted: bool
    objective_bound: int | None = None  # on phase 1's objective, scale x score + unchanged
    seconds: float = 0.0  # of the time limit that phase 1 spent, when it found a timetable


class MustsUnholdable(Exception):
    """The narrowed week holds no timetable keeping every must (the caller explains why)."""


class NoneInTime(Exception):
    """The time limit came before any timetable keeping every must."""


def pin(week: WeekModel, sessions) -> None:
    """Pin occurrences to how they were held (they have happened)."""
    v, m = week.vars, week.model
    for session in sessions:
        oid = session.occurrence_id
        m.add(v.held[oid] == 1)
        m.add(v.start[oid] == session.day * DAY + session.start)
        for room_id, lit in v.room[oid].items():
            m.add(lit == (room_id == session.room_id))
        for inspector, lit in v.inspector[oid].items():
            if lit is not v.held[oid]:
                m.add(lit == (inspector in session.inspector_ids))
        for person, lit in v.pool[oid].items():
            m.add(lit == (person in session.attendee_ids))


def _unchanged(week: WeekModel, session: Session) -> cp_model.IntVar | None:
    """A literal that can be true only if the occurrence is held exactly as in the baseline (None:
    it cannot be: its room, an inspector or attendee, or its length is no longer possible)."""
    v, m, oid = week.vars, week.model, session.occurrence_id
    options = week.candidates[oid]
    if session.room_id not in v.room[oid] or session.end - session.start != options.duration:
        return None
    missing = [i for i in session.inspector_ids if i not in v.inspector[oid]]
    pool = set(session.attendee_ids) - set(options.named_attendees)
    if missing or not pool <= set(v.pool[oid]) or not set(options.named_attendees) <= set(session.attendee_ids):
        return None
    same = m.new_bool_var(f"unchanged[{oid}]")
    m.add_implication(same, v.held[oid])
    m.add(v.start[oid] == session.day * DAY + session.start).only_enforce_if(same)
    m.add_implication(same, v.room[oid][session.room_id])
    for inspector, lit in v.inspector[oid].items():
        m.add_implication(same, lit if inspector in session.inspector_ids else lit.negated())
    for person, lit in v.pool[oid].items():
        m.add_implication(same, lit if person in pool else lit.negated())
    return same


def _parts_kept(week: WeekModel, session: Session, sites: Mapping[str, str | None]
                ) -> tuple[cp_model.IntVar, list[tuple[int, cp_model.IntVar]]]:
    """(weight, literal) for each part of a baseline session kept as it was: its start (weighed by
    everyone it would disturb), its room (and its building: `sites`, room id -> site, as the
    baseline had them), each inspector and each pool member (and each not added). Once an
    occurrence must change anyway, this keeps the change to what the edit forces (no needless move,
    no pool member swapped out or added, no second inspector replaced, no trip across town)."""
    v, m, oid = week.vars, week.model, session.occurrence_id
    same_start = m.new_bool_var(f"same_start[{oid}]")
    m.add_implication(same_start, v.held[oid])
    m.add(v.start[oid] == session.day * DAY + session.start).only_enforce_if(same_start)
    parts = [(len(session.everyone) + 1, same_start)]
    if session.room_id in v.room[oid]:
        parts.append((1, v.room[oid][session.room_id]))
    # Another room in the same building is less of a change than one across town.
    rooms = week.inspection.room_by_id
    site = sites.get(session.room_id)
    parts += [(1, lit) for r, lit in v.room[oid].items() if site and rooms[r].site == site]
    parts += [(1, v.inspector[oid][i]) for i in session.inspector_ids if i in v.inspector[oid]]
    # Each pool member kept, and each not added: a pool one short takes one more, not a full pool.
    parts += [(1, lit if p in session.attendee_ids else lit.negated()) for p, lit in v.pool[oid].items()]
    return same_start, parts


class _Kept:
    """The literals that say how much of one baseline occurrence the re-plan keeps."""

    def __init__(self, week: WeekModel, session: Session, can_stay: bool, sites: Mapping[str, str | None]):
        self.session = session
        self.unchanged = _unchanged(week, session) if can_stay else None
        self.same_start, self.parts = _parts_kept(week, session, sites)

    def same_as(self, new: Session | None) -> bool:
        return new is not None and change_kind(self.session, new) is None

    def hint(self, model: cp_model.CpModel, new: Session | None) -> None:
        if self.unchanged is not None:
            model.add_hint(self.unchanged, self.same_as(new))
        old = self.session
        model.add_hint(self.same_start, new is not None and (new.day, new.start) == (old.day, old.start))


def _by_id(sessions: list[Session]) -> dict[str, Session]:
    return {s.occurrence_id: s for s in sessions}


class ReplanSearch:
    """The objective pieces of a re-plan on its week model: `weights` of the optional occurrences
    still open (baseline ones and those the lead added or edited), `kept` the baseline sessions
    still to come, whose changes count, and of those the ones that `can_stay` as they were on
    their own (their time, room and people still allowed and free): for the others a change is
    certain, which the bound then knows from the start."""

    def __init__(self, week: WeekModel, weights: dict[str, int], kept: list[Session], change_cost: int,
                 can_stay: set[str], sites: Mapping[str, str | None] | None = None):
        self.week, self.change_cost = week, change_cost
        self.weights, self.kept, self.can_stay = weights, kept, can_stay
        # Room id -> site, as the baseline had them (a room the lead removed still had one).
        self.sites = sites if sites is not None else {r.id: r.site for r in week.inspection.rooms}
        self.keeps = [_Kept(week, s, s.occurrence_id in can_stay, self.sites) for s in kept]
        self.changeable = [k for k in self.keeps if k.unchanged is not None]
        self.scale = len(self.changeable) + 1  # any point of score outweighs every change avoided
        v = week.vars
        self.weight = sum(w * v.held[oid] for oid, w in weights.items())
        self.unchanged = sum(k.unchanged for k in self.changeable)
        self.score = self.weight + change_cost * self.unchanged
        self.ceiling = sum(weights.values()) + change_cost * len(self.changeable)

    def score_of(self, sessions: list[Session]) -> int:
        return sum(self.weights.get(s.occurrence_id, 0) for s in sessions) + self.change_cost * self.unchanged_of(sessions)

    def objective_of(self, sessions: list[Session]) -> int:
        """The first search's objective: any point of score outweighs every change avoided."""
        return self.scale * self.score_of(sessions) + self.unchanged_of(sessions)

    def unchanged_of(self, sessions: list[Session]) -> int:
        by_id = _by_id(sessions)
        return sum(k.same_as(by_id.get(k.session.occurrence_id)) for k in self.changeable)

    def hint(self, sessions: list[Session]) -> None:
        """A complete hint: the week's variables and the re-plan's own literals."""
        self.week.hint(sessions)
        by_id = _by_id(sessions)
        for k in self.keeps:
            k.hint(self.week.model, by_id.get(k.session.occurrence_id))

    def keeps_every_rule(self, sessions: list[Session]) -> bool:
        """The timetable keeps every constraint of the re-plan's model (WeekModel.keeps_every_rule)."""
        self.hint(sessions)
        return hint_is_solution(self.week.model)

    def day_by_day(self, sessions: list[Session], pinned: set[str], *, deterministic: float, seed: int,
                   started: float, progress, parallel: int = 1, bound: int | None = None) -> tuple[list[Session], bool]:
        """Phase 1's objective searched again one day (then two) at a time, the rest of the week
        held as it is (scheduler.day_by_day), one worker per day, `parallel` days at once: the
        timetable and whether Ctrl-C came.
        `pinned`: the occurrences pinned as `sessions` hold them (the past), which stay so; `bound`:
        a bound on the score, which ends the search once reached (phase 2 then counts the changes).
        `progress` is called as the search's Watcher calls it (the caller shows the week's score)."""
        def search(candidates: Candidates, start: list[Session], budget: float):
            day = ReplanSearch(WeekModel(self.week.inspection, candidates=candidates), self.weights, self.kept,
                               self.change_cost, self.can_stay, self.sites)
            pin(day.week, [s for s in start if s.occurrence_id in pinned])
            day.week.model.maximize(day.scale * day.score + day.unchanged)
            day.hint(start)
            return search_open_days(day.week.model, day.week.read, seed=seed, deterministic=budget,
                                    watcher=Watcher(day.week, started, progress))

        def better(found: list[Session], best: list[Session]) -> bool:
            return self.objective_of(found) > self.objective_of(best)
        sessions, _, interrupted = day_by_day(
            self.week.candidates, sessions, search, better, deterministic, parallel=parallel,
            keeps_rules=self.keeps_every_rule,
            proven=None if bound is None else lambda found: self.score_of(found) >= bound)
        return sessions, interrupted

    def run(self, mended: list[Session], mended_ok: bool, *, time_limit: float, started: float, seed: int,
            workers: int, pinned: set[str] = frozenset(), on_progress: Callable | None = None,
            only_score: bool = False, objective_bound: int | None = None, whole_week: bool = True) -> Found:
        """The three searches (module docstring). `mended` is the starting hint; `mended_ok` says it
        keeps every rule and holds every must, so it may prove the answer on its own; `pinned` are
        the occurrences already pinned (the past). Each search gets a fixed share of `time_limit`,
        never what the clock says is left, so that a search stopped on deterministic time
        (scheduler.search) gives the same answer on every run. `only_score`: the first search
        only (the travel-free one of scheduler.whatif); `objective_bound`: a bound on its objective
        known beforehand (from the travel-free search), which proves an answer reaching it;
        `whole_week` False: no whole-week search of the score, the days instead (module docstring)."""
        m = self.week.model
        scale = self.scale
        if objective_bound is not None:
            m.add(scale * self.score + self.unchanged <= objective_bound)

        def search(objective, hint: list[Session] | None, share: float, progress, workers: int = workers):
            m.maximize(objective)
            if hint is None:
                m.clear_hints()
            else:
                self.hint(hint)
            solver = make_solver(seed, workers, time_limit=share * time_limit)
            status, interrupted = run_search(solver, m, Watcher(self.week, started, progress))
            if interrupted and status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                raise KeyboardInterrupt
            return solver, status, interrupted

        interrupted, spent = False, 0.0
        # Phase 1 takes half the time, keeping the rest for phases 2 and 3; nearly all of it when
        # the start misses a must: finding any timetable is then the hard part.
        first = 1.0 if only_score else PHASE_1_SHARE if mended_ok else 1.0 - PHASE_3_SHARE
        whole_week = whole_week or not mended_ok or only_score
        if not whole_week:
            first = 0.0
        # Phase 1's objective can reach no higher than at the ceiling (every optional held, nothing
        # changed), nor than the bound known beforehand.
        raw_bound = scale * self.ceiling + len(self.changeable)
        if objective_bound is not None:
            raw_bound = min(raw_bound, objective_bound)
        if mended_ok:
            m.add(self.score >= self.score_of(mended))
        if mended_ok and self.objective_of(mended) >= raw_bound:
            # The start reaches it: both the score and the fewest changes are proven, unsearched.
            sessions, score_proven, changes_proven = mended, True, True
            best = bound = self.score_of(mended)
        elif not whole_week:
            # Straight to the days, as the solve does on weeks whose first search proved nothing.
            sessions, score_proven, changes_proven = mended, False, False
            best = self.score_of(mended)
            bound = max(best, raw_bound // scale)
        else:
            progress = None if on_progress is None else (
                lambda elapsed, objective, bound, held: on_progress(elapsed, objective // scale, bound // scale, held))
            # Only a start holding every must is a hint: CP-SAT's deterministic (interleaved) search
            # aborts the process on a model with no solution that carries a hint.
            solver, status, interrupted = search(scale * self.score + self.unchanged, mended if mended_ok else None,
                                                 first, progress)
            if status == cp_model.INFEASIBLE:
                raise MustsUnholdable()
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                score_proven = changes_proven = status == cp_model.OPTIMAL  # both levels at once
                sessions, spent = self.week.read(solver), seconds_of(solver.deterministic_time, workers)
                best = self.score_of(sessions)
                bound = best if score_proven else max(best, int(solver.best_objective_bound) // scale)
                raw_bound = int(solver.best_objective_bound)
            elif mended_ok:  # no answer in time (a large week on a busy machine): the start keeps every rule
                sessions, score_proven, changes_proven = mended, False, False
                best, bound = self.score_of(mended), self.ceiling
            else:
                raise NoneInTime()
        if only_score:
            return Found(sessions, best, bound, score_proven, changes_proven, interrupted, raw_bound, spent)

        # From here the progress line shows the best score so far against its bound.
        progress = None if on_progress is None else (
            lambda elapsed, _objective, _bound, held: on_progress(elapsed, best, bound, held))
        # Days: from what phase 2 would have had (none when phase 1 had nearly all the time).
        days = 0.0 if score_proven or interrupted else \
            DAYS_INSTEAD_OF_PHASE_1 if not whole_week else min(DAY_BY_DAY_SHARE, 1.0 - first - PHASE_3_SHARE)
        if days > 0:
            sessions, interrupted = self.day_by_day(
                sessions, pinned, seed=seed, started=started, progress=progress, parallel=workers, bound=bound,
                deterministic=days * time_limit * deterministic_per_second(len(m.proto.variables)) * workers)
            best = self.score_of(sessions)
            score_proven = best >= bound

        # 2. The fewest changes, at that score (unless every occurrence that can stay the same does).
        m.add(self.score >= best)
        second = 1.0 - first - days - PHASE_3_SHARE
        if not changes_proven and not interrupted and second > 0:
            solver, status, interrupted = search(self.unchanged, sessions, second, progress)
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                sessions = self.week.read(solver)
                changes_proven = score_proven and status == cp_model.OPTIMAL

        # 3. Within those: the least change to each changed occurrence, then §4.2, on one worker.
        #    What stays as it was stays so; with nothing else held there is nothing left to decide.
        by_id = _by_id(sessions)
        kept = {k.session.occurrence_id for k in self.changeable if k.same_as(by_id.get(k.session.occurrence_id))}
        if not interrupted and not set(by_id) <= kept | pinned:
            for k in self.changeable:
                if k.session.occurrence_id in kept:
                    m.add(k.unchanged == 1)
            parts = [(w, lit) for k in self.keeps for w, lit in k.parts]
            tie_break = total(tie_break_terms(self.week.vars))
            weight = _span(m, tie_break) + 1  # any part kept outweighs every tie-breaker
            solver, status, interrupted = search(weight * sum(w * lit for w, lit in parts) + tie_break, sessions,
                                                 PHASE_3_SHARE, None, workers=1)
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                sessions = self.week.read(solver)
        return Found(sessions, best, bound, score_proven, changes_proven, interrupted)


def _span(model: cp_model.CpModel, expression) -> int:
    """An upper bound on |expression| from its variables' domains (read off the objective proto)."""
    model.maximize(expression)
    proto = model.proto
    objective = proto.objective
    return sum(abs(c) * max(abs(d) for d in proto.variables[r if r >= 0 else -r - 1].domain)
               for r, c in zip(objective.vars, objective.coeffs))


__all__ = ["Found", "MustsUnholdable", "NoneInTime", "ReplanSearch", "pin"]
