"""timetable.html in a real headless browser (Debian's chromium): every session renders in its day
column, injected markup never runs, and a screenshot of the page is worth looking at.

CI installs the browser (`apt-get install -y chromium chromium-driver`); without it these tests are
skipped, except under CI, where they fail (tests/browsers.py).
"""
from __future__ import annotations

import os
import signal
import struct
import subprocess
from html.parser import HTMLParser

import pytest

from exporters.html import render_html
from models import Timetable
from tests.builders import activity, inspector
from tests.test_views import expected_cells, hostile_timetable, session_cells

from tests.browsers import CHROMIUM as BROWSER, require_chromium


@pytest.fixture(autouse=True, scope="module")
def _browser():
    require_chromium()


# Each would leave a trace in the DOM if it ever ran: a changed title, an element, an attribute.
INJECTIONS = (
    "<script>document.title='pwned'</script>",
    "<script>document.body.appendChild(document.createElement('pwned'))</script>",
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">",
)


def booby_trapped() -> Timetable:
    """The hostile week, with titles and a name that would change the page if run."""
    t = hostile_timetable()
    insp = t.inspection
    activities = tuple(
        activity(a.id, type=a.type, duration=a.duration, recurs_daily=a.recurs_daily,
                 priority=a.priority, title=a.title + INJECTIONS[i % 3])
        for i, a in enumerate(insp.activities))
    inspectors = insp.inspectors[:2] + (inspector("HM1", "HMICFRS", name="Hal" + INJECTIONS[2]),)
    insp = type(insp)(insp.settings, inspectors, insp.people, insp.rooms, activities)
    return Timetable(insp, t.sessions, t.unscheduled)


def run_browser(tmp_path, *args: str) -> str:
    """The browser's stdout; a fresh profile each run, nothing from the network."""
    profile = tmp_path / f"profile{len(list(tmp_path.glob('profile*')))}"
    command = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-quic", "--no-first-run",
               "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}", *args]
    # Its own session, so a hung browser is ended with all its helper processes.
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                          start_new_session=True) as browser:
        try:
            out, _ = browser.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(browser.pid, signal.SIGKILL)
            browser.communicate()
            pytest.fail("the browser hung on the page: an injected alert() or script ran")
    assert browser.returncode == 0
    return out


class Traces(HTMLParser):
    """The document title, and any element or attribute an injection would have added."""

    def __init__(self) -> None:
        super().__init__()
        self.title, self.in_title, self.planted = "", False, []

    def handle_starttag(self, tag, attrs):
        self.in_title = tag == "title"
        if tag in ("pwned", "img", "script") or any(name == "data-pwned" for name, _ in attrs):
            self.planted.append((tag, attrs))

    def handle_endtag(self, tag):
        self.in_title = False

    def handle_data(self, data):
        if self.in_title:
            self.title += data


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("browser")
    timetable = booby_trapped()
    path = tmp_path / "timetable.html"
    path.write_text(render_html(timetable), encoding="utf-8")
    return timetable, path, tmp_path


@pytest.fixture(scope="module")
def dom(page):
    """The document as the browser left it after loading the page (scripts included, had any run)."""
    _, path, tmp_path = page
    return run_browser(tmp_path, "--dump-dom", path.as_uri())


def test_browser_renders_each_session_in_its_day_column(page, dom):
    timetable, _, _ = page
    cells = session_cells(dom)
    assert {(sec, row, day, occ) for sec, row, day, occ, _ in cells} == expected_cells(timetable)
    titles = {a.id: a.title for a in timetable.inspection.activities}
    for _, _, _, occurrence, text in cells:
        assert titles[occurrence.split("@")[0]] in text  # the injection shows as plain text


def test_browser_never_runs_injected_markup(dom):
    traces = Traces()
    traces.feed(dom)
    assert traces.title == "JTAI Northmere timetable"
    assert traces.planted == []


def test_browser_screenshot_is_a_full_page_picture(page):
    _, path, tmp_path = page
    png = tmp_path / "timetable.png"
    run_browser(tmp_path, f"--screenshot={png}", "--window-size=1600,1000", path.as_uri())
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1600, 1000)  # IHDR width and height
    assert len(data) > 50_000  # a blank page compresses to a few kB
