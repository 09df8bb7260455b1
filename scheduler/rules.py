"""The hard rules of SPEC §3, one function each, posted in order by `post_rules`.

Each takes the shared Variables and adds its constraints; the choices that a rule narrows on its
own (days, grid, room mode/site/size) are already applied in scheduler.candidates.
"""
from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from models.inspection import PRACTITIONER_ONLY_TYPES
from scheduler.candidates import DAY, free_starts, week_minute
from scheduler.variables import Variables


def every_must_held_once(v: Variables) -> None:
    """1. Every must activity is held; each occurrence at most once (by construction: one start)."""
    # `held` is the constant true for musts and one room / one day are chosen exactly when held
    # (see Variables); nothing more to post.


def within_days_and_hours(v: Variables) -> None:
    """2. Allowed day, inside the day's hours and earliest/latest, on the grid or at fixed_start."""
    # The start variables' domains are exactly scheduler.candidates.allowed_starts.


def no_double_booking(v: Variables) -> None:
    """3. No inspector, person or physical room is in two sessions at once."""
    virtual_rooms = {r.id for r in v.inspection.rooms if r.virtual}
    for resource, sessions in v.attendance.items():
        if resource in virtual_rooms:
            continue  # an online meeting room may host sessions in parallel
        switch = v.guard("one place at a time", resource)
        for oid, lit in sessions:
            v.busy[resource].append(v.resource_interval(oid, v.both(lit, switch)))


def travel_between_sites(v: Variables, only: frozenset[str] | None = None) -> None:
    """4. Between one person's in-person sessions on different sites, at least the travel time
    (for the inspectors and people in `only`, when given: scheduler.whatif's second relaxed search).

    Instead of one constraint per pair of sessions (which grows with the square of an inspector's
    candidate sessions), each resource gets one cumulative per site s. Each of its sessions appears
    twice there: as itself, with demand C (the capacity) when held at s; and widened on both sides
    by the travel time to s, with demand 1, when held in person elsewhere. So nothing can happen at
    s while the resource is on its way to or from another site, while sessions elsewhere may crowd
    together freely. The widening depends only on the session and s, so all resources share it.
    Online sessions take no part: they neither need nor break travel.
    """
    inspection = v.inspection
    widened: dict[tuple[str, str], tuple] = {}  # (occurrence, site) -> (start, size, end, away)

    def widen(oid: str, here: str):
        if (oid, here) not in widened:
            sites = v.site[oid]
            elsewhere = [lit for site, lit in sites.items() if site != here]
            # a cumulative's demand must be a single variable
            away = elsewhere[0] if len(elsewhere) == 1 else v.define(
                f"away_from[{oid},{here}]", 0, 1, 0, [(1, lit) for lit in elsewhere])
            travel = {site: inspection.travel_minutes(site, here) for site in sites if site != here}
            start, end = v.start[oid], v.end(oid)
            if len(set(travel.values())) == 1:  # one journey time, whichever site: a fixed widening
                t = next(iter(travel.values()))
                widened[(oid, here)] = (start - t, v.candidates[oid].duration + 2 * t, end + t, away)
            else:
                dur = v.candidates[oid].duration
                w = v.define(f"travel_to[{oid},{here}]", 0, max(travel.values()), 0,
                             [(t, sites[site]) for site, t in travel.items()])
                lo = v.define(f"leave_for[{oid},{here}]", -DAY, 6 * DAY, 0, [(1, start), (-1, w)])
                hi = v.define(f"back_from[{oid},{here}]", -DAY, 6 * DAY, dur, [(1, start), (1, w)])
                widened[(oid, here)] = (lo, v.candidates[oid].duration + 2 * w, hi, away)
        return widened[(oid, here)]

    for resource, sessions in v.attendance.items():
        if resource in inspection.room_by_id or (only is not None and resource not in only):
            continue
        in_person = [(oid, lit) for oid, lit in sessions if v.site[oid]]
        sites = sorted({s for oid, _ in in_person for s in v.site[oid]})
        if len(sites) < 2:
            continue
        switch = v.guard("travel", resource)
        capacity = len(in_person) + 1
        for here in sites:
            intervals, demands = [], []
            for oid, lit in in_person:
                present = v.both(lit, switch)
                if here in v.site[oid]:
                    intervals.append(v.resource_interval(oid, present, demand_tag=f"@{here}"))
                    demands.append(capacity * v.site[oid][here])
                if set(v.site[oid]) - {here}:
                    start, size, end, away = widen(oid, here)
                    intervals.append(v.model.new_optional_interval_var(
                        start, size, end, present, f"travel[{oid},{resource}~{here}]"))
                    demands.append(away)
            if len(intervals) > 1 and any(here in v.site[oid] for oid, _ in in_person):
                v.model.add_cumulative(intervals, demands, capacity)


