"""Sending an output folder's invitations (SPEC §6 `send`): over SMTP with the sent.csv ledger, or
as .eml files for a lead who sends from their own mailbox.

`send_folder` is the one entry point (the CLI's `schedule send` and the workbench's Send page both
call it). It works from the folder alone: the invite files say what to send and to whom, sent.csv
says what the server already accepted, and input/ names the people who have no email address.
"""
from __future__ import annotations

import os
import signal
import smtplib
import ssl
import threading
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email.utils import make_msgid
from pathlib import Path

from exporters.changes import CHANGES_CSV, PEOPLE_FIELD, read_baseline_folder, read_changes
from exporters.folder import MARKER, replace_folder
from exporters.ics import usable_email
from exporters.timetable_csv import TIMETABLE_COLUMNS, csv_text, read_ids, read_rows
from mail.imip import Invitation, Mailbox, build_message, occurrence_files, read_invitation
from mail.ledger import Ledger, SentMessage, delivered, read_ledger
from models import InputError, MailError, Problem, ScheduleError

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORT = {"starttls": 587, "ssl": 465, "none": 25}
RECIPIENTS_CSV = "recipients.csv"  # marks a --dry-run folder, which a later dry run may replace


class SendStopped(ScheduleError):
    """Ctrl-C during a send: what was accepted is in sent.csv; running again sends the rest."""

    exit_code = 130


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the organiser mailbox's mail server, as the lead's IT gives it."""

    host: str
    port: int | None = None  # None: 587 for starttls, 465 for ssl, 25 for none
    security: str = "starttls"  # starttls | ssl | none
    user: str | None = None  # log in when given
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0  # seconds to wait for the server at each step
    ssl_context: ssl.SSLContext | None = None  # None: the system's trusted certificates

    def __post_init__(self) -> None:
        if self.security not in SECURITY:
            raise ValueError(f"security must be one of {', '.join(SECURITY)}, not {self.security!r}")

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port or DEFAULT_PORT[self.security]}"


@dataclass(frozen=True)
class Unreachable:
    """Someone in the sessions being sent who has no email address: they must be told another way."""

    name: str
    occurrences: tuple[str, ...]


@dataclass(frozen=True)
class Refusal:
    """A recipient the server would not take for one invite (it stays pending for the next run)."""

    file: str
    email: str
    reason: str


@dataclass(frozen=True)
class Outgoing:
    """One message to send now: an invite file and the people still waiting for it."""

    invitation: Invitation
    recipients: tuple[Mailbox, ...]


@dataclass(frozen=True)
class SendPlan:
    """What a folder holds to send, and what is left of it after sent.csv."""

    folder: Path
    source: str  # "invites" (a solve's folder) or "outbox" (a re-plan's)
    invitations: tuple[Invitation, ...]  # every invite file of the source, in time order
    outgoing: tuple[Outgoing, ...]  # what this send sends
    already_sent: int  # invite files everyone in them already has (sent.csv)
    not_reachable: tuple[Unreachable, ...]
    people_known: bool  # False for a folder without input/: people without an email cannot be named
    # A re-plan's: the folders it was made from (its baseline, that one's, ...) with invitations
    # never sent (sent.csv), and how many; the people in them lack what those brought.
    unsent_before: tuple[tuple[Path, int], ...] = ()

    @property
    def without_email(self) -> tuple[str, ...]:
        """Invite files naming nobody who can be emailed."""
        return tuple(i.file for i in self.invitations if not i.attendees)


@dataclass(frozen=True)
class SendReport:
    """What one `send_folder` call did: its plan, and what the server accepted and refused."""

    plan: SendPlan
    sent: tuple[SentMessage, ...]  # accepted in this run (in a dry run: written as .eml)
    refused: tuple[Refusal, ...] = ()  # not recorded: they stay pending for the next run
    dry_run_dir: Path | None = None

    @property
    def complete(self) -> bool:
        """Everyone in every invite with an email address has it now (a dry run: never)."""
        return self.dry_run_dir is None and not self.refused and len(self.sent) == len(self.plan.outgoing)


# --- what to send -------------------------------------------------------------------------------
def source_of(folder: Path) -> str:
    """A re-plan's folder (it has changes.csv) sends its outbox/, which a re-plan with nothing to
    do leaves empty or unwritten: then nothing is sent, never the whole of invites/. A solve's
    folder sends its invites/."""
    if not folder.is_dir():
        raise InputError([Problem(str(folder), None, None, "is not a folder: give the output folder of "
                                  "`schedule solve` or `schedule whatif`")])
    if (folder / CHANGES_CSV).is_file():
        return "outbox"
    if (folder / "invites").is_dir():
        return "invites"
    raise InputError([Problem(str(folder), None, None,
                              "holds no invites/ (or outbox/): give an output folder written by "
                              "`schedule solve` or `schedule whatif` with a timetable")])


def plan_send(folder: Path | str, resend: Iterable[str] = ()) -> SendPlan:
    """Read the folder: every invite file of its source, what sent.csv says each person already has,
    and what is left to send (all of it again for the occurrences in `resend`); and, for a
    re-plan, which folders along its chain of baselines still hold invitations never sent."""
    plan = _plan(Path(folder), resend)
    return replace(plan, unsent_before=_unsent_before(plan.folder))


def _unsent_before(folder: Path) -> tuple[tuple[Path, int], ...]:
    """The folders `folder` was re-planned from, back along the chain (whatif.json's baseline),
    each with the number of its invitations never sent, where any were. A baseline moved, deleted
    or damaged since ends the chain: nothing can be said of it."""
    found: list[tuple[Path, int]] = []
    seen = {folder.resolve()}
    baseline = read_baseline_folder(folder)
    while baseline is not None and baseline.resolve() not in seen and (baseline / MARKER).is_file():
        seen.add(baseline.resolve())
        try:
            source = source_of(baseline)
            pending, _ = _outgoing(baseline, _invitations(baseline, source)[0], set())
        except ScheduleError:
            break
        if pending:
            found.append((baseline, len(pending)))
        baseline = read_baseline_folder(baseline)
    return tuple(found)


def _plan(folder: Path, resend: Iterable[str]) -> SendPlan:
    """plan_send for this folder alone."""
    source = source_of(folder)
    invitations, names = _invitations(folder, source)
    tables = _input_tables(folder)
    if source == "outbox":
        changed = _what_changed(folder, tables)
        invitations = [replace(i, change=changed.get(i.occurrence_id, "")) if i.method == "REQUEST" else i
                       for i in invitations]
    outgoing, already = _outgoing(folder, invitations, _resend_files(source, names, resend))
    unreachable, known = _not_reachable(folder, source, invitations, tables)
    return SendPlan(folder, source, tuple(invitations), tuple(outgoing), already, unreachable, known)


def _invitations(folder: Path, source: str) -> tuple[list[Invitation], list[str]]:
    """Every invite file of the folder's source, read, in time order; and their file names."""
    names = sorted(p.name for p in (folder / source).glob("*.ics") if p.is_file())
    invitations = [read_invitation(folder, f"{source}/{name}") for name in names]
    invitations.sort(key=lambda i: (_sort_time(i), i.file))
    return invitations, names


def _outgoing(folder: Path, invitations: list[Invitation], forced: set[str]) -> tuple[list[Outgoing], int]:
    """What is left to send after sent.csv (all of each file in `forced`), and how many invite
    files everyone in them already has."""
    have = delivered(read_ledger(folder))
    outgoing: list[Outgoing] = []
    already = 0
    for invitation in invitations:
        got = set() if invitation.file in forced else have.get(_key(invitation), set())
        waiting = tuple(a for a in invitation.attendees if a.email.lower() not in got)
        if waiting:
            outgoing.append(Outgoing(invitation, waiting))
        elif invitation.attendees:
            already += 1
    return outgoing, already


def _what_changed(folder: Path, tables: dict) -> dict[str, str]:
    """A re-plan's folder: occurrence id -> what the re-plan did to it, in words, for its updated
    invitation ("moved from Thu 09:00, Council Chamber"; "inspectors: Amelia Morgan instead of
    Naomi Bennett"), from changes.csv and the room names of input/ (`tables`); nothing for a
    changes.csv that cannot be read (the invitations still go)."""
    rooms = {r.cells.get("id", ""): r.cells.get("name", "") for r in _rows_of(tables, "rooms")}

    def room(room_id: str) -> str:
        return rooms.get(room_id) or room_id
    said = {}
    for row in read_changes(folder) or ():
        kind, who = row["change"], row["people_changed"]
        if kind in PEOPLE_FIELD and who and not who.startswith(f"{kind}: "):
            who = f"{kind}: {who}"  # changes.csv leaves out the label its change column gives
        where = {"moved": f"moved from {row['old_start']}, {room(row['old_room'])}",
                 "room": f"a new room (it was {room(row['old_room'])})"}.get(kind, "")
        said[row["occurrence_id"]] = "; ".join(part for part in (where, who) if part)
    return said


def _input_tables(folder: Path) -> dict | None:
    """The tables of the folder's input/ copy, read once per plan (None without it)."""
    from loader.tables import read_source

    return read_source(folder / "input").tables if (folder / "input").is_dir() else None


def _rows_of(tables: dict | None, table: str) -> list:
    return list(tables[table].rows) if tables and table in tables else []


def _key(invitation: Invitation) -> tuple[str, str, int, str]:
    return invitation.file, invitation.uid, invitation.sequence, invitation.method


def _sort_time(invitation: Invitation) -> str:
    return invitation.start.isoformat() if invitation.start else ""


def _resend_files(source: str, names: list[str], resend: Iterable[str]) -> set[str]:
    forced: set[str] = set()
    problems = []
    for occurrence in resend:
        files = {f"{source}/{name}" for name in occurrence_files(occurrence) if name in names}
        if not files:
            problems.append(Problem(f"{source}/", None, None,
                                    f"has no invite for occurrence {occurrence!r} (--resend): give an "
                                    "occurrence_id as timetable.csv writes it, e.g. KIT@Mon"))
        forced |= files
    if problems:
        raise InputError(problems)
    return forced


def _not_reachable(folder: Path, source: str, invitations: list[Invitation],
                   tables: dict | None) -> tuple[tuple[Unreachable, ...], bool]:
    """The people in the occurrences being sent who have no usable email, by name: for a solve,
    everyone in timetable.csv; for a re-plan, everyone each change notifies. Names and emails come
    from the folder's input/ copy; without it (or with a timetable.csv or changes.csv that cannot be
    read) nobody can be named (people_known False), which does not stop the invites going out.
    `tables`: the input/ copy's (None: it has none)."""
    if tables is None:
        return (), False
    who = _contacts(tables)
    sending = {i.occurrence_id for i in invitations}
    problems: list[Problem] = []
    if source == "outbox":
        changes = read_changes(folder, problems) or ()
        concerned = [(r["occurrence_id"], read_ids(r["notify"])) for r in changes]
        # Someone the lead took out of the workbook since the baseline is no longer in input/, but
        # changes.csv names them and their cancellation carries the address they had: by that name.
        invited = {(i.occurrence_id, a.name): a.email for i in invitations for a in i.attendees}
        for r in changes:
            for rid, name in zip(read_ids(r["notify"]), (r.get("notify_names") or "").split(";")):
                if rid not in who and (r["occurrence_id"], name) in invited:
                    who[rid] = (name, invited[r["occurrence_id"], name])
    else:
        rows = read_rows(folder / "timetable.csv", TIMETABLE_COLUMNS, problems)
        concerned = [(r["occurrence_id"], read_ids(r["inspectors"]) + read_ids(r["attendees"])) for _, r in rows]
    if problems:
        return (), False
    missing: dict[str, list[str]] = {}
    for occurrence, ids in concerned:
        if occurrence not in sending:
            continue
        for rid in ids:
            name, email = who.get(rid, (rid, ""))
            if usable_email(email) is None and occurrence not in missing.setdefault(name or rid, []):
                missing[name or rid].append(occurrence)
    return tuple(Unreachable(name, tuple(occ)) for name, occ in sorted(missing.items())), True


def _contacts(tables: dict | None) -> dict[str, tuple[str, str]]:
    """Inspector or person id -> (name, email), from an input/ copy's tables."""
    return {row.cells.get("id", ""): (row.cells.get("name", ""), row.cells.get("email", ""))
            for table in ("inspectors", "people") for row in _rows_of(tables, table)}


# --- sending ------------------------------------------------------------------------------------
def send_folder(folder: Path | str, smtp: SmtpSettings | None = None, *, dry_run_dir: Path | str | None = None,
                resend: Iterable[str] = (),
                on_progress: Callable[[int, int, str], None] | None = None) -> SendReport:
    """Email the invitations of an output folder as iMIP messages (RFC 6047), or write them as .eml.

    - `folder`: a `schedule solve` folder (every invite in invites/) or a `schedule whatif` folder
      (just its outbox/). One message per invite file, from the ORGANIZER, to each ATTENDEE.
    - `smtp`: where to send. Each message the server accepts is appended to folder/sent.csv and
      forced to disk before the next is sent; a message already in sent.csv is not sent again to
      anyone who has it, so a run cut short (Ctrl-C, a dropped connection, a refused recipient) is
      simply run again. Nothing is sent, and no connection is made, when nothing is missing.
    - `dry_run_dir`: instead of sending, write the messages this send would send as .eml files plus
      recipients.csv (person, email, files; people without an email with a blank email) into that
      folder (replaced whole; only an empty folder or an earlier dry run's). sent.csv is untouched.
    - `resend`: occurrence ids whose invite files are sent again to everyone in them.
    - `on_progress(done, total, file)`: called after each message.

    Returns a SendReport. Raises MailError (exit 3) when the server cannot be reached, refuses the
    login or stops taking messages (sent.csv then holds exactly what it accepted), InputError (exit
    2) for a folder or sent.csv that cannot be read, SendStopped on Ctrl-C (after the message in
    flight is recorded).
    """
    if (smtp is None) == (dry_run_dir is None):
        raise ValueError("give exactly one of smtp and dry_run_dir")
    if dry_run_dir is not None:
        plan = plan_send(folder, resend)
        sent = write_dry_run(plan, Path(dry_run_dir))
        return SendReport(plan, tuple(sent), dry_run_dir=Path(dry_run_dir))
    with _only_sender(Path(folder)):  # planned under the lock: two sends cannot both see a gap
        plan = plan_send(folder, resend)
        sent, refused = _deliver(plan, smtp, on_progress)
    return SendReport(plan, tuple(sent), tuple(refused))


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _message_id(invitation: Invitation) -> str:
    return make_msgid(domain=invitation.organiser.email.rsplit("@", 1)[1])


def _record(item: Outgoing, accepted: tuple[Mailbox, ...], message_id: str, at: datetime) -> SentMessage:
    i = item.invitation
    return SentMessage(uid=i.uid, sequence=i.sequence, method=i.method, file=i.file,
                       recipients=tuple(a.email for a in accepted), message_id=message_id,
                       sent_at=at.strftime("%Y-%m-%dT%H:%M:%SZ"))


def write_dry_run(plan: SendPlan, out_dir: Path) -> list[SentMessage]:
    """The messages as .eml files (named after their invite files) and recipients.csv."""
    files: dict[str, bytes] = {}
    made: list[SentMessage] = []
    by_person: dict[tuple[str, str], list[str]] = {}
    for item in plan.outgoing:
        at, message_id = _now(), _message_id(item.invitation)
        name = _eml_name(item.invitation)
        files[name] = bytes(build_message(item.invitation, item.recipients, message_id=message_id, sent_at=at))
        made.append(_record(item, item.recipients, message_id, at))
        for r in item.recipients:
            by_person.setdefault((r.name, r.email), []).append(name)
    emls = {i.occurrence_id: [_eml_name(item.invitation) for item in plan.outgoing
                              if item.invitation.occurrence_id == i.occurrence_id] for i in plan.invitations}
    for person in plan.not_reachable:
        by_person[(person.name, "")] = [n for occ in person.occurrences for n in emls.get(occ, ())]
    rows = sorted((name, email, ";".join(names)) for (name, email), names in by_person.items())
    files[RECIPIENTS_CSV] = csv_text(("person", "email", "files"), rows).encode("utf-8")
    replace_folder(out_dir, files, marker=RECIPIENTS_CSV, option="--dry-run folder",
                   keep={"output folder": plan.folder})
    return made


def _eml_name(invitation: Invitation) -> str:
    return invitation.file.rsplit("/", 1)[-1][: -len(".ics")] + ".eml"


def _deliver(plan: SendPlan, smtp: SmtpSettings,
             on_progress: Callable[[int, int, str], None] | None) -> tuple[list[SentMessage], list[Refusal]]:
    sent: list[SentMessage] = []
    refused: list[Refusal] = []
    if not plan.outgoing:
        return sent, refused
    total = len(plan.outgoing)

    def so_far() -> str:
        return (f"{len(sent)} of {total} message(s) were accepted before this and are recorded in "
                f"{plan.folder / 'sent.csv'}; send again to send the rest")

    server = _connect(smtp)
    try:
        with Ledger(plan.folder) as ledger, _finish_current_message() as interrupted:
            for item in plan.outgoing:
                if interrupted():
                    raise SendStopped(f"stopped by Ctrl-C: {so_far()}")
                at, message_id = _now(), _message_id(item.invitation)
                # An address beyond ASCII needs a server that takes them (SMTPUTF8): where it does not,
                # that person is refused here, as a server refuses one, and the others get theirs.
                beyond = {} if server.has_extn("smtputf8") else {
                    r.email: NO_SMTPUTF8 for r in item.recipients if not r.email.isascii()}
                recipients = tuple(r for r in item.recipients if r.email not in beyond)
                message = build_message(item.invitation, recipients, message_id=message_id, sent_at=at)
                try:
                    rejected = server.send_message(message, from_addr=item.invitation.organiser.email,
                                                   to_addrs=[r.email for r in recipients]) if recipients else {}
                except smtplib.SMTPRecipientsRefused as err:
                    rejected = err.recipients
                except (smtplib.SMTPException, OSError) as err:
                    raise MailError(f"the mail server {smtp.address} stopped taking messages at "
                                    f"{item.invitation.file} ({_reason(err)}); {so_far()}") from None
                except KeyboardInterrupt:  # a second Ctrl-C while a message was in flight
                    raise SendStopped(f"stopped by Ctrl-C while sending {item.invitation.file}, which may "
                                      f"have gone out without being recorded; {so_far()}") from None
                rejected = {**beyond, **rejected}
                accepted = tuple(r for r in item.recipients if r.email not in rejected)
                refused += [Refusal(item.invitation.file, email, _reason(reply))
                            for email, reply in rejected.items()]
                if accepted:
                    record = _record(item, accepted, message_id, at)
                    ledger.record(record)
                    sent.append(record)
                if on_progress:
                    on_progress(len(sent), total, item.invitation.file)
    finally:
        _close(server)
    return sent, refused


NO_SMTPUTF8 = ("the address has letters beyond ASCII, which this mail server does not take (it does not offer "
               "SMTPUTF8): ask IT, or give the person an address without them in the workbook")


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    """An open, secured and logged-in connection, or MailError saying plainly what went wrong."""
    port = smtp.port or DEFAULT_PORT[smtp.security]
    context = smtp.ssl_context or ssl.create_default_context()
    server = None
    try:
        if smtp.security == "ssl":
            server = smtplib.SMTP_SSL(smtp.host, port, timeout=smtp.timeout, context=context)
        else:
            server = smtplib.SMTP(smtp.host, port, timeout=smtp.timeout)
        if smtp.security == "starttls":
            server.starttls(context=context)
            server.ehlo()
        if smtp.user:
            server.login(smtp.user, smtp.password or "")
        server.ehlo_or_helo_if_needed()  # what the server offers (SMTPUTF8) is known before the first message
        return server
    except smtplib.SMTPAuthenticationError as err:
        _close(server)
        raise MailError(f"the mail server {smtp.address} refused the login for {smtp.user!r} "
                        f"({_reason(err)}); nothing was sent") from None
    except smtplib.SMTPNotSupportedError as err:
        _close(server)
        what = "a login (AUTH)" if smtp.security != "starttls" or "STARTTLS" not in str(err) else "STARTTLS"
        raise MailError(f"the mail server {smtp.address} does not offer {what}: check the security "
                        f"setting (starttls, ssl or none) your IT gave you; nothing was sent") from None
    except (smtplib.SMTPException, OSError) as err:
        _close(server)
        raise MailError(f"cannot reach the mail server {smtp.address} ({_reason(err)}); nothing was sent") from None


def _close(server: smtplib.SMTP | None) -> None:
    if server is None:
        return
    try:
        server.quit()
    except (smtplib.SMTPException, OSError):
        server.close()


def _reason(err: object) -> str:
    """The server's words (code and text), or the network's."""
    if isinstance(err, tuple) and len(err) == 2:  # (code, message) from a refused recipient
        code, text = err
        return f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}".strip()
    if isinstance(err, smtplib.SMTPResponseException):
        return _reason((err.smtp_code, err.smtp_error))
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return str(err) or type(err).__name__


