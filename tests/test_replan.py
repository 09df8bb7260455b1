"""Re-planning after an edit to INPUT (SPEC §4, §6 `whatif`): one test per kind of edit, each saying
what stays exactly as it was, what changes, and what goes to outbox/ (replayed as a calendar client
would, so the diaries end up holding exactly the new timetable). The baseline is written by hand,
so every test knows where each session was."""
from __future__ import annotations

from dataclasses import replace

import pytest

from exporters.changes import render_changes_csv
from models import Timetable
from models.changes import WhatIf, changes_between, changes_in_words
from scheduler.whatif import whatif
from tests.builders import activity, inspection, inspector, person, room, session, timetable, unavailable
from tests.test_whatif import expected_diaries, method, outbox_of, replay

MON, TUE, WED, THU = 0, 1, 2, 3
H = 60


def _before():
    return inspection(
        inspectors=[inspector("OF1"), inspector("OF2"), inspector("CQ1", "CQC")],
        people=[person("P1"), person("P2"), person("P3"), person("P4"), person("M1", role="manager")],
        rooms=[room("R1"), room("R2")],
        unavailability=[unavailable("P3", MON)],
        activities=[
            activity("FG", type="focus_group", inspectors=("OF1",), attendees=("P1", "P2"),
                     fixed_day=TUE, fixed_time=10 * H, days=(TUE,)),
            activity("INT", type="practitioner_interview", inspectorates=("CQC",), attendees=("P3",),
                     days=(WED,)),
            activity("CT", type="case_tracking", inspectors=("OF2",), attendees=("P4",), days=(THU,),
                     priority="high"),
            activity("LM", type="leader_meeting", inspectors=("OF1",), attendees=("M1",), days=(MON,),
                     priority="medium"),
            # Never held: P3 is away all Monday.
            activity("X", inspectors=("OF2",), attendees=("P3",), days=(MON,), priority="low"),
        ])


def _baseline(insp=None) -> Timetable:
    insp = insp or _before()
    return timetable(insp,
                     session("LM", MON, 9 * H, 10 * H, "R1", ("OF1",), ("M1",)),
                     session("FG", TUE, 10 * H, 11 * H, "R1", ("OF1",), ("P1", "P2")),
                     session("INT", WED, 9 * H, 10 * H, "R1", ("CQ1",), ("P3",)),
                     session("CT", THU, 9 * H, 10 * H, "R2", ("OF2",), ("P4",)))


def _edited(**changes):
    """The inspection after the lead's edit: activities by id (None removes one), other fields as given."""
    before = _before()
    acts = dict(before.activity_by_id)
    for aid, new in changes.pop("activities", {}).items():
        if new is None:
            acts.pop(aid)
        else:
            acts[aid] = new(acts[aid]) if callable(new) else new
    return replace(before, activities=tuple(acts.values()), **changes)


def _replan(after, baseline=None, **request):
    baseline = baseline or _baseline()
    result = whatif(after, baseline, WhatIf(**request), time_limit=5, seed=0, workers=1)
    changes = changes_between(baseline, result.timetable)
    # Whatever the edit, the outbox brings every diary to exactly the new timetable.
    assert replay(baseline, outbox_of(baseline, result)) == expected_diaries(result.timetable)
    return result, {c.occurrence_id: c.change for c in changes}


def _kept(baseline: Timetable, result, *ids: str) -> None:
    for oid in ids:
        assert result.timetable.session(oid) == baseline.session(oid), oid


def test_an_added_activity_is_placed_invited_and_is_not_a_change():
    after = _edited(activities={"NEW": activity("NEW", inspectors=("OF2",), attendees=("P1",), days=(THU,),
                                                  priority="low")})
    result, changes = _replan(after)
    assert changes == {"NEW": "added"} and result.changes == 0 and result.changes_proven_minimal
    _kept(_baseline(), result, "LM", "FG", "INT", "CT")
    new = result.timetable.session("NEW")
    assert new.day == THU and new.sequence == 0
    outbox = outbox_of(_baseline(), result)
    assert list(outbox) == ["NEW.ics"] and method(outbox["NEW.ics"]) == "REQUEST"
    assert render_changes_csv(changes_between(_baseline(), result.timetable),
                              result.timetable.inspection).splitlines()[1] == \
        f"NEW,added,,Thu {new.start_text},,{new.room_id},OF2;P1,Activity NEW,Inspector OF2;Person P1,"
    assert result.held_weight == 10 + 100 + 1 and result.objective == result.held_weight
    assert changes_in_words(_baseline(), changes_between(_baseline(), result.timetable)) == \
        "kept 4 of 4 sessions as they were; added 1 new"


