"""`?mine=pending` is served from approvals.selectors.pending_slots, without the visibility rule the other slot lists
apply: the same slots as before (the visible slots the caller may decide), with every other filter, ordering and page.

The reference is the former definition, visible_slots narrowed to actionable_slots: on generated worlds (every kind
of user, deleted tickets, cancelled processes, decided steps, delegations past, current and future) and through the
API with each filter combined."""

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from hypothesis import HealthCheck, given, settings

from approvals.selectors import actionable_slots, pending_slots, visible_slots
from approvals.tests.factories import DelegationFactory, template_with
from approvals.tests.worlds import World, build, worlds
from permissions.selectors import visible_tickets
from tests.factories import RoleFactory, UserFactory
from tickets.models import TicketVisibility

pytestmark = pytest.mark.django_db


def former_pending(user):
    """What `?mine=pending` listed before pending_slots: the visible slots, narrowed to those the user may decide."""
    return visible_slots(user).filter(pk__in=actionable_slots(user).values("pk"))


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds())
def test_pending_slots_are_the_visible_slots_one_may_decide(world: World) -> None:
    with transaction.atomic():
        built = build(world)
        for person in built.users:
            user = User.objects.get(pk=person.pk)
            pending = list(pending_slots(user).values_list("pk", flat=True))
            assert pending == sorted(set(actionable_slots(user).values_list("pk", flat=True))), user
            assert pending == list(former_pending(user).values_list("pk", flat=True)), user
            tickets = set(pending_slots(user).values_list("ticket_id", flat=True))
            assert tickets <= set(visible_tickets(user).values_list("id", flat=True)), user
        transaction.set_rollback(True)


def test_nobody_signed_in_or_inactive_has_pending_slots(flow):
    me = UserFactory()
    flow.submit(flow.ticket(template_with(("any", [me]))))
    assert pending_slots(me).exists()

    me.is_active = False
    assert not pending_slots(me).exists()
    assert not pending_slots(AnonymousUser()).exists()
    assert not pending_slots(None).exists()


@pytest.fixture
def desk(flow):
    """An approver with a role and a delegation in force, and slots of every kind: decidable directly, by role and as
    a delegate (some restricted, one in a two-step process), one decided, others not theirs."""
    managers = RoleFactory(name="managers")
    me, boss, stranger = UserFactory(roles=[managers]), UserFactory(), UserFactory()
    DelegationFactory(delegator=boss, delegate=me)
    restricted = {"visibility": TicketVisibility.RESTRICTED}
    tickets = [
        flow.submit(flow.ticket(template_with(("all", [me, managers]), ("any", [boss])), **restricted)),
        flow.submit(flow.ticket(template_with(("any", [boss])))),
        flow.submit(flow.ticket(template_with(("all", [managers, stranger])), **restricted)),
        flow.submit(flow.ticket(template_with(("all", [stranger])))),
        flow.submit(flow.ticket(template_with(("all", [me]), ("all", [managers])))),
    ]
    assert flow.approve(me, flow.slots(tickets[4], order=1)[0]).status_code == 200
    return User.objects.get(pk=me.pk), tickets


def listed(client, query: str) -> tuple[int, list[int]]:
    response = client.get(f"/api/v1/approvals/?mine=pending{query}")
    assert response.status_code == 200, response.json()
    body = response.json()
    return body["count"], [slot["id"] for slot in body["results"]]


def test_pending_combines_with_every_filter_ordering_and_page_as_before(desk, flow, client_for):
    me, tickets = desk
    client = client_for(me)
    slot = flow.slots(tickets[0], order=1)[0]
    cases = {
        "": {},
        "&status=pending": {"status": "pending"},
        "&status=approved": {"status": "approved"},
        f"&ticket={tickets[0].pk}": {"ticket_id": tickets[0].pk},
        f"&ticket={tickets[3].pk}": {"ticket_id": tickets[3].pk},
        f"&process={slot.process_id}": {"process_id": slot.process_id},
        f"&step={slot.step_id}": {"step_id": slot.step_id},
        f"&step={slot.step_id}&status=pending": {"step_id": slot.step_id, "status": "pending"},
    }
    for query, narrowing in cases.items():
        expected = list(former_pending(me).filter(**narrowing).values_list("pk", flat=True))
        assert listed(client, query) == (len(expected), expected), query

    everything = list(former_pending(me).values_list("pk", flat=True))
    assert len(everything) == 5  # direct and by role on the first ticket, as a delegate, by role, and the second step
    assert listed(client, "&ordering=-id") == (5, everything[::-1])
    assert listed(client, "&page_size=2&page=2") == (5, everything[2:4])
    assert listed(client, "&ordering=-id&page_size=2&page=3") == (5, everything[:1])
    assert client.get("/api/v1/approvals/?mine=pending&page=4&page_size=2").status_code == 404


def test_a_slot_one_may_not_decide_is_found_elsewhere_but_not_under_mine_pending(desk, flow, client_for):
    me, tickets = desk
    client = client_for(me)
    decided = flow.slots(tickets[4], order=1)[0]
    others = flow.slots(tickets[3])[0]  # an internal ticket: visible to me, but not mine to decide

    assert client.get(f"/api/v1/approvals/{decided.pk}/").status_code == 200
    assert client.get(f"/api/v1/approvals/{others.pk}/").status_code == 200
    assert client.get(f"/api/v1/approvals/{decided.pk}/?mine=pending").status_code == 404
    assert client.get(f"/api/v1/approvals/{others.pk}/?mine=pending").status_code == 404
    assert client.get("/api/v1/approvals/?mine=mine").status_code == 400