@contextmanager
def _only_sender(folder: Path):
    """One send per folder at a time (say the workbench's Send button pressed twice, or the CLI
    run beside it): an exclusive lock on the folder itself, released when the send ends. Where the
    system has no flock (Windows), sends are not guarded against each other."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        yield  # plan_send says what is wrong with the folder
        return
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise MailError(f"another send of {folder} is running: wait for it to finish, then send "
                            "again if anything is left") from None
        yield
    finally:
        os.close(handle)  # closing releases the lock


@contextmanager
def _finish_current_message():
    """Ctrl-C while a message is in flight stops the send after that message is recorded, so
    sent.csv never misses a message the server took; a second Ctrl-C stops at once. (Only the main
    thread receives signals; elsewhere, e.g. in the workbench, this does nothing.)"""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    asked: list[bool] = []

    def ask(signum, frame) -> None:
        if asked:
            raise KeyboardInterrupt
        asked.append(True)

    previous = signal.signal(signal.SIGINT, ask)
    try:
        yield lambda: bool(asked)
    finally:
        signal.signal(signal.SIGINT, previous)


__all__ = ["DEFAULT_PORT", "RECIPIENTS_CSV", "SECURITY", "Refusal", "SendPlan", "SendReport", "SendStopped",
           "SmtpSettings", "Unreachable", "plan_send", "send_folder", "source_of", "write_dry_run"]
