"""Sending the invitations (SPEC §6 `send`): iMIP messages built from an output folder's invite
files, sent over SMTP with the sent.csv ledger, or written as .eml files. Entry point: send_folder."""
from mail.imip import Invitation, Mailbox, build_message, parse_invitation, read_invitation
from mail.ledger import SENT_COLUMNS, SENT_CSV, SentMessage, read_ledger
from mail.send import (
    RECIPIENTS_CSV, Refusal, SendReport, SendStopped, SmtpSettings, Unreachable, plan_send, send_folder,
)

__all__ = [
    "Invitation", "Mailbox", "RECIPIENTS_CSV", "Refusal", "SENT_COLUMNS", "SENT_CSV", "SendReport",
    "SendStopped", "SentMessage", "SmtpSettings", "Unreachable", "build_message", "parse_invitation",
    "plan_send", "read_invitation", "read_ledger", "send_folder",
]
