"""Ctrl-C during the search keeps the timetable found so far (SPEC §6), marked as interrupted."""
from __future__ import annotations

import json
import os
import signal

from click.testing import CliRunner

import cli
from fixtures import EXAMPLE_DIR
from loader import load_inspection
from scheduler import solve


def _ctrl_c_on_first_timetable():
    sent = []

    def progress(*_):
        if not sent:  # the first timetable holding every must has just been found
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)
    return progress


def test_ctrl_c_keeps_the_timetable_found():
    result = solve(load_inspection(EXAMPLE_DIR), time_limit=120, on_progress=_ctrl_c_on_first_timetable())
    assert result.interrupted and result.status == "FEASIBLE"
    stats = dict(result.stats)  # it stopped at once, long before its budget (not a clock: a busy machine is slow)
    assert stats["deterministic_time"] < stats["deterministic_budget"] / 4
    assert all(result.timetable.session(o.id) for o in result.timetable.inspection.occurrences if o.is_must)


def test_ctrl_c_in_the_cli_writes_the_timetable_marked_interrupted(tmp_path, monkeypatch):
    monkeypatch.setattr(cli._ProgressLine, "__call__", lambda self, *a: hook(*a))
    hook = _ctrl_c_on_first_timetable()
    out = tmp_path / "out"
    result = CliRunner().invoke(cli.main, ["solve", "--out", str(out), "--time-limit", "120"])
    assert result.exit_code == 0, result.output
    assert "Interrupted" in result.output
    summary = json.loads((out / "solve.json").read_text())
    assert summary["interrupted"] is True and summary["status"] == "FEASIBLE"
