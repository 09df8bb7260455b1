"""Re-plan a published timetable after any change (SPEC §4, §6 `whatif`), changing as little as
the priorities allow.

1. What changed: the lead's edits to INPUT since the baseline was made (models.edits: INPUT against
   the baseline's own input, `baseline.inspection`) and the dropouts asked for (models.dropout).
2. What the re-plan may do, as option domains rather than constraints, so the bound sees them too
   (`_narrowed`): what started before `now` is pinned as it was; nothing starts before `now`; an
   occurrence the baseline did not hold gets no start unless the lead added or edited its row (or
   it is a must); one the dropouts cancelled gets none; one gone from INPUT is cancelled.
3. The search (scheduler.replan): the most `held weight - change_cost x changes`, then the fewest
   changes, then the least change to each changed occurrence and solve's tie-breakers. It starts
   on the week without travel; when that proves its score, travel is added for whoever its answer
   broke it for, and searched again in place of the whole week (_travel_free); unless one of them
   proves its score, the whole-week search is skipped for the days (scheduler.replan's docstring).
"""
from __future__ import annotations

import time
from dataclasses import replace

from checker.rules import travel_between_sites as travel_violations
from checker.whatif import whatif_violations
from models import (Infeasible, InputError, Inspection, Problem, Session, SolveResult, Timetable, Unavailability,
                    Unscheduled)
from models.changes import WhatIf, cancel_sequence, change_kind, changes_between, counted
from models.dropout import NEEDS_SUBSTITUTE, apply_dropouts, frozen_sessions, now_minute
from models.edits import Edits, edits_between
from models.inspection import DAYS, moment_text
from scheduler.candidates import DAY, Candidates, Options
from scheduler.explain import explanation, involved_activities
from scheduler.greedy import (PICKS, FirstFit, Pick, best_first_fit_start, make_way_if_worth_it, old_start_first,
                              repaired)
from scheduler.precheck import occurrence_title, precheck, when_allowed
from scheduler.replan import PHASE_1_SHARE, Found, MustsUnholdable, NoneInTime, ReplanSearch, pin
from scheduler.search import TRAVEL_FREE_SHARE, time_limit_reached
from scheduler.unscheduled import on_day, unscheduled_reasons
from scheduler.week_model import WeekModel


