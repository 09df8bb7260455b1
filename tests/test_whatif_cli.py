"""`schedule whatif` end to end on a small CSV inspection: the folder it writes, chained what-ifs,
the baseline left byte-identical, the diaries after sending the outbox, and clean refusals."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import icalendar
import openpyxl
import pytest
from click.testing import CliRunner

from cli import main
from exporters.show import read_folder, render_week
from exporters.timetable_csv import read_timetable
from fixtures.example import write_tables
from loader import load_inspection
from tests.test_whatif import deliver, expected_diaries, held_events

SETTINGS = {"week_start": "2025-11-10", "inspection_name": "JTAI Northmere", "local_authority": "Northmere",
            "organiser_name": "JTAI Scheduling", "organiser_email": "jtai@northmere.gov.uk"}
ACTIVITY = dict.fromkeys(("id", "type", "title", "duration", "days", "recurs", "earliest", "latest",
                          "fixed_start", "site", "room", "mode", "inspectors", "inspectorates", "attendees",
                          "pool", "pool_min", "pool_max", "priority", "after", "notes"), "")


def _activity(**cells) -> dict[str, str]:
    return {**ACTIVITY, **cells}


def _person(pid: str, role: str = "practitioner") -> dict[str, str]:
    return {"id": pid, "name": f"Person {pid}", "email": f"{pid.lower()}@partner.example.org",
            "agency": "Children's social care", "role": role, "manager_id": "", "needs_accessible": "no"}


def _inspector(iid: str, inspectorate: str) -> dict[str, str]:
    return {"id": iid, "name": f"Inspector {iid}", "email": f"{iid.lower()}@inspect.example.org",
            "inspectorate": inspectorate, "role": "inspector"}


TABLES = {
    "settings": [{"key": k, "value": v} for k, v in SETTINGS.items()],
    "inspectors": [_inspector("OF1", "Ofsted"), _inspector("OF2", "Ofsted"), _inspector("CQ1", "CQC")],
    "people": [_person("P1"), _person("P2"), _person("P3"), _person("M1", "manager"), _person("H1")],
    "rooms": [{"id": r, "name": f"Room {r}", "site": "Town Hall", "capacity": "10", "accessible": "yes",
               "virtual": "no"} for r in ("R1", "R2")],
    "activities": [
        # Monday's meeting is in the past for --now "Tue 12:00": frozen.
        _activity(id="MON", type="leader_meeting", title="Meeting with leaders", duration="60",
                  fixed_start="Mon 10:00", inspectors="OF1", attendees="M1"),
        _activity(id="FG", type="focus_group", title="Focus group: social workers", duration="60",
                  fixed_start="Tue 14:00", inspectors="OF1", attendees="P1;P2;P3"),
        _activity(id="HI", type="practitioner_interview", title="Health practitioner", duration="60",
                  days="Wed", inspectorates="CQC", attendees="H1"),
        _activity(id="CT", type="case_tracking", title="Case tracking: Case 1", duration="60", days="Thu",
                  inspectors="OF2", attendees="P1"),
        _activity(id="TEAM", type="team_meeting", title="Team meeting", duration="30", days="Mon;Tue;Wed;Thu",
                  recurs="daily", earliest="16:00", inspectors="all"),
    ],
}


def run(*args: str):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


@pytest.fixture(scope="module")
def week(tmp_path_factory) -> tuple[Path, Path]:
    """The input folder and its solved baseline."""
    root = tmp_path_factory.mktemp("whatif")
    write_tables(TABLES, csv_dir=root / "input")
    result = run("solve", root / "input", "--out", root / "base", "--time-limit", 5, "--workers", 1)
    assert result.exit_code == 0, result.output
    return root / "input", root / "base"


def whatif(input_dir: Path, baseline: Path, out: Path, *options: str):
    return run("whatif", input_dir, "--baseline", baseline, "--out", out, "--time-limit", 5, "--workers", 1,
               *options)


def test_a_whatif_writes_a_complete_folder_with_changes_and_outbox_and_leaves_the_baseline(week, tmp_path):
    # P1 drops out from Tue 12:00: FG goes ahead without P1 (a CANCEL naming P1 only), CT loses its only
    # partner attendee and, a must, is cancelled as "needs a substitute"; Monday is history.
    input_dir, base = week
    before = snapshot(base)
    result = whatif(input_dir, base, tmp_path / "w1", "--drop", "P1", "--now", "Tue 12:00")
    assert result.exit_code == 0, result.output
    assert snapshot(base) == before
    out = tmp_path / "w1"
    assert [(r["occurrence_id"], r["change"], r["notify"]) for r in rows(out / "changes.csv")] == [
        ("FG", "attendees", "OF1;P1;P2;P3"), ("CT", "cancelled", "OF2;P1")]
    fg = next(r for r in rows(out / "changes.csv") if r["occurrence_id"] == "FG")
    assert (fg["old_start"], fg["new_start"]) == ("Tue 14:00", "Tue 14:00")
    assert (fg["title"], fg["notify_names"], fg["people_changed"]) == (
        "Focus group: social workers", "Inspector OF1;Person P1;Person P2;Person P3", "without Person P1")
    lines = result.output.splitlines()
    assert "  CT 'Case tracking: Case 1': cancelled (Thu 09:00, Room R1); tell Inspector OF2, Person P1" in lines
    assert any(line.startswith("  FG 'Focus group: social workers': attendees: without Person P1 (Tue 14:00, Room R")
               for line in lines), result.output
    assert sorted(p.name for p in (out / "outbox").iterdir()) == ["CT.ics", "FG.cancel.ics", "FG.ics"]
    invites = sorted(p.name for p in (out / "invites").iterdir())
    held = [r["occurrence_id"] for r in rows(out / "timetable.csv")]
    assert invites == sorted([f"{o}.ics" for o in held] + ["CT.ics", "FG.cancel.ics"])
    assert b"METHOD:CANCEL" in (out / "invites" / "CT.ics").read_bytes()
    assert not (out / "calendars" / "P1.ics").exists()  # P1 has no session left
    unscheduled = rows(out / "unscheduled.csv")
    assert {"activity_id": "CT", "priority": "must", "reason": "needs a substitute"} in unscheduled
    summary = json.loads((out / "solve.json").read_text())
    assert summary["changes"] == 2 and summary["changes_proven_minimal"] is True
    assert "2 change(s) to the baseline, proven minimal; 3 file(s) in outbox/" in result.output
    assert f"Next: `schedule send {out}` emails them to the people affected" in result.output
    by_id = {r["occurrence_id"]: r for r in rows(out / "timetable.csv")}
    assert by_id["MON"]["sequence"] == "0" and by_id["FG"]["sequence"] == "1"
    assert "1 cancelled, needing a substitute (see unscheduled.csv)." in result.output
    # The printable week marks the session the re-plan changed (CT, cancelled, is not in it), by room
    # and by inspector; the baseline's marks none.
    page = (out / "timetable.html").read_text()
    assert re.findall(r'<div class="session [^"]* changed" data-occurrence="([^"]+)"', page) == ["FG", "FG"]
    assert page.count('title="changed by this re-plan">people changed</strong>') == 2
    assert 'class="change-mark"' not in (base / "timetable.html").read_text()
    # So does the workbook, in a Change column a what-if's sheets end with (filled rows).
    sheet = openpyxl.load_workbook(out / "timetable.xlsx")["Tue"]
    header = [c.value for c in sheet[1]]
    change_of = {r[header.index("Occurrence")]: r[-1] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert header[-1] == "Change" and change_of["FG"] == "people changed"
    assert all(change is None for oid, change in change_of.items() if oid != "FG")
    assert "Change" not in [c.value for c in openpyxl.load_workbook(base / "timetable.xlsx")["Tue"][1]]
    # And `schedule show`, beside the title (a wide terminal, so the title is not folded).
    assert run("show", out).exit_code == 0
    assert "Focus group: social workers [people changed]" in render_week(read_folder(out), width=400)
    assert "[people changed]" not in render_week(read_folder(base), width=400)


def test_chained_whatifs_raise_sequences_and_the_outboxes_bring_every_diary_up_to_date(week, tmp_path):
    input_dir, base = week
    before = snapshot(base)
    assert whatif(input_dir, base, tmp_path / "w1", "--drop", "P1", "--now", "Tue 12:00").exit_code == 0
    first = snapshot(tmp_path / "w1")
    result = whatif(input_dir, tmp_path / "w1", tmp_path / "w2", "--drop", "P1", "--drop", "P2",
                    "--now", "Tue 12:00")
    assert result.exit_code == 0, result.output
    assert snapshot(base) == before and snapshot(tmp_path / "w1") == first
    fg = [next(r for r in rows(d / "timetable.csv") if r["occurrence_id"] == "FG")
          for d in (base, tmp_path / "w1", tmp_path / "w2")]
    assert [(r["sequence"], r["attendees"]) for r in fg] == [("0", "P1;P2;P3"), ("1", "P2;P3"), ("2", "P3")]
    # Only this what-if's cancels: CT was cancelled by the first one and is not sent again.
    assert sorted(p.name for p in (tmp_path / "w2" / "outbox").iterdir()) == ["FG.cancel.ics", "FG.ics"]
    assert not (tmp_path / "w2" / "invites" / "CT.ics").exists()
    # Everyone imported the baseline's invites, then got each outbox in turn.
    diaries: dict = {}
    for folder in (base / "invites", tmp_path / "w1" / "outbox", tmp_path / "w2" / "outbox"):
        for path in sorted(folder.iterdir()):
            deliver(diaries, path.read_bytes())
    inspection = load_inspection(input_dir)
    assert held_events(diaries) == expected_diaries(read_timetable(inspection, tmp_path / "w2"))


def test_a_replan_of_a_replan_that_does_not_repeat_a_drop_says_so_with_the_option(week, tmp_path):
    """SPEC §6: the earlier drops are passed again, or the people in them are back. The command
    says when they are not, naming who and the option that keeps them out; repeated, no note."""
    input_dir, base = week
    assert whatif(input_dir, base, tmp_path / "w1", "--drop", "P1", "--now", "Tue 12:00").exit_code == 0
    lifted = whatif(input_dir, tmp_path / "w1", tmp_path / "w2", "--drop", "P2", "--now", "Tue 12:00")
    assert lifted.exit_code == 0, lifted.output
    assert ("Note: the baseline was re-planned for: Person P1 (P1) drops out from Tue 12:00. This re-plan does "
            "not ask that again, so they are available again from --now on; to keep them out, add --drop P1."
            ) in " ".join(lifted.output.split())
    repeated = whatif(input_dir, tmp_path / "w1", tmp_path / "w3", "--drop", "P2", "--drop", "P1", "--now", "Tue 12:00")
    assert repeated.exit_code == 0 and "Note: the baseline was re-planned" not in repeated.output


def test_a_replan_of_a_replan_without_now_keeps_what_had_happened(week, tmp_path):
    """The baseline was re-planned from Tue 12:00, so Monday's meeting has happened: a re-plan of it
    given no --now still keeps it as it was (else removing P1 again would reach back to Monday),
    and says so."""
    input_dir, base = week
    assert whatif(input_dir, base, tmp_path / "w1", "--drop", "P1", "--now", "Tue 12:00").exit_code == 0
    again = whatif(input_dir, tmp_path / "w1", tmp_path / "w2", "--drop", "P1", "--drop", "M1")
    assert again.exit_code == 0, again.output
    assert ('Note: the baseline was re-planned from Tue 12:00: what starts before then has happened and stays '
            'as it was, as with --now "Tue 12:00".') in " ".join(again.output.split())
    assert "MON" not in {r["occurrence_id"] for r in rows(tmp_path / "w2" / "changes.csv")}
    assert json.loads((tmp_path / "w2" / "whatif.json").read_text())["now"] == [1, 12 * 60]


def test_an_inspector_dropped_earlier_and_dropped_again_from_a_later_now_keeps_the_past_as_it_was(week, tmp_path):
    """OF2 drops out from Tuesday 12:00: Tuesday's team meeting (all inspectors) goes ahead without
    OF2. Re-planned again from Wednesday 12:00 with OF2's drop repeated (SPEC §6) and OF1 away at
    Thursday's, that meeting has happened as it was: it does not make OF2 due at it (OF2 only
    drops out from Wednesday now), and the re-plan goes ahead."""
    input_dir, base = week
    assert whatif(input_dir, base, tmp_path / "w1", "--drop", "OF2", "--now", "Tue 12:00").exit_code == 0
    team = next(r for r in rows(tmp_path / "w1" / "timetable.csv") if r["occurrence_id"] == "TEAM@Tue")
    assert "OF2" not in team["inspectors"].split(";")
    again = whatif(input_dir, tmp_path / "w1", tmp_path / "w2", "--drop", "OF2", "--unavailable", "OF1 Thu 16:00-17:00",
                   "--now", "Wed 12:00")
    assert again.exit_code == 0, again.output
    kept = next(r for r in rows(tmp_path / "w2" / "timetable.csv") if r["occurrence_id"] == "TEAM@Tue")
    assert kept == team
    assert run("check", input_dir, tmp_path / "w2").exit_code == 0


def test_a_drop_covers_an_earlier_absence_of_the_same_person_without_a_note(week, tmp_path):
    input_dir, base = week
    assert whatif(input_dir, base, tmp_path / "w1", "--unavailable", "P3 Wed").exit_code == 0
    dropped = whatif(input_dir, tmp_path / "w1", tmp_path / "w2", "--drop", "P3")
    assert dropped.exit_code == 0 and "available again" not in dropped.output, dropped.output


@pytest.mark.parametrize("options, message", [
    (("--drop", "NOBODY"), "Invalid value for '--drop': 'NOBODY' is not an inspector, person or room"),
    (("--unavailable", "P9 Tue 09:00-12:00"), "Invalid value for '--unavailable': 'P9' is not an inspector"),
    (("--unavailable", "P1 Sat 09:00-12:00"), "Invalid value for '--unavailable': 'Sat' is not a day"),
    (("--unavailable", "P1 Tue 12:00-09:00"), "'12:00-09:00' ends before it starts"),
    (("--unavailable", "P1 Tue 9am-noon"), "Invalid value for '--unavailable': '9am' is not a time"),
    (("--drop", "P1", "--now", "Tuesday"), "Invalid value for '--now': 'Tuesday' is not a day and a time"),
    (("--drop", "P1", "--now", "Tue 25:00"), "Invalid value for '--now': '25:00' is not a time HH:MM"),
])
def test_bad_options_exit_2_naming_the_option_and_write_nothing(week, tmp_path, options, message):
    input_dir, base = week
    result = whatif(input_dir, base, tmp_path / "out", *options)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split()), result.output
    assert not (tmp_path / "out").exists()


def test_out_may_not_be_the_baseline_however_spelt_nor_inside_it(week, tmp_path):
    input_dir, base = week
    before = snapshot(base)
    for out in (base, base.parent / "." / base.name, base / ".." / base.name, base / "inner"):
        result = whatif(input_dir, base, out, "--drop", "P1")
        assert result.exit_code == 2, result.output
        assert "--out" in result.output and "baseline is never modified" in result.output
    assert snapshot(base) == before


def test_a_baseline_that_is_not_an_output_folder_is_bad_input(week, tmp_path):
    input_dir, _ = week
    (tmp_path / "notes").mkdir()
    result = whatif(input_dir, tmp_path / "notes", tmp_path / "out", "--drop", "P1")
    assert result.exit_code == 2 and "timetable.csv is missing" in result.output
    assert not (tmp_path / "out").exists()


def test_a_whatif_that_cannot_hold_a_must_exits_1_and_explains(week, tmp_path):
    # CQ1 is the only CQC inspector and HI (a must on Wednesday) needs one.
    input_dir, base = week
    before = snapshot(base)
    result = whatif(input_dir, base, tmp_path / "out", "--drop", "CQ1", "--now", "Tue 12:00")
    assert result.exit_code == 1, result.output
    assert "'Health practitioner'" in result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["explanation.txt", "solve.json",
                                                                   "unscheduled.csv"]
    summary = json.loads((tmp_path / "out" / "solve.json").read_text())
    assert summary["status"] == "INFEASIBLE" and summary["wall_seconds"] > 0  # how long the search ran
    assert snapshot(base) == before


def test_check_judges_a_whatif_folder_with_its_dropouts(week, tmp_path):
    # The what-if's folder records its request, so `schedule check` applies the same dropouts:
    # without it, CT (a must cancelled for want of P1) would read as "a must not held".
    input_dir, base = week
    out = tmp_path / "w"
    assert whatif(input_dir, base, out, "--drop", "P1", "--now", "Tue 12:00").exit_code == 0
    assert (out / "whatif.json").exists()
    checked = run("check", input_dir, out)
    assert checked.exit_code == 0, checked.output
    (out / "whatif.json").unlink()
    assert run("check", input_dir, out).exit_code != 0


# --- re-planning after edits to INPUT -----------------------------------------------------------------
def _edit(input_dir: Path, to: Path, **tables) -> Path:
    """A copy of the week's input with some tables replaced."""
    write_tables({**TABLES, **tables}, csv_dir=to)
    return to


