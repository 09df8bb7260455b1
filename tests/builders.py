"""Tiny builders for hand-made inspections and timetables in tests (no files involved).

    insp = inspection(
        inspectors=[inspector("OF1", "Ofsted")],
        people=[person("P1"), person("M1", role="manager"), person("P2", manager_id="M1")],
        rooms=[room("R1", site="Town Hall", capacity=10)],
        activities=[activity("FG1", type="focus_group", duration=60, inspectors=("OF1",),
                             attendees=("P1", "P2"))],
    )
"""
from __future__ import annotations

from datetime import date

from models import (
    Activity, Group, Inspection, Inspector, Person, Room, Session, Settings, Timetable,
    Unavailability,
)

WEEK = date(2025, 11, 10)  # a Monday


def settings(**overrides) -> Settings:
    values = dict(week_start=WEEK, inspection_name="JTAI Northmere", local_authority="Northmere",
                  organiser_name="JTAI Scheduling", organiser_email="jtai@northmere.gov.uk")
    values.update(overrides)
    return Settings(**values)


def inspector(id: str, inspectorate: str = "Ofsted", **kw) -> Inspector:
    kw.setdefault("name", f"Inspector {id}")
    kw.setdefault("email", f"{id.lower()}@inspect.example.org")
    return Inspector(id=id, inspectorate=inspectorate, **kw)


def person(id: str, role: str = "practitioner", agency: str = "Children's social care", **kw) -> Person:
    kw.setdefault("name", f"Person {id}")
    kw.setdefault("email", f"{id.lower()}@partner.example.org")
    return Person(id=id, role=role, agency=agency, **kw)


def room(id: str, site: str | None = "Town Hall", capacity: int | None = 20, **kw) -> Room:
    kw.setdefault("name", f"Room {id}")
    if kw.get("virtual"):
        site = None
    return Room(id=id, site=site, capacity=capacity, **kw)


def activity(id: str, type: str = "other", duration: int = 60, **kw) -> Activity:
    kw.setdefault("title", f"Activity {id}")
    if kw.get("pool") and not kw.get("pool_max"):
        raise ValueError("give pool_min and pool_max explicitly in tests")
    return Activity(id=id, type=type, duration=duration, **kw)


def unavailable(resource_id: str, day: int, start: int = 0, end: int = 24 * 60, reason: str = "") -> Unavailability:
    return Unavailability(resource_id=resource_id, day=day, start=start, end=end, reason=reason)


def inspection(*, inspectors=(), people=(), rooms=(), activities=(), travel=(), groups=(),
               unavailability=(), **setting_overrides) -> Inspection:
    return Inspection(
        settings=settings(**setting_overrides),
        inspectors=tuple(inspectors),
        people=tuple(people),
        rooms=tuple(rooms),
        activities=tuple(activities),
        travel=tuple(travel),
        groups=tuple(Group(g, tuple(m)) if isinstance(g, str) else g for g, m in
                     (groups.items() if isinstance(groups, dict) else [(g, g.members) for g in groups])),
        unavailability=tuple(unavailability),
    )


def session(occurrence_id: str, day: int, start: int, end: int, room_id: str,
            inspector_ids=(), attendee_ids=(), activity_id: str | None = None) -> Session:
    return Session(
        occurrence_id=occurrence_id,
        activity_id=activity_id or occurrence_id.split("@")[0],
        day=day, start=start, end=end, room_id=room_id,
        inspector_ids=tuple(inspector_ids), attendee_ids=tuple(attendee_ids),
    )


def timetable(insp: Inspection, *sessions: Session) -> Timetable:
    return Timetable(inspection=insp, sessions=tuple(sessions))
