"""tickets/{id}/permissions/: list, grant to a user or a role, revoke; timeline events; who may do what."""

import pytest

from permissions.models import TicketViewPermission
from permissions.tests.factories import GrantFactory
from tests.factories import RoleFactory, UserFactory
from tickets.models import EventType, TicketNote
from tickets.tests.factories import RestrictedTicketFactory

pytestmark = pytest.mark.django_db


def url(ticket, grant=None) -> str:
    base = f"/api/v1/tickets/{ticket.pk}/permissions/"
    return f"{base}{grant.pk}/" if grant else base


@pytest.fixture
def ticket():
    return RestrictedTicketFactory(assignee=UserFactory())


def events(ticket, event_type):
    return list(TicketNote.objects.filter(ticket=ticket, event_type=event_type).order_by("id"))


@pytest.mark.parametrize("who", ["creator", "assignee", "manager"])
def test_grant_managers_grant_a_user_and_the_grantee_then_sees_the_ticket(client_for, ticket, who):
    grantee = UserFactory()
    manager = UserFactory(perms=["permissions.manage_ticket_permissions", "tickets.view_all_tickets"])
    actor = {"creator": ticket.created_by, "assignee": ticket.assignee, "manager": manager}[who]

    response = client_for(actor).post(url(ticket), {"user": grantee.pk}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["user"] == grantee.pk and body["role"] is None
    assert body["created_by"] == actor.pk and body["ticket"] == ticket.pk
    assert {"id", "user", "role", "created_by", "created_at"} <= body.keys()
    [event] = events(ticket, EventType.PERMISSION_GRANTED)
    assert event.created_by == actor
    assert event.event_details == {"grant": body["id"], "user": grantee.pk, "role": None}
    assert client_for(grantee).get(url(ticket)).status_code == 200


def test_grant_to_a_role(client_for, ticket):
    role = RoleFactory()
    response = client_for(ticket.created_by).post(url(ticket), {"role": role.pk}, format="json")
    assert response.status_code == 201
    assert response.json()["role"] == role.pk and response.json()["user"] is None
    assert client_for(UserFactory(roles=[role])).get(url(ticket)).status_code == 200


@pytest.mark.parametrize(
    "payload",
    [{}, {"user": None, "role": None}, "both", {"user": 999999}, {"role": 999999}, {"user": "x"}],
)
def test_grant_needs_exactly_one_existing_user_or_role(client_for, ticket, payload):
    if payload == "both":
        payload = {"user": UserFactory().pk, "role": RoleFactory().pk}
    response = client_for(ticket.created_by).post(url(ticket), payload, format="json")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert not TicketViewPermission.objects.exists()


def test_grant_to_inactive_user_is_400(client_for, ticket):
    response = client_for(ticket.created_by).post(url(ticket), {"user": UserFactory(is_active=False).pk}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "user"


def test_duplicate_grant_is_409_and_writes_nothing(client_for, ticket):
    grant = GrantFactory(ticket=ticket)
    response = client_for(ticket.created_by).post(url(ticket), {"user": grant.user_id}, format="json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "grant_exists"
    assert TicketViewPermission.objects.count() == 1
    assert not events(ticket, EventType.PERMISSION_GRANTED)


def test_grant_again_after_revocation_is_allowed(client_for, ticket):
    grant = GrantFactory(ticket=ticket)
    grant.soft_delete(actor=None)
    response = client_for(ticket.created_by).post(url(ticket), {"user": grant.user_id}, format="json")
    assert response.status_code == 201


def test_viewer_who_does_not_manage_may_list_but_not_grant_or_revoke(client_for, ticket):
    grant = GrantFactory(ticket=ticket)
    grantee = grant.user
    client = client_for(grantee)

    assert client.get(url(ticket)).json()["count"] == 1
    assert client.get(url(ticket, grant)).status_code == 200
    assert client.post(url(ticket), {"user": UserFactory().pk}, format="json").status_code == 403
    assert client.delete(url(ticket, grant)).status_code == 403
    assert TicketViewPermission.objects.count() == 1


def test_manage_permission_without_visibility_is_404(client_for, ticket):
    manager = UserFactory(perms=["permissions.manage_ticket_permissions"])
    client = client_for(manager)
    assert client.get(url(ticket)).status_code == 404
    assert client.post(url(ticket), {"user": manager.pk}, format="json").status_code == 404


def test_unrelated_user_gets_404_everywhere_and_anonymous_401(client_for, api_client, ticket):
    grant = GrantFactory(ticket=ticket)
    stranger = client_for(UserFactory())
    for response in [
        stranger.get(url(ticket)),
        stranger.get(url(ticket, grant)),
        stranger.post(url(ticket), {"user": UserFactory().pk}, format="json"),
        stranger.delete(url(ticket, grant)),
    ]:
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "not_found"
    assert api_client.get(url(ticket)).status_code == 401


def test_revoke_soft_deletes_writes_event_and_hides_the_ticket_at_once(client_for, ticket):
    grant = GrantFactory(ticket=ticket)
    grantee = grant.user
    assert client_for(grantee).get(url(ticket)).status_code == 200

    response = client_for(ticket.assignee).delete(url(ticket, grant))

    assert response.status_code == 204
    grant.refresh_from_db()
    assert grant.is_deleted and grant.deleted_by == ticket.assignee
    [event] = events(ticket, EventType.PERMISSION_REVOKED)
    assert event.event_details == {"grant": grant.pk, "user": grantee.pk, "role": None}
    assert event.created_by == ticket.assignee
    assert client_for(grantee).get(url(ticket)).status_code == 404
    # Revoked grants are gone from the list; revoking again is "not found".
    assert client_for(ticket.created_by).get(url(ticket)).json()["count"] == 0
    assert client_for(ticket.created_by).delete(url(ticket, grant)).status_code == 404


def test_grant_of_another_ticket_is_not_found_under_this_ticket(client_for, ticket):
    other = GrantFactory(ticket=RestrictedTicketFactory(created_by=ticket.created_by))
    assert client_for(ticket.created_by).delete(url(ticket, other)).status_code == 404
    assert TicketViewPermission.objects.filter(pk=other.pk).exists()


def test_deleted_ticket_is_404(client_for, ticket):
    ticket.soft_delete(actor=None)
    assert client_for(ticket.created_by).get(url(ticket)).status_code == 404


def test_malformed_ids_are_404(client_for, ticket):
    client = client_for(ticket.created_by)
    assert client.get("/api/v1/tickets/abc/permissions/").status_code == 404
    assert client.get(f"/api/v1/tickets/{10**30}/permissions/").status_code == 404
    assert client.delete(f"/api/v1/tickets/{ticket.pk}/permissions/{10**30}/").status_code == 404


@pytest.mark.parametrize("rows", [3, 6])
def test_grant_list_query_count_is_constant(client_for, django_assert_num_queries, ticket, rows):
    role = RoleFactory()
    GrantFactory.create_batch(rows, ticket=ticket)
    GrantFactory(ticket=ticket, user=None, role=role)
    client = client_for(ticket.created_by)
    # auth perms (one statement), ticket lookup, count, page
    with django_assert_num_queries(4):
        response = client.get(url(ticket))
    assert response.json()["count"] == rows + 1
