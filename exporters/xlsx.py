"""timetable.xlsx: the timetable for Excel, one sheet per day (Mon..Fri) and one per inspector; a
what-if's has a last column, Change, saying what it did to each session (blank: kept as it was).

Text from the input is always written as text: a title like `=HYPERLINK(...)` must show as typed
and never run as a formula when someone opens the file (CSV/formula injection).
"""
from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from datetime import datetime, time

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from exporters.show import ShownSession, shown_sessions, type_label
from models import DAYS, Timetable, format_minutes

HEADERS = ("Date", "Day", "Start", "End", "Title", "Type", "Room", "Site", "Inspectors",
           "Attendees", "Occurrence")
_FORMULA_STARTS = ("=", "+", "-", "@")
_SHEET_NAME_BANNED = str.maketrans({c: "-" for c in "[]:*?/\\"})
_SHEET_NAME_MAX = 31
_MAX_WIDTH = 60
_CHANGED_FILL = PatternFill("solid", fgColor="FDE2CF")  # a what-if's changed or new session


def render_xlsx(timetable: Timetable, changed: Mapping[str, str] | None = None) -> bytes:
    """The workbook's bytes; the same timetable always gives the same bytes. `changed` (a
    what-if's marks, exporters.changes.change_marks) adds the Change column, rows it names filled."""
    insp = timetable.inspection
    sessions = shown_sessions(timetable)
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = {"history"}  # Excel reserves "History"; names compare case-insensitively
    for day, name in enumerate(DAYS):
        _fill(workbook.create_sheet(_sheet_name(name, used)), [s for s in sessions if s.day == day], changed)
    for inspector in insp.inspectors:
        sheet = workbook.create_sheet(_sheet_name(f"{inspector.id} {inspector.name}", used))
        _fill(sheet, [s for s in sessions if inspector.id in s.inspector_ids], changed)
    # openpyxl stamps "now" into the properties and every zip entry; pin both to the week.
    fixed = datetime.combine(insp.settings.week_start, time())
    props = workbook.properties
    props.created = props.modified = fixed
    props.creator = props.lastModifiedBy = "schedule"
    props.title = insp.settings.inspection_name
    buffer = io.BytesIO()
    # ExcelWriter, not workbook.save(): save() resets `modified` to the current time.
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    return _pin_zip_times(buffer.getvalue(), fixed)


def _fill(sheet: Worksheet, sessions: list[ShownSession], changed: Mapping[str, str] | None) -> None:
    headers = HEADERS if changed is None else (*HEADERS, "Change")
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for s in sessions:
        row = sheet.max_row + 1
        sheet.cell(row, 1, s.date).number_format = "yyyy-mm-dd"
        texts = (DAYS[s.day], format_minutes(s.start), format_minutes(s.end), s.title,
                 type_label(s.type), s.room_label, s.site, "; ".join(s.inspector_names),
                 "; ".join(s.attendee_names), s.occurrence_id)
        if changed is not None:
            texts += (changed.get(s.occurrence_id, ""),)
        for column, value in enumerate(texts, start=2):
            _write_text(sheet, row, column, value)
        if changed and s.occurrence_id in changed:
            for cell in sheet[row]:
                cell.fill = _CHANGED_FILL
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(1, sheet.max_row)}"
    for index, header in enumerate(headers, start=1):
        letter = get_column_letter(index)
        longest = max((len(str(c.value)) for c in sheet[letter] if c.value is not None), default=0)
        sheet.column_dimensions[letter].width = min(_MAX_WIDTH, max(len(header), longest, 8) + 2)
        if header in ("Title", "Inspectors", "Attendees"):
            for cell in sheet[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def _write_text(sheet: Worksheet, row: int, column: int, value: str) -> None:
    """A text cell that Excel shows as typed, even when it looks like a formula."""
    cell = sheet.cell(row, column)
    cell.value = value
    cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
    if value.startswith(_FORMULA_STARTS):
        cell.quotePrefix = True  # and Excel keeps it text when the cell is edited


def _sheet_name(wanted: str, used: set[str]) -> str:
    """≤ 31 characters, none of []:*?/\\, no quote at either end, unique (case-insensitive)."""
    base = wanted.translate(_SHEET_NAME_BANNED).strip().strip("'").strip() or "Sheet"
    name, n = base[:_SHEET_NAME_MAX].rstrip("'"), 1
    while name.lower() in used:
        n += 1
        suffix = f" ({n})"
        name = base[:_SHEET_NAME_MAX - len(suffix)].rstrip("'") + suffix
    used.add(name.lower())
    return name


def _pin_zip_times(data: bytes, when: datetime) -> bytes:
    """The same archive with every entry dated `when`, so equal timetables give equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=when.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = entry.external_attr
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()
