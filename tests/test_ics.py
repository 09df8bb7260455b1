"""The calendar rules of SPEC §5, checked on the bytes and through three real parsers (the icalendar
package, vobject and Mozilla's ical.js)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from exporters.ics import (
    CalendarError, event_uid, fold, invite_filename, render_calendar, render_invite, vtimezone_lines,
)
from tests.builders import activity, inspection, inspector, person, room, session, timetable

ROOT = Path(__file__).resolve().parents[1]
ICALJS_SCRIPT = ROOT / "tests" / "ics_clients" / "parse_icaljs.mjs"
UID_CHARS = re.compile(r"^[A-Za-z0-9._@-]+$")
SUMMER = date(2025, 6, 9)  # a Monday in British Summer Time


def week(week_start=date(2025, 11, 10), **names):
    """Two inspectors and two people with email, one of each without; a daily KiT, a focus group
    online and a case-tracking discussion."""
    insp = inspection(
        inspectors=[inspector("OF1", name=names.get("OF1", "Olive Field")), inspector("CQ1", "CQC"),
                    inspector("HM1", "HMIP", email="")],
        people=[person("P1", name=names.get("P1", "Pat Jones")), person("P2", agency="Police"),
                person("P3", email="")],
        rooms=[room("R1", name=names.get("R1", "Council Chamber")), room("V1", virtual=True, capacity=None)],
        activities=[
            activity("KIT", type="kit_meeting", recurs_daily=True, days=(0, 1),
                     title=names.get("KIT", "Keep in Touch"), notes=names.get("notes", "")),
            activity("FG1", type="focus_group", title="Health focus group", mode="virtual"),
            activity("CT1", type="case_tracking", title="Case 3 tracking", notes="Case 3, allocated worker"),
        ],
        week_start=week_start,
    )
    return timetable(
        insp,
        session("KIT@Mon", 0, 9 * 60, 10 * 60, "R1", ("OF1", "CQ1", "HM1"), ("P1", "P2", "P3")),
        session("KIT@Tue", 1, 16 * 60 + 30, 17 * 60 + 30, "R1", ("OF1",), ("P1",)),
        session("FG1", 2, 11 * 60, 12 * 60, "V1", ("CQ1",), ("P2",)),
        session("CT1", 4, 13 * 60 + 15, 14 * 60, "R1", ("OF1", "HM1"), ()),
    )


def emails(t, s) -> list[str]:
    """Who an invite must list: every inspector and person in the session with an email."""
    insp = t.inspection
    return [w.email for w in (insp.inspector_by_id.get(i) or insp.person_by_id[i] for i in s.everyone)
            if w.email]


def unfolded(data: bytes) -> list[str]:
    return data.decode("utf-8").replace("\r\n ", "").split("\r\n")[:-1]


def event_of(data: bytes) -> icalendar.Event:
    events = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert len(events) == 1
    return events[0]


# --- bytes --------------------------------------------------------------------------------------
def test_lines_end_crlf_and_fold_at_75_octets_without_splitting_a_character():
    t = week(KIT="Réunion « Keep in Touch » 🤝 " * 6)  # multi-byte characters across fold points
    data = render_invite(t, t.sessions[0])
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"") and b"\r" not in data.replace(b"\r\n", b"")
    physical = data.split(b"\r\n")[:-1]
    assert max(len(line) for line in physical) <= 75
    assert any(len(line) == 75 or line.startswith(b" ") for line in physical)  # folding happened
    for line in physical:
        line.decode("utf-8")  # each physical line is whole UTF-8: no character split by a fold
    assert event_of(data)["SUMMARY"] == "Réunion « Keep in Touch » 🤝 " * 6


def test_fold_keeps_short_lines_and_breaks_long_ones_at_exactly_75():
    assert fold("SUMMARY:x") == b"SUMMARY:x\r\n"
    folded = fold("X" * 200).split(b"\r\n")[:-1]
    # 75 + 74 + 51 characters: each continuation line starts with a space, counted in its 75.
    assert [len(p) for p in folded] == [75, 75, 52]
    assert all(p.startswith(b" ") for p in folded[1:])


def test_invite_is_one_request_event_from_the_organiser_to_everyone_with_an_email():
    t = week()
    kit = t.sessions[0]
    data = render_invite(t, kit)
    calendar = icalendar.Calendar.from_ical(data)
    assert calendar["METHOD"] == "REQUEST"
    event = event_of(data)
    organiser = event["ORGANIZER"]
    assert str(organiser) == "mailto:jtai@northmere.gov.uk"
    assert organiser.params["CN"] == "JTAI Scheduling"
    attendees = event.get("ATTENDEE")
    # HM1 and P3 have no email: named in the description, not invited.
    assert [str(a) for a in attendees] == [f"mailto:{e}" for e in emails(t, kit)]
    assert len(attendees) == 4
    for attendee in attendees:
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
        assert attendee.params["RSVP"] == "TRUE"
    assert attendees[0].params["CN"] == "Olive Field"
    lines = unfolded(data)
    assert 'ATTENDEE;CN="Olive Field";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:' \
           "mailto:of1@inspect.example.org" in lines
    assert event["SUMMARY"] == "Keep in Touch"
    assert event["LOCATION"] == "Council Chamber, Town Hall"
    assert event["STATUS"] == "CONFIRMED"
    description = str(event["DESCRIPTION"])
    assert "Keep in Touch (KiT) meeting" in description
    assert "Inspector HM1 (HMIP)" in description and "Person P3 (Children's social care)" in description


def test_uid_is_built_from_occurrence_week_and_organiser_domain_and_survives_changes():
    t = week()
    assert event_uid(t.inspection, "KIT@Mon") == "KIT-Mon.20251110@northmere.gov.uk"
    assert event_uid(t.inspection, "FG1") == "FG1.20251110@northmere.gov.uk"
    uids = {event_uid(t.inspection, s.occurrence_id) for s in t.sessions}
    assert len(uids) == len(t.sessions) and all(UID_CHARS.match(u) for u in uids)
    # Moved in time and room, a different set of people, a raised SEQUENCE: same UID (Outlook
    # then updates the meeting instead of adding a second one).
    kit = t.sessions[0]
    moved = replace(kit, day=0, start=14 * 60, end=15 * 60, room_id="V1", attendee_ids=("P2",), sequence=1)
    assert event_of(render_invite(t, moved))["UID"] == event_of(render_invite(t, kit))["UID"]


def test_uid_of_a_daily_occurrence_never_collides_with_an_activity_named_like_it_nor_changes_when_one_is_added():
    t = week()
    insp = replace(t.inspection, activities=t.inspection.activities + (activity("KIT-Mon"), activity("KIT-Mon-once"),
                                                                        activity("kit-fri")))
    # The daily occurrence keeps the UID it had before the lead added an activity named like it.
    assert event_uid(insp, "KIT@Mon") == event_uid(t.inspection, "KIT@Mon") == "KIT-Mon.20251110@northmere.gov.uk"
    uids = [event_uid(insp, o) for o in ("KIT@Mon", "KIT-Mon", "KIT-Mon-once", "KIT@Fri", "kit-fri", "FG1")]
    assert uids[1:3] == ["KIT-Mon-once.20251110@northmere.gov.uk", "KIT-Mon-once-once.20251110@northmere.gov.uk"]
    assert len(set(uids)) == len(uids) and all(UID_CHARS.match(u) for u in uids)


def test_same_input_gives_byte_identical_files_with_a_utc_dtstamp_and_the_session_sequence():
    t = week()
    s = replace(t.sessions[1], sequence=3)
    first, second = render_invite(t, s), render_invite(week(), s)
    assert first == second
    event = event_of(first)
    assert "DTSTAMP:20251110T000000Z" in unfolded(first)  # the week's Monday 00:00 UTC
    assert event["DTSTAMP"].dt == datetime(2025, 11, 10, tzinfo=timezone.utc)
    assert event["SEQUENCE"] == 3
    assert "SEQUENCE:3" in unfolded(first)
    assert "DTSTART;TZID=Europe/London:20251111T163000" in unfolded(first)
    assert "DTEND;TZID=Europe/London:20251111T173000" in unfolded(first)


def test_vtimezone_has_one_standard_and_one_daylight_block_each_with_a_yearly_rrule():
    for t in (week(), week(SUMMER)):
        data = render_invite(t, t.sessions[0])
        zones = icalendar.Calendar.from_ical(data).walk("VTIMEZONE")
        assert len(zones) == 1 and zones[0]["TZID"] == "Europe/London"
        blocks = zones[0].subcomponents
        assert sorted(b.name for b in blocks) == ["DAYLIGHT", "STANDARD"]
        for block in blocks:
            assert "RRULE" in block and "RDATE" not in block
            assert block["RRULE"]["FREQ"] == ["YEARLY"]
        assert b"RDATE" not in data
    lines = vtimezone_lines("Europe/London", 2025)
    # BST: last Sunday of March 01:00 GMT to last Sunday of October 02:00 BST (both 01:00 UTC).
    assert lines[lines.index("BEGIN:DAYLIGHT"):lines.index("END:DAYLIGHT") + 1] == (
        "BEGIN:DAYLIGHT", "TZNAME:BST", "TZOFFSETFROM:+0000", "TZOFFSETTO:+0100",
        "DTSTART:19700329T010000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT")
    assert lines[lines.index("BEGIN:STANDARD"):lines.index("END:STANDARD") + 1] == (
        "BEGIN:STANDARD", "TZNAME:GMT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0000",
        "DTSTART:19701025T020000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD")


@pytest.mark.parametrize("tzid", ["Europe/London", "America/New_York", "Australia/Sydney"])
def test_vtimezone_rules_give_the_real_offset_every_hour_around_each_switch(tzid):
    """vobject reads the VTIMEZONE's own rules (not a zone database); they must match zoneinfo."""
    text = "\r\n".join(("BEGIN:VCALENDAR", "VERSION:2.0", *vtimezone_lines(tzid, 2025), "END:VCALENDAR"))
    rules = vobject.readOne(text).vtimezone.gettzinfo()
    zone = ZoneInfo(tzid)
    instants = [datetime(2025, 1, 1, 12, tzinfo=timezone.utc) + timedelta(days=d) for d in range(0, 730, 7)]
    for year in (2025, 2026):
        for month in range(1, 13):  # every hour of every Sunday: each switch happens on one
            first = date(year, month, 1)
            for day in range(32):
                d = first + timedelta(days=day)
                if d.month == month and d.weekday() == 6:
                    instants += [datetime(d.year, d.month, d.day, tzinfo=timezone.utc) + timedelta(hours=h)
                                 for h in range(-12, 36)]
    for instant in instants:
        assert instant.astimezone(rules).utcoffset() == instant.astimezone(zone).utcoffset(), instant


