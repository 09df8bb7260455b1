"""The greedy first-fit is the search's hint and bench/'s baseline: it must keep every rule too."""
from checker import check_timetable
from fixtures import EXAMPLE_DIR
from loader import load_inspection
from models import Timetable
from scheduler.greedy import greedy_timetable
from tests.builders import activity, inspection, inspector, room


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