def test_a_removed_activity_is_cancelled_and_its_people_get_a_cancel():
    result, changes = _replan(_edited(activities={"CT": None}))
    assert changes == {"CT": "cancelled"} and result.changes == 1
    _kept(_baseline(), result, "LM", "FG", "INT")
    outbox = outbox_of(_baseline(), result)
    assert list(outbox) == ["CT.ics"] and method(outbox["CT.ics"]) == "CANCEL"


def test_an_edited_window_moves_only_that_session_and_only_as_far_as_needed():
    result, changes = _replan(_edited(activities={"INT": lambda a: replace(a, earliest=11 * H)}))
    assert changes == {"INT": "moved"} and result.changes == 1 and result.changes_proven_minimal
    _kept(_baseline(), result, "LM", "FG", "CT")
    moved = result.timetable.session("INT")
    assert (moved.day, moved.start, moved.room_id, moved.sequence) == (WED, 11 * H, "R1", 1)
    assert list(outbox_of(_baseline(), result)) == ["INT.ics"]


def test_an_after_the_lead_adds_moves_the_later_session_and_the_start_already_does_so():
    """INT (Wed 09:00) must now come after CT (Thu 09:00-10:00): INT moves to Thursday after CT,
    one change. The first-fit start re-places INT too (kept as it was, it broke the new `after`,
    so that start could not be used)."""
    result, changes = _replan(_edited(activities={"INT": lambda a: replace(a, after=("CT",), days=(WED, THU))}))
    assert changes == {"INT": "moved"} and result.changes_proven_minimal
    moved = result.timetable.session("INT")
    assert moved.day == THU and moved.start >= 10 * H
    assert dict(result.stats)["mended_score"] == result.objective  # the start was the answer
    _kept(_baseline(), result, "LM", "FG", "CT")


def test_an_after_that_a_fixed_session_now_keeps_moves_the_earlier_session_in_the_start():
    """FG, fixed at Tue 10:00, must now come after CT (Thu 09:00), which may also be held on
    Monday: CT moves to Monday, and the start already does so (FG cannot move)."""
    after = _edited(activities={"FG": lambda a: replace(a, after=("CT",)),
                                "CT": lambda a: replace(a, days=(MON, THU))})
    result, changes = _replan(after)
    assert changes == {"CT": "moved"} and result.timetable.session("CT").day == MON
    assert dict(result.stats)["mended_score"] == result.objective  # the start was the answer
    _kept(_baseline(), result, "LM", "FG", "INT")


def test_the_start_keeps_an_edited_window_though_keeping_the_old_time_would_score_higher():
    # SPEC §3.2 (inside its window). The baseline repaired keeps INT at Wednesday 09:00, no change
    # at all, one change better than the first fit's move to 11:00 but outside the new window: the
    # re-plan starts from the first fit, a timetable keeping every rule (else it has no start).
    result, _ = _replan(_edited(activities={"INT": lambda a: replace(a, earliest=11 * H)}))
    assert dict(result.stats)["mended_score"] == result.objective == result.held_weight - 4


def test_an_edited_row_whose_session_still_keeps_every_rule_stays_exactly_as_it_was():
    after = _edited(activities={"INT": lambda a: replace(a, latest=12 * H, notes="bring the case list")})
    result, changes = _replan(after)
    assert changes == {} and result.changes == 0 and outbox_of(_baseline(), result) == {}


def test_added_unavailability_moves_the_session_it_clashes_with():
    after = _edited(unavailability=_before().unavailability + (unavailable("P4", THU, 9 * H, 10 * H),))
    result, changes = _replan(after)
    assert changes == {"CT": "moved"} and result.changes == 1
    assert result.timetable.session("CT").start >= 10 * H
    _kept(_baseline(), result, "LM", "FG", "INT")


def test_lifted_unavailability_changes_nothing_and_adds_no_session_the_lead_did_not_ask_for():
    # X could now be held on Monday, but its row is as it was: people were never invited to it.
    result, changes = _replan(_edited(unavailability=()))
    assert changes == {} and result.changes == 0
    assert {u.activity_id: u.reason for u in result.timetable.unscheduled}["X"].startswith("not held in the baseline")
    # Once the lead edits X's row, X is placed.
    result, changes = _replan(_edited(unavailability=(), activities={"X": lambda a: replace(a, notes="now free")}))
    assert changes == {"X": "added"} and result.changes == 0


def test_a_person_removed_is_taken_out_of_their_session_and_gets_a_cancel_naming_only_them():
    before = _before()
    after = _edited(people=tuple(p for p in before.people if p.id != "P2"),
                    activities={"FG": lambda a: replace(a, attendees=("P1",))})
    result, changes = _replan(after)
    assert changes == {"FG": "attendees"} and result.timetable.session("FG").attendee_ids == ("P1",)
    assert sorted(outbox_of(_baseline(), result)) == ["FG.cancel.ics", "FG.ics"]