def whatif(inspection: Inspection, baseline: Timetable, request: WhatIf, *, time_limit: float = 60.0,
           seed: int = 0, workers: int = 2, on_progress=None, check: bool = True) -> SolveResult:
    """Re-plan `baseline` (read against the input it was made from, its `inspection`) for INPUT
    as it is now (`inspection`) and the dropouts of `request` (see the module docstring).
    `objective` is SPEC §4's re-plan score, held weight - change_cost x changes."""
    started = time.monotonic()
    frozen = replannable(inspection, baseline, request)
    edits = edits_between(baseline.inspection, inspection)
    known = inspection.occurrence_by_id
    adjusted, cancelled = apply_dropouts(inspection, request, frozen)
    now = now_minute(request)
    base = {s.occurrence_id: s for s in baseline.sessions if s.occurrence_id in known}
    past: set[str] = set()  # occurrences whose every start is before `now`
    narrowed = _narrowed(base, frozen, cancelled, edits, now, past)
    candidates = Candidates(adjusted, narrowed)
    for options in candidates:
        if options.occurrence.is_must and options.occurrence.id not in frozen and (reasons := precheck(adjusted, options)):
            if options.occurrence.id in past:
                reasons = [f"{occurrence_title(adjusted, options.occurrence.id)} {_all_before(adjusted, options, request)}."]
            raise Infeasible(reasons, activity_ids=(options.occurrence.activity.id,))
    weights = {o.occurrence.id: o.occurrence.activity.weight for o in candidates
               if o.occurrence.id not in frozen and not o.occurrence.is_must and o.starts}
    kept = [s for oid, s in base.items() if oid not in frozen and s.activity_id not in cancelled]
    can_stay = {s.occurrence_id for s in kept if _still_fits(adjusted, candidates[s.occurrence_id], s, now)}
    mended, mended_ok = _mended(adjusted, candidates, baseline, base, frozen, cancelled, now)
    cost = inspection.settings.change_cost
    free = None  # the travel-free search's Found, when it ran
    try:
        ceiling = sum(weights.values()) + cost * len(can_stay)
        if mended_ok and sum(weights.get(s.occurrence_id, 0) for s in mended) == sum(weights.values()) \
                and _nothing_to_decide(mended, can_stay, frozen, baseline):
            # Every optional is held, every session stays as it was (or has happened) and nothing
            # is added: the score's ceiling, so no search is needed.
            found, search = Found(mended, ceiling, ceiling, True, True, False), None
        else:
            week = WeekModel(adjusted, candidates=candidates)
            relaxed = week.without_travel() if mended_ok else None
            pin(week, frozen.values())
            search = ReplanSearch(week, weights, kept, cost, can_stay,
                                  sites={r.id: r.site for r in (*adjusted.rooms, *baseline.inspection.rooms)})
            progress = _progress_in_score(on_progress, inspection, baseline, frozen)
            start, objective_bound, share = mended, None, 1.0
            if relaxed is not None:
                # Meanwhile the progress line shows the start's score (a timetable that exists).
                first = search.score_of(mended)
                free = _travel_free(relaxed, frozen, (weights, kept, cost, can_stay), mended,
                                    time_limit=time_limit, started=started, seed=seed,
                                    workers=workers, on_progress=progress and (
                                        lambda elapsed, _score, bound, held: progress(elapsed, first, bound, held)))
                if free.interrupted:
                    raise _Stopped(_better(search, mended, free.sessions))
                # Proven, the travel-free search stopped early; unproven, it had its whole share.
                start, objective_bound, share = _better(search, mended, free.sessions), free.objective_bound, \
                    1.0 if free.score_proven else 1 - TRAVEL_FREE_SHARE
            found = search.run(start, mended_ok, time_limit=share * time_limit, pinned=set(frozen),
                               started=started, seed=seed, workers=workers, on_progress=progress,
                               objective_bound=objective_bound, whole_week=free is None or free.score_proven)
    except _Stopped as stopped:
        found = Found(stopped.sessions, search.score_of(stopped.sessions), search.ceiling, False, False, True)
    except MustsUnholdable:
        _explain(_with_frozen_as_fixed(adjusted, frozen), request, narrowed)
    except NoneInTime:
        raise time_limit_reached(time_limit) from None

    sessions = _put_back(adjusted, candidates, [frozen.get(s.occurrence_id, s) for s in found.sessions], base, frozen)
    earlier = dict(baseline.cancelled)
    sessions = [_sequenced(s, base.get(s.occurrence_id), earlier.get(s.occurrence_id)) for s in sessions]
    timetable = Timetable(adjusted, tuple(sessions))
    unscheduled = _unscheduled(timetable, candidates, base, cancelled, edits, baseline.unscheduled, inspection,
                               {oid: _all_before(adjusted, candidates[oid], request) for oid in past})
    timetable = Timetable(adjusted, timetable.sessions, unscheduled, _still_cancelled(baseline, timetable),
                          uids=baseline.uids)  # invitations keep the UIDs they went out under
    if check:
        _check(timetable, frozen)
    changes = counted(changes_between(baseline, timetable))
    held = Timetable(inspection, timetable.sessions).held_weight
    score = held - cost * changes
    offset = _score_offset(inspection, baseline, frozen)
    # The greedy re-plan the search starts from (_mended), for bench/ (None: it misses a must or breaks a rule).
    stats = (("mended_score", offset + found.score if search is None else
              offset + search.score_of(mended) if mended_ok else None),
             ("travel_free_score", None if free is None else offset + free.score))
    return SolveResult(
        status="OPTIMAL" if found.score_proven else "FEASIBLE", timetable=timetable,
        objective=score, best_bound=max(score, offset + found.bound), stats=stats,
        wall_seconds=round(time.monotonic() - started, 3), seed=seed,
        changes=changes, changes_proven_minimal=found.changes_proven, interrupted=found.interrupted,
        held_weight=held, change_cost=cost,
    )


