"""Shared fixtures: the bundled example solved once per test session, so every end-to-end test reads
the same output folder instead of solving again."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

EXAMPLE_TIME_LIMIT = 20  # seconds: long enough for a timetable holding every must of the example
EXAMPLE_SEED = 0


@pytest.fixture(scope="session")
def solved_example(tmp_path_factory) -> Path:
    """The output folder of `schedule solve --out DIR --time-limit 20 --seed 0` (the bundled example)."""
    out = tmp_path_factory.mktemp("solved") / "out"
    result = CliRunner().invoke(main, ["solve", "--out", str(out), "--time-limit", str(EXAMPLE_TIME_LIMIT),
                                       "--seed", str(EXAMPLE_SEED)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def week_110_inspector_out(tmp_path_factory):
    """The generated 110-row week solved for 2 s (seed 5, two workers), and the hardest kind of
    bench_replan's requests that can still be met: the busiest HMICFRS inspector (one of two) out
    from Tuesday 12:00 (without the only HMIP inspector the daily KiT cannot be held; on this
    baseline, without one of the two CQC inspectors an observation the other cannot attend).
    (inspection, baseline, request), solved once for every test that re-plans it."""
    from bench.bench_replan import NOW, busiest_inspectors
    from bench.instances import instance_tables
    from fixtures.example import write_tables
    from loader import load_inspection
    from models.changes import WhatIf
    from scheduler import solve

    folder = tmp_path_factory.mktemp("week_110")
    write_tables(instance_tables(110, seed=1), csv_dir=folder)
    insp = load_inspection(folder)
    baseline = solve(insp, time_limit=2, seed=5, workers=2).timetable
    inspectorate = {i.id: i.inspectorate for i in insp.inspectors}
    hmicfrs = [i for i in busiest_inspectors(baseline, NOW) if inspectorate[i] == "HMICFRS"]
    return insp, baseline, WhatIf(drop=(hmicfrs[0],), now=NOW)
