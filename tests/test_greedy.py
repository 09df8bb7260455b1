"""The greedy first-fit is the search's hint and bench/'s baseline: it must keep every rule too."""
import pytest

from checker import check_timetable
from fixtures import EXAMPLE_DIR
from loader import load_inspection
from models import Timetable
from scheduler.candidates import Candidates
from scheduler.search import Watcher
from scheduler.greedy import (PICKS, FirstFit, best_first_fit_start, first_fit_start, fixed_high_first,
                              greedy_timetable, in_pool_order, least_busy_in_the_week, make_way, musts_first,
                              repaired)
from tests.builders import activity, inspection, inspector, person, room, session, timetable


def test_greedy_timetable_of_the_example_keeps_every_rule_but_maybe_musts():
    insp = load_inspection(EXAMPLE_DIR)
    tt = Timetable(insp, tuple(greedy_timetable(insp)))
    problems = [p for p in check_timetable(tt) if "must" not in str(p)]
    assert problems == []
    assert len(tt.sessions) > 0.7 * len(insp.occurrences)


def test_greedy_respects_room_size_with_all_inspectors():
    # Only the big room holds all five inspectors; the small one is first in first-fit order.
    insp = inspection(
        inspectors=[inspector(f"OF{i}") for i in range(5)],
        rooms=[room("SMALL", capacity=3), room("BIG", capacity=10)],
        activities=[activity("TEAM", type="team_meeting", all_inspectors=True)])
    (session,) = greedy_timetable(insp)
    assert session.room_id == "BIG"


def _must_first_in_the_way(h_priority: str):
    """M (a must, any time Tuesday) is placed first, at 09:00; H (fixed Tue 09:00) needs the same
    inspector, so first fit leaves H out although M could as well be at 10:00."""
    return inspection(
        inspectors=[inspector("OF1")], people=[person("P1"), person("P2")], rooms=[room("R1"), room("R2")],
        activities=[activity("M", inspectors=("OF1",), attendees=("P1",), days=(1,)),
                    activity("H", inspectors=("OF1",), attendees=("P2",), priority=h_priority, days=(1,),
                             fixed_day=1, fixed_time=9 * 60)])


def test_the_solve_start_moves_a_must_out_of_the_way_of_a_high_priority_session():
    insp = _must_first_in_the_way("high")
    greedy = greedy_timetable(insp)
    assert [s.occurrence_id for s in greedy] == ["M"]  # H left out: OF1 is in M at 09:00
    start = Timetable(insp, tuple(first_fit_start(insp, Candidates(insp), greedy)))
    assert {s.occurrence_id: s.start for s in start.sessions} == {"M": 10 * 60, "H": 9 * 60}
    assert check_timetable(start) == []


def test_a_searched_timetable_leaving_out_what_fits_by_making_way_is_polished():
    """The solve's last step (scheduler.solve._polished): an answer holding M at 09:00 and leaving
    out H is given back with M at 10:00 and H held; one that cannot gain is given back as it was."""
    from scheduler.solve import _polished
    insp = _must_first_in_the_way("high")
    candidates = Candidates(insp)
    searched = greedy_timetable(insp)
    sessions, weight = _polished(insp, candidates, searched, 0)
    assert weight == 100 and {s.occurrence_id: s.start for s in sessions} == {"M": 10 * 60, "H": 9 * 60}
    assert check_timetable(Timetable(insp, tuple(sessions))) == []
    assert _polished(insp, candidates, sessions, weight) == (sessions, weight)


def test_the_solve_start_leaves_a_low_priority_session_out_rather_than_search_for_room():
    insp = _must_first_in_the_way("low")  # worth 1: the search may place it, the start does not try
    greedy = greedy_timetable(insp)
    assert first_fit_start(insp, Candidates(insp), greedy) == greedy == [s for s in greedy if s.occurrence_id == "M"]


