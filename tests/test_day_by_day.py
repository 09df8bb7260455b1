"""Day by day (scheduler.day_by_day): one day searched again with the rest of the week held."""
from checker import check_timetable
from models import Timetable
from scheduler.candidates import DAY, Candidates
from scheduler.week_model import WeekModel
from tests.builders import activity, inspection, inspector, person, room, session


def _week():
    """OF1 has X fixed on Monday 09:00; on Tuesday M (a must, 09:00-11:00) and H (high, fixed at
    10:00). A timetable with M at 10:00 leaves H out, though M fits at 09:00."""
    return inspection(
        inspectors=[inspector("OF1")], people=[person("P1"), person("P2"), person("P3")], rooms=[room("R1")],
        activities=[activity("X", inspectors=("OF1",), attendees=("P3",), days=(0,), fixed_day=0, fixed_time=9 * 60),
                    activity("M", inspectors=("OF1",), attendees=("P1",), days=(1,), earliest=9 * 60, latest=11 * 60),
                    activity("H", inspectors=("OF1",), attendees=("P2",), priority="high", days=(1,),
                             fixed_day=1, fixed_time=10 * 60)])


def _searched():
    return [session("X", 0, 9 * 60, 10 * 60, "R1", inspector_ids=("OF1",), attendee_ids=("P3",)),
            session("M", 1, 10 * 60, 11 * 60, "R1", inspector_ids=("OF1",), attendee_ids=("P1",))]


