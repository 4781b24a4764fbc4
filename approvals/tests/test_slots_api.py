"""The slot list, `?mine=pending`, and a ticket's approvals view: visibility, exactness, constant query counts."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.models import ApprovalProcessStepApprover
from approvals.selectors import acting_route, actionable_slots
from approvals.tests.factories import DelegationFactory, template_with
from tests.factories import RoleFactory, UserFactory
from tickets.models import TicketVisibility

pytestmark = pytest.mark.django_db


def pending_ids(client):
    response = client.get("/api/v1/approvals/?mine=pending")
    assert response.status_code == 200
    return sorted(slot["id"] for slot in response.json()["results"])


def test_pending_lists_exactly_what_the_caller_may_act_on(flow, client_for):
    managers = RoleFactory(name="managers")
    me, boss, stranger, old_boss, chain = (
        UserFactory(roles=[managers]),
        UserFactory(),
        UserFactory(),
        UserFactory(),
        UserFactory(),
    )
    DelegationFactory(delegator=boss, delegate=me)
    DelegationFactory(delegator=chain, delegate=boss)  # boss's own delegations do not reach me
    now = timezone.now()
    DelegationFactory(delegator=old_boss, delegate=me, starts_at=now - timedelta(days=5), ends_at=now - timedelta(days=1))

    direct = flow.submit(flow.ticket(template_with(("any", [me]))))
    by_role = flow.submit(flow.ticket(template_with(("all", [managers]))))
    delegated = flow.submit(flow.ticket(template_with(("all", [boss]))))
    chained = flow.submit(flow.ticket(template_with(("all", [chain]))))
    expired = flow.submit(flow.ticket(template_with(("all", [old_boss]))))
    later_step = flow.submit(flow.ticket(template_with(("all", [stranger]), ("all", [me]))))
    done = flow.submit(flow.ticket(template_with(("all", [me]), ("all", [stranger]))))
    flow.approve(me, flow.slots(done, order=1)[0])
    not_mine = flow.submit(flow.ticket(template_with(("all", [stranger]))))
    assert chained and expired and later_step and not_mine

    expected = sorted(flow.slots(direct)[0].pk for direct in (direct, by_role, delegated))
    assert pending_ids(client_for(me)) == expected

    # The SQL list and the decision-time check say the same for every slot.
    for slot in ApprovalProcessStepApprover.objects.all():
        may_act = acting_route(actor=me, slot=slot) is not None
        assert may_act == actionable_slots(me).filter(pk=slot.pk).exists(), slot


def test_pending_excludes_the_creators_own_tickets_and_steps_already_decided(flow, client_for):
    managers = RoleFactory(name="managers")
    flow.creator.groups.add(managers)
    alice = UserFactory(roles=[managers])
    ticket = flow.submit(flow.ticket(template_with(("all", [alice, managers]))))
    alice_slot, role_slot = flow.slots(ticket)

    assert pending_ids(client_for(flow.creator)) == []
    assert pending_ids(client_for(alice)) == [alice_slot.pk, role_slot.pk]
    flow.approve(alice, alice_slot)
    assert pending_ids(client_for(alice)) == []  # one person, one slot per step


def test_mine_rejects_unknown_values(client_for):
    response = client_for(UserFactory()).get("/api/v1/approvals/?mine=everything")
    assert response.status_code == 400


def test_slot_list_hides_slots_of_invisible_tickets(flow, client_for):
    alice, outsider = UserFactory(), UserFactory()
    restricted = flow.submit(flow.ticket(template_with(("any", [alice])), visibility=TicketVisibility.RESTRICTED))
    internal = flow.submit(flow.ticket(template_with(("any", [alice]))))
    (hidden,) = flow.slots(restricted)

    ids = [slot["id"] for slot in client_for(outsider).get("/api/v1/approvals/").json()["results"]]

    assert ids == [flow.slots(internal)[0].pk]
    assert client_for(outsider).get(f"/api/v1/approvals/{hidden.pk}/").status_code == 404
    assert flow.approve(outsider, hidden).status_code == 404
    assert client_for(alice).get(f"/api/v1/approvals/{hidden.pk}/").status_code == 200


def test_approver_of_a_later_step_sees_a_restricted_ticket(flow, client_for):
    alice, bob = UserFactory(), UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("all", [alice]), ("all", [bob])), visibility=TicketVisibility.RESTRICTED))
    flow.approve(alice, flow.slots(ticket, order=1)[0])

    assert client_for(bob).get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200
    assert pending_ids(client_for(bob)) == [flow.slots(ticket, order=2)[0].pk]


def test_ticket_approvals_view_shape_and_404(flow, client_for):
    alice, outsider = UserFactory(), UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("all", [alice]), ("any", [alice])), visibility=TicketVisibility.RESTRICTED))

    response = client_for(alice).get(f"/api/v1/tickets/{ticket.pk}/approvals/")

    assert response.status_code == 200
    (process,) = response.json()["results"]
    assert process["status"] == "running"
    assert [(s["order"], s["status"], s["approval_type"]) for s in process["steps"]] == [
        (1, "active", "all"),
        (2, "waiting", "any"),
    ]
    slot = process["steps"][0]["approvers"][0]
    assert {"id", "ticket", "process", "step", "step_name", "user", "role", "status", "acted_by", "on_behalf_of"} <= set(slot)
    assert client_for(outsider).get(f"/api/v1/tickets/{ticket.pk}/approvals/").status_code == 404
    assert client_for(alice).get("/api/v1/tickets/999999999/approvals/").status_code == 404
    assert client_for(alice).get("/api/v1/tickets/abc/approvals/").status_code == 404


def _count_queries(client_for, user, url):
    client = client_for(User.objects.get(pk=user.pk))  # a fresh user object, as in a real request: no warm caches
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), response.json()


@pytest.mark.parametrize("url", ["/api/v1/approvals/?mine=pending", "/api/v1/approvals/"])
def test_slot_lists_run_a_constant_number_of_queries(flow, client_for, url):
    managers = RoleFactory(name="managers")
    me, boss = UserFactory(roles=[managers]), UserFactory()
    DelegationFactory(delegator=boss, delegate=me)

    def add(n):
        for _ in range(n):
            flow.submit(
                flow.ticket(template_with(("all", [me, managers]), ("any", [boss])), visibility=TicketVisibility.RESTRICTED)
            )
            flow.submit(flow.ticket(template_with(("any", [boss]))))

    add(2)
    small, body_small = _count_queries(client_for, me, url)
    add(2)
    large, body_large = _count_queries(client_for, me, url)
    assert body_large["count"] == 2 * body_small["count"] > 0
    assert small == large


def test_ticket_approvals_view_runs_a_constant_number_of_queries(flow, client_for):
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    ticket = flow.ticket(template_with(("all", [alice, bob]), ("any", [carol, bob])))

    def cycle(n):
        for _ in range(n):
            flow.submit(ticket)
            flow.reject(alice, flow.slots(ticket)[0])
            flow.transition(ticket, "draft")

    cycle(2)
    small, body_small = _count_queries(client_for, alice, f"/api/v1/tickets/{ticket.pk}/approvals/")
    cycle(2)
    large, body_large = _count_queries(client_for, alice, f"/api/v1/tickets/{ticket.pk}/approvals/")
    assert (body_small["count"], body_large["count"]) == (2, 4)
    assert small == large
