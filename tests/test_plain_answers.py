"""Answers in a lead's words (issue 12): the plain summary, the live progress line, unscheduled
reasons that name the competing sessions, the shared search options, the self-teaching workbook
and the input page that matches it."""
from __future__ import annotations

import io
import threading
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cli import _ProgressLine, main
from exporters.summary import changes_summary, plain_summary, progress_text
from loader.guide import SETTINGS, TABLES, markdown
from loader.settings import SETTING_KEYS
from loader.tables import COLUMNS
from models import SolveResult, Timetable, Unscheduled
from models.changes import changes_between, counted
from scheduler.candidates import Candidates
from scheduler.unscheduled import unscheduled_reasons
from tests.builders import activity, inspection, inspector, person, room, session, timetable

H = 60
ROOT = Path(__file__).resolve().parent.parent


# --- the plain summary -----------------------------------------------------------------------------
def _week(held: list[str]) -> Timetable:
    """Two musts and five optional sessions (2 high, 2 medium, 1 low); `held` of them are held."""
    priorities = {"M1": "must", "M2": "must", "H1": "high", "H2": "high", "D1": "medium",
                  "D2": "medium", "L1": "low"}
    insp = inspection(inspectors=[inspector("OF1")], rooms=[room("R1")],
                      activities=[activity(a, priority=p, inspectors=("OF1",)) for a, p in priorities.items()])
    sessions = [session(a, 0, 9 * H + i * H, 10 * H + i * H, "R1", ("OF1",)) for i, a in enumerate(held)]
    left = tuple(Unscheduled(a, p, "a reason") for a, p in priorities.items() if a not in held)
    return Timetable(insp, tuple(sessions), left)


def _result(held: list[str], status: str, objective: int, bound: int, **kw) -> SolveResult:
    return SolveResult(status=status, timetable=_week(held), objective=objective, best_bound=bound,
                       wall_seconds=12.04, seed=0, **kw)


def test_the_summary_speaks_in_sessions_first():
    lines = plain_summary(_result(["M1", "M2", "H1", "D1"], "FEASIBLE", 110, 125))
    assert lines == [
        "All 2 musts held. Left out: 1 high, 1 medium, 1 low (see unscheduled.csv).",
        # 15 more weight at most: the low one (1) and the medium one (10) fit in it, the high does not
        "At most 2 more could fit: a longer run may find some.",
        "4 sessions in all. FEASIBLE: held weight 110, bound 125, gap 12.00%, 12.0 s.",
    ]


def test_a_proven_summary_says_nothing_more_fits():
    lines = plain_summary(_result(["M1", "M2", "H1", "H2"], "OPTIMAL", 200, 200))
    assert lines[0] == "All 2 musts held. Left out: 2 medium, 1 low (see unscheduled.csv)."
    assert lines[1] == "No timetable holds more (proven): the rest do not fit."


def test_a_bound_too_close_for_any_left_out_session():
    lines = plain_summary(_result(["M1", "M2", "H1", "H2", "L1"], "FEASIBLE", 201, 205))
    assert lines[1] == "None of them can fit: the bound leaves less room than the lightest one needs."


def test_every_session_held_and_a_cancelled_must():
    assert plain_summary(_result(["M1", "M2", "H1", "H2", "D1", "D2", "L1"], "OPTIMAL", 221, 221))[0] == \
        "All 2 musts held. Every optional session held too."
    lines = plain_summary(_result(["M1", "H1", "H2", "D1", "D2", "L1"], "OPTIMAL", 221, 221))
    assert lines[0].startswith("1 of 2 musts held; 1 cancelled, needing a substitute (see unscheduled.csv).")


def test_an_interrupted_run_says_so_first():
    lines = plain_summary(_result(["M1", "M2"], "FEASIBLE", 0, 221, interrupted=True))
    assert lines[0] == "Interrupted: this timetable holds every must but is not proven optimal."


# --- the live progress line ------------------------------------------------------------------------
def test_progress_text_shows_time_out_of_the_limit():
    assert progress_text(3.2, 60, None) == "    3 s of 60 s  looking for a first timetable..."
    assert progress_text(12.7, 60, (180, 200, 41)) == \
        "   13 s of 60 s  41 sessions  held weight 180  bound 200  gap 10.00%"


