"""What the lead edited between two inspections, and what a dropout does to one (models.edits,
models.dropout): plain domain code, tested without any solver."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

from models.changes import WhatIf
from models.dropout import ALL_PARTNERS_OUT, NEEDS_SUBSTITUTE, apply_dropouts, frozen_sessions
from models.edits import edits_between
from tests.builders import activity, inspection, inspector, person, room, session, timetable, unavailable

TUE, WED = 1, 2
H = 60


def _before():
    return inspection(
        inspectors=[inspector("OF1"), inspector("OF2"), inspector("CQ1", "CQC")],
        people=[person("P1"), person("P2"), person("M1", role="manager")],
        rooms=[room("R1"), room("R2")],
        unavailability=[unavailable("P2", WED)],
        activities=[activity("FG", type="focus_group", inspectors=("OF1",), attendees=("P1", "P2"), days=(TUE,)),
                    activity("TEAM", type="team_meeting", all_inspectors=True, recurs_daily=True, days=(TUE, WED)),
                    activity("LM", type="leader_meeting", inspectors=("OF2",), attendees=("M1",), priority="low")])


def test_the_same_inspection_has_no_edits():
    assert edits_between(_before(), _before()).nothing
    assert edits_between(_before(), _before()).in_words() == []


def test_each_kind_of_edit_is_named_by_id_and_column():
    before = _before()
    acts = before.activity_by_id
    after = replace(
        before,
        inspectors=before.inspectors + (inspector("HP1", "HMIP"),),
        people=tuple(p for p in before.people if p.id != "M1") + (person("P3"),),
        rooms=before.rooms[:1],
        unavailability=(unavailable("P1", TUE, 9 * H, 12 * H),),  # P2's Wednesday lifted, P1's Tuesday added
        settings=replace(before.settings, change_cost=0, day_end=17 * H),
        activities=(replace(acts["FG"], earliest=10 * H, attendees=("P1",)),
                    replace(acts["TEAM"], days=(TUE, WED, 3)),
                    activity("NEW", priority="high")))
    edits = edits_between(before, after)
    assert not edits.nothing
    assert edits.activities.added == ("NEW",) and edits.activities.removed == ("LM",)
    assert edits.activities.edited == ("FG", "TEAM")
    assert dict(edits.edited_columns) == {"FG": ("earliest", "attendees"), "TEAM": ("days",)}
    assert edits.occurrences_added == ("TEAM@Thu", "NEW") and edits.occurrences_removed == ("LM",)
    assert (edits.inspectors.added, edits.people.added, edits.people.removed, edits.rooms.removed) == \
        (("HP1",), ("P3",), ("M1",), ("R2",))
    assert [u.resource_id for u in edits.unavailability_added] == ["P1"]
    assert [u.resource_id for u in edits.unavailability_lifted] == ["P2"]
    assert edits.settings_changed == ("day_end", "change_cost")
    assert edits.in_words() == [
        "activities added: NEW 'Activity NEW'", "activities removed: LM 'Activity LM'",  # LM's title from before
        "activities edited: FG 'Activity FG' (earliest, attendees), TEAM 'Activity TEAM' (days)",
        "days added: TEAM@Thu",
        "inspectors added: HP1", "people added: P3", "people removed: M1", "rooms removed: R2",
        "unavailability added: P1 Tue 09:00-12:00", "unavailability lifted: P2 Wed all day",
        "settings changed: day_end, change_cost"]


def test_only_what_the_lead_added_or_edited_may_be_added():
    before = _before()
    after = replace(before, activities=(replace(before.activity_by_id["FG"], notes="bring the agenda"),)
                    + before.activities[1:] + (activity("NEW"),))
    edits = edits_between(before, after)
    assert edits.may_add("FG", "FG") and edits.may_add("NEW", "NEW")
    assert not edits.may_add("LM", "LM") and not edits.may_add("TEAM@Tue", "TEAM")


def test_a_dropped_named_inspector_becomes_an_item_of_the_same_inspectorate_from_now_on():
    insp = _before()
    base = timetable(insp, session("FG", TUE, 10 * H, 11 * H, "R1", ("OF1",), ("P1", "P2")),
                     session("LM", 0, 9 * H, 10 * H, "R2", ("OF2",), ("M1",)))
    request = WhatIf(drop=("OF1",), now=(TUE, 10 * H + 30))
    frozen = frozen_sessions(base, request)
    assert set(frozen) == {"LM", "FG"}  # FG started at 10:00, before now
    adjusted, cancelled = apply_dropouts(insp, request, frozen)
    fg = adjusted.activity_by_id["FG"]
    assert fg.inspectors == () and fg.inspectorates == ("Ofsted",) and not cancelled
    # OF1 is out from the end of the session under way at `now`, and every later day.
    assert [(u.day, u.start, u.end) for u in adjusted.unavailability if u.resource_id == "OF1"] == \
        [(TUE, 11 * H, 24 * H), (WED, 0, 24 * H), (3, 0, 24 * H), (4, 0, 24 * H)]


def test_a_session_whose_partners_all_drop_out_is_cancelled_and_a_must_needs_a_substitute():
    insp = _before()
    adjusted, cancelled = apply_dropouts(insp, WhatIf(drop=("M1", "P1", "P2")), {})
    assert cancelled == {"FG": NEEDS_SUBSTITUTE, "LM": ALL_PARTNERS_OUT}
    assert adjusted.activity_by_id["FG"].priority == "low"  # it can no longer be a must
    assert adjusted.activity_by_id["TEAM"] == insp.activity_by_id["TEAM"]  # team meetings need no partner


def test_the_domain_of_a_replan_and_the_replan_check_import_no_solver():
    code = ("import sys, models.edits, models.dropout, checker.whatif, exporters.folder; "
            "assert not [m for m in sys.modules if m.startswith('ortools')], 'ortools imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_input_copy_of_a_workbook_is_its_sheets_as_csv_and_loads_the_same(tmp_path):
    from exporters.folder import input_copy
    from fixtures import EXAMPLE_XLSX
    from loader import load_inspection

    files = input_copy(EXAMPLE_XLSX)
    assert "input/activities.csv" in files and "input/settings.csv" in files
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(data)
    assert load_inspection(tmp_path / "input") == load_inspection(EXAMPLE_XLSX)
    assert edits_between(load_inspection(tmp_path / "input"), load_inspection(EXAMPLE_XLSX)).nothing


def test_a_replan_of_a_replan_carries_the_earlier_whatif_forward_and_knows_what_it_lifts():
    """Plain domain: who dropped out stays out, who was away stays away (if still in the input),
    the later `now` wins (what had happened has still happened); and what a request leaves out of
    the earlier one is what it lifts."""
    earlier = WhatIf(drop=("OF2", "GONE"), unavailable=(("P1", 3, 540, 720),), now=(2, 540))
    asked = WhatIf(drop=("P2",), now=(3, 540))
    carried = asked.carried_forward(earlier, known=lambda i: i != "GONE")
    assert carried == WhatIf(drop=("P2", "OF2"), unavailable=(("P1", 3, 540, 720),), now=(3, 540),
                             since=(("OF2", 2, 540),))
    assert WhatIf(drop=("P2",), now=(1, 0)).carried_forward(earlier).now == (2, 540)
    assert WhatIf().carried_forward(None) == WhatIf()
    assert carried.carried_forward(earlier) == carried.carried_forward(earlier).carried_forward(earlier)
    assert carried.not_repeated(earlier) == WhatIf(drop=("GONE",), now=(2, 540))
    assert not carried.carried_forward(earlier).not_repeated(earlier).anyone_out
    assert carried.without("OF2") == WhatIf(drop=("P2",), unavailable=(("P1", 3, 540, 720),), now=(3, 540))
    assert carried.without("P1").unavailable == ()
    # A drop covers an earlier absence of the same person; ids gone from INPUT are not lifted either.
    assert WhatIf(drop=("P1",)).not_repeated(earlier, known=lambda i: i != "GONE") == WhatIf(drop=("OF2",), now=(2, 540))
    assert WhatIf().after(earlier) == WhatIf(now=(2, 540)) and WhatIf(now=(4, 0)).after(earlier).now == (4, 0)
    assert WhatIf(now=(1, 0)).after(None).now == (1, 0)
    # Carried with a later now, a drop keeps its own time, in words and along the chain.
    later = WhatIf(drop=("P2",), now=(3, 540)).carried_forward(WhatIf(drop=("OF2",), now=(1, 540)))
    assert later.since == (("OF2", 1, 540),)
    assert later.in_words()[:2] == ["P2 drops out from Thu 09:00", "OF2 drops out from Tue 09:00"]
    assert WhatIf(now=(4, 540)).carried_forward(later).since == (("P2", 3, 540), ("OF2", 1, 540))
    assert later.without("OF2").since == ()


def test_a_member_taken_out_of_a_group_edits_the_group_not_the_rows_that_use_it(tmp_path):
    """pool_max is read as at most the whole group (blank: the whole group), so a smaller group
    reads as a smaller pool_max: the row is not edited (an edited row may bring back a session the
    baseline did not hold, SPEC §4), and the lead is not told of an edit they did not make."""
    import csv
    import shutil

    from fixtures import EXAMPLE_DIR
    from loader import load_inspection

    def groups_without(folder, keep) -> None:
        path = folder / "groups.csv"
        with path.open(newline="") as f:
            rows = list(csv.DictReader(f))
        with path.open("w", newline="") as f:
            out = csv.DictWriter(f, fieldnames=list(rows[0]))
            out.writeheader()
            out.writerows(r for r in rows if keep(r))

    before = load_inspection(EXAMPLE_DIR)
    edited = shutil.copytree(EXAMPLE_DIR, tmp_path / "edited")
    health = [m for g in before.groups if g.id == "pool-health" for m in g.members]
    # FG03 (pool-health, pool_max blank) and FG10 (pool-health, pool_max 8) both read smaller.
    groups_without(edited, lambda r: r["group_id"] != "pool-health" or r["person_id"] in health[-3:])
    after = load_inspection(edited)
    assert after.activity_by_id["FG03"].pool_max < before.activity_by_id["FG03"].pool_max
    edits = edits_between(before, after)
    assert edits.groups.edited == ("pool-health",) and not edits.activities
    assert edits.in_words() == ["groups edited: pool-health"]
    # A pool_max the lead did edit is still an edit.
    narrower = replace(after, activities=tuple(replace(a, pool_max=2) if a.id == "FG10" else a for a in after.activities))
    assert dict(edits_between(before, narrower).edited_columns) == {"FG10": ("pool_max",)}
