"""sent.csv (SPEC §5): one row per message the mail server accepted, appended and forced to disk
before the next message is sent, so a run cut short can be run again without sending anything twice.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from exporters.timetable_csv import read_rows
from models import InputError, Problem

SENT_CSV = "sent.csv"
SENT_COLUMNS = ("uid", "sequence", "method", "file", "recipients", "message_id", "sent_at")


@dataclass(frozen=True)
class SentMessage:
    """One message the server accepted: which invite, to whom (the addresses it accepted), when."""

    uid: str
    sequence: int
    method: str
    file: str  # relative to the folder, e.g. "invites/KIT@Mon.ics"
    recipients: tuple[str, ...]
    message_id: str
    sent_at: str  # UTC, ISO 8601 (2025-11-03T09:15:02Z)

    @property
    def key(self) -> tuple[str, str, int, str]:
        """What makes two messages the same invitation: the file and its UID, SEQUENCE and METHOD
        (a re-planned occurrence's REQUEST has a higher SEQUENCE, so it is a new message)."""
        return self.file, self.uid, self.sequence, self.method

    def row(self) -> tuple[str, ...]:
        return (self.uid, str(self.sequence), self.method, self.file, ";".join(self.recipients),
                self.message_id, self.sent_at)


def read_ledger(folder: Path) -> tuple[SentMessage, ...]:
    """Every row of folder/sent.csv (none when it does not exist yet). A damaged ledger stops the
    send (exit 2, naming the row): guessing could send someone a message twice."""
    path = Path(folder) / SENT_CSV
    if not path.exists():
        return ()
    problems: list[Problem] = []
    sent: list[SentMessage] = []
    for number, values in read_rows(path, SENT_COLUMNS, problems):
        sequence = values["sequence"].strip()
        if not (sequence.isascii() and sequence.isdigit()):
            problems.append(Problem(SENT_CSV, number, "sequence", f"{sequence!r} is not a number"))
            continue
        sent.append(SentMessage(
            uid=values["uid"], sequence=int(sequence), method=values["method"].upper(),
            file=values["file"], recipients=tuple(r for r in values["recipients"].split(";") if r),
            message_id=values["message_id"], sent_at=values["sent_at"]))
    if problems:
        raise InputError(problems)
    return tuple(sent)


def delivered(ledger: tuple[SentMessage, ...]) -> dict[tuple[str, str, int, str], set[str]]:
    """For each invitation, the addresses (lower case) that already have it."""
    have: dict[tuple[str, str, int, str], set[str]] = {}
    for message in ledger:
        have.setdefault(message.key, set()).update(r.lower() for r in message.recipients)
    return have


class Ledger:
    """folder/sent.csv opened for appending; `record` returns only once the row is on disk."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / SENT_CSV

    def __enter__(self) -> "Ledger":
        new = not self.path.exists() or self.path.stat().st_size == 0
        self._handle = open(self.path, "a", encoding="utf-8", newline="")
        self._writer = csv.writer(self._handle, lineterminator="\r\n")
        if new:
            self._write(SENT_COLUMNS)
        return self

    def record(self, message: SentMessage) -> None:
        self._write(message.row())

    def _write(self, row) -> None:
        self._writer.writerow(row)
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def __exit__(self, *exc) -> None:
        self._handle.close()


__all__ = ["Ledger", "SENT_COLUMNS", "SENT_CSV", "SentMessage", "delivered", "read_ledger"]
