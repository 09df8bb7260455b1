"""The readable views: timetable.html, timetable.xlsx and `schedule show`, on a small hand-made
week whose names and titles are hostile (markup, formulas, rich markup)."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime
from html.parser import HTMLParser

import openpyxl
import pytest
from click.testing import CliRunner

from cli import main
from exporters.html import render_html
from exporters.show import render_table
from exporters.xlsx import render_xlsx
from models import Timetable, Unscheduled
from tests.builders import WEEK, activity, inspection, inspector, person, room, session

SCRIPT = "<script>alert(1)</script>"
# Each starts with a character Excel reads as the start of a formula.
FORMULAS = ('=HYPERLINK("http://evil.example","x")', "+1 managers", "-1 strategy meeting",
            "@SUM(A1) leaders")


def hostile_timetable() -> Timetable:
    """Mon..Fri, two rooms and a virtual one, three inspectors; every kind of hostile text."""
    insp = inspection(
        inspectors=[inspector("OF1", "Ofsted", name=f"Ann {SCRIPT}", role="lead"),
                    inspector("CQ1", "CQC", name="=HYPERLINK(\"http://x\")"),
                    inspector("HM1", "HMICFRS", name="Hal [bold]Moss[/bold]")],
        people=[person("P1", name="+44 Pat"), person("P2", name="-Sam-"),
                person("M1", role="manager", name="@Mo")],
        rooms=[room("R1", name="Council Chamber", site="Town Hall", capacity=30),
               room("R2", name=f"Room {SCRIPT}", site="Police HQ", capacity=8),
               room("V1", name="Teams", virtual=True, capacity=None)],
        activities=[
            activity("KIT", type="kit_meeting", title="Keep in Touch", duration=30,
                     recurs_daily=True),
            activity("FG1", type="focus_group", title=f"{SCRIPT}Focus group", duration=90),
            activity("INT1", type="practitioner_interview", title=FORMULAS[0]),
            activity("MGR", type="manager_interview", title=FORMULAS[1]),
            activity("OBS", type="observation", title=FORMULAS[2]),
            activity("LEAD", type="leader_meeting", title=FORMULAS[3]),
            activity("FB", type="feedback", title="Feedback to leaders"),
            activity("X", title="Optional extra", priority="low"),
        ],
    )
    sessions = [session(f"KIT@{d}", i, 540, 570, "R1", ["OF1", "CQ1", "HM1"], ["P1", "M1"])
                for i, d in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri"))]
    sessions += [
        session("FG1", 0, 600, 690, "R2", ["OF1", "CQ1"], ["P1", "P2"]),
        session("INT1", 1, 600, 660, "R2", ["HM1"], ["P1"]),
        session("MGR", 1, 840, 900, "V1", ["CQ1"], ["M1"]),
        session("OBS", 2, 780, 840, "R1", ["HM1"], []),
        session("LEAD", 3, 600, 660, "R1", ["OF1", "CQ1"], ["M1"]),
        session("FB", 4, 840, 900, "R1", ["OF1", "CQ1", "HM1"], ["M1"]),
    ]
    return Timetable(insp, tuple(sessions),
                     (Unscheduled("X", "low", "no inspector is free for it"),))


class SessionCells(HTMLParser):
    """Collects (section id, row heading, data-day, occurrence id, text) for each session box of
    the week grids, so tests can ask which column a session landed in."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str, str, str]] = []
        self.section = self.row = self.day = ""
        self.occurrence: str | None = None
        self.text: list[str] = []
        self.in_row_name = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.section = a.get("id", "")
        elif tag == "tr":
            self.row = ""
        elif tag == "span" and a.get("class") == "name":
            self.in_row_name = True
        elif tag == "td":
            self.day = a.get("data-day", "")
        elif tag == "div" and "data-occurrence" in a:
            self.occurrence, self.text = a["data-occurrence"], []

    def handle_endtag(self, tag):
        if tag == "span" and self.in_row_name:
            self.in_row_name = False
        elif tag == "div" and self.occurrence is not None:
            self.found.append((self.section, self.row, self.day, self.occurrence,
                               " ".join("".join(self.text).split())))
            self.occurrence = None

    def handle_data(self, data):
        if self.in_row_name:
            self.row += data
        if self.occurrence is not None:
            self.text.append(data)


