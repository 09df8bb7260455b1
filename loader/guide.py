"""What each input table and column means, in a lead's words, with an example value: the one
source of the workbook's Instructions sheet, its drop-down lists and header comments
(`schedule init`), and of docs/INPUT.md."""
from __future__ import annotations

from dataclasses import dataclass

from models import ACTIVITY_TYPES, INSPECTORATES, MODES, PERSON_ROLES, PRIORITIES
from models.inspection import INSPECTOR_ROLES
from loader.settings import SETTING_KEYS
from loader.tables import COLUMNS

YES_NO = ("yes", "no")


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str
    example: str
    choices: tuple[str, ...] = ()  # a drop-down list in the workbook
    several: bool = False  # a `;` list: the drop-down suggests, any list of its items is accepted


@dataclass(frozen=True)
class Sheet:
    name: str
    meaning: str
    columns: tuple[Column, ...]

    def required(self, column: str) -> bool:
        return column in COLUMNS[self.name][0]


TABLES: tuple[Sheet, ...] = (
    Sheet("settings", "One setting a row: the inspection's name, its week and day hours, and the "
          "mailbox the invitations come from.", (
              Column("key", "The setting's name (see the settings list below).", "week_start"),
              Column("value", "Its value.", "2025-11-10"),
          )),
    Sheet("inspectors", "The inspection team, one inspector a row.", (
        Column("id", "A short id you choose, used in other sheets (letters, digits, . _ -).", "OF1"),
        Column("name", "Full name, as it appears in invitations.", "Simon Mason"),
        Column("email", "Where the invitations go (blank: no invitation).",
               "simon.mason@ofsted.example.gov.uk"),
        Column("inspectorate", "Ofsted, CQC, HMICFRS or HMIP.", "Ofsted", INSPECTORATES),
        Column("role", "lead or inspector (blank: inspector).", "lead", INSPECTOR_ROLES),
    )),
    Sheet("people", "Partner staff who attend sessions, one person a row.", (
        Column("id", "A short id you choose, unique across inspectors, people and rooms.", "CSC001"),
        Column("name", "Full name, as it appears in invitations.", "Eleanor Wright"),
        Column("email", "Where the invitations go (blank: no invitation).",
               "eleanor.wright@northmere.gov.uk"),
        Column("agency", "Their agency.", "Children's social care"),
        Column("role", "practitioner, manager, leader or other.", "practitioner", PERSON_ROLES),
        Column("manager_id", "The id of their line manager in this sheet (blank: none listed). "
               "Focus groups and practitioner interviews keep people apart from anyone up their line.",
               "CSC004"),
        Column("needs_accessible", "yes when they need an accessible room.", "no", YES_NO),
    )),
    Sheet("rooms", "Rooms on each site, and online meeting rooms.", (
        Column("id", "A short id you choose, unique across inspectors, people and rooms.", "CIV-1"),
        Column("name", "The room's name, as it appears in invitations.", "Council Chamber"),
        Column("site", "The building it is in (blank for an online room).", "Civic Centre"),
        Column("capacity", "How many people it seats (may be blank for an online room).", "30"),
        Column("accessible", "yes when it is accessible.", "yes", YES_NO),
        Column("virtual", "yes for an online meeting room (Teams, Zoom): no site, sessions may "
               "run in it side by side.", "no", YES_NO),
        Column("link", "The online room's https join link, put into the invitations of sessions "
               "held there (optional).", "https://teams.microsoft.com/l/meetup-join/..."),
    )),
    Sheet("travel", "Minutes to travel between sites (optional; a pair not listed takes "
          "default_travel_minutes; the larger of both directions applies).", (
              Column("from_site", "A site of the rooms sheet.", "Civic Centre"),
              Column("to_site", "Another site.", "Police HQ"),
              Column("minutes", "Travel time in minutes.", "30"),
          )),
    Sheet("groups", "Named pools of people, e.g. volunteers for a focus group (optional): one "
          "member a row.", (
              Column("group_id", "The pool's id, used in the activities' pool column.",
                     "pool-social-workers"),
              Column("person_id", "A member: an id of the people sheet.", "CSC016"),
          )),
    Sheet("unavailability", "Who or which room is away, and when (optional).", (
        Column("id", "An inspector, person or room id.", "CSC010"),
        Column("day", "Mon..Fri (Tues, Thurs and full names too), or a date of the week.", "Thu"),
        Column("start", "From HH:MM (blank with end blank: the whole day).", "13:00"),
        Column("end", "Until HH:MM.", "17:30"),
        Column("reason", "Your note (not sent to anyone).", "Attending court"),
    )),
    Sheet("activities", "Every session to hold, one a row.", (
        Column("id", "A short id you choose (it names the invitation file).", "FG1"),
        Column("type", "What kind of session it is.", "focus_group", ACTIVITY_TYPES),
        Column("title", "The title people see in their diary. Never a child's name.",
               "Focus group: social workers"),
        Column("duration", "Minutes, a multiple of slot_minutes.", "90"),
        Column("days", "The days it may be held on, e.g. Tue;Thu (blank: any day).", "Tue;Thu"),
        Column("recurs", "daily: held once on each of its days (blank: once).", "daily", ("daily",)),
        Column("earliest", "It starts no earlier than HH:MM (blank: day_start).", "10:00"),
        Column("latest", "It ends no later than HH:MM (blank: day_end).", "16:00"),
        Column("fixed_start", "It starts exactly then: a day and a time (Tue 10:00), or a time for "
               "a daily one.", "Tue 10:00"),
        Column("site", "The site it must be held at (blank: any).", "Civic Centre"),
        Column("room", "The room it must be held in (blank: the scheduler chooses).", "CIV-1"),
        Column("mode", "in_person (blank), virtual or either.", "in_person", MODES),
        Column("inspectors", "Inspector ids who must attend, e.g. OF1;CQ1, or all.", "OF1"),
        Column("inspectorates", "Further inspectors wanted, one per item: Ofsted;CQC, or any.",
               "CQC", INSPECTORATES + ("any",), several=True),
        Column("attendees", "Person ids who must all attend, e.g. CSC001;POL001.", "CSC001;POL001"),
        Column("pool", "A group whose members are invited, as many as fit, between pool_min and "
               "pool_max.", "pool-social-workers"),
        Column("pool_min", "At least this many of the pool (blank: 1).", "4"),
        Column("pool_max", "At most this many (blank, or more than the group: the whole group).",
               "8"),
        Column("priority", "must (blank) is always held; high, medium and low are held as room "
               "allows.", "must", PRIORITIES),
        Column("after", "Activity ids that must have ended before this one starts.", "SETUP"),
        Column("notes", "Text for the invitation. Refer to cases by reference (Case 3), never by "
               "a child's name.", "Bring the case summaries."),
    )),
)
SHEETS = {sheet.name: sheet for sheet in TABLES}

