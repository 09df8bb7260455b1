"""The output folder (SPEC §5, §6): every file rendered in memory first, then written into a
temporary sibling folder and swapped into place, so a failure at any point leaves the previous
folder exactly as it was.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from models import (
    Infeasible, InputError, Inspection, Problem, ScheduleError, SolveResult, TimeLimitReached, Timetable,
    Unscheduled,
)
from models.changes import Change, WhatIf, changes_between
from exporters.ics import invite_filename, read_uids, render_calendar, render_invite
from exporters.timetable_csv import (
    CANCELLED_FILE, csv_text, read_timetable, render_cancelled_csv, render_timetable_csv, render_unscheduled_csv,
    unscheduled_csv,
)

MARKER = "solve.json"  # a folder holding it was written by `schedule` and may be replaced
INPUT_COPY = "input"  # the input tables the folder was made from, as read (SPEC §5)


class OutputFolderError(ScheduleError):
    """The output folder cannot be (re)placed; nothing was written."""

    exit_code = 2


# --- what may be replaced -----------------------------------------------------------------------
def check_replaceable(out_dir: Path | str, keep: dict[str, Path | str | None] | None = None,
                      marker: str = MARKER, option: str = "--out") -> None:
    """Refuse an out_dir that is a file or a dangling symbolic link, a folder `schedule` did not
    write (no `marker`, e.g. solve.json) that is not empty, or one that is, holds or lies inside a
    path of `keep` (what -> path: the input and the baseline being read): replacing the folder
    would delete them. The user's own files are never replaced."""
    out_dir = Path(out_dir)
    _check_apart(out_dir, keep or {}, option)
    if not out_dir.exists() and not out_dir.is_symlink():
        return
    if out_dir.is_symlink() and not out_dir.exists():
        raise OutputFolderError(f"{out_dir} is a symbolic link to {os.readlink(out_dir)}, which does not "
                                f"exist: choose another {option}, or remove the link")
    if not out_dir.is_dir():
        raise OutputFolderError(f"{out_dir} is a file, not a folder: choose another {option}")
    try:
        entries = list(out_dir.iterdir())
    except OSError as err:
        raise OutputFolderError(f"cannot read the output folder {out_dir}: {err.strerror or err}")
    if entries and not (out_dir / marker).is_file():
        raise OutputFolderError(
            f"{out_dir} is not empty and was not written by schedule (it has no {marker}); "
            f"it is left as it is: choose another {option}, or empty it first")


def _check_apart(out_dir: Path, keep: dict[str, Path | str | None], option: str) -> None:
    """The output folder is replaced whole: it may not be, hold or lie inside what is being read.
    Compared with symbolic links followed, so no other spelling of the same folder gets through."""
    out = Path(os.path.realpath(out_dir))
    for what, path in keep.items():
        if path is None:
            continue
        kept = Path(os.path.realpath(path))
        if out == kept:
            raise OutputFolderError(f"{option} {out_dir} is the {what} being read, and the {what} is never "
                                    "modified: choose another folder")
        if out in kept.parents:
            raise OutputFolderError(f"{option} {out_dir} holds the {what} being read ({path}): replacing it "
                                    f"would delete it, and the {what} is never modified: choose another "
                                    "folder")
        if kept in out.parents:
            raise OutputFolderError(f"{option} {out_dir} lies inside the {what} being read ({path}), and "
                                    f"the {what} is never modified: choose a folder beside it")


def check_made_from(out_dir: Path | str, source: Path | str, what: str) -> None:
    """Refuse to replace a folder that `schedule` made from another input: solving `what` (the
    bundled example) over a real week's timetable would lose it."""
    try:
        recorded = json.loads((Path(out_dir) / MARKER).read_text(encoding="utf-8")).get("input_sha256")
    except (OSError, ValueError, AttributeError):
        return  # no folder, or not one schedule wrote: check_replaceable decides
    if recorded and recorded != input_sha256(source):
        raise OutputFolderError(
            f"{out_dir} holds a timetable made from another input, and without INPUT schedule "
            f"solves {what}: name your input (schedule solve my-week.xlsx --out {out_dir}), or "
            "choose another --out")


