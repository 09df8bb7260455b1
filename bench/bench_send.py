"""Benchmark `schedule send`: solve the bundled example, then send its invites to a local SMTP
server (aiosmtpd on 127.0.0.1, from the test extra) and print how long each step took. Target:
the example's invites sent in under 10 s.

    python -m bench.bench_send                    # plain SMTP, then the same over STARTTLS + login
    python -m bench.bench_send --folder out       # an existing output folder instead of a solve

Rows: a dry run (every invite as an .eml file), the first send (every invite), a second send
(nothing left: reads the ledger, connects to nothing), and the first send again over STARTTLS with a login (a fresh copy
of the folder, so nothing is in its ledger).
"""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from mail import SmtpSettings, send_folder

TARGET_SECONDS = 10.0


class _Counter:
    """Accepts every message and counts it and its envelope recipients."""

    def __init__(self) -> None:
        self.messages = 0
        self.recipients = 0

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        self.recipients += len(envelope.rcpt_tos)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _solve_example(workdir: Path, time_limit: float) -> Path:
    from exporters.folder import write_output
    from fixtures import EXAMPLE_DIR
    from loader import load_inspection
    from scheduler import solve

    out = workdir / "out"
    result = solve(load_inspection(EXAMPLE_DIR), time_limit=time_limit, seed=0, workers=2)
    write_output(result, out, source=EXAMPLE_DIR)
    return out


def _tls_contexts(workdir: Path) -> tuple[ssl.SSLContext, ssl.SSLContext] | None:
    """(server, client) contexts around a throwaway self-signed certificate, made with openssl."""
    cert, key = workdir / "cert.pem", workdir / "key.pem"
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                           "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                           "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True)
    if made.returncode != 0:
        return None
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    return server, ssl.create_default_context(cafile=str(cert))


def _timed(run) -> tuple[float, object]:
    started = time.perf_counter()
    value = run()
    return time.perf_counter() - started, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, help="an output folder to send (default: solve the example)")
    parser.add_argument("--time-limit", type=float, default=20.0, help="seconds for the example's solve")
    args = parser.parse_args()
    logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd's own deprecation chatter

    with tempfile.TemporaryDirectory(prefix="bench_send-") as tmp:
        workdir = Path(tmp)
        source = args.folder or _solve_example(workdir, args.time_limit)
        folder = Path(shutil.copytree(source, workdir / "send", ignore=shutil.ignore_patterns("sent.csv")))
        rows: list[tuple[str, int, int, float]] = []

        counter, port = _Counter(), _free_port()
        controller = Controller(counter, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            plain = SmtpSettings("127.0.0.1", port, security="none")
            seconds, report = _timed(lambda: send_folder(folder, dry_run_dir=workdir / "eml"))
            rows.append(("dry run (.eml files)", len(report.sent), sum(len(m.recipients) for m in report.sent),
                         seconds))
            seconds, report = _timed(lambda: send_folder(folder, plain))
            rows.append(("first send, plain SMTP", len(report.sent), counter.recipients, seconds))
            before = counter.recipients
            seconds, report = _timed(lambda: send_folder(folder, plain))
            rows.append(("second send (nothing left)", len(report.sent), counter.recipients - before, seconds))
        finally:
            controller.stop()

        contexts = _tls_contexts(workdir)
        if contexts is not None:
            fresh = Path(shutil.copytree(source, workdir / "send-tls", ignore=shutil.ignore_patterns("sent.csv")))
            counter, port = _Counter(), _free_port()
            controller = Controller(counter, hostname="127.0.0.1", port=port, tls_context=contexts[0],
                                    require_starttls=True, auth_require_tls=True,
                                    authenticator=lambda *a: AuthResult(success=True))
            controller.start()
            try:
                tls = SmtpSettings("127.0.0.1", port, security="starttls", user="lead", password="x",
                                   ssl_context=contexts[1])
                seconds, report = _timed(lambda: send_folder(fresh, tls))
                rows.append(("first send, STARTTLS + login", len(report.sent), counter.recipients, seconds))
            finally:
                controller.stop()

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"| step | messages | recipients | seconds | under {TARGET_SECONDS:.0f} s |")
    print("|---|---:|---:|---:|---|")
    for step, messages, recipients, seconds in rows:
        print(f"| {step} | {messages} | {recipients} | {seconds:.2f} | {'yes' if seconds < TARGET_SECONDS else 'NO'} |")
    print(f"\nload average (1, 5, 15 min) at the end: {load} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
