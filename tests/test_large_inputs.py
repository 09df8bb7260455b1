"""A big area loads and validates fast: 5,000 partner staff and 2,000 activity rows (CSV folder and
workbook) in well under the time a user would wait. Quadratic loops in the loader show up here."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from fixtures.example import write_tables
from loader import load_inspection

PEOPLE = 5_000
ACTIVITIES = 2_000
INSPECTORATES = ("Ofsted", "Ofsted", "CQC", "HMICFRS", "HMIP")
TYPES = ("focus_group", "practitioner_interview", "manager_interview", "leader_meeting",
         "case_tracking", "observation", "other")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")
LIMIT_SECONDS = 20  # generous: measured about 2 s on the 2-core build machine (see the report)


def large_tables() -> dict[str, list[dict[str, str]]]:
    """A valid inspection of PEOPLE staff (leaders over managers over practitioners, so manager
    chains are three deep) and ACTIVITIES rows using every kind of column."""
    leaders = [f"L{i:04d}" for i in range(50)]
    managers = [f"M{i:04d}" for i in range(500)]
    practitioners = [f"P{i:05d}" for i in range(PEOPLE - len(leaders) - len(managers))]
    people = [{"id": p, "name": f"Leader {p}", "email": f"{p.lower()}@la.example.org",
               "agency": "Children's social care", "role": "leader", "manager_id": "",
               "needs_accessible": ""} for p in leaders]
    people += [{"id": m, "name": f"Manager {m}", "email": f"{m.lower()}@la.example.org",
                "agency": "Police", "role": "manager", "manager_id": leaders[i % len(leaders)],
                "needs_accessible": "no"} for i, m in enumerate(managers)]
    people += [{"id": p, "name": f"Practitioner {p}", "email": "", "agency": "Health",
                "role": "practitioner", "manager_id": managers[i % len(managers)],
                "needs_accessible": "yes" if i % 97 == 0 else ""} for i, p in enumerate(practitioners)]
    inspectors = [{"id": f"IN{i:02d}", "name": f"Inspector {i}", "email": f"in{i}@insp.example.org",
                   "inspectorate": INSPECTORATES[i % len(INSPECTORATES)], "role": "lead" if i == 0 else ""}
                  for i in range(40)]
    sites = [f"Site {i}" for i in range(10)]
    rooms = [{"id": f"R{i:03d}", "name": f"Room {i}", "site": sites[i % len(sites)],
              "capacity": str(6 + i % 30), "accessible": "yes" if i % 2 else "no", "virtual": ""}
             for i in range(100)]
    rooms += [{"id": f"V{i}", "name": f"Online {i}", "site": "", "capacity": "", "accessible": "",
               "virtual": "yes"} for i in range(5)]
    travel = [{"from_site": a, "to_site": b, "minutes": "20"}
              for i, a in enumerate(sites) for b in sites[i + 1:]]
    groups = [{"group_id": f"G{i % 100:03d}", "person_id": p} for i, p in enumerate(practitioners)]
    unavailability = [{"id": rid, "day": DAYS[i % 5], "start": "09:00" if i % 2 else "",
                       "end": "12:00" if i % 2 else "", "reason": "leave"}
                      for i, rid in enumerate(practitioners[:1500])]
    # rooms booked in the afternoon: clear of the observations fixed at 10:05, which could then
    # never be held (validate reports such musts)
    unavailability += [{"id": r["id"], "day": DAYS[i % 5], "start": "14:00", "end": "16:00",
                        "reason": "booked"} for i, r in enumerate(rooms[:20])]
    activities = []
    for i in range(ACTIVITIES):
        kind = TYPES[i % len(TYPES)]
        row = {"id": f"A{i:04d}", "type": kind, "title": f"Session {i}", "duration": "60",
               "days": ";".join(DAYS[(i + k) % 5] for k in range(2)), "recurs": "", "earliest": "09:30",
               "latest": "16:30", "fixed_start": "", "site": "", "room": "", "mode": "either",
               "inspectors": f"IN{i % 40:02d}", "inspectorates": "any", "attendees": "", "pool": "",
               "pool_min": "", "pool_max": "", "priority": ("must", "high", "medium", "low")[i % 4],
               "after": f"A{i - 1:04d}" if i % 10 else "", "notes": "Case reference only"}
        if kind in ("focus_group", "practitioner_interview"):
            row.update(pool=f"G{i % 100:03d}", pool_min="2", pool_max="8")
        elif kind == "observation":
            row.update(fixed_start=f"{DAYS[i % 5]} 10:05", days="", earliest="", latest="",
                       room=f"R{i % 100:03d}", mode="in_person", attendees=managers[i % len(managers)])
        else:
            row["attendees"] = ";".join(practitioners[(i * 7 + k) % len(practitioners)] for k in range(4))
        activities.append(row)
    activities.append({"id": "KIT", "type": "kit_meeting", "title": "Keep in Touch", "duration": "30",
                       "recurs": "daily", "fixed_start": "16:30", "inspectors": "all", "room": "R001",
                       "attendees": ";".join(leaders[:5])})
    settings = [{"key": "week_start", "value": "2025-11-10"},
                {"key": "organiser_email", "value": "jtai@la.example.org"},
                {"key": "inspection_name", "value": "Large area"}]
    return {"settings": settings, "inspectors": inspectors, "people": people, "rooms": rooms,
            "travel": travel, "groups": groups, "unavailability": unavailability,
            "activities": activities}


@pytest.fixture(scope="module")
def large_input(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("large")
    tables = large_tables()
    write_tables(tables, csv_dir=root / "csv", xlsx_path=root / "large.xlsx")
    return {"csv": root / "csv", "xlsx": root / "large.xlsx"}


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_five_thousand_people_and_two_thousand_activities_validate_quickly(large_input, form):
    started = time.process_time()  # CPU time: a busy machine slows the clock, not the work
    result = CliRunner().invoke(main, ["validate", str(large_input[form])])
    seconds = time.process_time() - started
    print(f"\nschedule validate, {PEOPLE} people and {ACTIVITIES} activity rows ({form}): {seconds:.2f} CPU-s")
    assert result.exit_code == 0, result.output[:2000]
    assert f"People: {PEOPLE}" in result.output
    assert seconds < LIMIT_SECONDS


def test_every_row_arrives(large_input):
    inspection = load_inspection(large_input["csv"])
    assert len(inspection.people) == PEOPLE
    assert len(inspection.activities) == ACTIVITIES + 1
    assert len(inspection.occurrences) == ACTIVITIES + 5  # the daily KiT once a day
    assert sum(len(g.members) for g in inspection.groups) == PEOPLE - 550
