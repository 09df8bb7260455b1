"""What a what-if sends (SPEC §5): changes.csv, the outbox/ of invites and cancellations to send now,
and the cancellations that join invites/. Pure renderers: a timetable and its changes in, bytes out.

The iTIP rules Outlook relies on: every file keeps the occurrence's UID; a changed occurrence goes
out as a REQUEST with the raised SEQUENCE to everyone now in it; a cancelled one as a CANCEL
(STATUS:CANCELLED, raised SEQUENCE) to everyone who had it; people taken out of an occurrence that
goes ahead get `OCCURRENCE.cancel.ics`, a CANCEL naming only them. Unchanged occurrences send nothing.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from dataclasses import replace

from models import Inspection, Session, Timetable
from models.inspection import moment_text
from models import InputError, Problem
from models.changes import Change, WhatIf, cancel_sequence
from exporters.ics import invite_filename, render_invite
from exporters.timetable_csv import csv_text, read_rows

# SPEC §5's columns in its order, then what the lead reads beside them.
CHANGES_COLUMNS = ("occurrence_id", "change", "old_start", "new_start", "old_room", "new_room", "notify",
                   "title", "notify_names", "people_changed")
# changes.csv as earlier versions wrote it (the title second; before people_changed), still read.
_TITLE_SECOND = ("occurrence_id", "title", "change", "old_start", "new_start", "old_room", "new_room",
                 "notify", "notify_names", "people_changed")
EARLIER_CHANGES_COLUMNS = (_TITLE_SECOND, _TITLE_SECOND[:-1])
CHANGES_CSV = "changes.csv"


def when(session: Session | None) -> str:
    """`Tue 10:00`: the day and time a lead reads at a glance (the week is the inspection's)."""
    return "" if session is None else moment_text((session.day, session.start))


def render_changes_csv(changes: Iterable[Change], inspection: Inspection,
                       baseline: Inspection | None = None) -> str:
    """One row per changed occurrence, in the baseline's time order, then the added ones; a
    cancelled one has blank new_start and new_room, an added one blank old_start and old_room.
    The title and the names beside the ids are for the lead who sends: from the new inspection,
    or the baseline's for what the lead has since removed; people_changed says who came and who
    went in a change of inspectors or attendees."""
    def name(resource_id: str) -> str:
        return name_of(resource_id, inspection, baseline)
    return csv_text(CHANGES_COLUMNS, (
        (c.occurrence_id, c.change, when(c.old), when(c.new),
         c.old.room_id if c.old is not None else "", c.new.room_id if c.new is not None else "",
         ";".join(c.notify), title_of(c, inspection, baseline), ";".join(map(name, c.notify)), people_changed(c, name))
        for c in changes))


# How a week view marks a session a re-plan changed or added (a cancelled one is not in the week).
CHANGE_MARKS = {"added": "new", "moved": "moved", "room": "new room", "inspectors": "new inspectors",
                "attendees": "people changed"}


def change_marks(changes: Iterable[Change]) -> dict[str, str]:
    """Occurrence id -> its mark, for each session held that the re-plan changed or added."""
    return {c.occurrence_id: CHANGE_MARKS[c.change] for c in changes if c.change in CHANGE_MARKS}


# The people of a session a change can swap, in the words of CHANGE_KINDS.
PEOPLE_FIELD = {"inspectors": "inspector_ids", "attendees": "attendee_ids"}


def people_changes(change: Change, name: Callable[[str], str]) -> list[tuple[str, str]]:
    """(inspectors or attendees, 'Amelia Morgan instead of Naomi Bennett' or 'without ...' or
    'with ... too') for each of the two that changed, whatever the change's kind (a session moved
    may have new people too), `name` giving each id's name; none for one added or cancelled."""
    if change.old is None or change.new is None:
        return []
    found = []
    for label, field in PEOPLE_FIELD.items():
        old, new = getattr(change.old, field), getattr(change.new, field)
        gone = ", ".join(name(i) for i in old if i not in new)
        came = ", ".join(name(i) for i in new if i not in old)
        if gone and came:
            found.append((label, f"{came} instead of {gone}"))
        elif gone or came:
            found.append((label, f"without {gone}" if gone else f"with {came} too"))
    return found


def people_changed(change: Change, name: Callable[[str], str]) -> str:
    """people_changes in one phrase: just the phrase when it is the change's own kind ('Amelia
    Morgan instead of Naomi Bennett' for a change of inspectors), else each labelled
    ('inspectors: Amelia Morgan instead of Naomi Bennett' for a session moved, too); '' for none."""
    found = people_changes(change, name)
    if len(found) == 1 and found[0][0] == change.change:
        return found[0][1]
    return "; ".join(f"{label}: {phrase}" for label, phrase in found)


def title_of(change: Change, inspection: Inspection, baseline: Inspection | None = None) -> str:
    """The activity's title as the input gives it (or gave it, for one since removed)."""
    session = change.old if change.old is not None else change.new  # either may be missing
    for known in filter(None, (inspection, baseline)):
        if session.activity_id in known.activity_by_id:
            return known.activity_by_id[session.activity_id].title
    return session.activity_id


def name_of(resource_id: str, inspection: Inspection, baseline: Inspection | None = None) -> str:
    """A person's or inspector's name, from the new input or else the baseline's."""
    name = inspection.name_of(resource_id)
    return baseline.name_of(resource_id) if name == resource_id and baseline else name


def cancellation(baseline: Timetable, change: Change) -> tuple[str, bytes] | None:
    """(file name, CANCEL) for a change that takes anyone out of their diary: the whole occurrence
    when cancelled (`OCC.ics`, to everyone who had it), else only the people taken out
    (`OCC.cancel.ics`). The event is the one in their diary (old time and room) with the new
    SEQUENCE, so it supersedes what they hold."""
    if change.new is None:
        cancelled = replace(change.old, sequence=cancel_sequence(change.old))
        return invite_filename(change.occurrence_id), render_invite(baseline, cancelled, "CANCEL")
    if change.taken_out:
        withdrawn = replace(change.old, sequence=change.new.sequence)
        return (invite_filename(change.occurrence_id, cancel=True),
                render_invite(baseline, withdrawn, "CANCEL", attendee_ids=change.taken_out))
    return None


def cancel_invites(baseline: Timetable, changes: Iterable[Change]) -> dict[str, bytes]:
    """This what-if's CANCEL files, by file name (they join invites/ and outbox/)."""
    return dict(filter(None, (cancellation(baseline, c) for c in changes)))


def outbox_files(baseline: Timetable, new_timetable: Timetable, changes: Iterable[Change]) -> dict[str, bytes]:
    """File name -> bytes for outbox/: a REQUEST (new SEQUENCE) for each changed or added occurrence
    held, to everyone now in it, and the CANCELs; together they reach exactly each change's notify."""
    changes = tuple(changes)
    files = {invite_filename(c.occurrence_id): render_invite(new_timetable, c.new)
             for c in changes if c.new is not None}
    files.update(cancel_invites(baseline, changes))
    return files


def read_changes(directory: Path | str, problems: list[Problem] | None = None) -> list[dict[str, str]] | None:
    """A what-if folder's changes.csv, a {column: text} per row (an earlier header's missing
    columns blank); None for a folder without one. A file that cannot be read adds its problems to
    `problems` and gives no rows (without `problems`: the caller shows or sends without them)."""
    path = Path(directory) / CHANGES_CSV
    if not path.is_file():
        return None
    found: list[Problem] = []
    rows = [row for _, row in read_rows(path, CHANGES_COLUMNS, found, EARLIER_CHANGES_COLUMNS)]
    if problems is not None:
        problems += found
    return [] if found else rows


def read_change_marks(directory: Path | str) -> dict[str, str]:
    """A re-plan's folder: occurrence id -> CHANGE_MARKS' word for each session its changes.csv
    says it changed or added, as the week views mark them; none for a solve's folder or a
    changes.csv that cannot be read (the week still shows)."""
    return {row["occurrence_id"]: CHANGE_MARKS[row["change"]] for row in read_changes(directory) or ()
            if row["change"] in CHANGE_MARKS}


REQUEST_FILE = "whatif.json"


def render_request(request: WhatIf, edits: Sequence[str] = (), baseline: Path | str | None = None) -> bytes:
    """The what-if asked for, so `schedule check` can judge the folder against the same dropouts;
    the lead's edits to INPUT it took in (models.edits.Edits.in_words), so the folder says what it
    re-planned for; and the baseline folder (absolute), so `schedule send` can tell when that one's
    invitations never went out."""
    data = {"drop": list(request.drop), "unavailable": [list(u) for u in request.unavailable],
            "now": list(request.now) if request.now else None, "edits": list(edits),
            "baseline": str(Path(baseline).resolve()) if baseline is not None else None}
    if request.since:  # drops carried from an earlier re-plan: when each began
        data["since"] = [list(x) for x in request.since]
    return json.dumps(data, indent=2).encode("utf-8")


def _recorded(directory: Path | str, key: str):
    """One field of a folder's whatif.json as written (None: no such file, field or JSON)."""
    try:
        data = json.loads((Path(directory) / REQUEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get(key) if isinstance(data, dict) else None


def read_edits(directory: Path | str) -> tuple[str, ...]:
    """The edits a what-if's folder recorded (none for a solve's, or one written before they were)."""
    edits = _recorded(directory, "edits")
    return tuple(e for e in edits if isinstance(e, str)) if isinstance(edits, list) else ()


def read_baseline_folder(directory: Path | str) -> Path | None:
    """The baseline folder a what-if's folder was made from, as it recorded it (None for a solve's
    folder, or one written before it did)."""
    baseline = _recorded(directory, "baseline")
    return Path(baseline) if isinstance(baseline, str) and baseline else None


def read_request(directory: Path) -> WhatIf | None:
    """The what-if recorded in an output folder (None for a plain solve's folder); a file edited
    into another shape is an InputError naming what is wrong."""
    path = Path(directory) / REQUEST_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise InputError([Problem(REQUEST_FILE, None, None, f"cannot be read: {err}")]) from None
    if not isinstance(data, dict):
        return _bad_request("it must hold an object with drop, unavailable and now")
    drop, unavailable, now = data.get("drop", []), data.get("unavailable", []), data.get("now")
    if not (isinstance(drop, list) and all(isinstance(i, str) for i in drop)):
        return _bad_request("drop must be a list of ids")
    if not (isinstance(unavailable, list) and all(
            isinstance(u, list) and len(u) == 4 and isinstance(u[0], str) and _minutes_of_week(u[1:2], u[2:])
            for u in unavailable)):
        return _bad_request('each item of unavailable must be ["ID", day 0-4, start, end] (minutes)')
    if now is not None and not (isinstance(now, list) and len(now) == 2 and _minutes_of_week(now[:1], now[1:])):
        return _bad_request("now must be null or [day 0-4, minute]")
    since = data.get("since", [])
    if not (isinstance(since, list) and all(isinstance(x, list) and len(x) == 3 and isinstance(x[0], str)
                                            and _minutes_of_week(x[1:2], x[2:]) for x in since)):
        return _bad_request('each item of since must be ["ID", day 0-4, minute]')
    return WhatIf(drop=tuple(drop), unavailable=tuple(tuple(u) for u in unavailable),
                  now=tuple(now) if now is not None else None, since=tuple(tuple(x) for x in since))


def request_in_force(directory: Path | str) -> WhatIf | None:
    """The what-if a folder was re-planned for, which a re-plan of it carries forward (None for a
    solve's folder, or a whatif.json edited into another shape: `schedule check` names that)."""
    try:
        return read_request(Path(directory))
    except InputError:
        return None


def _minutes_of_week(days: list, minutes: list) -> bool:
    """Days 0-4 and minutes 0-1440, as whole numbers (JSON's true is no number here)."""
    whole = all(type(v) is int for v in days + minutes)
    return whole and all(0 <= d <= 4 for d in days) and all(0 <= m <= 24 * 60 for m in minutes)


def _bad_request(message: str):
    raise InputError([Problem(REQUEST_FILE, None, None, f"cannot be read: {message}")])


def whatif_files(baseline: Timetable, new_timetable: Timetable, changes: Iterable[Change],
                 request: WhatIf | None = None, edits: Sequence[str] = (),
                 baseline_dir: Path | str | None = None) -> dict[str, bytes]:
    """The files a what-if adds to a complete output folder (relative path -> bytes): changes.csv,
    outbox/, this what-if's CANCELs in invites/ (the REQUESTs there are the folder's own) and the
    request itself, with the `edits` to INPUT it took in and the `baseline_dir` it was made from."""
    changes = tuple(changes)
    files = {CHANGES_CSV: render_changes_csv(changes, new_timetable.inspection,
                                               baseline.inspection).encode("utf-8")}
    if request is not None:
        files[REQUEST_FILE] = render_request(request, edits, baseline_dir)
    files["outbox/"] = b""  # SPEC §5: a what-if's folder has its outbox/, empty when nothing is to be sent
    files.update({f"outbox/{name}": data for name, data in outbox_files(baseline, new_timetable, changes).items()})
    files.update({f"invites/{name}": data for name, data in cancel_invites(baseline, changes).items()})
    return files


__all__ = ["CHANGES_COLUMNS", "CHANGES_CSV", "CHANGE_MARKS", "EARLIER_CHANGES_COLUMNS", "PEOPLE_FIELD",
           "REQUEST_FILE", "cancel_invites", "change_marks", "name_of", "outbox_files", "people_changed",
           "people_changes", "read_baseline_folder", "read_change_marks", "read_changes", "read_edits", "read_request", "request_in_force",
           "render_changes_csv", "render_request", "title_of", "whatif_files", "when"]
