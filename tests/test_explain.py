"""Infeasible weeks: the explanation names the activities and resources in conflict, and nothing else.

Each input has an unrelated must (`BYSTANDER`, with its own inspector, person and room) that the
explanation must not mention.
"""
from __future__ import annotations

import pytest

from models import Infeasible
from scheduler import solve
from tests.builders import activity, inspection, inspector, person, room, unavailable

H = 60
UNRELATED = ("BYSTANDER", "Bystander meeting", "OF9", "Inspector OF9", "Person Z9", "Z9", "Room Q9")


def week(**kw):
    kw["inspectors"] = list(kw.get("inspectors", [inspector("OF1")])) + [inspector("OF9")]
    kw["people"] = list(kw.get("people", [person("P1")])) + [person("Z9")]
    kw["rooms"] = list(kw.get("rooms", [room("R1")])) + [room("Q9", site="Annex")]
    kw["activities"] = list(kw["activities"]) + [
        activity("BYSTANDER", title="Bystander meeting", days=(0,), inspectors=("OF9",), attendees=("Z9",),
                 room="Q9")]
    return inspection(**kw)


def reasons_for(insp) -> str:
    with pytest.raises(Infeasible) as caught:
        solve(insp, time_limit=20)
    text = "\n".join(caught.value.reasons)
    for word in UNRELATED:
        assert word not in text, f"{word!r} is not part of the conflict:\n{text}"
    assert len(caught.value.reasons) <= 6, text
    return text


def test_inspectorate_unavailable_on_the_only_day():
    insp = week(
        inspectors=[inspector("CQ1", "CQC"), inspector("CQ2", "CQC"), inspector("OF1")],
        unavailability=[unavailable("CQ1", 1), unavailable("CQ2", 1)],
        activities=[activity("HFG", title="Health practitioners focus group", type="focus_group", days=(1,),
                             inspectorates=("CQC",), attendees=("P1",))])
    text = reasons_for(insp)
    assert "'Health practitioners focus group'" in text and "Tue" in text
    assert "CQ1" in text and "CQ2" in text and "OF1" not in text


def test_room_too_small():
    insp = week(people=[person(f"P{i}") for i in range(6)], rooms=[room("R1", capacity=4), room("R2", capacity=5)],
                activities=[activity("BIG", title="Big meeting", inspectors=("OF1",),
                                     attendees=tuple(f"P{i}" for i in range(6)), site="Town Hall")])
    text = reasons_for(insp)
    assert "'Big meeting'" in text and "7 people" in text and "holds 5" in text


def test_no_accessible_room_on_the_site():
    insp = week(people=[person("W", needs_accessible=True)],
                rooms=[room("R1", site="Depot"), room("R2", site="Town Hall", accessible=True)],
                activities=[activity("ACC", title="Depot visit", attendees=("W",), site="Depot")])
    text = reasons_for(insp)
    assert "'Depot visit'" in text and "accessible" in text and "Depot" in text


def test_travel_between_two_fixed_observations():
    insp = week(rooms=[room("R1", site="Town Hall"), room("R2", site="Police HQ")],
                travel=[("Town Hall", "Police HQ", 45)],
                activities=[
                    activity("O1", title="Strategy meeting", type="observation", fixed_day=1, fixed_time=10 * H,
                             inspectors=("OF1",), site="Town Hall"),
                    activity("O2", title="MASH triage", type="observation", fixed_day=1, fixed_time=11 * H + 15,
                             inspectors=("OF1",), site="Police HQ")])
    text = reasons_for(insp)
    assert "'Strategy meeting'" in text and "'MASH triage'" in text
    assert "OF1" in text and "travel" in text and "45 minutes" in text


def test_practitioners_with_their_required_manager():
    insp = week(people=[person("M1", role="manager"), person("P1", manager_id="M1")],
                activities=[activity("FG", title="Front door focus group", type="focus_group",
                                     inspectors=("OF1",), attendees=("P1", "M1"))])
    text = reasons_for(insp)
    assert "'Front door focus group'" in text and "P1" in text and "M1" in text and "line manager" in text


def test_after_contradicted_by_fixed_times():
    insp = week(activities=[
        activity("A", title="Debrief", fixed_day=1, fixed_time=10 * H, inspectors=("OF1",), after=("B",)),
        activity("B", title="Panel", type="observation", fixed_day=1, fixed_time=11 * H, attendees=("P1",))])
    text = reasons_for(insp)
    assert "'Debrief'" in text and "'Panel'" in text and "after" in text


def test_lunch_squeezed_by_fixed_sessions():
    insp = week(activities=[
        activity("A", title="Leaders lunch-time slot", fixed_day=2, fixed_time=12 * H, inspectors=("OF1",)),
        activity("B", title="Partnership board", type="observation", fixed_day=2, fixed_time=13 * H,
                 inspectors=("OF1",))])
    text = reasons_for(insp)
    assert "'Leaders lunch-time slot'" in text and "'Partnership board'" in text
    assert "lunch" in text and "OF1" in text


def test_person_daily_cap():
    insp = week(people=[person("P1"), person("P2")], activities=[
        activity(f"S{i}", title=f"Session {i}", days=(3,), attendees=("P1",)) for i in range(3)])
    text = reasons_for(insp)
    assert all(f"'Session {i}'" in text for i in range(3))
    assert "P1" in text and "2 sessions a day" in text and "P2" not in text


def test_named_inspector_unavailable_for_a_fixed_observation():
    insp = week(unavailability=[unavailable("OF1", 0, 9 * H, 12 * H)],
                activities=[activity("OBS", title="Initial child protection conference", type="observation",
                                     fixed_day=0, fixed_time=10 * H, inspectors=("OF1",))])
    text = reasons_for(insp)
    assert "'Initial child protection conference'" in text and "OF1" in text and "unavailable" in text


def test_explain_command_prints_the_reasons_and_exits_1(tmp_path):
    from click.testing import CliRunner

    from cli import main
    from fixtures.example import example_tables, write_tables

    tables = example_tables(rows=40, seed=3)
    first = next(r for r in tables["activities"] if r["priority"] == "must" and r["inspectors"] not in ("", "all"))
    for name in first["inspectors"].split(";"):
        for day in ("Mon", "Tue", "Wed", "Thu", "Fri"):
            tables["unavailability"].append({"id": name, "day": day, "start": "", "end": "", "reason": "leave"})
    write_tables(tables, csv_dir=tmp_path / "in")
    result = CliRunner().invoke(main, ["explain", str(tmp_path / "in"), "--time-limit", "10"])
    assert result.exit_code == 1, result.output
    assert first["title"] in result.output and "Traceback" not in result.output