def test_an_inspector_added_changes_nothing():
    result, changes = _replan(_edited(inspectors=_before().inspectors + (inspector("OF3"),)))
    assert changes == {} and result.changes == 0 and result.status == "OPTIMAL"


def test_an_inspector_added_joins_every_session_for_all_inspectors_where_it_is_and_the_start_holds_it(monkeypatch):
    """A session for all inspectors held without the new inspector no longer keeps rule 'all means
    every inspector free': the greedy start adds them (it had kept it as it was, so it held no
    timetable and the search, with no start, ran out of time on the bundled example). The search
    finds nothing here, so the answer is that start."""
    from ortools.sat.python import cp_model

    import scheduler.replan

    monkeypatch.setattr(scheduler.replan, "run_search", lambda solver, model, callback=None: (cp_model.UNKNOWN, False))
    week = inspection(inspectors=[inspector("OF1"), inspector("CQ1", "CQC")], rooms=[room("R1"), room("R2")],
                      people=[person("P1")],
                      activities=[activity("TEAM", type="team_meeting", duration=30, recurs_daily=True,
                                           days=(MON, TUE), earliest=16 * H, all_inspectors=True),
                                  activity("LM", type="leader_meeting", inspectors=("OF1",), attendees=("P1",),
                                           days=(MON,))])
    baseline = timetable(week, session("TEAM@Mon", MON, 16 * H, 16 * H + 30, "R1", ("OF1", "CQ1")),
                         session("TEAM@Tue", TUE, 16 * H, 16 * H + 30, "R2", ("OF1", "CQ1")),
                         session("LM", MON, 11 * H, 12 * H, "R2", ("OF1",), ("P1",)))  # not where first fit puts it
    added = replace(week, inspectors=week.inspectors + (inspector("OF2"),))
    result, changes = _replan(added, baseline)
    assert result.objective == dict(result.stats)["mended_score"]  # the greedy start is the answer
    assert set(changes) == {"TEAM@Mon", "TEAM@Tue"}  # (first fit may take the other room: one change each)
    for oid in ("TEAM@Mon", "TEAM@Tue"):
        new, old = result.timetable.session(oid), baseline.session(oid)
        assert (new.day, new.start, set(new.inspector_ids)) == (old.day, old.start, {"OF1", "CQ1", "OF2"})
    _kept(baseline, result, "LM")


def test_a_room_removed_re_rooms_its_sessions_at_the_same_time():
    result, changes = _replan(_edited(rooms=(room("R2"),)))
    # LM, FG and INT were in R1; R2 is free at each of their times.
    assert changes == {"LM": "room", "FG": "room", "INT": "room"} and result.changes == 3
    assert all(result.timetable.session(o).room_id == "R2" for o in ("LM", "FG", "INT"))
    _kept(_baseline(), result, "CT")


def test_a_session_that_must_change_room_keeps_its_people_and_its_building():
    """SPEC §4.3: the least change to each changed occurrence. The focus group loses its room: it
    takes another in the same building (not the free one across town, listed first), and keeps
    its two volunteers without inviting two more, though solve's tie-breaker fills pools to
    pool_max."""
    def week(rooms):
        return inspection(
            inspectors=[inspector("OF1")], people=[person(f"V{i}") for i in range(1, 6)],
            rooms=rooms, groups={"VOL": tuple(f"V{i}" for i in range(1, 6))},
            activities=[activity("FG", type="focus_group", inspectors=("OF1",), pool="VOL", pool_min=2,
                                 pool_max=4, fixed_day=TUE, fixed_time=10 * H, days=(TUE,))])
    before = week([room("FAR", site="Police HQ"), room("R1"), room("R2")])
    baseline = timetable(before, session("FG", TUE, 10 * H, 11 * H, "R1", ("OF1",), ("V1", "V2")))
    result, changes = _replan(week([room("FAR", site="Police HQ"), room("R2")]), baseline)
    assert changes == {"FG": "room"} and result.changes == 1
    fg = result.timetable.session("FG")
    assert (fg.room_id, fg.attendee_ids) == ("R2", ("V1", "V2"))