def _put_back(inspection: Inspection, candidates: Candidates, sessions: list[Session], base: dict[str, Session],
              frozen: dict[str, Session]) -> list[Session]:
    """SPEC §4.3 once more, where the search left it short: each session it changed but still
    holds goes back to its old day, time and room (else its time, else its room), with its new
    people, wherever every rule still holds. The score stays (a change stays a change, or is
    undone); what a diary shows moves less. The search's last step (one worker, a tenth of the
    time) left such moves on the 110-row week: a feedback meeting of eight leaders 15 minutes
    earlier, with the same score."""
    current = list(sessions)
    for n, new in enumerate(current):
        old, options = base.get(new.occurrence_id), candidates[new.occurrence_id]
        if old is None or new.occurrence_id in frozen:
            continue
        rooms = {r.id for r in options.rooms}
        for day, start, room in ((old.day, old.start, old.room_id), (old.day, old.start, new.room_id),
                                 (new.day, new.start, old.room_id)):
            if (day, start, room) == (new.day, new.start, new.room_id):
                break  # as it was already, as far as it can be
            if day * DAY + start not in options.starts or room not in rooms:
                continue
            trial = replace(new, day=day, start=start, end=start + new.end - new.start, room_id=room)
            attempt = current[:n] + [trial] + current[n + 1:]
            if not whatif_violations(Timetable(inspection, tuple(attempt)), frozen):
                current = attempt
                break
    return current


def _score_offset(inspection: Inspection, baseline: Timetable, frozen: dict[str, Session]) -> int:
    """The score of SPEC §4 = this + the search's (weight + change_cost x unchanged) over the
    occurrences still open: the frozen sessions' weight, less the cost of changing every baseline
    session still to come."""
    frozen_weight = sum(inspection.occurrence_by_id[oid].activity.weight for oid in frozen)
    return frozen_weight - inspection.settings.change_cost * (len(baseline.sessions) - len(frozen))


# The lazy-travel searches after a proven travel-free search (_travel_free) stand in for the whole-
# week search, so they have the time of both, in all. A second round follows only a first one
# proven (stopped early) whose answer broke someone else's travel, and has what the first left.
LAZY_TRAVEL_SHARE = PHASE_1_SHARE + TRAVEL_FREE_SHARE
LAZY_TRAVEL_ROUNDS = 2


class _Stopped(Exception):
    """Ctrl-C or Stop in the travel-free search: what it found, repaired, is the answer."""

    def __init__(self, sessions: list[Session]):
        super().__init__("stopped")
        self.sessions = sessions


