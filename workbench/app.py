"""The workbench's web skin (Starlette): pages over the library calls of workbench.actions.

Security (issue 18): a Host check against DNS rebinding; with a token, every request must carry it
(query `?token=` once, then an HttpOnly cookie); every POST form carries a CSRF token; uploads are
capped in size and must be .xlsx; downloads only from a run's output folder; a strict
Content-Security-Policy (nothing from other hosts, no inline script). The request log names the
method, path and status only: never a query string or form field, so never a staff name.
"""
from __future__ import annotations

import asyncio
import csv
import hashlib
import hmac
import io
import json
import logging
import os
import secrets
import threading
import time
import zipfile
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import (FileResponse, HTMLResponse, JSONResponse, PlainTextResponse,
                                 RedirectResponse, Response, StreamingResponse)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from exporters.changes import request_in_force
from models import InputError, ScheduleError
from models.changes import WhatIf
from workbench.actions import Jobs, from_time, in_force, replan_into, replan_request, robustness_into, solve_into
from workbench.workspace import WORKBOOK, Run, Workspace

log = logging.getLogger("workbench")

HERE = Path(__file__).parent
MAX_UPLOAD = 10 * 1024 * 1024  # a week's workbook is tens of kB; 10 MB leaves room for pictures
TOKEN_COOKIE = "schedule_token"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")
PROGRESS_EVERY = 0.5  # seconds between progress events (the target is at least one a second)
NOTICE_END_WITHIN = 0.1  # seconds: how soon the page hears that a search has ended
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
# A timetable.html from a run opens in the browser with its inline style, and no script at all.
CSP_WEEK_FILE = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"
ZIP_PARTS = {"invites": "invites/", "calendars": "calendars/", "outbox": "outbox/", "all": ""}
NAV = (("inspection", "Inspection"), ("solve", "Solve"), ("week", "Week"), ("replan", "Re-plan"),
       ("robustness", "Robustness"), ("send", "Send"), ("downloads", "Downloads"))
ROBUSTNESS_ROWS_SHOWN = 20  # as the terminal: robustness.csv and robustness.html have every row
SEARCHING = {"solve": "Solving", "replan": "Re-planning", "robustness": "Asking who the week cannot lose"}
PREVIEW = "preview"  # a run's `schedule send --dry-run` folder, beside its out/


