"""The solver-free checker: for each rule of SPEC §3, a timetable that keeps it passes and a
hand-made one that breaks it is caught with a message naming the occurrence and resource."""
from __future__ import annotations

import time

from checker import RULES, check_timetable
from checker import rules
from tests.builders import (
    activity, inspection, inspector, person, room, session, timetable, unavailable,
)

MON, TUE, WED = 0, 1, 2


def hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def at(occurrence_id, day, start, end, room_id, inspectors=(), attendees=(), **kw):
    """A session with HH:MM times, to keep the tests readable."""
    return session(occurrence_id, day, hm(start), hm(end), room_id, inspectors, attendees, **kw)


def texts(problems) -> list[str]:
    return [str(p) for p in problems]


def only(problems, *words: str) -> str:
    """The single problem reported, after checking it names every given word."""
    problems = [str(p) for p in problems]
    assert len(problems) == 1, problems
    for word in words:
        assert word in problems[0], (word, problems[0])
    return problems[0]


def test_rules_are_listed_in_spec_order_with_docstrings():
    names = [r.__name__ for r in RULES]
    assert names == [
        "every_must_held_once", "within_days_and_hours", "no_double_booking",
        "travel_between_sites", "rooms_fit", "inspectors_as_asked", "nobody_unavailable",
        "practitioners_apart_from_managers", "lunch_and_contact_limits", "person_daily_cap",
        "after_and_pools",
    ]
    assert all(r.__doc__ and r.__doc__.strip() for r in RULES)


# --- 1. every must held, exactly once -----------------------------------------------------------
def one_room_inspection(*activities, **kw):
    kw.setdefault("inspectors", [inspector("OF1")])
    kw.setdefault("rooms", [room("R1")])
    return inspection(activities=activities, **kw)


def test_must_held_once_passes_and_optional_may_be_left_out():
    insp = one_room_inspection(activity("A"), activity("B", priority="low"))
    assert check_timetable(timetable(insp, at("A", MON, "10:00", "11:00", "R1"))) == []


def test_must_not_held_is_caught():
    insp = one_room_inspection(activity("A"), activity("B"))
    problems = texts(rules.every_must_held_once(
        timetable(insp, at("A", MON, "10:00", "11:00", "R1", ["OF1"]))))
    only(problems, "B", "must", "not held")


def test_recurring_must_needs_every_day():
    # KIT recurs daily on Mon and Tue: the Tuesday holding is its own must occurrence
    insp = one_room_inspection(activity("KIT", days=(MON, TUE), recurs_daily=True))
    tt = timetable(insp, at("KIT@Mon", MON, "10:00", "11:00", "R1", ["OF1"]))
    only(rules.every_must_held_once(tt), "KIT@Tue", "not held")


def test_held_twice_unknown_and_mismatched_occurrences_are_caught():
    insp = one_room_inspection(activity("A"), activity("B", priority="high"))
    tt = timetable(insp,
                   at("A", MON, "10:00", "11:00", "R1", ["OF1"]),
                   at("A", TUE, "10:00", "11:00", "R1", ["OF1"]),
                   at("ZZ", WED, "10:00", "11:00", "R1", ["OF1"]),
                   at("B", WED, "12:00", "13:00", "R1", ["OF1"], activity_id="A"))
    problems = texts(rules.every_must_held_once(tt))
    assert len(problems) == 3, problems
    assert any("A is held 2 times" in p for p in problems)
    assert any("ZZ on Wed 10:00-11:00" in p and "no such occurrence" in p for p in problems)
    assert any(p.startswith("B on Wed 12:00-13:00") and "activity A" in p for p in problems)
    # an unknown occurrence is reported once, by rule 1 only
    assert sum("ZZ" in str(p) for p in check_timetable(tt)) == 1


# --- 2. days and hours ---------------------------------------------------------------------------
def test_days_hours_grid_and_fixed_start_pass():
    insp = one_room_inspection(
        activity("A", days=(TUE, WED), earliest=hm("09:15"), latest=hm("12:00")),
        # an existing meeting may start off the grid
        activity("OBS", type="observation", duration=45, fixed_day=TUE, fixed_time=hm("10:05")),
    )
    tt = timetable(insp, at("A", WED, "09:15", "10:15", "R1"), at("OBS", TUE, "10:05", "10:50", "R1"))
    assert check_timetable(tt) == []