def test_what_the_lead_reads_counts_a_cancel_at_its_priority_now_and_a_longer_session_by_its_end():
    """CT lowered to low and its only partner away all Thursday: it is cancelled, and the summary
    counts it as low (as unscheduled.csv lists it), not as the high it was. INT made 30 minutes
    longer keeps its start: the line shows the ends, not the same time twice."""
    from exporters.summary import changes_summary, plain_summary

    after = _edited(activities={"CT": lambda a: replace(a, priority="low"),
                                "INT": lambda a: replace(a, duration=90)},
                    unavailability=_before().unavailability + (unavailable("P4", THU),))
    result, changes = _replan(after)
    assert changes == {"CT": "cancelled", "INT": "moved"}
    listed = changes_between(_baseline(), result.timetable)
    assert changes_in_words(_baseline(), listed, after).endswith("cancelled 1 (low)")
    assert changes_in_words(_baseline(), listed).endswith("cancelled 1 (high)")  # as the baseline had it
    # Proven, and CT left out: not "nothing more fits", but nothing scores higher.
    assert result.status == "OPTIMAL" and "No re-plan scores higher (proven)" in plain_summary(result, after)[1]
    lines = changes_summary(after, listed, result.changes, result.changes_proven_minimal, 2, _before())
    assert any("INT 'Activity INT': moved (Wed 09:00-10:00, Room R1 -> Wed 09:00-10:30, Room R1)" in line
               for line in lines), lines


def test_a_session_for_all_inspectors_that_happened_without_one_stays_so_when_their_drop_is_dated_later():
    """OF2 dropped out from Tuesday noon: Tuesday's team meeting (all inspectors) was held without
    OF2. Re-planned again from Wednesday with OF2's drop repeated (so dated Wednesday), that meeting
    has happened as it was: it does not make OF2 due at it (the re-plan was infeasible)."""
    week = inspection(inspectors=[inspector("OF1"), inspector("OF2")], rooms=[room("R1")],
                      activities=[activity("TEAM", type="team_meeting", duration=30, recurs_daily=True,
                                           days=(MON, TUE, WED), earliest=16 * H, all_inspectors=True)])
    baseline = timetable(week, session("TEAM@Mon", MON, 16 * H, 16 * H + 30, "R1", ("OF1", "OF2")),
                         session("TEAM@Tue", TUE, 16 * H, 16 * H + 30, "R1", ("OF1",)),
                         session("TEAM@Wed", WED, 16 * H, 16 * H + 30, "R1", ("OF1",)))
    # OF1 away at Wednesday's usual time: the meeting moves, so the week is searched.
    away = replace(week, unavailability=(unavailable("OF1", WED, 16 * H, 16 * H + 30),))
    result = whatif(away, baseline, WhatIf(drop=("OF2",), now=(WED, 9 * H)), time_limit=5, seed=0, workers=1)
    assert result.timetable.session("TEAM@Tue") == baseline.session("TEAM@Tue")
    assert result.timetable.session("TEAM@Wed").start == 16 * H + 30


def test_a_later_day_start_moves_the_sessions_before_it_and_nothing_else():
    after = _edited(settings=replace(_before().settings, day_start=10 * H))
    result, changes = _replan(after)
    assert changes == {"LM": "moved", "INT": "moved", "CT": "moved"}
    assert all(result.timetable.session(o).start >= 10 * H for o in ("LM", "INT", "CT"))
    _kept(_baseline(), result, "FG")


def _r1_lost_under_fixed_y(y_priority: str, **settings):
    """Y (fixed Tue 10:00) in R1 and Z (low) in R2 at the same hour; R1 is then taken out of the
    workbook. Returns the edited inspection and the baseline, for `_replan`."""
    before = inspection(
        inspectors=[inspector("OF1"), inspector("OF2")], people=[person("P1"), person("P2")],
        rooms=[room("R1"), room("R2")], **settings,
        activities=[activity("Y", inspectors=("OF1",), attendees=("P1",), priority=y_priority, fixed_day=TUE,
                             fixed_time=10 * H, days=(TUE,)),
                    activity("Z", inspectors=("OF2",), attendees=("P2",), priority="low", days=(TUE,))])
    baseline = timetable(before, session("Y", TUE, 10 * H, 11 * H, "R1", ("OF1",), ("P1",)),
                         session("Z", TUE, 10 * H, 11 * H, "R2", ("OF2",), ("P2",)))
    return replace(before, rooms=(room("R2"),)), baseline


@pytest.mark.parametrize("change_cost, expected", [
    (4, {"Y": "cancelled"}),  # a low session (1) is worth less than one change (4): cancel it
    (0, {"Y": "room", "Z": "moved"}),  # changes cost nothing: keep every session, then fewest changes
])
def test_change_cost_weighs_changes_against_held_sessions(change_cost, expected):
    # R1 is lost. Y (low, fixed Tue 10:00) can only go to R2, where Z (low) is at 10:00: keeping Y
    # means two changes (Y re-roomed, Z moved), cancelling it one.
    result, changes = _replan(*_r1_lost_under_fixed_y(y_priority="low", change_cost=change_cost))
    assert changes == expected and result.changes_proven_minimal
    assert result.objective == result.held_weight - change_cost * len(expected)


