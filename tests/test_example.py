"""The bundled example (fixtures/), `schedule init`, and the scaled benchmark instances.

No solver here: feasibility is checked by the generator's witness timetable passing the solver-free
checker, and by sanity counts any timetabling lead could do on paper.
"""
from __future__ import annotations

import copy
import re
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from bench.instances import SIZES, instance_tables
from cli import main
from fixtures import EXAMPLE_DIR, EXAMPLE_XLSX
from fixtures.example import (
    FIRST_NAMES, TABLE_COLUMNS, example_tables, example_witness, write_example, write_tables,
)
from models import ACTIVITY_TYPES, ScheduleError

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")
CASE_TITLE = re.compile(r"^Case tracking: Case \d+( \(managers\))?$")


@lru_cache(maxsize=None)
def _tables(rows: int, seed: int) -> dict:
    return example_tables(rows=rows, seed=seed)


def tables_of(rows: int = 100, seed: int = 7) -> dict:
    """A private copy (tests may edit it)."""
    return copy.deepcopy(_tables(rows, seed))


def _read_workbook(path: Path) -> dict[str, list[list[object]]]:
    workbook = openpyxl.load_workbook(path)
    return {sheet.title: [[cell.value for cell in row] for row in sheet.iter_rows()]
            for sheet in workbook.worksheets}


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(";") if item.strip()]


# --- solver-free sanity counts (SPEC §3 on paper) -------------------------------------------------
def _possible_days(row: dict[str, str]) -> list[int]:
    if row["fixed_start"] and row["fixed_start"][:3] in DAYS:
        return [DAYS.index(row["fixed_start"][:3])]
    return [DAYS.index(d) for d in _split(row["days"])] or list(range(5))


def _must_occurrences(tables: dict) -> list[tuple[dict[str, str], list[int]]]:
    """(activity row, the days it may be held on) per must occurrence."""
    out = []
    for row in tables["activities"]:
        if row["priority"] not in ("", "must"):
            continue
        days = _possible_days(row)
        out += [(row, [d]) for d in days] if row["recurs"] == "daily" else [(row, days)]
    return out


def _whole_days_away(tables: dict) -> dict[str, set[int]]:
    week_start = dict((r["key"], r["value"]) for r in tables["settings"])["week_start"]
    iso = {f"{week_start[:8]}{int(week_start[8:]) + d:02d}": d for d in range(5)}
    away: dict[str, set[int]] = defaultdict(set)
    for row in tables["unavailability"]:
        if not row["start"] and not row["end"]:
            away[row["id"]].add(DAYS.index(row["day"]) if row["day"] in DAYS else iso[row["day"]])
    return away


def person_overloads(tables: dict) -> list[str]:
    """People whose musts cannot fit 2 a day: pinned to one day, or over the week's free days."""
    cap = int(dict((r["key"], r["value"]) for r in tables["settings"])["max_person_sessions_per_day"])
    pinned: Counter = Counter()
    total: Counter = Counter()
    for row, days in _must_occurrences(tables):
        for person in _split(row["attendees"]):
            total[person] += 1
            if len(days) == 1:
                pinned[(person, days[0])] += 1
    away = _whole_days_away(tables)
    problems = [f"{p} has {n} musts on {DAYS[d]}" for (p, d), n in pinned.items() if n > cap]
    problems += [f"{p} has {n} musts in the week" for p, n in total.items()
                 if n > cap * (5 - len(away[p]))]
    return problems


def inspector_minutes(tables: dict, must: bool) -> dict[str, int]:
    """Inspector-minutes asked for, by inspectorate ('any' items under 'any')."""
    inspectorate = {r["id"]: r["inspectorate"] for r in tables["inspectors"]}
    out: Counter = Counter()
    for row in tables["activities"]:
        if (row["priority"] in ("", "must")) != must:
            continue
        holdings = len(_possible_days(row)) if row["recurs"] == "daily" else 1
        minutes = int(row["duration"]) * holdings
        named = list(inspectorate) if row["inspectors"] == "all" else _split(row["inspectors"])
        for inspector in named:
            out[inspectorate[inspector]] += minutes
        for wanted in _split(row["inspectorates"]):
            out[wanted] += minutes
    return out


