"""Leak hunt of service levels in the workspace: the compliance report, and the "At risk" queue with the SLA filters
and sorts, by each person who cannot see the hidden ticket, with that ticket at risk and both its targets breached and
answered this month. Nothing of it appears, and the report does not count it."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from sla.models import TicketClock
from tests.factories import UserFactory
from tests.test_leak_hunt import COLUMNS, KEY, TITLE, World, text_of
from tickets.models import SlaStatus, Ticket, TicketStatus
from workspace.tests.leak import hunt
from workspace.tests.test_sla_report import figures

pytestmark = pytest.mark.django_db

HUNTED: dict[str, dict[str, str]] = {"sla-compliance": {}}
REPORT = "/reports/service-levels/"


@pytest.fixture(scope="module")
def sla_world(world: World) -> World:
    """The hidden ticket open, at risk, both targets breached and answered now (so this month's report would count
    it), as the clock would have left it."""
    now = timezone.now()
    Ticket.objects.filter(pk=world.ticket.pk).update(
        status=TicketStatus.OPEN,
        sla_status=SlaStatus.BREACHED,
        first_response_due_at=now - timedelta(minutes=5),
        first_responded_at=now,
        resolution_due_at=now - timedelta(minutes=1),
        resolved_at=now,
    )
    TicketClock.objects.filter(ticket=world.ticket).update(response_used=77, response_breached=True, resolution_breached=True)
    world.ids["month"] = f"{now:%Y-%m}"  # type: ignore[assignment]
    return world


def month_of(world: World) -> str:
    return str(world.ids["month"])


def test_the_report_shows_nothing_of_the_hidden_ticket_to_anyone(sla_world):
    for params in [{}, {"month": month_of(sla_world)}, {"month": "not-a-month"}]:
        hunt(sla_world, "sla-compliance", {}, query=urlencode(params))


@pytest.mark.parametrize("column", COLUMNS)
def test_the_report_does_not_count_the_hidden_ticket(column, sla_world):
    client = Client()
    client.force_login(sla_world.people[column])

    response = client.get(REPORT, {"month": month_of(sla_world)})

    if column != "agent":  # the only column who works tickets; none holds view_all_tickets
        assert response.status_code == 403
        return
    policy = sla_world.ticket.sla_policy.name
    row = figures(response)[policy]
    assert (row["First response breached"], row["Resolution breached"]) == ("0", "0")
    assert row["Median time to first response"] == "no response"


SLA_QUERIES = [
    {},
    {"sla_status": SlaStatus.BREACHED},
    {"sla_status": [SlaStatus.WARNING, SlaStatus.BREACHED]},
    {"ordering": "resolution_due_at"},
    {"ordering": "-resolution_due_at"},
    {"ordering": "first_response_due_at"},
    {"ordering": "-first_response_due_at"},
]


@pytest.mark.parametrize("queue", ["at-risk", "all"])
def test_no_sla_filter_or_sort_shows_the_hidden_ticket(queue, sla_world):
    sla_world.ids["queue"] = queue  # type: ignore[assignment]  # a slug, not an id of the world
    later = (timezone.now() + timedelta(days=1)).isoformat()
    dues = [{"resolution_due_before": later}, {"first_response_due_before": later}]
    for params in [*SLA_QUERIES, *dues]:
        hunt(sla_world, "queue", {"queue": "queue"}, query=urlencode(params, doseq=True))


def test_the_hunt_would_see_the_ticket_where_it_is_visible(sla_world):
    """The control: someone who sees every ticket finds it at risk and counted in the report."""
    client = Client()
    client.force_login(UserFactory(perms=["tickets.view_all_tickets", "tickets.work_on_ticket"]))

    text = text_of(client.get("/queues/at-risk/", {"sla_status": "breached"}))
    row = figures(client.get(REPORT, {"month": month_of(sla_world)}))[sla_world.ticket.sla_policy.name]

    assert KEY in text and TITLE in text
    assert (row["First response breached"], row["Resolution breached"]) == ("1", "1")