def test_an_optional_session_moves_the_one_session_in_its_way_not_all_those_nearby():
    """H (high, fixed Tue 09:00) needs an Ofsted inspector; first fit gave both of them sessions at
    09:00 (M a must, A a medium one). Taking out only A (the lighter) is enough: one session moved,
    where taking out every session nearby moved two, each a change the lead must send."""
    insp = inspection(
        inspectors=[inspector("OF1"), inspector("OF2")], people=[person(f"P{i}") for i in (1, 2, 9)],
        rooms=[room("R1"), room("R2"), room("R3")],
        activities=[activity("M", inspectors=("OF1",), attendees=("P1",), days=(1,)),
                    activity("A", inspectors=("OF2",), attendees=("P2",), days=(1,), priority="medium"),
                    activity("H", inspectorates=("Ofsted",), attendees=("P9",), days=(1,), priority="high",
                             fixed_day=1, fixed_time=9 * 60)])
    candidates = Candidates(insp)
    fit = FirstFit(insp)
    for options in candidates:
        fit.place(options)
    assert sorted((s.occurrence_id, s.start) for s in fit.placed) == [("A", 9 * 60), ("M", 9 * 60)]
    assert make_way(fit, candidates, candidates["H"], set(), depth=1, worth=100, change_cost=4) == (0, 1)
    placed = Timetable(insp, tuple(fit.placed))
    assert {s.occurrence_id: s.start for s in placed.sessions} == {"M": 9 * 60, "H": 9 * 60, "A": 10 * 60}
    assert check_timetable(placed) == []


def test_an_undone_trial_leaves_first_fit_exactly_as_it_was():
    insp = load_inspection(EXAMPLE_DIR)
    candidates = Candidates(insp)
    fit = FirstFit(insp)
    for s in greedy_timetable(insp, candidates):
        fit.book(s)

    def state():
        d = fit.diary
        return ({k: sorted(v) for k, v in d.busy.items() if v}, {k: v for k, v in d.day_minutes.items() if v},
                {k: v for k, v in d.day_sessions.items() if v}, sorted(s.occurrence_id for s in fit.placed))

    before = state()
    mark = fit.mark()
    for s in fit.placed[:10]:
        fit.unbook(s)
    held = {s.occurrence_id for s in fit.placed}
    assert any(fit.place(o) for o in candidates if o.occurrence.id not in held)
    assert state() != before
    fit.undo(mark)
    assert state() == before


def test_the_solve_start_holds_at_least_what_first_fit_holds_and_keeps_every_rule():
    insp = load_inspection(EXAMPLE_DIR)
    candidates = Candidates(insp)
    greedy = Timetable(insp, tuple(greedy_timetable(insp, candidates)))
    start = Timetable(insp, tuple(first_fit_start(insp, candidates, list(greedy.sessions))))
    assert start.held_weight > greedy.held_weight  # the example has high sessions first fit leaves out
    assert [p for p in check_timetable(start) if "must" not in str(p)] == []


def test_an_inspector_picked_by_load_stays_free_for_the_session_that_names_them():
    """M1 (a must naming OF1, Tue 10:00) is placed first; A (a must wanting any Ofsted inspector,
    Tue 09:00) next; B (high, naming OF1, Tue 09:00) last. In pool order A takes OF1 and first fit
    leaves B out; picking the inspector least busy in the week, A takes OF2 and B is held."""
    insp = inspection(
        inspectors=[inspector("OF1"), inspector("OF2")], people=[person(f"P{i}") for i in (1, 2, 3)],
        rooms=[room(f"R{i}") for i in (1, 2, 3)],
        activities=[activity("M1", inspectors=("OF1",), attendees=("P1",), fixed_day=1, fixed_time=10 * 60),
                    activity("A", inspectorates=("Ofsted",), attendees=("P2",), fixed_day=1, fixed_time=9 * 60),
                    activity("B", inspectors=("OF1",), attendees=("P3",), priority="high", fixed_day=1,
                             fixed_time=9 * 60)])
    in_order = {s.occurrence_id: s.inspector_ids for s in greedy_timetable(insp, pick=in_pool_order)}
    assert in_order == {"M1": ("OF1",), "A": ("OF1",)}
    by_load = Timetable(insp, tuple(greedy_timetable(insp, pick=least_busy_in_the_week)))
    assert {s.occurrence_id: s.inspector_ids for s in by_load.sessions} == {"M1": ("OF1",), "A": ("OF2",), "B": ("OF1",)}
    assert check_timetable(by_load) == []


