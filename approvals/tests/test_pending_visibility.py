"""`?mine=pending` carries no visibility filter of its own: whoever may decide a slot can see its ticket (SPEC §7).

approvals.selectors.actionable_slots and the list's pending_slots rely on it (re-checking it made PostgreSQL evaluate
the visibility rule over the whole tickets table on every request); these tests hold the two rules to each other on
restricted tickets (test_pending_list.py on generated worlds).
"""

import pytest
from django.contrib.auth.models import User

from approvals.selectors import actionable_slots
from approvals.tests.factories import DelegationFactory, template_with
from permissions.selectors import visible_tickets
from tests.factories import RoleFactory, UserFactory
from tickets.models import Ticket, TicketVisibility

pytestmark = pytest.mark.django_db

RESTRICTED = {"visibility": TicketVisibility.RESTRICTED}


def pending_ticket_ids(client) -> set[int]:
    response = client.get("/api/v1/approvals/?mine=pending")
    assert response.status_code == 200
    return {slot["ticket"] for slot in response.json()["results"]}


def test_every_slot_one_may_decide_is_on_a_ticket_one_can_see(flow, client_for):
    managers, boss_role = RoleFactory(name="managers"), RoleFactory(name="bosses")
    me, boss, role_boss, stranger = UserFactory(roles=[managers]), UserFactory(), UserFactory(roles=[boss_role]), UserFactory()
    DelegationFactory(delegator=boss, delegate=me)
    DelegationFactory(delegator=role_boss, delegate=me)

    direct = flow.submit(flow.ticket(template_with(("any", [me])), **RESTRICTED))
    by_role = flow.submit(flow.ticket(template_with(("all", [managers])), **RESTRICTED))
    for_a_user = flow.submit(flow.ticket(template_with(("all", [boss])), **RESTRICTED))
    for_a_role = flow.submit(flow.ticket(template_with(("all", [boss_role])), **RESTRICTED))
    not_mine = flow.submit(flow.ticket(template_with(("all", [stranger])), **RESTRICTED))

    me = User.objects.get(pk=me.pk)
    decidable = set(actionable_slots(me).values_list("ticket_id", flat=True))
    assert decidable == {direct.pk, by_role.pk, for_a_user.pk, for_a_role.pk}
    assert decidable <= set(visible_tickets(me).values_list("id", flat=True))
    assert not_mine.pk not in set(visible_tickets(me).values_list("id", flat=True))
    assert pending_ticket_ids(client_for(me)) == decidable


def test_an_inactive_delegator_takes_the_slot_and_the_ticket_away_together(flow, client_for):
    boss, me = UserFactory(), UserFactory()
    DelegationFactory(delegator=boss, delegate=me)
    ticket = flow.submit(flow.ticket(template_with(("all", [boss])), **RESTRICTED))
    assert pending_ticket_ids(client_for(me)) == {ticket.pk}

    boss.is_active = False  # a delegation lends nothing once its delegator is inactive
    boss.save(update_fields=["is_active"])

    assert pending_ticket_ids(client_for(User.objects.get(pk=me.pk))) == set()
    assert not visible_tickets(me).filter(pk=ticket.pk).exists()


def test_a_deleted_ticket_lists_no_slot_even_if_its_process_were_left_running(flow, client_for):
    me = UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("any", [me]))))
    assert pending_ticket_ids(client_for(me)) == {ticket.pk}

    # The delete service cancels the process; this guards the selector itself, the last line of defence.
    Ticket.all_objects.filter(pk=ticket.pk).update(is_deleted=True)

    assert pending_ticket_ids(client_for(me)) == set()
    assert not actionable_slots(me).exists()


def pending_count_queries(client, django_assert_num_queries) -> int:
    # Who lends the caller their rights now, the ids of the slots they may decide, the page's count and the page. No
    # query for the caller's permissions: the list does not build the visibility rule, so it never asks whether they
    # may see every ticket.
    with django_assert_num_queries(4):
        response = client.get("/api/v1/approvals/?mine=pending")
    return response.json()["count"]


def test_pending_runs_four_queries(flow, client_for, django_assert_num_queries):
    managers = RoleFactory(name="managers")
    me = UserFactory(roles=[managers])
    for _ in range(3):
        flow.submit(flow.ticket(template_with(("all", [managers])), **RESTRICTED))
    client = client_for(User.objects.get(pk=me.pk))  # a fresh user object, as in a real request

    assert pending_count_queries(client, django_assert_num_queries) == 3


def test_pending_runs_four_queries_for_a_delegate_too(flow, client_for, django_assert_num_queries):
    managers, boss_role = RoleFactory(name="managers"), RoleFactory(name="bosses")
    me, boss, role_boss = UserFactory(roles=[managers]), UserFactory(), UserFactory(roles=[boss_role])
    DelegationFactory(delegator=boss, delegate=me)
    DelegationFactory(delegator=role_boss, delegate=me)
    for approvers in ([me], [managers], [boss], [boss_role]):
        flow.submit(flow.ticket(template_with(("all", approvers)), **RESTRICTED))
    client = client_for(User.objects.get(pk=me.pk))

    assert pending_count_queries(client, django_assert_num_queries) == 4
