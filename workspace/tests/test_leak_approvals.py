"""Leak hunt of the approvals area: "Awaiting my approval", deciding, "My proxies" and ending a delegation, walked by
every person of the world who cannot see the hidden ticket (the former approver and the ended delegate among them)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from approvals.models import ApprovalProcessStepApprover as Slot
from tests.test_leak_hunt import COLUMNS, KEY, SEARCH, TITLE
from workspace.tests.leak import hunt

pytestmark = pytest.mark.django_db

HUNTED: dict[str, dict[str, str]] = {
    "approvals": {},
    "approval-decide": {"slot_id": "slot"},
    "proxies": {},
    "proxy-end": {"delegation_id": "delegation"},
}

LIST_QUERIES = [
    "",
    "page=2",
    urlencode({"q": SEARCH}),
    urlencode({"ordering": "-ticket__title", "status": "pending"}),
    urlencode({"ticket": KEY[:-1], "page": "last"}),
]


@pytest.mark.parametrize("query", LIST_QUERIES)
def test_awaiting_my_approval(world, db, query):
    hunt(world, "approvals", HUNTED["approvals"], query=query)


def test_nothing_of_the_hidden_ticket_waits_on_former_approvers_and_ended_delegates(world, db):
    for column in COLUMNS:
        client = Client()
        client.force_login(world.people[column])

        body = client.get("/approvals/").content.decode()

        assert "Nothing waits on you" in body, column
        assert "You have decided nothing yet." in body, column


def test_the_control_an_approver_of_the_running_step_sees_the_ticket(world, db):
    approver = Slot.objects.get(ticket=world.ticket, step__order=2, user__isnull=False).user
    client = Client()
    client.force_login(approver)

    assert TITLE in client.get("/approvals/").content.decode()


@pytest.mark.parametrize("data", [{"decision": "approve", "comment": "ok"}, {"decision": "reject", "comment": "no"}, {}])
def test_deciding_a_slot_of_the_hidden_ticket(world, db, data):
    hunt(world, "approval-decide", HUNTED["approval-decide"], method="post", data={**data, "next": "/approvals/"})


def test_deciding_is_post_only(world, db):
    hunt(world, "approval-decide", HUNTED["approval-decide"], expect_404=False)


@pytest.mark.parametrize("query", ["", "page=2", urlencode({"q": SEARCH, "state": "ended"})])
def test_my_proxies(world, db, query):
    hunt(world, "proxies", HUNTED["proxies"], query=query)


def test_naming_a_proxy(world, db):
    now = timezone.now()
    data = {
        "delegate": world.people["unrelated"].username,
        "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "reason": "Holiday",
    }
    hunt(world, "proxies", HUNTED["proxies"], method="post", data=data)


@pytest.mark.parametrize("method", ["get", "post"])
def test_ending_the_ended_delegates_delegation(world, db, method):
    hunt(world, "proxy-end", HUNTED["proxy-end"], method=method)