def test_each_breach_of_days_and_hours_is_caught():
    insp = one_room_inspection(
        activity("A", days=(TUE,)),
        activity("B", earliest=hm("10:00")),
        activity("C", latest=hm("12:00")),
        activity("D"),
        activity("E"),
        activity("F"),
        activity("OBS", type="observation", duration=45, fixed_day=TUE, fixed_time=hm("10:05")),
    )
    cases = {
        "A": (at("A", MON, "10:00", "11:00", "R1"), "not an allowed day"),
        "B": (at("B", MON, "09:45", "10:45", "R1"), "before its earliest 10:00"),
        "C": (at("C", MON, "11:30", "12:30", "R1"), "after its latest 12:00"),
        "D": (at("D", MON, "17:00", "18:00", "R1"), "outside the day's hours 09:00-17:30"),
        "E": (at("E", MON, "10:10", "11:10", "R1"), "slot grid"),
        "F": (at("F", MON, "10:00", "10:45", "R1"), "lasts 45 minutes"),
        "OBS": (at("OBS", TUE, "10:00", "10:45", "R1"), "fixed start 10:05"),
    }
    for occurrence_id, (s, words) in cases.items():
        only(rules.within_days_and_hours(timetable(insp, s)), occurrence_id, words)
    wrong_day = at("OBS", WED, "10:05", "10:50", "R1")
    problems = texts(rules.within_days_and_hours(timetable(insp, wrong_day)))
    assert any("fixed day Tue" in p and p.startswith("OBS on Wed") for p in problems), problems


def test_slot_grid_runs_from_day_start():
    # with days from 08:30 in hour slots, 09:30 is on the grid and 10:00 is not
    insp = one_room_inspection(activity("A"), day_start=hm("08:30"), slot_minutes=60)
    assert rules.within_days_and_hours(timetable(insp, at("A", MON, "09:30", "10:30", "R1"))) == []
    only(rules.within_days_and_hours(timetable(insp, at("A", MON, "10:00", "11:00", "R1"))),
         "A on Mon 10:00-11:00", "60-minute slot grid from 08:30")


# --- 3. no double booking ------------------------------------------------------------------------
def booking_inspection():
    return inspection(
        inspectors=[inspector("OF1"), inspector("OF2")],
        people=[person("P1"), person("P2")],
        rooms=[room("R1"), room("R2"), room("V1", virtual=True)],
        groups={"STAFF": ("P1", "P2")},
        activities=[activity(x, mode="either", inspectorates=("Ofsted",), pool="STAFF", pool_min=1,
                             pool_max=1) for x in "ABCD"],
    )


def test_back_to_back_and_parallel_virtual_sessions_pass():
    insp = booking_inspection()
    tt = timetable(insp,
                   at("A", MON, "10:00", "11:00", "R1", ["OF1"], ["P1"]),
                   at("B", MON, "11:00", "12:00", "R1", ["OF1"], ["P1"]),  # touching is not overlapping
                   at("C", TUE, "14:00", "15:00", "V1", ["OF1"], ["P1"]),
                   at("D", TUE, "14:30", "15:30", "V1", ["OF2"], ["P2"]))  # a virtual room hosts both
    assert check_timetable(tt) == []


def test_double_booked_inspector_person_and_room_are_caught():
    insp = booking_inspection()
    base = [at("A", MON, "10:00", "11:00", "R1", ["OF1"], ["P1"])]
    clashes = {
        "Inspector OF1": at("B", MON, "10:30", "11:30", "R2", ["OF1"], ["P2"]),
        "Person P1": at("B", MON, "10:30", "11:30", "R2", ["OF2"], ["P1"]),
        "Room R1": at("B", MON, "10:30", "11:30", "R1", ["OF2"], ["P2"]),
    }
    for who, clash in clashes.items():
        only(rules.no_double_booking(timetable(insp, *base, clash)),
             who, "A on Mon 10:00-11:00", "B on Mon 10:30-11:30")


def test_sessions_at_the_same_time_on_different_days_do_not_clash():
    insp = booking_inspection()
    tt = timetable(insp, at("A", MON, "10:00", "11:00", "R1", ["OF1"], ["P1"]),
                   at("B", TUE, "10:00", "11:00", "R1", ["OF1"], ["P1"]))
    assert rules.no_double_booking(tt) == []


