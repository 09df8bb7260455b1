"""`schedule send` against a real SMTP server: aiosmtpd on 127.0.0.1, started here.

What a lead relies on: one iMIP message per invite file to exactly its attendees, the calendar part
byte-identical to the file with a method matching its METHOD, and a ledger (sent.csv) that makes
every rerun send only what is missing, so nobody ever gets a message twice.
"""
from __future__ import annotations

import csv
import datetime as dt
import email
import html
import email.policy
import json
import shutil
import socket
import subprocess
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address
from pathlib import Path

import icalendar
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner

from cli import main
from exporters.changes import whatif_files
from exporters.folder import write_output
from mail import SENT_CSV, SmtpSettings, read_ledger, send_folder
from models import SolveResult
from models.changes import changes_between
from tests.builders import activity, inspection, inspector, person, room, session, timetable
from tests.test_ics import ICALJS_SCRIPT, ROOT


# --- a real SMTP server -------------------------------------------------------------------------
@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage
    login: str | None


@dataclass
class Handler:
    """Keeps what it accepts; with `refuse_after`, answers 451 to every message after that many."""

    refuse_after: int | None = None
    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_after is not None and len(self.received) >= self.refuse_after:
            return "451 4.3.2 Too many messages, try again later"
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        login = session.auth_data.login.decode() if session.authenticated else None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, login))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """Start servers on 127.0.0.1 (each call: one more), all stopped at the end of the test."""
    started: list[Controller] = []

    def start(handler: Handler | None = None, **kwargs) -> tuple[Handler, int]:
        handler = handler or Handler()
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        started.append(controller)
        return handler, port

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def folder(solved_example, tmp_path) -> Path:
    """A copy of the solved example (sending writes sent.csv into it)."""
    return Path(shutil.copytree(solved_example, tmp_path / "out"))


def send(*args: str, env: dict | None = None):
    result = CliRunner().invoke(main, ["send", *map(str, args)], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def plain(port: int) -> list[str]:
    return ["--smtp-host", "127.0.0.1", "--smtp-port", str(port), "--smtp-security", "none"]


def invite_files(out: Path, source: str = "invites") -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / source).glob("*.ics"))}


def attendee_emails(data) -> list[str]:
    """The ATTENDEE addresses of an invite file (its bytes, or its parsed VEVENT)."""
    event = icalendar.Calendar.from_ical(data).walk("VEVENT")[0] if isinstance(data, bytes) else data
    attendees = event.get("ATTENDEE", [])
    attendees = attendees if isinstance(attendees, list) else [attendees]
    return [str(a).removeprefix("mailto:") for a in attendees]


def calendar_part(message: email.message.EmailMessage):
    return next(p for p in message.walk() if p.get_content_type() == "text/calendar")


def delivered_by_uid(*handlers: Handler) -> dict[str, int]:
    counts: dict[str, int] = {}
    for handler in handlers:
        for got in handler.received:
            uid = str(icalendar.Calendar.from_ical(calendar_part(got.message).get_payload(decode=True))
                      .walk("VEVENT")[0]["UID"])
            counts[uid] = counts.get(uid, 0) + 1
    return counts


