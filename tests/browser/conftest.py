"""Browser tests: Playwright (sync API) driving the system's Chromium against pytest-django's live server.

Without Chromium they skip with the reason, except where REQUIRE_BROWSER=1 (CI), where a missing browser fails.
Playwright's own browser downloads are never used (no `playwright install`): CHROMIUM points at the installed one.
One browser serves a test module (the event loop of Playwright's sync API ends with it); each person gets a context of
their own (cookies), as `page` and `open_page` give.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from savedviews.services import builtin_views_ensure

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (install the distribution's chromium package, or set CHROMIUM)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    # Generous: the live server builds the OpenAPI schema on a shared, busy machine.
    expect.set_options(timeout=30_000)

    # Playwright's sync API keeps an event loop running in this thread, which Django's ORM guard takes for async code.
    # The tests' own ORM calls are synchronous; the guard is lifted for this module only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def builtin_views(transactional_db: None) -> None:
    """The live server's tests flush the database after each test, and with it the built-in views the data migration
    made (the queues); each test starts with them again."""
    builtin_views_ensure()


@pytest.fixture
def page(open_page) -> object:
    """A fresh browser context (no cookies) whose page records console errors, page errors, CSP violations and 4xx/5xx
    answers in `page.problems`; the test asserts it is empty at the end."""
    return open_page()


@pytest.fixture
def open_page(browser, live_server) -> Iterator[object]:
    """open_page(**context_options) -> a page in a new context (a person of their own: no cookies), watched as `page`
    is. Options are Playwright's: java_script_enabled=False for a browser without scripts, viewport={...}."""
    contexts = []

    def make(**options):
        context = browser.new_context(base_url=live_server.url, **options)
        contexts.append(context)
        return _watched(context.new_page())

    yield make
    for context in contexts:
        context.close()


def _watched(page):
    page.problems = []
    page.on("console", lambda message: _record_console_error(page.problems, message))
    page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
    page.on("response", lambda response: response.status >= 400 and page.problems.append(f"{response.status} {response.url}"))
    # Init scripts are added by the browser's debugging protocol, not by the page, so the CSP does not block this one.
    # (With JavaScript off nothing runs, this included: no script can break the policy then.)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));"
    )
    return page


def _record_console_error(problems: list[str], message) -> None:
    # A failed load is recorded by the "response" listener, with its URL. Its console echo is not: Chromium's own
    # /favicon.ico probe (the admin declares no icon) is not a page request and does not concern the page.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        problems.append(f"console: {message.text}")