def _travel_free(relaxed: WeekModel, frozen: dict[str, Session], objective: tuple, mended: list[Session], *,
                 time_limit: float, started: float, seed: int, workers: int, on_progress) -> Found:
    """The re-plan's first search on the week without rule 4 (travel), as scheduler.solve's phase
    0, with TRAVEL_FREE_SHARE of `time_limit`: much quicker to search and to prove. Its sessions,
    repaired to keep travel (greedy.repaired, the past pinned), are a start; its bound is a bound
    on the real re-plan. On the 110-row week it proved the best score in 2 s after the busiest
    person's dropout (11 s on the whole week) and in 5 s after a must's window moved (19-25 s).

    When it proves its score but its answer breaks travel and the repair falls short of it, travel
    is added for just the inspectors and people whose travel broke (as lazy constraints are added),
    and searched again within that bound, while answers break the travel of someone new. These
    searches stand in for the whole-week search (scheduler.replan's phase 1) and have its time,
    LAZY_TRAVEL_SHARE of `time_limit` in all; unless they prove their score, the re-plan goes
    straight to the days (the returned Found says not proven). Measured on the 110-row week (seed 1,
    60 s): after a must's window moved, 22.5 s -> 15.7 s (the whole-week search had stopped short of
    the bound and the days reached it); after an absence was added, 11.9 s -> 9.8 s."""
    pin(relaxed, frozen.values())
    weights, kept, cost, can_stay = objective
    inspection = relaxed.inspection
    free_search = ReplanSearch(relaxed, weights, kept, cost, can_stay)

    def repair(found: Found) -> list[Session]:
        fixed = repaired(inspection, relaxed.candidates, found.sessions, pinned=tuple(frozen.values()),
                         change_cost=cost)
        return fixed if _holds_every_must(inspection, relaxed.candidates, fixed, frozen) else mended

    def broke(found: Found) -> set[str]:
        return {r for v in travel_violations(Timetable(inspection, tuple(found.sessions)))
                if not all(o in frozen for o in v.occurrence_ids) for r in v.resource_ids}

    found = free_search.run(mended, True, time_limit=TRAVEL_FREE_SHARE * time_limit, pinned=set(frozen),
                            started=started, seed=seed, workers=workers, on_progress=on_progress, only_score=True)
    start, with_travel, rounds, free_score = repair(found), set(), 0, found.score
    left = LAZY_TRAVEL_SHARE * time_limit
    while found.score_proven and not found.interrupted and free_search.objective_of(start) < found.objective_bound:
        missing = broke(found) - with_travel
        if not missing or rounds == LAZY_TRAVEL_ROUNDS or left <= 0:
            break
        with_travel |= missing
        rounds += 1
        tighter = relaxed.with_travel_for(with_travel)
        pin(tighter, frozen.values())
        lazy = ReplanSearch(tighter, weights, kept, cost, can_stay).run(
            mended, True, time_limit=left, pinned=set(frozen),
            started=started, seed=seed, workers=workers, on_progress=on_progress, only_score=True,
            objective_bound=found.objective_bound)
        start, left = _better(free_search, start, repair(lazy)), left - lazy.seconds
        found = replace(lazy, objective_bound=min(found.objective_bound, lazy.objective_bound))
    return replace(found, sessions=start, score=free_score)  # the score without travel, for bench/


def _better(search: ReplanSearch, mended: list[Session], repaired_sessions: list[Session]) -> list[Session]:
    """Of two starts that keep every rule, the one with the higher score, then fewer changes."""
    def worth(sessions: list[Session]) -> tuple[int, int]:
        return search.score_of(sessions), search.unchanged_of(sessions)
    return repaired_sessions if worth(repaired_sessions) > worth(mended) else mended


def _progress_in_score(on_progress, inspection: Inspection, baseline: Timetable, frozen: dict[str, Session]):
    """The progress line in SPEC §4's re-plan score."""
    if on_progress is None:
        return None
    offset = _score_offset(inspection, baseline, frozen)
    return lambda elapsed, objective, bound, held: on_progress(elapsed, offset + objective, offset + bound, held)


def _narrowed(base: dict[str, Session], frozen: dict[str, Session], cancelled: dict[str, str],
              edits: Edits, now: int, past: set[str]):
    """The re-plan's limits as option domains (a reified "held implies start >= now" left the
    linear relaxation free to put fractions of sessions back on Monday). Adds to `past` each
    occurrence whose every start is before `now`, so its reasons can say so."""
    def narrow(options: Options) -> Options:
        occ = options.occurrence
        if occ.id in frozen:
            return options.held_as(frozen[occ.id])
        addable = occ.id in base or occ.is_must or edits.may_add(occ.id, occ.activity.id)
        if not addable or occ.activity.id in cancelled:
            return replace(options, starts=())
        later = tuple(t for t in options.starts if t >= now)
        if options.starts and not later:
            past.add(occ.id)
        return replace(options, starts=later)
    return narrow


def _all_before(inspection: Inspection, options: Options, request: WhatIf) -> str:
    """'can only be held on Tue between 09:00 and 11:00, all of it before --now (Tue 12:00) ...'"""
    when = moment_text(request.now)
    return (f"can only be held {when_allowed(inspection, options.occurrence)}, all of it before --now ({when}): "
            "a re-plan places nothing in the past")


def _holds_every_must(inspection: Inspection, candidates: Candidates, sessions: list[Session],
                      frozen: dict[str, Session]) -> bool:
    """The sessions hold every must still open to the re-plan and keep every rule."""
    held = {s.occurrence_id for s in sessions}
    if any(o.occurrence.is_must and o.starts and o.occurrence.id not in held for o in candidates):
        return False
    return not whatif_violations(Timetable(inspection, tuple(sessions)), frozen)