# --- the whole example, over plain SMTP ---------------------------------------------------------
def test_one_imip_message_per_invite_to_exactly_its_attendees(folder, smtp_server, tmp_path):
    handler, port = smtp_server()
    result = send(folder, *plain(port))
    assert result.exit_code == 0, result.output
    assert "cannot be listed" not in result.output  # the folder's input/ names everyone
    assert "Not reachable" not in result.output  # everyone in the example has an email

    files = invite_files(folder)
    assert len(handler.received) == len(files) > 50
    by_calendar = {calendar_part(r.message).get_payload(decode=True): r for r in handler.received}
    assert set(by_calendar) == set(files.values())  # each file's bytes arrived exactly, once
    organiser = "jtai.scheduling@northmere.gov.uk"  # the example's settings organiser_email
    for name, data in files.items():
        got = by_calendar[data]
        calendar = icalendar.Calendar.from_ical(data)
        event = calendar.walk("VEVENT")[0]
        assert got.mail_from == organiser
        assert sorted(got.rcpt_tos) == sorted(attendee_emails(event)), name
        assert got.message.get_content_type() == "multipart/alternative"
        kinds = [p.get_content_type() for p in got.message.iter_parts()]
        assert kinds == ["text/plain", "text/html", "text/calendar"]
        part = calendar_part(got.message)
        assert part.get_param("method") == str(calendar["METHOD"]) == "REQUEST"
        assert part.get_content_charset() == "utf-8"
        assert str(event["SUMMARY"]) in got.message.get_body(("plain",)).get_content()
        assert sorted(a.addr_spec for a in got.message["To"].addresses) == sorted(got.rcpt_tos)

    # ical.js reads every calendar part as the event of its file: same UID, attendees, start
    received = tmp_path / "received"
    received.mkdir()
    paths = {}
    for index, got in enumerate(handler.received):
        path = received / f"{index}.ics"
        path.write_bytes(calendar_part(got.message).get_payload(decode=True))
        paths[str(path)] = got
    parsed = read_icaljs_all(list(paths))
    for path, got in paths.items():
        event = icalendar.Calendar.from_ical(Path(path).read_bytes()).walk("VEVENT")[0]
        assert parsed[path]["method"] == "REQUEST"
        [read] = parsed[path]["events"]
        assert read["uid"] == str(event["UID"])
        assert read["start"] == event.decoded("DTSTART").astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert sorted(a["email"] for a in read["attendees"]) == sorted(got.rcpt_tos)

    # the ledger: one row per message, with the Message-ID the server saw
    ledger = read_ledger(folder)
    assert len(ledger) == len(files)
    assert {m.message_id for m in ledger} == {r.message["Message-ID"] for r in handler.received}
    assert {m.file for m in ledger} == {f"invites/{name}" for name in files}

    # a second send sends nothing; --resend OCCURRENCE sends that one invite again
    first = (folder / SENT_CSV).read_bytes()
    again = send(folder, *plain(port))
    assert again.exit_code == 0 and "Nothing to send" in again.output, again.output
    assert len(handler.received) == len(files) and (folder / SENT_CSV).read_bytes() == first
    occurrence = "KIT@Mon"
    forced = send(folder, *plain(port), "--resend", occurrence)
    assert forced.exit_code == 0, forced.output
    assert len(handler.received) == len(files) + 1
    assert calendar_part(handler.received[-1].message).get_payload(decode=True) == files[f"{occurrence}.ics"]
    assert len(read_ledger(folder)) == len(files) + 1
    unknown = send(folder, *plain(port), "--resend", "NO-SUCH")
    assert unknown.exit_code == 2 and "NO-SUCH" in unknown.output