# --- solve.json ---------------------------------------------------------------------------------
def input_sha256(source: Path | str | None) -> str | None:
    """sha256 over the input: a workbook's bytes, or for a folder each top-level .csv file's name
    and bytes in name order (other files, e.g. editor backups, are not input)."""
    if source is None:
        return None
    source = Path(source)
    digest = hashlib.sha256()
    if source.is_dir():
        for path in sorted((p for p in source.iterdir() if p.is_file() and p.suffix.lower() == ".csv"),
                           key=lambda p: p.name):
            data = path.read_bytes()
            # Name and length framed, so moving bytes between files changes the digest.
            digest.update(path.name.encode("utf-8") + b"\0" + len(data).to_bytes(8, "big"))
            digest.update(data)
    elif source.is_file():
        digest.update(source.read_bytes())
    else:
        return None
    return digest.hexdigest()


def solve_summary(result: SolveResult | None, source: Path | str | None,
                  unscheduled_count: int | None = None) -> dict[str, object]:
    """The fields of solve.json, None fields left out."""
    timetable = result.timetable if result else None
    if timetable is not None:
        scheduled = len(timetable.sessions)
        unscheduled_count = len(timetable.inspection.occurrences) - scheduled
    else:
        scheduled = 0
    status = result.status if result else "INFEASIBLE"
    fields: dict[str, object | None] = {
        "status": status,
        "objective": result.objective if timetable is not None else None,
        "best_bound": result.best_bound if result else None,
        "gap": (0.0 if status == "OPTIMAL" else float(result.gap))
        if timetable is not None else None,
        "wall_seconds": round(result.wall_seconds, 3) if result else None,
        "scheduled": scheduled,
        "unscheduled": unscheduled_count,
        "seed": result.seed if result else None,
        "input_sha256": input_sha256(source),
        "interrupted": True if result and result.interrupted else None,
        "held_weight": result.held_weight if result else None,
        "changes": result.changes if result else None,
        "change_cost": result.change_cost if result else None,
        "changes_proven_minimal": result.changes_proven_minimal if result else None,
    }
    return {k: v for k, v in fields.items() if v is not None}


def _json_bytes(fields: dict[str, object]) -> bytes:
    return (json.dumps(fields, indent=2) + "\n").encode("utf-8")


# --- the files ----------------------------------------------------------------------------------
def _views(changed: Mapping[str, str] | None) -> dict[str, Callable[[Timetable], bytes]]:
    """The human views, owned by their own modules and imported only when a folder is written;
    both mark what a re-plan `changed`."""
    from exporters.html import render_html
    from exporters.xlsx import render_xlsx

    return {"timetable.html": lambda t: render_html(t, changed).encode("utf-8"),
            "timetable.xlsx": lambda t: render_xlsx(t, changed)}


def output_files(result: SolveResult, source: Path | str | None,
                 changed: Mapping[str, str] | None = None) -> dict[str, bytes]:
    """Relative path -> content of a complete output folder for a timetable (`changed`: a
    re-plan's marks, exporters.changes.change_marks)."""
    timetable = result.timetable
    if timetable is None:
        raise ValueError("output_files needs a timetable; use write_infeasible without one")
    inspection = timetable.inspection
    files: dict[str, bytes] = {
        "timetable.csv": render_timetable_csv(timetable).encode("utf-8"),
        "unscheduled.csv": render_unscheduled_csv(timetable).encode("utf-8"),
    }
    if timetable.cancelled:
        files[CANCELLED_FILE] = render_cancelled_csv(timetable).encode("utf-8")
    attending = {rid for s in timetable.sessions for rid in s.everyone}
    named = [(f"calendars/{who.id}.ics", who.id) for who in (*inspection.inspectors, *inspection.people)
             if who.id in attending]
    named += [(f"invites/{invite_filename(s.occurrence_id)}", s) for s in timetable.sorted_sessions()]
    check_unique_names([name for name, _ in named])
    for name, what in named:
        files[name] = render_invite(timetable, what) if name.startswith("invites/") \
            else render_calendar(timetable, what)
    for name, render in _views(changed).items():
        files[name] = render(timetable)
    files.update(input_copy(source))
    files[MARKER] = _json_bytes(solve_summary(result, source))
    return files


def input_copy(source: Path | str | None) -> dict[str, bytes]:
    """input/TABLE.csv for each table of INPUT as read (a workbook's sheets too)."""
    from loader.tables import tables_as_read

    if source is None or not Path(source).exists():
        return {}
    return {f"{INPUT_COPY}/{name}.csv": csv_text(columns, rows).encode("utf-8")
            for name, (columns, rows) in tables_as_read(Path(source)).items()}


