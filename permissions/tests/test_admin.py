"""The back office for grants and access requests: same services, same rules, same timeline events as the API."""

import pytest
from django.test import Client

from permissions.admin import ADMIN_DENY_COMMENT
from permissions.models import AccessRequest, AccessRequestStatus, TicketViewPermission
from permissions.tests.factories import AccessRequestFactory, GrantFactory
from tests.factories import AdminFactory, UserFactory
from tickets.models import EventType, TicketNote
from tickets.tests.factories import RestrictedTicketFactory

pytestmark = pytest.mark.django_db

MARKER = "ADMIN-SECRET-TITLE-71c3"
GRANTS = "/admin/permissions/ticketviewpermission/"
REQUESTS = "/admin/permissions/accessrequest/"


@pytest.fixture
def admin_client_() -> Client:
    client = Client()
    client.force_login(AdminFactory())
    return client


@pytest.fixture
def ticket():
    return RestrictedTicketFactory(title=f"Title {MARKER}")


def staff_client(*perms: str) -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, perms=list(perms)))
    return client


def events(ticket, event_type) -> int:
    return TicketNote.objects.filter(ticket=ticket, event_type=event_type).count()


def test_add_grant_goes_through_the_service(admin_client_, ticket):
    grantee = UserFactory()
    response = admin_client_.post(f"{GRANTS}add/", {"ticket": ticket.pk, "user": grantee.pk, "role": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    grant = TicketViewPermission.objects.get(ticket=ticket, user=grantee)
    assert grant.created_by.is_superuser
    assert events(ticket, EventType.PERMISSION_GRANTED) == 1


def test_duplicate_grant_is_a_form_error(admin_client_, ticket):
    grant = GrantFactory(ticket=ticket)
    response = admin_client_.post(f"{GRANTS}add/", {"ticket": ticket.pk, "user": grant.user_id, "role": ""})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert TicketViewPermission.objects.count() == 1


def test_staff_cannot_grant_on_a_ticket_they_cannot_see(ticket):
    client = staff_client("permissions.add_ticketviewpermission", "permissions.view_ticketviewpermission")
    response = client.post(f"{GRANTS}add/", {"ticket": ticket.pk, "user": UserFactory().pk, "role": ""})
    assert response.status_code == 200
    assert "ticket" in response.context["adminform"].form.errors
    assert not TicketViewPermission.objects.exists()


def test_staff_with_admin_perms_but_without_grant_rights_gets_a_form_error(ticket):
    client = staff_client(
        "permissions.add_ticketviewpermission", "permissions.view_ticketviewpermission", "tickets.view_all_tickets"
    )
    response = client.post(f"{GRANTS}add/", {"ticket": ticket.pk, "user": UserFactory().pk, "role": ""})
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert not TicketViewPermission.objects.exists()


def test_delete_revokes_and_restore_grants_again(admin_client_, ticket):
    grant = GrantFactory(ticket=ticket)
    response = admin_client_.post(f"{GRANTS}{grant.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.is_deleted
    assert events(ticket, EventType.PERMISSION_REVOKED) == 1

    response = admin_client_.post(
        f"{GRANTS}?deleted=yes", {"action": "restore_selected", "_selected_action": [grant.pk]}, follow=True
    )
    assert response.status_code == 200
    grant.refresh_from_db()
    assert not grant.is_deleted
    assert events(ticket, EventType.PERMISSION_GRANTED) == 1


def test_changelists_hide_tickets_the_staff_user_cannot_see(ticket):
    GrantFactory(ticket=ticket)
    AccessRequestFactory(ticket=ticket)
    client = staff_client("permissions.view_ticketviewpermission", "permissions.view_accessrequest")
    for url in (GRANTS, REQUESTS):
        response = client.get(url)
        assert response.status_code == 200
        assert response.context["cl"].result_count == 0
        assert MARKER not in response.content.decode()


def test_changelists_show_keys_not_titles(admin_client_, ticket):
    GrantFactory(ticket=ticket)
    access_request = AccessRequestFactory(ticket=ticket)
    for url in (GRANTS, REQUESTS, f"{REQUESTS}{access_request.pk}/change/"):
        response = admin_client_.get(url)
        assert response.status_code == 200
        assert ticket.key in response.content.decode()
        assert MARKER not in response.content.decode()


def test_approve_and_deny_actions(admin_client_, ticket):
    to_approve = AccessRequestFactory(ticket=ticket)
    to_deny = AccessRequestFactory(ticket=ticket)

    admin_client_.post(REQUESTS, {"action": "approve_selected", "_selected_action": [to_approve.pk]})
    admin_client_.post(REQUESTS, {"action": "deny_selected", "_selected_action": [to_deny.pk]})

    to_approve.refresh_from_db()
    to_deny.refresh_from_db()
    assert to_approve.status == AccessRequestStatus.APPROVED and to_approve.decided_by.is_superuser
    assert to_deny.status == AccessRequestStatus.DENIED and to_deny.decision_comment == ADMIN_DENY_COMMENT
    assert TicketViewPermission.objects.filter(ticket=ticket, user=to_approve.requester).exists()
    assert not TicketViewPermission.objects.filter(ticket=ticket, user=to_deny.requester).exists()
    assert events(ticket, EventType.ACCESS_GRANTED) == 1
    assert events(ticket, EventType.ACCESS_DENIED) == 1


def test_deciding_twice_in_the_admin_changes_nothing(admin_client_, ticket):
    access_request = AccessRequestFactory(ticket=ticket)
    admin_client_.post(REQUESTS, {"action": "approve_selected", "_selected_action": [access_request.pk]})
    response = admin_client_.post(REQUESTS, {"action": "deny_selected", "_selected_action": [access_request.pk]}, follow=True)
    assert "already decided" in response.content.decode()
    assert AccessRequest.objects.get(pk=access_request.pk).status == AccessRequestStatus.APPROVED
    assert events(ticket, EventType.ACCESS_DENIED) == 0


def test_requests_cannot_be_added_in_the_admin(admin_client_):
    assert admin_client_.get(f"{REQUESTS}add/").status_code == 403
