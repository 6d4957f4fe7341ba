"""Headless Chromium (Debian's package) driven by Playwright against pytest-django's live server.

Without Chromium the browser tests are skipped with the install command, except on CI, where a
missing browser fails the run.
"""

import os
import shutil
from collections.abc import Iterator

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import on_ci

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_HINT = "Chromium is not installed: `sudo apt-get install chromium` runs browser tests."


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


# Module scope, not session: while Playwright's loop is alive, Django's per-context connections
# opened by later (non-browser) tests would escape the end-of-run cleanup.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        if on_ci():
            pytest.fail(INSTALL_HINT + " (CI=true: browser tests must run)")
        pytest.skip(INSTALL_HINT)
    # Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
    # the ORM calls the tests make to set up data.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _migration_data(migration_data: None) -> None:
    """Live-server tests flush the database after each test; put the seeded data back."""


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()
    # Django keeps connections per context, and Playwright's event loop gives the test its own:
    # close what the test opened, or dropping the test database at the end finds it in use.
    connections.close_all()


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


__all__ = ["expect", "log_in"]