def read_baseline(folder: Path | str, inspection: Inspection) -> tuple[Timetable, str | None]:
    """The timetable of a baseline folder, read against the input it was made from (its input/),
    so that a re-plan sees what the lead has edited since; and a note when it has no input/ (made
    before folders kept their input): then INPUT stands in for it, as if nothing was edited."""
    from loader import load_inspection

    copy = Path(folder) / INPUT_COPY
    if not copy.is_dir():
        return replace(read_timetable(inspection, folder), uids=read_uids(folder)), (
            f"the baseline {folder} has no {INPUT_COPY}/ (it was made by an earlier version): INPUT is "
            "taken as the input it was made from, so only the dropouts given are re-planned, not "
            "edits made to INPUT since")
    try:
        made_from = load_inspection(copy)
    except InputError as err:
        raise InputError([Problem(f"{copy}/{p.table}.csv" if p.table else str(copy), p.row, p.column, p.message)
                          for p in err.problems]) from None
    return replace(read_timetable(made_from, folder), uids=read_uids(folder)), None


def check_unique_names(names: Iterable[str]) -> None:
    """Refuse two files under one name in any letter case, before anything is written: names come
    from ids, and on Windows and macOS `LM-CSC.ics` and `lm-csc.ics` are one file, so one session's
    invite would silently replace another's."""
    seen: dict[str, str] = {}
    for name in names:
        taken = seen.get(name.casefold())
        seen[name.casefold()] = name
        if taken is not None:
            raise OutputFolderError(f"two files of the output folder would both be named {taken}"
                                    f"{'' if taken == name else f' (as {name})'}; nothing was written: "
                                    "give activities, inspectors and people ids that differ in more "
                                    "than letter case")


def _infeasible_files(reasons: Iterable[str], result: SolveResult | None,
                      unscheduled: Iterable[Unscheduled], source: Path | str | None,
                      minimal: bool) -> dict[str, bytes]:
    unscheduled = tuple(unscheduled)
    if result is not None and result.status == "UNKNOWN":  # the time limit ran out, nothing proven
        lines = ["No timetable holding every 'must' activity was found in time:", ""]
        minimal = True  # no set of clashing requirements to be minimal or not
    else:
        lines = ["No timetable can hold every 'must' activity. These requirements cannot all hold:", ""]
    lines += [f"- {reason}" for reason in reasons]
    if not minimal:
        lines += ["", "The search for a smaller set ran out of time: this set may not be minimal."]
    distinct = len({u.occurrence_id or u.activity_id for u in unscheduled})
    return {
        "explanation.txt": ("\n".join(lines) + "\n").encode("utf-8"),
        "unscheduled.csv": unscheduled_csv(unscheduled).encode("utf-8"),
        MARKER: _json_bytes(solve_summary(result, source, unscheduled_count=distinct)),
    }


# --- writing atomically -------------------------------------------------------------------------
def _write_tree(root: Path, files: dict[str, bytes]) -> None:
    """Each file at its relative path; a path ending in `/` is a folder (there even when empty)."""
    for relative, content in files.items():
        path = root / relative
        if root not in path.resolve().parents:  # a file name can never leave the folder
            raise ValueError(f"output file {relative!r} lies outside the output folder")
        if relative.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def replace_folder(out_dir: Path | str, files: dict[str, bytes], marker: str = MARKER,
                   option: str = "--out", keep: dict[str, Path | str | None] | None = None) -> None:
    """Put exactly `files` at out_dir: written into a temporary sibling folder, then swapped in
    (old folder renamed away, new renamed in, old deleted). Until the swap the previous folder is
    untouched; if the swap fails it is renamed back. Only a folder holding `marker` (or an empty
    one) is replaced, and never one that is, holds or lies inside a path of `keep`."""
    out_dir = Path(os.path.abspath(out_dir))  # `..` resolved by name, a symlink left a symlink
    check_replaceable(out_dir, keep, marker=marker, option=option)
    parent = out_dir.parent
    fresh = holder = None
    with _terminate_as_interrupt():
        try:
            parent.mkdir(parents=True, exist_ok=True)
            fresh = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=parent)).resolve()
            os.chmod(fresh, 0o777 & ~_umask())  # mkdtemp makes it private; the user expects a normal folder
            _write_tree(fresh, files)
            if out_dir.exists() or out_dir.is_symlink():
                holder = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=parent))
                os.rename(out_dir, holder / "previous")
            try:
                os.rename(fresh, out_dir)
            except BaseException:
                if holder is not None:
                    os.rename(holder / "previous", out_dir)
                raise
            fresh = None
        except OSError as err:
            raise OutputFolderError(f"cannot write the output folder {out_dir}: "
                                    f"{err.strerror or err}; the previous folder is unchanged") from err
        finally:
            if fresh is not None:  # the half-written folder
                shutil.rmtree(fresh, ignore_errors=True)
            if holder is not None and out_dir.exists():  # the replaced one, unless it could not go back
                shutil.rmtree(holder, ignore_errors=True)


