"""A fast first-fit timetable (the baseline bench/ compares against), and the start the searches
are hinted with.

greedy_timetable places occurrences one at a time (musts first, then by priority; fewest start
options first), each at the earliest start, smallest fitting room and first free inspectors and
pool members that keep every rule of SPEC §3 against what is already placed; it never moves what it
placed. make_way then holds what it left out by moving the sessions in its way, first fit again:
first_fit_start does so for a solve, and a re-plan's start (scheduler.whatif) for what an edit or
dropout broke. Which free inspector a shared session takes is the `pick` (PICKS): the solve and a
re-plan start from the best of the first fits each pick makes. Which occurrence comes first is the
`order` (musts_first; the solve tries fixed_high_first as well).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from models import Inspection, Session, Timetable
from models.changes import change_kind
from models.inspection import PRACTITIONER_ONLY_TYPES, PRIORITIES
from scheduler.candidates import DAY, Candidates, Options


# How an `inspectorates` item picks among the free inspectors it may have: an order of them, from
# the diary so far and the day. Which inspector takes a shared session decides which named sessions
# still fit later, and no one order is best: first fits with these four, each made way in as a
# solve's start (first_fit_start), held (the example, 110, 250 and 600 rows) 3394, 2804, 6650, 16141
# in pool order; 3392, 2907, 6624, 16213 the least busy in the week first; 3392, 2770, 6577, 16488
# the least busy that day first; 3502, 2788, 6612, 16405 the least busy in the week, then that day.
# So the solve starts from the best of the four (best_first_fit_start).
Pick = Callable[["_Diary", tuple[str, ...], int], Iterable[str]]


def in_pool_order(diary: "_Diary", inspectors: tuple[str, ...], day: int) -> Iterable[str]:
    return inspectors


def least_busy_in_the_week(diary: "_Diary", inspectors: tuple[str, ...], day: int) -> Iterable[str]:
    return sorted(inspectors, key=diary.week_minutes)


def least_busy_that_day(diary: "_Diary", inspectors: tuple[str, ...], day: int) -> Iterable[str]:
    return sorted(inspectors, key=lambda i: (diary.day_minutes[(i, day)], diary.week_minutes(i)))


def least_busy_in_the_week_then_that_day(diary: "_Diary", inspectors: tuple[str, ...], day: int) -> Iterable[str]:
    return sorted(inspectors, key=lambda i: (diary.week_minutes(i), diary.day_minutes[(i, day)]))


PICKS: tuple[Pick, ...] = (in_pool_order, least_busy_in_the_week, least_busy_that_day,
                           least_busy_in_the_week_then_that_day)


@dataclass
class _Diary:
    """What is already placed, per resource and day (no session spans two days), for quick rule
    checks."""

    inspection: Inspection
    pick: Pick = in_pool_order
    busy: dict[tuple[str, int], list[tuple[int, int, str | None]]] = field(default_factory=lambda: defaultdict(list))
    day_minutes: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    _week_minutes: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # kept as booked: asked often
    day_sessions: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    _choices: dict[tuple, tuple[tuple[str, ...], ...]] = field(default_factory=dict)

    def inspector_choices(self, options: Options) -> tuple[tuple[str, ...], ...]:
        """For each inspectorate item of the occurrence, named inspectorates before `any`: the pool
        inspectors it may take, in pool order. Asked for at every start tried, so kept."""
        items = options.occurrence.activity.inspectorates
        key = (items, options.inspector_pool)
        if key not in self._choices:
            by_id = self.inspection.inspector_by_id
            self._choices[key] = tuple(
                tuple(i for i in options.inspector_pool if item == "any" or by_id[i].inspectorate == item)
                for item in sorted(items, key=lambda k: k == "any"))
        return self._choices[key]

    def week_minutes(self, inspector: str) -> int:
        return self._week_minutes[inspector]

    def free(self, resource: str, start: int, end: int, site: str | None) -> bool:
        day = start // DAY
        if not self.inspection.is_free(resource, day, start % DAY, end % DAY or DAY):
            return False
        for s, e, other_site in self.busy[(resource, day)]:
            if s < end and start < e:
                return False
            if site and other_site and other_site != site:
                travel = self.inspection.travel_minutes(site, other_site)
                if s < end + travel and start - travel < e:
                    return False
        return True

    def day_has_room(self, inspector: str, day: int, minutes: int) -> bool:
        """The inspector's contact minutes that day stay within the cap with `minutes` more."""
        return self.day_minutes[(inspector, day)] + minutes <= self.inspection.settings.max_inspector_contact_minutes

    def inspector_ok(self, inspector: str, start: int, end: int, site: str | None) -> bool:
        s = self.inspection.settings
        day = start // DAY
        if not self.day_has_room(inspector, day, end - start):
            return False
        if not self.free(inspector, start, end, site):
            return False
        # a free lunch break must remain inside the window
        taken = [(b, e) for b, e, _ in self.busy[(inspector, day)]] + [(start, end)]
        return s.lunch_break(taken, day) is not None

    def person_ok(self, person: str, start: int, end: int, site: str | None) -> bool:
        cap = self.inspection.settings.max_person_sessions_per_day
        return self.day_sessions[(person, start // DAY)] < cap and self.free(person, start, end, site)

    def book(self, resource: str, start: int, end: int, site: str | None, is_inspector: bool, sign: int = 1) -> None:
        """Take the time as used (sign 1), or give it back (sign -1)."""
        day = start // DAY
        if sign > 0:
            self.busy[(resource, day)].append((start, end, site))
        else:
            self.busy[(resource, day)].remove((start, end, site))
        if is_inspector:
            self.day_minutes[(resource, day)] += sign * (end - start)
            self._week_minutes[resource] += sign * (end - start)
        else:
            self.day_sessions[(resource, day)] += sign


# The order first fit places occurrences in: a list of them, from the inspection.
Order = Callable[[Inspection, Candidates], list[Options]]
_RANK = {p: i for i, p in enumerate(PRIORITIES)}


def musts_first(inspection: Inspection, candidates: Candidates) -> list[Options]:
    """By priority; in each, fixed times first, then the fewest starts, then the inspection's order."""
    position = {o.id: i for i, o in enumerate(inspection.occurrences)}
    return sorted(
        candidates,
        key=lambda o: (_RANK[o.occurrence.activity.priority], o.occurrence.activity.fixed_time is None,
                       len(o.starts), position[o.occurrence.id]),
    )


def fixed_high_first(inspection: Inspection, candidates: Candidates) -> list[Options]:
    """Musts and high occurrences at a fixed time first, then as musts_first. A must free to move,
    placed first at its earliest, can take the only time a high one has: the 600-row week's team
    meeting of every inspector at Tuesday 16:00 left no one for two high observations fixed at 15:30
    and 15:45 (it fits at 16:45 just as well)."""
    in_order = musts_first(inspection, candidates)
    return sorted(in_order, key=lambda o: not (o.occurrence.activity.fixed_time is not None
                                               and _RANK[o.occurrence.activity.priority] <= _RANK["high"]))


class FirstFit:
    """What is placed so far, and first-fit placement of one more occurrence around it. Every
    booking is journalled, so a trial (take sessions out, place others) can be undone."""

    def __init__(self, inspection: Inspection, pick: Pick = in_pool_order):
        self.inspection = inspection
        self.diary = _Diary(inspection, pick)
        self.by_activity: dict[str, list[Session]] = defaultdict(list)
        self.placed: list[Session] = []
        self._journal: list[tuple[Session, int]] = []
        self._later: dict[str, tuple[str, ...]] = defaultdict(tuple)  # activity -> those `after` it
        for a in inspection.activities:
            for earlier in a.after:
                self._later[earlier] += (a.id,)

    def book(self, session: Session, sign: int = 1) -> None:
        """Take a session as placed (e.g. one that already happened); sign -1 takes it out."""
        room = self.inspection.room_by_id[session.room_id]
        site = None if room.virtual else room.site
        begin, end = session.day * DAY + session.start, session.day * DAY + session.end
        for i in session.inspector_ids:
            self.diary.book(i, begin, end, site, True, sign)
        for p in session.attendee_ids:
            self.diary.book(p, begin, end, site, False, sign)
        if not room.virtual:
            self.diary.book(room.id, begin, end, None, False, sign)
        if sign > 0:
            self.by_activity[session.activity_id].append(session)
            self.placed.append(session)
        else:
            _remove(self.by_activity[session.activity_id], session)
            _remove(self.placed, session)
        self._journal.append((session, sign))

    def unbook(self, session: Session) -> None:
        self.book(session, -1)

    def mark(self) -> int:
        return len(self._journal)

    def undo(self, mark: int) -> None:
        """Back to how things were at `mark`."""
        while len(self._journal) > mark:
            session, sign = self._journal[-1]
            self.book(session, -sign)
            del self._journal[-2:]

    def place(self, options: Options) -> Session | None:
        """Hold the occurrence at its first start (in the order given) where it fits, if any."""
        later = self._later.get(options.occurrence.activity.id, ())
        session = _first_fit(self.inspection, options, self.diary, self.by_activity, later)
        if session is not None:
            self.book(session)
        return session


def _remove(sessions: list[Session], session: Session) -> None:
    """Remove this very session, looking from the end (what was booked last goes first)."""
    for i in range(len(sessions) - 1, -1, -1):
        if sessions[i] is session:
            del sessions[i]
            return
    raise ValueError(f"{session.occurrence_id} is not placed")


# Sessions this close before or after an occurrence (minutes) may stand in its way: travel, lunch.
IN_THE_WAY_MARGIN = 60


def old_start_first(options: Options, session: Session) -> Options:
    """The occurrence's starts with the one it was held at first."""
    old = session.day * DAY + session.start
    return replace(options, starts=tuple(sorted(options.starts, key=lambda t: (t != old, t))))


def hardest_first(item: tuple[Session, Options]) -> tuple:
    """Musts first, fixed times first, fewest starts first (as the greedy places them), then weight,
    then id: a total order, so that a trial undone and made again takes the same steps."""
    a, starts = item[1].occurrence.activity, item[1].starts
    return not a.is_must, a.fixed_time is None, len(starts), -a.weight, item[1].occurrence.id


def make_way(fit: FirstFit, candidates: Candidates, options: Options, fixed: set[str], *, depth: int = 2,
             worth: int | None = None, change_cost: int = 0) -> tuple[int, int] | None:
    """Hold an occurrence that fits nowhere around the rest: at one of its starts, take out the
    sessions in its way (sharing someone or a room, at about the same time; never those in
    `fixed`), place it, then place them again first fit (their old start first), a must among them
    that fits nowhere making its own way in turn (to `depth`). A must takes the first start losing
    no weight, else the one losing least. An optional occurrence (`worth` its weight) takes the
    start costing least, weight lost + `change_cost` x sessions moved, and only if that is less
    than it is worth. Returns (weight lost, sessions moved), those of the musts that made way in
    turn included, once it is held; None if it is not, and then `fit` is as it was.
    (An edited must of all inspectors, moved an hour later, otherwise left the re-plan without a
    first timetable for 30 s on the 110-row week; for optional occurrences too, the re-plan of its
    busiest inspector out started at 2571 instead of 2404, and the 250-row solve at 6650, not 6410.)"""
    needs = options.could_involve() | {r.id for r in options.rooms if not r.virtual}
    required = set(options.named_inspectors) | set(options.all_inspectors) | set(options.named_attendees)
    if options.occurrence.activity.room:
        required.add(options.occurrence.activity.room)
    fixed = fixed | {options.occurrence.id}

    def cost(lost: int, moved: int) -> tuple[int, ...]:
        return (lost, moved) if worth is None else (lost + change_cost * moved,)

    def attempt(t: int) -> tuple[int, int] | None:
        """Make way at start t, in place: (weight lost, sessions moved), or None (no way)."""
        day, lo, hi = t // DAY, t % DAY - IN_THE_WAY_MARGIN, t % DAY + options.duration + IN_THE_WAY_MARGIN
        # By id: undoing a trial reorders fit.placed, and the same start must take the same steps.
        near = sorted((s for s in fit.placed if s.occurrence_id not in fixed and s.day == day
                       and s.start < hi and lo < s.end and needs & (set(s.everyone) | {s.room_id})),
                      key=lambda s: s.occurrence_id)
        # Those holding someone (or the room) it must have first; the others only if that is not enough.
        in_way = [s for s in near if required & (set(s.everyone) | {s.room_id})]
        for s in in_way:
            fit.unbook(s)
        if fit.place(replace(options, starts=(t,))) is None:
            others = [s for s in near if s not in in_way]
            # For an optional occurrence, one more session out of the way is often enough (e.g. the
            # only free inspector of an inspectorate), the lightest that is; moving all of those
            # nearby costs more than it is worth. A must takes them all out.
            one = None if worth is None else _one_out_of_the_way(fit, candidates, options, t, others)
            if one is not None:
                in_way.append(one)
            else:
                for s in others:
                    fit.unbook(s)
                in_way += others
                if not others or fit.place(replace(options, starts=(t,))) is None:
                    return None
        lost = moved = 0
        for s, other in sorted(((s, candidates[s.occurrence_id]) for s in in_way), key=hardest_first):
            again = fit.place(old_start_first(other, s))
            if again is None:
                if not other.occurrence.is_must:
                    lost += other.occurrence.activity.weight
                else:
                    made = make_way(fit, candidates, other, fixed, depth=depth - 1,
                                    change_cost=change_cost) if depth > 1 else None
                    if made is None:
                        return None
                    lost, moved = lost + made[0], moved + made[1]
                moved += 1
            elif change_kind(s, again) is not None:
                moved += 1
        return lost, moved

    best: tuple[tuple[int, int], int] | None = None
    for t in options.starts:
        mark = fit.mark()
        outcome = attempt(t)
        fit.undo(mark)
        if outcome is None:
            continue
        if best is None or cost(*outcome) < cost(*best[0]):
            best = (outcome, t)
        if outcome[0] == 0 and (worth is None or cost(*outcome)[0] == 0):
            break  # nothing better to find
    if best is None or (worth is not None and cost(*best[0])[0] >= worth):
        return None
    mark = fit.mark()
    outcome = attempt(best[1])  # again, for good: the same steps give the same timetable
    if outcome != best[0]:  # a bug: never leave `fit` half made
        fit.undo(mark)
        raise AssertionError(f"make_way for {options.occurrence.id} at {best[1]}: {outcome} made, {best[0]} tried")
    return outcome


def _one_out_of_the_way(fit: FirstFit, candidates: Candidates, options: Options, t: int,
                        others: list[Session]) -> Session | None:
    """The lightest of `others` (optional before must, then by weight) whose taking out lets the
    occurrence be placed at start t; it is left taken out and the occurrence placed. None: no one
    session is enough, and `fit` is as it was."""
    def lightness(s: Session) -> tuple[bool, int]:
        occurrence = candidates[s.occurrence_id].occurrence
        return occurrence.is_must, occurrence.activity.weight

    for s in sorted(others, key=lightness):
        mark = fit.mark()
        fit.unbook(s)
        if fit.place(replace(options, starts=(t,))) is not None:
            return s
        fit.undo(mark)
    return None


def make_way_if_worth_it(fit: FirstFit, candidates: Candidates, options: Options, fixed: set[str], *,
                         change_cost: int = 0, least_weight: int = 0) -> None:
    """make_way for an occurrence first fit left out: a must always (it has to be held); an
    optional one (one level deep) only when it weighs at least `least_weight` and more than one
    session moved costs, and then only where that costs less than it is worth."""
    weight = options.occurrence.activity.weight
    if options.occurrence.is_must:
        make_way(fit, candidates, options, fixed)
    elif weight >= least_weight and weight > change_cost:
        make_way(fit, candidates, options, fixed, depth=1, worth=weight, change_cost=change_cost)


def greedy_timetable(inspection: Inspection, candidates: Candidates | None = None,
                     pick: Pick = in_pool_order, order: Order = musts_first) -> list[Session]:
    """Place what fits, first fit; returns the sessions held (musts may be missing)."""
    candidates = candidates or Candidates(inspection)
    fit = FirstFit(inspection, pick)
    for options in order(inspection, candidates):
        fit.place(options)
    by_id = {s.occurrence_id: s for s in fit.placed}
    return [by_id[o.id] for o in inspection.occurrences if o.id in by_id]


# Left out by first fit, an optional occurrence worth at least this makes way in the solve's start:
# high and medium. Measured on bench/'s weeks: high and medium +240 at 250 rows (2.7 s) and +140 at
# 600 (7.4 s). Before the one-session step: the high ones alone +100 and +0; the low ones as well,
# +5 more at 250 rows for 4.5 s more (they are many, each worth 1, and the search places them anyway).
WORTH_MAKING_WAY = 10


def first_fit_start(inspection: Inspection, candidates: Candidates, sessions: list[Session],
                    pick: Pick = in_pool_order, order: Order = musts_first) -> list[Session]:
    """A start for the solve: a first fit (`sessions`, made with `pick`) with what it left out held
    where the sessions in the way can go elsewhere (make_way): a must wherever it can be, an optional
    occurrence worth WORTH_MAKING_WAY or more where that loses less weight than it is worth."""
    fit = FirstFit(inspection, pick)
    for s in sessions:
        fit.book(s)
    return _left_out_make_way(fit, inspection, candidates, WORTH_MAKING_WAY, set(), 0, order)


def best_first_fit_start(inspection: Inspection, candidates: Candidates, greedy: list[Session] | None = None,
                         order: Order = musts_first) -> list[Session]:
    """Of the first fit starts made in `order` with each of PICKS (`greedy`, when given, is the first
    fit in that order in pool order), the one holding the most musts and then the most weight (the
    first of equals)."""
    def first_fit(pick: Pick) -> list[Session]:
        return greedy if greedy is not None and pick is in_pool_order else \
            greedy_timetable(inspection, candidates, pick, order)
    starts = [first_fit_start(inspection, candidates, first_fit(pick), pick, order) for pick in PICKS]
    return max(starts, key=lambda sessions: musts_then_weight(inspection, sessions))


def musts_then_weight(inspection: Inspection, sessions: list[Session]) -> tuple[int, int]:
    held = {s.occurrence_id for s in sessions}
    return sum(o.id in held for o in inspection.occurrences if o.is_must), Timetable(inspection, tuple(sessions)).held_weight


def repaired(inspection: Inspection, candidates: Candidates, sessions: list[Session], *,
             pinned: tuple[Session, ...] = (), change_cost: int = 0) -> list[Session]:
    """A timetable that keeps every rule, from one that may break some (the travel-free search's,
    scheduler.solve): each session stays exactly as it was where it still fits beside those kept
    before it, or else goes to its first fit, its old start tried first; then what is left out
    makes way as in first_fit_start, any weight. Which of two sessions in each other's way stays
    decides much, so two orders are tried and the heavier result kept. Both put musts and fixed
    times first; then one takes the heaviest first, the other the fewest starts first. Measured
    from the same travel-free answers: 110 rows 2953 and 2955 (from 2960), 250 rows 7064 and 6984
    (from 6953: making way adds some). Keeping each session's own inspectors and pool members
    matters: placed first fit from their old start alone, the 110-row week kept 2937.
    A re-plan's `pinned` sessions (the past) are booked first and never moved, and making way
    weighs `change_cost` as the re-plan's own start does (scheduler.whatif)."""
    def heaviest_first(item: tuple[Session, Options]) -> tuple:
        a = item[1].occurrence.activity
        return not a.is_must, a.fixed_time is None, -a.weight, len(item[1].starts), item[1].occurrence.id

    pinned_ids = {s.occurrence_id for s in pinned}
    free = [s for s in sessions if s.occurrence_id not in pinned_ids]
    tries = [_kept_where_it_fits(inspection, candidates, free, order, pinned, pinned_ids, change_cost)
             for order in (heaviest_first, hardest_first)]
    return max(tries, key=lambda tried: musts_then_weight(inspection, tried))  # the first of equals


def _kept_where_it_fits(inspection: Inspection, candidates: Candidates, sessions: list[Session], order,
                        pinned: tuple[Session, ...], pinned_ids: set[str], change_cost: int) -> list[Session]:
    fit = FirstFit(inspection)
    for session in pinned:
        fit.book(session)
    for session, options in sorted(((s, candidates[s.occurrence_id]) for s in sessions), key=order):
        if fit.place(options.held_as(session)) is None:
            fit.place(old_start_first(options, session))
    return _left_out_make_way(fit, inspection, candidates, 1, pinned_ids, change_cost)


def _left_out_make_way(fit: FirstFit, inspection: Inspection, candidates: Candidates,
                       least_weight: int, fixed: set[str], change_cost: int,
                       order: Order = musts_first) -> list[Session]:
    """make_way (when worth it) for each occurrence not placed, in first fit's `order`; the sessions
    in the inspection's order."""
    held = {s.occurrence_id for s in fit.placed}
    for options in order(inspection, candidates):
        if options.occurrence.id not in held and options.starts:
            make_way_if_worth_it(fit, candidates, options, fixed, change_cost=change_cost, least_weight=least_weight)
    by_id = {s.occurrence_id: s for s in fit.placed}
    return [by_id[o.id] for o in inspection.occurrences if o.id in by_id]


def _respects_after(options: Options, start: int, end: int, held_by_activity: dict[str, list[Session]],
                    later: tuple[str, ...]) -> bool:
    """`after` holds both ways: what it comes after has ended; what comes after it (`later`) has not begun."""
    for earlier in options.occurrence.activity.after:
        if any(s.day * DAY + s.end > start for s in held_by_activity.get(earlier, ())):
            return False
    return not any(s.day * DAY + s.start < end for a in later for s in held_by_activity.get(a, ()))


def _first_fit(inspection: Inspection, options: Options, diary: _Diary,
               held_by_activity: dict[str, list[Session]], later: tuple[str, ...]) -> Session | None:
    activity = options.occurrence.activity
    rooms = sorted(options.rooms, key=lambda r: (r.virtual, r.capacity or 10**6, r.id))
    # The diary's pick order of each item's inspectors on a day: nothing is booked while one
    # occurrence is placed, so it is worked out once per day, not at every start.
    orders: dict[tuple, list[str]] = {}
    for start in options.starts:
        end = start + options.duration
        if not _respects_after(options, start, end, held_by_activity, later):
            continue
        if not (all(diary.inspector_ok(i, start, end, None) for i in options.named_inspectors)
                and all(diary.person_ok(p, start, end, None) for p in options.named_attendees)):
            continue  # someone it needs is taken then, whatever the room (travel aside)
        by_site: dict[str | None, list[str] | None] = {}  # the inspectors free depend on the site only
        for room in rooms:
            site = None if room.virtual else room.site
            if site not in by_site:
                by_site[site] = _pick_inspectors(inspection, options, diary, start, end, site, orders)
            inspectors = by_site[site]
            if inspectors is None:
                continue
            if not room.virtual and not diary.free(room.id, start, end, None):
                continue
            if room.virtual and not inspection.is_free(room.id, start // DAY, start % DAY, end % DAY):
                continue
            if not all(diary.person_ok(p, start, end, site) for p in options.named_attendees):
                continue
            room_left = (room.capacity if room.capacity is not None and not room.virtual else 10**6) \
                - len(inspectors) - len(options.named_attendees)
            if room_left < 0:
                continue
            pool = _pick_pool(inspection, options, diary, start, end, site, room, room_left)
            if pool is None:
                continue
            return Session(
                occurrence_id=options.occurrence.id, activity_id=activity.id, day=start // DAY,
                start=start % DAY, end=end % DAY or DAY, room_id=room.id,
                inspector_ids=tuple(inspectors), attendee_ids=tuple(options.named_attendees) + tuple(pool),
            )
    return None


def _pick_inspectors(inspection, options: Options, diary: _Diary, start, end, site,
                     orders: dict[tuple, list[str]]) -> list[str] | None:
    if options.all_inspectors:
        present = [i for i in options.all_inspectors
                   if inspection.is_free(i, start // DAY, start % DAY, end % DAY or DAY)]
        return present if all(diary.inspector_ok(i, start, end, site) for i in present) else None
    chosen = list(options.named_inspectors)
    if not all(diary.inspector_ok(i, start, end, site) for i in chosen):
        return None
    # Each item takes the first free inspector it may have in the diary's order (its `pick`), named
    # inspectorates before `any`. (Plain loops: this is first fit's innermost step.)
    ok: dict[str, bool] = {}
    day = start // DAY
    for allowed in diary.inspector_choices(options):
        order = orders.get((allowed, day))
        if order is None:  # without those whose day it would make too long
            order = orders[(allowed, day)] = [i for i in diary.pick(diary, allowed, day)
                                              if diary.day_has_room(i, day, end - start)]
        for i in order:
            if i in chosen:
                continue
            free = ok.get(i)
            if free is None:
                free = ok[i] = diary.inspector_ok(i, start, end, site)
            if free:
                chosen.append(i)
                break
        else:
            return None
    return chosen


def _pick_pool(inspection, options: Options, diary: _Diary, start, end, site, room, room_left) -> list[str] | None:
    activity = options.occurrence.activity
    if activity.pool is None:
        return []
    separate = activity.type in PRACTITIONER_ONLY_TYPES
    present = set(options.named_attendees)
    chosen: list[str] = []
    for person in options.pool_members:
        if len(chosen) >= min(activity.pool_max, room_left):
            break
        if inspection.person_by_id[person].needs_accessible and not room.virtual and not room.accessible:
            continue
        if separate and _manages_or_managed(inspection, person, present):
            continue
        if diary.person_ok(person, start, end, site):
            chosen.append(person)
            present.add(person)
    return chosen if len(chosen) >= activity.pool_min else None


def _manages_or_managed(inspection: Inspection, person: str, present: set[str]) -> bool:
    if any(m in present for m in inspection.managers_above(person)):
        return True
    return any(person in inspection.managers_above(other) for other in present)
