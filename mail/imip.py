"""iMIP messages (RFC 6047) built from an output folder's invite files: pure functions, no network.

An invite file is the source of truth: the message carries it byte for byte as its
`text/calendar; method=...` part (base64, so no mail hop can touch its CRLFs or folding), and the
summaries beside it are read from the same file, so what people read and what Outlook imports
cannot disagree. The summaries hold the title, the time, the place (with any online link) and who
attends; never the invite's notes, which stay in the calendar's DESCRIPTION only (SPEC §2, §6). A
re-plan's update also says what changed (mail.send reads it from the same folder's changes.csv):
the calendar moves the event, but does not tell people where it was before.
"""
from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.policy import compat32
from email.utils import format_datetime
from pathlib import Path

import icalendar

from exporters.ics import invite_filename, one_line, usable_email
from exporters.show import day_text
from models import InputError, Problem

_LINK = re.compile(r"https://[^\s<>\"\\]+")


@dataclass(frozen=True)
class Mailbox:
    """A name and a usable email address, as the invite's CN and mailto give them."""

    name: str
    email: str

    def header(self) -> Address:
        local, domain = self.email.rsplit("@", 1)
        return Address(display_name=self.name, username=local, domain=domain)


@dataclass(frozen=True)
class Invitation:
    """One invite file of an output folder, read for sending."""

    file: str  # relative to the folder, e.g. "invites/KIT@Mon.ics" or "outbox/FG1.cancel.ics"
    data: bytes  # the file, exactly as written
    method: str  # REQUEST or CANCEL
    uid: str
    sequence: int
    summary: str
    start: datetime | date
    end: datetime | date | None
    location: str
    link: str | None  # the online meeting link, when the invite has one
    organiser: Mailbox
    attendees: tuple[Mailbox, ...]
    change: str = ""  # a re-plan's update: what changed, from its changes.csv ("moved from Thu 09:00, ...")

    @property
    def withdrawal(self) -> bool:
        """A CANCEL naming only the people taken out of a session that goes ahead."""
        return self.file.endswith(".cancel.ics")

    @property
    def occurrence_id(self) -> str:
        name = self.file.rsplit("/", 1)[-1]
        return name[: -len(".cancel.ics")] if self.withdrawal else name[: -len(".ics")]


def occurrence_files(occurrence_id: str) -> tuple[str, str]:
    """The invite file names an occurrence can have: its REQUEST or CANCEL, and a withdrawal."""
    return invite_filename(occurrence_id), invite_filename(occurrence_id, cancel=True)


# --- reading an invite file ---------------------------------------------------------------------
def read_invitation(folder: Path, relative: str) -> Invitation:
    """Read `folder/relative`; a file that is not a one-event REQUEST or CANCEL with an organiser is
    an input problem naming the file (exit 2), since sending it would reach nobody or the wrong people."""
    try:
        data = (folder / relative).read_bytes()
    except OSError as err:
        raise InputError([Problem(relative, None, None, f"cannot be read: {err.strerror or err}")]) from None
    return parse_invitation(relative, data)


def parse_invitation(relative: str, data: bytes) -> Invitation:
    """An invite file's bytes (named `relative` in messages) as an Invitation."""
    def bad(message: str) -> InputError:
        return InputError([Problem(relative, None, None, message)])

    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise bad(f"is not a calendar file: {err}") from None
    method = str(calendar.get("METHOD", "")).upper()
    if method not in ("REQUEST", "CANCEL"):
        raise bad(f"has METHOD {method or '(none)'}: only REQUEST and CANCEL invitations are sent")
    events = calendar.walk("VEVENT")
    if len(events) != 1:
        raise bad(f"holds {len(events)} events: an invitation holds exactly one")
    event = events[0]
    try:
        organiser = _mailbox(event.get("ORGANIZER"))
        start = event.decoded("DTSTART")
        end = event.decoded("DTEND") if "DTEND" in event else None
        sequence = int(event.get("SEQUENCE", 0))
    except (KeyError, ValueError, TypeError) as err:
        raise bad(f"cannot be read: {err}") from None
    if organiser is None:
        raise bad("has no ORGANIZER with an email address: the message would have no sender")
    uid = str(event.get("UID", "")).strip()
    if not uid:
        raise bad("has no UID")
    attendees = event.get("ATTENDEE", [])
    attendees = attendees if isinstance(attendees, list) else [attendees]
    seen: set[str] = set()
    people: list[Mailbox] = []
    for attendee in attendees:
        mailbox = _mailbox(attendee)
        if mailbox is not None and mailbox.email.lower() not in seen:
            seen.add(mailbox.email.lower())
            people.append(mailbox)
    location = one_line(str(event.get("LOCATION", "")))
    return Invitation(
        file=relative, data=data, method=method, uid=uid, sequence=sequence,
        summary=one_line(str(event.get("SUMMARY", ""))) or uid, start=start, end=end,
        location=location, link=_link(event, location), organiser=organiser, attendees=tuple(people))


def _mailbox(address) -> Mailbox | None:
    if address is None:
        return None
    email = usable_email(re.sub(r"^mailto:", "", str(address), flags=re.IGNORECASE))
    if email is None:
        return None
    name = one_line(str(getattr(address, "params", {}).get("CN", "")))
    return Mailbox(name=name or email, email=email)