def rooms_fit(v: Variables) -> None:
    """5. The room holds everyone, is on the site, accessible when needed, the named one."""
    inspection = v.inspection
    for options in v.candidates:
        oid = options.occurrence.id
        headcount = len(options.named_attendees) + sum(v.pool[oid].values()) + sum(v.inspector[oid].values())
        for room in options.rooms:
            if room.capacity is not None and not room.virtual:
                v.model.add(headcount <= room.capacity).only_enforce_if(
                    v.when("room size", oid, v.room[oid][room.id]))
        inaccessible = [v.room[oid][r.id] for r in options.rooms if not r.virtual and not r.accessible]
        for person, lit in v.pool[oid].items():
            if inspection.person_by_id[person].needs_accessible:
                for room_lit in inaccessible:
                    v.model.add_bool_or([lit.negated(), room_lit.negated()]).only_enforce_if(
                        v.when("accessible room", oid))


def inspectors_as_asked(v: Variables) -> None:
    """6. Named inspectors attend; each inspectorate item gets a distinct further inspector; `all`."""
    inspection = v.inspection
    for options in v.candidates:
        occ = options.occurrence
        oid = occ.id
        held = v.held[oid]
        items = occ.activity.inspectorates
        if options.inspector_pool and not options.all_inspectors:
            chosen = v.inspector[oid]
            v.model.add(sum(chosen[i] for i in options.inspector_pool) == len(items) * held
                        ).only_enforce_if(v.when("inspectors", oid))
            for inspectorate in sorted(set(items) - {"any"}):
                members = [chosen[i] for i in options.inspector_pool
                           if inspection.inspector_by_id[i].inspectorate == inspectorate]
                v.model.add(sum(members) >= items.count(inspectorate) * held
                            ).only_enforce_if(v.when("inspectors", oid))
        if options.all_inspectors:  # SPEC §6: one that has lost its last inspector is moved or cancelled
            v.model.add(sum(v.inspector[oid][i] for i in options.all_inspectors) >= 1).only_enforce_if(held)
        for inspector in options.all_inspectors:
            # attends exactly when held and not unavailable at the session's time
            lit = v.inspector[oid][inspector]
            free = set(free_starts(inspection, inspector, options.starts, options.duration))
            busy = [t for t in options.starts if t not in free]
            if not busy:
                v.model.add(lit == held)
                continue
            v.model.add_implication(lit, held)
            v.model.add_linear_expression_in_domain(
                v.start[oid], cp_model.Domain.from_values(busy)).only_enforce_if([held, lit.negated()])
            if free:
                v.model.add_linear_expression_in_domain(
                    v.start[oid], cp_model.Domain.from_values(sorted(free))).only_enforce_if(lit)
            else:
                v.model.add(lit == 0)


def nobody_unavailable(v: Variables) -> None:
    """7. No inspector, person or room is used while unavailable."""
    inspection = v.inspection
    for resource, sessions in v.attendance.items():
        if resource not in inspection.unavailable:
            continue
        for oid, lit in sessions:
            options = v.candidates[oid]
            if options.all_inspectors and resource in options.all_inspectors:
                continue  # `all` already means "everyone free at the time"
            free = free_starts(inspection, resource, options.starts, options.duration)
            if len(free) == len(options.starts):
                continue
            if not free:
                v.model.add(lit == 0).only_enforce_if(v.when("unavailable", resource))
            else:
                v.model.add_linear_expression_in_domain(
                    v.start[oid], cp_model.Domain.from_values(free)).only_enforce_if(
                    v.when("unavailable", resource, lit))


