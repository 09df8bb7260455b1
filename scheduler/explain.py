"""Plain-English reasons why no timetable can hold every must."""
from __future__ import annotations

from models import Infeasible, Inspection


def explain_infeasible(inspection: Inspection, status: str = "INFEASIBLE") -> None:
    if status == "INFEASIBLE":
        raise Infeasible(["the musts cannot all be held together under the rules"], minimal=False)
    raise Infeasible(["the time limit was reached before a timetable holding every must was found"],
                     minimal=False)
