"""iCalendar files for Outlook: one invitation per occurrence and one calendar per inspector or
person (SPEC §5, calendar rules).

The text is written by hand rather than through the icalendar package so that every byte is ours:
CRLF line ends, folding at 75 octets, escaping that no input text can break out of, a VTIMEZONE of
one STANDARD and one DAYLIGHT block with yearly RRULEs (Outlook mishandles RDATE-only blocks), and
output that is byte-identical for the same input.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from models import Inspection, ScheduleError, Session, Timetable

PRODID = "-//JTAI schedule//week-3 timetable//EN"
FOLD_OCTETS = 75
_UID_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]")
_FILE_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]")
# Control characters (TAB aside) cannot appear in iCalendar text at all.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# A usable mailbox: nothing that could end the property, add a parameter or a line. An apostrophe
# is fine in the local part (o'neill@...): harmless in a mailto URI, and the loader accepts it.
_EMAIL = re.compile(r"^[^\s\"<>;,:\\@]+@[^\s\"'<>;,:\\@]+\.[^\s\"'<>;,:\\@]+$")
_TYPE_WORDS = {
    "focus_group": "Focus group", "practitioner_interview": "Practitioner interview",
    "manager_interview": "Manager interview", "leader_meeting": "Meeting with leaders",
    "kit_meeting": "Keep in Touch (KiT) meeting", "observation": "Observation of practice",
    "case_tracking": "Case-tracking discussion", "team_meeting": "Inspection team meeting",
    "feedback": "Feedback", "other": "Other",
}


class CalendarError(ScheduleError):
    """The settings cannot make a calendar Outlook will accept (organiser, timezone)."""

    exit_code = 2


# --- text: escaping, parameters, folding --------------------------------------------------------
def escape_text(value: str) -> str:
    """RFC 5545 TEXT: backslash, `;`, `,` escaped; every line break (CRLF, CR, LF) becomes `\\n`."""
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\n", "\\n")


def param_value(value: str) -> str:
    """A quoted parameter value (CN): quotes and control characters dropped, lines joined."""
    value = _CONTROL.sub("", one_line(value)).replace('"', "").replace("\t", " ")
    return f'"{value.strip()}"'


def one_line(value: str) -> str:
    """A name or title on one line: line breaks become spaces."""
    return re.sub(r"\s*[\r\n]+\s*", " ", value).strip()


def usable_email(email: str | None) -> str | None:
    """The address when it is a plain mailbox; None when absent or unsafe to put in a URI."""
    email = (email or "").strip()
    return email if _EMAIL.match(email) else None


def fold(line: str) -> bytes:
    """One content line, folded so no physical line exceeds 75 octets (never inside a UTF-8
    character); continuation lines start with a space, which counts towards the 75."""
    out: list[bytes] = []
    current = b""
    limit = FOLD_OCTETS
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > limit:
            out.append(current)
            current = b" "
            limit = FOLD_OCTETS
        current += encoded
    out.append(current)
    return b"\r\n".join(out) + b"\r\n"


def _calendar_bytes(lines: list[str]) -> bytes:
    return b"".join(fold(line) for line in lines)


# --- identity and time --------------------------------------------------------------------------
def organiser_domain(inspection: Inspection) -> str:
    email = usable_email(inspection.settings.organiser_email)
    if email is None:
        raise CalendarError(
            "settings organiser_email is missing or not a plain email address: invitations need "
            "an organiser (a scheduling mailbox) for Outlook to accept them and their updates")
    return _UID_UNSAFE.sub("-", email.rsplit("@", 1)[1].lower())


def event_uid(inspection: Inspection, occurrence_id: str) -> str:
    """The occurrence's calendar UID: `KIT@Mon` in the week of 2025-11-10 organised from
    northmere.gov.uk is `KIT-Mon.20251110@northmere.gov.uk`. Built from identity only (not time,
    room or attendees), so an occurrence keeps its UID across reruns and what-ifs."""
    week = inspection.settings.week_start.strftime("%Y%m%d")
    return f"{uid_stem(occurrence_id)}.{week}@{organiser_domain(inspection)}"


def uid_in(timetable: Timetable, occurrence_id: str) -> str:
    """The occurrence's UID in this timetable: the one its invitations already went out under (the
    re-plan's baseline: `timetable.uids`), else event_uid's, made unlike every UID already in use
    (a baseline written when UIDs were made otherwise may hold it for another occurrence)."""
    sent = timetable.uid_by_occurrence
    if occurrence_id in sent:
        return sent[occurrence_id]
    made = event_uid(timetable.inspection, occurrence_id)
    dot = made.rindex(".", 0, made.index("@"))  # the stem ends before `.WEEK@domain`
    uid, n = made, 1
    while uid in sent.values():
        n += 1
        uid = f"{made[:dot]}-{n}{made[dot:]}"
    return uid


def read_uids(folder: Path | str) -> tuple[tuple[str, str], ...]:
    """(occurrence id, UID) of each invitation in an output folder's invites/ (OCCURRENCE.ics; its
    `.cancel.ics` files carry the same UID), as they went out."""
    found = []
    for path in sorted((Path(folder) / "invites").glob("*.ics")):
        if path.name.endswith(".cancel.ics"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # read again, and reported, when it is sent
        unfolded = re.sub(r"\r?\n[ \t]", "", text)  # a long UID is folded over lines (RFC 5545 §3.1)
        match = re.search(r"^UID:([^\r\n]+)", unfolded, re.MULTILINE)
        if match:
            found.append((path.name[: -len(".ics")], match[1].strip()))
    return tuple(found)


# An activity id ending like a daily occurrence's stem (`KIT-Mon`), or like such an id escaped.
_LOOKS_DAILY = re.compile(r"-(mon|tue|wed|thu|fri)(-once)*$", re.IGNORECASE)


def uid_stem(occurrence_id: str) -> str:
    """The UID's first part, from the occurrence id alone (never from the rest of the input, so an
    activity the lead adds cannot change an occurrence's UID): daily `KIT@Mon` is `KIT-Mon`, as
    SPEC §5 shows; an activity really named `KIT-Mon` (ids hold no `@`) is `KIT-Mon-once`, and one
    named `KIT-Mon-once` is `KIT-Mon-once-once`, so no two occurrences share a UID."""
    if "@" in occurrence_id:
        return _UID_UNSAFE.sub("-", occurrence_id.replace("@", "-"))
    stem = _UID_UNSAFE.sub("-", occurrence_id)
    return f"{stem}-once" if _LOOKS_DAILY.search(stem) else stem


def invite_filename(occurrence_id: str, cancel: bool = False) -> str:
    """`KIT@Mon` -> `KIT@Mon.ics` (the occurrence id as in timetable.csv; `@` is a safe file-name
    character everywhere); `.cancel.ics` for a cancellation sent alongside a REQUEST."""
    stem = _FILE_UNSAFE.sub("_", occurrence_id).lstrip(".") or "_"
    return f"{stem}.cancel.ics" if cancel else f"{stem}.ics"


def default_dtstamp(inspection: Inspection) -> datetime:
    """DTSTAMP is fixed by the input (the week's Monday at 00:00 UTC) so reruns give identical
    bytes; Outlook orders updates by SEQUENCE, which the timetable raises on every change."""
    monday = inspection.settings.week_start
    return datetime(monday.year, monday.month, monday.day, tzinfo=timezone.utc)


def _local(day: date, minutes: int) -> str:
    return f"{day:%Y%m%d}T{minutes // 60:02d}{minutes % 60:02d}00"


# --- VTIMEZONE ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Observance:
    """One yearly switch of offset, as an RRULE: the `nth` (-1 = last) Sunday-type weekday."""

    kind: str  # STANDARD or DAYLIGHT
    name: str
    offset_from: timedelta
    offset_to: timedelta
    month: int
    weekday: int  # Monday = 0
    nth: int  # 1..4, or -1 for the last one in the month
    local_time: str  # HHMMSS, wall-clock time before the switch

    def date_in(self, year: int) -> date:
        if self.nth > 0:
            first = date(year, self.month, 1)
            return first + timedelta(days=(self.weekday - first.weekday()) % 7 + 7 * (self.nth - 1))
        nxt = date(year + (self.month == 12), self.month % 12 + 1, 1)
        last = nxt - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - self.weekday) % 7)

    def lines(self) -> list[str]:
        byday = f"{self.nth}{'MO TU WE TH FR SA SU'.split()[self.weekday]}"
        return [
            f"BEGIN:{self.kind}",
            f"TZNAME:{escape_text(self.name)}",
            f"TZOFFSETFROM:{_offset(self.offset_from)}",
            f"TZOFFSETTO:{_offset(self.offset_to)}",
            # Dated in 1970 so every event of any later year falls after the block's start.
            f"DTSTART:{self.date_in(1970):%Y%m%d}T{self.local_time}",
            f"RRULE:FREQ=YEARLY;BYMONTH={self.month};BYDAY={byday}",
            f"END:{self.kind}",
        ]


def _offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _transitions(zone: ZoneInfo, year: int) -> list[datetime]:
    """The UTC instants in `year` at which the zone's offset changes (to the minute)."""
    def offset(at: datetime) -> timedelta:
        return at.astimezone(zone).utcoffset()

    found: list[datetime] = []
    start = datetime(year, 1, 1, tzinfo=timezone.utc)
    step = timedelta(days=1)
    at = start
    while at.year == year:
        nxt = at + step
        if offset(at) != offset(nxt):
            low, high = at, nxt  # offset(low) != offset(high): narrow to the minute
            while high - low > timedelta(minutes=1):
                mid = low + (high - low) / 2
                mid = mid.replace(second=0, microsecond=0)
                if offset(mid) == offset(low):
                    low = mid
                else:
                    high = mid
            found.append(high)
        at = nxt
    return found


def _observance(zone: ZoneInfo, switch: datetime) -> _Observance:
    before = (switch - timedelta(minutes=1)).astimezone(zone)
    after = switch.astimezone(zone)
    wall = (switch + before.utcoffset()).replace(tzinfo=None)  # the clock just before the switch
    day = wall.date()
    month_days = ((day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
    nth = -1 if day.day + 7 > month_days else (day.day - 1) // 7 + 1
    return _Observance(
        kind="DAYLIGHT" if after.dst() else "STANDARD",
        name=after.tzname() or "",
        offset_from=before.utcoffset(), offset_to=after.utcoffset(),
        month=day.month, weekday=day.weekday(), nth=nth, local_time=f"{wall:%H%M%S}",
    )


@lru_cache(maxsize=16)
def vtimezone_lines(tzid: str, year: int) -> tuple[str, ...]:
    """A VTIMEZONE for `tzid` that is right for `year`: one STANDARD and one DAYLIGHT block, each
    with a yearly RRULE, read from the zone's transitions that year (Europe/London gives BST from
    the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC). A zone without
    summer time gets a single STANDARD block; a zone with irregular switches is refused."""
    try:
        zone = ZoneInfo(tzid)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(f"settings timezone {tzid!r} is not a known timezone (e.g. Europe/London)")
    switches = _transitions(zone, year)
    if not switches:
        offset = _offset(datetime(year, 1, 1, tzinfo=zone).utcoffset())
        return ("BEGIN:VTIMEZONE", f"TZID:{tzid}", "BEGIN:STANDARD",
                f"TZNAME:{escape_text(datetime(year, 1, 1, tzinfo=zone).tzname() or tzid)}",
                f"TZOFFSETFROM:{offset}", f"TZOFFSETTO:{offset}", "DTSTART:19700101T000000",
                "END:STANDARD", "END:VTIMEZONE")
    observances = [_observance(zone, s) for s in switches]
    # An RRULE is read for every year: the rule found this year must also give next year's switches.
    next_year = [_observance(zone, s) for s in _transitions(zone, year + 1)]
    kinds = sorted(o.kind for o in observances)
    if kinds != ["DAYLIGHT", "STANDARD"] or set(next_year) != set(observances):
        raise CalendarError(
            f"settings timezone {tzid!r} does not switch to and from summer time once a year by a "
            "fixed weekday rule, so no Outlook-safe VTIMEZONE can be written; use Europe/London")
    observances.sort(key=lambda o: o.kind)  # DAYLIGHT then STANDARD, fixed order
    return ("BEGIN:VTIMEZONE", f"TZID:{tzid}", *(line for o in observances for line in o.lines()),
            "END:VTIMEZONE")


# --- events -------------------------------------------------------------------------------------
def _place(inspection: Inspection, session: Session) -> str:
    room = inspection.room_by_id.get(session.room_id)
    if room is None:
        return session.room_id
    if room.virtual:
        return f"{room.name} (online)"
    return f"{room.name}, {room.site}" if room.site else room.name


def _location(inspection: Inspection, session: Session) -> str:
    """The place, and the join link of a room that has one (Outlook shows LOCATION first)."""
    link = _link(inspection, session)
    return f"{_place(inspection, session)}: {link}" if link else _place(inspection, session)


def _link(inspection: Inspection, session: Session) -> str:
    """The room's join link (checked https by the loader), or ""."""
    room = inspection.room_by_id.get(session.room_id)
    return room.link if room else ""


def _who(inspection: Inspection, resource_id: str) -> str:
    """`Name (inspectorate)` or `Name (agency)`, as the input gives them."""
    inspector = inspection.inspector_by_id.get(resource_id)
    if inspector is not None:
        return f"{one_line(inspector.name)} ({inspector.inspectorate})"
    person = inspection.person_by_id.get(resource_id)
    return f"{one_line(person.name)} ({one_line(person.agency)})" if person else resource_id


def _description(inspection: Inspection, session: Session) -> str:
    """Plain text: the inspection, the type, the notes and who attends, by name as the input gives."""
    occurrence = inspection.occurrence_by_id.get(session.occurrence_id)
    activity = occurrence.activity if occurrence else inspection.activity_by_id.get(session.activity_id)
    s = inspection.settings
    lines = [" - ".join(x for x in (s.inspection_name, s.local_authority) if x)]
    if activity is not None:
        lines.append(f"Type: {_TYPE_WORDS.get(activity.type, activity.type)}")
    lines.append(f"Where: {_place(inspection, session)}")
    link = _link(inspection, session)
    if link:
        lines.append(f"Join online: {link}")
    if session.inspector_ids:
        lines.append("Inspectors: " + "; ".join(_who(inspection, i) for i in session.inspector_ids))
    if session.attendee_ids:
        lines.append("Attending: " + "; ".join(_who(inspection, p) for p in session.attendee_ids))
    if activity is not None and activity.notes:
        lines.extend(["", activity.notes])
    return "\n".join(lines)


def _attendee_lines(inspection: Inspection, ids: tuple[str, ...], method: str) -> list[str]:
    """An ATTENDEE per inspector or person with an email; one per address even if listed twice."""
    lines: list[str] = []
    seen: set[str] = set()
    for rid in ids:
        who = inspection.inspector_by_id.get(rid) or inspection.person_by_id.get(rid)
        email = usable_email(who.email) if who else None
        if email is None or email.lower() in seen:
            continue
        seen.add(email.lower())
        params = f"CN={param_value(who.name)};ROLE=REQ-PARTICIPANT"
        if method == "REQUEST":
            params += ";PARTSTAT=NEEDS-ACTION;RSVP=TRUE"
        lines.append(f"ATTENDEE;{params}:mailto:{email}")
    return lines


def _event_lines(timetable: Timetable, session: Session, method: str,
                 attendee_ids: tuple[str, ...] | None, dtstamp: datetime) -> list[str]:
    inspection = timetable.inspection
    s = inspection.settings
    occurrence = inspection.occurrence_by_id.get(session.occurrence_id)
    activity = occurrence.activity if occurrence else inspection.activity_by_id.get(session.activity_id)
    title = activity.title if activity else session.occurrence_id
    day = s.date_of(session.day)
    organiser = usable_email(s.organiser_email)
    organiser_domain(inspection)  # refuses a missing organiser before anything is built
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid_in(timetable, session.occurrence_id)}",
        f"DTSTAMP:{dtstamp.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}",
        f"SEQUENCE:{session.sequence}",
        f"DTSTART;TZID={s.timezone}:{_local(day, session.start)}",
        f"DTEND;TZID={s.timezone}:{_local(day, session.end)}",
        f"SUMMARY:{escape_text(title)}",
        f"LOCATION:{escape_text(_location(inspection, session))}",
        f"DESCRIPTION:{escape_text(_description(inspection, session))}",
        f"ORGANIZER;CN={param_value(s.organiser_name or s.inspection_name)}:mailto:{organiser}",
    ]
    if _link(inspection, session):  # a URI value: not TEXT-escaped (RFC 5545 §3.8.4.6)
        lines.append(f"URL:{_link(inspection, session)}")
    if method != "PUBLISH":  # a published calendar has no attendees (RFC 5546 §3.2.1)
        lines += _attendee_lines(inspection, session.everyone if attendee_ids is None
                                 else tuple(attendee_ids), method)
    lines += ["STATUS:CANCELLED" if method == "CANCEL" else "STATUS:CONFIRMED",
              "TRANSP:OPAQUE", "END:VEVENT"]
    return lines


def _calendar(timetable: Timetable, method: str, events: list[list[str]]) -> bytes:
    s = timetable.inspection.settings
    head = ["BEGIN:VCALENDAR", f"PRODID:{PRODID}", "VERSION:2.0", "CALSCALE:GREGORIAN",
            f"METHOD:{method}"]
    if method == "PUBLISH":
        head.append(f"X-WR-CALNAME:{escape_text(s.inspection_name)}")
    zone = list(vtimezone_lines(s.timezone, s.week_start.year))
    return _calendar_bytes(head + zone + [line for event in events for line in event] + ["END:VCALENDAR"])


def render_invite(timetable: Timetable, session: Session, method: str = "REQUEST",
                  attendee_ids: tuple[str, ...] | list[str] | None = None,
                  dtstamp: datetime | None = None) -> bytes:
    """One occurrence as an invitation: METHOD:REQUEST, or METHOD:CANCEL with STATUS:CANCELLED.
    `attendee_ids` restricts who is invited (for a CANCEL naming only the people taken out); the
    SEQUENCE is the session's, so a changed or cancelled occurrence is passed with it raised."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"an invite is a REQUEST or a CANCEL, not {method}")
    stamp = dtstamp or default_dtstamp(timetable.inspection)
    ids = None if attendee_ids is None else tuple(attendee_ids)
    return _calendar(timetable, method, [_event_lines(timetable, session, method, ids, stamp)])


def render_calendar(timetable: Timetable, resource_id: str, dtstamp: datetime | None = None) -> bytes:
    """The week of one inspector or person as a published calendar (METHOD:PUBLISH), one event
    per session they attend, with the same UIDs as the invitations."""
    stamp = dtstamp or default_dtstamp(timetable.inspection)
    sessions = [s for s in timetable.sorted_sessions() if resource_id in s.everyone]
    return _calendar(timetable, "PUBLISH",
                     [_event_lines(timetable, s, "PUBLISH", None, stamp) for s in sessions])


__all__ = [
    "CalendarError", "event_uid", "invite_filename", "read_uids", "render_calendar", "render_invite", "uid_in",
    "vtimezone_lines", "escape_text", "fold",
]