def _link(event, location: str) -> str | None:
    """The join link: the URL property, else the first https link in the place or description."""
    url = str(event.get("URL", "")).strip()
    if url.startswith("https://"):
        return url
    for text in (location, str(event.get("DESCRIPTION", ""))):
        found = _LINK.search(text)
        if found:
            return found.group(0).rstrip(".,;)")
    return None


# --- the message --------------------------------------------------------------------------------
def subject(invitation: Invitation) -> str:
    if invitation.method == "CANCEL":
        lead = "No longer needed" if invitation.withdrawal else "Cancelled"
    else:
        lead = "Updated invitation" if invitation.sequence > 0 else "Invitation"
    return f"{lead}: {invitation.summary} ({when(invitation)})"


def when(invitation: Invitation) -> str:
    """`Mon 10 Nov 2025, 09:00-10:00`, in the invite's own time zone."""
    start, end = invitation.start, invitation.end
    day = f"{day_text(start.weekday(), start)} {start.year}" if start.weekday() < 5 else start.isoformat()[:10]
    if not isinstance(start, datetime):
        return day
    text = f"{day}, {start:%H:%M}"
    return f"{text}-{end:%H:%M}" if isinstance(end, datetime) else text


def _opening(invitation: Invitation) -> str:
    if invitation.method == "CANCEL" and invitation.withdrawal:
        return "You are no longer needed at this session; it goes ahead without you."
    if invitation.method == "CANCEL":
        return "This session has been cancelled."
    if invitation.sequence > 0:
        return "This session has been updated: the calendar invitation in this message replaces any earlier one."
    return "You are invited to this session of the inspection week."


def _closing(invitation: Invitation) -> str:
    if invitation.method == "CANCEL":
        return "Your calendar can remove it from your diary with the cancellation in this message."
    return "Accept the calendar invitation in this message to add it to your diary."


def _rows(invitation: Invitation) -> list[tuple[str, str]]:
    rows = [("What", invitation.summary), ("Changed", invitation.change), ("When", when(invitation)),
            ("Where", invitation.location)]
    if invitation.link:
        rows.append(("Online", invitation.link))
    if not invitation.withdrawal:  # a withdrawal names only the people taken out, not who attends
        rows.append(("Who", "; ".join(a.name for a in invitation.attendees)))
    rows.append(("Organiser", f"{invitation.organiser.name} <{invitation.organiser.email}>"))
    return [(label, value) for label, value in rows if value]


def plain_summary(invitation: Invitation) -> str:
    lines = [_opening(invitation), ""]
    lines += [f"{label + ':':<10} {value}" for label, value in _rows(invitation)]
    lines += ["", _closing(invitation), ""]
    return "\n".join(lines)


def html_summary(invitation: Invitation) -> str:
    def cell(label: str, value: str) -> str:
        shown = html.escape(value)
        if label == "Online":
            shown = f'<a href="{html.escape(value, quote=True)}">{shown}</a>'
        return f"<tr><th style=\"text-align:left;padding-right:1em\">{html.escape(label)}</th><td>{shown}</td></tr>"

    rows = "\n".join(cell(label, value) for label, value in _rows(invitation))
    return ("<!DOCTYPE html>\n<html><body style=\"font-family:sans-serif\">\n"
            f"<p>{html.escape(_opening(invitation))}</p>\n<table>\n{rows}\n</table>\n"
            f"<p>{html.escape(_closing(invitation))}</p>\n</body></html>\n")


def build_message(invitation: Invitation, recipients: tuple[Mailbox, ...], *, message_id: str,
                  sent_at: datetime) -> EmailMessage:
    """The iMIP message for one invite file: From the organiser, To `recipients`, and a
    multipart/alternative of a plain-text summary, an HTML summary and the file itself as
    `text/calendar; method=<METHOD>; charset=UTF-8` (inline, the part Outlook acts on)."""
    message = EmailMessage()
    message["Subject"] = subject(invitation)
    message["From"] = invitation.organiser.header()
    message["To"] = [r.header() for r in recipients]
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = message_id
    message.set_content(plain_summary(invitation))
    message.add_alternative(html_summary(invitation), subtype="html")
    message.attach(calendar_part(invitation))
    # What Exchange writes on its own meeting messages (MS-OXCMAIL), so Outlook files it as one;
    # set last, since set_content drops every Content-* header.
    message["Content-Class"] = "urn:content-classes:calendarmessage"
    return message


def calendar_part(invitation: Invitation) -> Message:
    """The invite file as `text/calendar; method=REQUEST; charset=UTF-8`, written exactly so:
    the email package would quote the parameters (`method="REQUEST"`), which RFC 2045 allows but
    which no mail server or calendar client writes; base64 carries the file's bytes unchanged."""
    part = Message(policy=compat32)  # compat32 keeps a header exactly as given
    part["Content-Type"] = f"text/calendar; method={invitation.method}; charset=UTF-8"
    part["Content-Transfer-Encoding"] = "base64"
    part["Content-Disposition"] = "inline"
    part.set_payload(base64.encodebytes(invitation.data).decode("ascii"))
    return part


__all__ = ["Invitation", "Mailbox", "build_message", "calendar_part", "html_summary", "occurrence_files",
           "parse_invitation", "plain_summary", "read_invitation", "subject", "when"]
