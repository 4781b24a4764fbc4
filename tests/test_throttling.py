"""Per-user request rates (ticketsite/throttling.py) and the submit limit of a ticket (withdraw/resubmit loops): past
the rate, 429 `throttled` in the error shape with `Retry-After`, nothing changed, other users unaffected."""

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import override_settings

from approvals.tests.factories import template_with
from tests.factories import RoleFactory, UserFactory
from tickets.models import Ticket, TicketStatus
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    yield
    cache.clear()


def api_rates(**rates):
    rest_framework = dict(settings.REST_FRAMEWORK)
    rest_framework["DEFAULT_THROTTLE_RATES"] = {**rest_framework["DEFAULT_THROTTLE_RATES"], **rates}
    return override_settings(REST_FRAMEWORK=rest_framework)


def assert_throttled(response):
    assert response.status_code == 429
    assert response.json()["type"] == "client_error"
    [error] = response.json()["errors"]
    assert (error["code"], error["attr"]) == ("throttled", None)
    assert int(response["Retry-After"]) > 0


@api_rates(api_write="2/min", api_read="100/min")
def test_writes_past_the_rate_are_429_for_that_user_only(client_for):
    writer, other = client_for(UserFactory()), client_for(UserFactory())
    for title in ["One", "Two"]:
        assert writer.post(TICKETS, {"title": title}).status_code == 201

    response = writer.post(TICKETS, {"title": "Three"})

    assert_throttled(response)
    assert sorted(Ticket.objects.values_list("title", flat=True)) == ["One", "Two"]
    assert writer.get(TICKETS).status_code == 200  # reads are counted apart
    assert other.post(TICKETS, {"title": "Someone else"}).status_code == 201


@api_rates(api_read="3/min", api_write="100/min")
def test_reads_past_the_rate_are_429_for_that_user_only(client_for):
    reader, other = client_for(UserFactory()), client_for(UserFactory())
    for _ in range(3):
        assert reader.get(TICKETS).status_code == 200

    assert_throttled(reader.get(TICKETS))
    assert reader.post(TICKETS, {"title": "Still allowed"}).status_code == 201
    assert other.get(TICKETS).status_code == 200


def test_every_operation_documents_429(openapi_schema):
    schema = openapi_schema

    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "429" not in operation["responses"]
    ]

    assert missing == []
    assert "ErrorResponse429" in schema["components"]["schemas"]


# --- submitting one ticket again and again ---------------------------------------------------------------------------


def submit(client, ticket):
    return client.post(f"{TICKETS}{ticket.pk}/transition/", {"status": "waiting_approval"})


def withdraw(client, ticket):
    return client.post(f"{TICKETS}{ticket.pk}/transition/", {"status": "draft"})


@override_settings(TICKET_SUBMIT_THROTTLE_RATE="2/hour")
def test_resubmitting_a_ticket_past_the_rate_is_429_and_mails_nobody(client_for, django_capture_on_commit_callbacks):
    approvers = RoleFactory()
    UserFactory.create_batch(3, roles=[approvers])
    ticket = TicketFactory(approval_template=template_with(("any", [approvers])))
    creator = client_for(ticket.created_by)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            assert submit(creator, ticket).status_code == 200
            assert withdraw(creator, ticket).status_code == 200
    assert len(mail.outbox) >= 6  # each submit mailed the whole role
    mailed = len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        response = submit(creator, ticket)

    assert_throttled(response)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.DRAFT
    assert ticket.approval_processes.count() == 2
    assert len(mail.outbox) == mailed
    # Another requester's ticket for the same role is not held back.
    other = TicketFactory(approval_template=ticket.approval_template)
    assert submit(client_for(other.created_by), other).status_code == 200
