"""The workspace's main pages in the demo organisation (`seed_demo`, the world `bin/run` shows), each at 1366 px and at
375 px (a phone): no page scrolls sideways, no table overflows its frame, and none logs a console error, breaks the CSP
or answers 4xx/5xx.

With SCREENSHOTS=1 the same test saves the pages as PNGs in docs/screenshots/ (the README shows the ticket page):

    SCREENSHOTS=1 REQUIRE_BROWSER=1 .venv/bin/pytest -q -p no:cacheprovider -n 0 tests/browser/test_workspace_pages.py

Without it nothing is written, so a test run never rewrites the committed images.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from playwright.sync_api import Page, expect

from demo.management.commands.seed_demo import DEMO_PASSWORD
from permissions.services import access_request_create
from tickets.models import Ticket, TicketTemplate
from tickets.services.attachments import attachment_create

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 375, "height": 812}
SHOWN_TICKET = "Payroll system read access"  # waits on its second step, the first approved for Frank by his proxy
# What sticks out sideways: the page itself, or a table inside its scrolling frame.
OVERFLOWING = """() => [document.scrollingElement, ...document.querySelectorAll('.table-wrap')]
    .filter(element => element.scrollWidth > element.clientWidth)
    .map(element => `${element.tagName.toLowerCase()}.${element.className}: ${element.scrollWidth} > ${element.clientWidth}`)"""


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def demo():
    """The demo organisation, plus a file and a pending access request on the ticket shown."""
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115  (the list of logins is not wanted here)
    ticket = Ticket.objects.get(title=SHOWN_TICKET)
    with transaction.atomic():  # the service locks the ticket's row, as the view's transaction does
        attachment_create(
            ticket=ticket,
            actor=User.objects.get(username="bob"),
            upload=SimpleUploadedFile("payroll-roles.txt", b"Role: payroll reader\nSince: 2026-01-05\n", "text/plain"),
        )
    access_request_create(
        ticket=ticket, requester=User.objects.get(username="judy"), reason="I prepare the payroll reports with Bob."
    )
    return {"ticket": ticket.key, "laptop": TicketTemplate.objects.get(name="Laptop request").pk}


def sign_in(open_page, username: str) -> Page:
    page = open_page(viewport=DESKTOP, device_scale_factor=1)
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".usermenu summary")).to_be_visible()
    return page


def fill_laptop_form(page: Page) -> None:
    page.get_by_label("Model").select_option("14-inch developer")
    page.get_by_label("Justification").fill("The old one no longer runs the design tools.")


def test_the_main_pages_fit_a_laptop_and_a_phone_and_load_cleanly(open_page, demo):
    # (person, address, screenshot name or None, what to do before looking)
    pages = [
        ("alice", "/requests/?status=all", "my-requests", None),
        ("alice", "/requests/new/", "new-request", None),
        ("alice", f"/requests/new/{demo['laptop']}/", "request-form", fill_laptop_form),
        ("alice", "/access-requests/", None, None),
        ("alice", "/proxies/", None, None),
        ("grace", f"/tickets/{demo['ticket']}/", "ticket", None),
        ("dave", "/approvals/", "approvals", None),
        ("carol", "/queues/all/", "queue", None),
        ("carol", "/queues/unassigned/", None, None),
        ("carol", "/notifications/", "notifications", None),
    ]
    phone_shots = {"ticket"}
    screenshots = os.environ.get("SCREENSHOTS") == "1"
    if screenshots:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    browsers: dict[str, Page] = {}
    for username, address, shot, prepare in pages:
        page = browsers.get(username) or browsers.setdefault(username, sign_in(open_page, username))
        for viewport, suffix in ((DESKTOP, ""), (PHONE, "-phone")):
            page.set_viewport_size(viewport)
            page.goto(address)
            if prepare is not None:
                prepare(page)
            assert page.evaluate(OVERFLOWING) == [], f"{address} at {viewport['width']} px"
            if screenshots and shot and (not suffix or shot in phone_shots):
                page.screenshot(path=SCREENSHOTS / f"{shot}{suffix}.png", full_page=True, animations="disabled")
        assert page.problems == [], address