def test_after_an_inspectors_dropout_the_start_is_the_repaired_baseline_when_it_beats_the_first_fit(
        week_110_inspector_out, monkeypatch):
    # The busiest HMICFRS inspector leaves the 110-row week on Tuesday at noon. The first fit (in
    # pool order) keeps every session that still fits and finds the heavy ones it broke no room;
    # the baseline repaired (greedy.repaired: heaviest first, or fewest starts first, then whatever
    # is left out making way) scores higher. A first fit is made with each inspector pick too
    # (greedy.PICKS), and the search starts from the best of the five.
    import scheduler.whatif

    insp, baseline, request = week_110_inspector_out
    starts = {}
    real_first_fit, real_repaired = scheduler.whatif._first_fit_replan, scheduler.whatif.repaired

    def first_fit(inspection, *a):
        found = real_first_fit(inspection, *a)
        starts[a[-1].__name__] = scheduler.whatif._replan_score(inspection, baseline, found)  # by pick
        return found

    def repaired(inspection, *a, **k):
        found = real_repaired(inspection, *a, **k)
        starts.setdefault("repaired", scheduler.whatif._replan_score(inspection, baseline, found))  # the start's
        return found
    monkeypatch.setattr(scheduler.whatif, "_first_fit_replan", first_fit)
    monkeypatch.setattr(scheduler.whatif, "repaired", repaired)
    result = whatif(insp, baseline, request, time_limit=2, seed=5, workers=2)
    from scheduler.greedy import PICKS
    assert set(starts) == {pick.__name__ for pick in PICKS} | {"repaired"}  # a first fit with each pick
    assert starts["repaired"] > starts["in_pool_order"]
    assert dict(result.stats)["mended_score"] == max(starts.values()) <= result.objective


def test_an_edit_then_a_dropout_chain_with_sequences_rising_and_diaries_following():
    after = _edited(activities={"NEW": activity("NEW", inspectors=("OF2",), attendees=("P1",), days=(THU,),
                                                  priority="low"),
                                "INT": lambda a: replace(a, earliest=11 * H)})
    first, changes = _replan(after)
    assert changes == {"INT": "moved", "NEW": "added"}
    # Then P1 drops out: FG goes ahead without P1, NEW (P1 its only partner) is cancelled.
    second = whatif(after, first.timetable, WhatIf(drop=("P1",)), time_limit=5, seed=0, workers=1)
    again = {c.occurrence_id: c.change for c in changes_between(first.timetable, second.timetable)}
    assert again == {"FG": "attendees", "NEW": "cancelled"}
    assert second.timetable.session("INT") == first.timetable.session("INT")  # the edit is not re-applied
    assert [t.session("FG").sequence for t in (_baseline(), first.timetable, second.timetable)] == [0, 0, 1]
    assert replay(_baseline(), outbox_of(_baseline(), first), outbox_of(first.timetable, second)) == \
        expected_diaries(second.timetable)


def test_nothing_edited_and_nobody_dropped_is_nothing_changed():
    result, changes = _replan(_before())
    assert changes == {} and result.changes == 0 and result.status == "OPTIMAL"
    assert result.timetable.sorted_sessions() == _baseline().sorted_sessions()
    assert changes_in_words(_baseline(), ()) == "nothing changed: kept all 4 sessions as they were"


def test_the_search_starts_from_a_timetable_holding_every_must_even_when_one_must_make_way():
    # FG's row now asks for Wed 09:00-10:00, and R1 is the only room left: INT (a must) holds it
    # then, so first fit finds no place for FG until INT makes way (it moves to 10:00).
    after = _edited(rooms=(room("R1"),), activities={
        "FG": lambda a: replace(a, fixed_day=None, fixed_time=None, days=(WED,), latest=10 * H)})
    baseline = timetable(_before(), *(s for s in _baseline().sessions if s.occurrence_id != "CT"),
                         session("CT", THU, 9 * H, 10 * H, "R1", ("OF2",), ("P4",)))
    result, changes = _replan(after, baseline)
    assert dict(result.stats)["mended_score"] is not None  # the first-fit start held every must
    assert changes == {"FG": "moved", "INT": "moved"} and result.changes_proven_minimal
    assert (result.timetable.session("FG").day, result.timetable.session("FG").start) == (WED, 9 * H)