def session_cells(html: str) -> list[tuple[str, str, str, str, str]]:
    parser = SessionCells()
    parser.feed(html)
    return parser.found


def expected_cells(timetable: Timetable) -> set[tuple[str, str, str, str]]:
    """Where each session must appear: its room's row and each inspector's row, in its day."""
    insp = timetable.inspection
    out = set()
    for s in timetable.sessions:
        out.add(("by-room", insp.room_by_id[s.room_id].name, s.day_name, s.occurrence_id))
        out |= {("by-inspector", insp.inspector_by_id[i].name, s.day_name, s.occurrence_id)
                for i in s.inspector_ids}
    return out


# --- timetable.html ------------------------------------------------------------------------------
def test_html_puts_every_session_in_its_day_column_of_its_room_and_inspectors():
    timetable = hostile_timetable()
    cells = session_cells(render_html(timetable))
    assert {(sec, row, day, occ) for sec, row, day, occ, _ in cells} == expected_cells(timetable)
    titles = {a.id: a.title for a in timetable.inspection.activities}
    for _, _, _, occurrence, text in cells:
        assert titles[occurrence.split("@")[0]] in text


def test_html_escapes_every_input_string():
    html = render_html(hostile_timetable())
    # The page has no script of its own, so any "<script" would be injected text.
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Focus group" in html  # the title
    assert "Ann &lt;script&gt;alert(1)&lt;/script&gt;" in html  # an inspector's name
    assert "Room &lt;script&gt;alert(1)&lt;/script&gt;" in html  # a room's name


def test_html_is_self_contained_and_printable():
    html = render_html(hostile_timetable())
    for outside in ("<link", "<img", "<iframe", "@import", "src=", "href=", "url("):
        assert outside not in html
    assert "@page { size: A4 landscape" in html
    assert "break-before: page" in html  # the inspector grid starts on a new page


def test_html_legend_shows_the_types_held_with_their_colours():
    html = render_html(hostile_timetable())
    legend = html[html.index('<ul class="legend">'):html.index("</ul>")]
    assert '<li class="t-kit_meeting">KiT meeting</li>' in legend
    assert '<li class="t-focus_group">Focus group</li>' in legend
    # "Optional extra" (type other) is not held, and no case tracking happens: not in the legend.
    assert "t-other" not in legend and "Case tracking" not in legend
    assert ".t-kit_meeting {" in html  # every legend class has a colour rule


def test_html_lists_what_was_not_held_with_the_reason():
    html = render_html(hostile_timetable())
    not_held = html[html.index('<section id="not-held">'):]
    assert "Optional extra" in not_held and "no inspector is free for it" in not_held


def test_html_is_the_same_for_the_same_timetable_whatever_the_session_order():
    timetable = hostile_timetable()
    shuffled = Timetable(timetable.inspection, tuple(reversed(timetable.sessions)),
                         timetable.unscheduled)
    assert render_html(timetable) == render_html(shuffled)


# --- timetable.xlsx ------------------------------------------------------------------------------
def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_xlsx_has_a_sheet_per_day_then_one_per_inspector():
    book = load(render_xlsx(hostile_timetable()))
    assert book.sheetnames[:5] == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    assert len(book.sheetnames) == 8
    assert book.sheetnames[5].startswith("OF1 Ann <script>")  # ':' and '/' are not allowed
    assert book.sheetnames[6] == 'CQ1 =HYPERLINK("http---x")'
    assert book.sheetnames[7] == "HM1 Hal -bold-Moss--bold-"
    # Each inspector's sheet holds exactly their sessions.
    titles = [row[4] for row in book["HM1 Hal -bold-Moss--bold-"].iter_rows(min_row=2, values_only=True)]
    assert titles == ["Keep in Touch", "Keep in Touch", FORMULAS[0], "Keep in Touch",
                      FORMULAS[2], "Keep in Touch", "Keep in Touch", "Feedback to leaders"]


