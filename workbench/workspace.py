"""The workbench's WORKSPACE: an ordinary folder the CLI can work on too.

    WORKSPACE/
      workbook.xlsx            the workbook the lead uploaded last (or the bundled example)
      runs/NNN-solve/          one folder per solve or re-plan, numbered in order:
        workbook.xlsx            the workbook it was made from (a copy: later uploads leave it be)
        out/                     the output folder, exactly as `schedule solve|whatif --out` writes it
      current                  the name of the run whose timetable is the published one

So `schedule solve runs/001-solve/workbook.xlsx --out runs/001-solve/out` is what the Solve page
does, `schedule whatif runs/002-replan/workbook.xlsx --baseline runs/001-solve/out --out
runs/002-replan/out` what the Re-plan page does, and `schedule robustness
runs/003-robustness/workbook.xlsx --baseline runs/001-solve/out --out runs/003-robustness/out` what
the Robustness page does. No web code here.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from models import InputError, Problem, ScheduleError

WORKBOOK = "workbook.xlsx"
RUNS = "runs"
CURRENT = "current"
OUT = "out"
RUN_NAME = re.compile(r"^(\d{3,})-(solve|replan|robustness)$")
ZIP_MAGIC = b"PK\x03\x04"  # every .xlsx is a zip archive


@dataclass(frozen=True)
class Run:
    """One solve or re-plan in the workspace."""

    name: str  # e.g. "002-replan"
    folder: Path

    @property
    def kind(self) -> str:
        return RUN_NAME.match(self.name).group(2)

    @property
    def number(self) -> int:
        return int(RUN_NAME.match(self.name).group(1))

    @property
    def workbook(self) -> Path:
        return self.folder / WORKBOOK

    @property
    def out(self) -> Path:
        return self.folder / OUT

    @property
    def finished(self) -> bool:
        return (self.out / "solve.json").is_file()

    @property
    def made_from(self) -> str | None:
        """The name of the run whose timetable this one re-planned (None for a solve, or for a
        baseline outside the workspace)."""
        from exporters.changes import read_baseline_folder

        baseline = read_baseline_folder(self.out) if self.kind == "replan" else None
        # By the run folder's name, so that a workspace moved as a whole keeps its chains.
        if baseline is None or baseline.name != OUT or baseline.parent.parent.name != RUNS \
                or not RUN_NAME.match(baseline.parent.name) or not (self.folder.parent / baseline.parent.name).is_dir():
            return None
        return baseline.parent.name

    @property
    def timetable(self) -> bool:
        """It holds a timetable (a robustness run holds a report; an infeasible one an explanation)."""
        return (self.out / "timetable.csv").is_file()


class Workspace:
    def __init__(self, root: Path | str):
        self.root = Path(root).resolve()

    def create(self) -> "Workspace":
        (self.root / RUNS).mkdir(parents=True, exist_ok=True)
        return self

    # --- the workbook -------------------------------------------------------------------------
    @property
    def workbook(self) -> Path:
        return self.root / WORKBOOK

    def has_workbook(self) -> bool:
        return self.workbook.is_file()

    def save_workbook(self, data: bytes) -> None:
        """Replace workbook.xlsx atomically by an uploaded one. Anything but an .xlsx (zip) file is
        refused before it is written; its contents are checked by load_inspection afterwards."""
        if not data.startswith(ZIP_MAGIC):
            raise InputError([Problem("upload", None, None,
                                      "is not an .xlsx workbook: save it from Excel as .xlsx")])
        _write_atomically(self.workbook, data)

    def use_example(self) -> None:
        from fixtures import EXAMPLE_XLSX

        self.save_workbook(EXAMPLE_XLSX.read_bytes())

    # --- runs -----------------------------------------------------------------------------------
    def runs(self) -> list[Run]:
        folder = self.root / RUNS
        if not folder.is_dir():
            return []
        found = [Run(p.name, p) for p in folder.iterdir() if p.is_dir() and RUN_NAME.match(p.name)]
        return sorted(found, key=lambda r: r.number)

    def run(self, name: str) -> Run:
        """The run called `name`; only names listed in runs/ (never a path) are accepted."""
        for run in self.runs():
            if run.name == name:
                return run
        raise ScheduleError(f"there is no run called {name!r} in this workspace")

    def finished(self, name: str | None) -> Run | None:
        """The run called `name` if it has finished (its output folder is written), else None."""
        run = next((r for r in self.runs() if r.name == name), None)
        return run if run is not None and run.finished else None

    def new_run(self, kind: str, workbook: Path | None = None) -> Run:
        """A fresh numbered run folder holding a copy of the workbook it starts from."""
        number = max((r.number for r in self.runs()), default=0) + 1
        run = Run(f"{number:03d}-{kind}", self.root / RUNS / f"{number:03d}-{kind}")
        run.folder.mkdir(parents=True)
        shutil.copyfile(workbook or self.workbook, run.workbook)
        return run

    def current(self) -> Run | None:
        try:
            return self.finished((self.root / CURRENT).read_text(encoding="utf-8").strip())
        except OSError:
            return None

    def adopt(self, run: Run) -> None:
        """Make run's timetable the published one (its output folder is the next baseline)."""
        if not run.finished or not run.timetable:
            raise ScheduleError(f"{run.name} holds no timetable to adopt")
        why_not = self.why_not_adoptable(run)
        if why_not:
            raise ScheduleError(why_not)
        _write_atomically(self.root / CURRENT, (run.name + "\n").encode("utf-8"))

    def why_not_adoptable(self, run: Run) -> str | None:
        """Why a finished re-plan may not become current: it re-planned an earlier timetable than
        the current one, which adopting it would undo (None: it may)."""
        made_from, current = run.made_from, self.current()
        if made_from is None or current is None or run.name == current.name or made_from == current.name:
            return None
        return (f"{run.name} re-planned {made_from}, not the current timetable ({current.name}): adopting it "
                f"would undo what {current.name} changed. Re-plan the current timetable instead.")

    def sent_elsewhere(self, run: Run) -> list[str]:
        """The other runs whose invitations were sent (they hold sent.csv), but for those re-planned
        from `run` (or from one that was): people hold those versions, and keep them over any of
        `run`'s that are older, as a fresh solve's are (they start again at the first)."""
        from mail.ledger import SENT_CSV

        def from_run(other: Run | None) -> bool:
            seen: set[str] = set()
            while other is not None and other.name not in seen:
                if other.name == run.name:
                    return True
                seen.add(other.name)
                other = self.finished(other.made_from) if other.made_from else None
            return False
        return [r.name for r in self.runs() if r.name != run.name and (r.out / SENT_CSV).is_file() and not from_run(r)]

    def file(self, run_name: str, relative: str) -> Path:
        """A file inside a run's output folder, and nothing outside it (no `..`, no links out)."""
        out = self.run(run_name).out.resolve()
        path = (out / relative).resolve()
        if out not in path.parents or not path.is_file():
            raise ScheduleError("no such file in this run")
        return path


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
