"""Each persona bin/run prints lands on a useful first page of the workspace: their own work, with something in it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from demo.management.commands.seed_demo import DEMO_PASSWORD, PERSONAS

pytestmark = pytest.mark.django_db

# persona -> (first page, a text that shows the page holds their work)
LANDINGS = {
    "alice": ("/requests/", "Conference travel laptop"),
    "erin": ("/approvals/", "CRM sandbox write access"),
    "dave": ("/queues/unassigned/", "Printer on floor 3 jams constantly"),
    "carol": ("/queues/unassigned/", "Printer on floor 3 jams constantly"),
    "grace": ("/approvals/", "Payroll system read access"),
    "ivan": ("/queues/all/", "Suspicious e-mail with payroll attachment"),
    "admin": ("/queues/unassigned/", "Printer on floor 3 jams constantly"),
}


@pytest.fixture
def demo() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_every_persona_is_printed_and_lands_on_their_work(demo):
    assert set(LANDINGS) == set(PERSONAS)
    for username, (path, evidence) in LANDINGS.items():
        assert f"  {username} " in demo
        client = Client()
        signed_in = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
        assert signed_in.status_code == 302, username
        landing = client.get("/")
        page = client.get(landing["Location"])

        assert landing["Location"] == path, username
        assert page.status_code == 200, username
        assert evidence in page.content.decode(), f"{username}: {evidence!r} not on {path}"
        assert User.objects.get(username=username).is_active