def test_when_no_re_plan_start_holds_every_must_solves_first_fit_on_the_re_plans_limits_does(monkeypatch):
    """Should the greedy re-plans all miss a must (an edit they do not foresee), the start is the
    solve's first fit on the re-plan's limits, the past kept as it was: a timetable, not a search
    with no hint running out of time. Here the search finds nothing, so the start is the answer."""
    from ortools.sat.python import cp_model

    import scheduler.replan
    import scheduler.whatif

    monkeypatch.setattr(scheduler.whatif, "_first_fit_replan", lambda *args, **kwargs: [])
    monkeypatch.setattr(scheduler.whatif, "repaired", lambda *args, **kwargs: [])
    monkeypatch.setattr(scheduler.replan, "run_search", lambda solver, model, callback=None: (cp_model.UNKNOWN, False))
    away = _edited(unavailability=_before().unavailability + (unavailable("P3", WED, 9 * H, 10 * H),))
    result = whatif(away, _baseline(), WhatIf(now=(TUE, 12 * H)), time_limit=5, seed=0, workers=1)
    # The start (the search found nothing), with what it moved needlessly put back.
    assert result.objective >= dict(result.stats)["mended_score"]
    held = {s.occurrence_id for s in result.timetable.sessions}
    assert {"FG", "INT"} <= held  # every must, INT after P3's Wednesday morning hour
    assert result.timetable.session("INT").start >= 10 * H
    _kept(_baseline(), result, "LM", "FG")  # what has happened stays as it was


def test_a_session_the_search_moved_needlessly_goes_back_to_its_time_and_room_keeping_its_new_people():
    """SPEC §4.3: keep a changed session's day and time where it can, then its room. Here the
    search's answer moved M an hour into another room and gave it the other Ofsted inspector; only
    the inspector had to change."""
    from scheduler.candidates import Candidates
    from scheduler.whatif import _put_back

    week = inspection(inspectors=[inspector("OF1"), inspector("OF2")], people=[person("P1")],
                      rooms=[room("R1"), room("R2")],
                      activities=[activity("M", inspectorates=("Ofsted",), attendees=("P1",), days=(TUE,))])
    old = session("M", TUE, 9 * H, 10 * H, "R1", ("OF1",), ("P1",))
    moved = session("M", TUE, 10 * H, 11 * H, "R2", ("OF2",), ("P1",))
    (back,) = _put_back(week, Candidates(week), [moved], {"M": old}, {})
    assert back == replace(old, inspector_ids=("OF2",))  # its time and room, its new inspector
    # What happened stays as it was.
    assert _put_back(week, Candidates(week), [moved], {"M": old}, {"M": moved}) == [moved]


@pytest.mark.parametrize("y_priority, expected", [
    ("high", {"Y": "room", "Z": "moved"}),  # Y (100) is worth Z's move (4): Z makes way
    ("low", {"Y": "cancelled"}),  # Y (1) is worth less than any move: it is left out
])
def test_a_search_that_finds_nothing_in_time_falls_back_on_its_first_fit_start(monkeypatch, y_priority, expected):
    # A large week on a busy machine can end phase 1 before the solver has read its hint; the
    # first-fit start keeps every rule, so it is the answer (not proven) rather than no answer.
    from ortools.sat.python import cp_model

    import scheduler.replan

    monkeypatch.setattr(scheduler.replan, "run_search", lambda solver, model, callback=None: (cp_model.UNKNOWN, False))
    # R1 is lost: first fit finds Y (fixed Tue 10:00) no room, as Z holds R2 then; the start moves
    # Z out of Y's way only where Y is worth more than the move.
    result, changes = _replan(*_r1_lost_under_fixed_y(y_priority=y_priority))
    assert result.status == "FEASIBLE" and not result.changes_proven_minimal
    assert changes == expected and result.objective == dict(result.stats)["mended_score"]


def test_an_occurrence_cancelled_then_added_back_is_invited_above_its_cancel_across_the_chain(tmp_path):
    # CT is removed (its CANCEL carries SEQUENCE 1), a re-plan with nothing to do follows, then the
    # lead puts CT back: its new REQUEST must carry SEQUENCE 2, or Outlook drops it as older than the
    # cancellation. Each step goes through an output folder, as a chain of `whatif` runs does.
    from exporters.folder import read_timetable, write_output
    from exporters.timetable_csv import CANCELLED_FILE

    def through_folder(result, name):
        write_output(result, tmp_path / name, source=None)
        return read_timetable(result.timetable.inspection, tmp_path / name)

    removed, changes = _replan(_edited(activities={"CT": None}))
    assert changes == {"CT": "cancelled"}
    assert method(outbox_of(_baseline(), removed)["CT.ics"]) == "CANCEL"
    assert b"SEQUENCE:1" in outbox_of(_baseline(), removed)["CT.ics"]
    first = through_folder(removed, "first")
    assert (tmp_path / "first" / CANCELLED_FILE).read_text().splitlines() == ["occurrence_id,sequence", "CT,1"]
    assert first.cancelled == (("CT", 1),)

    quiet = whatif(_edited(activities={"CT": None}), first, WhatIf(), time_limit=5, seed=0, workers=1)
    assert quiet.changes == 0
    second = through_folder(quiet, "second")
    assert second.cancelled == (("CT", 1),)  # carried along the chain

    back = whatif(_before(), second, WhatIf(), time_limit=5, seed=0, workers=1)
    ct = back.timetable.session("CT")
    assert ct is not None and ct.sequence == 2
    assert back.timetable.cancelled == ()  # held again: no longer cancelled
    assert b"SEQUENCE:2" in outbox_of(second, back)["CT.ics"]
    # Every diary, fed the three outboxes in turn, holds CT once, from the last invite.
    assert replay(_baseline(), outbox_of(_baseline(), removed), outbox_of(first, quiet), outbox_of(second, back)) == \
        expected_diaries(back.timetable)