def test_every_output_folder_keeps_its_input_as_read(week):
    input_dir, base = week
    kept = sorted(p.name for p in (base / "input").iterdir())
    assert kept == sorted(f"{name}.csv" for name in TABLES)
    assert load_inspection(base / "input") == load_inspection(input_dir)


def test_another_week_start_is_refused_as_bad_input_naming_the_setting_and_writes_nothing(week, tmp_path):
    """Every invitation's UID carries the week's date: a re-plan into another week would be a new
    set of events with the old never cancelled (and would report nothing changed)."""
    input_dir, base = week
    later = [{"key": k, "value": "2025-11-17" if k == "week_start" else v} for k, v in SETTINGS.items()]
    result = whatif(_edit(input_dir, tmp_path / "edited", settings=later), base, tmp_path / "w1")
    assert result.exit_code == 2, result.output
    assert "settings, column value: week_start is 2025-11-17, but the baseline is the week of 2025-11-10" in \
        " ".join(result.output.split())
    assert "Traceback" not in result.output and not (tmp_path / "w1").exists()


def test_another_organiser_is_refused_as_bad_input_naming_the_setting_and_writes_nothing(week, tmp_path):
    """The UIDs carry the organiser's domain and Outlook takes updates only from a meeting's
    organiser: a re-plan from another mailbox would reach people as a second copy of each meeting."""
    input_dir, base = week
    moved = [{"key": k, "value": "jtai@northmere-council.gov.uk" if k == "organiser_email" else v}
             for k, v in SETTINGS.items()]
    result = whatif(_edit(input_dir, tmp_path / "edited", settings=moved), base, tmp_path / "w1")
    assert result.exit_code == 2, result.output
    assert ("settings, column value: organiser_email is jtai@northmere-council.gov.uk, but the baseline's "
            "invitations came from jtai@northmere.gov.uk") in " ".join(result.output.split())
    assert "Traceback" not in result.output and not (tmp_path / "w1").exists()
    # The same mailbox in other letters is the same organiser.
    upper = [{**row, "value": row["value"].upper()} if row["key"] == "organiser_email" else row
             for row in [{"key": k, "value": v} for k, v in SETTINGS.items()]]
    assert whatif(_edit(input_dir, tmp_path / "upper", settings=upper), base, tmp_path / "w2").exit_code == 0


