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


def _search_until_stopped():
    """Stands for a search: runs until a Stop reaches its thread (or gives up after 60 s)."""
    import time

    from scheduler.search import stop_requested
    for _ in range(6000):
        if stop_requested():
            return "stopped"
        time.sleep(0.01)
    return "never stopped"


def test_ctrl_c_stops_every_search_run_together():
    """Days searched at once (scheduler.day_by_day) run in threads of their own: Ctrl-C, which
    reaches only the main thread, must stop each of them, and each keeps what it found."""
    import threading

    from scheduler.search import run_together
    threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    assert run_together([_search_until_stopped, _search_until_stopped]) == ["stopped", "stopped"]


def test_the_workbench_stop_stops_every_search_run_together():
    import threading

    from scheduler.search import run_together, stoppable
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    with stoppable(stop):
        assert run_together([_search_until_stopped, _search_until_stopped]) == ["stopped", "stopped"]


def test_searches_run_together_answer_in_the_order_given_and_raise_what_they_raise():
    import pytest

    from scheduler.search import run_together
    assert run_together([lambda: 1, lambda: 2, lambda: 3]) == [1, 2, 3]
    with pytest.raises(ZeroDivisionError):
        run_together([lambda: 1, lambda: 1 / 0])