def _two_sites(*added):
    """OF1 holds A (Town Hall, 09:00) and B (Police HQ, 10:45), both high, inside Tuesday
    09:00-12:00, 45 minutes apart; the lead adds `added` (activity keyword sets, Town Hall)."""
    tue = dict(days=(TUE,), earliest=9 * H, latest=12 * H, inspectors=("OF1",))
    insp = inspection(inspectors=[inspector("OF1")], rooms=[room("TH", site="Town Hall"), room("PHQ", site="Police HQ")],
                      travel=[("Town Hall", "Police HQ", 45)],
                      activities=[activity("A", site="Town Hall", priority="high", **tue),
                                  activity("B", site="Police HQ", priority="high", **tue)])
    baseline = timetable(insp, session("A", TUE, 9 * H, 10 * H, "TH", ("OF1",)),
                         session("B", TUE, 10 * H + 45, 11 * H + 45, "PHQ", ("OF1",)))
    after = replace(insp, activities=insp.activities + tuple(activity(site="Town Hall", **tue, **kw) for kw in added))
    return baseline, after


def test_a_replan_keeps_travel_where_the_travel_free_search_would_add_more(monkeypatch):
    # Without travel, C at 10:00 and B moved to 11:00 score 10 - 4 more (the re-plan's first search
    # is travel-free, and finds that); with 45 minutes between the sites C fits only in B's place, a
    # high. So nothing changes, proven, and C is left out. The repair of the travel-free answer
    # falls short of its bound, so a second search adds travel for OF1, whose travel it broke.
    import scheduler.week_model
    travel_for = []
    real = scheduler.week_model.WeekModel.with_travel_for
    monkeypatch.setattr(scheduler.week_model.WeekModel, "with_travel_for",
                        lambda self, resources: travel_for.append(set(resources)) or real(self, resources))
    baseline, after = _two_sites(dict(id="C", priority="medium"))
    result = whatif(after, baseline, WhatIf(), time_limit=10, seed=0, workers=2)
    assert dict(result.stats)["travel_free_score"] == result.objective + 10 - 4
    assert travel_for == [{"OF1"}]
    assert result.status == "OPTIMAL" and result.changes == 0 and result.changes_proven_minimal
    _kept(baseline, result, "A", "B")
    assert result.timetable.session("C") is None


def _two_inspectors_on_two_sites():
    """OF1 holds A1 (Town Hall, 09:00) and B1 (Police HQ, 10:45), OF2 the same in rooms of its own,
    all high, inside Tuesday 09:00-12:00; the lead adds C (medium, Town Hall) for any Ofsted
    inspector. Without travel, C at 10:00 with either inspector, their B moved to 11:00, scores
    10 - 4 more; with 45 minutes between the sites it fits beside neither."""
    tue = dict(days=(TUE,), earliest=9 * H, latest=12 * H)
    rooms = [room("TH1"), room("TH2"), room("PHQ1", site="Police HQ"), room("PHQ2", site="Police HQ")]
    insp = inspection(inspectors=[inspector("OF1"), inspector("OF2")], rooms=rooms,
                      travel=[("Town Hall", "Police HQ", 45)],
                      activities=[activity(f"{k}{n}", room=f"{where}{n}", priority="high", inspectors=(f"OF{n}",), **tue)
                                  for n in (1, 2) for k, where in (("A", "TH"), ("B", "PHQ"))])
    baseline = timetable(insp, *(s for n in (1, 2) for s in (
        session(f"A{n}", TUE, 9 * H, 10 * H, f"TH{n}", (f"OF{n}",)),
        session(f"B{n}", TUE, 10 * H + 45, 11 * H + 45, f"PHQ{n}", (f"OF{n}",)))))
    added = activity("C", site="Town Hall", priority="medium", inspectorates=("Ofsted",), **tue)
    return baseline, replace(insp, activities=insp.activities + (added,))