def test_removing_a_session_that_has_happened_is_refused_naming_it(week, tmp_path):
    """SPEC §6: what starts before --now has happened and is frozen. Its row deleted, a re-plan
    would cancel it in the diaries of the people who were there: bad input instead."""
    input_dir, base = week
    edited = _edit(input_dir, tmp_path / "edited", activities=[a for a in TABLES["activities"] if a["id"] != "MON"])
    result = whatif(edited, base, tmp_path / "w1", "--now", "Tue 12:00")
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "activities, column id: MON '" in said and "before --now (Tue 12:00): it has happened" in said
    assert "Traceback" not in result.output and not (tmp_path / "w1").exists()
    # Without --now nothing has happened: the row removed cancels it.
    assert whatif(edited, base, tmp_path / "w2").exit_code == 0
    assert [r["change"] for r in rows(tmp_path / "w2" / "changes.csv") if r["occurrence_id"] == "MON"] == ["cancelled"]


def test_a_session_added_only_for_times_before_now_is_said_to_be_in_the_past(week, tmp_path):
    """A must the lead added for Tuesday 09:00-11:00, re-planned from Tuesday 12:00: the reason is
    --now, not a window too short; an optional one is left out for the same reason, in words."""
    input_dir, base = week
    walk = _activity(id="WALK", type="other", title="Walkthrough", duration="60", days="Tue", earliest="09:00",
                     latest="11:00", inspectors="OF2", attendees="P2")
    edited = _edit(input_dir, tmp_path / "must", activities=TABLES["activities"] + [walk])
    result = whatif(edited, base, tmp_path / "w1", "--now", "Tue 12:00")
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    assert "'Walkthrough' can only be held on Tue between 09:00 and 11:00, all of it before --now (Tue 12:00)" in said
    assert "no start time fits" not in said
    edited = _edit(input_dir, tmp_path / "high", activities=TABLES["activities"] + [{**walk, "priority": "high"}])
    assert whatif(edited, base, tmp_path / "w2", "--now", "Tue 12:00").exit_code == 0
    reason = next(r["reason"] for r in rows(tmp_path / "w2" / "unscheduled.csv") if r["activity_id"] == "WALK")
    assert reason.startswith("it can only be held on Tue between 09:00 and 11:00, all of it before --now (Tue 12:00)")


