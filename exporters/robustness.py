"""robustness.csv, robustness.html and the terminal table of a robustness report (SPEC §6).

Pure renderers from a Report to text; writing the folder is a separate step (`robustness_files`
plus exporters.folder.replace_folder). The page is self-contained (inline CSS, no script, no
network) and every input string goes through jinja2's autoescape.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from rich.table import Table
from rich.text import Text

from exporters.folder import MARKER, input_sha256
from exporters.timetable_csv import csv_text
from models.inspection import moment_text
from models.robustness import COLUMNS, Answer, Report

_TEMPLATES = Path(__file__).parent / "templates"
EXPLAINED = 10  # the page explains the top ten in words


def start_text(report: Report) -> str:
    return moment_text(report.start)


def _blank(value) -> str:
    return "" if value is None else str(value)


def row(a: Answer) -> tuple[str, ...]:
    """One line of robustness.csv; blank where a re-plan could not say (INFEASIBLE, UNKNOWN)."""
    q = a.question
    return (q.id, q.name, q.kind, str(q.sessions), _blank(a.musts_lost), _blank(a.held_weight_lost),
            _blank(a.changes), a.status, f"{a.seconds:.2f}")


def render_csv(report: Report) -> str:
    return csv_text(COLUMNS, (row(a) for a in report.answers))


def verdict(a: Answer) -> str:
    """The harm in a few words."""
    if a.status == "INFEASIBLE":
        return f"no re-plan holds every other must ({a.musts_lost} must(s) involved)"
    if a.status == "UNKNOWN":
        return "no re-plan holding every must found in the time limit"
    parts = [f"{a.musts_lost} must(s) lost"] if a.musts_lost else []
    if a.held_weight_lost:
        parts.append(f"held weight -{a.held_weight_lost}")
    parts.append(f"{a.changes} change(s)")
    return ", ".join(parts) + ("" if a.status == "OPTIMAL" else " (not proven)")


def summary_text(report: Report) -> str:
    harmful = sum(bool(a.musts_lost) or a.status in ("INFEASIBLE", "UNKNOWN") for a in report.answers)
    done = f"{len(report.answers)} of {report.questions} questions answered"
    partial = " (PARTIAL: stopped before the end)" if report.partial else ""
    return (f"Dropouts from {start_text(report)}: {done}{partial}; {harmful} would cost a must "
            f"(or leave no re-plan), in {report.wall_seconds:.1f}s")


# --- robustness.html ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Bar:
    answer: Answer
    rank: int
    weight_pct: float  # bar lengths, as % of the largest in the report
    changes_pct: float
    verdict: str


def render_html(report: Report) -> str:
    """The ranked chart: one row per id, most harmful first; the top ten explained in words."""
    most_weight = max([a.held_weight_lost or 0 for a in report.answers] + [1])
    most_changes = max([a.changes or 0 for a in report.answers] + [1])
    bars = [_Bar(a, n, round(100 * (a.held_weight_lost or 0) / most_weight, 1),
                 round(100 * (a.changes or 0) / most_changes, 1), verdict(a))
            for n, a in enumerate(report.answers, start=1)]
    environment = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=True,
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)
    return environment.get_template("robustness.html.j2").render(
        report=report, bars=bars, explained=[b for b in bars[:EXPLAINED] if _worth_explaining(b.answer)],
        start=start_text(report), summary=summary_text(report), most_weight=most_weight,
        most_changes=most_changes)


def _worth_explaining(a: Answer) -> bool:
    return bool(a.why) or bool(a.changes)


# --- the terminal -------------------------------------------------------------------------------
def terminal_table(report: Report, limit: int | None = None) -> Table:
    """The ranked table (the first `limit` rows), in plain text cells: never rich markup."""
    shown = report.answers[:limit] if limit else report.answers
    table = Table(title=Text(summary_text(report)), title_justify="left")
    for column in ("#", "id", "name", "kind", "sessions", "musts lost", "weight lost", "changes", "status", "s"):
        table.add_column(column, no_wrap=column not in ("name",),
                         justify="right" if column in ("#", "sessions", "musts lost", "weight lost", "changes", "s")
                         else "left")
    for n, a in enumerate(shown, start=1):
        cells = row(a)
        table.add_row(str(n), *(Text(c) for c in cells[:-1]), Text(f"{a.seconds:.1f}"))
    return table


def render_terminal(report: Report, width: int = 120, limit: int | None = None) -> str:
    from exporters.show import plain_text

    return plain_text([terminal_table(report, limit)], width)


# --- the folder ---------------------------------------------------------------------------------
def robustness_files(report: Report, source: Path | str | None) -> dict[str, bytes]:
    """robustness.csv, robustness.html and the folder's marker (solve.json, so that a later run
    may replace the folder), which says whether the sweep was complete."""
    marker = {
        "command": "robustness", "summary": summary_text(report), "from": start_text(report),
        "questions": report.questions,
        "answered": len(report.answers), "partial": report.partial, "seed": report.seed,
        "time_limit_per_question": report.time_limit, "wall_seconds": report.wall_seconds,
        "input_sha256": input_sha256(source),
    }
    return {
        "robustness.csv": render_csv(report).encode("utf-8"),
        "robustness.html": render_html(report).encode("utf-8"),
        MARKER: (json.dumps(marker, indent=2) + "\n").encode("utf-8"),
    }


__all__ = ["render_csv", "render_html", "render_terminal", "robustness_files", "summary_text", "terminal_table",
           "verdict"]