def read_icaljs_all(paths: list[str]) -> dict:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "ical.js").is_dir():
        pytest.skip("node or node_modules/ical.js missing (CI installs them with `npm ci`)")
    run = subprocess.run([node, str(ICALJS_SCRIPT), *paths], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_a_server_that_refuses_after_the_fifth_message_then_a_rerun_delivers_each_invite_once(folder, smtp_server):
    refusing, port = smtp_server(Handler(refuse_after=5))
    cut = send(folder, *plain(port))
    assert cut.exit_code == 3, cut.output
    assert "451" in cut.output and "5 of" in cut.output and "send again" in cut.output
    assert len(refusing.received) == 5
    assert len(read_ledger(folder)) == 5  # exactly what the server accepted

    working, port = smtp_server()
    rerun = send(folder, *plain(port))
    assert rerun.exit_code == 0, rerun.output
    files = invite_files(folder)
    assert len(working.received) == len(files) - 5
    counts = delivered_by_uid(refusing, working)
    assert len(counts) == len(files) and set(counts.values()) == {1}
    assert len(read_ledger(folder)) == len(files)


def test_dry_run_writes_the_messages_and_sends_nothing(folder, smtp_server, tmp_path):
    handler, port = smtp_server()
    out = tmp_path / "eml"
    result = send(folder, "--dry-run", out, *plain(port))
    assert result.exit_code == 0, result.output
    assert handler.received == [] and not (folder / SENT_CSV).exists()
    files = invite_files(folder)
    emls = sorted(out.glob("*.eml"))
    assert sorted(p.stem for p in emls) == sorted(Path(n).stem for n in files)
    for path in emls:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert calendar_part(message).get_payload(decode=True) == files[path.stem + ".ics"]
    with open(out / "recipients.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    named: dict[str, set[str]] = {}  # email -> the .eml files of the invites naming it
    for name, data in files.items():
        for address in attendee_emails(data):
            named.setdefault(address, set()).add(Path(name).stem + ".eml")
    assert {r["email"]: set(r["files"].split(";")) for r in rows} == named


def test_a_closed_port_exits_3_without_a_traceback(folder):
    result = send(folder, *plain(free_port()))
    assert result.exit_code == 3
    assert "cannot reach the mail server" in result.output and "nothing was sent" in result.output
    assert not (folder / SENT_CSV).exists()


def test_no_server_given_is_a_usage_error(folder):
    result = send(folder, env={"SCHEDULE_SMTP_HOST": ""})
    assert result.exit_code == 2 and "--smtp-host" in result.output


# --- STARTTLS and a login ---------------------------------------------------------------------
@pytest.fixture
def certificate(tmp_path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 (cert file, key file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def tls_server(smtp_server, certificate) -> tuple[Handler, int]:
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (b"lead", b"s3cret pass")
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    return smtp_server(tls_context=context, require_starttls=True, authenticator=authenticate,
                       auth_require_tls=True)


def test_starttls_and_login_with_the_password_from_the_environment(folder, smtp_server, certificate):
    handler, port = tls_server(smtp_server, certificate)
    args = ["--smtp-host", "127.0.0.1", "--smtp-port", str(port), "--smtp-user", "lead"]
    # The system's trust store is asked for the server's certificate: point it at the throwaway one.
    env = {"SSL_CERT_FILE": str(certificate[0])}
    wrong = send(folder, *args, env={**env, "SCHEDULE_SMTP_PASSWORD": "guess"})
    assert wrong.exit_code == 3 and "refused the login" in wrong.output
    assert not (folder / SENT_CSV).exists() and handler.received == []

    result = send(folder, *args, env={**env, "SCHEDULE_SMTP_PASSWORD": "s3cret pass"})
    assert result.exit_code == 0, result.output
    assert len(handler.received) == len(invite_files(folder))
    assert {r.login for r in handler.received} == {"lead"}
    assert "s3cret" not in result.output


def test_implicit_ssl(replan, smtp_server, certificate):
    import ssl

    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(*certificate)
    handler, port = smtp_server(ssl_context=server_context)
    client = ssl.create_default_context(cafile=str(certificate[0]))
    report = send_folder(replan, SmtpSettings("127.0.0.1", port, security="ssl", ssl_context=client))
    assert len(report.sent) == len(handler.received) == 2


def test_an_untrusted_certificate_is_refused_plainly(folder, smtp_server, certificate):
    handler, port = tls_server(smtp_server, certificate)
    result = send(folder, "--smtp-host", "127.0.0.1", "--smtp-port", str(port),
                  env={"SCHEDULE_SMTP_PASSWORD": "s3cret pass", "SSL_CERT_FILE": str(certificate[0].with_name("none.pem"))})
    assert result.exit_code == 3 and "certificate" in result.output.lower()
    assert handler.received == []


# --- a re-plan's outbox, people without an email, refused recipients ----------------------------
def tiny_inspection(p1_email: str = "p1@partner.example.org"):
    return inspection(
        inspectors=[inspector("OF1")],
        people=[person("P1", email=p1_email), person("P2", name="Pat Noemail", email=""), person("P3")],
        rooms=[room("R1")],
        activities=[activity("A", inspectors=("OF1",), attendees=("P1", "P2")),
                    activity("B", inspectors=("OF1",), attendees=("P3",))])


@pytest.fixture
def replan(tmp_path) -> Path:
    """A hand-made re-plan folder: A moved (a REQUEST with SEQUENCE 1), B cancelled; P2 has no email."""
    return replan_folder(tmp_path / "replan")


def replan_folder(out: Path, p1_email: str = "p1@partner.example.org") -> Path:
    insp = tiny_inspection(p1_email)
    before = timetable(insp, session("A", 0, 600, 660, "R1", ("OF1",), ("P1", "P2")),
                       session("B", 0, 780, 840, "R1", ("OF1",), ("P3",)))
    after = timetable(insp, replace(session("A", 1, 600, 660, "R1", ("OF1",), ("P1", "P2")), sequence=1))
    result = SolveResult(status="OPTIMAL", timetable=after, objective=0, best_bound=0, wall_seconds=0.0, seed=0)
    write_output(result, out, source=None, extra_files=whatif_files(before, after, changes_between(before, after)))
    (out / "input").mkdir(exist_ok=True)
    (out / "input" / "inspectors.csv").write_text(
        "id,name,email,inspectorate\r\nOF1,Inspector OF1,of1@inspect.example.org,Ofsted\r\n", encoding="utf-8")
    (out / "input" / "people.csv").write_text(
        f"id,name,email,agency,role\r\nP1,Person P1,{p1_email},CSC,practitioner\r\n"
        "P2,Pat Noemail,,CSC,practitioner\r\nP3,Person P3,p3@partner.example.org,CSC,practitioner\r\n",
        encoding="utf-8")
    return out


def test_a_replan_sends_just_its_outbox_from_its_own_ledger(replan, smtp_server):
    assert sorted(invite_files(replan, "outbox")) == ["A.ics", "B.ics"]
    handler, port = smtp_server()
    result = send(replan, *plain(port))
    assert result.exit_code == 0, result.output
    got = {calendar_part(r.message).get_param("method"): r for r in handler.received}
    assert set(got) == {"REQUEST", "CANCEL"} and len(handler.received) == 2
    assert sorted(got["REQUEST"].rcpt_tos) == ["of1@inspect.example.org", "p1@partner.example.org"]
    assert sorted(got["CANCEL"].rcpt_tos) == ["of1@inspect.example.org", "p3@partner.example.org"]
    assert got["CANCEL"].message["Subject"].startswith("Cancelled:")
    assert got["REQUEST"].message["Subject"].startswith("Updated invitation:")
    # The update says where it was before (the calendar just moves the event); the cancel has no such line.
    assert "Changed:   moved from Mon 10:00, R1" in got["REQUEST"].message.get_body(("plain",)).get_content()
    assert "<th style=\"text-align:left;padding-right:1em\">Changed</th><td>moved from Mon 10:00, R1</td>" \
        in got["REQUEST"].message.get_body(("html",)).get_content()
    assert "Changed" not in got["CANCEL"].message.get_body(("plain",)).get_content()
    assert {m.file for m in read_ledger(replan)} == {"outbox/A.ics", "outbox/B.ics"}
    assert "Pat Noemail" in result.output and "Not reachable" in result.output
    assert send(replan, *plain(port)).exit_code == 0 and len(handler.received) == 2


def test_a_replan_with_nothing_to_do_sends_nothing(tmp_path, smtp_server):
    """Its changes.csv is empty and it has no outbox/: not one of its invites/ goes out."""
    insp = tiny_inspection()
    same = timetable(insp, session("A", 0, 600, 660, "R1", ("OF1",), ("P1", "P2")))
    out = tmp_path / "replan"
    result = SolveResult(status="OPTIMAL", timetable=same, objective=0, best_bound=0, wall_seconds=0.0, seed=0)
    write_output(result, out, source=None, extra_files=whatif_files(same, same, ()))
    assert (out / "invites" / "A.ics").is_file() and list((out / "outbox").iterdir()) == []
    handler, port = smtp_server()
    sent = send(out, *plain(port))
    assert sent.exit_code == 0 and "Nothing to send" in sent.output and "outbox/" in sent.output
    assert handler.received == []


def test_people_without_an_email_are_listed_in_a_dry_run(replan, tmp_path):
    out = tmp_path / "eml"
    result = send(replan, "--dry-run", out)
    assert result.exit_code == 0, result.output
    with open(out / "recipients.csv", encoding="utf-8", newline="") as handle:
        rows = {r["person"]: r for r in csv.DictReader(handle)}
    assert rows["Pat Noemail"]["email"] == "" and rows["Pat Noemail"]["files"] == "A.eml"
    assert rows["Person P3"]["files"] == "B.eml"
    # a second dry run may replace the first one's folder, never an output folder
    assert send(replan, "--dry-run", out).exit_code == 0
    refused = send(replan, "--dry-run", replan)
    assert refused.exit_code == 2 and "the output folder is never modified" in refused.output
    assert (replan / "solve.json").is_file()



def test_a_replan_folder_from_before_people_changed_still_names_who_cannot_be_reached(replan):
    """changes.csv gained its last column, people_changed, and later put SPEC §5's columns first,
    after folders were out in the world: `send` still reads the earlier headers (and refuses any other)."""
    from mail import plan_send

    changes = replan / "changes.csv"
    with open(changes, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[-1] == "people_changed"
    title_second = ["occurrence_id", "title", "change", "old_start", "new_start", "old_room", "new_room", "notify",
                    "notify_names", "people_changed"]
    for header in (title_second, title_second[:-1]):
        with open(changes, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([header, *([row[c] for c in header] for row in rows)])
        earlier = plan_send(replan)
        assert [p.name for p in earlier.not_reachable] == ["Pat Noemail"] and earlier.people_known
    with open(changes, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([title_second[:-2], *([row[c] for c in title_second[:-2]] for row in rows)])
    unknown = plan_send(replan)  # a header of no version: nobody can be named, and it says so
    assert unknown.not_reachable == () and unknown.people_known is False


def test_an_update_names_the_room_it_was_in_and_who_came_and_went(tmp_path):
    """What changed, in the recipients' words: the room by its name from input/, and a change of
    people as changes.csv says it, also for a session that moved."""
    from mail import plan_send

    insp = tiny_inspection()
    before = timetable(insp, session("A", 0, 600, 660, "R1", ("OF1",), ("P1",)),
                       session("B", 0, 780, 840, "R1", ("OF1",), ("P3",)))
    after = timetable(insp, replace(session("A", 0, 600, 660, "R1", ("OF1",), ("P1", "P3")), sequence=1),
                      replace(session("B", 1, 780, 840, "R1", ("OF1",), ("P3", "P1")), sequence=1))
    out = tmp_path / "replan"
    result = SolveResult(status="OPTIMAL", timetable=after, objective=0, best_bound=0, wall_seconds=0.0, seed=0)
    write_output(result, out, source=None, extra_files=whatif_files(before, after, changes_between(before, after)))
    (out / "input").mkdir(exist_ok=True)
    (out / "input" / "rooms.csv").write_text("id,name,site\r\nR1,Council Chamber,Civic Centre\r\n", encoding="utf-8")
    said = {i.occurrence_id: i.change for i in plan_send(out).invitations}
    assert said == {"A": "attendees: with Person P3 too",
                    "B": "moved from Mon 13:00, Council Chamber; attendees: with Person P1 too"}


def test_a_replan_says_which_timetables_it_was_made_from_were_never_sent(tmp_path, smtp_server):
    """whatif.json records the baseline folder; send looks back along the chain (a re-plan of a
    re-plan of a solve) and names each folder whose invitations never went out, until they have."""
    from mail import plan_send
    from models.changes import WhatIf

    insp = tiny_inspection()
    first = timetable(insp, session("A", 0, 600, 660, "R1", ("OF1",), ("P1",)),
                      session("B", 0, 780, 840, "R1", ("OF1",), ("P3",)))
    second = timetable(insp, replace(session("A", 1, 600, 660, "R1", ("OF1",), ("P1",)), sequence=1),
                       session("B", 0, 780, 840, "R1", ("OF1",), ("P3",)))
    third = timetable(insp, replace(session("A", 1, 600, 660, "R1", ("OF1",), ("P1",)), sequence=1),
                      replace(session("B", 2, 780, 840, "R1", ("OF1",), ("P3",)), sequence=1))

    def written(t, out, before=None, baseline_dir=None):
        result = SolveResult(status="OPTIMAL", timetable=t, objective=0, best_bound=0, wall_seconds=0.0, seed=0)
        extra = None if before is None else whatif_files(before, t, changes_between(before, t), WhatIf(),
                                                         baseline_dir=baseline_dir)
        write_output(result, out, source=None, extra_files=extra)
        return out
    base = written(first, tmp_path / "base")
    w1 = written(second, tmp_path / "w1", first, base)
    w2 = written(third, tmp_path / "w2", second, w1)
    assert plan_send(base).unsent_before == ()  # a solve's folder has no baseline
    assert plan_send(w2).unsent_before == ((w1.resolve(), 1), (base.resolve(), 2))
    result = send(w2, "--dry-run", tmp_path / "eml")
    assert f"Note: {w1.resolve()}, which this timetable was re-planned from, holds 1 invitation(s) `schedule send` " \
        "has not sent" in " ".join(result.output.split())
    _, port = smtp_server()
    assert send(base, *plain(port)).exit_code == 0
    assert plan_send(w2).unsent_before == ((w1.resolve(), 1),)
    assert send(w1, *plain(port)).exit_code == 0
    assert plan_send(w2).unsent_before == ()
    shutil.rmtree(w1)  # a baseline gone since ends the chain: nothing can be said of it
    assert plan_send(w2).unsent_before == ()

def test_someone_taken_out_of_the_workbook_is_reached_by_their_cancellation_not_listed_as_unreachable(tmp_path):
    """P3 left the inspection: the lead deleted their row and their session B, and the re-plan
    cancels B. The cancellation goes to P3's address (as in the baseline's input/), so P3 is not
    'not reachable by email', which a lead would otherwise chase by phone."""
    from mail import plan_send
    from models.changes import WhatIf

    insp = tiny_inspection()
    before = timetable(insp, session("A", 0, 600, 660, "R1", ("OF1",), ("P1", "P2")),
                       session("B", 0, 780, 840, "R1", ("OF1",), ("P3",)))
    after = timetable(insp, session("A", 0, 600, 660, "R1", ("OF1",), ("P1", "P2")))

    def people(folder, *rows):
        (folder / "input").mkdir(exist_ok=True)
        (folder / "input" / "people.csv").write_text("id,name,email,agency,role\r\n" + "".join(
            f"{i},{name},{email},CSC,practitioner\r\n" for i, name, email in rows), encoding="utf-8")
        (folder / "input" / "inspectors.csv").write_text(
            "id,name,email,inspectorate\r\nOF1,Inspector OF1,of1@inspect.example.org,Ofsted\r\n", encoding="utf-8")
    result = SolveResult(status="OPTIMAL", timetable=before, objective=0, best_bound=0, wall_seconds=0.0, seed=0)
    write_output(result, tmp_path / "base", source=None)
    everyone = [("P1", "Person P1", "p1@partner.example.org"), ("P2", "Pat Noemail", ""),
                ("P3", "Person P3", "p3@partner.example.org")]
    people(tmp_path / "base", *everyone)
    result = replace(result, timetable=after)
    write_output(result, tmp_path / "w1", source=None, extra_files=whatif_files(
        before, after, changes_between(before, after), WhatIf(), baseline_dir=tmp_path / "base"))
    people(tmp_path / "w1", *everyone[:2])
    plan = plan_send(tmp_path / "w1")
    assert [i.file for i in plan.invitations] == ["outbox/B.ics"]
    assert [a.email for a in plan.outgoing[0].recipients] == ["of1@inspect.example.org", "p3@partner.example.org"]
    assert plan.not_reachable == () and plan.people_known
    shutil.move(tmp_path / "base", tmp_path / "moved")  # the baseline folder gone since: still known
    assert plan_send(tmp_path / "w1").not_reachable == ()


class RefuseOne(Handler):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("p1@"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_refused_recipient_is_not_recorded_and_gets_it_on_the_next_run(replan, smtp_server):
    refusing, port = smtp_server(RefuseOne())
    first = send(replan, *plain(port))
    assert first.exit_code == 3 and "p1@partner.example.org" in first.output and "550" in first.output
    assert len(refusing.received) == 2  # the others still got theirs
    assert "p1@partner.example.org" not in {r for m in read_ledger(replan) for r in m.recipients}
    working, port = smtp_server()
    second = send(replan, *plain(port))
    assert second.exit_code == 0, second.output
    assert [r.rcpt_tos for r in working.received] == [["p1@partner.example.org"]]


def test_an_address_beyond_ascii_on_a_server_without_smtputf8_is_refused_alone(tmp_path, smtp_server):
    """A server that does not offer SMTPUTF8 cannot take 'anna.cläre@...': that person is refused
    (not recorded, so a later run to a server that takes it sends it), and everyone else in the
    same and later messages still gets theirs, on every run, instead of the send stopping there."""
    replan = replan_folder(tmp_path / "replan", p1_email="p1.cläre@partner.example.org")
    plain_ascii, port = smtp_server(enable_SMTPUTF8=False)
    first = send(replan, *plain(port))
    assert first.exit_code == 3 and "p1.cläre@partner.example.org" in first.output and "SMTPUTF8" in first.output
    assert sorted(map(sorted, (r.rcpt_tos for r in plain_ascii.received))) == [
        ["of1@inspect.example.org"], ["of1@inspect.example.org", "p3@partner.example.org"]]
    assert send(replan, *plain(port)).exit_code == 3 and len(plain_ascii.received) == 2  # nothing twice
    utf8, port = smtp_server()
    assert send(replan, *plain(port)).exit_code == 0
    assert [r.rcpt_tos for r in utf8.received] == [["p1.cläre@partner.example.org"]]


def test_the_library_entry_point_reports_what_it_did(replan, smtp_server):
    handler, port = smtp_server()
    report = send_folder(replan, SmtpSettings("127.0.0.1", port, security="none"))
    assert report.plan.source == "outbox" and len(report.plan.invitations) == 2
    assert len(report.sent) == 2 and report.complete
    assert [p.name for p in report.plan.not_reachable] == ["Pat Noemail"]
    again = send_folder(replan, SmtpSettings("127.0.0.1", port, security="none"))
    assert again.sent == () and again.plan.already_sent == 2


def test_ctrl_c_stops_after_the_message_in_flight_is_recorded(replan, smtp_server):
    import os
    import signal

    from mail import SendStopped

    handler, port = smtp_server()

    def press_ctrl_c(done, total, file):  # as if Ctrl-C came while the first message was out
        if done == 1:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(SendStopped, match="1 of 2"):
        send_folder(replan, SmtpSettings("127.0.0.1", port, security="none"), on_progress=press_ctrl_c)
    assert len(handler.received) == 1 and len(read_ledger(replan)) == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
    rest = send_folder(replan, SmtpSettings("127.0.0.1", port, security="none"))
    assert len(rest.sent) == 1 and len(handler.received) == 2


def test_two_sends_of_one_folder_at_once_cannot_both_send(replan, smtp_server):
    import os

    fcntl = pytest.importorskip("fcntl")

    handler, port = smtp_server()
    held = os.open(replan, os.O_RDONLY)  # as a send already running would hold it
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = send(replan, *plain(port))
        assert result.exit_code == 3 and "another send" in result.output
        assert handler.received == []
    finally:
        os.close(held)
    assert send(replan, *plain(port)).exit_code == 0 and len(handler.received) == 2


# --- the message itself (pure: no server) -------------------------------------------------------
def test_hostile_names_and_titles_cannot_add_headers_or_recipients():
    from datetime import datetime, timezone

    from exporters.ics import render_invite
    from mail import build_message, parse_invitation
    from tests.test_ics import emails, hostile_week

    t = hostile_week()
    kit = t.sessions[0]
    data = render_invite(t, kit)
    invitation = parse_invitation("invites/KIT.ics", data)
    message = build_message(invitation, invitation.attendees, message_id="<m@northmere.gov.uk>",
                            sent_at=datetime(2025, 11, 3, 9, 0, tzinfo=timezone.utc))
    back = email.message_from_bytes(bytes(message), policy=email.policy.default)
    assert sorted(back.keys()) == sorted(["Subject", "From", "To", "Date", "Message-ID", "Content-Class",
                                          "MIME-Version", "Content-Type"])
    assert sorted(a.addr_spec for a in back["To"].addresses) == sorted(emails(t, kit))
    assert "\n" not in back["Subject"] and back["Subject"].startswith("Invitation: ")
    assert calendar_part(back).get_payload(decode=True) == data
    assert "line two" not in back.get_body(("plain",)).get_content()  # the notes stay in the calendar
    assert "line two" not in back.get_body(("html",)).get_content()
    assert html.escape(invitation.summary) in back.get_body(("html",)).get_content()


def test_a_withdrawal_says_so_and_does_not_list_who_attends(tmp_path):
    """`OCC.cancel.ics` (a CANCEL to the people taken out of a session that goes ahead) must not
    read as a list of who attends: it names only those taken out."""
    from datetime import datetime, timezone

    from exporters.ics import render_invite
    from mail import build_message, parse_invitation
    from tests.test_ics import week

    t = week()
    kit = t.sessions[0]
    withdrawn = parse_invitation("outbox/KIT.cancel.ics", render_invite(t, kit, "CANCEL", attendee_ids=kit.everyone[:1]))
    text = build_message(withdrawn, withdrawn.attendees, message_id="<m@x.org>",
                         sent_at=datetime(2025, 11, 3, tzinfo=timezone.utc)).get_body(("plain",)).get_content()
    assert text.startswith("You are no longer needed") and "Who:" not in text
    cancelled = parse_invitation("outbox/KIT.ics", render_invite(t, kit, "CANCEL"))
    message = build_message(cancelled, cancelled.attendees, message_id="<m@x.org>",
                            sent_at=datetime(2025, 11, 3, tzinfo=timezone.utc))
    assert message["Subject"].startswith("Cancelled: ") and "Who:" in message.get_body(("plain",)).get_content()


def test_the_password_is_asked_for_hidden_when_not_in_the_environment(replan, smtp_server, certificate):
    handler, port = tls_server(smtp_server, certificate)
    result = CliRunner().invoke(main, ["send", str(replan), "--smtp-host", "127.0.0.1", "--smtp-port", str(port),
                                       "--smtp-user", "lead"],
                                input="s3cret pass\n", env={"SSL_CERT_FILE": str(certificate[0]),
                                                           "SCHEDULE_SMTP_PASSWORD": None})
    assert result.exit_code == 0, result.output
    assert "Password for lead at 127.0.0.1" in result.output and "s3cret" not in result.output
    assert {r.login for r in handler.received} == {"lead"} and len(handler.received) == 2


def test_a_folder_that_is_not_an_output_folder_is_bad_input(tmp_path):
    for folder in (tmp_path / "missing", tmp_path):
        result = send(folder, "--dry-run", tmp_path / "eml")
        assert result.exit_code == 2 and str(folder) in result.output
        assert not (tmp_path / "eml").exists()


def test_a_damaged_invite_is_named_and_nothing_is_sent(replan, smtp_server):
    (replan / "outbox" / "B.ics").write_bytes(b"BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\nEND:VCALENDAR\r\n")
    handler, port = smtp_server()
    result = send(replan, *plain(port))
    assert result.exit_code == 2 and "outbox/B.ics" in result.output and "METHOD PUBLISH" in result.output
    assert handler.received == [] and not (replan / SENT_CSV).exists()