def inspector_minutes_available(tables: dict) -> dict[str, int]:
    settings = dict((r["key"], r["value"]) for r in tables["settings"])
    per_day = int(settings["max_inspector_contact_minutes"])
    out: Counter = Counter()
    for row in tables["inspectors"]:
        out[row["inspectorate"]] += 5 * per_day
    for row in tables["unavailability"]:
        inspector = next((r for r in tables["inspectors"] if r["id"] == row["id"]), None)
        if inspector and row["start"]:
            out[inspector["inspectorate"]] -= _minutes(row["end"]) - _minutes(row["start"])
    return out


def fixed_clashes(tables: dict) -> list[str]:
    """Must observations at fixed times that share a person or named inspector and overlap."""
    fixed = []
    for row in tables["activities"]:
        if row["priority"] in ("", "must") and row["fixed_start"] and row["fixed_start"][:3] in DAYS:
            start = _minutes(row["fixed_start"][4:])
            who = set(_split(row["attendees"])) | set(_split(row["inspectors"]))
            fixed.append((row["id"], DAYS.index(row["fixed_start"][:3]), start,
                          start + int(row["duration"]), who))
    return [f"{a[0]} and {b[0]}" for i, a in enumerate(fixed) for b in fixed[i + 1:]
            if a[1] == b[1] and a[2] < b[3] and b[2] < a[3] and a[4] & b[4]]


def sanity_problems(tables: dict) -> list[str]:
    problems = person_overloads(tables) + fixed_clashes(tables)
    asked, available = inspector_minutes(tables, must=True), inspector_minutes_available(tables)
    for name, minutes in available.items():
        if asked[name] > minutes / 2:
            problems.append(f"{name} musts need {asked[name]} of {minutes} inspector minutes")
    if sum(asked.values()) > 0.45 * sum(available.values()):
        problems.append(f"musts need {sum(asked.values())} of {sum(available.values())} minutes")
    return problems


# --- schedule init ------------------------------------------------------------------------------
def test_init_writes_the_workbook_and_the_csv_folder(tmp_path):
    target = tmp_path / "new"
    result = CliRunner().invoke(main, ["init", str(target)])
    assert result.exit_code == 0, result.output
    names = sorted(f"{name}.csv" for name in TABLE_COLUMNS)
    assert sorted(p.name for p in (target / "example").iterdir()) == names
    for name in names:  # the very files that ship with the tool
        assert (target / "example" / name).read_bytes() == (EXAMPLE_DIR / name).read_bytes()
    assert _read_workbook(target / "example.xlsx") == _read_workbook(EXAMPLE_XLSX)
    assert f"wrote {target / 'example.xlsx'}" in result.output


def test_second_init_is_refused_and_overwrites_nothing(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(tmp_path)]).exit_code == 0
    (tmp_path / "example" / "people.csv").write_text("edited by the user\n")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    result = runner.invoke(main, ["init", str(tmp_path)])

    assert result.exit_code != 0
    assert "already exist" in result.output and "Traceback" not in result.output
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_init_refuses_when_only_the_workbook_exists(tmp_path):
    (tmp_path / "example.xlsx").write_bytes(b"mine")
    with pytest.raises(ScheduleError, match="example.xlsx"):
        write_example(tmp_path)
    assert not (tmp_path / "example").exists()  # nothing half-written
    assert (tmp_path / "example.xlsx").read_bytes() == b"mine"


