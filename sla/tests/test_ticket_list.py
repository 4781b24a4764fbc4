"""The ticket list filters and sorts on the stored service-level figures (SPEC §15), on the caller's visible tickets
only, with a fixed number of queries."""

from datetime import datetime

import pytest
from django.contrib.auth.models import User

from sla.tests.conftest import BERLIN
from sla.tests.factories import BusinessCalendarFactory, SlaPolicyFactory
from tests.factories import UserFactory
from tickets.models import SlaStatus, TicketVisibility
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


@pytest.fixture
def tickets():
    """Four visible tickets with figures as the clock stores them, one without a service level, one hidden."""
    policy = SlaPolicyFactory(calendar=BusinessCalendarFactory())
    rows = {
        "soon": TicketFactory(sla_policy=policy, sla_status=SlaStatus.WARNING, resolution_due_at=at(2026, 12, 7, 11)),
        "late": TicketFactory(sla_policy=policy, sla_status=SlaStatus.BREACHED, resolution_due_at=at(2026, 12, 7, 9)),
        "later": TicketFactory(sla_policy=policy, sla_status=SlaStatus.OK, resolution_due_at=at(2026, 12, 8, 9)),
        "paused": TicketFactory(sla_policy=policy, sla_status=SlaStatus.PAUSED, resolution_due_at=None),
        "none": TicketFactory(),
        "hidden": TicketFactory(
            sla_policy=policy,
            sla_status=SlaStatus.BREACHED,
            resolution_due_at=at(2026, 12, 7, 8),
            visibility=TicketVisibility.RESTRICTED,
        ),
    }
    return {name: ticket.pk for name, ticket in rows.items()}


def listed(client, **params):
    response = client.get("/api/v1/tickets/", {**params, "page_size": 100})
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_filter_by_sla_status(desk, tickets):
    client = desk.api(UserFactory())

    assert listed(client, sla_status="breached") == [tickets["late"]]
    assert sorted(listed(client, sla_status=["breached", "warning"])) == sorted([tickets["late"], tickets["soon"]])
    assert client.get("/api/v1/tickets/", {"sla_status": "overdue"}).status_code == 400


def test_filter_by_resolution_due_before(desk, tickets):
    client = desk.api(UserFactory())

    found = listed(client, resolution_due_before=at(2026, 12, 7, 12).isoformat())

    assert sorted(found) == sorted([tickets["late"], tickets["soon"]])


def test_order_by_resolution_due_time_puts_tickets_without_one_last_either_way(desk, tickets):
    client = desk.api(UserFactory())
    without = {tickets["paused"], tickets["none"]}

    ascending = listed(client, ordering="resolution_due_at")
    descending = listed(client, ordering="-resolution_due_at")

    assert ascending[:3] == [tickets["late"], tickets["soon"], tickets["later"]]
    assert descending[:3] == [tickets["later"], tickets["soon"], tickets["late"]]
    assert set(ascending[3:]) == set(descending[3:]) == without


def test_the_sla_fields_are_in_the_ticket_and_cannot_be_written(desk, tickets):
    agent = UserFactory(perms=["tickets.work_on_ticket"])
    client = desk.api(User.objects.get(pk=agent.pk))

    refused = client.patch(f"/api/v1/tickets/{tickets['soon']}/", {"sla_status": "ok"}, format="json")
    shown = client.get(f"/api/v1/tickets/{tickets['soon']}/").json()

    assert refused.status_code == 400
    assert shown["sla_status"] == "warning"
    assert {"sla_policy", "first_response_due_at", "first_responded_at", "resolution_due_at", "sla_remaining_minutes"} <= set(
        shown
    )
