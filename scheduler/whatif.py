"""What-if: someone drops out; re-solve keeping the baseline's sessions, with the fewest changes.

1. The request is applied to the inspection (`apply_whatif`): a dropped inspector, person or room is
   unavailable from `now` on; a dropped named inspector becomes one more "inspectorate" item of the
   same inspectorate (so another one can step in); a dropped named attendee is no longer required,
   and a session left with no partner attendee (team meetings aside, pools aside) is cancelled.
2. The week model is built on that inspection and told: what started before `now` is frozen as it
   was; nothing starts before `now`; nothing the baseline did not hold is added.
3. Objective (SPEC §4 for what-ifs): first the baseline's held weight kept, then the fewest changes,
   then the least change to each changed occurrence and solve's tie-breakers (see `whatif`).
"""
from __future__ import annotations

import time
from dataclasses import replace

from ortools.sat.python import cp_model

from models import Infeasible, Inspection, Session, SolveResult, Timetable, Unavailability, Unscheduled
from models.changes import WhatIf, change_kind, changes_between
from models.inspection import DAYS, WHOLE_DAY, format_minutes
from scheduler.candidates import DAY, Options
from scheduler.explain import explanation, involved_activities
from scheduler.greedy import FirstFit
from scheduler.objective import tie_break_terms, total
from scheduler.precheck import precheck
from scheduler.search import Watcher, make_solver, run_search
from scheduler.week_model import WeekModel
from scheduler.unscheduled import unscheduled_reasons

NEEDS_SUBSTITUTE = "needs a substitute"
ALL_PARTNERS_OUT = "its partner attendees have all dropped out"


def _now_minute(request: WhatIf) -> int:
    return -1 if request.now is None else request.now[0] * DAY + request.now[1]


def frozen_sessions(baseline: Timetable, request: WhatIf) -> dict[str, Session]:
    """Sessions that started before `now`: they have happened and stay exactly as they were."""
    now = _now_minute(request)
    return {s.occurrence_id: s for s in baseline.sessions if s.day * DAY + s.start < now}


def _from_now(resource: str, periods, request: WhatIf, frozen: dict[str, Session],
              reason: str) -> list[Unavailability]:
    """The (day, start, end) periods a resource is out, from `now` on: the past has happened (it
    may have been in a session then), and a session under way at `now` finishes first."""
    if request.now is None:
        return [Unavailability(resource, d, start, end, reason) for d, start, end in periods]
    day, minute = request.now
    cut = max([minute] + [s.end for s in frozen.values() if s.day == day and resource in s.everyone + (s.room_id,)])
    out = []
    for d, start, end in periods:
        start = max(start, cut) if d == day else start
        if d >= day and start < end:
            out.append(Unavailability(resource, d, start, end, reason))
    return out


def apply_whatif(inspection: Inspection, request: WhatIf, frozen: dict[str, Session]
                 ) -> tuple[Inspection, dict[str, str]]:
    """The inspection as it stands after the dropouts, and the activities cancelled for want of
    partner attendees (activity id -> reason)."""
    dropped = set(request.drop)
    whole_week = [(d, *WHOLE_DAY) for d in range(5)]
    extra = [u for r in request.drop for u in _from_now(r, whole_week, request, frozen, "dropped out")]
    extra += [u for r, d, s, e in request.unavailable
              for u in _from_now(r, [(d, s, e)], request, frozen, "unavailable (what-if)")]
    cancelled: dict[str, str] = {}
    activities = []
    for a in inspection.activities:
        gone_inspectors = [i for i in a.inspectors if i in dropped]
        if gone_inspectors and not a.all_inspectors:
            a = replace(a, inspectors=tuple(i for i in a.inspectors if i not in dropped),
                        inspectorates=a.inspectorates + tuple(
                            inspection.inspector_by_id[i].inspectorate for i in gone_inspectors))
        if any(p in dropped for p in a.attendees):
            left = tuple(p for p in a.attendees if p not in dropped)
            if not left and a.pool is None and a.type != "team_meeting":
                cancelled[a.id] = NEEDS_SUBSTITUTE if a.is_must else ALL_PARTNERS_OUT
                a = replace(a, priority="low")  # no longer a must: it cannot go ahead
            a = replace(a, attendees=left)
        activities.append(a)
    adjusted = replace(inspection, activities=tuple(activities),
                       unavailability=inspection.unavailability + tuple(extra))
    return adjusted, cancelled