def test_init_refuses_a_dangling_link_where_the_example_would_go_and_leaves_nothing(tmp_path):
    (tmp_path / "example").symlink_to(tmp_path / "nowhere")
    with pytest.raises(ScheduleError, match="already exists: nothing was written"):
        write_example(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["example"]


def test_init_that_fails_half_way_leaves_nothing_behind(tmp_path, monkeypatch):
    import fixtures.example as example

    writer = example.write_tables

    def csv_fails(tables, csv_dir=None, xlsx_path=None):
        if csv_dir is not None:
            csv_dir.mkdir()
            raise OSError(28, "No space left on device")
        return writer(tables, xlsx_path=xlsx_path)
    monkeypatch.setattr(example, "write_tables", csv_fails)
    with pytest.raises(ScheduleError, match="No space left on device; nothing was written"):
        write_example(tmp_path)
    assert list(tmp_path.iterdir()) == []


# --- the bundled files and the writers -----------------------------------------------------------
def test_bundled_files_are_what_the_generator_writes(tmp_path):
    written = write_tables(tables_of(), csv_dir=tmp_path / "csv", xlsx_path=tmp_path / "x.xlsx")
    assert len(written) == len(TABLE_COLUMNS) + 1
    for path in (tmp_path / "csv").iterdir():
        assert path.read_bytes() == (EXAMPLE_DIR / path.name).read_bytes(), path.name
    generated = sorted(p.name for p in (tmp_path / "csv").iterdir())
    assert sorted(p.name for p in EXAMPLE_DIR.iterdir()) == generated
    assert _read_workbook(tmp_path / "x.xlsx") == _read_workbook(EXAMPLE_XLSX)


def test_workbook_cells_are_text_and_formulas_stay_text(tmp_path):
    tables = {"notes": [{"id": "A1", "text": "=HYPERLINK(\"x\")", "time": "09:00"}],
              "groups": []}
    write_tables(tables, csv_dir=tmp_path, xlsx_path=tmp_path / "t.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "t.xlsx")["notes"]
    assert [c.value for c in sheet[2]] == ["A1", "=HYPERLINK(\"x\")", "09:00"]
    assert {c.data_type for row in sheet.iter_rows() for c in row} == {"s"}
    # A table without rows still gets its header; CSV is RFC 4180 (CRLF, quoted as needed).
    assert (tmp_path / "groups.csv").read_bytes() == b"group_id,person_id\r\n"
    assert (tmp_path / "notes.csv").read_bytes() == b'id,text,time\r\nA1,"=HYPERLINK(""x"")",09:00\r\n'


def test_the_generator_is_deterministic_and_seeded():
    assert example_tables() == example_tables()
    assert example_tables(seed=8) != example_tables()


# --- what the example holds ------------------------------------------------------------------------
def test_example_is_a_realistic_northmere_week():
    t = tables_of()
    settings = dict((r["key"], r["value"]) for r in t["settings"])
    assert settings["week_start"] == "2025-11-10"
    assert settings["organiser_email"] == "jtai.scheduling@northmere.gov.uk"
    inspectorates = Counter(r["inspectorate"] for r in t["inspectors"])
    assert set(inspectorates) == {"Ofsted", "CQC", "HMICFRS", "HMIP"} and sum(inspectorates.values()) == 8
    assert [r["role"] for r in t["inspectors"]].count("lead") == 1
    assert 110 <= len(t["people"]) <= 130 and len({r["agency"] for r in t["people"]}) == 7
    assert {r["role"] for r in t["people"]} >= {"practitioner", "manager", "leader"}
    assert any(r["needs_accessible"] == "yes" for r in t["people"])
    assert len({r["site"] for r in t["rooms"] if r["site"]}) == 4 and len(t["rooms"]) == 15
    assert [r["virtual"] for r in t["rooms"]].count("yes") == 1
    ids = [r["id"] for name in ("inspectors", "people", "rooms") for r in t[name]]
    assert len(ids) == len(set(ids))
    emails = [r["email"] for name in ("inspectors", "people") for r in t[name]]
    assert all(emails) and settings["organiser_email"] not in emails
    people = {r["id"]: r for r in t["people"]}
    assert all(people[r["manager_id"]]["role"] in ("manager", "leader")
               for r in t["people"] if r["role"] == "practitioner")
    away = {r["id"] for r in t["unavailability"]}
    assert away & {r["id"] for r in t["rooms"]} and away & set(people)
    assert any(r["id"] in {i["id"] for i in t["inspectors"]} and r["start"] for r in t["unavailability"])


def test_example_covers_every_kind_of_row():
    t = tables_of()
    rows = t["activities"]
    assert len(rows) == 100
    assert {r["type"] for r in rows} == set(ACTIVITY_TYPES)
    assert {r["priority"] for r in rows} == {"must", "high", "medium", "low"}
    assert 25 <= sum(r["priority"] == "must" for r in rows) <= 40  # none lost to the witness
    assert {r["mode"] for r in rows} == {"in_person", "virtual", "either"}
    kit = next(r for r in rows if r["type"] == "kit_meeting")
    large = next(r for r in t["rooms"] if r["id"] == kit["room"])
    assert kit["recurs"] == "daily" and int(large["capacity"]) >= 30
    assert sorted(_split(kit["inspectorates"])) == ["CQC", "HMICFRS", "HMIP", "Ofsted"]
    agencies = {p["id"]: p["agency"] for p in t["people"]}
    assert len({agencies[a] for a in _split(kit["attendees"])}) == 7
    feedback = next(r for r in rows if r["type"] == "feedback")
    assert feedback["days"] == "Fri" and feedback["inspectors"] == "all" and feedback["after"]
    assert any(r["days"] == "Mon" and r["inspectors"] == "all" for r in rows)  # set-up meeting
    assert sum(1 for r in rows if r["type"] == "observation" and r["fixed_start"]) >= 5
    focus = [r for r in rows if r["type"] == "focus_group"]
    assert all(r["pool"] in {g["group_id"] for g in t["groups"]} for r in focus)
    assert any(not r["pool_max"] for r in focus) and any(not r["pool_min"] for r in focus)
    assert sum(1 for r in rows if r["after"]) >= 3


def test_no_child_is_named_anywhere():
    rows = tables_of()["activities"]
    cases = [r for r in rows if r["type"] == "case_tracking"]
    assert cases and all(CASE_TITLE.match(r["title"]) for r in cases)
    names = re.compile(r"\b(" + "|".join(FIRST_NAMES) + r")\b")
    assert not [r["id"] for r in rows if names.search(r["title"] + " " + r["notes"])]


@pytest.mark.parametrize("rows", (100,) + SIZES)
def test_musts_fit_on_paper(rows):
    tables = tables_of() if rows == 100 else instance_tables(rows)
    assert sanity_problems(tables) == []
    # ... and there are more optional sessions than the inspectors' week can hold.
    available = sum(inspector_minutes_available(tables).values())
    asked = sum(inspector_minutes(tables, must=True).values()) + sum(
        inspector_minutes(tables, must=False).values())
    assert asked > available


def test_sanity_counts_catch_an_overloaded_week():
    # Why: three musts pinned to Tuesday for one practitioner break the 2-a-day rule on paper.
    tables = tables_of()
    person = next(r["id"] for r in tables["people"] if r["role"] == "practitioner")
    for k in range(3):
        tables["activities"].append({**tables["activities"][-1], "id": f"X{k}", "days": "Tue",
                                     "priority": "must", "attendees": person, "inspectors": "",
                                     "inspectorates": "HMIP", "duration": "600"})
    problems = sanity_problems(tables)
    assert f"{person} has 3 musts on Tue" in problems
    assert any(p.startswith("HMIP musts need") for p in problems)


@pytest.mark.parametrize("rows", SIZES)
def test_instances_scale_in_proportion(rows):
    t = instance_tables(rows)
    scale = rows / 100
    assert len(t["activities"]) == rows
    assert abs(len(t["inspectors"]) - 8 * scale) <= max(1, 0.15 * 8 * scale)
    assert abs(len(t["people"]) - 120 * scale) <= 0.15 * 120 * scale + 8
    assert abs(len(t["rooms"]) - 15 * scale) <= max(2, 0.15 * 15 * scale)
    assert len({r["site"] for r in t["rooms"] if r["site"]}) >= 2


# --- against the loader and the checker --------------------------------------------------------------
def _witness_timetable(inspection, witness):
    from models import Session, Timetable

    return Timetable(inspection, tuple(
        Session(w["occurrence_id"], w["activity_id"], DAYS.index(w["day"]), _minutes(w["start"]),
                _minutes(w["end"]), w["room"], tuple(_split(w["inspectors"])),
                tuple(_split(w["attendees"])))
        for w in witness))


def test_validate_accepts_the_bundled_example_in_both_forms():
    from loader import load_inspection

    runner = CliRunner()
    for source in (EXAMPLE_DIR, EXAMPLE_XLSX):
        result = runner.invoke(main, ["validate", str(source)])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("OK")
    assert load_inspection(EXAMPLE_DIR) == load_inspection(EXAMPLE_XLSX)


@pytest.mark.parametrize("rows", (100,) + SIZES)
def test_loaded_forms_agree_and_the_witness_keeps_every_rule(rows, tmp_path):
    from checker import check_timetable
    from loader import load_inspection

    seed = 7 if rows == 100 else 1
    tables = tables_of(rows, seed) if rows == 100 else instance_tables(rows, seed)
    write_tables(tables, csv_dir=tmp_path / "csv", xlsx_path=tmp_path / "in.xlsx")
    inspection = load_inspection(tmp_path / "csv")
    assert inspection == load_inspection(tmp_path / "in.xlsx")
    witness = example_witness(rows, seed)
    musts = {o.id for o in inspection.occurrences if o.is_must}
    assert {w["occurrence_id"] for w in witness} == musts
    assert check_timetable(_witness_timetable(inspection, witness)) == []