# Settings keys: (meaning, default or example).
SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("inspection_name", "The inspection's name, at the top of every invitation.", "JTAI Northmere"),
    ("local_authority", "The local authority.", "Northmere Council"),
    ("week_start", "Required: the Monday of the on-site week (YYYY-MM-DD).", "2025-11-10"),
    ("timezone", "The time zone of the times you write.", "Europe/London"),
    ("day_start", "When the day starts (HH:MM).", "09:00"),
    ("day_end", "When the day ends.", "17:30"),
    ("slot_minutes", "Sessions start on this grid from day_start.", "15"),
    ("lunch_earliest", "Each inspector's lunch break starts no earlier than this.", "12:00"),
    ("lunch_latest", "... and ends no later than this.", "14:00"),
    ("lunch_minutes", "The length of the lunch break.", "30"),
    ("organiser_name", "Who the invitations come from.", "JTAI Scheduling"),
    ("organiser_email", "The scheduling mailbox that sends the invitations; not an attendee's "
     "own address.", "jtai.scheduling@northmere.gov.uk"),
    ("default_travel_minutes", "Travel between two sites not in the travel sheet.", "30"),
    ("max_inspector_contact_minutes", "Most minutes of sessions an inspector has in a day.", "360"),
    ("max_person_sessions_per_day", "Most sessions a member of partner staff has in a day.", "2"),
    ("change_cost", "In a re-plan: what one change to a published session is worth against "
     "held sessions.", "4"),
)
SETTINGS = tuple(row for row in SETTINGS if row[0] in SETTING_KEYS)  # only what the loader reads

GENERAL = (
    "One sheet per table; the sheet name is the table's name. Row 1 holds the column names, in "
    "any case and order.",
    "A column whose name starts with # is your own (notes, status): it is ignored.",
    "Lists inside a cell are separated by ; (Tue;Thu), not commas.",
    "Times are HH:MM, 24-hour. A day is Mon..Fri (Tues, Thurs, full names, any case) or a date of "
    "the inspection week.",
    "yes/no cells take yes, no, y, n, true, false, 1 or 0.",
    "Check the workbook with: schedule validate example.xlsx. Build the timetable with: schedule "
    "solve example.xlsx --out timetable",
)


def column_guide(table: str, column: str) -> Column | None:
    sheet = SHEETS.get(table)
    return next((c for c in sheet.columns if c.name == column), None) if sheet else None


def markdown() -> str:
    """docs/INPUT.md: the same words as the workbook's Instructions sheet."""
    out = ["# The input tables", "",
           "`schedule` reads a workbook (one sheet per table) or a folder of CSV files (one file per "
           "table, e.g. `activities.csv`). `schedule init DIR` writes a filled example of both; its "
           "workbook's Instructions sheet says the same as this page.", ""]
    out += [f"- {line}" for line in GENERAL] + [""]
    for sheet in TABLES:
        out += [f"## {sheet.name}", "", sheet.meaning, "",
                "| column | required | what it means | example |", "|---|---|---|---|"]
        for c in sheet.columns:
            choices = f" One of: {', '.join(c.choices)}." if c.choices and len(c.choices) > 2 else ""
            out.append(f"| {c.name} | {'yes' if sheet.required(c.name) else ''} | "
                       f"{c.meaning}{choices} | `{c.example}` |")
        out.append("")
        if sheet.name == "settings":
            out += ["Settings keys:", "", "| key | what it means | default or example |", "|---|---|---|"]
            out += [f"| {key} | {meaning} | `{example}` |" for key, meaning, example in SETTINGS]
            out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # python -m loader.guide > docs/INPUT.md
    print(markdown())
