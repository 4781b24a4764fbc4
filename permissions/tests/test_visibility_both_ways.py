"""The visibility rule (SPEC §7) has two directions derived from one definition (permissions.selectors._sees): for every
user and ticket of a generated world, "the ticket is among the tickets the user may see" (visible_tickets, every read
path) and "the user is among the users who may see the ticket" (users_who_may_see, who may be told about it) agree."""

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from hypothesis import HealthCheck, given, settings

from approvals.tests.worlds import World, build, worlds
from permissions.selectors import users_who_may_see, visible_tickets

pytestmark = pytest.mark.django_db


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds())
def test_tickets_a_user_may_see_and_users_who_may_see_a_ticket_agree(world: World) -> None:
    with transaction.atomic():
        built = build(world)
        people = [User.objects.get(pk=user.pk) for user in built.users]
        by_user = {user.pk: set(visible_tickets(user).values_list("pk", flat=True)) for user in people}
        for ticket in built.tickets:
            may_see = set(users_who_may_see(ticket).values_list("pk", flat=True))
            for user in people:
                assert (ticket.pk in by_user[user.pk]) == (user.pk in may_see), (ticket, user)
        transaction.set_rollback(True)