def test_xlsx_writes_formula_like_text_as_text():
    data = render_xlsx(hostile_timetable())
    book = load(data)
    cells = [c for sheet in book for row in sheet.iter_rows(min_row=2) for c in row
             if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    values = {c.value for c in cells}
    assert set(FORMULAS) <= values  # titles
    assert {'=HYPERLINK("http://x")', "+44 Pat", "-Sam-", "@Mo"} <= {
        part for v in values for part in v.split("; ")}  # names in the people columns
    for cell in cells:
        assert cell.data_type == "s", cell.coordinate
        assert cell.quotePrefix, cell.coordinate
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 8
        assert not any(b"<f>" in archive.read(n) for n in sheets)  # no formula anywhere


def test_xlsx_day_sheet_rows_header_and_layout():
    sheet = load(render_xlsx(hostile_timetable()))["Tue"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Date", "Day", "Start", "End", "Title", "Type", "Room", "Site",
                       "Inspectors", "Attendees", "Occurrence")
    assert rows[2] == (datetime(2025, 11, 11), "Tue", "10:00", "11:00", FORMULAS[0],
                       "Practitioner interview", "Room <script>alert(1)</script> · Police HQ",
                       "Police HQ", "Hal [bold]Moss[/bold]", "+44 Pat", "INT1")
    assert [r[-1] for r in rows[1:]] == ["KIT@Tue", "INT1", "MGR"]
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["E"].width > sheet.column_dimensions["B"].width


def test_xlsx_sheet_names_are_legal_and_unique():
    long = "Alexandra Bartholomew-Cunningham"
    insp = inspection(inspectors=[inspector("OF1", name=f"{long} [a]:*?/\\"),
                                  inspector("OF1x", name=long), inspector("OF1X", name=long),
                                  inspector("History", name="")],
                      rooms=[room("R1")], activities=[activity("A")])
    names = load(render_xlsx(Timetable(insp, ()))).sheetnames[5:]
    assert len(names) == 4 and len({n.lower() for n in names}) == 4
    for name in names:
        assert len(name) <= 31 and not set(name) & set("[]:*?/\\") and name[0] != "'"
    assert names[1] == "OF1x Alexandra Bartholomew-Cunn"  # cut at 31
    assert names[2] == "OF1X Alexandra Bartholomew- (2)"  # Excel ignores case: made unique
    assert names[3] == "History (2)"  # a name Excel reserves


def test_xlsx_bytes_are_pinned_to_the_week():
    timetable = hostile_timetable()
    data = render_xlsx(timetable)
    assert data == render_xlsx(timetable)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2025, 11, 10, 0, 0, 0)}
    props = load(data).properties
    assert props.created == props.modified == datetime(WEEK.year, WEEK.month, WEEK.day)


# --- schedule show -------------------------------------------------------------------------------
TIMETABLE_CSV = (
    "occurrence_id,activity_id,title,type,date,day,start,end,room,site,inspectors,attendees,sequence\r\n"
    "KIT@Mon,KIT,Keep in Touch,kit_meeting,2025-11-10,Mon,09:00,09:30,R1,Town Hall,OF1;CQ1,P1;M1,0\r\n"
    'FG1,FG1,"[bold]Focus, group[/bold]",focus_group,2025-11-10,Mon,10:00,11:30,R2,Police HQ,OF1,P1;P2,0\r\n'
    "MGR,MGR,=Managers,manager_interview,2025-11-11,Tue,14:00,15:00,V1,,CQ1,M1,1\r\n"
)


@pytest.fixture
def out_dir(tmp_path):
    (tmp_path / "timetable.csv").write_text(TIMETABLE_CSV, encoding="utf-8", newline="")
    (tmp_path / "unscheduled.csv").write_text(
        "activity_id,priority,reason\r\nX,low,no inspector is free for it\r\n", newline="")
    return tmp_path


def show(*args):
    return CliRunner().invoke(main, ["show", *map(str, args), "--width", "150"])


