"""`schedule`: the command line. Thin: parse arguments, call the library, render the result.

Every user error arrives as a models.ScheduleError and is turned into a message and an exit code
here, in one place; nothing a user can do shows a traceback.
"""
from __future__ import annotations

import math
import sys
import threading
import time
from pathlib import Path

import click

from models import InputError, Infeasible, ScheduleError, TimeLimitReached

MIN_WIDTH = 80  # the fewest columns `show` and `robustness` print their tables in


def _problems_heading(err: InputError) -> str:
    """'The input has 2 problem(s):', unless one is in an output folder's own files (show, check
    or robustness reading a folder's timetable.csv): then without blaming the input."""
    count = len(err.problems)
    if any(Path(p.table).name in FOLDER_FILES for p in err.problems if p.table):
        return f"The folder has {count} problem(s):"
    return f"The input has {count} problem(s):"


# The files of an output folder that `show`, `check`, `send` and a re-plan read back.
FOLDER_FILES = frozenset({"timetable.csv", "unscheduled.csv", "changes.csv", "cancelled.csv", "sent.csv",
                          "solve.json", "whatif.json"})


# CP-SAT takes a 32-bit seed; more workers than this only thrash a laptop.
SEED = click.IntRange(-(2**31), 2**31 - 1)
WORKERS = click.IntRange(1, 64)


class _Seconds(click.FloatRange):
    """A time limit: at least 0.1 s, and a real number (FloatRange lets nan and inf through)."""

    name = "seconds"

    def convert(self, value, param, ctx):
        seconds = super().convert(value, param, ctx)
        if not math.isfinite(seconds):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        return seconds


SECONDS = _Seconds(min=0.1)


def search_options(time_help: str, time_limit: float = 60.0, workers: int | None = 2,
                   workers_help: str = "Solver threads (one per core is plenty)."):
    """--time-limit, --seed and --workers, the same on every command that searches."""
    def decorate(command):
        for option in reversed((
            click.option("--time-limit", type=SECONDS, default=time_limit, show_default=True,
                         help=time_help),
            click.option("--seed", type=SEED, default=0, show_default=True,
                         help="The same input, seed and options give the same timetable, proven or not."),
            click.option("--workers", type=WORKERS, default=workers, show_default=workers is not None,
                         help=workers_help),
        )):
            command = option(command)
        return command
    return decorate