def test_a_timezone_that_cannot_be_written_safely_is_refused_with_exit_2():
    with pytest.raises(CalendarError) as unknown:
        vtimezone_lines("Mars/Olympus_Mons", 2025)
    assert unknown.value.exit_code == 2 and "Mars/Olympus_Mons" in str(unknown.value)
    # Morocco suspends summer time for Ramadan: no single yearly rule describes it.
    with pytest.raises(CalendarError, match="fixed weekday rule"):
        vtimezone_lines("Africa/Casablanca", 2025)


def test_invites_need_an_organiser_mailbox():
    t = week()
    no_organiser = replace(t.inspection.settings, organiser_email="")
    t = replace(t, inspection=replace(t.inspection, settings=no_organiser))
    with pytest.raises(CalendarError, match="organiser_email") as err:
        render_invite(t, t.sessions[0])
    assert err.value.exit_code == 2


def test_cancel_names_only_the_people_taken_out_with_the_same_uid():
    t = week()
    kit = replace(t.sessions[0], sequence=2)
    data = render_invite(t, kit, method="CANCEL", attendee_ids=("P2",))
    assert icalendar.Calendar.from_ical(data)["METHOD"] == "CANCEL"
    event = event_of(data)
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 2
    assert event["UID"] == event_uid(t.inspection, "KIT@Mon")
    attendee = event["ATTENDEE"]  # one attendee: a single property, not a list
    assert str(attendee) == "mailto:p2@partner.example.org"
    with pytest.raises(ValueError):
        render_invite(t, kit, method="PUBLISH")


