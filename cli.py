"""`schedule`: the command line. Thin: parse arguments, call the library, render the result.

Every user error arrives as a models.ScheduleError and is turned into a message and an exit code
here, in one place; nothing a user can do shows a traceback.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from models import InputError, Infeasible, ScheduleError


class _Commands(click.Group):
    """Maps the library's errors to messages and exit codes (0 ok, 1 infeasible, 2 bad input)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as err:
            click.echo(f"The input has {len(err.problems)} problem(s):", err=True)
            for problem in err.problems:
                click.echo(f"  - {problem}", err=True)
            ctx.exit(2)
        except Infeasible as err:
            click.echo("No timetable can hold every 'must' activity:", err=True)
            for reason in err.reasons:
                click.echo(f"  - {reason}", err=True)
            if not err.minimal:
                click.echo("  (the search for a smaller set ran out of time: it may not be minimal)", err=True)
            ctx.exit(1)
        except ScheduleError as err:
            click.echo(f"Error: {err}", err=True)
            ctx.exit(err.exit_code)
        except KeyboardInterrupt:
            click.echo("\nInterrupted: nothing written.", err=True)
            ctx.exit(130)


@click.group(cls=_Commands)
@click.version_option(package_name="jtai-schedule")
def main() -> None:
    """Timetable the on-site week (week 3) of a Joint Targeted Area Inspection."""


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Write a filled example inspection to DIRECTORY (example.xlsx and example/*.csv)."""
    from fixtures.example import write_example

    written = write_example(directory)
    for path in written:
        click.echo(f"wrote {path}")


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
def validate(input_path: Path) -> None:
    """Check INPUT (a CSV folder or an .xlsx workbook) and list every problem."""
    from loader import load_inspection, summary

    inspection = load_inspection(input_path)
    click.echo("OK")
    click.echo(summary(inspection))


@main.command()
@click.argument("input_path", metavar="[INPUT]", required=False, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out"),
              show_default=True, help="Output folder (replaced atomically).")
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds to search; stops early when proven optimal.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True)
def solve(input_path: Path | None, out_dir: Path, time_limit: float, seed: int, workers: int) -> None:
    """Build the timetable for INPUT (default: the bundled example) into --out."""
    from exporters.folder import check_replaceable, write_output
    from fixtures import EXAMPLE_DIR
    from loader import load_inspection
    from scheduler import solve as solve_week

    source = input_path or EXAMPLE_DIR
    inspection = load_inspection(source)
    check_replaceable(out_dir)
    progress = _ProgressLine()
    try:
        result = solve_week(inspection, time_limit=time_limit, seed=seed, workers=workers,
                            on_progress=progress)
    except Infeasible as err:
        progress.done()
        _write_infeasible(inspection, err, out_dir, source, seed)
        raise
    progress.done()
    write_output(result, out_dir, source=source)
    click.echo(_summary_text(result, out_dir))


def _write_infeasible(inspection, err: Infeasible, out_dir: Path, source: Path, seed: int) -> None:
    """exit 1 leaves explanation.txt, solve.json and unscheduled.csv only (SPEC §6)."""
    from exporters.folder import write_infeasible
    from models import SolveResult, Unscheduled

    involved = [inspection.activity_by_id[a] for a in err.activity_ids]
    unscheduled = [Unscheduled(a.id, a.priority, "a must that cannot be held with the others: see explanation.txt")
                   for a in involved]
    result = SolveResult(status="INFEASIBLE", timetable=None, objective=0, best_bound=0,
                         wall_seconds=0.0, seed=seed)
    write_infeasible(out_dir, list(err.reasons), result, unscheduled, source=source, minimal=err.minimal)


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds to spend looking for the smallest set of clashing requirements.")
def explain(input_path: Path, time_limit: float) -> None:
    """Say why INPUT's musts cannot all be held (or that they can)."""
    from loader import load_inspection
    from scheduler.explain import explanation

    inspection = load_inspection(input_path)
    reasons, minimal = explanation(inspection, budget=time_limit)
    if not reasons:
        click.echo("OK: every must can be held together.")
        return
    raise Infeasible(reasons, minimal=minimal)


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.argument("out_dir", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
def check(input_path: Path, out_dir: Path) -> None:
    """Verify the timetable in DIR against every rule for INPUT (no solver involved)."""
    from checker import check_timetable
    from exporters.timetable_csv import read_timetable
    from loader import load_inspection

    inspection = load_inspection(input_path)
    timetable = read_timetable(inspection, out_dir)
    violations = check_timetable(timetable)
    if violations:
        for violation in violations:
            click.echo(f"  - {violation}")
        raise ScheduleError(f"{len(violations)} rule(s) broken")
    click.echo(f"OK: {len(timetable.sessions)} sessions keep every rule")


@main.command()
@click.argument("out_dir", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.argument("resource_id", metavar="[ID]", required=False)
@click.option("--by", type=click.Choice(["room", "inspector", "person"]),
              help="One table per room, inspector or person (only ID's when given).")
@click.option("--width", type=click.IntRange(min=40), default=None,
              help="Columns to fit (default: the terminal's width).")
def show(out_dir: Path, resource_id: str | None, by: str | None, width: int | None) -> None:
    """Print the timetable in output folder DIR: by day, or --by room|inspector|person [ID]."""
    import shutil

    from exporters.show import read_folder, render_week

    week = read_folder(out_dir)
    width = width or max(80, shutil.get_terminal_size((120, 24)).columns)
    click.echo(render_week(week, by=by, resource_id=resource_id, width=width), nl=False)


class _ProgressLine:
    """A live progress line on stderr, fed by the solver's solution callback."""

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, elapsed: float, objective: int, bound: int, held: int) -> None:
        gap = (bound - objective) / max(1, bound)
        line = (f"\r  {elapsed:6.1f}s  held weight {objective}  bound {bound}  gap {gap:6.2%}"
                f"  sessions {held}")
        if sys.stderr.isatty():
            click.echo(line, nl=False, err=True)
        self.shown = True

    def done(self) -> None:
        if self.shown and sys.stderr.isatty():
            click.echo("", err=True)


def _summary_text(result, out_dir: Path) -> str:
    from collections import Counter

    timetable = result.timetable
    held = Counter(timetable.inspection.occurrence_by_id[s.occurrence_id].activity.priority
                   for s in timetable.sessions)
    by_priority = ", ".join(f"{held[p]} {p}" for p in ("must", "high", "medium", "low") if held[p])
    lines = [
        f"{result.status}: {len(timetable.sessions)} sessions held ({by_priority}), "
        f"{len(timetable.unscheduled)} optional left out",
        f"held weight {result.objective}, bound {result.best_bound}, gap {result.gap:.2%}, "
        f"{result.wall_seconds:.1f}s",
        f"written to {out_dir}/",
    ]
    if result.interrupted:
        lines.insert(0, "Interrupted: this timetable holds every must but is not proven optimal.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