# --- 4. travel between sites ---------------------------------------------------------------------
def travel_inspection():
    return inspection(
        inspectors=[inspector("OF1"), inspector("OF2")],
        people=[person("P1")],
        rooms=[room("TH1", site="Town Hall"), room("CC1", site="Civic Centre"),
               room("PS1", site="Police Station"), room("V1", virtual=True)],
        travel=[("Town Hall", "Civic Centre", 45)],
        activities=[activity("A", inspectors=("OF1",), attendees=("P1",)),
                    activity("B", inspectors=("OF1",), attendees=("P1",)),
                    activity("ON", duration=30, mode="virtual", inspectorates=("any",))],
    )


def test_enough_travel_time_passes():
    tt = timetable(travel_inspection(),
                   at("A", MON, "09:00", "10:00", "TH1", ["OF1"], ["P1"]),
                   at("B", MON, "10:45", "11:45", "CC1", ["OF1"], ["P1"]),
                   at("ON", MON, "10:00", "10:30", "V1", ["OF2"]))
    assert check_timetable(tt) == []


def test_too_little_travel_time_is_caught_for_inspectors_and_people():
    tt = timetable(travel_inspection(),
                   at("A", MON, "09:00", "10:00", "TH1", ["OF1"], ["P1"]),
                   at("B", MON, "10:30", "11:30", "CC1", ["OF1"], ["P1"]))
    problems = texts(rules.travel_between_sites(tt))
    assert len(problems) == 2, problems
    assert any(p.startswith("Inspector OF1 has 30 minutes") and "takes 45" in p for p in problems)
    assert any(p.startswith("Person P1") and "A on Mon 09:00-10:00" in p
               and "B on Mon 10:30-11:30" in p for p in problems)


def test_an_online_session_in_between_does_not_remove_the_travel_need():
    # OF1 is online from 10:00 to 10:30, yet still has to get from Town Hall to Civic Centre
    tt = timetable(travel_inspection(),
                   at("A", MON, "09:00", "10:00", "TH1", ["OF1"]),
                   at("ON", MON, "10:00", "10:30", "V1", ["OF1"]),
                   at("B", MON, "10:30", "11:30", "CC1", ["OF1"]))
    only(rules.travel_between_sites(tt), "OF1", "Town Hall", "Civic Centre", "A on Mon", "B on Mon")


def test_two_sessions_at_once_are_a_double_booking_not_a_journey_of_negative_minutes():
    for site_room in ("TH1", "CC1"):  # the same site, and another
        tt = timetable(travel_inspection(),
                       at("A", MON, "09:00", "10:00", "TH1", ["OF1"]),
                       at("B", MON, "09:30", "10:30", site_room, ["OF1"]))
        assert rules.travel_between_sites(tt) == []
        assert any("OF1" in p for p in texts(rules.no_double_booking(tt)))


def test_missing_pair_uses_default_travel_minutes():
    tt = timetable(travel_inspection(),
                   at("A", MON, "09:00", "10:00", "TH1", ["OF1"]),
                   at("B", MON, "10:15", "11:15", "PS1", ["OF1"]))
    only(rules.travel_between_sites(tt), "OF1", "Police Station", "takes 30")
    ok = timetable(travel_inspection(),
                   at("A", MON, "09:00", "10:00", "TH1", ["OF1"]),
                   at("B", MON, "10:30", "11:30", "PS1", ["OF1"]))
    assert rules.travel_between_sites(ok) == []


# --- 5. rooms fit --------------------------------------------------------------------------------
def rooms_inspection():
    return inspection(
        inspectors=[inspector("OF1")],
        people=[person("P1"), person("P2"), person("W1", needs_accessible=True)],
        rooms=[room("BIG", site="Town Hall", capacity=10, accessible=True),
               room("SMALL", site="Town Hall", capacity=2),
               room("CC1", site="Civic Centre", capacity=10, accessible=True),
               room("V1", virtual=True, capacity=None), room("V2", virtual=True, capacity=None)],
        activities=[
            activity("INP", attendees=("P1", "P2")),
            activity("VIR", mode="virtual", attendees=("W1",)),
            activity("EITHER", mode="either", site="Town Hall", attendees=("W1",)),
            activity("NAMED", mode="either", room="V2"),
            activity("SITE", site="Town Hall"),
            activity("ACC", attendees=("W1",)),
        ],
    )


def test_fitting_rooms_pass():
    tt = timetable(rooms_inspection(),
                   at("INP", MON, "09:00", "10:00", "SMALL", [], ["P1", "P2"]),
                   # an accessible need and a required site do not bind an online holding
                   at("VIR", MON, "10:00", "11:00", "V1", ["OF1"], ["W1"]),
                   at("EITHER", MON, "11:00", "12:00", "V1", ["OF1"], ["W1"]),
                   at("NAMED", TUE, "09:00", "10:00", "V2", ["OF1"]),
                   at("SITE", TUE, "10:00", "11:00", "BIG", ["OF1"]),
                   at("ACC", TUE, "11:00", "12:00", "BIG", ["OF1"], ["W1"]))
    assert rules.rooms_fit(tt) == []