def _fix(week: WeekModel, session: Session) -> None:
    """Pin an occurrence to how it was held."""
    v, m, oid = week.vars, week.model, session.occurrence_id
    m.add(v.held[oid] == 1)
    m.add(v.start[oid] == session.day * DAY + session.start)
    for room_id, lit in v.room[oid].items():
        m.add(lit == (room_id == session.room_id))
    for inspector, lit in v.inspector[oid].items():
        if lit is not v.held[oid]:
            m.add(lit == (inspector in session.inspector_ids))
    for person, lit in v.pool[oid].items():
        m.add(lit == (person in session.attendee_ids))


def _narrowed(base: dict[str, Session], frozen: dict[str, Session], cancelled: dict[str, str], now: int):
    """The what-if's limits as option domains rather than constraints, so that the bound sees
    them too: the past is pinned to its start and room; nothing starts before `now`; what the
    baseline did not hold, or the dropouts cancelled, has no start at all (is not held). (A
    reified "held implies start >= now" left the linear relaxation free to put fractions of
    sessions back on Monday.)"""
    def narrow(options: Options) -> Options:
        oid = options.occurrence.id
        if oid in frozen:
            s = frozen[oid]
            return replace(options, starts=(s.day * DAY + s.start,),
                           rooms=tuple(r for r in options.rooms if r.id == s.room_id),
                           inspector_pool=tuple(i for i in options.inspector_pool if i in s.inspector_ids),
                           pool_members=tuple(p for p in options.pool_members if p in s.attendee_ids))
        if oid not in base or options.occurrence.activity.id in cancelled:
            return replace(options, starts=())
        return replace(options, starts=tuple(t for t in options.starts if t >= now))
    return narrow


def _unchanged(week: WeekModel, session: Session) -> cp_model.IntVar | None:
    """A literal that can be true only if the occurrence is held exactly as in the baseline."""
    v, m, oid = week.vars, week.model, session.occurrence_id
    if session.room_id not in v.room[oid]:
        return None
    missing = [i for i in session.inspector_ids if i not in v.inspector[oid]]
    pool = set(session.attendee_ids) - set(week.candidates[oid].named_attendees)
    if missing or not pool <= set(v.pool[oid]) or not set(week.candidates[oid].named_attendees) <= set(session.attendee_ids):
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