@pytest.mark.parametrize("pick", PICKS, ids=lambda pick: pick.__name__)
def test_two_items_of_one_inspectorate_take_two_inspectors_whatever_the_pick(pick):
    """SPEC §3.6: `HMICFRS;HMICFRS` is two distinct HMICFRS inspectors. HC3 is the least busy (the
    others have a morning session each), so an order by load puts HC3 first for both items; the
    second must still go to someone else."""
    hmicfrs = dict(inspectorate="HMICFRS")
    insp = inspection(
        inspectors=[inspector(f"HC{i}", **hmicfrs) for i in (1, 2, 3)], people=[person(f"P{i}") for i in (1, 2, 3)],
        rooms=[room(f"R{i}") for i in (1, 2, 3)],
        activities=[activity("M1", inspectors=("HC1",), attendees=("P1",), fixed_day=1, fixed_time=9 * 60),
                    activity("M2", inspectors=("HC2",), attendees=("P2",), fixed_day=1, fixed_time=9 * 60),
                    activity("PAIR", inspectorates=("HMICFRS", "HMICFRS"), attendees=("P3",), fixed_day=1,
                             fixed_time=11 * 60)])
    tt = Timetable(insp, tuple(greedy_timetable(insp, pick=pick)))
    pair = tt.session("PAIR").inspector_ids
    assert len(set(pair)) == 2 and (pick is in_pool_order or "HC3" in pair)
    assert check_timetable(tt) == []


@pytest.mark.parametrize("booked, taken", [(60, "OF1"), (90, "OF2")])
def test_an_item_takes_an_inspector_whose_day_has_just_room_and_skips_one_it_would_overfill(booked, taken):
    """SPEC §3.9 (contact minutes a day): with a 120-minute cap, OF1 (first in pool order) has
    `booked` minutes on Monday; a 60-minute session with an Ofsted item goes to OF1 while that
    makes exactly 120, and to OF2 once it would make more."""
    insp = inspection(
        inspectors=[inspector("OF1"), inspector("OF2")], people=[person("P1"), person("P2")],
        rooms=[room("R1"), room("R2")], max_inspector_contact_minutes=120,
        activities=[activity("M", duration=booked, inspectors=("OF1",), attendees=("P1",), fixed_day=0,
                             fixed_time=9 * 60),
                    activity("S", inspectorates=("Ofsted",), attendees=("P2",), fixed_day=0, fixed_time=14 * 60)])
    tt = Timetable(insp, tuple(greedy_timetable(insp)))
    assert tt.session("S").inspector_ids == (taken,)
    assert check_timetable(tt) == []


def test_the_solve_starts_from_the_best_of_the_first_fits_each_pick_makes():
    """On the example the first fits of the four picks, each made way in, hold different weights
    (3394 in pool order, 3502 at best): the solve's start is the best, and keeps every rule."""
    insp = load_inspection(EXAMPLE_DIR)
    candidates = Candidates(insp)
    greedy = greedy_timetable(insp, candidates)
    weights = [Timetable(insp, tuple(first_fit_start(insp, candidates, greedy_timetable(insp, candidates, pick),
                                                     pick))).held_weight for pick in PICKS]
    start = Timetable(insp, tuple(best_first_fit_start(insp, candidates, greedy)))
    assert start.held_weight == max(weights) > weights[0]  # weights[0]: in pool order
    assert [p for p in check_timetable(start) if "must" not in str(p)] == []