def test_calendar_publishes_every_session_of_one_person_and_nobody_elses():
    t = week()
    data = render_calendar(t, "P1")
    calendar = icalendar.Calendar.from_ical(data)
    assert calendar["METHOD"] == "PUBLISH"
    events = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [event_uid(t.inspection, o) for o in ("KIT@Mon", "KIT@Tue")]
    assert all("ATTENDEE" not in e for e in events)  # a published calendar invites nobody
    assert len(calendar.walk("VTIMEZONE")) == 1
    assert len(icalendar.Calendar.from_ical(render_calendar(t, "CQ1")).walk("VEVENT")) == 2


def test_invite_file_names_keep_the_occurrence_id():
    assert invite_filename("KIT@Mon") == "KIT@Mon.ics"
    assert invite_filename("KIT@Mon", cancel=True) == "KIT@Mon.cancel.ics"
    assert invite_filename("../x/y") == "_x_y.ics"


# --- injection ----------------------------------------------------------------------------------
HOSTILE = 'Evil;CN=x,"quoted":\\ \r\nATTENDEE:mailto:x@y\rSUMMARY:spoof\nEND:VEVENT'


def hostile_week(week_start=date(2025, 11, 10)):
    return week(week_start, OF1=HOSTILE, P1="Ann \"Nan\" O'Neil\r\nATTENDEE:mailto:x@y", R1=HOSTILE,
                KIT=HOSTILE, notes=HOSTILE + "\r\nline two; a,b")