def replannable(inspection: Inspection, baseline: Timetable, request: WhatIf) -> dict[str, Session]:
    """The baseline's sessions that have happened (before `request.now`); bad input (InputError)
    when INPUT cannot be a re-plan of `baseline` at all: another week, or one of those sessions gone
    from it (a cancel would take it out of the diaries of the people who were there). Checked
    before any search."""
    _same_week_and_organiser(baseline.inspection, inspection)
    frozen = frozen_sessions(baseline, request)
    _past_kept(baseline, frozen, inspection, request)
    return frozen


def _past_kept(baseline: Timetable, frozen: dict[str, Session], inspection: Inspection, request: WhatIf) -> None:
    """Bad input when the lead removed from INPUT an occurrence that has already happened."""
    gone = [s for oid, s in frozen.items() if oid not in inspection.occurrence_by_id]
    if not gone:
        return
    when = moment_text(request.now)
    problems = []
    for s in sorted(gone, key=lambda s: (s.day, s.start)):
        activity = baseline.inspection.activity_by_id[s.activity_id]
        now_row = inspection.activity_by_id.get(s.activity_id)
        column, fix = ("id", "Put its row back") if now_row is None else \
            ("days", f"Put {DAYS[s.day]} back in its days") if s.day not in now_row.days else \
            ("recurs", "Put its recurs cell back as it was")  # the same day, another occurrence id
        problems.append(Problem("activities", None, column, (
            f"{s.activity_id} '{activity.title}' was held {moment_text((s.day, s.start))}, before --now "
            f"({when}): it has happened, and stays in the timetable and in people's diaries. {fix} "
            "(a re-plan cannot take back what has happened).")))
    raise InputError(problems)


def _same_week_and_organiser(before: Inspection, now: Inspection) -> None:
    """A re-plan keeps its week and its organiser: every invitation's identity (its UID) carries the
    week's date and the organiser's domain, and Outlook takes an update only from the organiser of
    the meeting; with either changed the updates would be new events, the old ones never cancelled."""
    old, new = before.settings.week_start, now.settings.week_start
    problems = []
    if old != new:
        problems.append(Problem("settings", None, "value", (
            f"week_start is {new.isoformat()}, but the baseline is the week of {old.isoformat()}: a re-plan keeps its "
            "week (people's invitations are for those dates). Set week_start back, or solve the new week "
            "afresh and send its invitations (cancelling the old week's by hand).")))
    old, new = before.settings.organiser_email, now.settings.organiser_email
    if old and old.lower() != new.lower():
        problems.append(Problem("settings", None, "value", (
            f"organiser_email is {new or 'blank'}, but the baseline's invitations came from {old}: a re-plan's "
            "updates must come from the same organiser, or Outlook takes them for new meetings and people "
            "get two of each. Set organiser_email back, or solve afresh and send its invitations (cancelling "
            "the old ones by hand).")))
    if problems:
        raise InputError(problems)


def _nothing_to_decide(sessions: list[Session], can_stay: set[str], frozen: dict[str, Session],
                       baseline: Timetable) -> bool:
    """Every baseline session still to come that can stay as it was is held so, and nothing else
    is held but the past."""
    old = {s.occurrence_id: s for s in baseline.sessions}
    same = {s.occurrence_id for s in sessions if change_kind(old.get(s.occurrence_id), s) is None}
    return can_stay <= same and all(s.occurrence_id in same or s.occurrence_id in frozen for s in sessions)