class _Commands(click.Group):
    """Maps the library's errors to messages and exit codes (0 ok, 1 infeasible, 2 bad input)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as err:
            click.echo(_problems_heading(err), err=True)
            for problem in err.problems:
                click.echo(f"  - {problem}", err=True)
            ctx.exit(2)
        except TimeLimitReached as err:
            click.echo("No timetable holding every 'must' activity was found in time:", err=True)
            for reason in err.reasons:
                click.echo(f"  - {reason}", err=True)
            ctx.exit(1)
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
    from scheduler.precheck import impossible_musts

    inspection = load_inspection(input_path)
    impossible = impossible_musts(inspection)
    if impossible:  # the tables are readable, but these musts cannot be held even on their own
        click.echo(summary(inspection))
        raise Infeasible([r for _, reasons in impossible for r in reasons],
                         activity_ids=tuple(dict.fromkeys(a for a, _ in impossible)))
    click.echo("OK")
    click.echo(summary(inspection))


@main.command()
@click.argument("input_path", metavar="[INPUT]", required=False, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out"),
              show_default=True, help="Output folder (replaced atomically).")
@search_options("Seconds of search on --workers idle cores, counted as deterministic work so that a "
                "rerun gives the same timetable (a busy machine takes longer; see README). Stops "
                "early when proven optimal.")
def solve(input_path: Path | None, out_dir: Path, time_limit: float, seed: int, workers: int) -> None:
    """Build the timetable for INPUT (default: the bundled example) into --out."""
    from exporters.folder import check_made_from, check_replaceable, write_output
    from fixtures import EXAMPLE_DIR
    from loader import load_inspection
    from scheduler import solve as solve_week

    source = input_path or EXAMPLE_DIR
    inspection = load_inspection(source)
    check_replaceable(out_dir, {"input": source})
    if input_path is None:
        check_made_from(out_dir, source, "the bundled example")
    result = _search(inspection, out_dir, source, seed, time_limit, lambda progress: solve_week(
        inspection, time_limit=time_limit, seed=seed, workers=workers, on_progress=progress))
    write_output(result, out_dir, source=source)
    click.echo(_summary_text(result, out_dir))


def _search(inspection, out_dir: Path, source: Path, seed: int, time_limit: float, run):
    """Run a search with the live progress line; a week whose musts cannot all be held leaves
    explanation.txt, solve.json and unscheduled.csv (SPEC §6) before the error is reported."""
    from exporters.folder import write_infeasible_error

    progress, started = _ProgressLine(time_limit), time.monotonic()
    try:
        return run(progress)
    except Infeasible as err:
        write_infeasible_error(out_dir, inspection, err, source, seed, time.monotonic() - started)
        raise
    finally:
        progress.done()


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--baseline", "baseline_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The output folder people have in their diaries (never modified).")
@click.option("--drop", multiple=True, metavar="ID",
              help="An inspector, person or room out from --now on (repeatable; repeat earlier drops).")
@click.option("--unavailable", multiple=True, metavar='"ID Tue 09:00-12:00"',
              help="Someone (or a room) out for a period; without times, the whole day (repeatable).")
@click.option("--now", "now_text", metavar='"Tue 13:00"',
              help="What starts before this has happened: frozen, and nothing moves before it.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder for the new timetable (replaced atomically; not the baseline).")
@search_options("Seconds of search on --workers idle cores, counted as deterministic work so that a "
                "rerun gives the same timetable.csv and changes.csv, proven or not (a busy machine "
                "takes longer; see README). Stops early when the fewest changes are proven.")
def whatif(input_path: Path, baseline_dir: Path, drop: tuple[str, ...], unavailable: tuple[str, ...],
           now_text: str | None, out_dir: Path, time_limit: float, seed: int, workers: int) -> None:
    """Re-plan the --baseline timetable after any edit to INPUT since it was made and any dropouts
    given here, with as few changes as the priorities allow (setting change_cost), into --out (with
    changes.csv and outbox/: only the invites and cancellations to send now)."""
    from exporters.folder import check_replaceable, write_replan_output
    from loader import load_inspection
    from loader.request import day_time, known_id, period
    from models.changes import WhatIf, changes_in_words
    from scheduler.whatif import whatif as replan

    check_replaceable(out_dir, {"input": input_path, "baseline": baseline_dir})
    inspection = load_inspection(input_path)
    request = WhatIf(drop=tuple(_request("--drop", known_id, inspection, i) for i in dict.fromkeys(drop)),
                     unavailable=tuple(_request("--unavailable", period, inspection, text) for text in unavailable),
                     now=_request("--now", day_time, inspection, now_text) if now_text is not None else None)
    baseline = _read_baseline(baseline_dir, inspection)
    request = _chained(request, baseline_dir, inspection)
    result = _search(inspection, out_dir, input_path, seed, time_limit, lambda progress: replan(
        inspection, baseline, request, time_limit=time_limit, seed=seed, workers=workers,
        on_progress=progress))
    changes = write_replan_output(result, out_dir, input_path, baseline, inspection, request, baseline_dir)
    click.echo(_summary_text(result, out_dir, inspection))
    click.echo(changes_in_words(baseline, changes, inspection))
    outbox = len(list((out_dir / "outbox").glob("*.ics")))
    click.echo(_changes_text(inspection, changes, result.changes, result.changes_proven_minimal, outbox,
                             baseline.inspection))
    if outbox:
        click.echo(f"Next: `schedule send {out_dir}` emails them to the people affected (or import "
                   f"{out_dir / 'outbox'} into Outlook by hand).")


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--baseline", "baseline_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The output folder people have in their diaries (never modified).")
@click.option("--from", "from_text", metavar='"Mon 09:00"',
              help="Each dropout is from this time on (default: the start of Monday).")
@click.option("--dask", "dask_address", metavar="tcp://HOST:PORT",
              help="Answer on this existing Dask cluster instead (needs the [dask] extra).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder for robustness.csv and robustness.html (replaced atomically).")
@search_options("Seconds per question (one re-plan on one CP-SAT worker).", time_limit=10.0, workers=None,
                workers_help="Questions answered at once on this machine, one process each "
                             "(default: one per core).")
def robustness(input_path: Path, baseline_dir: Path, from_text: str | None, workers: int | None,
               dask_address: str | None, out_dir: Path, time_limit: float, seed: int) -> None:
    """Ask, for every inspector, partner person and room, what the --baseline week loses if they
    drop out --from then on; write the answers, most harmful first, to --out. Ctrl-C stops and
    writes what was answered, marked partial."""
    import shutil

    from exporters.changes import read_request
    from exporters.folder import check_replaceable, replace_folder
    from exporters.robustness import render_terminal, robustness_files
    from loader import load_inspection
    from loader.request import day_time
    from scheduler.robustness import cores, sweep

    if dask_address and workers:
        raise click.UsageError("--workers sizes the local pool; on a Dask cluster its workers decide: give one of them")
    if workers and workers > cores():
        click.echo(f"Note: {workers} workers on {cores()} cores would only thrash; using {cores()}.", err=True)
        workers = cores()
    check_replaceable(out_dir, {"input": input_path, "baseline": baseline_dir})
    inspection = load_inspection(input_path)
    start = _request("--from", day_time, inspection, from_text) if from_text else (0, inspection.settings.day_start)
    baseline = _read_baseline(baseline_dir, inspection)
    earlier = read_request(baseline_dir)  # whoever the baseline was re-planned without stays out
    if earlier and earlier.anyone_out:
        click.echo("Each question keeps the baseline's own re-plan in force: "
                   + "; ".join(earlier.in_words(inspection.name_of)) + ".")
    with _SweepProgress() as progress:
        report = sweep(inspection, baseline, start, seed=seed, time_limit=time_limit, workers=workers,
                       dask=dask_address, on_answer=progress, earlier=earlier)
    replace_folder(out_dir, robustness_files(report, input_path),
                   keep={"input": input_path, "baseline": baseline_dir})
    width = max(MIN_WIDTH, shutil.get_terminal_size((120, 24)).columns)
    click.echo(render_terminal(report, width=width, limit=ROBUSTNESS_ROWS_SHOWN), nl=False)
    click.echo(f"written to {out_dir}/ (robustness.csv, robustness.html)")


ROBUSTNESS_ROWS_SHOWN = 20  # the terminal shows the most harmful; robustness.csv has every row


class _SweepProgress:
    """A progress bar on stderr, one step per question answered."""

    def __enter__(self):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("questions"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            TextColumn("{task.description}", markup=False), console=Console(stderr=True), transient=True)
        self.task = None
        self.bar.start()
        return self

    def __call__(self, answer, done: int, total: int) -> None:
        if self.task is None:
            self.task = self.bar.add_task("", total=total)
        if answer is not None:
            self.bar.update(self.task, completed=done, description=f"last: {answer.question.id} {answer.status}")

    def __exit__(self, *exc) -> None:
        self.bar.stop()


def _read_baseline(baseline_dir: Path, inspection):
    """The baseline, read against the input it was made from; says what the lead has edited since
    (the re-plan takes those edits too)."""
    from exporters.folder import read_baseline
    from models.edits import edits_between

    baseline, note = read_baseline(baseline_dir, inspection)
    if note:
        click.echo(f"Note: {note}.", err=True)
    for oid in baseline.musts_missing():
        click.echo(f"Note: the baseline does not hold the must '{baseline.inspection.occurrence_by_id[oid].activity.title}' "
                   f"({oid}) and does not say why: its row was taken out of {baseline_dir / 'timetable.csv'}; "
                   "the re-plan places it as new.", err=True)
    edits = edits_between(baseline.inspection, inspection).in_words()
    if edits:
        click.echo("INPUT edited since the baseline: " + "; ".join(edits))
    return baseline


def _chained(request, baseline_dir: Path, inspection):
    """A re-plan of a re-plan (SPEC §6): what had happened by the baseline's --now has still
    happened, whatever --now says now; the baseline's drops are the lead's to repeat, and a note
    names those this one does not, with the options that would keep them out."""
    from exporters.changes import read_request
    from models.inspection import DAYS, format_minutes, moment_text

    earlier = read_request(baseline_dir)
    later = request.after(earlier)
    if later.now != request.now:
        when = moment_text(later.now)
        click.echo(f"Note: the baseline was re-planned from {when}: what starts before then has happened and "
                   f"stays as it was, as with --now \"{when}\".", err=True)
    lifted = later.not_repeated(earlier, known=inspection.knows)
    if lifted.anyone_out:
        said = lifted.in_words(lambda i: f"{inspection.name_of(i)} ({i})", with_now=False)
        options = [f"--drop {i}" for i in lifted.drop] + [
            f'--unavailable "{r} {DAYS[d]} {format_minutes(start)}-{format_minutes(end)}"'
            for r, d, start, end in lifted.unavailable]
        click.echo(f"Note: the baseline was re-planned for: {'; '.join(said)}. This re-plan does not ask that "
                   f"again, so they are available again from --now on; to keep them out, add {' '.join(options)}.",
                   err=True)
    return later


def _request(option: str, read, *args):
    """A what-if request field read by loader.request; a field it cannot read is a bad option."""
    from loader.request import RequestError

    try:
        return read(*args)
    except RequestError as err:
        raise click.BadParameter(str(err), param_hint=f"'{option}'") from None


def _changes_text(inspection, changes, counted: int, proven_minimal: bool | None, outbox: int,
                  baseline) -> str:
    from exporters.summary import changes_summary

    return "\n".join(changes_summary(inspection, changes, counted, proven_minimal, outbox, baseline))


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--time-limit", type=SECONDS, default=30.0, show_default=True,
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
    from exporters.changes import read_request
    from checker.whatif import check_whatif
    from exporters.timetable_csv import read_timetable
    from loader import load_inspection

    inspection = load_inspection(input_path)
    timetable = read_timetable(inspection, out_dir)
    request = read_request(out_dir)  # a what-if's folder is judged with its dropouts applied
    violations = check_whatif(inspection, timetable, request) if request else check_timetable(timetable)
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
@click.option("--width", type=click.IntRange(min=MIN_WIDTH), default=None,
              help=f"Columns to fit (default: the terminal's width, at least {MIN_WIDTH}: a narrower table "
                   "wraps its headings letter by letter).")
def show(out_dir: Path, resource_id: str | None, by: str | None, width: int | None) -> None:
    """Print the timetable in output folder DIR: by day, or --by room|inspector|person [ID]."""
    import shutil

    from exporters.show import read_folder, render_week

    week = read_folder(out_dir)
    width = width or max(MIN_WIDTH, shutil.get_terminal_size((120, 24)).columns)
    click.echo(render_week(week, by=by, resource_id=resource_id, width=width), nl=False)


@main.command()
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--dry-run", "dry_run_dir", metavar="DIR2", type=click.Path(file_okay=False, path_type=Path),
              help="Write the messages as .eml files plus recipients.csv into DIR2; send nothing.")
@click.option("--smtp-host", metavar="H", envvar="SCHEDULE_SMTP_HOST", show_envvar=True,
              help="The organiser mailbox's outgoing mail server.")
@click.option("--smtp-port", metavar="P", type=click.IntRange(1, 65535), envvar="SCHEDULE_SMTP_PORT",
              show_envvar=True, help="Default: 587 for starttls, 465 for ssl, 25 for none.")
@click.option("--smtp-security", type=click.Choice(["starttls", "ssl", "none"]), default="starttls",
              envvar="SCHEDULE_SMTP_SECURITY", show_envvar=True, show_default=True)
@click.option("--smtp-user", metavar="U", envvar="SCHEDULE_SMTP_USER", show_envvar=True,
              help="Log in as U; the password comes from SCHEDULE_SMTP_PASSWORD or a hidden prompt.")
@click.option("--resend", multiple=True, metavar="OCCURRENCE",
              help="Send this occurrence's invitation again to everyone in it (repeatable).")
def send(folder: Path, dry_run_dir: Path | None, smtp_host: str | None, smtp_port: int | None,
         smtp_security: str, smtp_user: str | None, resend: tuple[str, ...]) -> None:
    """Email the invitations of output folder DIR (a re-plan's: just its outbox/) as Outlook
    meeting requests; DIR/sent.csv records each one sent, so running again sends only what is missing."""
    import os

    from mail import SmtpSettings, send_folder
    from models import MailError

    smtp = None
    if dry_run_dir is None:
        if not smtp_host:
            raise click.UsageError("give the mail server with --smtp-host (or SCHEDULE_SMTP_HOST), "
                                   "or write the messages to a folder with --dry-run DIR2")
        password = os.environ.get("SCHEDULE_SMTP_PASSWORD")
        if smtp_user and password is None:
            password = click.prompt(f"Password for {smtp_user} at {smtp_host}", hide_input=True,
                                    default="", show_default=False, err=True)
        smtp = SmtpSettings(host=smtp_host, port=smtp_port, security=smtp_security, user=smtp_user,
                            password=password)
    progress = _SendingLine()
    try:
        report = send_folder(folder, smtp, dry_run_dir=dry_run_dir, resend=resend, on_progress=progress)
    finally:
        progress.done()
    click.echo(_send_text(report))
    if report.refused:
        raise MailError(f"the mail server refused {len(report.refused)} recipient(s) (listed above); "
                        "they are not recorded as sent: correct the address or ask IT, then send again")


class _SendingLine:
    """`sent 12 of 93` on stderr while messages go out."""

    shown = False

    def __call__(self, done: int, total: int, file: str) -> None:
        if sys.stderr.isatty():
            click.echo(f"\r  sent {done} of {total}", nl=False, err=True)
            self.shown = True

    def done(self) -> None:
        if self.shown:
            click.echo("", err=True)


def _send_text(report) -> str:
    plan = report.plan
    where = f"{len(plan.invitations)} invitation(s) in {plan.source}/"
    if report.dry_run_dir is not None:
        lines = [f"Wrote {len(report.sent)} message(s) for the {where} as .eml files, with "
                 f"recipients.csv, to {report.dry_run_dir}/; nothing was sent."]
    elif not plan.outgoing:
        lines = [f"Nothing to send: each of the {where} has reached everyone in it with an email "
                 f"(sent.csv). --resend OCCURRENCE sends one again."]
    else:
        lines = [f"Sent {len(report.sent)} message(s) for the {where} ({plan.already_sent} sent before); "
                 f"recorded in {plan.folder / 'sent.csv'}."]
    for refusal in report.refused:
        lines.append(f"  refused: {refusal.email} for {refusal.file} ({refusal.reason})")
    if plan.not_reachable:
        lines.append("Not reachable by email (tell them another way):")
        lines += [f"  {p.name}: {', '.join(p.occurrences)}" for p in plan.not_reachable]
    elif not plan.people_known:
        lines.append("This folder has no input/ copy, so people without an email cannot be listed.")
    if plan.without_email:
        lines.append(f"{len(plan.without_email)} invitation(s) name nobody with an email: "
                     + ", ".join(plan.without_email))
    for earlier, count in plan.unsent_before:
        lines.append(f"Note: {earlier}, which this timetable was re-planned from, holds {count} invitation(s) "
                     f"`schedule send` has not sent (its sent.csv). Unless they reached people another way "
                     f"(imported by hand), those people lack them: `schedule send {earlier}` sends them "
                     "(in either order: an update outranks an earlier one in a calendar).")
    return "\n".join(lines)


@main.command()
@click.argument("workspace", required=False, type=click.Path(file_okay=False, path_type=Path),
                default=Path("workspace"))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs --token.")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True)
@click.option("--no-browser", is_flag=True, help="Do not open the browser.")
@click.option("--token", envvar="SCHEDULE_TOKEN", help="Access token every request must carry "
              "(also from SCHEDULE_TOKEN); required with another --host.")
def serve(workspace: Path, host: str, port: int, no_browser: bool, token: str | None) -> None:
    """Open the lead's workbench in the browser, over WORKSPACE (default ./workspace): upload,
    check, solve, see the week, re-plan and download, in the same folders the CLI writes."""
    from workbench.serve import serve as run_workbench

    run_workbench(workspace, host=host, port=port, token=token, open_browser=not no_browser,
                  announce=click.echo)


class _ProgressLine:
    """The live progress line on stderr (a terminal only): fed by the solver's solution callback,
    and redrawn by a ticker thread every half second so the clock moves between improvements."""

    TICK = 0.5  # seconds

    def __init__(self, time_limit: float, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.limit = time_limit
        self.started = time.monotonic()
        self.best: tuple[int, int, int] | None = None
        self.drawn = False
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.ticker = threading.Thread(target=self._tick, name="progress", daemon=True)
        if self.stream.isatty():
            self.ticker.start()

    def __call__(self, elapsed: float, objective: int, bound: int, held: int) -> None:
        with self.lock:
            self.best = (objective, bound, held)
        self.draw()

    def draw(self) -> None:
        from exporters.summary import progress_text

        with self.lock:
            line = progress_text(time.monotonic() - self.started, self.limit, self.best)
            if self.stream.isatty() and not self.stopped.is_set():
                self.stream.write(f"\r  {line}\033[K")  # \033[K: clear what a longer line left
                self.stream.flush()
                self.drawn = True

    def _tick(self) -> None:
        while not self.stopped.wait(self.TICK):
            self.draw()

    def done(self) -> None:
        with self.lock:
            end_line = self.drawn and not self.stopped.is_set()
            self.stopped.set()
            if end_line:
                self.stream.write("\n")
                self.stream.flush()
        if self.ticker.is_alive():
            self.ticker.join()


def _summary_text(result, out_dir: Path, inspection=None) -> str:
    from exporters.summary import plain_summary

    return "\n".join(plain_summary(result, inspection) + [f"Written to {out_dir}/"])


if __name__ == "__main__":
    main()