def test_each_misfit_room_is_caught():
    insp = rooms_inspection()
    cases = [
        (at("INP", MON, "09:00", "10:00", "V1", [], ["P1", "P2"]), ("INP", "in-person", "V1")),
        (at("VIR", MON, "09:00", "10:00", "BIG", [], ["W1"]), ("VIR", "virtual activity", "BIG")),
        # inspectors count too: OF1 + P1 + P2 is three in a room for two
        (at("INP", MON, "09:00", "10:00", "SMALL", ["OF1"], ["P1", "P2"]), ("SMALL holds 2", "3 people")),
        (at("SITE", MON, "09:00", "10:00", "CC1", ["OF1"]), ("SITE", "Civic Centre", "Town Hall")),
        (at("EITHER", MON, "09:00", "10:00", "CC1", ["OF1"], ["W1"]), ("EITHER", "site Town Hall")),
        (at("ACC", MON, "09:00", "10:00", "SMALL", [], ["W1"]), ("ACC", "SMALL", "not accessible", "W1")),
        # a named room binds a virtual holding too
        (at("NAMED", MON, "09:00", "10:00", "V1", ["OF1"]), ("NAMED", "V1", "must be held in V2")),
        (at("SITE", MON, "09:00", "10:00", "R9", ["OF1"]), ("SITE", "R9", "not in the rooms table")),
    ]
    for s, words in cases:
        only(rules.rooms_fit(timetable(insp, s)), *words)


# --- 6. inspectors as asked ----------------------------------------------------------------------
def inspectors_inspection(**kw):
    return inspection(
        inspectors=[inspector("OF1"), inspector("OF2"), inspector("OF3"), inspector("CQ1", "CQC"),
                    inspector("HM1", "HMICFRS"), inspector("HM2", "HMICFRS")],
        rooms=[room("R1")],
        activities=[
            activity("FG", inspectors=("OF1",), inspectorates=("CQC", "any")),
            activity("POL", inspectorates=("HMICFRS", "HMICFRS")),
            activity("OFS", inspectors=("OF1",), inspectorates=("Ofsted",)),
            activity("TEAM", type="team_meeting", all_inspectors=True),
        ], **kw)


def test_inspectors_as_asked_pass():
    tt = timetable(inspectors_inspection(),
                   at("FG", MON, "09:00", "10:00", "R1", ["OF1", "CQ1", "OF2"]),
                   at("POL", MON, "10:00", "11:00", "R1", ["HM1", "HM2"]),
                   at("OFS", MON, "11:00", "12:00", "R1", ["OF1", "OF3"]),
                   at("TEAM", TUE, "09:00", "10:00", "R1", ["OF1", "OF2", "OF3", "CQ1", "HM1", "HM2"]))
    assert check_timetable(tt) == []


def test_missing_named_missing_item_and_added_inspectors_are_caught():
    insp = inspectors_inspection()
    only(rules.inspectors_as_asked(timetable(insp, at("FG", MON, "09:00", "10:00", "R1", ["CQ1", "OF2"]))),
         "FG on Mon 09:00-10:00", "named inspector OF1")
    # two Ofsted inspectors beside OF1 but no CQC: the CQC item is empty and one is extra
    problems = texts(rules.inspectors_as_asked(
        timetable(insp, at("FG", MON, "09:00", "10:00", "R1", ["OF1", "OF2", "OF3"]))))
    assert len(problems) == 2, problems
    assert any("needs 1 more CQC inspector" in p for p in problems)
    assert any("1 inspector more than asked" in p and "OF2, OF3" in p for p in problems)
    only(rules.inspectors_as_asked(timetable(insp, at("POL", MON, "09:00", "10:00", "R1", ["HM1", "HM2", "OF1"]))),
         "POL", "more than asked", "OF1")