def _still_fits(inspection: Inspection, options: Options, s: Session, now: int) -> bool:
    """The baseline session keeps what its own row asks for now (edits and dropouts applied)."""
    inspectors = set(s.inspector_ids)
    allowed = set(options.named_inspectors) | set(options.inspector_pool) | set(options.all_inspectors)
    # A session for all inspectors has every one free then: one the lead added too.
    everyone_free = {i for i in options.all_inspectors if inspection.is_free(i, s.day, s.start, s.end)}
    return (s.day * DAY + s.start in set(options.starts) and s.end - s.start == options.duration
            and s.day * DAY + s.start >= now and s.room_id in {r.id for r in options.rooms}
            and set(options.named_inspectors) | everyone_free <= inspectors <= allowed
            and set(options.named_attendees) <= set(s.attendee_ids)
            <= set(options.named_attendees) | set(options.pool_members)
            and all(inspection.is_free(r, s.day, s.start, s.end) for r in s.everyone + (s.room_id,)))


def _mended(inspection: Inspection, candidates: Candidates, baseline: Timetable, base: dict[str, Session],
            frozen: dict[str, Session], cancelled: dict[str, str], now: int) -> tuple[list[Session], bool]:
    """A starting point for the search, and whether it holds every must and keeps every rule
    (_holds_every_must): the baseline with each session the edits or dropouts broke
    re-placed first fit (its old start tried first, nothing before `now`) around the sessions that
    still fit, then what the lead added, first fit; what fits nowhere is left out. Hinting the raw
    baseline instead left the search repairing dozens of sessions at once (a busy inspector out on
    the 250-row week: no timetable in 60 s).

    Or the baseline repaired as the travel-free answer is (greedy.repaired: two orders of which
    session stays where two collide, then everything left out making way), when that keeps every
    rule and scores higher (SPEC §4's score). After an inspector's dropout the first fit keeps every
    session that still fits, however light, and the heavy ones it broke then find no room: measured
    on bench_replan's busiest inspectors out from Tuesday 12:00, the repaired baseline scored 2718
    against 2613 (HC2, 110 rows), 2720 against 2598 (OF2), 2710 against 2503 (HC1), 6771 against
    6518 (CQ1, 250 rows); for single edits and a person's dropout it was never higher.

    The first fit is made with each of greedy.PICKS (which free inspector a broken session takes
    instead of the one who dropped out), the repaired baseline in pool order: the best of the five
    starts, first of equals, is the start. Measured as above (60 s, seed 1), the least busy
    inspectors first raised OF4's first fit from 2710 to 2806 and the answer from 2797 to 2809
    (110 rows); at 250 rows the answer after HC1 out from 6735 to 6834 (94 changes to 65) and
    after CQ2 out from 6815 to 6885 (69 to 48), for 1-4 s more. The repaired baseline made with
    the other picks gained 0-16 more for 3-5 s more: left out."""
    kept = [s for s in base.values() if s.activity_id not in cancelled]
    out_of_order = _out_of_order(inspection, candidates, base, frozen, cancelled)
    starts = [_first_fit_replan(inspection, candidates, baseline, base, frozen, cancelled, now, out_of_order, pick)
              for pick in PICKS]
    starts.append(repaired(inspection, candidates, kept, pinned=tuple(frozen.values()),
                           change_cost=inspection.settings.change_cost))
    ranked = [((_holds_every_must(inspection, candidates, sessions, frozen),
                _replan_score(inspection, baseline, sessions)), sessions) for sessions in starts]
    (holds, _), best = max(ranked, key=lambda r: r[0])  # the first of equals
    if not holds:
        # An edit none of those foresee: solve's own first fit on the re-plan's limits holds every
        # must wherever first fit can, however much it changes; the search then takes changes back.
        # Without a start the search has no hint, and ran out of its time with no timetable.
        fresh = best_first_fit_start(inspection, candidates)
        if _holds_every_must(inspection, candidates, fresh, frozen):
            return fresh, True
    return best, holds


def _replan_score(inspection: Inspection, baseline: Timetable, sessions: list[Session]) -> int:
    """SPEC §4's re-plan score: held weight - change_cost x changes."""
    new = Timetable(inspection, tuple(sessions))
    return new.held_weight - inspection.settings.change_cost * counted(changes_between(baseline, new))


