"""The inbound mail record in the admin: read-only, and only for superusers and holders of tickets.view_all_tickets,
since a record's subject and ticket can name a restricted ticket."""

from __future__ import annotations

import pytest
from django.test import Client

from mailgate.tests.factories import InboundMessageFactory
from tests.factories import AdminFactory, UserFactory
from tickets.models import TicketStatus
from tickets.tests.factories import RestrictedTicketFactory

pytestmark = pytest.mark.django_db

RECORDS = "/admin/mailgate/inboundmessage/"
MAILGATE_PERMS = [f"mailgate.{verb}_inboundmessage" for verb in ("add", "change", "delete", "view")]


@pytest.fixture
def record():
    alice = UserFactory(username="alice")
    ticket = RestrictedTicketFactory(created_by=alice, title="Salary review of Bob", status=TicketStatus.OPEN)
    return InboundMessageFactory(user=alice, ticket=ticket)


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "reader",
    [
        lambda: AdminFactory(),
        lambda: UserFactory(is_staff=True, perms=["tickets.view_all_tickets", "mailgate.view_inboundmessage"]),
    ],
    ids=["superuser", "view_all_tickets"],
)
def test_superusers_and_auditors_read_the_record_and_change_nothing(record, reader):
    client = client_of(reader())

    listing = client.get(RECORDS)
    page = client.get(f"{RECORDS}{record.pk}/change/")

    assert listing.status_code == page.status_code == 200
    assert "Salary review of Bob" in listing.content.decode()
    assert "Salary review of Bob" in page.content.decode()
    assert client.get(f"{RECORDS}add/").status_code == 403
    assert client.post(f"{RECORDS}{record.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"{RECORDS}{record.pk}/change/", {"reason": "edited"}).status_code == 403
    record.refresh_from_db()
    assert record.reason == ""


def test_staff_with_every_mailgate_permission_but_not_view_all_tickets_sees_nothing(record):
    client = client_of(UserFactory(is_staff=True, perms=MAILGATE_PERMS))

    assert client.get(RECORDS).status_code == 403
    assert client.get(f"{RECORDS}{record.pk}/change/").status_code == 403
    assert "Inbound message" not in client.get("/admin/").content.decode()
