"""The rule's sub-select of grants and approver slots is compiled once per process (permissions.selectors._RELATED,
a ticketsite.compiled.CompiledQuery) with the user and the time as parameters: a later request of another user, or at
another moment, gets its own answer, not the first one's."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from approvals.tests.factories import ApprovalSlotFactory, DelegationFactory
from permissions.selectors import visible_ticket_count, visible_tickets
from permissions.tests.factories import GrantFactory
from tests.factories import UserFactory
from tickets.tests.factories import RestrictedTicketFactory

pytestmark = pytest.mark.django_db


def test_a_delegation_counts_only_inside_its_window_whenever_the_rule_was_compiled():
    start = timezone.now()
    boss, delegate = UserFactory(), UserFactory()
    DelegationFactory(delegator=boss, delegate=delegate, starts_at=start, ends_at=start + timedelta(hours=1))
    ticket = RestrictedTicketFactory()
    ApprovalSlotFactory(step__process__ticket=ticket, user=boss, role=None)
    seen: list[tuple[bool, int]] = []

    for moment in [start - timedelta(minutes=1), start + timedelta(minutes=30), start + timedelta(hours=2)]:
        with mock.patch("django.utils.timezone.now", return_value=moment):
            seen.append((visible_tickets(delegate).filter(pk=ticket.pk).exists(), visible_ticket_count(delegate)))

    assert seen == [(False, 0), (True, 1), (False, 0)]


def test_each_user_gets_their_own_grants():
    first, second = UserFactory(), UserFactory()
    mine, theirs = RestrictedTicketFactory(), RestrictedTicketFactory()
    GrantFactory(ticket=mine, user=first)
    GrantFactory(ticket=theirs, user=second)

    assert list(visible_tickets(first)) == [mine]
    assert list(visible_tickets(second)) == [theirs]
    assert (visible_ticket_count(first), visible_ticket_count(second)) == (1, 1)
