"""The ticket list runs the same number of queries at N and 2N tickets when the caller reaches restricted tickets by
every route of the visibility rule at once: a user grant, a role grant, a user slot, a role slot, a delegator's user
slot and a delegator's role slot (test_queries.py covers user grants and role slots)."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.tests.factories import ApprovalSlotFactory, DelegationFactory
from permissions.tests.factories import GrantFactory
from tests.factories import RoleFactory, UserFactory
from tickets.tests.factories import CategoryFactory, LabelFactory, RestrictedTicketFactory, TicketFactory

pytestmark = pytest.mark.django_db

ROUTES = 6


def add_tickets(n: int, *, user: User, role: Any, boss: User, boss_role: Any) -> None:
    """n tickets per route, with categories and labels (the list serialises both), plus n internal and n hidden."""
    category, label = CategoryFactory(), LabelFactory()

    def restricted() -> Any:
        return RestrictedTicketFactory(categories=[category], labels=[label])

    for _ in range(n):
        GrantFactory(ticket=restricted(), user=user)
        GrantFactory(ticket=restricted(), user=None, role=role)
        ApprovalSlotFactory(step__process__ticket=restricted(), user=user)
        ApprovalSlotFactory(step__process__ticket=restricted(), user=None, role=role)
        ApprovalSlotFactory(step__process__ticket=restricted(), user=boss)
        ApprovalSlotFactory(step__process__ticket=restricted(), user=None, role=boss_role)
        TicketFactory(categories=[category], labels=[label])
        RestrictedTicketFactory()


def measure(client_for: Any, user: User) -> tuple[int, int]:
    client = client_for(User.objects.get(pk=user.pk))  # a fresh user object: no permission cache carried over
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/tickets/?page_size=100")
    assert response.status_code == 200
    return len(queries), response.json()["count"]


def test_ticket_list_queries_do_not_grow_with_tickets_reached_by_every_route(client_for):
    role, boss_role = RoleFactory(), RoleFactory()
    user = UserFactory(roles=[role])
    boss = UserFactory(roles=[boss_role])
    DelegationFactory(delegator=boss, delegate=user)
    world = {"user": user, "role": role, "boss": boss, "boss_role": boss_role}

    add_tickets(3, **world)
    small, small_count = measure(client_for, user)
    add_tickets(3, **world)
    large, large_count = measure(client_for, user)

    assert (small_count, large_count) == (3 * (ROUTES + 1), 6 * (ROUTES + 1))
    assert small == large, (small, large)
