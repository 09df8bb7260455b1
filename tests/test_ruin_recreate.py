"""Ruin and recreate (scheduler.ruin_recreate): the solve's step between phase 0 and the days."""
from checker import check_timetable
from fixtures import EXAMPLE_DIR
from loader import load_inspection
from models import Timetable
from scheduler.candidates import Candidates
from scheduler.greedy import FirstFit, greedy_timetable, make_way
from scheduler.ruin_recreate import ruin_steps, ruined_and_recreated
from tests.builders import activity, inspection, inspector, person, room, session


def _full_day_before_a_high_session():
    """OF1, the only Ofsted inspector, may have 120 contact minutes a day; L1 and L2 (low, Tue 09:00
    and 10:00) take them all, so H (high, any Ofsted inspector, fixed Tue 14:00) finds no one,
    though nothing is in its way at 14:00."""
    tue = dict(days=(1,), fixed_day=1)
    insp = inspection(
        inspectors=[inspector("OF1")], people=[person(f"P{i}") for i in (1, 2, 3)],
        rooms=[room(f"R{i}") for i in (1, 2, 3)], max_inspector_contact_minutes=120,
        activities=[activity("L1", inspectors=("OF1",), attendees=("P1",), priority="low", fixed_time=9 * 60, **tue),
                    activity("L2", inspectors=("OF1",), attendees=("P2",), priority="low", fixed_time=10 * 60, **tue),
                    activity("H", inspectorates=("Ofsted",), attendees=("P3",), priority="high",
                             fixed_time=14 * 60, **tue)])
    lows = [session("L1", 1, 9 * 60, 10 * 60, "R1", ("OF1",), ("P1",)),
            session("L2", 1, 10 * 60, 11 * 60, "R2", ("OF1",), ("P2",))]
    return insp, lows


def test_a_high_session_takes_the_minutes_of_a_low_one_elsewhere_in_the_inspectors_day():
    insp, lows = _full_day_before_a_high_session()
    candidates = Candidates(insp)
    fit = FirstFit(insp)
    for s in lows:
        fit.book(s)
    # Making way looks only at what is near H's time: nothing is, and H stays out.
    assert make_way(fit, candidates, candidates["H"], set(), depth=1, worth=100) is None
    sessions, interrupted = ruined_and_recreated(insp, candidates, lows, steps=20, seed=0)
    recreated = Timetable(insp, tuple(sessions))
    assert not interrupted
    assert check_timetable(recreated) == []
    assert recreated.held_weight == 101 and recreated.session("H") is not None
    assert sum(recreated.session(oid) is not None for oid in ("L1", "L2")) == 1


def test_ruin_and_recreate_of_the_example_never_loses_weight_or_a_must_and_is_reproducible():
    insp = load_inspection(EXAMPLE_DIR)
    candidates = Candidates(insp)
    start = greedy_timetable(insp, candidates)
    held = {s.occurrence_id for s in start}
    assert all(o.id in held for o in insp.occurrences if o.is_must)  # the step keeps musts held
    once, _ = ruined_and_recreated(insp, candidates, start, steps=300, seed=3)
    assert once == ruined_and_recreated(insp, candidates, start, steps=300, seed=3)[0]
    recreated = Timetable(insp, tuple(once))
    assert recreated.held_weight > Timetable(insp, tuple(start)).held_weight
    assert check_timetable(recreated) == []


def test_no_steps_give_the_timetable_back_as_it_was():
    insp, lows = _full_day_before_a_high_session()
    assert ruined_and_recreated(insp, Candidates(insp), lows[::-1], steps=0, seed=0) == (lows, False)


def test_the_steps_stand_for_seconds_of_the_time_limit_fewer_on_a_larger_week():
    assert ruin_steps(0.0, 100) == 0
    assert ruin_steps(18, 100) > ruin_steps(18, 600) > 0


def test_a_stop_ends_the_steps_and_keeps_the_timetable_of_the_last_step_kept():
    """The workbench's Stop (scheduler.search.stoppable) reaches the steps as it reaches a search:
    pressed after the first gain, the steps end with that gain kept."""
    import threading

    from scheduler.search import stoppable
    insp = load_inspection(EXAMPLE_DIR)
    candidates = Candidates(insp)
    start = greedy_timetable(insp, candidates)
    stop, gains = threading.Event(), []

    def on_gain(weight, held):
        gains.append(weight)
        stop.set()
    with stoppable(stop):
        sessions, interrupted = ruined_and_recreated(insp, candidates, start, steps=100_000, seed=3, on_gain=on_gain)
    assert interrupted and len(gains) == 1
    assert Timetable(insp, tuple(sessions)).held_weight == gains[0]
    assert check_timetable(Timetable(insp, tuple(sessions))) == []


def test_ctrl_c_ends_the_steps_and_keeps_the_timetable_of_the_last_step_kept():
    import os
    import signal
    insp = load_inspection(EXAMPLE_DIR)
    candidates = Candidates(insp)
    gains = []

    def on_gain(weight, held):
        gains.append(weight)
        if len(gains) == 2:
            os.kill(os.getpid(), signal.SIGINT)
    sessions, interrupted = ruined_and_recreated(insp, candidates, greedy_timetable(insp, candidates),
                                                 steps=100_000, seed=3, on_gain=on_gain)
    assert interrupted and len(gains) == 2
    assert Timetable(insp, tuple(sessions)).held_weight == gains[-1]
    assert check_timetable(Timetable(insp, tuple(sessions))) == []
