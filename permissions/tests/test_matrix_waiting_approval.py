"""The authorization matrix for the decisions that only exist while a ticket waits for approval.

test_matrix.py tries every endpoint on an `open` ticket, where deciding a slot is a 409 for every viewer. Here the same
worlds (the same columns, an internal and a restricted ticket, the same planted markers) are put in
`waiting_approval`, so the approve and reject actions on the user slot and on the role slot, and the creator's
withdraw, give each column its own answer: 200 for the people who may fill the slot (the approver and their delegate;
a member of the role), 403 for other viewers, 404 for those who cannot see the ticket, 401 for anonymous. No refused
response, and nothing answered to a non-viewer, carries a marker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from approvals.models import ApprovalProcessStepApprover, SlotStatus
from permissions.tests.test_matrix import ACTORS, KINDS, World, body_of, build_world, client_as, hidden_markers
from tickets.models import Ticket, TicketStatus, TicketVisibility

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Decision:
    name: str
    path: str
    body: dict[str, Any]
    allowed: dict[str, int]  # the columns that succeed, with their answer; every other viewer gets `refused`
    refused: int = 403

    def expected(self, world: World, actor: str) -> int:
        if actor == "anonymous":
            return 401
        if not world.sees(actor):
            return 404
        return self.allowed.get(actor, self.refused)


SLOT_FILLERS = {"approver": 200, "delegate": 200}
ROLE_FILLERS = {"role_member": 200}
DECISIONS = [
    Decision("approve-user-slot", "approvals/{slot}/approve/", {"comment": "ok"}, SLOT_FILLERS),
    Decision("reject-user-slot", "approvals/{slot}/reject/", {"comment": "no"}, SLOT_FILLERS),
    Decision("approve-role-slot", "approvals/{role_slot}/approve/", {}, ROLE_FILLERS),
    Decision("reject-role-slot", "approvals/{role_slot}/reject/", {"comment": "no"}, ROLE_FILLERS),
    Decision("withdraw", "tickets/{ticket}/transition/", {"status": "draft"}, {"creator": 200}),
]


@pytest.fixture(scope="module")
def waiting_worlds(django_db_setup, django_db_blocker, tmp_path_factory):
    """The matrix worlds, their tickets waiting for approval, built once and rolled back at the end of the module."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")), django_db_blocker.unblock(), transaction.atomic():
        worlds = {kind: build_world(kind) for kind in KINDS}
        for world in worlds.values():
            Ticket.objects.filter(pk=world.ticket.pk).update(status=TicketStatus.WAITING_APPROVAL)
            world.ticket.refresh_from_db()
            slot = ApprovalProcessStepApprover.objects.select_related("step").get(pk=world.ids["slot"])
            world.ids["role_slot"] = ApprovalProcessStepApprover.objects.get(step=slot.step, role__isnull=False).pk
        yield worlds
        transaction.set_rollback(True)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("decision", DECISIONS, ids=lambda decision: decision.name)
def test_decisions_while_waiting_for_approval(decision, actor, kind, waiting_worlds, db, api_client, client_for):
    world = waiting_worlds[kind]
    expected = decision.expected(world, actor)
    slot_id = world.ids["role_slot" if "role" in decision.name else "slot"]

    client = client_as(world.actors[actor], api_client, client_for)
    response = client.post("/api/v1/" + decision.path.format(**world.ids), decision.body, format="json")

    text = body_of(response)
    assert response.status_code == expected, text
    for marker in hidden_markers(waiting_worlds, kind, actor):
        assert marker not in text
    slot = ApprovalProcessStepApprover.objects.get(pk=slot_id)
    if response.status_code >= 400:
        assert world.marker not in text
        assert response.json()["errors"], text
        assert slot.status == SlotStatus.PENDING
        assert Ticket.objects.get(pk=world.ticket.pk).status == TicketStatus.WAITING_APPROVAL
    elif decision.name != "withdraw":
        assert slot.acted_by == world.actors[actor]
        on_behalf_of = world.actors["approver"] if actor == "delegate" else None
        assert slot.on_behalf_of == on_behalf_of


@pytest.mark.parametrize("kind", KINDS)
def test_only_the_people_who_may_decide_see_the_slots_in_their_pending_list(kind, waiting_worlds, db, client_for):
    world = waiting_worlds[kind]
    expected = {
        "approver": {world.ids["slot"]},
        "delegate": {world.ids["slot"]},
        "role_member": {world.ids["role_slot"]},
    }

    for actor in ACTORS[1:]:
        response = client_for(world.actors[actor]).get("/api/v1/approvals/?mine=pending&page_size=100")
        assert response.status_code == 200
        mine = {row["id"] for row in response.json()["results"] if row["ticket"] == world.ticket.pk}
        assert mine == expected.get(actor, set()), actor
        if world.ticket.visibility == TicketVisibility.RESTRICTED and actor in ("unrelated", "revoked_grantee"):
            assert world.marker not in body_of(response)
