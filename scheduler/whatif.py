"""What-if: someone drops out; re-solve keeping the baseline's sessions, with the fewest changes.

1. The request is applied to the inspection (`apply_whatif`): a dropped inspector, person or room is
   unavailable from `now` on; a dropped named inspector becomes one more "inspectorate" item of the
   same inspectorate (so another one can step in); a dropped named attendee is no longer required,
   and a session left with no partner attendee (team meetings aside, pools aside) is cancelled.
2. The week model is built on that inspection and told: what started before `now` is frozen as it
   was; nothing starts before `now`; nothing the baseline did not hold is added.
3. Objective (SPEC §4 for what-ifs): first the baseline's held weight kept, then the fewest changes.
"""
from __future__ import annotations

import time
from dataclasses import replace

from ortools.sat.python import cp_model

from models import Inspection, Session, SolveResult, Timetable, Unavailability, Unscheduled
from models.changes import WhatIf, change_kind, changes_between
from models.inspection import DAYS, format_minutes
from scheduler.candidates import DAY
from scheduler.explain import precheck
from scheduler.greedy import FirstFit
from scheduler.search import STATUS, Watcher, make_solver, run_search
from scheduler.solve import WeekModel
from scheduler.unscheduled import unscheduled_reasons

NEEDS_SUBSTITUTE = "needs a substitute"
ALL_PARTNERS_OUT = "its partner attendees have all dropped out"


def _now_minute(request: WhatIf) -> int:
    return -1 if request.now is None else request.now[0] * DAY + request.now[1]


def frozen_sessions(baseline: Timetable, request: WhatIf) -> dict[str, Session]:
    """Sessions that started before `now`: they have happened and stay exactly as they were."""
    now = _now_minute(request)
    return {s.occurrence_id: s for s in baseline.sessions if s.day * DAY + s.start < now}


def _drop_unavailability(resource: str, request: WhatIf, frozen: dict[str, Session]) -> list[Unavailability]:
    """Out from `now` (or from the end of a session under way then) to the end of the week."""
    if request.now is None:
        return [Unavailability(resource, d, reason="dropped out") for d in range(5)]
    day, minute = request.now
    for s in frozen.values():
        if s.day == day and resource in s.everyone + (s.room_id,):
            minute = max(minute, s.end)
    out = [Unavailability(resource, day, minute, 24 * 60, "dropped out")] if minute < 24 * 60 else []
    return out + [Unavailability(resource, d, reason="dropped out") for d in range(day + 1, 5)]