def test_each_item_needs_a_distinct_further_inspector():
    insp = inspectors_inspection()
    # HMICFRS;HMICFRS asks for two; one inspector listed twice does not fill both
    problems = texts(rules.inspectors_as_asked(
        timetable(insp, at("POL", MON, "09:00", "10:00", "R1", ["HM1", "HM1"]))))
    assert any("HM1 is listed 2 times" in p for p in problems), problems
    assert any("needs 1 more HMICFRS inspector" in p for p in problems), problems
    # the named Ofsted inspector does not also fill the Ofsted item
    only(rules.inspectors_as_asked(timetable(insp, at("OFS", MON, "09:00", "10:00", "R1", ["OF1"]))),
         "OFS", "needs 1 more Ofsted inspector")


def test_all_means_every_inspector_free_at_the_time():
    # OF2 is out on Tuesday morning: a morning team meeting is complete without OF2...
    insp = inspectors_inspection(unavailability=[unavailable("OF2", TUE, hm("09:00"), hm("12:00"))])
    others = ["OF1", "OF3", "CQ1", "HM1", "HM2"]
    assert rules.inspectors_as_asked(timetable(insp, at("TEAM", TUE, "10:00", "11:00", "R1", others))) == []
    # ...but must not include OF2...
    only(rules.inspectors_as_asked(timetable(insp, at("TEAM", TUE, "10:00", "11:00", "R1", others + ["OF2"]))),
         "TEAM on Tue 10:00-11:00", "OF2", "unavailable")
    # ...and an afternoon one needs OF2, who is free again
    only(rules.inspectors_as_asked(timetable(insp, at("TEAM", TUE, "13:00", "14:00", "R1", others))),
         "TEAM on Tue 13:00-14:00", "OF2", "missing")
    # ...and one at a time when every inspector is out would have nobody (SPEC §6: it moves)
    everyone_out = inspectors_inspection(unavailability=[unavailable(i.id, TUE, hm("09:00"), hm("12:00"))
                                                         for i in insp.inspectors])
    only(rules.inspectors_as_asked(timetable(everyone_out, at("TEAM", TUE, "10:00", "11:00", "R1", []))),
         "TEAM on Tue 10:00-11:00", "would have nobody")


# --- 7. nobody unavailable -----------------------------------------------------------------------
def test_unavailable_inspector_person_and_room_are_caught():
    insp = inspection(
        inspectors=[inspector("OF1")], people=[person("P1")], rooms=[room("R1")],
        activities=[activity("A", inspectors=("OF1",), attendees=("P1",))],
        unavailability=[unavailable("OF1", MON, hm("09:00"), hm("10:00")),
                        unavailable("P1", TUE, hm("10:30"), hm("10:45")),
                        unavailable("R1", WED)],
    )
    # starting the minute OF1 is back is fine
    assert check_timetable(timetable(insp, at("A", MON, "10:00", "11:00", "R1", ["OF1"], ["P1"]))) == []
    cases = {MON: ("inspector OF1", "09:30-10:30"), TUE: ("person P1", "10:00-11:00"),
             WED: ("room R1", "10:00-11:00")}
    for day, (who, times) in cases.items():
        start, end = times.split("-")
        s = at("A", day, start, end, "R1", ["OF1"], ["P1"])
        only(rules.nobody_unavailable(timetable(insp, s)), "A on", times, who, "unavailable")


# --- 8. practitioners apart from managers --------------------------------------------------------
def line_inspection():
    return inspection(
        inspectors=[inspector("OF1")], rooms=[room("R1")],
        people=[person("HEAD", role="leader"), person("M1", role="manager", manager_id="HEAD"),
                person("P1", manager_id="M1"), person("P2", manager_id="M1"),
                person("P3", manager_id="M9")],
        activities=[activity("FG", type="focus_group", mode="either"),
                    activity("PI", type="practitioner_interview", mode="either"),
                    activity("MI", type="manager_interview", mode="either")],
    )


def test_peers_pass_and_managers_may_meet_staff_elsewhere():
    insp = line_inspection()
    tt = timetable(insp, at("FG", MON, "09:00", "10:00", "R1", [], ["P1", "P2", "P3"]),
                   at("MI", MON, "10:00", "11:00", "R1", [], ["M1", "P1"]))
    assert rules.practitioners_apart_from_managers(tt) == []


def test_direct_and_further_up_managers_are_caught():
    insp = line_inspection()
    only(rules.practitioners_apart_from_managers(
        timetable(insp, at("FG", MON, "09:00", "10:00", "R1", [], ["P1", "M1"]))),
        "FG on Mon 09:00-10:00", "M1", "P1")
    # HEAD manages M1 who manages P2: two levels up still counts
    only(rules.practitioners_apart_from_managers(
        timetable(insp, at("PI", MON, "09:00", "10:00", "R1", [], ["P2", "HEAD"]))),
        "PI on Mon", "HEAD", "P2")


