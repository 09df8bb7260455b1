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