class _Terminal(io.StringIO):
    """A stream that says it is a terminal and tells when it was written to."""

    def __init__(self):
        super().__init__()
        self.written = threading.Event()

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.written.set()
        return super().write(text)


def test_the_progress_line_redraws_between_improvements():
    terminal = _Terminal()
    line = _ProgressLine(30, stream=terminal)
    try:
        # no solution callback at all: the ticker alone must draw the clock
        assert terminal.written.wait(timeout=30), "the ticker never drew the line"
    finally:
        line.done()
    assert "s of 30 s  looking for a first timetable..." in terminal.getvalue()
    assert terminal.getvalue().endswith("\n") and not line.ticker.is_alive()


def test_the_progress_line_shows_the_best_so_far_and_stays_quiet_off_a_terminal():
    terminal = _Terminal()
    line = _ProgressLine(30, stream=terminal)
    line(1.0, 180, 200, 41)
    line.done()
    assert "41 sessions  held weight 180  bound 200  gap 10.00%" in terminal.getvalue()
    quiet = io.StringIO()
    line = _ProgressLine(30, stream=quiet)
    line(1.0, 180, 200, 41)
    line.done()
    assert quiet.getvalue() == "" and not line.ticker.is_alive()


# --- unscheduled.csv reasons -------------------------------------------------------------------------
def test_a_reason_names_at_most_five_rivals_by_title_day_and_time_the_most_constraining_first():
    # OPT needs OF1 and P1 on Monday. Seven held sessions overlap it: BOTH holds OF1 and P1 (the
    # most constraining), the six others hold OF1 only, must before high before low, then by time.
    held = {"BOTH": ("must", ("OF1",), ("P1",)), "A": ("low", ("OF1",), ()), "B": ("must", ("OF1",), ()),
            "C": ("high", ("OF1",), ()), "D": ("must", ("OF1",), ()), "E": ("low", ("OF1",), ()),
            "F": ("must", ("OF1",), ())}
    acts = [activity(a, title=f"Session {a}", priority=p, inspectors=i, attendees=at, days=(0,))
            for a, (p, i, at) in held.items()]
    acts.append(activity("OPT", title="Optional", priority="medium", inspectors=("OF1",), attendees=("P1",),
                         days=(0,), earliest=9 * H, latest=16 * H))
    insp = inspection(inspectors=[inspector("OF1", name="Olive Field")],
                      people=[person("P1", name="Pam Pratt")], rooms=[room("R1"), room("R2")], activities=acts)
    sessions = [session(a, 0, (9 + i) * H, (10 + i) * H, "R1", i_, at)
                for i, (a, (_, i_, at)) in enumerate(held.items())]
    week = timetable(insp, *sessions)
    [left] = unscheduled_reasons(week, Candidates(insp))
    assert left.activity_id == "OPT"
    assert left.reason == (
        "it competes for the same inspectors, people or rooms with "
        "'Session BOTH' (Mon 09:00-10:00, must; Olive Field, Pam Pratt); "
        "'Session B' (Mon 11:00-12:00, must; Olive Field); "
        "'Session D' (Mon 13:00-14:00, must; Olive Field); "
        "'Session F' (Mon 15:00-16:00, must; Olive Field); "
        "'Session C' (Mon 12:00-13:00, high; Olive Field)")