# --- 9. lunch and contact limits -----------------------------------------------------------------
def lunch_inspection(**kw):
    return inspection(inspectors=[inspector("OF1")], rooms=[room("R1"), room("V1", virtual=True)],
                      activities=[activity(x, duration=15, mode="either") for x in "ABCDEFG"], **kw)


def lunch_timetable(insp, *times, day=MON, room_id="R1"):
    return timetable(insp, *(session(x, day, hm(s), hm(e), room_id, ["OF1"])
                             for x, (s, e) in zip("ABCDEFG", times)))


def test_lunch_break_left_at_the_end_of_the_window_passes():
    # durations are not checked by this rule; 12:00-13:30 leaves 13:30-14:00 free
    tt = lunch_timetable(lunch_inspection(), ("12:00", "13:30"))
    assert rules.lunch_and_contact_limits(tt) == []


def test_lunch_squeezed_by_sessions_is_caught():
    # 12:00-13:45 leaves only 15 minutes before 14:00
    only(rules.lunch_and_contact_limits(lunch_timetable(lunch_inspection(), ("12:00", "13:45"))),
         "Inspector OF1", "30-minute lunch", "Mon", "A on Mon 12:00-13:45")
    # two 20-minute gaps (12:10-12:30, 13:00-13:20) do not make one 30-minute break
    tt = lunch_timetable(lunch_inspection(), ("11:50", "12:10"), ("12:30", "13:00"), ("13:20", "14:00"))
    only(rules.lunch_and_contact_limits(tt), "OF1", "A on Mon 11:50-12:10", "C on Mon 13:20-14:00")
    # an online session is no break either: 12:40-12:55 and 13:40-14:00 are too short
    tt = timetable(lunch_inspection(),
                   session("A", MON, hm("12:00"), hm("12:40"), "R1", ["OF1"]),
                   session("B", MON, hm("12:55"), hm("13:40"), "V1", ["OF1"]))
    only(rules.lunch_and_contact_limits(tt), "OF1", "A on Mon", "B on Mon")


def test_contact_minutes_count_every_session():
    insp = lunch_inspection()
    ok = lunch_timetable(insp, ("09:00", "12:00"), ("12:30", "15:30"))  # 360 minutes
    assert rules.lunch_and_contact_limits(ok) == []
    over = timetable(insp, session("A", MON, hm("09:00"), hm("12:00"), "R1", ["OF1"]),
                     session("B", MON, hm("12:30"), hm("15:30"), "R1", ["OF1"]),
                     session("C", MON, hm("16:00"), hm("16:15"), "V1", ["OF1"]))
    only(rules.lunch_and_contact_limits(over), "OF1", "375 contact minutes", "Mon", "C")


def test_no_lunch_needed_on_a_day_without_sessions_and_days_are_separate():
    insp = lunch_inspection()
    tt = timetable(insp, session("A", MON, hm("12:00"), hm("13:45"), "R1", ["OF1"]),
                   session("B", TUE, hm("09:00"), hm("12:00"), "R1", ["OF1"]),
                   session("C", TUE, hm("14:00"), hm("17:00"), "R1", ["OF1"]))
    only(rules.lunch_and_contact_limits(tt), "OF1", "on Mon")


# --- 10. person daily cap ------------------------------------------------------------------------
def test_person_daily_cap():
    insp = inspection(inspectors=[inspector("OF1")], people=[person("P1")], rooms=[room("R1")],
                      activities=[activity(x, mode="either") for x in "ABCD"])
    ok = timetable(insp, at("A", MON, "09:00", "10:00", "R1", [], ["P1"]),
                   at("B", MON, "10:00", "11:00", "R1", [], ["P1"]),
                   at("C", TUE, "09:00", "10:00", "R1", ["OF1"], ["P1"]),
                   at("D", MON, "11:00", "12:00", "R1", ["OF1"]))  # the cap is for partner staff only
    assert rules.person_daily_cap(ok) == []
    over = timetable(insp, at("A", MON, "09:00", "10:00", "R1", [], ["P1"]),
                     at("B", MON, "10:00", "11:00", "R1", [], ["P1"]),
                     at("C", MON, "11:00", "12:00", "R1", [], ["P1"]))
    only(rules.person_daily_cap(over), "Person P1", "3 sessions on Mon", "A, B, C", "most is 2")


