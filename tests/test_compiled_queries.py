"""Queries compiled once per process (ticketsite.compiled): each use gets its own id and the time of its call, whatever
the id and the time the template was compiled with; a query whose SQL or other parameters change with them is
refused instead of being served for the wrong row or moment."""

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from approvals.models import Delegation
from approvals.selectors import actionable_slots
from approvals.tests.factories import ApprovalSlotFactory, DelegationFactory
from permissions.selectors import users_who_may_see
from tests.factories import UserFactory
from tickets.models import TicketStatus
from tickets.tests.factories import RestrictedTicketFactory
from ticketsite.backends import user_with_permissions
from ticketsite.compiled import CompiledQuery

pytestmark = pytest.mark.django_db


def test_a_query_whose_sql_changes_with_the_id_is_refused():
    by_shape = CompiledQuery(lambda pk, at: User.objects.filter(pk=pk) if pk % 2 else User.objects.filter(username=pk))

    with pytest.raises(AssertionError, match="one SQL"):
        by_shape.sql_for(1)


def test_a_query_that_reads_the_clock_itself_is_refused():
    own_clock = CompiledQuery(lambda pk, at: Delegation.objects.filter(delegate_id=pk, ends_at__gt=timezone.now()))
    start = timezone.now()

    with (
        mock.patch("django.utils.timezone.now", side_effect=[start, start + timedelta(seconds=1)]),
        pytest.raises(AssertionError, match="other than the id and the moment"),
    ):
        own_clock.sql_for(1)


def test_each_caller_gets_their_own_user_and_permissions():
    agent = UserFactory(perms=["tickets.work_on_ticket"])
    requester = UserFactory()

    loaded = [user_with_permissions(agent.pk), user_with_permissions(requester.pk), user_with_permissions(10**9)]

    assert [user and user.username for user in loaded] == [agent.username, requester.username, None]
    assert [loaded[0].has_perm("tickets.work_on_ticket"), loaded[1].has_perm("tickets.work_on_ticket")] == [True, False]


def test_a_delegate_is_asked_and_sees_only_inside_the_delegation_window():
    start = timezone.now()
    boss, delegate = UserFactory(), UserFactory()
    DelegationFactory(delegator=boss, delegate=delegate, starts_at=start, ends_at=start + timedelta(hours=1))
    ticket = RestrictedTicketFactory(status=TicketStatus.WAITING_APPROVAL)
    slot = ApprovalSlotFactory(step__process__ticket=ticket, user=boss, role=None)
    seen: list[tuple[bool, bool]] = []

    for moment in [start - timedelta(minutes=1), start + timedelta(minutes=30), start + timedelta(hours=2)]:
        with mock.patch("django.utils.timezone.now", return_value=moment):
            may_see = users_who_may_see(ticket).filter(pk=delegate.pk).exists()
            seen.append((may_see, list(actionable_slots(delegate)) == [slot]))

    assert seen == [(False, False), (True, True), (False, False)]
