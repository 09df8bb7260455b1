"""The redundant cuts (scheduler.redundant) may only tighten the bound, never cut off a timetable:
on small generated weeks the optimum with them equals the optimum without them. (A wrong cut once
took the lunch break off an inspector's free time while they were away, and called a feasible
what-if infeasible: absences over lunch are generated here on purpose.)"""
from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings, strategies as st
from ortools.sat.python import cp_model

import scheduler.week_model as week_model
from scheduler.search import make_solver
from tests.builders import activity, inspection, inspector, room, unavailable

H = 60
INSPECTORS = ("OF0", "OF1", "CQ0")


@st.composite
def weeks(draw):
    # Half days off (out from about noon, or back after about lunch) touch the lunch window, as
    # the what-if's "out from noon after a full morning" did; plus any short absence.
    absence = st.one_of(st.tuples(st.sampled_from((720, 750, 780)), st.just(17 * H + 30)),
                        st.tuples(st.just(9 * H), st.sampled_from((750, 780, 810, 840))),
                        st.tuples(st.integers(18, 32).map(lambda h: h * 30), st.integers(1, 8).map(lambda h: h * 30))
                        .map(lambda p: (p[0], p[0] + p[1])))
    absences = [unavailable(draw(st.sampled_from(INSPECTORS)), draw(st.integers(0, 1)), start, end)
                for start, end in draw(st.lists(absence, max_size=3))]
    activities = []
    for i in range(draw(st.integers(3, 7))):
        named = draw(st.lists(st.sampled_from(INSPECTORS), max_size=2, unique=True))
        activities.append(activity(
            f"A{i}", duration=draw(st.sampled_from((60, 90, 120, 150, 180, 240))),
            days=draw(st.sampled_from(((0,), (1,), (0, 1)))),
            priority=draw(st.sampled_from(("must", "high", "high", "medium", "low"))),
            inspectors=tuple(named), inspectorates=() if named else (draw(st.sampled_from(("Ofsted", "any"))),)))
    return inspection(inspectors=[inspector("OF0", "Ofsted"), inspector("OF1", "Ofsted"), inspector("CQ0", "CQC")],
                      rooms=[room("R1"), room("R2")], activities=activities, unavailability=absences,
                      max_inspector_contact_minutes=draw(st.sampled_from((180, 240, 360))))


def optimum(insp, cuts) -> tuple[int, int | None]:
    saved = week_model.REDUNDANT
    week_model.REDUNDANT = cuts
    try:
        week = week_model.WeekModel(insp)
    finally:
        week_model.REDUNDANT = saved
    week.model.maximize(week.held_weight)
    solver = make_solver(seed=0, workers=1, deterministic=5.0)
    status = solver.solve(week.model)
    assume(status in (cp_model.OPTIMAL, cp_model.INFEASIBLE))  # proven either way, or no verdict
    return status, int(solver.objective_value) if status == cp_model.OPTIMAL else None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(weeks())
def test_the_optimum_with_the_redundant_cuts_equals_the_optimum_without(insp):
    assert week_model.REDUNDANT, "nothing to compare"
    assert optimum(insp, week_model.REDUNDANT) == optimum(insp, ())