def test_a_replan_after_an_edit_needs_no_dropout_and_sends_only_the_edit(week, tmp_path):
    input_dir, base = week
    extra = _activity(id="NEW", type="other", title="Extra meeting", duration="30", days="Fri",
                      inspectors="OF2", attendees="P2", priority="low")
    edited = _edit(input_dir, tmp_path / "edited", activities=TABLES["activities"] + [extra])
    result = whatif(edited, base, tmp_path / "w1")
    assert result.exit_code == 0, result.output
    assert "INPUT edited since the baseline: activities added: NEW 'Extra meeting'" in result.output
    assert json.loads((tmp_path / "w1" / "whatif.json").read_text())["edits"] == ["activities added: NEW 'Extra meeting'"]
    assert "kept 8 of 8 sessions as they were; added 1 new" in result.output
    assert [(r["occurrence_id"], r["change"], r["old_start"], r["notify"])
            for r in rows(tmp_path / "w1" / "changes.csv")] == [("NEW", "added", "", "OF2;P2")]
    assert sorted(p.name for p in (tmp_path / "w1" / "outbox").iterdir()) == ["NEW.ics"]
    summary = json.loads((tmp_path / "w1" / "solve.json").read_text())
    assert (summary["changes"], summary["change_cost"]) == (0, 4)
    assert summary["objective"] == summary["held_weight"]
    # Chained: a dropout on the re-plan sees no edit any more (its input/ is the edited INPUT).
    result = whatif(edited, tmp_path / "w1", tmp_path / "w2", "--drop", "P2")
    assert result.exit_code == 0, result.output
    assert "INPUT edited" not in result.output
    assert json.loads((tmp_path / "w2" / "whatif.json").read_text())["edits"] == []
    assert ("NEW", "cancelled") in [(r["occurrence_id"], r["change"]) for r in rows(tmp_path / "w2" / "changes.csv")]


