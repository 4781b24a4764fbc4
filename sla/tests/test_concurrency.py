"""Races on PostgreSQL, with real threads (each its own connection) released by one barrier: ticks running at once
record each warning once (the ticket rows are locked, and a tick skips those another one holds)."""

from datetime import datetime
from unittest import mock

import pytest

from sla.services.clocks import sla_tick
from sla.tests.conftest import BERLIN
from sla.tests.factories import BusinessCalendarFactory, SlaPolicyFactory
from tests.concurrency import responses_at_once
from tests.factories import UserFactory
from tickets.models import EventType, TicketNote, TicketStatus
from tickets.services import tickets as ticket_services

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]


def test_ticks_running_at_once_record_each_warning_once():
    SlaPolicyFactory(calendar=BusinessCalendarFactory(is_default=True), first_response_minutes=None, resolution_minutes=60)
    requester = UserFactory()
    with mock.patch("django.utils.timezone.now", return_value=datetime(2026, 12, 7, 10, 0, tzinfo=BERLIN)):
        tickets = [ticket_services.ticket_create(actor=requester, title=f"Ticket {n}") for n in range(6)]
        for ticket in tickets:
            ticket_services.ticket_transition(ticket=ticket, actor=requester, to_status=TicketStatus.OPEN)
    warning_due = datetime(2026, 12, 7, 10, 50, tzinfo=BERLIN)

    looked_at = responses_at_once(*[lambda: sla_tick(now=warning_due, batch_size=2) for _ in range(3)])

    assert sum(looked_at) >= len(tickets)  # together they saw every ticket (one may see a ticket another just did)
    warnings = TicketNote.objects.filter(ticket__in=tickets, event_type=EventType.SLA_WARNING)
    assert sorted(warnings.values_list("ticket_id", flat=True)) == sorted(ticket.pk for ticket in tickets)
