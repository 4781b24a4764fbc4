"""Browser tests: Playwright (sync API) driving the system's Chromium against pytest-django's live server.

Without Chromium they skip with the reason, except where REQUIRE_BROWSER=1 (CI), where a missing browser fails.
Playwright's own browser downloads are never used (no `playwright install`): CHROMIUM points at the installed one.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

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


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    """A fresh browser context (no cookies) whose page records console errors, page errors and CSP violations in
    `page.problems`; the test asserts it is empty at the end."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda message: _record_console_error(page.problems, message))
    page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
    page.on("response", lambda response: response.status >= 400 and page.problems.append(f"{response.status} {response.url}"))
    # Init scripts are added by the browser's debugging protocol, not by the page, so the CSP does not block this one.
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));"
    )
    yield page
    context.close()


def _record_console_error(problems: list[str], message) -> None:
    # A failed load is recorded by the "response" listener, with its URL. Its console echo is not: Chromium's own
    # /favicon.ico probe (the admin declares no icon) is not a page request and does not concern the page.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        problems.append(f"console: {message.text}")
