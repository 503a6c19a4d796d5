"""Headless Chromium (Debian's ``chromium``, installed by scripts/test.sh)
for the tests of the pages: one-shot runs (``--dump-dom``,
``--screenshot``) and, through Debian's ``chromium-driver`` and Selenium,
a browser a test drives while the page lives."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
CHROMEDRIVER = "/usr/bin/chromedriver"
#: Where the tests' screenshots are kept for a person to look at (else a temporary directory).
SCREENSHOTS_ENV = "RESTD_SCREENSHOTS"


def chromium(*args: str) -> str:
    """Run headless Chromium (a fresh profile) with ``args``; its stdout."""
    binary = shutil.which("chromium")
    assert binary, "chromium is not installed: run scripts/test.sh"
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([binary, *CHROMIUM_FLAGS, "--window-size=1280,2000", "--virtual-time-budget=15000",
                               f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@contextmanager
def driven(width: int = 1280, height: int = 1400, phone: bool = False) -> Iterator:
    """A Chromium that the test drives (Selenium's WebDriver), closed after;
    ``phone``: a touch screen of ``width`` x ``height`` CSS pixels (a desktop
    window cannot be made that narrow)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = shutil.which("chromium")
    assert binary and os.path.exists(CHROMEDRIVER), \
        "chromium and chromium-driver are not installed: run scripts/test.sh"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*CHROMIUM_FLAGS, f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console: CSP violations, errors
    if phone:
        options.add_experimental_option("mobileEmulation", {
            "deviceMetrics": {"width": width, "height": height, "pixelRatio": 1, "touch": True}})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield browser
    finally:
        browser.quit()


def screenshot(browser, name: str, fallback_dir: Path) -> bytes:
    """Save the page as ``name``.png (under $RESTD_SCREENSHOTS if set) and return the PNG."""
    directory = Path(os.environ.get(SCREENSHOTS_ENV) or fallback_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    browser.save_screenshot(str(path))
    return path.read_bytes()


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
