"""The workbench (`schedule serve`) over HTTP, with Starlette's TestClient: the security rules of
issue 18 (token, CSRF, Host, upload caps, downloads only from the workspace, CSP, names never
logged, one search at a time) and the folders it leaves, which the CLI reads as its own."""
from __future__ import annotations

import csv
import io
import json
import logging
import re
import socket
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from markupsafe import escape  # as the pages escape (Jinja)
from starlette.testclient import TestClient

from cli import main
from tests.test_send import smtp_server  # noqa: F401  (a fixture: a real SMTP server on 127.0.0.1)
from fixtures.example import example_tables, write_tables
from workbench import create_app
from workbench.app import CSP, MAX_UPLOAD, TOKEN_COOKIE

BASE = "http://127.0.0.1:8765"
TOKEN = "a-long-enough-test-token-1234"


def tiny_workbook(path: Path) -> Path:
    """A 20-row week (the smallest the example generator makes): solved to optimality in ~1 s."""
    write_tables(example_tables(rows=20, seed=7), xlsx_path=path)
    return path


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def wait_for_search(client: TestClient, seconds: float = 60) -> dict:
    """Poll /progress.json until the search ends (the page's script listens to /progress instead)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = client.get("/progress.json").json()
        if state["state"] != "running":
            return state
        time.sleep(0.2)
    raise AssertionError("the search did not end")


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    return tiny_workbook(tmp_path_factory.mktemp("book") / "tiny.xlsx")


@pytest.fixture(scope="module")
def solved(tmp_path_factory, workbook):
    """A workspace where the tiny week was uploaded and solved through the pages."""
    root = tmp_path_factory.mktemp("workspace")
    client = TestClient(create_app(root), base_url=BASE)
    csrf = csrf_of(client.get("/inspection").text)
    with workbook.open("rb") as handle:
        page = client.post("/inspection/upload", data={"csrf": csrf},
                           files={"workbook": ("tiny.xlsx", handle, "application/octet-stream")})
    assert 'data-testid="input-ok"' in page.text
    client.post("/solve/start", data={"csrf": csrf, "time_limit": "10"})
    assert wait_for_search(client)["state"] == "done"
    return root, client, csrf


# --- what the pages do ------------------------------------------------------------------------------
def test_a_solve_from_the_pages_is_an_ordinary_output_folder_the_cli_checks(solved):
    root, client, _ = solved
    run = root / "runs" / "001-solve"
    assert (root / "current").read_text().strip() == "001-solve"  # the first timetable is current
    result = CliRunner().invoke(main, ["check", str(run / "workbook.xlsx"), str(run / "out")])
    assert result.exit_code == 0, result.output
    summary = re.search(r'data-testid="result-summary">([^<]*)<', client.get("/solve").text).group(1)
    musts = sum(1 for a in example_tables(rows=20, seed=7)["activities"] if a["priority"] == "must")
    assert "musts held" in summary and summary.startswith("All ")
    assert musts > 0


def test_the_week_shows_every_session_by_room_inspector_and_person(solved):
    root, client, _ = solved
    held = (root / "runs" / "001-solve" / "out" / "timetable.csv").read_text().count("\n") - 1
    by_room = client.get("/week?by=room").text
    assert 'data-testid="timetable"' in by_room
    assert by_room.count('class="session') == held  # each session once, in its room
    assert 'must-mark' in by_room
    for by in ("inspector", "person"):
        assert client.get(f"/week?by={by}").text.count('class="session') >= held


def test_a_replan_by_name_shows_its_changes_and_adopt_makes_it_current(solved):
    root, client, csrf = solved
    timetable = (root / "runs" / "001-solve" / "out" / "timetable.csv").read_text().splitlines()
    # Someone in a session on Thursday or Friday (the tiny week has one inspector per inspectorate,
    # so a partner person), named as the lead would type the name.
    person = next(i for line in timetable[1:] if ",Thu," in line or ",Fri," in line
                  for i in line.split(",")[-2].split(";") if i)
    name = next(r["name"] for r in example_tables(rows=20, seed=7)["people"] if r["id"] == person)
    client.post("/replan/start", data={"csrf": csrf, "who": name.upper(), "from": "Wed 09:00",
                                       "time_limit": "10"})
    assert wait_for_search(client)["state"] == "done"
    run = sorted((root / "runs").glob("*-replan"))[-1]
    page = client.get(f"/replan?run={run.name}").text
    rows = (run / "out" / "changes.csv").read_text().count("\n") - 1
    table = page[page.index('data-testid="changes"'):page.index("</table>", page.index('data-testid="changes"'))]
    assert table.count("<tr class=\"change-") == rows >= 1
    # Who came and went, for each change of people: by name, as changes.csv says it.
    said = [r["people_changed"] for r in csv.DictReader(io.StringIO((run / "out" / "changes.csv").read_text()))
            if r["change"] in ("inspectors", "attendees")]
    assert said and all(escape(text) in table for text in said)
    assert json.loads((run / "out" / "whatif.json").read_text())["drop"] == [person]
    assert 'data-testid="send-this"' not in page  # not current yet: nothing to send from it
    client.post("/adopt", data={"csrf": csrf, "run": run.name})
    assert (root / "current").read_text().strip() == run.name
    assert f'href="/send?run={run.name}" data-testid="send-this">Send its updates</a>' in \
        client.get(f"/replan?run={run.name}").text
    # Its week marks each session it changed or added, and no other.
    week = client.get(f"/week?run={run.name}").text
    changed = {r["occurrence_id"] for r in csv.DictReader(io.StringIO((run / "out" / "changes.csv").read_text()))
               if r["change"] != "cancelled"}
    marked = set(re.findall(r'<div class="session [^"]* changed" data-occurrence="([^"]+)"', week))
    assert marked == changed and changed
    assert 'class="change-mark"' not in client.get("/week?run=001-solve").text


def test_a_replan_of_a_replan_keeps_whoever_dropped_out_out_until_the_lead_says_they_are_back(solved):
    """The current timetable (adopted above) was re-planned for someone dropping out from Wed 09:00.
    A second re-plan from the pages asks for another dropout only, and still keeps the first out,
    as `schedule whatif` does given the earlier --drop again; the page says what is in force; and
    the lead can re-plan with them back."""
    root, client, csrf = solved
    current = (root / "current").read_text().strip()
    recorded = root / "runs" / current / "out" / "whatif.json"
    if not recorded.exists():  # run on its own: the dropout the test above adopts
        rows_ = (root / "runs" / current / "out" / "timetable.csv").read_text().splitlines()[1:]
        person = next(i for line in rows_ if ",Thu," in line for i in line.split(",")[-2].split(";") if i)
        client.post("/replan/start", data={"csrf": csrf, "who": person, "from": "Wed 09:00", "time_limit": "10"})
        assert wait_for_search(client)["state"] == "done"
        current = sorted((root / "runs").glob("*-replan"))[-1].name
        client.post("/adopt", data={"csrf": csrf, "run": current})
        recorded = root / "runs" / current / "out" / "whatif.json"
    earlier = json.loads(recorded.read_text())
    assert earlier["drop"] and earlier["now"] == [2, 9 * 60]
    first = earlier["drop"][0]
    first_name = next(r["name"] for r in example_tables(rows=20, seed=7)["people"] if r["id"] == first)
    page = client.get("/replan").text
    panel = page[page.index('data-testid="still-out"'):page.index("</section>", page.index('data-testid="still-out"'))]
    assert f"{escape(first_name)} drops out from Wed 09:00" in panel

    timetable = (root / "runs" / current / "out" / "timetable.csv").read_text().splitlines()
    second = next(i for line in timetable[1:] if ",Fri," in line for i in line.split(",")[-2].split(";")
                  if i and i != first)
    client.post("/replan/start", data={"csrf": csrf, "who": second, "from": "Thu 09:00", "time_limit": "10"})
    assert wait_for_search(client)["state"] == "done"
    run = sorted((root / "runs").glob("*-replan"))[-1]
    asked = json.loads((run / "out" / "whatif.json").read_text())
    assert asked["drop"] == [second, first] and asked["now"] == [3, 9 * 60]
    # The first is still said to be out from when they dropped out, not from the later time.
    assert asked["since"] == [[first, 2, 9 * 60]]
    assert f"{escape(first_name)} drops out from Wed 09:00" in client.get(f"/replan?run={run.name}").text
    # The folder keeps both out: `schedule check` judges it against the dropouts it records.
    result = CliRunner().invoke(main, ["check", str(run / "workbook.xlsx"), str(run / "out")])
    assert result.exit_code == 0, result.output
    later = [line for line in (run / "out" / "timetable.csv").read_text().splitlines()[1:]
             if ",Thu," in line or ",Fri," in line]
    assert not any(who in line.split(",")[-2].split(";") for line in later for who in (first, second))

    client.post("/replan/start", data={"csrf": csrf, "back": first_name, "from": "Thu 09:00", "time_limit": "10"})
    assert wait_for_search(client)["state"] == "done"
    back = sorted((root / "runs").glob("*-replan"))[-1]
    asked_back = json.loads((back / "out" / "whatif.json").read_text())
    assert back != run and (asked_back["drop"], asked_back["now"]) == ([], [3, 9 * 60])
    page = client.post("/replan/start", data={"csrf": csrf, "back": "Nobody Known", "time_limit": "10"})
    assert page.status_code == 400 and "is not out in the current timetable" in page.text

    # Both re-planned the current timetable. Once one is adopted, the other would undo it: refused.
    assert f"change(s) to {current}," in client.get(f"/replan?run={back.name}").text
    client.post("/adopt", data={"csrf": csrf, "run": run.name})
    assert (root / "current").read_text().strip() == run.name
    assert 'data-testid="not-adoptable"' in client.get(f"/replan?run={back.name}").text
    refused = client.post("/adopt", data={"csrf": csrf, "run": back.name})
    assert refused.status_code == 400 and f"{back.name} re-planned {current}, not the current timetable" in refused.text
    assert (root / "current").read_text().strip() == run.name


def test_robustness_from_the_pages_writes_what_the_command_writes_and_ranks_by_name(solved, tmp_path):
    """The Robustness page asks the questions of `schedule robustness` about the current timetable,
    into runs/NNN-robustness/out/, and shows the most harmful first by name; the command run on the
    same folders gives the same rows. Such a run holds no timetable: it cannot be adopted."""
    import csv
    import io

    root, client, csrf = solved
    current = (root / "current").read_text().strip()
    client.post("/robustness/start", data={"csrf": csrf, "from": "Wed 09:00", "time_limit": "5"})
    assert wait_for_search(client, 300)["state"] == "done"
    run = sorted((root / "runs").glob("*-robustness"))[-1]
    rows = list(csv.DictReader(io.StringIO((run / "out" / "robustness.csv").read_text(encoding="utf-8"))))
    assert rows and json.loads((run / "out" / "solve.json").read_text())["partial"] is False
    page = client.get(f"/robustness?run={run.name}").text
    table = page[page.index('data-testid="robustness-table"'):page.index("</table>", page.index('data-testid="robustness-table"'))]
    shown = re.findall(r'<span class="title">([^<]*)</span><span class="sub">([^<]*)</span>', table)
    assert [(r["name"], r["id"]) for r in rows[:20]] == [(name.replace("&#39;", "'"), i) for name, i in shown]
    assert "questions answered" in re.search(r'data-testid="robustness-summary">([^<]*)<', page).group(1)

    out = tmp_path / "robust"
    result = CliRunner().invoke(main, ["robustness", str(run / "workbook.xlsx"), "--baseline",
                                       str(root / "runs" / current / "out"), "--from", "Wed 09:00",
                                       "--out", str(out), "--time-limit", "5"])
    assert result.exit_code == 0, result.output
    again = list(csv.DictReader(io.StringIO((out / "robustness.csv").read_text(encoding="utf-8"))))
    assert [{k: v for k, v in r.items() if k != "seconds"} for r in again] == \
           [{k: v for k, v in r.items() if k != "seconds"} for r in rows]

    client.post("/adopt", data={"csrf": csrf, "run": run.name})
    assert (root / "current").read_text().strip() == current
    assert f"/download/{run.name}/robustness.html" in client.get("/downloads").text
    assert client.get(f"/download/{run.name}/robustness.html").status_code == 200
    assert client.get(f"/week?run={run.name}").status_code == 200  # shows the current week instead
    for page in ("solve", "replan"):  # a report is no timetable: those pages show none
        shown = client.get(f"/{page}?run={run.name}")
        assert shown.status_code == 200 and f"Result: {run.name}" not in shown.text


def test_problems_are_listed_with_sheet_row_column_and_activity(tmp_path):
    tables = example_tables(rows=20, seed=7)
    tables["activities"][2]["duration"] = "ninety"
    bad = tmp_path / "bad.xlsx"
    write_tables(tables, xlsx_path=bad)
    client = TestClient(create_app(tmp_path / "ws"), base_url=BASE)
    csrf = csrf_of(client.get("/inspection").text)
    page = client.post("/inspection/upload", data={"csrf": csrf},
                       files={"workbook": ("bad.xlsx", bad.read_bytes())}).text
    assert 'data-testid="input-ok"' not in page
    problems = page[page.index('data-testid="problems"'):]
    row = re.search(r"<tr><td>activities</td><td>4</td><td>duration</td><td>([^<]*)</td>", problems)
    assert row and row.group(1).startswith(tables["activities"][2]["id"])


def test_replan_with_an_edited_workbook_cancels_what_was_removed(solved, tmp_path):
    """'I edited the workbook': the upload is re-planned against the current timetable's input/;
    an activity taken out of the workbook is cancelled, and shows so in the changes table, and the
    page says which edits the re-plan took in (as whatif.json records and the CLI prints)."""
    root, client, csrf = solved
    current = (root / "current").read_text().strip()
    held = {line.split(",")[0] for line in
            (root / "runs" / current / "out" / "timetable.csv").read_text().splitlines()[1:]}
    tables = example_tables(rows=20, seed=7)
    removed = next(a for a in tables["activities"] if a["priority"] != "must" and a["id"] in held)
    tables["activities"].remove(removed)
    edited = write_tables(tables, xlsx_path=tmp_path / "edited.xlsx")[0]
    client.post("/replan/start", data={"csrf": csrf, "time_limit": "10"},
                files={"workbook": ("edited.xlsx", edited.read_bytes())})
    assert wait_for_search(client)["state"] == "done"
    page = client.get("/replan").text
    table = page[page.index('data-testid="changes"'):]
    # By its title, as changes.csv gives it, though the workbook no longer has it.
    assert (f'<tr class="change-cancelled"><td><span class="title">{escape(removed["title"])}</span>'
            f'<span class="sub">{removed["id"]}</span>') in table
    edits = page[page.index('data-testid="edits"'):page.index("</ul>", page.index('data-testid="edits"'))]
    said = f"activities removed: {removed['id']} '{removed['title']}'"
    assert f"<li>{escape(said)}</li>" in edits
    run = sorted((root / "runs").glob("*-replan"))[-1]
    assert json.loads((run / "out" / "whatif.json").read_text())["edits"] == [said]




def test_a_workbook_uploaded_with_edits_shows_them_and_re_plans_without_a_second_upload(solved):
    """The workspace's workbook (uploaded by the test before) differs from the current timetable's:
    the Inspection and Re-plan pages list its edits, as a re-plan would take them in, and re-plan
    with it at one click."""
    root, client, csrf = solved
    current = (root / "current").read_text().strip()
    said = json.loads((sorted((root / "runs").glob("*-replan"))[-1] / "out" / "whatif.json").read_text())["edits"]
    assert said  # the edited workbook's re-plan took in an edit
    for path in ("/inspection", "/replan"):
        page = client.get(path).text
        shown = page[page.index('data-testid="edits-since"'):page.index("</ul>", page.index('data-testid="edits-since"'))]
        assert f"Since the current timetable ({current})" in shown, path
        assert [str(escape(e)) for e in said] == re.findall(r"<li>([^<]*)</li>", shown), path
    client.post("/replan/start", data={"csrf": csrf, "uploaded": "1", "time_limit": "10"})
    assert wait_for_search(client)["state"] == "done"
    run = sorted((root / "runs").glob("*-replan"))[-1]
    assert json.loads((run / "out" / "whatif.json").read_text())["edits"] == said
    assert (run / "workbook.xlsx").read_bytes() == (root / "workbook.xlsx").read_bytes()

def test_someone_away_for_a_while_is_whatifs_unavailable_and_the_command_writes_the_same_folder(solved, tmp_path):
    """'Someone is away for a while': that absence only (unlike a dropout, they keep the rest of
    their week), as `schedule whatif --unavailable "ID Thu" --now "Wed 09:00"` takes it: the
    command on the same workbook and baseline writes the same timetable.csv, changes.csv and
    whatif.json."""
    root, client, csrf = solved
    form = client.get("/replan").text
    form = form[form.index("Someone is away for a while"):]
    assert all(f'name="{field}"' in form[:form.index("</form>")] for field in ("who", "away", "from", "time_limit"))
    base = root / "runs" / (root / "current").read_text().strip() / "out"
    held = list(csv.DictReader(io.StringIO((base / "timetable.csv").read_text())))

    def days_of(person, rows):
        return {r["day"] for r in rows if person in r["attendees"].split(";")}
    person = next(p for r in held if r["day"] == "Thu" for p in r["attendees"].split(";")
                  if p and days_of(p, held) - {"Mon", "Tue", "Thu"})  # also in a session after Wednesday 09:00
    name = next(r["name"] for r in example_tables(rows=20, seed=7)["people"] if r["id"] == person)
    client.post("/replan/start", data={"csrf": csrf, "who": name, "away": "Thu", "from": "Wed 09:00",
                                       "time_limit": "10"})
    assert wait_for_search(client)["state"] == "done"
    run = sorted((root / "runs").glob("*-replan"))[-1]
    asked = json.loads((run / "out" / "whatif.json").read_text())
    # Whoever the current timetable was re-planned without (an earlier test's dropout) stays out.
    # and what had happened by its time has still happened (the later of the two times).
    recorded = json.loads((base / "whatif.json").read_text()) if (base / "whatif.json").exists() else {}
    earlier, now = recorded.get("drop", []), max(recorded.get("now") or [2, 9 * 60], [2, 9 * 60])
    when = f"{['Mon', 'Tue', 'Wed', 'Thu', 'Fri'][now[0]]} {now[1] // 60:02d}:{now[1] % 60:02d}"
    assert (asked["drop"], asked["unavailable"], asked["now"]) == (earlier, [[person, 3, 0, 24 * 60]], now)
    names = {r["id"]: r["name"] for r in example_tables(rows=20, seed=7)["people"]}
    days = ["Mon", "Tue", "Wed", "Thu", "Fri"]
    since = {i: f"{days[d]} {m // 60:02d}:{m % 60:02d}" for i, d, m in asked.get("since", [])}
    said = "Re-planned for: " + "".join(f"{names[i]} drops out from {since.get(i, when)}; " for i in earlier) + \
        f"{name} is away Thu all day; what starts before {when} has happened and stays as it was."
    assert str(escape(said)) in client.get(f"/replan?run={run.name}").text
    after = list(csv.DictReader(io.StringIO((run / "out" / "timetable.csv").read_text())))
    assert "Thu" not in days_of(person, after) and days_of(person, after) - {"Mon", "Tue", "Thu"}

    cli = CliRunner().invoke(main, ["whatif", str(run / "workbook.xlsx"), "--baseline", str(base),
                                    "--unavailable", f"{person} Thu", "--now", when,
                                    *[a for i in earlier for a in ("--drop", i)],
                                    "--time-limit", "10", "--out", str(tmp_path / "cli")])
    assert cli.exit_code == 0, cli.output
    for name in ("timetable.csv", "changes.csv", "whatif.json"):
        assert (tmp_path / "cli" / name).read_bytes() == (run / "out" / name).read_bytes(), name

def test_send_previews_then_sends_through_the_send_commands_code(solved, smtp_server):
    """Send runs mail.send_folder on the current run: a dry-run preview first, then a real send to
    a local SMTP server, recorded in sent.csv, after which nothing is left to send."""
    import zipfile
    from io import BytesIO

    from mail import read_ledger

    root, client, csrf = solved
    current = (root / "current").read_text().strip()
    out = root / "runs" / current / "out"
    page = client.get("/send").text
    assert current in page and 'data-testid="send-plan"' in page
    # The current timetable re-planned (a re-plan of) 001-solve, whose invitations never went out:
    # the page says so and links to each (the re-plan's outbox alone would leave everyone else
    # without theirs).
    assert current.endswith("-replan")
    unsent = re.findall(r'data-testid="unsent-before"><a href="/send\?run=([^"]+)">', page)
    assert "001-solve" in unsent and current not in unsent
    client.post("/send/preview", data={"csrf": csrf, "run": current})
    page = client.get(f"/send?run={current}").text
    assert 'data-testid="preview"' in page and not (out / "sent.csv").exists()  # a preview sends nothing
    emls = zipfile.ZipFile(BytesIO(client.get(f"/zip/{current}/preview").content)).namelist()
    invites = sorted(p.name for p in (out / ("outbox" if (out / "changes.csv").exists() else "invites")).glob("*.ics"))
    assert len([n for n in emls if n.endswith(".eml")]) == len(invites) >= 1

    handler, port = smtp_server()
    sent = client.post("/send/start", data={"csrf": csrf, "run": current, "smtp_host": "127.0.0.1",
                                             "smtp_port": str(port), "smtp_security": "none"})
    assert sent.status_code == 200 and 'data-testid="send-report"' in sent.text
    assert len(handler.received) == len(read_ledger(out)) == len(invites)
    assert "0 to send now" in client.get(f"/send?run={current}").text
    # A fresh solve's invitations start again at the first version: calendars holding the sent
    # re-plan's keep those, and its Send page says so. Not the first solve's, which the sent
    # re-plan was made from (the chain's advice is to send it too), nor the re-plan's own.
    client.post("/solve/start", data={"csrf": csrf, "time_limit": "5"})
    assert wait_for_search(client)["state"] == "done"
    fresh = sorted((root / "runs").glob("*-solve"))[-1].name
    assert fresh != "001-solve" and (root / "current").read_text().strip() == current
    warning = client.get(f"/send?run={fresh}").text
    assert 'data-testid="sent-elsewhere"' in warning and current in warning[warning.index('"sent-elsewhere"'):]
    assert 'data-testid="sent-elsewhere"' not in client.get("/send?run=001-solve").text
    assert 'data-testid="sent-elsewhere"' not in client.get(f"/send?run={current}").text
    wrong = client.post("/send/start", data={"csrf": csrf, "run": current, "smtp_host": "127.0.0.1",
                                              "smtp_port": str(port), "smtp_security": "tls-please"})
    assert wrong.status_code == 400


# --- security ---------------------------------------------------------------------------------------
def test_every_page_carries_a_csp_that_loads_nothing_from_other_hosts(solved):
    _, client, _ = solved
    for path in ("/inspection", "/solve", "/week", "/replan", "/send", "/downloads", "/static/app.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-security-policy"] == CSP
        # Back never shows a page from the cache (one that still shows a search that has ended).
        assert path.startswith("/static") or response.headers["cache-control"] == "no-store", path
    assert "http" not in CSP and "'unsafe-inline'" not in CSP
    page = client.get("/week").text
    assert not re.search(r'(src|href)="(https?:)?//', page)  # every script, style and link is local


def test_posts_without_the_csrf_token_change_nothing(solved, workbook):
    root, client, _ = solved
    before = sorted(p.name for p in (root / "runs").iterdir())
    for data in ({}, {"csrf": "forged"}):
        assert client.post("/solve/start", data={**data, "time_limit": "1"}).status_code == 403
        assert client.post("/inspection/example", data=data).status_code == 403
        assert client.post("/adopt", data={**data, "run": "001-solve"}).status_code == 403
        assert client.post("/send/start", data={**data, "run": "001-solve", "smtp_host": "127.0.0.1"}).status_code == 403
    assert sorted(p.name for p in (root / "runs").iterdir()) == before


def test_with_a_token_every_request_needs_it_and_the_first_visit_sets_a_cookie(tmp_path):
    client = TestClient(create_app(tmp_path, token=TOKEN), base_url=BASE)
    for path in ("/inspection", "/static/app.js", "/progress.json", "/download/001-solve/timetable.xlsx"):
        assert client.get(path).status_code == 401, path
    assert client.get("/inspection?token=wrong").status_code == 401
    first = client.get(f"/week?token={TOKEN}", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == f"{BASE}/week"  # token off the address
    cookie = first.headers["set-cookie"]
    assert f"{TOKEN_COOKIE}={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get("/inspection").status_code == 200  # the cookie now carries it
    fresh = TestClient(create_app(tmp_path, token=TOKEN), base_url=BASE)
    assert fresh.get("/inspection", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert fresh.post("/inspection/example", data={"csrf": "x"}).status_code == 401


def test_an_unknown_host_name_is_refused(tmp_path):
    """A page of another site rebinding its name to 127.0.0.1 would reach us with its own Host."""
    client = TestClient(create_app(tmp_path), base_url="http://attacker.example:8765")
    assert client.get("/inspection").status_code == 421


@pytest.mark.parametrize("name, data, expected", [
    ("week.csv", b"id,name\n", "only .xlsx"),
    ("week.xlsx", b"<html>not a workbook</html>", "is not an .xlsx workbook"),
])
def test_uploads_other_than_xlsx_are_refused_and_nothing_is_written(tmp_path, name, data, expected):
    client = TestClient(create_app(tmp_path), base_url=BASE)
    csrf = csrf_of(client.get("/inspection").text)
    response = client.post("/inspection/upload", data={"csrf": csrf}, files={"workbook": (name, data)})
    assert response.status_code == 400 and expected in response.text
    assert not (tmp_path / "workbook.xlsx").exists()


def test_an_upload_over_the_size_cap_is_refused_before_it_is_read(tmp_path):
    client = TestClient(create_app(tmp_path), base_url=BASE)
    csrf = csrf_of(client.get("/inspection").text)
    big = b"PK\x03\x04" + b"\0" * MAX_UPLOAD
    response = client.post("/inspection/upload", data={"csrf": csrf}, files={"workbook": ("big.xlsx", big)})
    assert response.status_code == 413
    assert not (tmp_path / "workbook.xlsx").exists()


def test_downloads_come_only_from_a_runs_output_folder(solved, tmp_path):
    root, client, _ = solved
    ok = client.get("/download/001-solve/timetable.xlsx")
    assert ok.status_code == 200 and ok.content[:4] == b"PK\x03\x04"
    # Saved under the run's name, so the next run's timetable.xlsx lands beside it.
    assert 'filename="001-solve-timetable.xlsx"' in ok.headers["content-disposition"]
    assert client.get("/zip/001-solve/preview").status_code == 404  # no preview was made of it
    assert client.get("/favicon.ico").status_code == 204
    week = client.get("/download/001-solve/timetable.html")  # opens in the browser, but runs nothing
    assert "script-src" not in week.headers["content-security-policy"]
    assert "sandbox" in week.headers["content-security-policy"]
    secret = root / "runs" / "001-solve" / "out" / "leak.txt"
    secret.symlink_to(root / "workbook.xlsx")  # a link out of the folder is not followed
    try:
        for path in ("/download/001-solve/%2e%2e/workbook.xlsx", "/download/001-solve/..%2fworkbook.xlsx",
                     "/download/001-solve/%2e%2e%2f%2e%2e%2fworkbook.xlsx", "/download/..%2f..%2fetc/passwd",
                     "/download/001-solve/%2fetc%2fpasswd", "/download/nosuch/timetable.xlsx",
                     "/download/001-solve/leak.txt", "/zip/..%2f001-solve/all", "/zip/001-solve/..%2f"):
            assert client.get(path).status_code == 404, path
    finally:
        secret.unlink()


def test_one_search_at_a_time_per_workspace_even_across_two_servers(solved):
    root, client, csrf = solved
    other = TestClient(create_app(root), base_url=BASE)
    other_csrf = csrf_of(other.get("/solve").text)
    from workbench.actions import LOCK, _take_lock
    import os

    handle = _take_lock(root / LOCK)  # as a running search on another server holds it
    try:
        busy = other.post("/solve/start", data={"csrf": other_csrf, "time_limit": "5"})
        assert busy.status_code == 409 and "another workbench is running a search" in busy.text
    finally:
        os.close(handle)


def test_a_second_solve_while_one_runs_is_refused_and_stop_keeps_the_best(tmp_path):
    """The bundled example's week is not proven optimal within seconds: Stop ends the search, and
    the best timetable found so far is written (interrupted, every must held)."""
    client = TestClient(create_app(tmp_path), base_url=BASE)
    csrf = csrf_of(client.get("/inspection").text)
    client.post("/inspection/example", data={"csrf": csrf})
    client.post("/solve/start", data={"csrf": csrf, "time_limit": "120"})
    busy = client.post("/solve/start", data={"csrf": csrf, "time_limit": "5"})
    assert busy.status_code == 409 and "already running" in busy.text
    deadline = time.monotonic() + 90
    while client.get("/progress.json").json()["held"] is None and time.monotonic() < deadline:
        time.sleep(0.2)
    client.post("/stop", data={"csrf": csrf})
    assert wait_for_search(client)["state"] == "done"
    facts = json.loads((tmp_path / "runs" / "001-solve" / "out" / "solve.json").read_text())
    assert facts["interrupted"] is True and facts["wall_seconds"] < 100
    assert "All " in re.search(r'data-testid="result-summary">([^<]*)<', client.get("/solve").text).group(1)


@pytest.mark.parametrize("kind, measure", [("solve", "Held weight"),
                                           ("replan", "Score (held weight − change_cost × changes)")])
def test_the_progress_panel_names_what_the_search_reports(kind, measure):
    """A re-plan's search reports SPEC §4's score (held weight - change_cost x changes), not the
    held weight: the panel says which, beside the figure."""
    from types import SimpleNamespace

    from workbench.app import SEARCHING, _environment

    job = SimpleNamespace(state="running", kind=kind, run=SimpleNamespace(name=f"002-{kind}"), time_limit=10.0)
    html = _environment().get_template("_progress.html").render(job=job, searching=SEARCHING, csrf="x")
    assert f'<dt data-testid="progress-measure">{measure}</dt>' in html


def test_staff_names_never_reach_the_log(solved, caplog):
    root, client, csrf = solved
    tables = example_tables(rows=20, seed=7)
    names = [r["name"] for r in tables["inspectors"] + tables["people"]]
    with caplog.at_level(logging.DEBUG):
        for path in ("/week?by=person", f"/week?by=person&who={names[0]}", "/replan", "/downloads"):
            client.get(path)
        client.post("/replan/start", data={"csrf": csrf, "who": names[-1] + " nobody", "from": "Wed 09:00"})
        client.get(f"/download/001-solve/{names[1]}.ics")
    logged = "\n".join(record.getMessage() for record in caplog.records
                       if record.name.startswith(("workbench", "uvicorn")))  # the server's, not the test client's
    assert "GET /week 200" in logged  # the log is there, and says what it should
    for name in names:
        assert name not in logged
        assert name.split()[-1] not in logged


def test_a_bug_is_logged_by_its_type_only(solved, caplog, monkeypatch):
    import workbench.app

    _, client, _ = solved

    def broken(run, by):
        raise KeyError("Simon Mason is not in the room table")

    monkeypatch.setattr(workbench.app, "_week", broken)
    with caplog.at_level(logging.INFO, logger="workbench"):
        response = client.get("/week")
    assert response.status_code == 500 and "Mason" not in response.text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "KeyError" in logged and "Mason" not in logged


# --- `schedule serve` -----------------------------------------------------------------------------------
def test_serve_refuses_another_host_without_a_token(tmp_path, monkeypatch):
    import uvicorn

    started = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.append(options))
    monkeypatch.delenv("SCHEDULE_TOKEN", raising=False)
    refused = CliRunner().invoke(main, ["serve", str(tmp_path), "--host", "0.0.0.0", "--no-browser"])
    assert refused.exit_code == 2 and "--token" in refused.output and not started
    short = CliRunner().invoke(main, ["serve", str(tmp_path), "--host", "192.0.2.7", "--token", "abc", "--no-browser"])
    assert short.exit_code == 2 and not started
    ok = CliRunner().invoke(main, ["serve", str(tmp_path), "--host", "192.0.2.7", "--no-browser"],
                            env={"SCHEDULE_TOKEN": TOKEN})
    assert ok.exit_code == 0, ok.output
    assert started == [{"host": "192.0.2.7", "port": 8765, "access_log": False, "log_level": "info"}]
    assert f"http://192.0.2.7:8765/?token={TOKEN}" in ok.output
    local = CliRunner().invoke(main, ["serve", str(tmp_path / "new"), "--no-browser", "--port", "9000"])
    assert local.exit_code == 0 and started[-1]["host"] == "127.0.0.1" and (tmp_path / "new" / "runs").is_dir()



def test_the_replan_forms_read_who_from_and_away_as_whatif_reads_drop_now_and_unavailable():
    # The form and `schedule whatif` share loader.request: the same ids, names and days, and a bad
    # field named in the lead's words (the form's labels) rather than a traceback.
    from models import ScheduleError
    from models.changes import WhatIf
    from tests.builders import inspection, inspector, person
    from workbench.actions import replan_request

    insp = inspection(inspectors=[inspector("OF1", name="Ines Hale")], people=[person("P1")])
    assert replan_request(insp, " ines hale ", "Wed 09:00") == WhatIf(drop=("OF1",), now=(2, 9 * 60))
    assert replan_request(insp, "P1", "") == WhatIf(drop=("P1",), now=None)
    with pytest.raises(ScheduleError, match=r"^Who: 'NOBODY' is not an inspector, person or room"):
        replan_request(insp, "NOBODY", "Wed 09:00")
    with pytest.raises(ScheduleError, match=r"^From: 'Sat' is not a day Mon\.\.Fri"):
        replan_request(insp, "P1", "Sat 09:00")
    with pytest.raises(ScheduleError, match=r"^From: '25:00' is not a time HH:MM"):
        replan_request(insp, "P1", "Wed 25:00")
    # Away for a while: whatif's --unavailable, a whole day or part of one.
    assert replan_request(insp, "Ines Hale", "Tue 12:00", "Thu") == \
        WhatIf(unavailable=(("OF1", 3, 0, 24 * 60),), now=(1, 12 * 60))
    assert replan_request(insp, "P1", "", " Thu 09:00-12:00 ") == WhatIf(unavailable=(("P1", 3, 9 * 60, 12 * 60),))
    with pytest.raises(ScheduleError, match=r"^Away: 'Sun' is not a day Mon\.\.Fri"):
        replan_request(insp, "P1", "", "Sun")
    with pytest.raises(ScheduleError, match=r"^Away: '12:00-09:00' ends before it starts"):
        replan_request(insp, "P1", "", "Thu 12:00-09:00")


def test_serve_on_another_loopback_address_answers_on_the_address_it_printed(tmp_path, monkeypatch):
    """127.0.0.2 is loopback (no token needed), and the address printed is one the app answers on."""
    import uvicorn

    from workbench.serve import serve

    served: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))
    said: list[str] = []
    serve(tmp_path / "ws", host="127.0.0.2", port=8897, open_browser=False, announce=said.append)
    assert "is at http://127.0.0.2:8897/ " in said[0] and served["host"] == "127.0.0.2"
    assert TestClient(served["app"], base_url="http://127.0.0.2:8897").get("/inspection").status_code == 200
    assert TestClient(served["app"], base_url="http://attacker.example:8897").get("/inspection").status_code == 421


def test_a_bad_mail_server_port_is_refused_in_words_not_replaced(solved):
    root, client, csrf = solved
    current = (root / "current").read_text().strip()
    ledger = root / "runs" / current / "out" / "sent.csv"
    before = ledger.read_bytes() if ledger.exists() else None
    for port in ("abc", "-1", "70000"):
        page = client.post("/send/start", data={"csrf": csrf, "run": current, "smtp_host": "127.0.0.1",
                                                "smtp_port": port, "smtp_security": "none"})
        assert page.status_code == 400 and "the mail server&#39;s port is a number from 1 to 65535" in page.text
    assert (ledger.read_bytes() if ledger.exists() else None) == before


def test_a_send_that_fails_shows_the_run_it_was_for_again_never_the_current_one(solved):
    """The lead sends a run's invitations that is not the current timetable and the server cannot
    be reached: the page comes back for that run, so correcting the port and sending again sends
    what they chose; a run that does not exist shows no run's form at all."""
    root, client, csrf = solved
    current = (root / "current").read_text().strip()
    client.post("/solve/start", data={"csrf": csrf, "time_limit": "5"})  # a fresh solve is not made current
    assert wait_for_search(client)["state"] == "done"
    chosen = sorted((root / "runs").glob("*-solve"))[-1].name
    assert chosen != current == (root / "current").read_text().strip()
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    for path, data in (("/send/start", {"smtp_host": "127.0.0.1", "smtp_port": str(closed), "smtp_security": "none"}),
                       ("/send/start", {"smtp_host": "127.0.0.1", "smtp_port": "abc", "smtp_security": "none"})):
        page = client.post(path, data={"csrf": csrf, "run": chosen, **data})
        assert page.status_code == 400, path
        assert f'name="run" value="{chosen}"' in page.text and f'name="run" value="{current}"' not in page.text
    page = client.post("/send/preview", data={"csrf": csrf, "run": "999-nothing"})
    assert page.status_code == 400 and 'name="run"' not in page.text


def test_an_upload_that_is_no_workbook_is_named_as_the_lead_knows_it(tmp_path):
    """A zip file renamed .xlsx: the message names the workbook, not the server's path to its
    copy, nor a Python exception."""
    import zipfile

    fake = tmp_path / "budget.xlsx"
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    client = TestClient(create_app(tmp_path / "ws"), base_url=BASE)
    csrf = csrf_of(client.get("/inspection").text)
    page = client.post("/inspection/upload", data={"csrf": csrf},
                       files={"workbook": ("budget.xlsx", fake.read_bytes())}).text
    problems = page[page.index('data-testid="problems"'):]
    assert "the workbook" in problems and "cannot be opened as an .xlsx workbook (it is damaged" in problems
    assert str(tmp_path) not in page and "Error)" not in page