def _first_fit_replan(inspection: Inspection, candidates: Candidates, baseline: Timetable, base: dict[str, Session],
                      frozen: dict[str, Session], cancelled: dict[str, str], now: int, out_of_order: set[str],
                      pick: Pick) -> list[Session]:
    """_mended's first fit, inspectors for broken sessions taken as `pick` orders them (see there);
    `out_of_order` are re-placed too (_out_of_order)."""
    fit, broken = FirstFit(inspection, pick), []
    for s in baseline.sorted_sessions():
        if s.occurrence_id in frozen:
            fit.book(s)
        elif s.occurrence_id in base and s.activity_id not in cancelled:
            options = candidates[s.occurrence_id]
            if s.occurrence_id not in out_of_order and _still_fits(inspection, options, s, now):
                fit.book(s)
            else:
                broken.append((s, options))
    broken.sort(key=lambda b: (not b[1].occurrence.is_must, -b[1].occurrence.activity.weight))
    new = [o for o in candidates if o.occurrence.id not in base and o.starts]
    new.sort(key=lambda o: (not o.occurrence.is_must, -o.occurrence.activity.weight))
    for options in [old_start_first(o, s) for s, o in broken] + new:
        if fit.place(options) is None:
            make_way_if_worth_it(fit, candidates, options, set(frozen),
                                 change_cost=inspection.settings.change_cost)
    return fit.placed


def _out_of_order(inspection: Inspection, candidates: Candidates, base: dict[str, Session],
                  frozen: dict[str, Session], cancelled: dict[str, str]) -> set[str]:
    """Baseline sessions still to come that no longer keep an `after` the lead added or moved (what
    they come after has not ended by their start): the later one is re-placed, or the earlier when
    the later has happened or has one time only. Kept as they were, every first fit broke the rule,
    so none could be the start."""
    held = [s for oid, s in base.items() if s.activity_id not in cancelled]
    by_activity: dict[str, list[Session]] = {}
    for s in held:
        by_activity.setdefault(s.activity_id, []).append(s)
    out = set()
    for s in held:
        for earlier in inspection.activity_by_id[s.activity_id].after:
            for e in by_activity.get(earlier, ()):
                if (e.day, e.end) > (s.day, s.start):
                    stays = s.occurrence_id in frozen or len(candidates[s.occurrence_id].starts) <= 1
                    out.add(e.occurrence_id if stays else s.occurrence_id)
    return out - set(frozen)


def _explain(inspection: Inspection, request: WhatIf, narrow) -> None:
    """Raise Infeasible with the reasons, found on the week narrowed as the re-plan's (the past
    pinned, nothing before `now`, nothing new the lead did not add); should none be found in time,
    say so in words."""
    reasons, minimal = explanation(inspection, narrow=narrow)
    if reasons:
        raise Infeasible(reasons, minimal=minimal, activity_ids=involved_activities(inspection, reasons))
    when = f" after {moment_text(request.now)}" if request.now else ""
    raise Infeasible([f"the musts still to be held cannot all be held{when} with the inspectors, people "
                      "and rooms that remain, without adding sessions the baseline did not hold"],
                     minimal=False)


def _sequenced(session: Session, old: Session | None, cancelled_at: int | None) -> Session:
    """Unchanged occurrences keep their SEQUENCE; changed ones raise it by one; added ones start at
    0, or one above the CANCEL an earlier re-plan sent for them (`cancelled_at`)."""
    if old is None:
        return replace(session, sequence=0 if cancelled_at is None else cancelled_at + 1)
    if change_kind(old, session) is None:
        return replace(session, sequence=old.sequence)
    return replace(session, sequence=old.sequence + 1)


def _still_cancelled(baseline: Timetable, timetable: Timetable) -> tuple[tuple[str, int], ...]:
    """The chain's cancellations not held again: the baseline's, and this re-plan's."""
    held = {s.occurrence_id for s in timetable.sessions}
    cancelled = {oid: sequence for oid, sequence in baseline.cancelled if oid not in held}
    cancelled.update((s.occurrence_id, cancel_sequence(s)) for s in baseline.sessions if s.occurrence_id not in held)
    return tuple(sorted(cancelled.items()))