# --- 11. after and pools -------------------------------------------------------------------------
def after_inspection():
    return inspection(
        inspectors=[inspector("OF1")], rooms=[room("R1")],
        activities=[activity("A", priority="low"), activity("B", after=("A",)),
                    activity("K", days=(MON, WED), recurs_daily=True, priority="low"),
                    activity("F", after=("K",))],
    )


def test_after_holds_when_every_earlier_occurrence_has_ended():
    insp = after_inspection()
    tt = timetable(insp, at("A", TUE, "10:00", "11:00", "R1"), at("B", TUE, "11:00", "12:00", "R1"),
                   at("K@Mon", MON, "16:00", "17:00", "R1"), at("F", TUE, "09:00", "10:00", "R1"))
    assert rules.after_and_pools(tt) == []
    # after binds only when the earlier activity is held
    assert rules.after_and_pools(timetable(insp, at("B", MON, "09:00", "10:00", "R1"))) == []


def test_after_broken_is_caught():
    insp = after_inspection()
    only(rules.after_and_pools(timetable(insp, at("A", TUE, "10:00", "11:00", "R1"),
                                         at("B", TUE, "10:30", "11:30", "R1"))),
         "B on Tue 10:30-11:30", "A on Tue 10:00-11:00")
    # every held occurrence of a recurring activity must end first, including Wednesday's
    only(rules.after_and_pools(timetable(insp, at("K@Mon", MON, "09:00", "10:00", "R1"),
                                         at("K@Wed", WED, "09:00", "10:00", "R1"),
                                         at("F", TUE, "09:00", "10:00", "R1"))),
         "F on Tue", "K@Wed on Wed")


def pool_inspection():
    return inspection(
        inspectors=[inspector("OF1")], rooms=[room("R1")],
        people=[person(p) for p in ("P1", "P2", "P3", "P4", "P5")],
        groups={"VOL": ("P1", "P2", "P3", "P4")},
        activities=[activity("FG", type="focus_group", attendees=("P1",), pool="VOL",
                             pool_min=2, pool_max=3),
                    activity("PI", type="practitioner_interview", attendees=("P1", "P2"))],
    )


def test_pool_within_bounds_passes():
    insp = pool_inspection()
    assert rules.after_and_pools(timetable(insp, at("FG", MON, "09:00", "10:00", "R1", [], ["P1", "P2", "P3"]))) == []
    assert rules.after_and_pools(
        timetable(insp, at("FG", MON, "09:00", "10:00", "R1", [], ["P1", "P2", "P3", "P4"]))) == []
    assert rules.after_and_pools(timetable(insp, at("PI", MON, "09:00", "10:00", "R1", [], ["P2", "P1"]))) == []


def test_pool_breaches_are_caught():
    insp = pool_inspection()
    # P1 is in VOL but named, so does not count: one pool member is fewer than pool_min 2
    only(rules.after_and_pools(timetable(insp, at("FG", MON, "09:00", "10:00", "R1", [], ["P1", "P2"]))),
         "FG on Mon", "1 member", "pool_min 2")
    only(rules.after_and_pools(
        timetable(insp, at("FG", MON, "09:00", "10:00", "R1", [], ["P1", "P2", "P3", "P5"]))),
        "FG on Mon", "P5", "not in pool VOL")
    only(rules.after_and_pools(timetable(insp, at("FG", MON, "09:00", "10:00", "R1", [], ["P2", "P3"]))),
         "FG on Mon", "named attendee P1")
    only(rules.after_and_pools(timetable(insp, at("PI", MON, "09:00", "10:00", "R1", [], ["P1", "P2", "P3"]))),
         "PI on Mon", "P3", "not asked for")
    only(rules.after_and_pools(timetable(insp, at("PI", MON, "09:00", "10:00", "R1", [], ["P1"]))),
         "PI on Mon", "named attendee P2")


def test_pool_max_is_caught():
    insp = inspection(
        rooms=[room("R1")], people=[person(p) for p in ("P1", "P2", "P3")],
        groups={"VOL": ("P1", "P2", "P3")},
        activities=[activity("FG", type="focus_group", pool="VOL", pool_min=1, pool_max=2)],
    )
    only(rules.after_and_pools(timetable(insp, at("FG", MON, "09:00", "10:00", "R1", [], ["P1", "P2", "P3"]))),
         "FG on Mon", "3 member", "pool_max 2")