def create_app(workspace: Path | str, token: str | None = None,
               hosts: tuple[str, ...] = LOOPBACK_NAMES) -> Starlette:
    """The app over WORKSPACE. `hosts`: the host names the browser may use to reach it."""
    space = Workspace(workspace).create()
    jobs = Jobs(space)
    csrf = secrets.token_urlsafe(32)
    templates = Jinja2Templates(env=_environment())

    def page(request: Request, name: str, status: int = 200, **context) -> Response:
        current = space.current()
        context.setdefault("error", None)
        run = context.get("run")
        context.update(csrf=csrf, nav=NAV, searching=SEARCHING, current=current, running=jobs.running(),
                       has_workbook=space.has_workbook(),
                       not_adoptable=space.why_not_adoptable(run) if isinstance(run, Run) and run.finished else None)
        # Never from the browser's cache (the Back button): a page may show a search that has ended.
        return templates.TemplateResponse(request, name, context, status_code=status,
                                          headers={"Cache-Control": "no-store"})

    async def form(request: Request):
        """The POSTed form, once its CSRF token is checked (and its size, for uploads)."""
        length = request.headers.get("content-length")
        if length is None or not length.isdigit():
            raise _Refused(411, "The request needs a Content-Length.")
        if int(length) > MAX_UPLOAD:
            raise _Refused(413, f"The upload is too large (at most {MAX_UPLOAD // (1024 * 1024)} MB).")
        data = await request.form(max_files=1, max_fields=20)
        if not hmac.compare_digest(str(data.get("csrf", "")), csrf):
            raise _Refused(403, "The form has expired or did not come from this workbench: reload the page.")
        return data

    # --- Inspection -------------------------------------------------------------------------------
    async def inspection(request: Request, error: str | None = None, status: int = 200) -> Response:
        checked = _check(space.workbook) if space.has_workbook() else None
        edits = _edits_since(space.current(), space.workbook) if checked and checked["ok"] else []
        return page(request, "inspection.html", status, checked=checked, edits=edits, error=error,
                    active="inspection")

    async def upload(request: Request) -> Response:
        data = await form(request)
        try:
            await _save_upload(space, data.get("workbook"))
        except ScheduleError as err:
            return await inspection(request, error=_message(err), status=400)
        return RedirectResponse("/inspection", 303)

    async def example(request: Request) -> Response:
        await form(request)
        space.use_example()
        return RedirectResponse("/inspection", 303)

    # --- Solve ----------------------------------------------------------------------------------
    def shown(request: Request, kind: str):
        """The run a Solve or Re-plan page shows (?run=, else its last search's) and that search."""
        job = jobs.job if jobs.job is not None and jobs.job.kind == kind else None
        run = space.finished(request.query_params.get("run"))
        if run is None and job is not None and job.state != "running":
            run = space.finished(job.run.name)
        if run is not None and (run.kind == "robustness") != (kind == "robustness"):
            run = None  # a robustness report holds no timetable; a timetable is no report
        return run, job

    async def solve_page(request: Request, error: str | None = None, status: int = 200) -> Response:
        run, job = shown(request, "solve")
        return page(request, "solve.html", status, run=run, result=_result(run) if run else None,
                    changes=None, job=job, error=error, active="solve")

    async def start(request: Request, kind: str, prepare, again) -> Response:
        """A search form POSTed: `prepare(data, limit)` checks it and gives (search, the workbook its
        run starts from, None: the workspace's); a problem shows the page `again` with it."""
        data = await form(request)
        try:
            limit = _time_limit(data.get("time_limit"))
            search, workbook = await prepare(data, limit)
            jobs.start(kind, limit, search, workbook=workbook)
        except ScheduleError as err:
            return await again(request, error=_message(err), status=409 if "running" in str(err) else 400)
        return RedirectResponse(f"/{kind}", 303)

    def current_or(why: str) -> Run:
        baseline = space.current()
        if baseline is None:
            raise ScheduleError(f"solve the week first: {why}")
        return baseline

    async def solve_start(request: Request) -> Response:
        async def prepare(data, limit):
            if not space.has_workbook():
                raise ScheduleError("upload a workbook (or use the example) on the Inspection page first")
            _check_loads(space.workbook)

            def search(job):
                solve_into(job.run.workbook, job.run.out, time_limit=limit, on_progress=job.on_progress)
                if space.current() is None:  # the first timetable is the one to work from
                    space.adopt(job.run)
            return search, None

        return await start(request, "solve", prepare, solve_page)

    async def stop(request: Request) -> Response:
        await form(request)
        job = jobs.running()
        if job is not None:
            job.stop.set()
        return RedirectResponse(f"/{job.kind if job else 'solve'}", 303)

    async def progress_events(request: Request) -> Response:
        async def events():
            sent = 0.0
            while True:
                job = jobs.job
                snapshot = job.snapshot() if job else {"state": "idle"}
                ended = snapshot["state"] != "running"
                if ended or time.monotonic() - sent >= PROGRESS_EVERY:
                    yield f"data: {json.dumps(snapshot)}\n\n"
                    sent = time.monotonic()
                if ended:
                    break
                await asyncio.sleep(NOTICE_END_WITHIN)  # the end is told at once, not at the next beat
        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    async def progress_now(request: Request) -> Response:
        job = jobs.job
        return JSONResponse(job.snapshot() if job else {"state": "idle"})

    # --- Week -------------------------------------------------------------------------------------
    async def week(request: Request) -> Response:
        run = space.finished(request.query_params.get("run"))
        run = run if run is not None and run.timetable else space.current()
        by = request.query_params.get("by", "room")
        by = by if by in ("room", "inspector", "person") else "room"
        view = _week(run, by) if run is not None else None
        return page(request, "week.html", run=run, by=by, view=view, active="week", **(view or {}))

    # --- Re-plan ----------------------------------------------------------------------------------
    async def replan_page(request: Request, error: str | None = None, status: int = 200) -> Response:
        run, job = shown(request, "replan")
        baseline = space.current()
        people = _loaded(baseline.workbook) if baseline is not None else None
        earlier = request_in_force(baseline.out) if baseline is not None else None
        return page(request, "replan.html", status, run=run, result=_result(run) if run else None,
                    changes=_changes(run) if run else None, baseline=baseline, people=people,
                    still_out=earlier.in_words(people.name_of) if earlier and earlier.anyone_out else [],
                    back_options=[(i, people.name_of(i)) for i in earlier.who_is_out] if earlier else [],
                    edits=_edits_since(baseline, space.workbook), job=job, error=error, active="replan")

    async def replan_start(request: Request) -> Response:
        async def prepare(data, limit):
            baseline = current_or("a re-plan changes the current timetable")
            edited = data.get("workbook")
            if edited is not None and getattr(edited, "filename", ""):
                # "I edited the workbook": it becomes the workspace's workbook, re-planned against the current.
                await _save_upload(space, edited)
                source, request_ = space.workbook, WhatIf()
            elif data.get("uploaded") == "1":  # the workbook already uploaded (on the Inspection page)
                source, request_ = space.workbook, WhatIf()
            elif data.get("back") is not None:  # someone out in the current timetable is back
                source = baseline.workbook
                request_ = WhatIf(now=from_time(_loaded(source), str(data.get("from", ""))))
            else:
                source = baseline.workbook
                request_ = replan_request(_loaded(source), str(data.get("who", "")), str(data.get("from", "")),
                                          str(data.get("away", "")))
            _check_loads(source)
            # Whoever the current timetable was re-planned without stays out (unless said to be back).
            request_ = in_force(request_, baseline.out, _loaded(source), str(data.get("back") or ""))

            def search(job):
                replan_into(job.run.workbook, baseline.out, request_, job.run.out, time_limit=limit,
                            on_progress=job.on_progress, on_engine_done=job.engine_done)
            return search, source

        return await start(request, "replan", prepare, replan_page)

    async def adopt(request: Request) -> Response:
        data = await form(request)
        try:
            run = space.run(str(data.get("run", "")))
            space.adopt(run)
        except ScheduleError as err:
            return await replan_page(request, error=_message(err), status=400)
        return RedirectResponse(f"/week?run={run.name}", 303)

    # --- Robustness (the `schedule robustness` library: scheduler.robustness.sweep) ---------------
    async def robustness_page(request: Request, error: str | None = None, status: int = 200) -> Response:
        run, job = shown(request, "robustness")
        return page(request, "robustness.html", status, run=run, report=_report(run) if run else None,
                    baseline=space.current(), job=job, error=error, active="robustness")

    async def robustness_start(request: Request) -> Response:
        async def prepare(data, limit):
            baseline = current_or("the questions are about the current timetable")
            begin = from_time(_loaded(baseline.workbook), str(data.get("from", "")))

            def search(job):
                robustness_into(job.run.workbook, baseline.out, job.run.out, start=begin, time_limit=limit,
                                on_answer=job.on_answer)
            return search, baseline.workbook

        return await start(request, "robustness", prepare, robustness_page)

    # --- Send (the `schedule send` library: mail.send_folder) -------------------------------------
    sending = threading.Lock()

    async def send_page(request: Request, run: Run | None = None, report=None, error: str | None = None,
                        status: int = 200, posted: dict | None = None) -> Response:
        """`posted`: the form a preview or send came from, whose run the page shows again (never
        another: a lead who corrects the port and sends again must send what they chose, or nothing)."""
        if posted is not None:
            run = space.finished(str(posted.get("run", "")))
        else:
            run = run or space.finished(request.query_params.get("run")) or space.current()
        plan = preview = None
        if run is not None:
            plan, preview = _send_plan(run)
        # Earlier runs of the chain with invitations never sent: by run name, for a link to send them.
        runs = {r.out.resolve(): r.name for r in space.runs()}
        unsent = [(runs.get(folder.resolve()), folder, count) for folder, count in (plan.unsent_before if plan else ())]
        # A fresh solve starts every invitation again at sequence 0: calendars holding one sent from
        # another timetable of this week keep that one and ignore these.
        sent_elsewhere = space.sent_elsewhere(run) if run is not None and run.kind == "solve" else []
        return page(request, "send.html", status, run=run, plan=plan, preview=preview, report=report,
                    unsent=unsent, sent_elsewhere=sent_elsewhere, smtp=_smtp_defaults(), error=error,
                    active="send")

    async def send_preview(request: Request) -> Response:
        from mail import send_folder

        data = await form(request)
        try:
            run = space.run(str(data.get("run", "")))
            await run_in_threadpool(send_folder, run.out, dry_run_dir=run.folder / PREVIEW)
        except ScheduleError as err:
            return await send_page(request, error=_message(err), status=400, posted=data)
        return RedirectResponse(f"/send?run={run.name}", 303)

    async def send_start(request: Request) -> Response:
        from mail import SmtpSettings, send_folder

        data = await form(request)
        if not sending.acquire(blocking=False):
            return await send_page(request, error="a send is already under way: wait for it", status=409, posted=data)
        try:
            run = space.run(str(data.get("run", "")))
            port = str(data.get("smtp_port", "")).strip()
            if port and not (port.isdigit() and 0 < int(port) < 65536):
                raise ScheduleError(f"the mail server's port is a number from 1 to 65535 (587 or 465, say), not {port!r}")
            smtp = SmtpSettings(host=str(data.get("smtp_host", "")).strip(),
                                port=int(port) if port.isdigit() else None,
                                security=str(data.get("smtp_security", "starttls")),
                                user=str(data.get("smtp_user", "")).strip() or None,
                                password=str(data.get("smtp_password", "")) or None)
            if not smtp.host:
                raise ScheduleError("give the mail server")
            report = await run_in_threadpool(send_folder, run.out, smtp)
        except ValueError as err:  # an unknown security choice
            return await send_page(request, error=str(err), status=400, posted=data)
        except ScheduleError as err:
            return await send_page(request, error=_message(err), status=400, posted=data)
        finally:
            sending.release()
        return await send_page(request, run=run, report=report)

    # --- Downloads --------------------------------------------------------------------------------
    async def downloads(request: Request) -> Response:
        runs = [r for r in reversed(space.runs()) if r.finished]
        return page(request, "downloads.html", runs=[(r, _result(r)) for r in runs], active="downloads")

    async def download(request: Request) -> Response:
        try:
            path = space.file(request.path_params["run"], request.path_params["path"])
        except ScheduleError:
            return PlainTextResponse("Not found", 404)
        if path.suffix == ".html":
            return FileResponse(path, media_type="text/html; charset=utf-8",
                                headers={"Content-Security-Policy": CSP_WEEK_FILE})
        # The run in the name: each run's timetable.xlsx saved beside the last is not overwritten.
        return FileResponse(path, filename=f"{request.path_params['run']}-{path.name}")

    async def download_zip(request: Request) -> Response:
        part = request.path_params["part"]
        try:
            run = space.run(request.path_params["run"])
        except ScheduleError:
            return PlainTextResponse("Not found", 404)
        if part not in (*ZIP_PARTS, PREVIEW) or not run.finished \
                or part == PREVIEW and not (run.folder / PREVIEW).is_dir():
            return PlainTextResponse("Not found", 404)
        data = _zip(run.folder / PREVIEW, "") if part == PREVIEW else _zip(run.out, ZIP_PARTS[part])
        name = f"{run.name}-{part}.zip"
        return Response(data, media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    routes = [
        Route("/", lambda request: RedirectResponse("/inspection", 303)),
        Route("/favicon.ico", lambda request: Response(status_code=204)),  # no icon, and no 404 for it
        Route("/inspection", inspection),
        Route("/inspection/upload", upload, methods=["POST"]),
        Route("/inspection/example", example, methods=["POST"]),
        Route("/solve", solve_page),
        Route("/solve/start", solve_start, methods=["POST"]),
        Route("/stop", stop, methods=["POST"]),
        Route("/progress", progress_events),
        Route("/progress.json", progress_now),
        Route("/week", week),
        Route("/replan", replan_page),
        Route("/replan/start", replan_start, methods=["POST"]),
        Route("/adopt", adopt, methods=["POST"]),
        Route("/robustness", robustness_page),
        Route("/robustness/start", robustness_start, methods=["POST"]),
        Route("/send", send_page),
        Route("/send/preview", send_preview, methods=["POST"]),
        Route("/send/start", send_start, methods=["POST"]),
        Route("/downloads", downloads),
        Route("/download/{run}/{path:path}", download),
        Route("/zip/{run}/{part}", download_zip),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = _Workbench(routes=routes, middleware=[Middleware(_Guard, token=token, hosts=hosts)],
                     exception_handlers={_Refused: _refused, Exception: _internal_error})
    app.state.workspace, app.state.jobs = space, jobs
    return app


# --- security ----------------------------------------------------------------------------------------
class _Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


async def _refused(request: Request, err: _Refused) -> Response:
    return PlainTextResponse(err.message, err.status)


async def _internal_error(request: Request, err: Exception) -> Response:
    return PlainTextResponse("Internal error: nothing was changed.", 500)


class _Workbench(Starlette):
    """Starlette re-raises a handled error for the server to log with its traceback, whose message
    may quote a name from the workbook: here it is logged by its type only, and goes no further."""

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except Exception as err:
            path = _logged_path(scope.get("path", "")) if scope.get("type") == "http" else scope.get("type")
            log.error("%s failed: %s (a bug; the message is left out: it may name staff)", path,
                      type(err).__name__)


class _Guard(BaseHTTPMiddleware):
    """Host check, access token, security headers and a name-free request log, for every request."""

    def __init__(self, app, token: str | None, hosts: tuple[str, ...]):
        super().__init__(app)
        self.token, self.hosts = token, {h.lower() for h in hosts}

    async def dispatch(self, request: Request, call_next) -> Response:
        started = time.monotonic()
        response = await self._answer(request, call_next)
        for header, value in (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
                              ("Referrer-Policy", "no-referrer"), ("X-Frame-Options", "DENY")):
            response.headers.setdefault(header, value)
        log.info("%s %s %d %.0fms", request.method, _logged_path(request.url.path), response.status_code,
                 1000 * (time.monotonic() - started))
        return response

    async def _answer(self, request: Request, call_next) -> Response:
        host = (request.url.hostname or "").lower()
        if "*" not in self.hosts and host not in self.hosts and f"[{host}]" not in self.hosts:
            return PlainTextResponse("Unknown host name: open the address `schedule serve` printed.", 421)
        if self.token is None:
            return await call_next(request)
        given = request.query_params.get("token")
        if given is not None and _same(given, self.token):
            # The first visit carries the token in the address; from then on the cookie does.
            response = RedirectResponse(request.url.remove_query_params("token"), 303)
            response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict",
                                secure=request.url.scheme == "https")
            return response
        bearer = request.headers.get("authorization", "")
        held = request.cookies.get(TOKEN_COOKIE) or (bearer[7:] if bearer.lower().startswith("bearer ") else "")
        if held and _same(held, self.token):
            return await call_next(request)
        return PlainTextResponse("This workbench needs its access token: open the address "
                                 "`schedule serve` printed (it ends in ?token=...).", 401)


def _logged_path(path: str) -> str:
    """The page, not what follows it: a file name typed into the address could be anything."""
    first, _, rest = path.lstrip("/").partition("/")
    return f"/{first}" + ("/…" if rest else "")


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


async def _save_upload(space: Workspace, upload) -> None:
    if upload is None or not getattr(upload, "filename", ""):
        raise ScheduleError("choose a workbook (.xlsx) to upload")
    if not upload.filename.lower().endswith(".xlsx"):
        raise ScheduleError("only .xlsx workbooks can be uploaded (save it from Excel as .xlsx)")
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise _Refused(413, "The upload is too large.")
    space.save_workbook(data)


# --- what the pages show -------------------------------------------------------------------------------
def _environment():
    from exporters.html import environment

    return environment(HERE / "templates")


def _message(err: ScheduleError) -> str:
    if isinstance(err, InputError):
        return "\n".join(str(_as_shown(p)) for p in err.problems)  # one a line (the style keeps them)
    return str(err)


def _as_shown(problem):
    """A problem with the whole workbook names it as the lead knows it, not by the path of the
    workspace's copy on the server."""
    from dataclasses import replace

    return replace(problem, table="the workbook") if Path(problem.table).name == WORKBOOK else problem


def _time_limit(text) -> float:
    try:
        limit = float(str(text or "").strip())
    except ValueError:
        raise ScheduleError("the time limit is a number of seconds, e.g. 30") from None
    if not 0.5 <= limit <= 3600:
        raise ScheduleError("the time limit is between 0.5 and 3600 seconds")
    return limit


_INSPECTIONS: dict[str, object] = {}  # workbook digest -> its inspection (the last 16)


def _loaded(workbook: Path):
    """The inspection in a workbook, cached by content (loading a week takes a good part of a
    second, and a run's copy of a workbook is the same week as the original)."""
    from loader import load_inspection

    digest = hashlib.sha256(workbook.read_bytes()).hexdigest()
    if digest not in _INSPECTIONS:
        inspection = load_inspection(workbook)  # an InputError is not cached
        while len(_INSPECTIONS) >= 16:
            _INSPECTIONS.pop(next(iter(_INSPECTIONS)))
        _INSPECTIONS[digest] = inspection
    return _INSPECTIONS[digest]


def _check_loads(workbook: Path) -> None:
    _loaded(workbook)  # raises InputError listing every problem


def _check(workbook: Path) -> dict[str, object]:
    """The Inspection page: the summary, or every problem with the activity it is about."""
    from loader import summary

    try:
        return {"ok": True, "summary": summary(_loaded(workbook))}
    except InputError as err:
        return {"ok": False, "problems": [(_as_shown(p), p.what) for p in err.problems]}


def _edits_since(current: Run | None, workbook: Path) -> list[str]:
    """The workspace workbook's edits since the current timetable was made, in words, as a re-plan
    would take them in (none without a current timetable, or a workbook that does not load)."""
    from models.edits import edits_between

    if current is None or not workbook.is_file():
        return []
    try:
        return edits_between(_loaded(current.workbook), _loaded(workbook)).in_words()
    except InputError:
        return []


def _timetable(run: Run):
    from exporters.timetable_csv import read_timetable

    return read_timetable(_loaded(run.workbook), run.out)


def _result(run: Run) -> dict[str, object]:
    """solve.json, and the summary line the result-summary element shows."""
    from collections import Counter

    from exporters.changes import read_edits

    facts = json.loads((run.out / "solve.json").read_text(encoding="utf-8"))
    if run.kind == "robustness":
        facts["summary"] = _robustness_summary(facts)
        return facts
    facts["explanation"] = (run.out / "explanation.txt").read_text(encoding="utf-8") \
        if (run.out / "explanation.txt").is_file() else ""
    facts["edits"] = read_edits(run.out)  # a re-plan's: what it took in from the edited workbook
    asked = request_in_force(run.out) if run.kind == "replan" else None
    facts["asked"] = asked.in_words(_loaded(run.workbook).name_of) if asked else []
    if not run.timetable:
        facts["summary"] = "No timetable can hold every must: explanation.txt says why."
        return facts
    timetable = _timetable(run)
    insp = timetable.inspection
    held = Counter(insp.occurrence_by_id[s.occurrence_id].activity.priority for s in timetable.sessions
                   if s.occurrence_id in insp.occurrence_by_id)
    musts = sum(o.is_must for o in insp.occurrences)
    musts_word = f"All {musts} musts held" if held["must"] == musts else f"{held['must']} of {musts} musts held"
    by_priority = ", ".join(f"{held[p]} {p}" for p in ("high", "medium", "low") if held[p])
    facts["summary"] = (f"{musts_word}; {len(timetable.sessions)} sessions in all"
                        f"{' (' + by_priority + ' optional)' if by_priority else ''}, "
                        f"{len(timetable.unscheduled)} left out. {facts['status']}"
                        f"{', stopped early' if facts.get('interrupted') else ''}, "
                        f"gap {facts.get('gap', 0):.1%}, {facts.get('wall_seconds', 0):.1f} s.")
    return facts


def _report(run: Run) -> dict[str, object]:
    """A robustness run: its summary line and the most harmful rows of robustness.csv, by name."""
    facts = json.loads((run.out / "solve.json").read_text(encoding="utf-8"))
    rows = list(csv.DictReader(io.StringIO((run.out / "robustness.csv").read_text(encoding="utf-8"))))
    return {"summary": _robustness_summary(facts), "rows": rows[:ROBUSTNESS_ROWS_SHOWN], "total": len(rows),
            "partial": facts["partial"]}


def _robustness_summary(facts: dict) -> str:
    """The summary robustness.csv's marker carries (a folder from before it did: the count)."""
    return facts.get("summary") or f"{facts['answered']} of {facts['questions']} questions answered"


def _week(run: Run, by: str) -> dict[str, object]:
    from exporters.changes import read_change_marks
    from exporters.html import rows_by, week_context
    from exporters.show import shown_sessions

    timetable = _timetable(run)
    insp = timetable.inspection
    sessions = shown_sessions(timetable)
    titles = {a.id: a.title for a in insp.activities}
    return dict(week_context(timetable), rows=rows_by(by, timetable, sessions),
                musts={o.id for o in insp.occurrences if o.is_must}, changed=read_change_marks(run.out),
                unscheduled=[(u, titles.get(u.activity_id, u.activity_id)) for u in timetable.unscheduled],
                session_count=len(sessions))


def _changes(run: Run) -> list[dict[str, str]] | None:
    """changes.csv with titles, who came and went, and the names of who is notified (None: a
    solve's run, or a changes.csv that cannot be read)."""
    from exporters.changes import read_changes

    problems: list = []
    rows = read_changes(run.out, problems)
    if rows is None or problems:
        return None
    insp = _loaded(run.workbook)
    names = {x.id: x.name for x in (*insp.inspectors, *insp.people)}
    rooms = {r.id: r.name for r in insp.rooms}
    titles = {o.id: o.activity.title for o in insp.occurrences}
    for row in rows:
        # changes.csv's own title and names (the baseline's, for what the lead has since removed);
        # looked up in the workbook only for a file written before it had them.
        row["title"] = row.get("title") or titles.get(row["occurrence_id"], row["occurrence_id"])
        row["old_room_name"] = rooms.get(row["old_room"], row["old_room"])
        row["new_room_name"] = rooms.get(row["new_room"], row["new_room"])
        said = [n for n in (row.get("notify_names") or "").split(";") if n]
        row["notify_names"] = ", ".join(said or (names.get(i, i) for i in row["notify"].split(";") if i))
    return rows


def _send_plan(run: Run):
    """What `schedule send` would send from the run, and its last preview's recipients.csv rows."""
    from mail import RECIPIENTS_CSV, plan_send

    try:
        plan = plan_send(run.out)
    except ScheduleError:
        return None, None
    recipients = run.folder / PREVIEW / RECIPIENTS_CSV
    preview = list(csv.DictReader(io.StringIO(recipients.read_text(encoding="utf-8")))) \
        if recipients.is_file() else None
    return plan, preview


def _smtp_defaults() -> dict[str, str]:
    """The form's starting values, from the same environment variables `schedule send` reads
    (never the password)."""
    return {"host": os.environ.get("SCHEDULE_SMTP_HOST", ""), "port": os.environ.get("SCHEDULE_SMTP_PORT", ""),
            "security": os.environ.get("SCHEDULE_SMTP_SECURITY", "starttls"),
            "user": os.environ.get("SCHEDULE_SMTP_USER", "")}


def _zip(folder: Path, prefix: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder).as_posix()
            if path.is_file() and not path.is_symlink() and relative.startswith(prefix):
                archive.write(path, relative)
    return buffer.getvalue()
