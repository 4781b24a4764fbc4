"""The delegate of a ticket's creator (SPEC §6): "the delegate can act on any slot the delegator could", and the
creator could act on no slot of their own ticket, so the delegate cannot act *for the creator* either. They are not
asked to approve (no "approval requested"), refused (403) if they try, and see no pending slot; the other members of
the role are asked and may decide. Before the rule lived in one place, the notification fan-out asked them anyway."""

import pytest

from approvals.models import SlotStatus
from approvals.tests.factories import DelegationFactory, template_with
from tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

INBOX = "/api/v1/notifications/"


def approval_requests(client, ticket) -> list[dict]:
    response = client.get(INBOX)
    assert response.status_code == 200
    return [n for n in response.json()["results"] if n["event_type"] == "approval_requested" and n["ticket"] == ticket.pk]


def pending_ids(client) -> list[int]:
    response = client.get("/api/v1/approvals/?mine=pending")
    assert response.status_code == 200
    return [slot["id"] for slot in response.json()["results"]]


def test_the_creators_delegate_is_not_asked_to_approve_and_may_not_while_the_other_members_are_and_may(flow, client_for):
    managers = RoleFactory(name="managers")
    flow.creator.groups.add(managers)
    member, deputy = UserFactory(roles=[managers]), UserFactory()
    DelegationFactory(delegator=flow.creator, delegate=deputy)
    ticket = flow.submit(flow.ticket(template_with(("any", [managers]))))
    (slot,) = flow.slots(ticket)

    assert approval_requests(client_for(deputy), ticket) == []
    assert pending_ids(client_for(deputy)) == []
    response = flow.approve(deputy, slot)
    assert response.status_code == 403, response.json()
    slot.refresh_from_db()
    assert (slot.status, slot.acted_by) == (SlotStatus.PENDING, None)

    assert len(approval_requests(client_for(member), ticket)) == 1
    assert pending_ids(client_for(member)) == [slot.pk]
    response = flow.approve(member, slot)
    assert response.status_code == 200, response.json()
    assert (response.json()["acted_by"], response.json()["on_behalf_of"]) == (member.pk, None)