def test_nothing_edited_and_nobody_dropped_says_nothing_changed_with_zero_changes(week, tmp_path):
    input_dir, base = week
    result = whatif(input_dir, base, tmp_path / "same")
    assert result.exit_code == 0, result.output
    assert "Next:" not in result.output  # nothing to send
    assert "nothing changed: kept all 8 sessions as they were" in result.output
    assert rows(tmp_path / "same" / "changes.csv") == []
    assert list((tmp_path / "same" / "outbox").iterdir()) == []  # SPEC §5: there, with nothing to send
    assert (tmp_path / "same" / "timetable.csv").read_bytes() == (base / "timetable.csv").read_bytes()


def test_a_baseline_without_input_is_replanned_as_if_nothing_was_edited_with_a_note(week, tmp_path):
    input_dir, base = week
    old = tmp_path / "old"
    shutil.copytree(base, old)
    shutil.rmtree(old / "input")
    extra = _activity(id="NEW", type="other", title="Extra meeting", duration="30", days="Fri",
                      inspectors="OF2", attendees="P2", priority="low")
    edited = _edit(input_dir, tmp_path / "edited", activities=TABLES["activities"] + [extra])
    result = CliRunner().invoke(main, ["whatif", str(edited), "--baseline", str(old), "--out",
                                         str(tmp_path / "w"), "--time-limit", "5", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "has no input/" in result.stderr
    assert "nothing changed" in result.output and rows(tmp_path / "w" / "changes.csv") == []
    assert list((tmp_path / "w" / "outbox").iterdir()) == []  # SPEC §5: there, with nothing to send


def test_the_same_replan_twice_writes_byte_identical_timetable_and_changes(week, tmp_path):
    input_dir, base = week
    edited = _edit(input_dir, tmp_path / "edited", unavailability=[
        {"id": "R1", "day": "Wed", "start": "", "end": "", "reason": "closed"}])
    for out in ("a", "b"):
        result = whatif(edited, base, tmp_path / out, "--drop", "OF2", "--now", "Tue 12:00", "--seed", "7")
        assert result.exit_code == 0, result.output
    assert len(rows(tmp_path / "a" / "changes.csv")) >= 2  # CT's inspector, and whatever was in R1 on Wednesday
    for name in ("timetable.csv", "changes.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_check_of_a_replan_folder_loads_no_solver(week, tmp_path):
    import subprocess
    import sys

    input_dir, base = week
    assert whatif(input_dir, base, tmp_path / "w", "--drop", "P1", "--now", "Tue 12:00").exit_code == 0
    code = ("import sys; from click.testing import CliRunner; from cli import main; "
            f"r = CliRunner().invoke(main, ['check', {str(input_dir)!r}, {str(tmp_path / 'w')!r}]); "
            "assert r.exit_code == 0, r.output; "
            "assert not [m for m in sys.modules if m.startswith('ortools')], 'ortools imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)


def test_invitations_keep_the_uids_they_went_out_under_and_a_new_one_takes_none_of_them(week, tmp_path):
    """A baseline written when UIDs were made another way (here: by hand) still has them in people's
    diaries: a re-plan's updates and cancellations use them, and an added session whose UID would be
    one already in use gets another, so Outlook updates each meeting instead of adding a second."""
    input_dir, base = week
    legacy = Path(shutil.copytree(base, tmp_path / "legacy"))

    def set_uid(name: str, uid: str) -> None:
        path = legacy / "invites" / name
        path.write_bytes(re.sub(rb"UID:[^\r\n]+", b"UID:" + uid.encode(), path.read_bytes()))
    set_uid("FG.ics", "FG-legacy.20251110@northmere.gov.uk")
    set_uid("TEAM@Wed.ics", "NEW.20251110@northmere.gov.uk")  # the UID the added NEW would be given
    extra = _activity(id="NEW", type="other", title="Extra meeting", duration="30", days="Fri",
                      inspectors="OF2", attendees="P2", priority="high")
    edited = _edit(input_dir, tmp_path / "edited", activities=TABLES["activities"] + [extra])
    result = whatif(edited, legacy, tmp_path / "w1", "--drop", "P1", "--now", "Tue 12:00")
    assert result.exit_code == 0, result.output

    def uid(path: Path) -> str:
        return str(icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")[0]["UID"])
    out = tmp_path / "w1"
    assert uid(out / "outbox" / "FG.ics") == uid(out / "outbox" / "FG.cancel.ics") == "FG-legacy.20251110@northmere.gov.uk"
    assert uid(out / "invites" / "TEAM@Wed.ics") == "NEW.20251110@northmere.gov.uk"
    assert uid(out / "outbox" / "NEW.ics") == "NEW-2.20251110@northmere.gov.uk"
    # The next re-plan of the chain reads them from this folder's invites/ in turn.
    again = whatif(edited, out, tmp_path / "w2", "--drop", "P1", "--drop", "P2", "--now", "Tue 12:00")
    assert again.exit_code == 0, again.output
    assert uid(tmp_path / "w2" / "invites" / "FG.ics") == "FG-legacy.20251110@northmere.gov.uk"
    assert uid(tmp_path / "w2" / "invites" / "NEW.ics") == "NEW-2.20251110@northmere.gov.uk"