def test_a_fixed_high_session_placed_before_a_must_free_to_move_keeps_its_only_time(monkeypatch):
    """TEAM (a must of every inspector, Tue 15:00-17:00) and M (a must of OF1, only 15:30-16:30)
    come first musts first: M at 15:30, TEAM at its earliest, 15:00. H (high, any inspector, fixed
    Tue 14:30-15:30) then finds OF1 in TEAM, and making way fails: TEAM fits nowhere else, as L (low,
    OF1, fixed 16:30) has its last half hour. Placing H first, TEAM goes to 16:30 and L is left out:
    100 held against 1."""
    tue = dict(days=(1,), fixed_day=1)
    insp = inspection(
        inspectors=[inspector("OF1")], people=[person(f"P{i}") for i in (1, 2, 3)],
        rooms=[room(f"R{i}", capacity=10) for i in (1, 2, 3, 4)],
        activities=[activity("TEAM", type="team_meeting", duration=30, all_inspectors=True, days=(1,),
                             earliest=15 * 60, latest=17 * 60),
                    activity("M", inspectors=("OF1",), attendees=("P1",), days=(1,), earliest=15 * 60 + 30,
                             latest=16 * 60 + 30),
                    activity("H", inspectorates=("any",), attendees=("P2",), priority="high",
                             fixed_time=14 * 60 + 30, **tue),
                    activity("L", duration=30, inspectors=("OF1",), attendees=("P3",), priority="low",
                             fixed_time=16 * 60 + 30, **tue)])
    candidates = Candidates(insp)

    def start(order):
        greedy = greedy_timetable(insp, candidates, in_pool_order, order)
        return Timetable(insp, tuple(first_fit_start(insp, candidates, greedy, in_pool_order, order)))
    musts = start(musts_first)
    assert {s.occurrence_id: s.start for s in musts.sessions} == {"M": 15 * 60 + 30, "TEAM": 15 * 60,
                                                                   "L": 16 * 60 + 30}
    fixed = start(fixed_high_first)
    assert {s.occurrence_id: s.start for s in fixed.sessions} == {"H": 14 * 60 + 30, "M": 15 * 60 + 30,
                                                                   "TEAM": 16 * 60 + 30}
    assert check_timetable(fixed) == []
    assert best_first_fit_start(insp, candidates, order=fixed_high_first) == list(fixed.sessions)
    # The solve takes it in place of phase 0's hint when phase 0 found nothing better.
    import importlib

    from scheduler.solve import TravelFree, _fixed_high_first_if_better
    assert _fixed_high_first_if_better(insp, candidates, list(musts.sessions)) == list(fixed.sessions)
    assert _fixed_high_first_if_better(insp, candidates, list(fixed.sessions)) == list(fixed.sessions)
    solve_module = importlib.import_module("scheduler.solve")
    for stuck, start_weight in ((True, 100), (False, 1)):
        monkeypatch.setattr(solve_module, "_travel_free", lambda inspection, week, first, **kw: TravelFree(
            list(musts.sessions), 1, 101, False, False, 0.0, False, Watcher(week, 0.0, None), stuck=stuck))
        assert dict(solve_module.solve(insp, time_limit=2).stats)["start_weight"] == start_weight


def test_first_fit_keeps_after_when_the_later_session_was_placed_first():
    # L (a must, after E) is placed first, at 09:00; E fits only before 10:00, so holding it there
    # would put it after L (§3.11: every held E must end before L starts). E is left out, and the
    # start does not make way for it by breaking the rule either.
    insp = inspection(
        inspectors=[inspector("OF1"), inspector("OF2")], people=[person("P1"), person("P2")],
        rooms=[room("R1"), room("R2")],
        activities=[activity("L", inspectors=("OF1",), attendees=("P1",), days=(0,), after=("E",)),
                    activity("E", inspectors=("OF2",), attendees=("P2",), priority="high", days=(0,),
                             latest=10 * 60)])
    greedy = greedy_timetable(insp)
    assert [(s.occurrence_id, s.start) for s in greedy] == [("L", 9 * 60)]
    start = Timetable(insp, tuple(first_fit_start(insp, Candidates(insp), greedy)))
    assert check_timetable(start) == []
    e, l_ = start.session("E"), start.session("L")
    assert e is None or e.end <= l_.start