def as_text(value: str) -> str:
    """What an iCalendar TEXT value can carry: every line break is one LF."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def test_input_text_cannot_add_a_property_or_a_line():
    t = hostile_week()
    kit = t.sessions[0]
    data = render_invite(t, kit)
    lines = unfolded(data)
    assert sum(line.startswith("ATTENDEE") for line in lines) == 4
    assert sum(line.startswith("SUMMARY") for line in lines) == 1
    assert lines.count("END:VEVENT") == 1
    event = event_of(data)
    assert event["SUMMARY"] == as_text(HOSTILE)
    assert event["LOCATION"] == as_text(HOSTILE) + ", Town Hall"
    assert str(event["DESCRIPTION"]).endswith(as_text(HOSTILE) + "\nline two; a,b")
    cns = [a.params["CN"] for a in event["ATTENDEE"]]
    # CN loses quotes and line breaks; the rest survives inside the quoted value.
    assert cns[0] == "Evil;CN=x,quoted:\\ ATTENDEE:mailto:x@y SUMMARY:spoof END:VEVENT"
    assert "Ann Nan O'Neil ATTENDEE:mailto:x@y" in cns
    assert [str(a) for a in event["ATTENDEE"]] == [f"mailto:{e}" for e in emails(t, kit)]


def test_an_email_that_could_break_the_line_is_not_used():
    t = week()
    bad = replace(t.inspection.person_by_id["P1"], email="p1@x.org\r\nATTENDEE:mailto:evil@y.org")
    insp = replace(t.inspection, people=(bad,) + t.inspection.people[1:])
    t = replace(t, inspection=insp)
    event = event_of(render_invite(t, t.sessions[1]))
    assert str(event["ATTENDEE"]) == "mailto:of1@inspect.example.org"


# --- three parsers agree ------------------------------------------------------------------------
def expected_events(t, files: dict[str, list]) -> dict[str, list[tuple]]:
    """(UID, start UTC, end UTC, attendee count) worked out from the sessions, not from a parser."""
    zone = ZoneInfo("Europe/London")

    def utc(s, minutes):
        day = t.inspection.date_of(s.day)
        local = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=minutes)
        return local.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    return {name: [(event_uid(t.inspection, s.occurrence_id), utc(s, s.start), utc(s, s.end), count)
                   for s, count in events] for name, events in files.items()}


def write_files(t, folder: Path) -> dict[str, list]:
    """Every invite and calendar of the week, and what each should hold."""
    files = {}
    for s in t.sorted_sessions():
        path = folder / invite_filename(s.occurrence_id)
        path.write_bytes(render_invite(t, s))
        files[str(path)] = [(s, len(emails(t, s)))]
    for rid in ("OF1", "P1"):
        path = folder / f"{rid}.ics"
        path.write_bytes(render_calendar(t, rid))
        files[str(path)] = [(s, 0) for s in t.sessions_of(rid)]
    return files


def as_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_icalendar(path: str) -> list[tuple]:
    calendar = icalendar.Calendar.from_ical(Path(path).read_bytes())
    events = []
    for e in calendar.walk("VEVENT"):
        attendees = e.get("ATTENDEE", [])  # a single attendee comes back alone, not in a list
        count = len(attendees) if isinstance(attendees, list) else 1
        events.append((str(e["UID"]), as_utc(e["DTSTART"].dt), as_utc(e["DTEND"].dt), count))
    return events


def read_vobject(path: str) -> list[tuple]:
    calendar = vobject.readOne(Path(path).read_text(encoding="utf-8"))
    return [(e.uid.value, as_utc(e.dtstart.value), as_utc(e.dtend.value), len(e.contents.get("attendee", [])))
            for e in calendar.vevent_list]


def read_icaljs(paths: list[str]) -> dict[str, list[tuple]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: ical.js cannot run (CI installs it with `npm ci`)")
    if not (ROOT / "node_modules" / "ical.js").is_dir():
        pytest.skip("node_modules/ical.js is missing: run `npm ci` at the repo root")
    run = subprocess.run([node, str(ICALJS_SCRIPT), *paths], capture_output=True, text=True,
                         timeout=60, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    parsed = json.loads(run.stdout)
    return {path: [(e["uid"], e["start"], e["end"], len(e["attendees"])) for e in parsed[path]["events"]]
            for path in paths}


@pytest.fixture(params=[date(2025, 11, 10), SUMMER], ids=["winter", "summer-time"])
def written(request, tmp_path):
    t = hostile_week(request.param)
    return t, expected_events(t, write_files(t, tmp_path))


def test_icalendar_package_reads_every_file_as_written(written):
    _, expected = written
    assert {path: read_icalendar(path) for path in expected} == expected


def test_vobject_reads_every_file_as_written(written):
    _, expected = written
    assert {path: read_vobject(path) for path in expected} == expected


def test_icaljs_reads_every_file_as_written(written):
    t, expected = written
    assert read_icaljs(list(expected)) == expected
    # 09:00 in London is 09:00 UTC in November and 08:00 UTC in June: ical.js converts with the
    # VTIMEZONE inside the file, so this checks our rules, not a zone database.
    first = expected[next(iter(expected))][0]
    assert first[1].endswith("T09:00:00Z" if t.inspection.settings.week_start.month == 11 else "T08:00:00Z")


def test_icaljs_reads_the_text_back_intact(tmp_path):
    t = hostile_week()
    path = tmp_path / "kit.ics"
    path.write_bytes(render_invite(t, t.sessions[0]))
    read = read_icaljs([str(path)])  # skips when ical.js is missing
    assert len(read[str(path)]) == 1
    run = subprocess.run([shutil.which("node"), str(ICALJS_SCRIPT), str(path)], capture_output=True,
                         text=True, timeout=60, cwd=ROOT)
    event = json.loads(run.stdout)[str(path)]["events"][0]
    assert event["summary"] == as_text(HOSTILE)
    assert event["location"] == as_text(HOSTILE) + ", Town Hall"
    assert event["description"].endswith(as_text(HOSTILE) + "\nline two; a,b")
    assert [a["email"] for a in event["attendees"]] == emails(t, t.sessions[0])
    assert {(a["role"], a["partstat"], a["rsvp"]) for a in event["attendees"]} == {
        ("REQ-PARTICIPANT", "NEEDS-ACTION", "TRUE")}
    assert event["organizer"] == "mailto:jtai@northmere.gov.uk"