def apply_whatif(inspection: Inspection, request: WhatIf, frozen: dict[str, Session]
                 ) -> tuple[Inspection, dict[str, str]]:
    """The inspection as it stands after the dropouts, and the activities cancelled for want of
    partner attendees (activity id -> reason)."""
    dropped = set(request.drop)
    extra = [u for r in request.drop for u in _drop_unavailability(r, request, frozen)]
    extra += [Unavailability(r, d, s, e, "unavailable (what-if)") for r, d, s, e in request.unavailable]
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
    started = time.monotonic()
    frozen = frozen_sessions(baseline, request)
    adjusted, cancelled = apply_whatif(inspection, request, frozen)
    week = WeekModel(adjusted)
    for options in week.candidates:
        if options.occurrence.is_must and options.occurrence.id not in frozen and (reasons := precheck(adjusted, options)):
            from models import Infeasible
            raise Infeasible(reasons, activity_ids=(options.occurrence.activity.id,))
    v, m = week.vars, week.model
    now = _now_minute(request)
    base = {s.occurrence_id: s for s in baseline.sessions}
    kept_weight, unchanged, kept_parts, forced_changes = [], [], [], 0
    for options in week.candidates:
        occ = options.occurrence
        oid = occ.id
        if oid in frozen:
            _fix(week, frozen[oid])
            continue
        if oid not in base or occ.activity.id in cancelled:
            m.add(v.held[oid] == 0)  # nothing new is added; a cancelled one is not held
            continue
        m.add(v.start[oid] >= now).only_enforce_if(v.held[oid])
        if not occ.is_must:
            kept_weight.append(occ.activity.weight * v.held[oid])
        same = _unchanged(week, base[oid])
        if same is None:
            forced_changes += 1
        else:
            unchanged.append(same)
        kept_parts += _parts_kept(week, base[oid])
    scale = len(base) + 1  # a kept occurrence outweighs any number of changes (SPEC §4 order)
    parts_scale = sum(w for w, _ in kept_parts) + 1  # a change avoided outweighs any parts kept
    m.maximize(parts_scale * (scale * sum(kept_weight) + sum(unchanged))
               + sum(w * lit for w, lit in kept_parts))
    divisor = scale * parts_scale
    # Weights as the input gives them: a must cancelled for want of partners is "low" only in `adjusted`.
    frozen_weight = sum(inspection.occurrence_by_id[oid].activity.weight for oid in frozen)
    week.hint(_mended(adjusted, week, baseline, frozen, cancelled, now))
    solver = make_solver(seed, workers, time_limit=time_limit)
    status, interrupted = run_search(
        solver, m, Watcher(week, started, _held_weight_progress(on_progress, divisor, frozen_weight)))
    if interrupted and status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise KeyboardInterrupt
    if status == cp_model.INFEASIBLE:
        _explain(_with_frozen_as_fixed(adjusted, frozen), request)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        from models import Infeasible
        raise Infeasible([f"the time limit ({time_limit:g} s) was reached before a timetable holding every "
                          "must was found"], minimal=False)
    sessions = [frozen.get(s.occurrence_id, s) for s in week.read(solver)]
    sessions = [_sequenced(s, base.get(s.occurrence_id)) for s in sessions]
    timetable = Timetable(adjusted, tuple(sessions))
    unscheduled = _unscheduled(timetable, week, base, cancelled, baseline.unscheduled, inspection)
    timetable = Timetable(adjusted, timetable.sessions, unscheduled)
    if check:
        _check(timetable, frozen)
    changes = changes_between(baseline, timetable)
    held = Timetable(inspection, timetable.sessions).held_weight
    return SolveResult(
        status=STATUS.get(status, "UNKNOWN"), timetable=timetable,
        objective=held, best_bound=held if status == cp_model.OPTIMAL
        else max(held, frozen_weight + int(solver.best_objective_bound) // divisor),
        wall_seconds=round(time.monotonic() - started, 3), seed=seed,
        changes=len(changes), changes_proven_minimal=status == cp_model.OPTIMAL, interrupted=interrupted,
    )


def _parts_kept(week: WeekModel, session: Session) -> list[tuple[int, cp_model.IntVar]]:
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
    return parts


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


def _held_weight_progress(on_progress, divisor: int, frozen_weight: int):
    """The progress line in the held weight of SPEC §4.1, as for solve (not the scaled objective)."""
    if on_progress is None:
        return None
    return lambda elapsed, objective, bound, held: on_progress(
        elapsed, frozen_weight + objective // divisor, frozen_weight + bound // divisor, held)


def _explain(inspection: Inspection, request: WhatIf) -> None:
    """Raise Infeasible with the reasons; the explainer does not know `now` or the baseline, so
    where it finds the musts feasible without them, say that in words instead of nothing."""
    from models import Infeasible
    from scheduler.explain import explanation, involved_activities

    reasons, minimal = explanation(inspection)
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
    """For explanations: frozen sessions become fixed-time musts, so they show up as such."""
    acts = []
    for a in inspection.activities:
        mine = [s for s in frozen.values() if s.activity_id == a.id]
        if mine and not a.recurs_daily:
            s = mine[0]
            a = replace(a, fixed_day=s.day, fixed_time=s.start, days=(s.day,))
        acts.append(a)
    return replace(inspection, activities=tuple(acts))


__all__ = ["whatif", "apply_whatif", "frozen_sessions", "NEEDS_SUBSTITUTE", "DAYS"]
