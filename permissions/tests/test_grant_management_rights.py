"""Who manages a ticket's grants, for both verbs (grant, revoke) and both kinds of grant (user, role), and the timeline
event each change leaves (SPEC §7): the creator, the assignee (the current one), and holders of
`permissions.manage_ticket_permissions` who can see the ticket, by whatever route they see it."""

from typing import Any

import pytest
from django.contrib.auth.models import Permission

from approvals.tests.factories import ApprovalSlotFactory
from permissions.models import TicketViewPermission
from permissions.tests.factories import GrantFactory
from tests.factories import RoleFactory, UserFactory
from tickets.models import EventType, TicketNote, TicketVisibility
from tickets.tests.factories import RestrictedTicketFactory, TicketFactory

pytestmark = pytest.mark.django_db

MANAGE = "permissions.manage_ticket_permissions"


def url(ticket: Any, grant: Any = None) -> str:
    base = f"/api/v1/tickets/{ticket.pk}/permissions/"
    return f"{base}{grant.pk}/" if grant else base


def manager_through_a_role_permission_and_a_role_grant(ticket: Any) -> Any:
    """The permission comes from a role, and the ticket is seen through a grant to another role."""
    managers = RoleFactory()
    managers.permissions.add(
        Permission.objects.get(content_type__app_label="permissions", codename="manage_ticket_permissions")
    )
    readers = RoleFactory()
    GrantFactory(ticket=ticket, user=None, role=readers)
    return UserFactory(roles=[managers, readers])


MANAGERS = {
    "creator": lambda ticket: ticket.created_by,
    "assignee": lambda ticket: ticket.assignee,
    "manager_with_view_all": lambda ticket: UserFactory(perms=[MANAGE, "tickets.view_all_tickets"]),
    "manager_with_a_user_grant": lambda ticket: GrantFactory(ticket=ticket, user=UserFactory(perms=[MANAGE])).user,
    "manager_approving_the_ticket": lambda ticket: (
        ApprovalSlotFactory(step__process__ticket=ticket, user=UserFactory(perms=[MANAGE])).user
    ),
    "manager_through_roles": manager_through_a_role_permission_and_a_role_grant,
}


@pytest.fixture
def ticket() -> Any:
    return RestrictedTicketFactory(assignee=UserFactory())


def events(ticket: Any, event_type: str) -> list[TicketNote]:
    return list(TicketNote.objects.filter(ticket=ticket, event_type=event_type).order_by("id"))


@pytest.mark.parametrize("who", MANAGERS)
@pytest.mark.parametrize("kind", ["user", "role"])
def test_every_kind_of_manager_grants_and_revokes_and_each_change_is_a_timeline_event(client_for, ticket, who, kind):
    actor = MANAGERS[who](ticket)
    client = client_for(actor)
    target = UserFactory() if kind == "user" else RoleFactory()

    granted = client.post(url(ticket), {kind: target.pk}, format="json")

    assert granted.status_code == 201, granted.json()
    grant = TicketViewPermission.objects.get(pk=granted.json()["id"])
    assert getattr(grant, kind) == target and grant.created_by == actor
    expected_details = {"grant": grant.pk, "user": None, "role": None, kind: target.pk}
    [granted_event] = events(ticket, EventType.PERMISSION_GRANTED)
    assert (granted_event.created_by, granted_event.event_details) == (actor, expected_details)

    revoked = client.delete(url(ticket, grant))

    assert revoked.status_code == 204
    grant.refresh_from_db()
    assert grant.is_deleted and grant.deleted_by == actor
    [revoked_event] = events(ticket, EventType.PERMISSION_REVOKED)
    assert (revoked_event.created_by, revoked_event.event_details) == (actor, expected_details)
    # Both events are on the ticket's timeline for whoever sees it.
    timeline = client_for(ticket.created_by).get(f"/api/v1/tickets/{ticket.pk}/timeline/?page_size=100").json()["results"]
    assert {EventType.PERMISSION_GRANTED, EventType.PERMISSION_REVOKED} <= {entry["event_type"] for entry in timeline}


REFUSED = {
    "user_grantee": (lambda ticket: GrantFactory(ticket=ticket).user, 403),
    "role_grantee": (lambda ticket: UserFactory(roles=[GrantFactory(ticket=ticket, user=None, role=RoleFactory()).role]), 403),
    "approver": (lambda ticket: ApprovalSlotFactory(step__process__ticket=ticket).user, 403),
    "view_all_without_manage": (lambda ticket: UserFactory(perms=["tickets.view_all_tickets"]), 403),
    "manager_who_cannot_see": (lambda ticket: UserFactory(perms=[MANAGE]), 404),
    "unrelated": (lambda ticket: UserFactory(), 404),
}


@pytest.mark.parametrize("who", REFUSED)
def test_others_neither_grant_nor_revoke_and_leave_no_event(client_for, ticket, who):
    make, code = REFUSED[who]
    client = client_for(make(ticket))
    existing = GrantFactory(ticket=ticket)
    before = TicketViewPermission.objects.count()

    responses = [client.post(url(ticket), {"user": UserFactory().pk}, format="json"), client.delete(url(ticket, existing))]

    assert [response.status_code for response in responses] == [code, code]
    assert TicketViewPermission.objects.count() == before
    existing.refresh_from_db()
    assert not existing.is_deleted
    assert not events(ticket, EventType.PERMISSION_GRANTED) and not events(ticket, EventType.PERMISSION_REVOKED)


@pytest.mark.parametrize(("visibility", "code"), [(TicketVisibility.RESTRICTED, 404), (TicketVisibility.INTERNAL, 403)])
def test_a_former_assignee_stops_managing_at_once(client_for, visibility, code):
    """The assignee hands the ticket on; from the next request on, the new one manages and the old one does not."""
    old, new = UserFactory(), UserFactory()
    ticket = TicketFactory(visibility=visibility, assignee=old, status="open")
    assert client_for(old).post(url(ticket), {"user": UserFactory().pk}, format="json").status_code == 201

    reassigned = client_for(old).patch(f"/api/v1/tickets/{ticket.pk}/", {"assignee": new.pk}, format="json")
    assert reassigned.status_code == 200, reassigned.json()

    assert client_for(old).post(url(ticket), {"user": UserFactory().pk}, format="json").status_code == code
    assert client_for(new).post(url(ticket), {"user": UserFactory().pk}, format="json").status_code == 201
    assert len(events(ticket, EventType.PERMISSION_GRANTED)) == 2


def test_a_role_grant_reaches_members_who_join_later_and_leaves_with_them(client_for, ticket):
    role = RoleFactory()
    assert client_for(ticket.created_by).post(url(ticket), {"role": role.pk}, format="json").status_code == 201
    newcomer = UserFactory()
    detail = f"/api/v1/tickets/{ticket.pk}/"
    assert client_for(newcomer).get(detail).status_code == 404

    newcomer.groups.add(role)
    assert client_for(newcomer).get(detail).status_code == 200

    newcomer.groups.remove(role)
    assert client_for(newcomer).get(detail).status_code == 404
