"""The eligibility rule (SPEC §6) has two directions derived from one definition (approvals.selectors._routes): for every
user and slot of a generated world, "the slot is among the slots the user may act on now" (actionable_slots, the
`?mine=pending` list), "the user is among the users who may act on the slot" (users_who_may_act, who is asked to
approve, and its compiled form for a step's slots), the decision-time check (acting_route) and the route of each slot
of a page (acting_routes) agree."""

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from hypothesis import HealthCheck, given, settings

from approvals.models import ApprovalProcessStepApprover as Slot
from approvals.selectors import (
    acting_route,
    acting_routes,
    actionable_slots,
    users_who_may_act,
    users_who_may_act_on_step,
)
from approvals.tests.worlds import World, build, worlds

pytestmark = pytest.mark.django_db


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds())
def test_slots_a_user_may_act_on_and_users_who_may_act_on_a_slot_agree(world: World) -> None:
    with transaction.atomic():
        built = build(world)
        people = [User.objects.get(pk=user.pk) for user in built.users]
        by_user = {user.pk: set(actionable_slots(user).values_list("pk", flat=True)) for user in people}
        slots = Slot.objects.filter(pk__in=[slot.pk for slot in built.slots])
        routes = {user.pk: acting_routes(actor=user, slots=slots) for user in people}
        for slot in built.slots:
            may_act = set(users_who_may_act(Slot.objects.filter(pk=slot.pk)).values_list("pk", flat=True))
            for user in people:
                listed = slot.pk in by_user[user.pk]
                assert listed == (user.pk in may_act), (slot, user)
                route = acting_route(actor=user, slot=slot)
                assert listed == (route is not None), (slot, user)
                assert routes[user.pk].get(slot.pk) == route, (slot, user)
        for step_id in {slot.step_id for slot in built.slots}:
            on_step = set(users_who_may_act_on_step(step_id).values_list("pk", flat=True))
            assert on_step == {
                user.pk for user in people if by_user[user.pk] & {s.pk for s in built.slots if s.step_id == step_id}
            }
        transaction.set_rollback(True)
