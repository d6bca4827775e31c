"""One way to open Debian's Chromium under Playwright for the browser tests.

``playwright install`` cannot download browsers here, so the Debian package's
binary is the executable: headless, no sandbox, nothing that phones home.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

# What a test waits for after an htmx swap: htmx wires up swapped-in content
# when it settles, so the next interaction comes after this holds.
SETTLED = "() => !document.querySelector('.htmx-added, .htmx-request, .htmx-settling')"

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium_page(*, timeout_ms: int, **context_options: Any) -> Iterator[Any]:
    """A page in a fresh browser context; closes the browser and the database
    connection the test used while Playwright was active."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    # Playwright's sync API runs an event loop in this thread; Django refuses
    # database calls from a thread with a running loop unless told it is fine.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        # Playwright's wait_for_function evaluates its predicate with eval,
        # which the pages' Content-Security-Policy forbids: tests bypass it
        # (access/tests/test_browser_csp.py checks the pages under it).
        context_options.setdefault("bypass_csp", True)
        context = browser.new_context(**context_options)
        context.set_default_timeout(timeout_ms)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
            # The test's queries under Playwright ran on a connection of their
            # own (it was left open before); without this PostgreSQL refuses to
            # drop the test database at the end of the run.
            connections.close_all()


def screenshot(page: Any, name: str) -> None:
    """Saves the page as ``name``.png when GUANXI_SCREENSHOTS names a folder
    (how screens are looked at after a change); does nothing otherwise."""
    folder = os.environ.get("GUANXI_SCREENSHOTS")
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def fits_width(page: Any) -> bool:
    """True when the page does not scroll sideways (checked at 390 px)."""
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def page_log_in(page: Any, base: str, *, username: str, password: str) -> None:
    """Log in on the login page and wait for the dashboard."""
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button.primary")
    page.wait_for_url(f"{base}/")