@contextlib.contextmanager
def _terminate_as_interrupt():
    """While a folder is written, SIGTERM (a closing terminal, `kill`, a service stopping) is
    taken like Ctrl-C, so replace_folder's clean-up runs instead of the process dying with a temporary
    folder left beside the output. Signals can only be handled on the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def write_output(result: SolveResult, out_dir: Path | str, source: Path | str | None,
                 extra_files: dict[str, bytes] | None = None, changed: Mapping[str, str] | None = None) -> None:
    """Replace out_dir, atomically, by the complete output folder of a timetable. `extra_files`
    (relative path -> bytes) adds a what-if's changes.csv, outbox/ and cancel invites; `changed`
    its marks for timetable.html and timetable.xlsx."""
    check_replaceable(out_dir, {"input": source})  # before rendering: a refused folder costs nothing
    files = output_files(result, source, changed)
    check_unique_names([*files, *(extra_files or {})])
    files.update(extra_files or {})
    replace_folder(out_dir, files)


def write_replan_output(result: SolveResult, out_dir: Path | str, source: Path | str | None,
                        baseline: Timetable, inspection: Inspection, request: WhatIf,
                        baseline_dir: Path | str | None = None) -> tuple[Change, ...]:
    """`write_output` for a re-plan of `baseline` (read from `baseline_dir`) after INPUT
    (`inspection`) and `request`: the folder with changes.csv, outbox/, this what-if's cancels,
    whatif.json (the request, the edits to INPUT it took in and the baseline folder) and the
    changed sessions marked in its views. The CLI and the workbench both write a re-plan through
    here. Returns the changes."""
    from exporters.changes import change_marks, whatif_files
    from models.edits import edits_between

    changes = changes_between(baseline, result.timetable)
    edits = edits_between(baseline.inspection, inspection).in_words()
    write_output(result, out_dir, source, changed=change_marks(changes),
                 extra_files=whatif_files(baseline, result.timetable, changes, request, edits, baseline_dir))
    return changes


def write_infeasible(out_dir: Path | str, reasons: list[str], result: SolveResult | None,
                     unscheduled: Iterable[Unscheduled], source: Path | str | None = None,
                     minimal: bool = True) -> None:
    """Replace out_dir, atomically, by explanation.txt, solve.json and unscheduled.csv only."""
    check_replaceable(out_dir, {"input": source})
    replace_folder(out_dir, _infeasible_files(reasons, result, unscheduled, source, minimal))


def write_infeasible_error(out_dir: Path | str, inspection: Inspection, err: Infeasible,
                           source: Path | str | None, seed: int, wall_seconds: float) -> None:
    """The folder a search whose musts cannot all be held leaves (exit 1, SPEC §6): its
    explanation, and the musts involved in unscheduled.csv. `wall_seconds`: how long the search ran."""
    involved = [inspection.activity_by_id[a] for a in err.activity_ids]
    why = ("a must not placed before the time limit ran out" if isinstance(err, TimeLimitReached)
           else "a must that cannot be held with the others")
    unscheduled = [Unscheduled(a.id, a.priority, f"{why}: see explanation.txt") for a in involved]
    result = SolveResult(status=err.status, timetable=None, objective=0, best_bound=0,
                         wall_seconds=round(wall_seconds, 3), seed=seed)
    write_infeasible(out_dir, list(err.reasons), result, unscheduled, source=source, minimal=err.minimal)


__all__ = ["OutputFolderError", "check_made_from", "check_replaceable", "check_unique_names", "input_copy",
           "input_sha256", "output_files", "read_baseline", "replace_folder", "solve_summary",
           "write_infeasible", "write_infeasible_error", "write_output", "write_replan_output"]
