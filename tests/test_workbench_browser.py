"""The workbench in a real browser (Debian's chromium, driven by Selenium through chromium-driver):
upload -> solve -> week -> re-plan -> download, through the data-testid hooks of issue 18, on a
tiny week with short time limits."""
from __future__ import annotations

import csv
import time

import pytest

from fixtures.example import example_tables
from tests.browsers import chrome, live_server, require_chromedriver
from tests.test_workbench_http import tiny_workbook
from workbench import create_app

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    require_chromedriver()
    root = tmp_path_factory.mktemp("browser")
    (root / "downloads").mkdir()
    app = create_app(root / "workspace")
    with live_server(app) as address, chrome(root / "downloads") as driver:
        yield driver, address, root


def wait_for(driver, testid: str, seconds: float = 60):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds, poll_frequency=0.1).until(
        shown.visibility_of_element_located((By.CSS_SELECTOR, f'[data-testid="{testid}"]')))


def test_upload_solve_week_replan_download(browser):
    from selenium.webdriver.common.by import By

    driver, address, root = browser
    book = tiny_workbook(root / "tiny.xlsx")
    people = {r["id"]: r["name"] for r in example_tables(rows=20, seed=7)["people"]}

    # Inspection: upload the workbook; it is valid.
    driver.get(f"{address}/inspection")
    driver.find_element(By.CSS_SELECTOR, '[data-testid="upload"]').send_keys(str(book))
    driver.find_element(By.CSS_SELECTOR, '[data-testid="upload-submit"]').click()
    assert "Activities: 20" in wait_for(driver, "input-ok").text

    # Solve, with the progress panel pushed from the server until the result opens.
    driver.find_element(By.LINK_TEXT, "Solve").click()
    limit = driver.find_element(By.CSS_SELECTOR, '[data-testid="time-limit"]')
    limit.clear()
    limit.send_keys("10")
    driver.find_element(By.CSS_SELECTOR, '[data-testid="solve"]').click()
    assert "s of 10.0 s" in wait_for(driver, "progress").text
    summary = wait_for(driver, "result-summary").text
    assert summary.startswith("All ") and "musts held" in summary

    # Week: every session of the output folder, by room; by person shows people's names.
    driver.find_element(By.LINK_TEXT, "Week").click()
    week = wait_for(driver, "timetable")
    out = root / "workspace" / "runs" / "001-solve" / "out"
    rows = list(csv.DictReader((out / "timetable.csv").open(encoding="utf-8")))
    assert len(week.find_elements(By.CSS_SELECTOR, ".session")) == len(rows)
    driver.find_element(By.CSS_SELECTOR, '[data-testid="by-person"]').click()
    by_person = wait_for(driver, "timetable").text
    someone = next(p for r in rows if r["day"] in ("Thu", "Fri") for p in r["attendees"].split(";") if p)
    assert people[someone] in by_person

    # Re-plan: someone with a session on Thursday or Friday drops out from Wednesday 09:00.
    driver.find_element(By.LINK_TEXT, "Re-plan").click()
    wait_for(driver, "drop-who").send_keys(people[someone])
    driver.find_element(By.CSS_SELECTOR, '[data-testid="drop-from"]').send_keys("Wed 09:00")
    driver.find_element(By.CSS_SELECTOR, '[data-testid="replan"]').click()
    changes = wait_for(driver, "changes")
    replan = max((root / "workspace" / "runs").glob("*-replan"))
    expected = list(csv.DictReader((replan / "out" / "changes.csv").open(encoding="utf-8")))
    shown_rows = changes.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert len(shown_rows) == len(expected) >= 1
    assert all(people[someone] in row.text for row in shown_rows)  # each change notifies them
    driver.find_element(By.CSS_SELECTOR, '[data-testid="adopt"]').click()
    wait_for(driver, "timetable")

    # Downloads: the current (re-planned) timetable's workbook.
    driver.find_element(By.LINK_TEXT, "Downloads").click()
    wait_for(driver, "download-xlsx").click()
    saved = root / "downloads" / f"{replan.name}-timetable.xlsx"  # saved under its run's name
    deadline = time.monotonic() + 20
    while not saved.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert saved.read_bytes() == (replan / "out" / "timetable.xlsx").read_bytes()

    # Robustness: who the (re-planned) week cannot lose from Wednesday 09:00, most harmful first,
    # with the progress panel counting the questions until the ranked table opens.
    driver.find_element(By.LINK_TEXT, "Robustness").click()
    wait_for(driver, "robustness-from").send_keys("Wed 09:00")
    seconds = driver.find_element(By.CSS_SELECTOR, '[data-testid="robustness-time-limit"]')
    seconds.clear()
    seconds.send_keys("5")
    driver.find_element(By.CSS_SELECTOR, '[data-testid="robustness"]').click()
    assert "Questions answered" in wait_for(driver, "progress").text
    table = wait_for(driver, "robustness-table", 300)
    robustness = max((root / "workspace" / "runs").glob("*-robustness"))
    ranked = list(csv.DictReader((robustness / "out" / "robustness.csv").open(encoding="utf-8")))
    shown_rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert [row.text.split("\n")[0].split(" ", 1)[1] for row in shown_rows][:3] == \
        [r["name"] for r in ranked[:3]]
    assert len(shown_rows) == min(20, len(ranked))