def test_a_day_open_holds_the_other_days_as_they_are_and_opens_that_day_only():
    from scheduler.day_by_day import days_open
    insp = _week()
    open_tuesday = days_open(Candidates(insp), _searched(), (1,))
    assert open_tuesday["X"].starts == (9 * 60,)
    assert open_tuesday["M"].starts and all(t // DAY == 1 for t in open_tuesday["M"].starts)
    assert open_tuesday["H"].starts == (DAY + 10 * 60,)
    open_monday = days_open(Candidates(insp), _searched(), (0,))
    assert open_monday["M"].starts == (DAY + 10 * 60,) and open_monday["H"].starts == ()


def test_a_day_searched_again_holds_what_the_week_search_left_out_and_keeps_every_rule():
    from scheduler.solve import _day_by_day
    insp = _week()
    searched = _searched()
    sessions, weight, spent, improved_at, interrupted = _day_by_day(WeekModel(insp), searched, 100, seed=0, started=0.0,
                                                       on_progress=None, deterministic=1.0)
    assert weight == 100 and not interrupted and spent > 0 and improved_at is not None
    assert {s.occurrence_id: (s.day, s.start) for s in sessions} == {"X": (0, 9 * 60), "M": (1, 9 * 60),
                                                                    "H": (1, 10 * 60)}
    assert check_timetable(Timetable(insp, tuple(sessions))) == []


def test_with_nothing_to_gain_the_timetable_comes_back_as_it_was():
    from scheduler.solve import _day_by_day
    insp = _week()
    best = _searched()[:1] + [session("M", 1, 9 * 60, 10 * 60, "R1", inspector_ids=("OF1",), attendee_ids=("P1",)),
                              session("H", 1, 10 * 60, 11 * 60, "R1", inspector_ids=("OF1",), attendee_ids=("P2",))]
    sessions, weight, _, improved_at, _ = _day_by_day(WeekModel(insp), best, 100, seed=0, started=0.0, on_progress=None,
                                         deterministic=1.0)
    assert sessions == best and weight == 100 and improved_at is None


def test_a_re_plan_searching_a_day_again_keeps_the_past_as_it_happened():
    """F (low) ran on Monday from 11:00 to 12:30 and the re-plan starts at 12:00, so F has
    happened; H (high, fixed Monday 12:00) needs OF1, who was in F. The day's search could gain
    H's weight by dropping F, which no longer counts: it must not."""
    from scheduler.replan import ReplanSearch
    insp = inspection(
        inspectors=[inspector("OF1")], people=[person("P1"), person("P2")], rooms=[room("R1"), room("R2")],
        activities=[activity("F", inspectors=("OF1",), attendees=("P1",), priority="low", duration=90, days=(0,),
                             fixed_day=0, fixed_time=11 * 60),
                    activity("H", inspectors=("OF1",), attendees=("P2",), priority="high", days=(0,),
                             fixed_day=0, fixed_time=12 * 60)])
    past = session("F", 0, 11 * 60, 12 * 60 + 30, "R1", inspector_ids=("OF1",), attendee_ids=("P1",))
    candidates = Candidates(insp, lambda o: o.held_as(past) if o.occurrence.id == "F" else o)
    search = ReplanSearch(WeekModel(insp, candidates=candidates), {"H": 100}, [], 4, set())
    sessions, interrupted = search.day_by_day([past], {"F"}, deterministic=1.0, seed=0, started=0.0, progress=None)
    assert sessions == [past] and not interrupted
    # The same search with F not pinned holds H instead: what the test guards against is reachable.
    free, _ = search.day_by_day([past], set(), deterministic=1.0, seed=0, started=0.0, progress=None)
    assert [s.occurrence_id for s in free] == ["H"]


def test_two_days_searched_together_keep_an_after_that_reaches_across_days():
    """Rule 11 across days. A is fixed on Wednesday 09:00; B (after A) sits on Thursday 09:00, the
    only time its window allows, where H (high) is fixed too, with the same inspector. Monday or
    Tuesday would free Thursday for H, and Monday with Thursday open lets B go there: only `after`
    forbids it. Without `after`, the same search does move B and hold H."""
    from dataclasses import replace

    from scheduler.solve import _day_by_day
    insp = inspection(
        inspectors=[inspector("OF1")], people=[person("P1"), person("P2"), person("P3")], rooms=[room("R1")],
        activities=[activity("A", inspectors=("OF1",), attendees=("P1",), days=(2,), fixed_day=2, fixed_time=9 * 60),
                    activity("B", inspectors=("OF1",), attendees=("P2",), days=(0, 1, 3), earliest=9 * 60,
                             latest=10 * 60, after=("A",)),
                    activity("H", inspectors=("OF1",), attendees=("P3",), priority="high", days=(3,),
                             fixed_day=3, fixed_time=9 * 60)])
    searched = [session("A", 2, 9 * 60, 10 * 60, "R1", inspector_ids=("OF1",), attendee_ids=("P1",)),
                session("B", 3, 9 * 60, 10 * 60, "R1", inspector_ids=("OF1",), attendee_ids=("P2",))]
    sessions, weight, _, _, _ = _day_by_day(WeekModel(insp), searched, 100, seed=0, started=0.0, on_progress=None,
                                            deterministic=2.0)
    assert sessions == searched and weight == 0
    assert check_timetable(Timetable(insp, tuple(sessions))) == []

    unordered = replace(insp, activities=tuple(replace(a, after=()) for a in insp.activities))
    sessions, weight, _, _, _ = _day_by_day(WeekModel(unordered), searched, 100, seed=0, started=0.0,
                                            on_progress=None, deterministic=2.0)
    assert weight == 100 and {s.occurrence_id: s.day for s in sessions}["B"] in (0, 1)


def test_days_searched_at_once_come_in_batches_sharing_no_day():
    from itertools import combinations

    from scheduler.day_by_day import together
    pairs = list(combinations(range(5), 2))
    batches = together(pairs, 2)
    assert len(batches) == 5 and sorted(hood for batch in batches for hood in batch) == pairs
    assert all(len(batch) == 2 and not set(batch[0]) & set(batch[1]) for batch in batches)
    assert together([(day,) for day in range(5)], 2) == [((0,), (1,)), ((2,), (3,)), ((4,),)]
    assert together([(day,) for day in range(5)], 1) == [((day,),) for day in range(5)]


def _two_days_to_mend():
    """On Monday and on Tuesday a must (M0, M1) sits at 10:00 where a high session (H0, H1) is
    fixed, with the same inspector, though the must fits at 09:00: each day gains 100 alone."""
    return inspection(
        inspectors=[inspector("OF1")], people=[person(f"P{i}") for i in range(4)], rooms=[room("R1")],
        activities=[a for day in (0, 1) for a in (
            activity(f"M{day}", inspectors=("OF1",), attendees=(f"P{day}",), days=(day,), earliest=9 * 60,
                     latest=11 * 60),
            activity(f"H{day}", inspectors=("OF1",), attendees=(f"P{day + 2}",), priority="high", days=(day,),
                     fixed_day=day, fixed_time=10 * 60))])


def _held_weight_search(insp, seen):
    """A DaySearch for the held weight alone, calling `seen(start, budget)` first; and the weight."""
    from scheduler.day_by_day import search_open_days

    def search(candidates, start, budget):
        seen(start, budget)
        day = WeekModel(insp, candidates=candidates)
        day.hint(start)
        day.model.maximize(day.held_weight)
        return search_open_days(day.model, day.read, seed=0, deterministic=budget, watcher=None)

    def weight(sessions):
        return Timetable(insp, tuple(sessions)).held_weight
    return search, weight


def test_two_days_searched_at_once_put_their_gains_together():
    """Monday and Tuesday are searched at once from the same timetable; the answer holds both
    gains, so they were put together (each search alone gains only its own day)."""
    from scheduler.day_by_day import day_by_day, days_open

    insp = _two_days_to_mend()
    searched = [session(f"M{day}", day, 10 * 60, 11 * 60, "R1", inspector_ids=("OF1",), attendee_ids=(f"P{day}",))
                for day in (0, 1)]
    week = WeekModel(insp)
    starts: list[list[str]] = []
    search, weight = _held_weight_search(insp, lambda start, budget: starts.append(
        sorted(s.occurrence_id for s in start)))
    sessions, _, interrupted = day_by_day(week.candidates, searched, search, lambda a, b: weight(a) > weight(b),
                                          2.0, parallel=2, keeps_rules=week.keeps_every_rule)
    assert not interrupted and weight(sessions) == 200
    assert starts[:2] == [["M0", "M1"], ["M0", "M1"]]  # the first batch: both days from the same start
    assert all(s == ["H0", "H1", "M0", "M1"] for s in starts[2:])  # every later search: both gains in hand
    assert check_timetable(Timetable(insp, tuple(sessions))) == []
    assert days_open(week.candidates, sessions, (0,))["H1"].starts == (DAY + 10 * 60,)


def test_gains_of_two_days_that_together_break_after_are_not_put_together(monkeypatch):
    """Rule 11 across days searched at once. A (high) can only be on Tuesday, B (medium, after A)
    only on Monday, and neither is held. Monday's search holds B (A cannot be on Monday, so B is
    free), Tuesday's holds A: together 110, but B would come before A. The answer holds A alone.
    Were every whole accepted, the same search would return both, breaking `after`."""
    from scheduler.solve import _day_by_day
    insp = inspection(
        inspectors=[inspector("OF1")], people=[person("P1"), person("P2")], rooms=[room("R1")],
        activities=[activity("A", inspectors=("OF1",), attendees=("P1",), priority="high", days=(1,)),
                    activity("B", inspectors=("OF1",), attendees=("P2",), priority="medium", days=(0,),
                             after=("A",))])
    sessions, weight, _, _, _ = _day_by_day(WeekModel(insp), [], 110, seed=0, started=0.0, on_progress=None,
                                            deterministic=2.0, parallel=2)
    assert weight == 100 and [s.occurrence_id for s in sessions] == ["A"]
    assert check_timetable(Timetable(insp, tuple(sessions))) == []

    monkeypatch.setattr(WeekModel, "keeps_every_rule", lambda self, sessions: True)
    sessions, weight, _, _, _ = _day_by_day(WeekModel(insp), [], 110, seed=0, started=0.0, on_progress=None,
                                            deterministic=2.0, parallel=2)
    assert weight == 110
    assert [v.rule for v in check_timetable(Timetable(insp, tuple(sessions)))] == ["after_and_pools"]


def test_the_progress_line_never_goes_back_while_two_days_report_at_once():
    """Each day's search reports the week's held weight of its own answer; two at once would make
    the line jump back and forth (Monday's 100, then Tuesday's start, then its 100)."""
    from scheduler.solve import _day_by_day
    insp = _two_days_to_mend()
    searched = [session(f"M{day}", day, 10 * 60, 11 * 60, "R1", inspector_ids=("OF1",), attendee_ids=(f"P{day}",))
                for day in (0, 1)]
    shown: list[int] = []
    _, weight, _, _, _ = _day_by_day(WeekModel(insp), searched, 200, seed=0, started=0.0,
                                     on_progress=lambda _e, objective, bound, _h: shown.append(objective),
                                     deterministic=2.0, parallel=2)
    assert weight == 200 and shown and all(a < b for a, b in zip(shown, shown[1:]))


def test_two_days_that_each_place_the_same_left_out_session_do_not_hold_it_twice():
    """Rule 1 across days searched at once. X (medium) may be on Monday or Tuesday and is left out:
    each day's search places it on its own day, so the two gains, put together, would hold X twice
    (a timetable the week's model cannot see: its hint keeps one session per occurrence)."""
    from scheduler.day_by_day import put_together
    from scheduler.solve import _day_by_day
    insp = inspection(inspectors=[inspector("OF1")], people=[person("P1")], rooms=[room("R1")],
                      activities=[activity("X", inspectors=("OF1",), attendees=("P1",), priority="medium",
                                           days=(0, 1))])
    sessions, weight, _, _, _ = _day_by_day(WeekModel(insp), [], 10, seed=0, started=0.0, on_progress=None,
                                            deterministic=2.0, parallel=2)
    assert weight == 10 and [s.occurrence_id for s in sessions] == ["X"]
    assert check_timetable(Timetable(insp, tuple(sessions))) == []
    monday, tuesday = (session("X", day, 9 * 60, 10 * 60, "R1", inspector_ids=("OF1",), attendee_ids=("P1",))
                       for day in (0, 1))
    assert put_together([], [((0,), [monday]), ((1,), [tuesday])]) is None
    assert WeekModel(insp).keeps_every_rule([monday, tuesday])  # the model check alone would let it through


def test_the_search_ends_once_a_timetable_reaches_the_bound():
    """Tuesday's search holds H, which reaches the bound known beforehand (100): nothing better
    exists, so no day is searched after it. Without the bound, the days go round again and then
    in pairs, finding nothing more."""
    from scheduler.day_by_day import day_by_day
    insp = _week()
    week = WeekModel(insp)
    searched: list[float] = []
    search, weight = _held_weight_search(insp, lambda start, budget: searched.append(budget))

    def run(proven):
        searched.clear()
        sessions, _, _ = day_by_day(week.candidates, _searched(), search, lambda a, b: weight(a) > weight(b), 2.0,
                                    proven=proven)
        return weight(sessions), len(searched)

    assert run(lambda found: weight(found) >= 100) == (100, 2)  # Monday, then Tuesday's gain
    held, searches = run(None)
    assert held == 100 and searches == 5  # both days again, then the pair