def test_repair_of_a_travel_free_timetable_moves_the_lighter_session_and_keeps_the_rest_as_it_was():
    # The travel-free search's answer has OF1 at Town Hall until 11:00 and at Police HQ at 11:00
    # (45 minutes apart). The high session stays; the low one moves to where the journey fits,
    # rather than being dropped; OF2's session, in nobody's way, keeps its room and time.
    insp = inspection(
        inspectors=[inspector("OF1"), inspector("OF2")],
        rooms=[room("TH", site="Town Hall"), room("PHQ", site="Police HQ")],
        travel=[("Town Hall", "Police HQ", 45)],
        activities=[activity("H", inspectors=("OF1",), site="Town Hall", priority="high", days=(1,)),
                    activity("L", inspectors=("OF1",), site="Police HQ", priority="low", days=(1,)),
                    activity("K", inspectors=("OF2",), site="Town Hall", priority="medium", days=(0,))])
    broken = [session("H", 1, 10 * 60, 11 * 60, "TH", ("OF1",)), session("L", 1, 11 * 60, 12 * 60, "PHQ", ("OF1",)),
              session("K", 0, 14 * 60, 15 * 60, "TH", ("OF2",))]
    assert any("travel" in str(p) for p in check_timetable(timetable(insp, *broken)))
    fixed = {s.occurrence_id: s for s in repaired(insp, Candidates(insp), broken)}
    assert check_timetable(Timetable(insp, tuple(fixed.values()))) == []
    assert fixed["H"] == broken[0] and fixed["K"] == broken[2]
    assert "L" in fixed and fixed["L"] != broken[1]


def test_a_repair_never_moves_a_pinned_session_even_a_light_one_in_a_heavy_ones_way():
    # A re-plan's past is pinned: L (low) happened at Town Hall until 11:00. The travel-free answer
    # puts H (high) at Police HQ at 11:00, 45 minutes away. Heaviest first would keep H and move L;
    # pinned, L stays exactly as it was and H moves to where the journey fits.
    insp = inspection(
        inspectors=[inspector("OF1")],
        rooms=[room("TH", site="Town Hall"), room("PHQ", site="Police HQ")],
        travel=[("Town Hall", "Police HQ", 45)],
        activities=[activity("L", inspectors=("OF1",), site="Town Hall", priority="low", days=(1,)),
                    activity("H", inspectors=("OF1",), site="Police HQ", priority="high", days=(1,))])
    past = session("L", 1, 10 * 60, 11 * 60, "TH", ("OF1",))
    broken = [past, session("H", 1, 11 * 60, 12 * 60, "PHQ", ("OF1",))]
    fixed = {s.occurrence_id: s for s in repaired(insp, Candidates(insp), broken, pinned=(past,), change_cost=4)}
    assert check_timetable(Timetable(insp, tuple(fixed.values()))) == []
    assert fixed["L"] == past
    assert "H" in fixed and fixed["H"].start >= 11 * 60 + 45


@pytest.mark.parametrize("start_holds, repaired_calls", [(("A", "B"), 0), (("A",), 1)])
def test_the_travel_free_answer_is_repaired_only_when_it_holds_more_than_the_start(monkeypatch, start_holds,
                                                                                   repaired_calls):
    """Phase 0 of the solve (scheduler.solve._travel_free): when its search finds no more than the
    start it was given (a start that keeps every rule), the start is kept as it is, unrepaired (the
    repair took 42 s on the 600-row week to add 2); when it finds more, its answer is repaired."""
    import importlib

    from scheduler.week_model import WeekModel
    solve_module = importlib.import_module("scheduler.solve")  # the module, not the function it exports
    calls = []
    real = solve_module.repaired
    monkeypatch.setattr(solve_module, "repaired", lambda *a, **k: calls.append(1) or real(*a, **k))
    insp = inspection(
        inspectors=[inspector("OF1")], people=[person("P1"), person("P2")],
        rooms=[room("TH", site="Town Hall"), room("PHQ", site="Police HQ")],
        activities=[activity("A", inspectors=("OF1",), attendees=("P1",), priority="high", days=(1,), site="Town Hall"),
                    activity("B", inspectors=("OF1",), attendees=("P2",), priority="high", days=(1,), site="Police HQ")])
    week = WeekModel(insp)
    first = [s for s in greedy_timetable(insp, week.candidates) if s.occurrence_id in start_holds]
    assert [s.occurrence_id for s in first] == list(start_holds)
    found = solve_module._travel_free(insp, week, first, seed=0, workers=2, deterministic=1.0, started=0.0,
                                      on_progress=None)
    assert len(calls) == repaired_calls
    assert not found.stuck  # it proved the start best, or found more
    assert found.weight == 200 and Timetable(insp, tuple(found.start)).held_weight == 200
    assert (found.start == first) == (repaired_calls == 0)
    assert check_timetable(Timetable(insp, tuple(found.start))) == []