# --- a what-if's change lines --------------------------------------------------------------------------
def test_a_change_line_names_people_and_rooms_and_says_an_unchanged_time_once():
    insp = inspection(inspectors=[inspector("OF1", name="Olive Field"), inspector("OF2", name="Otto Fern")],
                      people=[person("P1", name="Pam Pratt"), person("P2", name="Paul Penn")],
                      rooms=[room("R1"), room("R2")],
                      activities=[activity("FG", title="Focus group"), activity("CT", title="Case tracking"),
                                  activity("LM", title="Leader meeting")])
    old = [session("FG", 1, 14 * H, 15 * H, "R1", ("OF1",), ("P1", "P2")),
           session("CT", 2, 9 * H, 10 * H, "R1", ("OF1",), ("P1",)),
           session("LM", 3, 9 * H, 10 * H, "R1", ("OF1",), ("P1",))]
    new = [session("FG", 1, 14 * H, 15 * H, "R1", ("OF1",), ("P2",)),
           session("CT", 2, 9 * H, 10 * H, "R1", ("OF2",), ("P1",)),
           session("LM", 3, 11 * H, 12 * H, "R2", ("OF2",), ("P1",))]
    changes = changes_between(timetable(insp, *old), timetable(insp, *new))
    lines = changes_summary(insp, changes, counted(changes), True, 4)
    assert lines[1:] == [
        "  FG 'Focus group': attendees: without Pam Pratt (Tue 14:00, Room R1); tell Olive Field, Pam Pratt, Paul Penn",
        "  CT 'Case tracking': inspectors: Otto Fern instead of Olive Field (Wed 09:00, Room R1); "
        "tell Olive Field, Pam Pratt, Otto Fern",
        # Moved, and another inspector: the two changes told apart.
        "  LM 'Leader meeting': moved; inspectors: Otto Fern instead of Olive Field (Thu 09:00, Room R1 -> "
        "Thu 11:00, Room R2); tell Olive Field, Pam Pratt, Otto Fern"]


# --- one set of search options ------------------------------------------------------------------------
def test_solve_and_whatif_share_the_search_options():
    def options(command):
        return {p.name: (p.type.__class__, p.default, p.help is not None) for p in main.commands[command].params
                if p.name in ("time_limit", "seed", "workers")}

    assert options("solve").keys() == {"time_limit", "seed", "workers"}
    assert options("solve") == options("whatif")


# --- the workbook that teaches itself, and the page that matches it ---------------------------------
def test_init_writes_a_workbook_that_teaches_itself(tmp_path):
    assert CliRunner().invoke(main, ["init", str(tmp_path)]).exit_code == 0
    book = openpyxl.load_workbook(tmp_path / "example.xlsx")
    assert book.sheetnames[0] == "Instructions"
    guide = [row for row in book["Instructions"].iter_rows(values_only=True) if row and row[1]]
    for name, (required, optional) in COLUMNS.items():  # every column of every table is explained
        for column in required + optional:
            assert any(r[0] == name and r[1] == column and r[3] and r[4] for r in guide), (name, column)
    activities = book["activities"]
    assert activities.freeze_panes == "A2"
    header = {cell.value: cell for cell in activities[1]}
    assert header["duration"].comment.text.startswith("Required. Minutes, a multiple of slot_minutes.")
    assert activities.column_dimensions[header["title"].column_letter].width > 20
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in activities.data_validations.dataValidation}
    assert lists[f"{header['priority'].column_letter}2"] == '"must,high,medium,low"'
    assert lists[f"{header['mode'].column_letter}2"] == '"in_person,virtual,either"'
    assert "focus_group" in lists[f"{header['type'].column_letter}2"]
    people = {cell.value: cell.column_letter for cell in book["people"][1]}
    people_lists = {str(v.sqref).split(":")[0]: v.formula1 for v in book["people"].data_validations.dataValidation}
    assert people_lists[f"{people['needs_accessible']}2"] == '"yes,no"'
    assert people_lists[f"{people['role']}2"] == '"practitioner,manager,leader,other"'
    inspectors = {cell.value: cell.column_letter for cell in book["inspectors"][1]}
    assert {str(v.sqref).split(":")[0] for v in book["inspectors"].data_validations.dataValidation} == \
        {f"{inspectors['inspectorate']}2", f"{inspectors['role']}2"}
    # and the workbook, Instructions and all, still validates
    assert CliRunner().invoke(main, ["validate", str(tmp_path / "example.xlsx")]).exit_code == 0


def test_the_guide_covers_every_column_and_setting():
    for sheet in TABLES:
        required, optional = COLUMNS[sheet.name]
        assert sorted(c.name for c in sheet.columns) == sorted(required + optional), sheet.name
    assert {key for key, _, _ in SETTINGS} == set(SETTING_KEYS)


def test_the_input_page_says_what_the_instructions_sheet_says():
    page = (ROOT / "docs" / "INPUT.md").read_text(encoding="utf-8")
    assert page == markdown() + "\n", "regenerate it: python -m loader.guide > docs/INPUT.md"
    assert "docs/INPUT.md" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("word", ["Tues", "# ", "pool_max", "link"])
def test_the_input_page_tells_what_leads_trip_on(word):
    assert word in markdown()