# --- the whole check, at the size of a real week -------------------------------------------------
def test_two_thousand_valid_sessions_are_checked_fast():
    rooms = 60
    hours = ("09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00")
    sessions, activities, people = [], [], []
    for day in range(5):
        for r in range(rooms):
            for k, start in enumerate(hours):
                aid = f"A{day}-{r}-{k}"
                pid = f"P{day}-{r}-{k // 2}"  # each person has two sessions a day
                if k % 2 == 0:
                    people.append(person(pid))
                activities.append(activity(aid, days=(day,), inspectors=(f"I{r}",), attendees=(pid,)))
                end = f"{int(start[:2]) + 1:02d}:00"
                sessions.append(at(aid, day, start, end, f"R{r}", [f"I{r}"], [pid]))
    insp = inspection(inspectors=[inspector(f"I{r}") for r in range(rooms)], people=people,
                      rooms=[room(f"R{r}") for r in range(rooms)], activities=activities,
                      max_inspector_contact_minutes=7 * 60)
    tt = timetable(insp, *sessions)
    began = time.process_time()  # CPU time: a busy machine slows the clock, not the work
    assert check_timetable(tt) == []
    assert time.process_time() - began < 5
    # and one clash in 2,100 sessions is found
    clash = at("A0-0-0", 0, "09:00", "10:00", "R1", ["I0"], ["P0-0-0"])
    broken = timetable(insp, *[s for s in sessions if s.occurrence_id != "A0-0-0"], clash)
    assert any("Room R1" in str(p) for p in check_timetable(broken))


def test_a_day_outside_the_week_is_reported_not_crashed_on():
    insp = one_room_inspection(activity("A"))
    problems = texts(check_timetable(timetable(insp, at("A", 6, "10:00", "11:00", "R1"))))
    only(problems, "A on day 6 10:00-11:00", "not a day of the inspection week")


# --- a re-plan's check: what concerns only the frozen past is history ------------------------------
def test_a_replan_check_reports_a_must_whose_id_contains_a_frozen_one():
    # FG1 happened (frozen); FG10, a must, is not held. Its message names FG10, which contains
    # "FG1": a filter on text would take it for history and drop it.
    from checker.whatif import whatif_violations

    insp = one_room_inspection(activity("FG1", inspectors=("OF1",)), activity("FG10", inspectors=("OF1",)))
    fg1 = at("FG1", MON, "10:00", "11:00", "R1", ["OF1"])
    problems = whatif_violations(timetable(insp, fg1), {"FG1": fg1})
    only([str(p) for p in problems], "FG10", "must", "not held")


def test_a_replan_check_leaves_out_what_concerns_the_frozen_past_only():
    # FG1 and X happened on Monday, double-booking OF1 then (the past as it was); FG2 is live.
    from checker.whatif import whatif_violations

    insp = one_room_inspection(*(activity(a, inspectors=("OF1",)) for a in ("FG1", "X", "FG2")),
                               rooms=[room("R1"), room("R2")])
    past = [at("FG1", MON, "10:00", "11:00", "R1", ["OF1"]), at("X", MON, "10:00", "11:00", "R2", ["OF1"])]
    live = at("FG2", TUE, "10:00", "11:00", "R1", ["OF1"])
    assert whatif_violations(timetable(insp, *past, live), {s.occurrence_id: s for s in past}) == []
    clash = at("FG2", MON, "10:30", "11:30", "R1", ["OF1"])  # a live session may not clash with the past
    problems = whatif_violations(timetable(insp, *past, clash), {s.occurrence_id: s for s in past})
    assert problems and all("FG2" in str(p) for p in problems)


def test_the_checker_and_the_scheduler_post_the_same_rules_in_the_same_order():
    from scheduler.rules import RULES as POSTED

    assert [r.__name__ for r in RULES] == [r.__name__ for r in POSTED]


def test_a_violation_names_its_rule_occurrences_and_resources():
    insp = one_room_inspection(activity("A", inspectors=("OF1",)), activity("B", inspectors=("OF1",)),
                               rooms=[room("R1"), room("R2")])
    tt = timetable(insp, at("A", MON, "10:00", "11:00", "R1", ["OF1"]), at("B", MON, "10:30", "11:30", "R2", ["OF1"]))
    (clash,) = [v for v in check_timetable(tt) if v.rule == "no_double_booking"]
    assert (clash.rule, clash.occurrence_ids, clash.resource_ids) == ("no_double_booking", ("A", "B"), ("OF1",))
    assert str(clash) == clash.text == ("Inspector OF1 is in two sessions at once: A on Mon 10:00-11:00 and "
                                        "B on Mon 10:30-11:30.")