def test_travel_is_added_again_for_whoever_the_lazy_search_breaks_it_for_next(monkeypatch):
    # The travel-free answer gives C to one inspector, breaking their travel; with travel for that
    # one, the next search gives C to the other. A second round adds theirs too and proves that
    # nothing should change: C fits beside neither.
    import scheduler.week_model
    travel_for = []
    real = scheduler.week_model.WeekModel.with_travel_for
    monkeypatch.setattr(scheduler.week_model.WeekModel, "with_travel_for",
                        lambda self, resources: travel_for.append(set(resources)) or real(self, resources))
    import scheduler.replan
    import scheduler.whatif
    lazy = []  # (time limit given, what it spent) of each lazy round: they share one budget
    real_run = scheduler.replan.ReplanSearch.run

    def run(self, *a, **k):
        found = real_run(self, *a, **k)
        if k.get("objective_bound") is not None and k.get("only_score"):
            lazy.append((k["time_limit"], found.seconds))
        return found
    monkeypatch.setattr(scheduler.replan.ReplanSearch, "run", run)
    baseline, after = _two_inspectors_on_two_sites()
    result = whatif(after, baseline, WhatIf(), time_limit=10, seed=0, workers=2)
    assert len(travel_for) == 2 and len(travel_for[0]) == 1 and travel_for[1] == {"OF1", "OF2"}
    (first, spent), (second, _) = lazy
    assert first == pytest.approx(scheduler.whatif.LAZY_TRAVEL_SHARE * 10) and 0 < spent < first
    assert second == pytest.approx(first - spent)
    assert result.status == "OPTIMAL" and result.changes == 0 and result.changes_proven_minimal
    _kept(baseline, result, "A1", "B1", "A2", "B2")
    assert result.timetable.session("C") is None


def test_a_start_reaching_the_travel_free_bound_is_proven_without_searching_the_whole_week(monkeypatch):
    # C (medium, two hours) cannot fit in OF1's Tuesday 09:00-12:00 beside A and B whatever moves,
    # with travel or without. The travel-free search proves the first fit's score, which leaves C
    # out, the best; that start is then the answer, proven, with no search of the whole week.
    import scheduler.replan
    searches = []
    real = scheduler.replan.run_search
    monkeypatch.setattr(scheduler.replan, "run_search", lambda *a, **k: searches.append(1) or real(*a, **k))
    baseline, after = _two_sites(dict(id="C", duration=2 * H, priority="medium"))
    result = whatif(after, baseline, WhatIf(), time_limit=10, seed=0, workers=2)
    assert result.status == "OPTIMAL" and result.changes == 0 and result.changes_proven_minimal
    _kept(baseline, result, "A", "B")
    assert result.timetable.session("C") is None
    assert len(searches) == 1  # the travel-free one


@pytest.mark.parametrize("unproven", ["travel-free", "lazy travel"])
def test_when_the_search_before_the_whole_week_proves_nothing_its_start_goes_straight_to_the_days(monkeypatch,
                                                                                                   unproven):
    # On large weeks the travel-free search seldom proves its score; the whole-week search then
    # gained less than the days in the same time (bench_replan, 250 rows), so it is skipped. The
    # same holds when the lazy-travel search after a proven travel-free one proves nothing (it
    # searched nearly the whole week already). Here the one or the other is made to report nothing
    # proven: the days alone find the same answer, which keeps every rule, and no whole-week search
    # of the score is run. (The travel-free bound is dropped too: here it proves the start best,
    # which then needs no search at all.)
    import scheduler.replan
    import scheduler.whatif
    baseline, after = _two_sites(dict(id="C", priority="medium"))
    proven = whatif(after, baseline, WhatIf(), time_limit=10, seed=0, workers=2)

    real_free, real_run, real_days = scheduler.whatif._travel_free, scheduler.replan.ReplanSearch.run, \
        scheduler.replan.day_by_day
    asked, lazy, days = [], [], []

    def run(self, *a, **k):
        asked.append(k.get("whole_week", True))
        found = real_run(self, *a, **k)
        if unproven == "lazy travel" and k.get("only_score") and k.get("objective_bound") is not None:
            lazy.append(1)  # and no bound of its own: only the travel-free one's, which the start misses
            return replace(found, score_proven=False, objective_bound=found.objective_bound + 1000)
        return found
    if unproven == "travel-free":
        monkeypatch.setattr(scheduler.whatif, "_travel_free",
                            lambda *a, **k: replace(real_free(*a, **k), score_proven=False, objective_bound=None))
    monkeypatch.setattr(scheduler.replan.ReplanSearch, "run", run)
    monkeypatch.setattr(scheduler.replan, "day_by_day", lambda *a, **k: days.append(1) or real_days(*a, **k))
    result = whatif(after, baseline, WhatIf(), time_limit=10, seed=0, workers=2)
    assert asked[-1] is False and days
    assert bool(lazy) == (unproven == "lazy travel")
    assert result.objective == proven.objective and result.changes == 0
    _kept(baseline, result, "A", "B")
    assert result.timetable.session("C") is None