def whatif(inspection: Inspection, baseline: Timetable, request: WhatIf, *, time_limit: float = 60.0,
           seed: int = 0, workers: int = 2, on_progress=None, check: bool = True) -> SolveResult:
    """Re-solve after the dropouts (see the module docstring). Up to three searches, in SPEC §4's order:
    1. the held weight kept, then the most occurrences unchanged, on all workers (up to half the
       time unless proven sooner); skipped when the mended baseline already keeps every optional;
    2. unless that proved the fewest changes: the most unchanged at that weight, on all workers;
    3. at those two, what the changed occurrences keep of themselves and the tie-breakers of
       §4.2, by one worker under a deterministic limit, so a proven answer is reproducible.
    The first version put all three levels in one scaled objective; with a busy inspector out of
    the 110-row week it kept less (held weight 2868-2878 against 2884-2887 now, in 30-60 s)."""
    started = time.monotonic()
    deadline = started + time_limit
    frozen = frozen_sessions(baseline, request)
    adjusted, cancelled = apply_whatif(inspection, request, frozen)
    now = _now_minute(request)
    base = {s.occurrence_id: s for s in baseline.sessions}
    narrowed = _narrowed(base, frozen, cancelled, now)
    week = WeekModel(adjusted, narrow=narrowed)
    for options in week.candidates:
        if options.occurrence.is_must and options.occurrence.id not in frozen and (reasons := precheck(adjusted, options)):
            raise Infeasible(reasons, activity_ids=(options.occurrence.activity.id,))
    v, m = week.vars, week.model
    weights, keeps = {}, []  # optional occurrences still to come: weight; what each keeps
    for options in week.candidates:
        occ = options.occurrence
        if occ.id in frozen:
            _fix(week, frozen[occ.id])
        elif occ.id in base and occ.activity.id not in cancelled:
            if not occ.is_must:
                weights[occ.id] = occ.activity.weight
            keeps.append(_Kept(week, base[occ.id]))
    kept = sum(w * v.held[oid] for oid, w in weights.items())
    changeable = [k for k in keeps if k.unchanged is not None]
    unchanged = sum(k.unchanged for k in changeable)

    def kept_of(sessions: list[Session]) -> int:
        return sum(weights.get(s.occurrence_id, 0) for s in sessions)

    def unchanged_of(sessions: list[Session]) -> int:
        by_id = _by_id(sessions)
        return sum(k.same_as(by_id.get(k.session.occurrence_id)) for k in changeable)
    # Weights as the input gives them: a must cancelled for want of partners is "low" only in `adjusted`.
    frozen_weight = sum(inspection.occurrence_by_id[oid].activity.weight for oid in frozen)
    mended = _mended(adjusted, week, baseline, frozen, cancelled, now)

    def search(objective, hint: list[Session], seconds: float, progress):
        m.maximize(objective)
        _hint(week, keeps, hint)
        solver = make_solver(seed, workers, time_limit=seconds)
        status, interrupted = run_search(solver, m, Watcher(week, started, progress))
        if interrupted and status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise KeyboardInterrupt
        return solver, status, interrupted

    # 1. The held weight, and among equal weights the most unchanged (so that what phase 1 finds is
    #    already a small change: held weight alone let it move sessions freely, and phase 2 then
    #    spent its time undoing that). A mended baseline keeping every optional it can is proven at once.
    interrupted = False
    scale = len(changeable) + 1  # any weight kept outweighs every change avoided
    if kept_of(mended) == sum(weights.values()) and _holds_every_must(adjusted, week, mended, frozen):
        sessions, weight_proven, best_kept, bound = mended, True, kept_of(mended), kept_of(mended)
        changes_proven = unchanged_of(mended) == len(changeable)
    else:
        progress = _scaled_progress(on_progress, frozen_weight, scale)
        solver, status, interrupted = search(scale * kept + unchanged, mended,
                                             (deadline - time.monotonic()) / 2, progress)
        if status == cp_model.UNKNOWN and not interrupted and deadline - time.monotonic() > 0.1:
            solver, status, interrupted = search(scale * kept + unchanged, mended,
                                                 deadline - time.monotonic(), progress)
        if status == cp_model.INFEASIBLE:
            _explain(_with_frozen_as_fixed(adjusted, frozen), request, narrowed)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise Infeasible([f"the time limit ({time_limit:g} s) was reached before a timetable holding "
                              "every must was found"], minimal=False)
        weight_proven = changes_proven = status == cp_model.OPTIMAL  # both levels at once
        sessions = week.read(solver)
        best_kept = kept_of(sessions)
        bound = best_kept if weight_proven else max(best_kept, int(solver.best_objective_bound) // scale)

    # 2. The fewest changes, at that weight (unless every occurrence that can stay the same does).
    m.add(kept >= best_kept)
    if not changes_proven and not interrupted and deadline - time.monotonic() > 0.1:
        solver, status, interrupted = search(
            unchanged, sessions, (deadline - time.monotonic()) * PHASE_2_SHARE,
            _fixed_progress(on_progress, frozen_weight + best_kept, frozen_weight + bound))
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            sessions = week.read(solver)
            changes_proven = weight_proven and status == cp_model.OPTIMAL

    # 3. Within those: the least change to each changed occurrence, then §4.2.
    if not interrupted and deadline - time.monotonic() > 0.5:
        m.add(unchanged >= unchanged_of(sessions))
        sessions = _least_change(week, keeps, seed, mended, sessions, deadline) or sessions

    sessions = [frozen.get(s.occurrence_id, s) for s in sessions]
    sessions = [_sequenced(s, base.get(s.occurrence_id)) for s in sessions]
    timetable = Timetable(adjusted, tuple(sessions))
    unscheduled = _unscheduled(timetable, week, base, cancelled, baseline.unscheduled, inspection)
    timetable = Timetable(adjusted, timetable.sessions, unscheduled)
    if check:
        _check(timetable, frozen)
    changes = changes_between(baseline, timetable)
    held = Timetable(inspection, timetable.sessions).held_weight
    return SolveResult(
        status="OPTIMAL" if weight_proven else "FEASIBLE", timetable=timetable,
        objective=held, best_bound=max(held, frozen_weight + bound),
        wall_seconds=round(time.monotonic() - started, 3), seed=seed,
        changes=len(changes), changes_proven_minimal=changes_proven, interrupted=interrupted,
    )


# Phase 2's share of the time left after phase 1; the rest is for phase 3.
PHASE_2_SHARE = 0.8
# Phase 3's budget in deterministic time (as scheduler.solve's tie-break), raised while time is left.
LEAST_CHANGE_DETERMINISTIC_TIME = 0.2


class _Kept:
    """The literals that say how much of one baseline occurrence the what-if keeps."""

    def __init__(self, week: WeekModel, session: Session):
        self.session = session
        self.unchanged = _unchanged(week, session)
        self.same_start, self.parts = _parts_kept(week, session)

    def same_as(self, new: Session | None) -> bool:
        return new is not None and change_kind(self.session, new) is None

    def hint(self, model: cp_model.CpModel, new: Session | None) -> None:
        if self.unchanged is not None:
            model.add_hint(self.unchanged, self.same_as(new))
        old = self.session
        model.add_hint(self.same_start, new is not None and (new.day, new.start) == (old.day, old.start))


def _holds_every_must(inspection: Inspection, week: WeekModel, sessions: list[Session],
                      frozen: dict[str, Session]) -> bool:
    """The sessions hold every must still open to the what-if and keep every rule."""
    held = {s.occurrence_id for s in sessions}
    if any(o.occurrence.is_must and o.starts and o.occurrence.id not in held for o in week.candidates):
        return False
    return not whatif_violations(Timetable(inspection, tuple(sessions)), frozen)


def _by_id(sessions: list[Session]) -> dict[str, Session]:
    return {s.occurrence_id: s for s in sessions}


def _hint(week: WeekModel, keeps: list[_Kept], sessions: list[Session]) -> None:
    """A complete hint: the week's variables and the what-if's own literals."""
    week.hint(sessions)
    by_id = _by_id(sessions)
    for k in keeps:
        k.hint(week.model, by_id.get(k.session.occurrence_id))


def _least_change(week: WeekModel, keeps: list[_Kept], seed: int, mended: list[Session],
                  found: list[Session], deadline: float) -> list[Session] | None:
    """Phase 3 on one worker under a deterministic limit, hinted with the mended baseline (not
    the run-dependent answer of phase 2), so a proven answer comes out the same every run."""
    parts = [(w, lit) for k in keeps for w, lit in k.parts]
    tie_break = total(tie_break_terms(week.vars))
    scale = _span(week.model, tie_break) + 1  # any part kept outweighs every tie-breaker
    week.model.maximize(scale * sum(w * lit for w, lit in parts) + tie_break)
    budget = LEAST_CHANGE_DETERMINISTIC_TIME
    for hint in (mended, found):
        _hint(week, keeps, hint)
        while deadline - time.monotonic() > 0.5:
            solver = make_solver(seed, 1, time_limit=deadline - time.monotonic(), deterministic=budget)
            status, interrupted = run_search(solver, week.model)
            if interrupted:
                return None
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return week.read(solver)
            budget *= 4
            if hint is mended:
                break  # one short try from the reproducible start, then from phase 2's answer
    return None


def _parts_kept(week: WeekModel, session: Session) -> tuple[cp_model.IntVar, list[tuple[int, cp_model.IntVar]]]:
    """(weight, literal) for each part of a baseline session kept as it was: its start (weighed by
    everyone it would disturb), its room, each inspector and each pool member. Once an occurrence
    must change anyway, this keeps the change to what the dropout forces (no needless move, no pool
    member swapped out, no second inspector replaced)."""
    v, m, oid = week.vars, week.model, session.occurrence_id
    same_start = m.new_bool_var(f"same_start[{oid}]")
    m.add_implication(same_start, v.held[oid])
    m.add(v.start[oid] == session.day * DAY + session.start).only_enforce_if(same_start)
    parts = [(len(session.everyone) + 1, same_start)]
    if session.room_id in v.room[oid]:
        parts.append((1, v.room[oid][session.room_id]))
    parts += [(1, v.inspector[oid][i]) for i in session.inspector_ids if i in v.inspector[oid]]
    parts += [(1, v.pool[oid][p]) for p in session.attendee_ids if p in v.pool[oid]]
    return same_start, parts


def _mended(inspection: Inspection, week: WeekModel, baseline: Timetable, frozen: dict[str, Session],
            cancelled: dict[str, str], now: int) -> list[Session]:
    """A starting point for the search: the baseline with each session the dropouts broke re-placed
    first fit (its old start tried first, nothing before `now`) around the sessions that still fit;
    a broken optional that fits nowhere is left out. Hinting the raw baseline instead left the
    search repairing dozens of sessions at once (a busy inspector out on the 250-row week: no
    timetable in 60 s)."""
    fit, broken = FirstFit(inspection), []
    for s in baseline.sorted_sessions():
        if s.occurrence_id in frozen:
            fit.book(s)
        elif s.activity_id not in cancelled and s.occurrence_id in week.candidates.by_occurrence:
            options = week.candidates[s.occurrence_id]
            fits = (s.day * DAY + s.start >= now and s.room_id in {r.id for r in options.rooms}
                    and set(options.named_attendees) <= set(s.attendee_ids)
                    <= set(options.named_attendees) | set(options.pool_members)
                    and all(inspection.is_free(r, s.day, s.start, s.end) for r in s.everyone + (s.room_id,)))
            if fits:
                fit.book(s)
            else:
                broken.append((s, options))
    broken.sort(key=lambda b: (not b[1].occurrence.is_must, -b[1].occurrence.activity.weight))
    for s, options in broken:
        old = s.day * DAY + s.start
        starts = tuple(sorted((t for t in options.starts if t >= now), key=lambda t: (t != old, t)))
        fit.place(replace(options, starts=starts))
    return fit.placed


def _scaled_progress(on_progress, frozen_weight: int, scale: int):
    """Phase 1's progress line in the held weight of SPEC §4.1 (frozen sessions count too)."""
    if on_progress is None:
        return None
    return lambda elapsed, objective, bound, held: on_progress(
        elapsed, frozen_weight + objective // scale, frozen_weight + bound // scale, held)


def _fixed_progress(on_progress, weight: int, bound: int):
    """Later phases keep the held weight where phase 1 left it."""
    if on_progress is None:
        return None
    return lambda elapsed, objective, _bound, held: on_progress(elapsed, weight, bound, held)


def _span(model: cp_model.CpModel, expression) -> int:
    """An upper bound on |expression| from its variables' domains (read off the objective proto)."""
    model.maximize(expression)
    proto = model.proto
    objective = proto.objective
    return sum(abs(c) * max(abs(d) for d in proto.variables[r if r >= 0 else -r - 1].domain)
               for r, c in zip(objective.vars, objective.coeffs))


def _explain(inspection: Inspection, request: WhatIf, narrow) -> None:
    """Raise Infeasible with the reasons, found on the week narrowed as the what-if's (the past
    pinned, nothing before `now`, nothing new); should none be found in time, say so in words."""
    reasons, minimal = explanation(inspection, narrow=narrow)
    if reasons:
        raise Infeasible(reasons, minimal=minimal, activity_ids=involved_activities(inspection, reasons))
    when = f" after {DAYS[request.now[0]]} {format_minutes(request.now[1])}" if request.now else ""
    raise Infeasible([f"the musts still to be held cannot all be held{when} with the inspectors, people "
                      "and rooms that remain, without adding sessions the baseline did not hold"],
                     minimal=False)


def _sequenced(session: Session, old: Session | None) -> Session:
    """Unchanged occurrences keep their SEQUENCE; changed ones raise it by one."""
    if old is None:
        return session
    if change_kind(old, session) is None:
        return replace(session, sequence=old.sequence)
    return replace(session, sequence=old.sequence + 1)


def _unscheduled(timetable: Timetable, week: WeekModel, base: dict[str, Session],
                 cancelled: dict[str, str], before: tuple[Unscheduled, ...],
                 inspection: Inspection) -> tuple[Unscheduled, ...]:
    original = inspection.activity_by_id  # the input's priorities (`adjusted` made cancelled ones low)
    out = []
    for u in unscheduled_reasons(timetable, week.candidates):
        reason = cancelled.get(u.activity_id)
        if reason is not None:  # also when an earlier what-if of the chain cancelled it
            day = u.occurrence_id.split("@")[1] if "@" in u.occurrence_id else None
            reason = f"not held on {day}: {reason}" if day else reason
            priority = "must" if reason.endswith(NEEDS_SUBSTITUTE) else original[u.activity_id].priority
            out.append(Unscheduled(u.activity_id, priority, reason, u.occurrence_id))
        elif u.occurrence_id not in base:  # the baseline did not hold it either: still listed (SPEC §5)
            out.append(replace(u, reason=_baseline_reason(u, before)))
        else:
            out.append(replace(u, reason="cancelled by this what-if: " + u.reason))
    return tuple(out)


def _baseline_reason(u: Unscheduled, before: tuple[Unscheduled, ...]) -> str:
    """The reason the baseline gave for leaving the occurrence out (its unscheduled.csv rows carry
    the activity id, and `not held on Tue:` for one day of a daily activity)."""
    day = f"not held on {u.occurrence_id.split('@')[1]}" if u.occurrence_id and "@" in u.occurrence_id else ""
    for b in before:
        if b.activity_id == u.activity_id and b.reason.startswith(day):
            return f"not held in the baseline ({b.reason}); a what-if adds no session"
    return "not held in the baseline; a what-if adds no session"


def whatif_violations(timetable: Timetable, frozen: dict[str, Session]) -> list[str]:
    """The checker on a what-if's week (its inspection with the dropouts applied); what only
    concerns sessions that already happened is history, not a broken rule."""
    from checker import check_timetable

    live = {s.occurrence_id for s in timetable.sessions} - set(frozen)
    return [p for p in check_timetable(timetable)
            if not (any(f in p for f in frozen) and not any(o in p for o in live))]


def check_whatif(inspection: Inspection, timetable: Timetable, request: WhatIf) -> list[str]:
    """Rule violations of a what-if's timetable, read back against the input and its request."""
    frozen = frozen_sessions(timetable, request)
    adjusted, _ = apply_whatif(inspection, request, frozen)
    return whatif_violations(Timetable(adjusted, timetable.sessions, timetable.unscheduled), frozen)


def _check(timetable: Timetable, frozen: dict[str, Session]) -> None:
    problems = whatif_violations(timetable, frozen)
    if problems:
        raise AssertionError("the what-if broke a rule (a bug):\n" + "\n".join(problems))


def _with_frozen_as_fixed(inspection: Inspection, frozen: dict[str, Session]) -> Inspection:
    """For explanations: frozen sessions become fixed-time musts (they have happened), so they
    show up as such."""
    acts = []
    for a in inspection.activities:
        mine = [s for s in frozen.values() if s.activity_id == a.id]
        if mine and not a.recurs_daily:
            s = mine[0]
            a = replace(a, fixed_day=s.day, fixed_time=s.start, days=(s.day,), priority="must")
        acts.append(a)
    return replace(inspection, activities=tuple(acts))


__all__ = ["whatif", "apply_whatif", "frozen_sessions", "NEEDS_SUBSTITUTE", "DAYS"]