def _unscheduled(timetable: Timetable, candidates: Candidates, base: dict[str, Session],
                 cancelled: dict[str, str], edits: Edits, before: tuple[Unscheduled, ...],
                 inspection: Inspection, past: dict[str, str]) -> tuple[Unscheduled, ...]:
    """`past`: occurrence id -> why every time it could be held is before --now."""
    original = inspection.activity_by_id  # the input's priorities (`adjusted` made cancelled ones low)
    out = []
    for u in unscheduled_reasons(timetable, candidates):
        if u.occurrence_id in past and u.activity_id not in cancelled:
            u = replace(u, reason=f"it {past[u.occurrence_id]}")
        reason = cancelled.get(u.activity_id)
        if reason is not None:  # also when an earlier what-if of the chain cancelled it
            reason = on_day(u.occurrence_id) + reason
            priority = "must" if reason.endswith(NEEDS_SUBSTITUTE) else original[u.activity_id].priority
            out.append(Unscheduled(u.activity_id, priority, reason, u.occurrence_id))
        elif u.occurrence_id in base:
            day = on_day(u.occurrence_id)  # a daily occurrence's day stays first, for the next re-plan
            day = day if u.reason.startswith(day) else ""
            out.append(replace(u, reason=day + CANCELLED_HERE + u.reason.removeprefix(day)))
        elif edits.may_add(u.occurrence_id, u.activity_id):  # the lead added or edited it: a fresh reason
            out.append(u)
        else:  # the baseline did not hold it either: still listed (SPEC §5)
            out.append(replace(u, reason=_baseline_reason(u, before)))
    return tuple(out)


NOT_IN_BASELINE = "not held in the baseline"
CANCELLED_HERE = "cancelled by this what-if: "


def _baseline_reason(u: Unscheduled, before: tuple[Unscheduled, ...]) -> str:
    """The reason the baseline gave for leaving the occurrence out (its unscheduled.csv rows carry
    the activity id, and `not held on Tue:` for one day of a daily activity), said once along a
    chain of re-plans, and with that day first again so that the next re-plan finds it."""
    day = on_day(u.occurrence_id)
    why = "a re-plan adds only what the lead added or edited in INPUT"
    for b in before:
        if b.activity_id == u.activity_id and b.reason.startswith(day):
            reason = b.reason[len(day):]
            if not reason.startswith(NOT_IN_BASELINE):
                reason = reason.replace(CANCELLED_HERE, "cancelled by an earlier re-plan: ", 1)
                reason = f"{NOT_IN_BASELINE} ({reason}); {why}"
            return day + reason
    return f"{day}{NOT_IN_BASELINE}; {why}"


def _check(timetable: Timetable, frozen: dict[str, Session]) -> None:
    problems = whatif_violations(timetable, frozen)
    if problems:
        raise AssertionError("the re-plan broke a rule (a bug):\n" + "\n".join(map(str, problems)))


def _with_frozen_as_fixed(inspection: Inspection, frozen: dict[str, Session]) -> Inspection:
    """For explanations: frozen sessions become fixed-time musts (they have happened), so they
    show up as such; an absence the lead entered since then does not reach back into them (they
    were held with whoever was there), or the explanation would blame what has happened."""
    acts = []
    for a in inspection.activities:
        mine = [s for s in frozen.values() if s.activity_id == a.id]
        if mine and not a.recurs_daily:
            s = mine[0]
            a = replace(a, fixed_day=s.day, fixed_time=s.start, days=(s.day,), priority="must")
        acts.append(a)
    away = tuple(part for u in inspection.unavailability for part in _outside_held(u, frozen.values()))
    return replace(inspection, activities=tuple(acts), unavailability=away)


def _outside_held(away: Unavailability, held) -> list[Unavailability]:
    """The parts of an absence outside the held sessions its inspector, person or room was at."""
    parts = [away]
    for s in held:
        if s.day == away.day and (away.resource_id in s.everyone or away.resource_id == s.room_id):
            parts = [piece for u in parts for piece in (replace(u, end=min(u.end, s.start)),
                                                         replace(u, start=max(u.start, s.end)))
                     if piece.start < piece.end]
    return parts


__all__ = ["replannable", "whatif"]