def practitioners_apart_from_managers(v: Variables) -> None:
    """8. In a focus group or practitioner interview, nobody's line manager (up the chain) attends."""
    inspection = v.inspection
    for options in v.candidates:
        if options.occurrence.activity.type not in PRACTITIONER_ONLY_TYPES:
            continue
        oid = options.occurrence.id
        named = set(options.named_attendees)
        present = {p: v.held[oid] for p in named}
        present.update(v.pool[oid])
        for person, lit in present.items():
            for manager in inspection.managers_above(person):
                if manager not in present or (person in named and manager in named):
                    continue  # two named attendees in conflict are refused before solving
                v.model.add_bool_or([lit.negated(), present[manager].negated()]).only_enforce_if(
                    v.when("apart from managers", oid))


def lunch_and_contact_limits(v: Variables) -> None:
    """9. Each inspector gets a free lunch break in the window; contact minutes capped per day."""
    s = v.inspection.settings
    for inspector in v.inspection.inspectors:
        sessions = v.attendance.get(inspector.id, [])
        days = sorted({d for oid, _ in sessions for d in v.on_day[oid]})
        for day in days:
            lunch = v.model.new_int_var(week_minute(day, s.lunch_earliest),
                                        week_minute(day, s.lunch_latest - s.lunch_minutes),
                                        f"lunch[{inspector.id},{day}]")
            v.lunch[(inspector.id, day)] = lunch
            v.busy[inspector.id].append(v.model.new_optional_fixed_size_interval_var(
                lunch, s.lunch_minutes, v.guard("lunch", inspector.id), f"lunch_break[{inspector.id},{day}]"))
            possible = [(oid, lit) for oid, lit in sessions if day in v.on_day[oid]]
            # Only a day that could overflow needs the cap (and its attends-that-day literals).
            if sum(v.candidates[oid].duration for oid, _ in possible) > s.max_inspector_contact_minutes:
                minutes = sum(v.candidates[oid].duration * v.attends_on(inspector.id, oid, lit, day)
                              for oid, lit in possible)
                v.model.add(minutes <= s.max_inspector_contact_minutes).only_enforce_if(
                    v.when("contact minutes", inspector.id))


def person_daily_cap(v: Variables) -> None:
    """10. No person has more than max_person_sessions_per_day sessions in a day."""
    cap = v.inspection.settings.max_person_sessions_per_day
    for person in v.inspection.people:
        sessions = v.attendance.get(person.id, [])
        for day in range(5):
            possible = [(oid, lit) for oid, lit in sessions if day in v.on_day[oid]]
            if len(possible) > cap:  # only then can the cap bind
                on = [v.attends_on(person.id, oid, lit, day) for oid, lit in possible]
                v.model.add(sum(on) <= cap).only_enforce_if(v.when("sessions a day", person.id))


def after_and_pools(v: Variables) -> None:
    """11. `after` holds when the earlier activity is held; pools get pool_min..pool_max members."""
    inspection = v.inspection
    occurrences_of = defaultdict(list)
    for occ in inspection.occurrences:
        occurrences_of[occ.activity.id].append(occ.id)
    for options in v.candidates:
        occ = options.occurrence
        oid = occ.id
        held = v.held[oid]
        for earlier in occ.activity.after:
            for eid in occurrences_of[earlier]:
                v.model.add(v.end(eid) <= v.start[oid]).only_enforce_if(
                    v.when("after", oid, v.held[eid], held))
        if occ.activity.pool is not None:
            chosen = sum(v.pool[oid].values())
            v.model.add(chosen >= occ.activity.pool_min * held).only_enforce_if(v.when("pool", oid))
            v.model.add(chosen <= occ.activity.pool_max * held)


# The rules of SPEC §3, in order. Travel and lunch add to the per-resource lists that
# no_double_booking starts, so NoOverlaps are posted once all rules have spoken.
RULES = (
    every_must_held_once,
    within_days_and_hours,
    no_double_booking,
    travel_between_sites,
    rooms_fit,
    inspectors_as_asked,
    nobody_unavailable,
    practitioners_apart_from_managers,
    lunch_and_contact_limits,
    person_daily_cap,
    after_and_pools,
)

# Every rule but travel: the quick first search of a solve or re-plan (scheduler.solve).
TRAVEL_FREE_RULES = tuple(rule for rule in RULES if rule is not travel_between_sites)


def post_rules(v: Variables, rules=RULES) -> None:
    for rule in rules:
        rule(v)
    v.post_no_overlaps()
