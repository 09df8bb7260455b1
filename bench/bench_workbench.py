"""The workbench's speed targets (issue 18), in a real browser on a live server, and screenshots of
every page at desktop width and at 1024 px.

    python -m bench.bench_workbench [--out bench/results/workbench] [--rows 100] [--time-limit 10]

Prints one table: the first page (server time and the browser's load), the largest gap between two
progress events during a solve, and how long after the re-plan engine returned its result was on
screen. The server runs in this process, so the engine's end and the browser's view are timed on
one clock. Needs chromium and chromium-driver.
"""
from __future__ import annotations

import argparse
import base64
import json
import time
import urllib.request
from pathlib import Path

import httpx

from fixtures.example import example_tables, write_tables
from tests.browsers import chrome, live_server
from workbench import create_app

WIDTHS = {"desktop": (1600, 1000), "laptop": (1024, 768)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/results/workbench"))
    parser.add_argument("--rows", type=int, default=100, help="activity rows of the generated week")
    parser.add_argument("--time-limit", type=float, default=10.0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    book = args.out / f"week-{args.rows}.xlsx"
    tables = example_tables(rows=args.rows)
    write_tables(tables, xlsx_path=book)
    broken = args.out / "broken.xlsx"
    tables["activities"][3]["duration"] = "ninety"
    tables["activities"][5]["inspectorates"] = "Ofsted;FBI"
    write_tables(tables, xlsx_path=broken)
    workspace = args.out / "workspace"
    if workspace.exists():
        import shutil

        shutil.rmtree(workspace)
    app = create_app(workspace)
    jobs = app.state.jobs
    rows = []
    with live_server(app) as address, chrome(args.out) as driver:
        from selenium.webdriver.common.by import By

        def shoot(name: str) -> None:
            for label, (width, height) in WIDTHS.items():
                driver.set_window_size(width, height)
                shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
                (args.out / f"{name}-{label}.png").write_bytes(base64.b64decode(shot["data"]))
                if driver.execute_script("return document.body.scrollHeight > window.innerHeight"):
                    driver.get_screenshot_as_file(str(args.out / f"{name}-{label}-top.png"))  # legible at full size
            driver.set_window_size(*WIDTHS["desktop"])

        def wait(testid: str, seconds: float = 300):
            from selenium.webdriver.support import expected_conditions as shown
            from selenium.webdriver.support.ui import WebDriverWait

            return WebDriverWait(driver, seconds, poll_frequency=0.02).until(
                shown.visibility_of_element_located((By.CSS_SELECTOR, f'[data-testid="{testid}"]')))

        def loaded_ms() -> float:
            timing = driver.execute_script("const t = performance.getEntriesByType('navigation')[0];"
                                           "return [t.responseEnd, t.loadEventEnd];")
            return timing[1]

        # First page: cold (the server's first request) and with a workbook checked.
        started = time.perf_counter()
        urllib.request.urlopen(f"{address}/inspection").read()
        rows.append(("first page, server (its first request, empty workspace)", time.perf_counter() - started))
        driver.get(f"{address}/inspection")
        rows.append(("first page, browser load event (empty workspace)", loaded_ms() / 1000))
        driver.find_element(By.CSS_SELECTOR, '[data-testid="upload"]').send_keys(str(broken.resolve()))
        driver.find_element(By.CSS_SELECTOR, '[data-testid="upload-submit"]').click()
        wait("problems")
        shoot("1-inspection-problems")
        driver.find_element(By.CSS_SELECTOR, '[data-testid="upload"]').send_keys(str(book.resolve()))
        driver.find_element(By.CSS_SELECTOR, '[data-testid="upload-submit"]').click()
        wait("input-ok")
        driver.get(f"{address}/inspection")
        rows.append((f"Inspection page with a {args.rows}-row workbook checked, browser load", loaded_ms() / 1000))
        shoot("2-inspection-ok")

        # Solve: the progress events' spacing, read on the wire while the browser shows the panel.
        driver.get(f"{address}/solve")
        limit = driver.find_element(By.CSS_SELECTOR, '[data-testid="time-limit"]')
        limit.clear()
        limit.send_keys(f"{args.time_limit:g}")
        driver.find_element(By.CSS_SELECTOR, '[data-testid="solve"]').click()
        wait("progress")
        arrivals = []
        with httpx.stream("GET", f"{address}/progress", timeout=None) as events:
            for line in events.iter_lines():
                if line.startswith("data:"):
                    arrivals.append(time.perf_counter())
                    state = json.loads(line[5:])
                    if len(arrivals) == 8:
                        shoot("3-solve-progress")
                    if state["state"] != "running":
                        break
        gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
        rows.append((f"progress events during a {args.time_limit:g} s solve: largest gap ({len(arrivals)} events)",
                     max(gaps) if gaps else float("nan")))
        wait("result-summary")
        shoot("4-solve-result")
        for by in ("room", "inspector", "person"):
            driver.get(f"{address}/week?by={by}")
            wait("timetable")
            rows.append((f"Week by {by}, browser load", loaded_ms() / 1000))
            shoot(f"5-week-{by}")

        # Re-plan: an inspector of a twice-staffed inspectorate drops out from Wednesday 09:00.
        inspection_rows = example_tables(rows=args.rows)["inspectors"]
        inspectorates = [r["inspectorate"] for r in inspection_rows]
        who = next(r for r in inspection_rows if inspectorates.count(r["inspectorate"]) > 1 and r["role"] != "lead")
        driver.get(f"{address}/replan")
        shoot("6-replan-form")
        wait("drop-who").send_keys(who["name"])
        driver.find_element(By.CSS_SELECTOR, '[data-testid="drop-from"]').send_keys("Wed 09:00")
        driver.find_element(By.CSS_SELECTOR, '[data-testid="replan"]').click()
        wait("result-summary")
        shown_at = time.monotonic()
        job = jobs.job
        rows.append(("re-plan result on screen after the engine returned", shown_at - job.engine_done_at))
        rows.append(("  of which: writing the output folder", job.finished_at - job.engine_done_at))
        rows.append(("  the re-plan job, start to engine end", job.engine_done_at - job.started))
        shoot("7-replan-result")
        driver.get(f"{address}/downloads")
        wait("download-xlsx")
        shoot("8-downloads")
        driver.get(f"{address}/send")
        wait("send-preview").click()
        wait("preview")
        shoot("9-send-preview")
    width = max(len(label) for label, _ in rows)
    print(f"{'measure'.ljust(width)}  seconds")
    for label, seconds in rows:
        print(f"{label.ljust(width)}  {seconds:7.3f}")
    print(f"screenshots in {args.out}/")


if __name__ == "__main__":
    main()