def test_show_prints_the_week_by_day_with_titles_verbatim(out_dir):
    result = show(out_dir)
    assert result.exit_code == 0, result.output
    out = result.output
    # Monday's table holds KiT and the focus group; Tuesday's the manager interview.
    monday, tuesday = out.index("Mon 10 Nov"), out.index("Tue 11 Nov")
    assert monday < out.index("Keep in Touch") < out.index("[bold]Focus, group[/bold]") < tuesday
    assert tuesday < out.index("=Managers") < out.index("Not held (1):")
    assert "X (low): no inspector is free for it" in out
    assert "Wed" not in out  # no sessions, no table


def test_show_by_inspector_lists_only_that_inspectors_sessions(out_dir):
    result = show(out_dir, "--by", "inspector", "CQ1")
    assert result.exit_code == 0, result.output
    assert "Inspector CQ1: 2 session(s)" in result.output
    assert "Keep in Touch" in result.output and "=Managers" in result.output
    assert "Focus" not in result.output


def test_show_by_room_without_id_gives_a_table_per_room(out_dir):
    result = show(out_dir, "--by", "room")
    assert result.exit_code == 0, result.output
    headings = [line for line in result.output.splitlines() if line.startswith("Room ")]
    assert headings == ["Room R1: 1 session(s)", "Room R2: 1 session(s)", "Room V1: 1 session(s)"]


def test_show_an_id_alone_says_what_it_is(out_dir):
    result = show(out_dir, "P2")
    assert result.exit_code == 0, result.output
    assert "Person P2: 1 session(s)" in result.output and "Keep in Touch" not in result.output


def test_show_unknown_id_says_so(out_dir):
    result = show(out_dir, "--by", "person", "ZZ9")
    assert result.exit_code == 2
    assert ("no person or inspector 'ZZ9' has a session in this timetable (those that do: CQ1, M1, "
            "OF1, P1, P2)") in result.output
    assert result.output.startswith("The folder has 1 problem(s):")  # the folder's, not the input's
    assert "Traceback" not in result.output
    near = show(out_dir, "--by", "person", "PP1")  # a slip: the closest ids, not everyone
    assert "(the closest names: P1)" in near.output, near.output


@pytest.mark.parametrize("content, where", [
    (None, "timetable.csv is missing"),
    ("occurrence_id,title\r\nA,B\r\n", "timetable.csv, row 1: the header must be"),
    (TIMETABLE_CSV.replace("14:00,15:00", "2pm,15:00"),
     "timetable.csv, row 4, column start: '2pm' is not a time HH:MM"),
    (TIMETABLE_CSV.replace("2025-11-11,Tue", "2025-11-11,Tuesday"),
     "timetable.csv, row 4, column day: 'Tuesday' is not one of Mon"),
])
def test_show_a_missing_or_garbled_folder_is_a_clean_error(tmp_path, content, where):
    if content is not None:
        (tmp_path / "timetable.csv").write_text(content, newline="")
    result = show(tmp_path)
    assert result.exit_code == 2
    assert where in result.output
    assert isinstance(result.exception, SystemExit)  # handled, no traceback


def test_render_table_from_a_timetable_uses_names():
    text = render_table(hostile_timetable(), by="inspector", resource_id="HM1", width=300)
    assert text.startswith("Inspector Hal [bold]Moss[/bold] (HM1): 8 session(s)\n")
    assert "Hal [bold]Moss[/bold]" in text  # rich markup printed as written
    assert "Room <script>alert(1)</script> · Police HQ" in text
    assert "Teams (online)" not in text  # HM1 is not in the online manager interview


def test_show_an_infeasible_runs_folder_points_at_its_explanation(tmp_path):
    (tmp_path / "explanation.txt").write_text("No timetable can hold every must.\n")
    (tmp_path / "solve.json").write_text('{"status": "INFEASIBLE"}')
    result = show(tmp_path)
    assert result.exit_code == 2
    assert f"found no timetable: see {tmp_path / 'explanation.txt'}" in result.output
