"""Debian's chromium (and chromium-driver, for Selenium), for the tests that use a real browser.

Missing, they are skipped on a developer's machine; under CI (CI=true) a missing browser fails the
run instead, so a failed install can never pass as green (.ci/run installs both).
"""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = next((b for b in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if b), None)
CHROMEDRIVER = shutil.which("chromedriver")
INSTALL = "apt-get install -y chromium chromium-driver"


def require(*tools: tuple[str, str | None]) -> None:
    """Skip (or under CI fail) unless every (name, path) was found."""
    missing = [name for name, path in tools if path is None]
    if not missing:
        return
    message = f"{' and '.join(missing)} not found (install with `{INSTALL}`)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI needs the browser tests: {message}")
    pytest.skip(message)


def require_chromium() -> str:
    require(("chromium", CHROMIUM))
    return CHROMIUM


def require_chromedriver() -> tuple[str, str]:
    require(("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER))
    return CHROMIUM, CHROMEDRIVER


@contextmanager
def live_server(app):
    """Serve `app` with uvicorn on a free loopback port in a background thread; yields its address."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the workbench server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def chrome(downloads: Path, width: int = 1400, height: int = 1000):
    """Headless chromium driven by Selenium through Debian's chromedriver (no download of either)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = require_chromedriver()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", f"--window-size={width},{height}"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
        yield driver
    finally:
        driver.quit()
